use smart_treasury::{error::TreasuryError, events::{MovementReason, ToppedUp, TopUpShortfall}, instructions::CrankReason};
use smart_treasury_tests::*;

#[tokio::test]
async fn threshold_top_up_refills_to_target_from_the_first_source() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    let before = fx.snapshot().await;

    let outcome = fx.top_up(CrankReason::Threshold).await.expect("top-up lands");

    let after = fx.snapshot().await;
    assert_eq!(after[0], TARGET);
    assert_eq!(after[1], before[1] - (TARGET - (MIN - 1)));
    assert_eq!((after[2], after[3]), (before[2], before[3]));
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!(event.reason, MovementReason::Threshold);
    assert_eq!((event.balance_before, event.balance_after), (MIN - 1, TARGET));
    assert_eq!(event.sources.len(), 1);
    assert_eq!(event.sources[0].source, fx.reserve_vault);
    assert_eq!(event.sources[0].sent, TARGET - (MIN - 1));
    assert_eq!(event.shortfall, 0);
    assert!(events_of::<TopUpShortfall>(&outcome.events).is_empty());
}

#[tokio::test]
async fn threshold_top_up_refuses_while_balance_is_at_min() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN).await;
    let before = fx.snapshot().await;
    assert_treasury_error(fx.top_up(CrankReason::Threshold).await, TreasuryError::NotBelowMin);
    assert_eq!(fx.snapshot().await, before);
}
