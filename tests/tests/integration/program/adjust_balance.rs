use smart_treasury::{
    error::TreasuryError,
    events::{MovementReason, SourceMovement, ToppedUp},
    state::{AutomationSettings, BalanceMode},
};
use smart_treasury_tests::*;
use solana_signer::Signer;

#[tokio::test]
async fn manual_adjustment_moves_exactly_the_amount_in_priority_order() {
    let mut fx = Fixture::new().await;
    // The reserve can give only part, so the venue must give the rest.
    let floor = RESERVE_FUNDS - 1_000_000;
    fx.set_source(fx.reserve_vault, 1, floor, true).await;
    let amount = 2_500_000;

    let outcome = fx.manual_adjust(amount).await.expect("adjustment lands");

    assert_eq!(fx.snapshot().await, [TARGET + amount, floor, VENUE_FUNDS - 1_500_000, BACKUP_FUNDS]);
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!(event.reason, MovementReason::Manual);
    assert_eq!((event.balance_before, event.balance_after), (TARGET, TARGET + amount));
    assert_eq!((event.needed, event.allowed, event.received, event.shortfall), (amount, amount, amount, 0));
    assert_eq!(
        event.sources,
        vec![
            SourceMovement {
                source: fx.reserve_vault,
                sent: 1_000_000,
                source_before: RESERVE_FUNDS,
                source_after: floor
            },
            SourceMovement {
                source: fx.venue,
                sent: 1_500_000,
                source_before: VENUE_FUNDS,
                source_after: VENUE_FUNDS - 1_500_000
            },
        ]
    );
    // Manual movements are not automation: nothing is counted against the limits.
    assert_eq!((fx.managed().await.last_automation_at, fx.moved_in_period().await), (0, 0));
}

#[tokio::test]
async fn manual_adjustment_is_capped_at_max() {
    let mut fx = Fixture::new().await;

    let outcome = fx.manual_adjust(MAX).await.expect("adjustment lands");

    assert_eq!(fx.snapshot().await, [MAX, RESERVE_FUNDS - (MAX - TARGET), VENUE_FUNDS, BACKUP_FUNDS]);
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!((event.needed, event.received, event.balance_after), (MAX - TARGET, MAX - TARGET, MAX));
}

#[tokio::test]
async fn manual_adjustment_at_max_has_nothing_to_move() {
    let mut fx = Fixture::new().await;
    fx.fill_hot_to(MAX).await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.manual_adjust(1).await, TreasuryError::NothingToMove);

    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn manual_adjustment_is_not_rate_limited_and_works_while_paused() {
    let mut fx = Fixture::new().await;
    // A cap of one token would stop any automatic movement.
    fx.set_mode(BalanceMode::Threshold, AutomationSettings { period_cap: 1, ..default_automation() }).await;

    fx.manual_adjust(1_000_000).await.expect("first adjustment lands");
    fx.manual_adjust(500_000).await.expect("second adjustment, inside any cooldown, lands");
    fx.guardian_pause().await;
    let outcome = fx.manual_adjust(250_000).await.expect("adjustment while paused lands");

    assert_eq!(fx.balance(fx.hot_vault).await, TARGET + 1_750_000);
    assert_eq!(fx.balance(fx.reserve_vault).await, RESERVE_FUNDS - 1_750_000);
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!((event.balance_before, event.balance_after), (TARGET + 1_500_000, TARGET + 1_750_000));
    assert_eq!((fx.managed().await.last_automation_at, fx.moved_in_period().await), (0, 0));
}

#[tokio::test]
async fn manual_adjustment_requires_the_authority() {
    let mut fx = Fixture::new().await;
    let sources = fx.enabled_sources().await;
    let ix = ix::adjust_balance(fx.keeper.pubkey(), fx.balance_accounts(), 1_000_000, &sources);
    let before = fx.snapshot().await;

    assert_treasury_error(fx.as_keeper(ix).await, TreasuryError::NotAuthority);

    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn manual_adjustment_of_zero_is_refused() {
    let mut fx = Fixture::new().await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.manual_adjust(0).await, TreasuryError::ZeroAmount);

    assert_eq!(fx.snapshot().await, before);
}
