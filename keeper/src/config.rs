//! Keeper settings: a TOML file, then environment variables, then command-line flags,
//! each overriding the one before. Every bad value is refused with the field it is in.

use crate::{forecast::ForecastConfig, planner::PlannerConfig};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use smart_treasury_client::redact;
use std::{net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

/// The environment variable of a keeper setting: `SMART_TREASURY_KEEPER_` and the
/// field's name in capitals (`cycle_ms` is `SMART_TREASURY_KEEPER_CYCLE_MS`).
pub const ENV_PREFIX: &str = "SMART_TREASURY_KEEPER_";

pub const DEFAULT_RPC_URL: &str = "http://127.0.0.1:8899";

/// Eight weeks: twice the four weeks the forecast reads.
pub const DEFAULT_HISTORY_DAYS: u64 = 56;

/// Settings as a file states them, and as `keeper run` takes them from the environment
/// and flags: every field optional, unknown fields refused. A field's flag is its name
/// in kebab case, its environment variable follows [`ENV_PREFIX`]; `rpc_url` and
/// `treasury` are the CLI's global `--url` and `--treasury`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// JSON-RPC endpoint [default: http://127.0.0.1:8899].
    #[arg(skip)]
    pub rpc_url: Option<String>,
    /// PubSub endpoint [default: beside the RPC URL, port + 1].
    #[arg(long, env = "SMART_TREASURY_KEEPER_WS_URL")]
    pub ws_url: Option<String>,
    /// The keeper's own keypair file (Solana CLI JSON, readable by its owner only): it
    /// signs and pays for cranks. Not the treasury's authority.
    #[arg(id = "keeper_keypair", long = "keeper-keypair", value_name = "FILE", env = "SMART_TREASURY_KEEPER_KEYPAIR")]
    pub keypair: Option<PathBuf>,
    /// The treasury's address.
    #[arg(skip)]
    pub treasury: Option<String>,
    /// processed, confirmed or finalized [default: confirmed].
    #[arg(long, env = "SMART_TREASURY_KEEPER_COMMITMENT")]
    pub commitment: Option<String>,
    /// The keeper's history (SQLite file) [default: keeper.sqlite].
    #[arg(long, env = "SMART_TREASURY_KEEPER_STORE")]
    pub store: Option<PathBuf>,
    /// Serve Prometheus metrics here, e.g. 127.0.0.1:9100 [default: off].
    #[arg(long, env = "SMART_TREASURY_KEEPER_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
    /// Milliseconds between watch-and-plan cycles [default: 1000].
    #[arg(long, env = "SMART_TREASURY_KEEPER_CYCLE_MS")]
    pub cycle_ms: Option<u64>,
    /// Seconds between re-reads of the treasury's managed balances [default: 30].
    #[arg(long, env = "SMART_TREASURY_KEEPER_DISCOVERY_INTERVAL_S")]
    pub discovery_interval_s: Option<u64>,
    /// Seconds per forecast bucket (3600 = hourly) [default: 3600].
    #[arg(long, env = "SMART_TREASURY_KEEPER_BUCKET_SECONDS")]
    pub bucket_seconds: Option<u64>,
    /// Forecast buckets ahead [default: 48].
    #[arg(long, env = "SMART_TREASURY_KEEPER_HORIZON_BUCKETS")]
    pub horizon_buckets: Option<usize>,
    /// Act on a forecast breach this many seconds ahead [default: two buckets].
    #[arg(long, env = "SMART_TREASURY_KEEPER_LEAD_SECONDS")]
    pub lead_seconds: Option<f64>,
    /// Act on a forecast breach only when at least this likely (0 to 1) [default: 0.5].
    #[arg(long, env = "SMART_TREASURY_KEEPER_MIN_BREACH_PROBABILITY")]
    pub min_breach_probability: Option<f64>,
    /// Compute-unit limit = simulated units times this [default: 1.2].
    #[arg(long, env = "SMART_TREASURY_KEEPER_COMPUTE_UNIT_MARGIN")]
    pub compute_unit_margin: Option<f64>,
    /// Percentile of recent prioritization fees to bid [default: 75].
    #[arg(long, env = "SMART_TREASURY_KEEPER_PRIORITY_FEE_PERCENTILE")]
    pub priority_fee_percentile: Option<u8>,
    /// Never bid more than this per compute unit [default: 1000000].
    #[arg(long, env = "SMART_TREASURY_KEEPER_MAX_PRIORITY_FEE_MICRO_LAMPORTS")]
    pub max_priority_fee_micro_lamports: Option<u64>,
    /// Refuse a crank whose fee would exceed this [default: 50000000].
    #[arg(long, env = "SMART_TREASURY_KEEPER_MAX_FEE_LAMPORTS")]
    pub max_fee_lamports: Option<u64>,
    /// Warn when the keeper's key holds less than this [default: 100000000].
    #[arg(long, env = "SMART_TREASURY_KEEPER_LOW_BALANCE_LAMPORTS")]
    pub low_balance_lamports: Option<u64>,
    /// Landing attempts per need (each re-sends on up to three blockhashes) before
    /// giving up until a later cycle [default: 5].
    #[arg(long, env = "SMART_TREASURY_KEEPER_MAX_ATTEMPTS")]
    pub max_attempts: Option<u32>,
    /// A refused need may be tried again after this many seconds; one refused by the
    /// cooldown when it ends [default: 30].
    #[arg(long, env = "SMART_TREASURY_KEEPER_RETRY_AFTER_S")]
    pub retry_after_s: Option<u64>,
    /// Seconds between back-fills of the treasury's events, even while the
    /// subscription seems fine [default: 30].
    #[arg(long, env = "SMART_TREASURY_KEEPER_BACKFILL_INTERVAL_S")]
    pub backfill_interval_s: Option<u64>,
    /// Days of history kept for the forecast; older samples, movements, events,
    /// decisions, alerts and settled webhook deliveries are pruned (see `retention`)
    /// [default: 56].
    #[arg(long, env = "SMART_TREASURY_KEEPER_HISTORY_DAYS")]
    pub history_days: Option<u64>,
    /// The operator API's settings (the `[api]` table), read by the API server
    /// (`smart_treasury_api::config`); the keeper itself ignores them.
    #[arg(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<toml::Table>,
}

