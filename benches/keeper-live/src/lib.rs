//! Live benchmarks of the keeper: a local cluster in its own process, treasuries built
//! over RPC, and the keeper's own code measured against them (see scripts/bench-keeper).

pub mod chain;
pub mod cluster;
pub mod fleet;
pub mod history;
pub mod machine;
pub mod proxy;
pub mod stats;

/// Logs as `smart-treasury keeper run` does (info), into `path`, so the keeper pays for
/// its logging as it would in production without flooding the terminal.
pub fn log_to_file(path: &std::path::Path) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,solana=warn,agave=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_target(false)
        .init();
    Ok(())
}

/// `1234567` as `1,234,567`.
pub fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The commit the benchmark runs from, and whether the work tree had changes beside it:
/// every report names what it measured.
pub fn commit() -> String {
    let repository = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(repository)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let Some(commit) = git(&["rev-parse", "HEAD"]) else { return "unknown (not a git checkout)".into() };
    match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(changes) if !changes.is_empty() => format!("{commit} with uncommitted changes"),
        _ => commit,
    }
}
