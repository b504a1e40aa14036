//! What a report says about the machine it was measured on.

use std::process::Command;

fn first_line_with(path: &str, prefix: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|line| line.starts_with(prefix))?;
    Some(line.split_once(':').map_or(line, |(_, value)| value).trim().to_string())
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Markdown bullet lines: CPU, cores, memory, load, OS, compiler.
pub fn facts() -> String {
    let cpu = first_line_with("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let memory = first_line_with("/proc/meminfo", "MemTotal")
        .and_then(|kb| kb.trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or_else(|| "unknown".into(), |kb| format!("{:.0} GiB", kb / 1024.0 / 1024.0));
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into());
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|line| line.starts_with("PRETTY_NAME="))?;
            Some(line.trim_start_matches("PRETTY_NAME=").trim_matches('"').to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let kernel =
        std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()).unwrap_or_default();
    let rustc = command_output("rustc", &["--version"]).unwrap_or_else(|| "unknown".into());
    format!(
        "- CPU: {cpu}, {cores} cores available to the process (shared with other work: the load \
         average below says how busy the machine was)\n\
         - memory: {memory}; load average (1, 5, 15 min) when the report was written: {load}\n\
         - OS: {os}, kernel {kernel}\n\
         - compiler: {rustc}, cargo profile `perf` (release without LTO)\n"
    )
}