/// Commitment levels the RPC understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commitment {
    Processed,
    Confirmed,
    Finalized,
}

impl FromStr for Commitment {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "processed" => Ok(Self::Processed),
            "confirmed" => Ok(Self::Confirmed),
            "finalized" => Ok(Self::Finalized),
            other => Err(format!("unknown commitment {other:?}: use processed, confirmed or finalized")),
        }
    }
}

/// Resolved settings the keeper runs with.
#[derive(Clone, Debug, PartialEq)]
pub struct KeeperConfig {
    pub rpc_url: String,
    pub ws_url: String,
    /// The keeper's own key; a process that never cranks needs none.
    pub keypair: Option<PathBuf>,
    pub treasury: String,
    pub commitment: Commitment,
    pub store: PathBuf,
    pub metrics_addr: Option<SocketAddr>,
    pub cycle: Duration,
    pub discovery_interval: Duration,
    /// Seconds one forecast bucket spans.
    pub bucket_seconds: i64,
    /// A refused need may be tried again after this long.
    pub retry_refused_after: Duration,
    pub forecast: ForecastConfig,
    pub planner: PlannerConfig,
    pub executor: ExecutorConfig,
    /// How often the treasury's events are back-filled even when the subscription
    /// seems fine (it can go quiet without closing).
    pub backfill_interval: Duration,
    /// Records older than this are pruned (see `retention`).
    pub history_window: Duration,
    /// False for a process that watches, records and serves but never sends a crank.
    pub crank: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExecutorConfig {
    /// Compute-unit limit = simulated units times this.
    pub compute_unit_margin: f64,
    /// Percentile of recent prioritization fees to pay.
    pub priority_fee_percentile: u8,
    /// Never bid more than this per compute unit.
    pub max_priority_fee_micro_lamports: u64,
    /// Refuse a transaction whose total fee would exceed this.
    pub max_fee_lamports: u64,
    /// Alert when the fee payer holds less than this.
    pub low_balance_lamports: u64,
    /// Landing attempts per need (an RPC error ends one) before giving up until a later cycle.
    pub max_attempts: u32,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            compute_unit_margin: 1.2,
            priority_fee_percentile: 75,
            max_priority_fee_micro_lamports: 1_000_000,
            max_fee_lamports: 50_000_000,
            low_balance_lamports: 100_000_000,
            max_attempts: 5,
        }
    }
}

