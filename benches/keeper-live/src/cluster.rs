//! The `local-cluster` binary as a separate process, so what the bench process holds in
//! memory is the keeper's alone. Ports are picked by the cluster (0); the URLs and the
//! faucet come from what it prints.

use anyhow::{bail, Context, Result};
use solana_keypair::Keypair;
use std::{
    fs::File,
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

pub struct ClusterProcess {
    child: Child,
    pub rpc_url: String,
    pub ws_url: String,
    pub faucet: Keypair,
    /// From spawning the process until it printed `ready`.
    pub started_in: Duration,
}

/// `local-cluster` next to the running benchmark (both are built into `target/perf`).
pub fn default_binary() -> PathBuf {
    std::env::current_exe().map(|exe| exe.with_file_name("local-cluster")).unwrap_or_else(|_| "local-cluster".into())
}

impl ClusterProcess {
    /// Starts the cluster with `slot_ms` slots; its output goes to `dir/cluster.log`.
    pub fn spawn(binary: &Path, slot_ms: u64, dir: &Path) -> Result<Self> {
        Self::spawn_with(binary, slot_ms, dir, &[])
    }

    /// `spawn`, with more of the binary's flags (faults, lags).
    pub fn spawn_with(binary: &Path, slot_ms: u64, dir: &Path, flags: &[String]) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let faucet_path = dir.join("faucet.json");
        let log_path = dir.join("cluster.log");
        let log = File::create(&log_path)?;
        let started = Instant::now();
        let mut child = Command::new(binary)
            .args(["--rpc-port", "0", "--ws-port", "0", "--slot-ms", &slot_ms.to_string()])
            .args(flags)
            .arg("--faucet-keypair")
            .arg(&faucet_path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.try_clone()?)
            .spawn()
            .with_context(|| format!("cannot start {}: build it with scripts/bench-keeper", binary.display()))?;
        let stdout = child.stdout.take().context("cluster stdout")?;
        // The natively run program prints its logs to stdout for the cluster's whole life:
        // keep draining it (into the log) or the cluster blocks on a full pipe.
        let (lines, announced) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut log = log;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(log, "{line}");
                let _ = lines.send(line);
            }
        });
        let (mut rpc_url, mut ws_url) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match announced.recv_timeout(left) {
                Ok(line) => line,
                Err(_) => {
                    let _ = child.kill();
                    bail!("local-cluster did not print `ready` (see {})", log_path.display());
                }
            };
            if let Some(url) = line.strip_prefix("JSON RPC URL: ") {
                rpc_url = Some(url.trim().to_string());
            } else if let Some(url) = line.strip_prefix("WebSocket URL: ") {
                ws_url = Some(url.trim().to_string());
            } else if line.starts_with("ready in ") {
                break;
            }
        }
        let started_in = started.elapsed();
        // Later lines are the program's logs; nobody reads them from the channel.
        drop(announced);
        let text = std::fs::read_to_string(&faucet_path).context("the faucet keypair the cluster wrote")?;
        let bytes: Vec<u8> = serde_json::from_str(&text)?;
        let faucet = Keypair::try_from(bytes.as_slice()).context("faucet keypair")?;
        Ok(Self {
            child,
            rpc_url: rpc_url.context("no JSON RPC URL printed")?,
            ws_url: ws_url.context("no WebSocket URL printed")?,
            faucet,
            started_in,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ClusterProcess {
    /// SIGTERM (the cluster shuts down cleanly), then SIGKILL if it lingers.
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `/proc/<pid>/status` field in KiB (VmRSS, VmHWM).
pub fn proc_status_kib(pid: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
