use smart_treasury::{error::TreasuryError, events::RatioRebalanced, state::BalanceMode};
use smart_treasury_tests::*;

/// Local plus counterpart: the seed example's combined total.
const TOTAL: u64 = 100_000_000;
/// 40% local with a 5% band.
const RATIO: BalanceMode = BalanceMode::Ratio { ratio_bps: 4_000, band_bps: 500 };

/// The fixture's hot vault kept at 40% of its total with the reserve vault, the first
/// enabled source. Thresholds wide enough that only the ratio decides.
async fn ratio_fixture() -> Fixture {
    let mut fx = Fixture::new().await;
    fx.set_thresholds(0, 40_000_000, TOTAL).await;
    fx.set_mode(RATIO, default_automation()).await;
    fx
}

/// Puts `local` in the hot vault and the rest of `TOTAL` in the reserve vault.
async fn split(fx: &mut Fixture, local: u64) {
    fx.set_vault_balance(fx.hot_pool, fx.hot_vault, local).await;
    fx.set_vault_balance(fx.reserve_pool, fx.reserve_vault, TOTAL - local).await;
}

#[tokio::test]
async fn rebalance_pulls_a_low_local_share_up_to_the_ratio() {
    let mut fx = ratio_fixture().await;
    split(&mut fx, 30_000_000).await;
    let version = fx.config_version().await;

    let outcome = fx.crank_rebalance().await.expect("rebalance lands");

    let [local, reserve, venue, backup] = fx.snapshot().await;
    assert_eq!(local + reserve, TOTAL);
    assert_eq!(local * 10_000, (local + reserve) * 4_000);
    assert_eq!((local, venue, backup), (40_000_000, VENUE_FUNDS, BACKUP_FUNDS));
    let event: RatioRebalanced = one_event(&outcome.events);
    assert_eq!(
        (event.treasury, event.managed_balance, event.counterpart),
        (fx.treasury, fx.managed_balance, fx.reserve_vault)
    );
    assert!(event.to_local);
    assert_eq!((event.sent, event.received), (10_000_000, 10_000_000));
    assert_eq!((event.local_before, event.local_after), (30_000_000, 40_000_000));
    assert_eq!((event.counterpart_before, event.counterpart_after), (70_000_000, 60_000_000));
    assert_eq!(event.config_version, version);
    assert_eq!(fx.moved_in_period().await, 10_000_000);
}

#[tokio::test]
async fn rebalance_pushes_a_high_local_share_back_to_the_ratio() {
    let mut fx = ratio_fixture().await;
    split(&mut fx, 46_000_000).await;

    let outcome = fx.crank_rebalance().await.expect("rebalance lands");

    assert_eq!(fx.snapshot().await, [40_000_000, 60_000_000, VENUE_FUNDS, BACKUP_FUNDS]);
    let event: RatioRebalanced = one_event(&outcome.events);
    assert!(!event.to_local);
    assert_eq!((event.sent, event.received), (6_000_000, 6_000_000));
    assert_eq!((event.local_before, event.local_after), (46_000_000, 40_000_000));
    assert_eq!((event.counterpart_before, event.counterpart_after), (54_000_000, 60_000_000));
}

#[tokio::test]
async fn rebalance_inside_the_band_is_refused() {
    let mut fx = ratio_fixture().await;
    // 45% and 35% sit exactly on the band's edges, which still count as inside.
    for local in [43_000_000, 45_000_000, 35_000_000] {
        split(&mut fx, local).await;
        let before = fx.snapshot().await;
        assert_treasury_error(fx.crank_rebalance().await, TreasuryError::WithinBand);
        assert_eq!(fx.snapshot().await, before);
    }
    assert_eq!(fx.managed().await.last_automation_at, 0);
}

#[tokio::test]
async fn rebalance_keeps_the_counterpart_above_its_floor() {
    let mut fx = ratio_fixture().await;
    split(&mut fx, 30_000_000).await;
    fx.set_source(fx.reserve_vault, 1, 65_000_000, true).await;

    let outcome = fx.crank_rebalance().await.expect("rebalance lands");

    assert_eq!(fx.snapshot().await, [35_000_000, 65_000_000, VENUE_FUNDS, BACKUP_FUNDS]);
    assert_eq!(one_event::<RatioRebalanced>(&outcome.events).sent, 5_000_000);
}

#[tokio::test]
async fn rebalance_refuses_a_counterpart_other_than_the_first_enabled_source() {
    let mut fx = ratio_fixture().await;
    split(&mut fx, 30_000_000).await;
    let before = fx.snapshot().await;

    for wrong in [(fx.backup_vault, fx.backup_pool), (fx.reserve_vault, fx.backup_pool)] {
        assert_treasury_error(fx.crank_rebalance_with(&[wrong]).await, TreasuryError::WrongSourceAccounts);
        assert_eq!(fx.snapshot().await, before);
    }
}

/// Before, a ratio push went into the counterpart whatever it was: a venue, a third
/// party's account, took the treasury's funds.
#[tokio::test]
async fn rebalance_pushes_into_a_venue_counterpart_only_once_allowed() {
    let mut fx = ratio_fixture().await;
    fx.set_source(fx.reserve_vault, 1, 0, false).await;
    // The venue is the counterpart now: local 46% of local + venue.
    let venue = fx.balance(fx.venue).await;
    let local = venue * 46 / 54;
    fx.set_vault_balance(fx.hot_pool, fx.hot_vault, local).await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.crank_rebalance().await, TreasuryError::ReturnTargetNotAllowed);
    assert_eq!(fx.snapshot().await, before);

    fx.allow_returns(fx.venue, true).await;
    let outcome = fx.crank_rebalance().await.expect("push lands");
    let event: RatioRebalanced = one_event(&outcome.events);
    assert_eq!((event.counterpart, event.to_local), (fx.venue, false));
    assert_eq!(fx.balance(fx.venue).await, venue + event.sent);
}

#[tokio::test]
async fn top_up_and_sweep_refuse_a_ratio_mode_balance() {
    let mut fx = Fixture::new().await;
    fx.set_mode(RATIO, default_automation()).await;
    fx.drain_hot_to(MIN - 1).await;
    let before = fx.snapshot().await;
    assert_treasury_error(fx.top_up().await, TreasuryError::WrongMode);
    assert_eq!(fx.snapshot().await, before);

    fx.fill_hot_to(MAX + 1).await;
    let before = fx.snapshot().await;
    assert_treasury_error(fx.crank_sweep().await, TreasuryError::WrongMode);
    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn rebalance_refuses_a_threshold_mode_balance() {
    let mut fx = Fixture::new().await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.crank_rebalance().await, TreasuryError::WrongMode);

    assert_eq!(fx.snapshot().await, before);
}
