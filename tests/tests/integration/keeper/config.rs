//! Bad keeper settings are refused before anything runs, naming what to fix.

use super::*;

async fn keeper_run(args: &[&str]) -> String {
    let mut out = Vec::new();
    let argv: Vec<&str> = ["keeper", "run"].into_iter().chain(args.iter().copied()).collect();
    let error = smart_treasury_cli::run_args(argv, &mut out).await.expect_err("the keeper must refuse to start");
    format!("{error:#}")
}

#[tokio::test]
async fn a_bad_config_file_names_its_line_and_field() {
    let dir = TempDir::new("smart-treasury-keeper");
    let path = dir.0.join("keeper.toml");
    std::fs::write(&path, "treasury = \"HLXACGiPB9Px2XdETqEYgwCLqB3DtuMA9WMDsTDpbTnH\"\ncycle_ms = -5\n").unwrap();
    let error = keeper_run(&["--config", path.to_str().unwrap()]).await;
    assert!(error.contains("keeper.toml:2") && error.contains("cycle_ms"), "{error}");

    std::fs::write(&path, "treasury = \"HLXACGiPB9Px2XdETqEYgwCLqB3DtuMA9WMDsTDpbTnH\"\npriority_fee = 5\n").unwrap();
    let error = keeper_run(&["--config", path.to_str().unwrap()]).await;
    assert!(error.contains("keeper.toml:2") && error.contains("priority_fee"), "{error}");
}

#[tokio::test]
async fn out_of_range_values_and_missing_files_are_refused() {
    let treasury = "HLXACGiPB9Px2XdETqEYgwCLqB3DtuMA9WMDsTDpbTnH";
    let error = keeper_run(&["--treasury", treasury, "--cycle-ms", "1"]).await;
    assert!(error.contains("`cycle_ms`"), "{error}");
    let error = keeper_run(&["--treasury", "not-an-address"]).await;
    assert!(error.contains("`treasury`"), "{error}");
    let error = keeper_run(&["--treasury", treasury, "--commitment", "soon"]).await;
    assert!(error.contains("`commitment`"), "{error}");
    let error = keeper_run(&["--config", "/nonexistent/keeper.toml"]).await;
    assert!(error.contains("/nonexistent/keeper.toml"), "{error}");
    let error = keeper_run(&["--treasury", treasury, "--keeper-keypair", "/nonexistent/keeper.json"]).await;
    assert!(error.contains("/nonexistent/keeper.json"), "{error}");
}
