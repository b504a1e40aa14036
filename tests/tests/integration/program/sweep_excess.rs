use smart_treasury::{error::TreasuryError, events::ExcessSwept};
use smart_treasury_tests::*;

const EXCESS_BALANCE: u64 = MAX + 1_000_000;

#[tokio::test]
async fn sweep_returns_the_excess_above_target_to_the_reserve() {
    let mut fx = Fixture::new().await;
    fx.fill_hot_to(EXCESS_BALANCE).await;
    let version = fx.config_version().await;

    let outcome = fx.crank_sweep(fx.reserve_vault).await.expect("sweep lands");

    let excess = EXCESS_BALANCE - TARGET;
    assert_eq!(fx.snapshot().await, [TARGET, RESERVE_FUNDS + excess, VENUE_FUNDS, BACKUP_FUNDS]);
    let event: ExcessSwept = one_event(&outcome.events);
    assert_eq!(
        (event.treasury, event.managed_balance, event.source),
        (fx.treasury, fx.managed_balance, fx.reserve_vault)
    );
    assert_eq!((event.balance_before, event.balance_after), (EXCESS_BALANCE, TARGET));
    assert_eq!((event.excess, event.sent, event.received), (excess, excess, excess));
    assert_eq!((event.source_before, event.source_after), (RESERVE_FUNDS, RESERVE_FUNDS + excess));
    assert_eq!(event.config_version, version);
    let managed = fx.managed().await;
    assert_eq!(managed.moved_in_period, excess);
    assert_eq!(managed.last_automation_at, event.unix_timestamp);
}

#[tokio::test]
async fn sweep_refuses_at_max() {
    let mut fx = Fixture::new().await;
    fx.fill_hot_to(MAX).await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.crank_sweep(fx.reserve_vault).await, TreasuryError::NotAboveMax);

    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn sweep_refuses_any_source_but_the_first_enabled() {
    let mut fx = Fixture::new().await;
    fx.fill_hot_to(EXCESS_BALANCE).await;
    let before = fx.snapshot().await;

    for source in [fx.backup_vault, fx.venue] {
        assert_treasury_error(fx.crank_sweep(source).await, TreasuryError::WrongSourceAccounts);
        assert_eq!(fx.snapshot().await, before);
    }
}

#[tokio::test]
async fn sweep_goes_to_the_next_enabled_source_when_the_first_is_disabled() {
    let mut fx = Fixture::new().await;
    fx.set_source(fx.reserve_vault, 1, 0, false).await;
    fx.fill_hot_to(EXCESS_BALANCE).await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.crank_sweep(fx.reserve_vault).await, TreasuryError::WrongSourceAccounts);
    assert_eq!(fx.snapshot().await, before);

    // The venue (priority 2) is next: the program may push into it without a delegation.
    let outcome = fx.crank_sweep(fx.venue).await.expect("sweep lands");
    let excess = EXCESS_BALANCE - TARGET;
    assert_eq!(fx.snapshot().await, [TARGET, RESERVE_FUNDS, VENUE_FUNDS + excess, BACKUP_FUNDS]);
    let event: ExcessSwept = one_event(&outcome.events);
    assert_eq!(event.source, fx.venue);
    assert_eq!((event.source_before, event.source_after, event.sent), (VENUE_FUNDS, VENUE_FUNDS + excess, excess));
}

#[tokio::test]
async fn sweep_waits_out_the_cooldown() {
    let mut fx = Fixture::new().await;
    fx.fill_hot_to(EXCESS_BALANCE).await;
    fx.crank_sweep(fx.reserve_vault).await.expect("first sweep lands");
    fx.fill_hot_to(EXCESS_BALANCE + 1).await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.crank_sweep(fx.reserve_vault).await, TreasuryError::CooldownActive);
    assert_eq!(fx.snapshot().await, before);

    fx.rt.advance_time(i64::from(COOLDOWN_SECONDS) + 1).await;
    fx.crank_sweep(fx.reserve_vault).await.expect("sweep after the cooldown lands");
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
}