/// Reads a config file, naming the file, line and field of any error.
pub fn read_file(path: &std::path::Path) -> Result<FileConfig> {
    read_toml(path)
}

/// Reads a TOML file as `T` (the keeper's settings, or the API's `[api]` table of the
/// same file), naming the file, line and field of any error.
pub fn read_toml<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read keeper config {}: check the path", path.display()))?;
    toml::from_str(&text).map_err(|error| {
        let Some(span) = error.span() else {
            return anyhow::anyhow!("{}: {}", path.display(), error.message());
        };
        let line = text[..span.start].matches('\n').count() + 1;
        // The span covers the offending value or key; its line names the field.
        let key = text.lines().nth(line - 1).and_then(|row| row.split_once('=')).map(|(key, _)| key.trim());
        let field = key.map(|key| format!(" field `{key}`:")).unwrap_or_default();
        anyhow::anyhow!("{}:{line}:{field} {}", path.display(), error.message())
    })
}

/// Merges file < overrides (environment and flags, already merged by clap) and checks
/// every value.
pub fn resolve(file: FileConfig, overrides: FileConfig) -> Result<KeeperConfig> {
    macro_rules! pick {
        ($field:ident) => {
            overrides.$field.clone().or(file.$field.clone())
        };
    }
    let required = |value: Option<String>, name: &str| -> Result<String> {
        value.with_context(|| format!("`{name}` is required: set it in the config file, the environment or a flag"))
    };
    let rpc_url = pick!(rpc_url).unwrap_or_else(|| DEFAULT_RPC_URL.to_string());
    check_url(&rpc_url, "rpc_url", &["http://", "https://"])?;
    // As the Solana CLI does: an RPC URL that overrides the file brings its own PubSub
    // URL, unless one is given beside it.
    let ws_url = match (&overrides.ws_url, &overrides.rpc_url) {
        (Some(ws_url), _) => ws_url.clone(),
        (None, Some(rpc_url)) => derive_ws_url(rpc_url),
        (None, None) => file.ws_url.clone().unwrap_or_else(|| derive_ws_url(&rpc_url)),
    };
    check_url(&ws_url, "ws_url", &["ws://", "wss://"])?;
    let treasury = required(pick!(treasury), "treasury")?;
    check_pubkey(&treasury, "treasury")?;
    let commitment = match pick!(commitment) {
        Some(text) => text.parse().map_err(|error: String| anyhow::anyhow!("`commitment`: {error}"))?,
        None => Commitment::Confirmed,
    };
    let metrics_addr = match pick!(metrics_addr) {
        Some(text) if text.is_empty() || text == "off" => None,
        Some(text) => Some(
            text.parse().with_context(|| format!("`metrics_addr` {text:?} is not an address like 127.0.0.1:9100"))?,
        ),
        None => None,
    };
    let cycle_ms = pick!(cycle_ms).unwrap_or(1_000);
    in_range("cycle_ms", cycle_ms as f64, 10.0, 3_600_000.0)?;
    let discovery_s = pick!(discovery_interval_s).unwrap_or(30);
    in_range("discovery_interval_s", discovery_s as f64, 1.0, 86_400.0)?;

    let bucket_seconds = pick!(bucket_seconds).unwrap_or(3_600);
    in_range("bucket_seconds", bucket_seconds as f64, 1.0, 86_400.0)?;
    if 86_400 % bucket_seconds != 0 {
        bail!(
            "`bucket_seconds` is {bucket_seconds}; it must divide a day (86,400 s) so days and weeks hold whole buckets, \
             e.g. 900, 3600 or 86400"
        );
    }
    let horizon = pick!(horizon_buckets).unwrap_or(48);
    in_range("horizon_buckets", horizon as f64, 1.0, 10_000.0)?;
    let buckets_per_day = (86_400 / bucket_seconds).max(1) as usize;
    let forecast =
        ForecastConfig { daily_period: buckets_per_day, weekly_period: buckets_per_day * 7, horizon, level: 0.95 };
    let defaults = PlannerConfig::default();
    let planner = PlannerConfig {
        bucket_seconds: bucket_seconds as f64,
        lead_seconds: pick!(lead_seconds).unwrap_or(2.0 * bucket_seconds as f64),
        min_breach_probability: pick!(min_breach_probability).unwrap_or(defaults.min_breach_probability),
    };
    in_range("lead_seconds", planner.lead_seconds, 0.0, 30.0 * 86_400.0)?;
    in_range("min_breach_probability", planner.min_breach_probability, 0.0, 1.0)?;

    let base = ExecutorConfig::default();
    let executor = ExecutorConfig {
        compute_unit_margin: pick!(compute_unit_margin).unwrap_or(base.compute_unit_margin),
        priority_fee_percentile: pick!(priority_fee_percentile).unwrap_or(base.priority_fee_percentile),
        max_priority_fee_micro_lamports: pick!(max_priority_fee_micro_lamports)
            .unwrap_or(base.max_priority_fee_micro_lamports),
        max_fee_lamports: pick!(max_fee_lamports).unwrap_or(base.max_fee_lamports),
        low_balance_lamports: pick!(low_balance_lamports).unwrap_or(base.low_balance_lamports),
        max_attempts: pick!(max_attempts).unwrap_or(base.max_attempts),
    };
    in_range("compute_unit_margin", executor.compute_unit_margin, 1.0, 10.0)?;
    in_range("priority_fee_percentile", f64::from(executor.priority_fee_percentile), 0.0, 100.0)?;
    in_range("max_attempts", f64::from(executor.max_attempts), 1.0, 100.0)?;
    let backfill_s = pick!(backfill_interval_s).unwrap_or(30);
    in_range("backfill_interval_s", backfill_s as f64, 1.0, 86_400.0)?;
    let history_days = pick!(history_days).unwrap_or(DEFAULT_HISTORY_DAYS);
    in_range("history_days", history_days as f64, 1.0, 3_660.0)?;
    // The forecast reads four weeks of buckets; a shorter window starves it.
    let history_buckets = forecast.weekly_period as u64 * 4;
    if history_days * 86_400 < history_buckets * bucket_seconds {
        bail!(
            "`history_days` is {history_days}; the forecast reads {} days of history at this `bucket_seconds`: keep at \
             least that many",
            (history_buckets * bucket_seconds).div_ceil(86_400)
        );
    }

    Ok(KeeperConfig {
        rpc_url,
        ws_url,
        keypair: pick!(keypair),
        treasury,
        commitment,
        store: pick!(store).unwrap_or_else(|| PathBuf::from("keeper.sqlite")),
        metrics_addr,
        cycle: Duration::from_millis(cycle_ms),
        discovery_interval: Duration::from_secs(discovery_s),
        bucket_seconds: bucket_seconds as i64,
        retry_refused_after: Duration::from_secs(pick!(retry_after_s).unwrap_or(30)),
        forecast,
        planner,
        executor,
        backfill_interval: Duration::from_secs(backfill_s),
        history_window: Duration::from_secs(history_days * 86_400),
        crank: true,
    })
}

