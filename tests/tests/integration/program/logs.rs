//! Run natively, the program's log lines reach the transaction's log, as on the SBF
//! build. Before, solana-msg printed them to the process's standard output, so
//! natively run transactions had no `Program log:` lines of the program's own.

use smart_treasury::error::TreasuryError;
use smart_treasury_tests::*;

#[tokio::test]
async fn the_instruction_name_and_an_error_reach_the_transaction_log() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    let outcome = fx.top_up().await.expect("top-up lands");
    assert!(outcome.logs.iter().any(|line| line == "Program log: Instruction: TopUp"), "{:#?}", outcome.logs);

    let failure = fx.top_up().await.expect_err("the cooldown refuses a second crank");
    let error = failure
        .logs
        .iter()
        .find(|line| line.starts_with("Program log: AnchorError"))
        .unwrap_or_else(|| panic!("no AnchorError line in {:#?}", failure.logs));
    let code = anchor_lang::error::ERROR_CODE_OFFSET + TreasuryError::CooldownActive as u32;
    assert!(error.contains(&format!("Error Code: CooldownActive. Error Number: {code}.")), "{error}");
    // Compared values are logged too, as Anchor does on-chain.
    let mut fx = Fixture::new().await;
    let stale = fx.config_version().await - 1;
    let failure = fx.crank_top_up(stale, &fx.sources()).await.expect_err("stale");
    assert!(failure.logs.iter().any(|line| line == &format!("Program log: Right: {stale}")), "{:#?}", failure.logs);
}
