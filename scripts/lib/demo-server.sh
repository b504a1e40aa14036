# Shared by scripts/dashboard-check and scripts/bench-dashboard (sourced): the browser
# tools, then the local cluster with the demo treasury, the API server and a keeper,
# each its own process on free ports, all stopped when the calling script exits.
#
# After demo_server_prepare (or demo_tools_prepare): DEMO_BINARY exported.
# After demo_server_start: DASHBOARD_URL, RPC_URL, WS_URL, TREASURY, DEMO_DIR exported,
# and the API's operator tokens: API_TOKEN (write) and API_READ_TOKEN (read only).
# After demo_keeper_start: KEEPER_PID exported.

demo_pids=()
demo_server_stop() {
    local pid
    for pid in "${demo_pids[@]}"; do
        kill -CONT "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${demo_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap demo_server_stop EXIT

# Chromium, the Python venv with Playwright, and the smart-treasury binary built with
# cargo profile $2 (default dev, the test build's).
demo_server_prepare() {
    scripts/install-chromium
    demo_tools_prepare "$@"
}

# The Python venv (tests/browser/requirements.txt) and the smart-treasury binary built
# with cargo profile $2 (default dev), without the browser.
demo_tools_prepare() {
    local work="$1" profile="${2:-dev}" python="${PYTHON:-python3}"
    mkdir -p "$work"
    if [ ! -x "$work/venv/bin/python" ]; then
        "$python" -m venv "$work/venv"
    fi
    # Installs only when the pinned requirements changed since the last run.
    if ! cmp -s tests/browser/requirements.txt "$work/venv/.requirements"; then
        "$work/venv/bin/pip" install --quiet --disable-pip-version-check -r tests/browser/requirements.txt
        cp tests/browser/requirements.txt "$work/venv/.requirements"
    fi
    # --workspace: the same features as the test build, so nothing rebuilds twice.
    cargo build --quiet --workspace --profile "$profile" --bin smart-treasury
    export DEMO_BINARY
    DEMO_BINARY="./target/$([ "$profile" = dev ] && echo debug || echo "$profile")/smart-treasury"
}

# Prints the first match of sed expression $2 in file $1 once it appears; fails when
# process $3 exits first or after 120 s.
demo_wait_for() {
    local log="$1" expression="$2" pid="$3" value
    for _ in $(seq 1 1200); do
        value="$(sed -n "$expression" "$log" 2>/dev/null | head -1)"
        if [ -n "$value" ]; then
            printf '%s\n' "$value"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "a process exited while starting; its log ($log):" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "not ready after 120 s; the log ($log):" >&2
    cat "$log" >&2
    return 1
}

# The cluster (extra arguments go to `local-cluster`), two funded keeper keys, and the
# API server signing changes with the demo authority.
demo_server_start() {
    local work="$1"
    shift
    local binary="$DEMO_BINARY"
    export DEMO_DIR="$PWD/$work/demo"
    # The logs too: a log left by the last run would be read for this run's addresses.
    rm -rf "$DEMO_DIR" "$work/keys" "$work"/*.sqlite* "$work"/*.log
    "$binary" local-cluster --rpc-port 0 --ws-port 0 --slot-ms 100 --demo-dir "$DEMO_DIR" "$@" \
        >"$work/cluster.log" 2>&1 &
    demo_pids+=($!)
    local cluster=$!
    export RPC_URL WS_URL TREASURY
    RPC_URL="$(demo_wait_for "$work/cluster.log" 's/^JSON-RPC *//p' "$cluster")"
    WS_URL="$(demo_wait_for "$work/cluster.log" 's/^WebSocket *//p' "$cluster")"
    TREASURY="$(demo_wait_for "$work/cluster.log" 's/^demo treasury \([1-9A-HJ-NP-Za-km-z]*\).*/\1/p' "$cluster")"

    "$work/venv/bin/python" tests/browser/fund_keys.py "$RPC_URL" "$work/keys" server keeper >/dev/null
    cat >"$work/server.toml" <<'EOF'
[api]
# A local cluster: the monitoring terminal's stress test can be applied for real.
stress_test_apply = true

[api.webhooks]
# The browser suite's webhook receiver listens on loopback.
allow_private_destinations = true
retry_schedule_s = [0, 1, 2]
EOF
    export SMART_TREASURY_URL="$RPC_URL" SMART_TREASURY_TREASURY="$TREASURY"
    export SMART_TREASURY_KEEPER_WS_URL="$WS_URL" SMART_TREASURY_KEEPER_CYCLE_MS=500
    # One forecast bucket per compressed hour of the workload's 2-minute day.
    export SMART_TREASURY_KEEPER_BUCKET_SECONDS=5
    demo_tokens "$work/server.toml"
    SMART_TREASURY_KEEPER_KEYPAIR="$work/keys/server.json" SMART_TREASURY_KEEPER_STORE="$work/server.sqlite" \
        "$binary" serve --config "$work/server.toml" --api-addr 127.0.0.1:0 \
        --api-authority-keypair "$DEMO_DIR/authority.json" >"$work/server.log" 2>&1 &
    demo_pids+=($!)
    export DASHBOARD_URL
    DASHBOARD_URL="$(demo_wait_for "$work/server.log" 's|^API *\(http://[0-9.:]*\)/api/v1.*|\1|p' "$!")"
}

# Two operator tokens the API server requires, as production config would have them
# (only their hashes in the server's config, appended to TOML file $1): API_TOKEN may
# write, API_READ_TOKEN only read.
demo_tokens() {
    local toml="$1" scope output token
    for scope in write read; do
        output="$("$DEMO_BINARY" api-token --name "demo-$scope" --scope "$scope")"
        token="$(sed -n 's/^ *\(st_[1-9A-HJ-NP-Za-km-z]*\)$/\1/p' <<<"$output")"
        [ -n "$token" ] || { echo "api-token printed no token: $output" >&2; return 1; }
        printf '\n%s\n' "$(sed -n '/\[\[api\.tokens\]\]/,$s/^ *//p' <<<"$output")" >>"$toml"
        if [ "$scope" = write ]; then API_TOKEN="$token"; else API_READ_TOKEN="$token"; fi
    done
    export API_TOKEN API_READ_TOKEN
}

# A cranking keeper with its own key and store, and no API.
demo_keeper_start() {
    local work="$1"
    SMART_TREASURY_KEEPER_KEYPAIR="$work/keys/keeper.json" SMART_TREASURY_KEEPER_STORE="$work/keeper.sqlite" \
        "$DEMO_BINARY" keeper run --api-addr off >"$work/keeper.log" 2>&1 &
    demo_pids+=($!)
    export KEEPER_PID=$!
    demo_wait_for "$work/keeper.log" 's/.*\(keeper started\).*/\1/p' "$KEEPER_PID" >/dev/null
}