/// The PubSub URL beside an RPC URL, as the Solana CLI derives it: `ws` for `http`, and
/// an explicit port plus one; path and query (where providers put keys) stay.
pub fn derive_ws_url(rpc_url: &str) -> String {
    let ws = rpc_url.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
    let Some((scheme, rest)) = ws.split_once("://") else { return ws };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => match port.parse::<u16>() {
            Ok(port) => format!("{scheme}://{host}:{}{tail}", port.saturating_add(1)),
            Err(_) => ws,
        },
        _ => ws,
    }
}

fn check_url(url: &str, field: &str, schemes: &[&str]) -> Result<()> {
    if !schemes.iter().any(|scheme| url.starts_with(scheme)) {
        bail!("`{field}` {:?} must start with {}", redact::url(url), schemes.join(" or "));
    }
    Ok(())
}

fn check_pubkey(text: &str, field: &str) -> Result<()> {
    let decoded = bs58_decode(text).with_context(|| format!("`{field}` {text:?} is not a base58 address"))?;
    if decoded.len() != 32 {
        bail!("`{field}` {text:?} is not a 32-byte address");
    }
    Ok(())
}

fn in_range(field: &str, value: f64, low: f64, high: f64) -> Result<()> {
    if !(low..=high).contains(&value) {
        bail!("`{field}` is {value}; it must be between {low} and {high}");
    }
    Ok(())
}

