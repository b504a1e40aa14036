use anchor_lang::prelude::Pubkey;
use smart_treasury::{error::TreasuryError, events::ExcessSwept};
use smart_treasury_tests::*;

const EXCESS_BALANCE: u64 = MAX + 1_000_000;

#[tokio::test]
async fn sweep_returns_the_excess_above_target_to_the_reserve() {
    let mut fx = Fixture::new().await;
    fx.fill_hot_to(EXCESS_BALANCE).await;
    let version = fx.config_version().await;

    let outcome = fx.crank_sweep().await.expect("sweep lands");

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
    assert_eq!(fx.moved_in_period().await, excess);
    assert_eq!(fx.managed().await.last_automation_at, event.unix_timestamp);
}

#[tokio::test]
async fn sweep_refuses_at_max() {
    let mut fx = Fixture::new().await;
    fx.fill_hot_to(MAX).await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.crank_sweep().await, TreasuryError::NotAboveMax);

    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn sweep_refuses_sources_out_of_priority_order() {
    let mut fx = Fixture::new().await;
    fx.fill_hot_to(EXCESS_BALANCE).await;
    let before = fx.snapshot().await;
    let [reserve, venue, backup]: [(Pubkey, Pubkey); 3] = fx.sources().try_into().unwrap();

    for sources in [vec![backup], vec![venue, reserve], vec![(fx.reserve_vault, fx.backup_pool)]] {
        assert_treasury_error(fx.crank_sweep_with(&sources).await, TreasuryError::WrongSourceAccounts);
        assert_eq!(fx.snapshot().await, before);
    }
}

/// A venue is a third party's account, linked to be pulled from: a permissionless
/// sweep must not move the treasury's funds into it. Before, the excess went to the
/// first enabled source, the venue here.
#[tokio::test]
async fn sweep_passes_over_a_venue_not_allowed_to_take_returns() {
    let mut fx = Fixture::new().await;
    fx.set_source(fx.reserve_vault, 1, 0, false).await;
    fx.fill_hot_to(EXCESS_BALANCE).await;

    // The venue (priority 2) is next, but only a vault or an allowed venue takes returns.
    let outcome = fx.crank_sweep().await.expect("sweep lands");
    let excess = EXCESS_BALANCE - TARGET;
    assert_eq!(fx.snapshot().await, [TARGET, RESERVE_FUNDS, VENUE_FUNDS, BACKUP_FUNDS + excess]);
    let event: ExcessSwept = one_event(&outcome.events);
    assert_eq!(event.source, fx.backup_vault);
}

#[tokio::test]
async fn sweep_returns_into_a_venue_only_once_the_authority_allows_it() {
    let mut fx = Fixture::new().await;
    fx.set_source(fx.reserve_vault, 1, 0, false).await;
    fx.set_source(fx.backup_vault, 3, 0, false).await;
    fx.fill_hot_to(EXCESS_BALANCE).await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.crank_sweep().await, TreasuryError::NoReturnTarget);
    assert_eq!(fx.snapshot().await, before);

    fx.allow_returns(fx.venue, true).await;
    let outcome = fx.crank_sweep().await.expect("sweep lands");
    let excess = EXCESS_BALANCE - TARGET;
    assert_eq!(fx.snapshot().await, [TARGET, RESERVE_FUNDS, VENUE_FUNDS + excess, BACKUP_FUNDS]);
    let event: ExcessSwept = one_event(&outcome.events);
    assert_eq!(event.source, fx.venue);
    assert_eq!((event.source_before, event.source_after, event.sent), (VENUE_FUNDS, VENUE_FUNDS + excess, excess));
}

#[tokio::test]
async fn a_prefix_reaching_the_return_target_is_enough() {
    let mut fx = Fixture::new().await;
    fx.fill_hot_to(EXCESS_BALANCE).await;
    let first = fx.sources()[..1].to_vec();
    fx.crank_sweep_with(&first).await.expect("sweep with the reserve alone lands");
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);

    // With the reserve disabled the venue alone does not reach a return target.
    fx.set_source(fx.reserve_vault, 1, 0, false).await;
    fx.fill_hot_to(EXCESS_BALANCE).await;
    fx.rt.advance_time(i64::from(COOLDOWN_SECONDS) + 1).await;
    let venue_only = fx.sources()[1..2].to_vec();
    let before = fx.snapshot().await;
    assert_treasury_error(fx.crank_sweep_with(&venue_only).await, TreasuryError::MissingFundingSources);
    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn sweep_waits_out_the_cooldown() {
    let mut fx = Fixture::new().await;
    fx.fill_hot_to(EXCESS_BALANCE).await;
    fx.crank_sweep().await.expect("first sweep lands");
    fx.fill_hot_to(EXCESS_BALANCE + 1).await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.crank_sweep().await, TreasuryError::CooldownActive);
    assert_eq!(fx.snapshot().await, before);

    fx.rt.advance_time(i64::from(COOLDOWN_SECONDS) + 1).await;
    fx.crank_sweep().await.expect("sweep after the cooldown lands");
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
}
