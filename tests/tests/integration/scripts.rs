//! The benchmark scripts' own logic, run in a scratch git repository with stand-ins for
//! what they build and run.

use smart_treasury_tests::TempDir;
use std::{path::Path, process::Command};

fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).current_dir(dir).output().expect(program);
    assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("directory");
    std::fs::write(path, text).expect("written");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("executable");
}

/// The report names the commit the run started from, even when the tree moves on while
/// it builds and runs (twenty minutes: someone commits, or edits a file).
#[test]
fn bench_keeper_names_the_commit_it_started_from() {
    let dir = TempDir::new("bench-keeper-script");
    let repo = dir.0.join("repo");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench-keeper");
    executable(&repo.join("scripts/bench-keeper"), &std::fs::read_to_string(script).expect("the script"));
    std::fs::write(repo.join("tracked.txt"), "one\n").expect("written");
    std::fs::create_dir_all(repo.join("reports")).expect("reports");
    run(&repo, "git", &["init", "-q"]);
    run(&repo, "git", &["config", "user.email", "bench@example.com"]);
    run(&repo, "git", &["config", "user.name", "bench"]);
    run(&repo, "git", &["add", "scripts", "tracked.txt"]);
    run(&repo, "git", &["commit", "-qm", "measured"]);
    let measured = run(&repo, "git", &["rev-parse", "HEAD"]);
    // `cargo` builds nothing; the benchmark writes its section, then the tree moves on.
    let bin = dir.0.join("bin");
    executable(&bin.join("cargo"), "#!/bin/sh\nexit 0\n");
    executable(
        &repo.join("target/perf/scale"),
        "#!/bin/sh\necho '## Scale' > \"$2\"\necho two > tracked.txt\ngit commit -qam later\necho three > tracked.txt\n",
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let output = Command::new("bash")
        .arg(repo.join("scripts/bench-keeper"))
        .env("PATH", path)
        .output()
        .expect("the script runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_ne!(run(&repo, "git", &["rev-parse", "HEAD"]), measured, "the tree moved on during the run");

    let report = std::fs::read_to_string(repo.join("reports/keeper.md")).expect("the report");
    let line = report.lines().find(|line| line.starts_with("- commit measured:")).expect("the commit line");
    assert_eq!(line, format!("- commit measured: `{measured}`"));
    assert!(report.contains("## Scale"));
}