/// Minimal base58 decoding, enough to validate an address without pulling in a crate.
fn bs58_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut bytes: Vec<u8> = Vec::new();
    for character in text.bytes() {
        let mut carry = ALPHABET.iter().position(|&a| a == character)? as u32;
        for byte in bytes.iter_mut().rev() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = text.bytes().take_while(|&b| b == b'1').count();
    let mut decoded = vec![0u8; zeros];
    decoded.extend(bytes);
    Some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREASURY: &str = "HLXACGiPB9Px2XdETqEYgwCLqB3DtuMA9WMDsTDpbTnH";

    /// The settings that have no default.
    fn with_treasury() -> FileConfig {
        FileConfig { treasury: Some(TREASURY.into()), keypair: Some("keeper.json".into()), ..FileConfig::default() }
    }

    #[test]
    fn flags_override_the_file_and_defaults_fill_the_rest() {
        let file = FileConfig { rpc_url: Some("http://10.0.0.1:8899".into()), cycle_ms: Some(500), ..with_treasury() };
        let overrides = FileConfig { cycle_ms: Some(250), ..FileConfig::default() };
        let config = resolve(file, overrides).unwrap();
        assert_eq!(config.rpc_url, "http://10.0.0.1:8899");
        assert_eq!(config.ws_url, "ws://10.0.0.1:8900");
        assert_eq!(config.cycle, Duration::from_millis(250));
        assert_eq!(config.commitment, Commitment::Confirmed);
        assert_eq!(config.forecast.daily_period, 24);
    }

    #[test]
    fn every_bad_value_names_its_field() {
        let cases = [
            (FileConfig::default(), "`treasury` is required"),
            (FileConfig { treasury: Some("not-base58-0OIl".into()), ..FileConfig::default() }, "`treasury`"),
            (FileConfig { rpc_url: Some("ftp://x".into()), ..with_treasury() }, "`rpc_url`"),
            (FileConfig { commitment: Some("max".into()), ..with_treasury() }, "`commitment`"),
            (FileConfig { cycle_ms: Some(1), ..with_treasury() }, "`cycle_ms`"),
            (FileConfig { min_breach_probability: Some(1.5), ..with_treasury() }, "`min_breach_probability`"),
            (FileConfig { compute_unit_margin: Some(0.5), ..with_treasury() }, "`compute_unit_margin`"),
            (FileConfig { metrics_addr: Some("localhost".into()), ..with_treasury() }, "`metrics_addr`"),
            (FileConfig { bucket_seconds: Some(7), ..with_treasury() }, "it must divide a day"),
            (FileConfig { history_days: Some(7), ..with_treasury() }, "the forecast reads 28 days"),
        ];
        for (file, expected) in cases {
            let error = resolve(file, FileConfig::default()).unwrap_err().to_string();
            assert!(error.contains(expected), "{error:?} should mention {expected}");
        }
    }

    #[test]
    fn a_bad_file_names_the_line_and_field() {
        let dir = std::env::temp_dir().join(format!("keeper-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keeper.toml");
        std::fs::write(&path, "rpc_url = \"http://127.0.0.1:8899\"\ncycle_ms = \"fast\"\n").unwrap();
        let error = read_file(&path).unwrap_err().to_string();
        assert!(error.contains("keeper.toml:2") && error.contains("cycle_ms"), "{error}");
        std::fs::write(&path, "rpc_url = \"http://127.0.0.1:8899\"\nrpc_urll = \"x\"\n").unwrap();
        let error = read_file(&path).unwrap_err().to_string();
        assert!(error.contains("keeper.toml:2") && error.contains("rpc_urll"), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_overriding_rpc_url_brings_its_own_pubsub_url() {
        let file = FileConfig {
            rpc_url: Some("http://10.0.0.1:8899".into()),
            ws_url: Some("ws://10.0.0.1:8900".into()),
            ..with_treasury()
        };
        let flag = FileConfig { rpc_url: Some("http://127.0.0.1:9999".into()), ..FileConfig::default() };
        let config = resolve(file.clone(), flag.clone()).unwrap();
        assert_eq!(
            (config.rpc_url.as_str(), config.ws_url.as_str()),
            ("http://127.0.0.1:9999", "ws://127.0.0.1:10000")
        );
        let both = FileConfig { ws_url: Some("wss://pubsub.example.com".into()), ..flag };
        assert_eq!(resolve(file.clone(), both).unwrap().ws_url, "wss://pubsub.example.com");
        assert_eq!(resolve(file, FileConfig::default()).unwrap().ws_url, "ws://10.0.0.1:8900");
    }

    #[test]
    fn the_pubsub_url_keeps_path_query_and_credentials_and_moves_only_an_explicit_port() {
        let cases = [
            ("http://127.0.0.1:8899", "ws://127.0.0.1:8900"),
            ("https://mainnet.helius-rpc.com/?api-key=k1", "wss://mainnet.helius-rpc.com/?api-key=k1"),
            ("http://user:pw@10.0.0.1:8899/rpc?key=a:b", "ws://user:pw@10.0.0.1:8900/rpc?key=a:b"),
            ("http://user:pw@rpc.example.com/x", "ws://user:pw@rpc.example.com/x"),
            ("http://[::1]:8899", "ws://[::1]:8900"),
            ("http://[::1]", "ws://[::1]"),
        ];
        for (rpc, ws) in cases {
            assert_eq!(derive_ws_url(rpc), ws, "{rpc}");
        }
    }

    #[test]
    fn a_bad_url_is_named_without_its_secrets() {
        let file = FileConfig { rpc_url: Some("ftp://ops:hunter2@example.com/?api-key=k1".into()), ..with_treasury() };
        let error = resolve(file, FileConfig::default()).unwrap_err().to_string();
        assert!(error.contains("`rpc_url`") && error.contains("ftp://***@example.com/?***"), "{error}");
        assert!(!error.contains("hunter2") && !error.contains("k1"), "{error}");
    }

    const EXAMPLE: &str = include_str!("../keeper.example.toml");

    /// Every field the keeper knows, from its own definition.
    fn known_fields() -> Vec<String> {
        let fields = serde_json::to_value(FileConfig::default()).expect("settings serialise");
        fields.as_object().expect("a struct").keys().cloned().collect()
    }

    #[test]
    fn the_example_config_parses_and_sets_every_field_to_its_default() {
        // Unknown fields are refused, so parsing proves every field in it is known.
        let example: FileConfig = toml::from_str(EXAMPLE).expect("keeper.example.toml parses");
        let required =
            FileConfig { treasury: Some(TREASURY.into()), keypair: Some("k.json".into()), ..Default::default() };
        let from_example = resolve(example, required.clone()).expect("keeper.example.toml resolves");
        let from_defaults = resolve(FileConfig::default(), required).expect("defaults resolve");
        assert_eq!(from_example, from_defaults, "a value in keeper.example.toml is not the default");
    }

    #[test]
    fn the_example_config_documents_every_field_the_keeper_knows() {
        // The `[api]` table at the end belongs to the API server, which checks it.
        let keeper_part = EXAMPLE.split("\n[api]").next().expect("some text");
        let documented: Vec<&str> = keeper_part
            .lines()
            .filter_map(|line| line.trim_start_matches(['#', ' ']).split_once(" = "))
            .map(|(key, _)| key.trim())
            .filter(|key| key.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_'))
            .collect();
        let known = known_fields();
        assert!(known.iter().any(|field| field == "cycle_ms"), "{known:?}");
        for field in &known {
            assert!(documented.contains(&field.as_str()), "keeper.example.toml does not document `{field}`");
        }
        for key in documented {
            assert!(known.iter().any(|field| field == key), "keeper.example.toml documents `{key}`, which is no field");
        }
    }
}
