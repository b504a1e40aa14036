use anchor_lang::prelude::Pubkey;
use smart_treasury::{
    error::TreasuryError,
    events::{MovementReason, SourceMovement, TopUpShortfall, ToppedUp},
    state::{AutomationSettings, BalanceMode, CrankAccess},
};
use smart_treasury_tests::*;
use solana_signer::Signer;

fn leg(source: Pubkey, sent: u64, source_before: u64) -> SourceMovement {
    SourceMovement { source, sent, source_before, source_after: source_before - sent }
}

#[tokio::test]
async fn threshold_top_up_refills_to_target_from_the_first_source() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    let before = fx.snapshot().await;

    let outcome = fx.top_up().await.expect("top-up lands");

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
async fn without_a_forecast_band_a_top_up_at_min_is_refused() {
    let mut fx = Fixture::new().await;
    fx.set_mode(BalanceMode::Threshold, AutomationSettings { forecast_band_bps: 0, ..default_automation() }).await;
    fx.drain_hot_to(MIN).await;
    let before = fx.snapshot().await;
    assert_treasury_error(fx.top_up().await, TreasuryError::NotBelowMin);
    assert_eq!(fx.snapshot().await, before);
}

/// The movement's reason is the balance's, decided on-chain, so the activity log and
/// webhooks can trust it. Before, the keeper named it: a crank calling itself a
/// forecast top-up below `min` was recorded as one.
#[tokio::test]
async fn the_balance_decides_between_a_threshold_and_a_forecast_top_up() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    let outcome = fx.top_up().await.expect("top-up below min lands");
    assert_eq!(one_event::<ToppedUp>(&outcome.events).reason, MovementReason::Threshold);

    fx.rt.advance_time(i64::from(COOLDOWN_SECONDS) + 1).await;
    fx.drain_hot_to(MIN).await;
    let outcome = fx.top_up().await.expect("top-up at min, inside the forecast band, lands");
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!((event.reason, event.balance_before, event.balance_after), (MovementReason::Forecast, MIN, TARGET));
}

#[tokio::test]
async fn fallback_draws_reserve_above_floor_then_venue_allowance_then_backup() {
    let mut fx = Fixture::new().await;
    // A goal beyond what the reserve (above its floor) and the venue allowance hold together.
    let target = 40_000_000;
    fx.set_thresholds(MIN, target, 50_000_000).await;
    let floor = RESERVE_FUNDS - 1_000_000;
    fx.set_source(fx.reserve_vault, 1, floor, true).await;
    fx.drain_hot_to(0).await;

    let outcome = fx.top_up().await.expect("top-up lands");

    let backup_part = target - 1_000_000 - VENUE_ALLOWANCE;
    assert_eq!(fx.snapshot().await, [target, floor, VENUE_FUNDS - VENUE_ALLOWANCE, BACKUP_FUNDS - backup_part]);
    let venue = fx.rt.token_account(fx.venue).await;
    assert_eq!(venue.delegated_amount, 0);
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!(event.reason, MovementReason::Threshold);
    assert_eq!(event.managed_balance, fx.managed_balance);
    assert_eq!((event.balance_before, event.balance_after), (0, target));
    assert_eq!((event.needed, event.allowed, event.received, event.shortfall), (target, target, target, 0));
    assert_eq!(
        event.sources,
        vec![
            leg(fx.reserve_vault, 1_000_000, RESERVE_FUNDS),
            leg(fx.venue, VENUE_ALLOWANCE, VENUE_FUNDS),
            leg(fx.backup_vault, backup_part, BACKUP_FUNDS),
        ]
    );
    assert!(events_of::<TopUpShortfall>(&outcome.events).is_empty());
}

#[tokio::test]
async fn reserve_floor_is_never_drawn_below() {
    let mut fx = Fixture::new().await;
    let floor = RESERVE_FUNDS - 1_000_000;
    fx.set_source(fx.reserve_vault, 1, floor, true).await;
    fx.drain_hot_to(MIN - 1).await;

    let outcome = fx.top_up().await.expect("top-up lands");

    let need = TARGET - (MIN - 1);
    assert_eq!(fx.snapshot().await, [TARGET, floor, VENUE_FUNDS - (need - 1_000_000), BACKUP_FUNDS]);
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!(
        event.sources,
        vec![leg(fx.reserve_vault, 1_000_000, RESERVE_FUNDS), leg(fx.venue, need - 1_000_000, VENUE_FUNDS)]
    );
}

#[tokio::test]
async fn venue_gives_at_most_its_allowance_and_draws_reduce_it() {
    let mut fx = Fixture::new().await;
    fx.set_vault_balance(fx.reserve_pool, fx.reserve_vault, 0).await;
    fx.drain_hot_to(MIN - 1).await;

    let outcome = fx.top_up().await.expect("first top-up lands");
    let need = TARGET - (MIN - 1);
    let venue = fx.rt.token_account(fx.venue).await;
    assert_eq!((venue.amount, venue.delegated_amount), (VENUE_FUNDS - need, VENUE_ALLOWANCE - need));
    assert_eq!(venue.delegate, Some(fx.reserve_pool).into());
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!(event.sources, vec![leg(fx.venue, need, VENUE_FUNDS)]);

    // The owner narrows the allowance below its balance: only the allowance is drawn.
    let allowance = 1_000_000;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.approve(fx.venue, &owner, fx.reserve_pool, allowance).await;
    fx.drain_hot_to(MIN - 2).await;
    fx.rt.advance_time(i64::from(COOLDOWN_SECONDS) + 1).await;
    let venue_before = fx.balance(fx.venue).await;

    let outcome = fx.top_up().await.expect("second top-up lands");
    let need = TARGET - (MIN - 2);
    assert_eq!(fx.snapshot().await, [TARGET, 0, venue_before - allowance, BACKUP_FUNDS - (need - allowance)]);
    assert_eq!(fx.rt.token_account(fx.venue).await.delegated_amount, 0);
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!(
        event.sources,
        vec![leg(fx.venue, allowance, venue_before), leg(fx.backup_vault, need - allowance, BACKUP_FUNDS)]
    );
}

#[tokio::test]
async fn short_sources_give_a_partial_top_up_and_report_the_shortfall() {
    let mut fx = Fixture::new().await;
    fx.set_vault_balance(fx.reserve_pool, fx.reserve_vault, 0).await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.approve(fx.venue, &owner, fx.reserve_pool, 1_000_000).await;
    fx.set_vault_balance(fx.backup_pool, fx.backup_vault, 500_000).await;
    fx.drain_hot_to(0).await;

    let outcome = fx.top_up().await.expect("partial top-up lands");

    let available = 1_500_000;
    assert_eq!(fx.snapshot().await, [available, 0, VENUE_FUNDS - 1_000_000, 0]);
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!((event.balance_before, event.balance_after), (0, available));
    assert_eq!((event.needed, event.allowed, event.received), (TARGET, TARGET, available));
    assert_eq!(event.shortfall, TARGET - available);
    assert_eq!(event.sources, vec![leg(fx.venue, 1_000_000, VENUE_FUNDS), leg(fx.backup_vault, 500_000, 500_000)]);
    let alert: TopUpShortfall = one_event(&outcome.events);
    assert_eq!(alert.managed_balance, fx.managed_balance);
    assert_eq!(alert.reason, MovementReason::Threshold);
    assert_eq!((alert.allowed, alert.sent, alert.shortfall), (TARGET, available, TARGET - available));
    assert_eq!(fx.moved_in_period().await, available);
}

#[tokio::test]
async fn empty_sources_refuse_with_no_funds_available() {
    let mut fx = Fixture::new().await;
    fx.set_vault_balance(fx.reserve_pool, fx.reserve_vault, 0).await;
    fx.set_vault_balance(fx.backup_pool, fx.backup_vault, 0).await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.approve(fx.venue, &owner, fx.reserve_pool, 0).await;
    fx.drain_hot_to(MIN - 1).await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.top_up().await, TreasuryError::NoFundsAvailable);

    assert_eq!(fx.snapshot().await, before);
    assert_eq!((fx.managed().await.last_automation_at, fx.moved_in_period().await), (0, 0));
}

/// `min + 50% of (target - min)`: forecast top-ups are allowed strictly below it.
const FORECAST_CEILING: u64 = MIN + (TARGET - MIN) / 2;

#[tokio::test]
async fn forecast_top_up_runs_inside_the_band() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(FORECAST_CEILING - 1).await;

    let outcome = fx.top_up().await.expect("forecast top-up lands");

    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!(event.reason, MovementReason::Forecast);
    assert_eq!((event.balance_before, event.balance_after), (FORECAST_CEILING - 1, TARGET));
    assert_eq!(event.sources, vec![leg(fx.reserve_vault, TARGET - (FORECAST_CEILING - 1), RESERVE_FUNDS)]);
}

#[tokio::test]
async fn forecast_top_up_is_refused_from_the_band_ceiling_up() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(FORECAST_CEILING).await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.top_up().await, TreasuryError::OutsideForecastBand);

    assert_eq!(fx.snapshot().await, before);
    assert_eq!(fx.managed().await.last_automation_at, 0);
}

#[tokio::test]
async fn forecast_top_up_never_goes_above_target() {
    let mut fx = Fixture::new().await;
    // The widest band reaches up to target itself.
    let automation = AutomationSettings { forecast_band_bps: 10_000, ..default_automation() };
    fx.set_mode(BalanceMode::Threshold, automation).await;
    fx.drain_hot_to(TARGET - 1).await;

    let outcome = fx.top_up().await.expect("forecast top-up lands");
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
    assert_eq!(one_event::<ToppedUp>(&outcome.events).sources, vec![leg(fx.reserve_vault, 1, RESERVE_FUNDS)]);

    fx.rt.advance_time(i64::from(COOLDOWN_SECONDS) + 1).await;
    let before = fx.snapshot().await;
    assert_treasury_error(fx.top_up().await, TreasuryError::OutsideForecastBand);
    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn automatic_top_ups_wait_out_the_cooldown() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    fx.top_up().await.expect("first top-up lands");
    let first_at = fx.managed().await.last_automation_at;
    assert_ne!(first_at, 0);
    fx.drain_hot_to(MIN - 2).await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.top_up().await, TreasuryError::CooldownActive);
    assert_eq!(fx.snapshot().await, before);

    fx.rt.advance_time(30).await;
    assert_treasury_error(fx.top_up().await, TreasuryError::CooldownActive);
    assert_eq!(fx.snapshot().await, before);

    fx.rt.advance_time(31).await;
    let outcome = fx.top_up().await.expect("top-up after the cooldown lands");
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
    assert_eq!(one_event::<ToppedUp>(&outcome.events).balance_before, MIN - 2);
    assert!(fx.managed().await.last_automation_at >= first_at + i64::from(COOLDOWN_SECONDS));
}

#[tokio::test]
async fn period_cap_limits_automation_until_the_movement_leaves_the_rolling_period() {
    let mut fx = Fixture::new().await;
    let cap = 400_000;
    fx.set_mode(BalanceMode::Threshold, AutomationSettings { period_cap: cap, ..default_automation() }).await;
    fx.drain_hot_to(0).await;

    let outcome = fx.top_up().await.expect("capped top-up lands");
    assert_eq!(fx.balance(fx.hot_vault).await, cap);
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!((event.needed, event.allowed, event.received, event.shortfall), (TARGET, cap, cap, 0));
    assert!(events_of::<TopUpShortfall>(&outcome.events).is_empty());
    assert_eq!(fx.moved_in_period().await, cap);

    fx.rt.advance_time(i64::from(COOLDOWN_SECONDS) + 1).await;
    let before = fx.snapshot().await;
    assert_treasury_error(fx.top_up().await, TreasuryError::AutomationCapReached);
    assert_eq!(fx.snapshot().await, before);

    // Counted for one period plus at most one slice (an eighth of it).
    fx.rt.advance_time(i64::from(PERIOD_SECONDS + PERIOD_SECONDS / 8)).await;
    let outcome = fx.top_up().await.expect("top-up once the first has left the period lands");
    assert_eq!(fx.balance(fx.hot_vault).await, 2 * cap);
    assert_eq!(one_event::<ToppedUp>(&outcome.events).allowed, cap);
    assert_eq!(fx.moved_in_period().await, cap);
}

/// The cap holds for every window of one period: before, the cap was per fixed period,
/// so a second full cap could move one second after the first, across the boundary.
#[tokio::test]
async fn period_cap_holds_across_what_was_a_period_boundary() {
    let mut fx = Fixture::new().await;
    let cap = 400_000;
    let automation = AutomationSettings { cooldown_seconds: 0, period_cap: cap, ..default_automation() };
    fx.set_mode(BalanceMode::Threshold, automation).await;
    fx.drain_hot_to(0).await;
    fx.top_up().await.expect("first top-up starts the period and takes the whole cap");

    fx.rt.advance_time(i64::from(PERIOD_SECONDS) - 1).await;
    assert_treasury_error(fx.top_up().await, TreasuryError::AutomationCapReached);
    fx.rt.advance_time(1).await;
    let before = fx.snapshot().await;
    assert_treasury_error(fx.top_up().await, TreasuryError::AutomationCapReached);
    assert_eq!(fx.snapshot().await, before);
    assert_eq!(fx.balance(fx.hot_vault).await, cap);
}

#[tokio::test]
async fn top_up_built_on_a_stale_config_version_is_rejected() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    let stale = fx.config_version().await;
    fx.set_thresholds(MIN, TARGET + 1, MAX).await;
    assert_eq!(fx.config_version().await, stale + 1);
    let before = fx.snapshot().await;

    let sources = fx.sources();
    assert_treasury_error(fx.crank_top_up(stale, &sources).await, TreasuryError::StaleConfigVersion);
    assert_eq!(fx.snapshot().await, before);

    fx.crank_top_up(stale + 1, &sources).await.expect("rebuilt top-up lands");
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET + 1);
}

#[tokio::test]
async fn pause_blocks_top_ups_until_unpaused() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    fx.guardian_pause().await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.top_up().await, TreasuryError::Paused);
    assert_eq!(fx.snapshot().await, before);

    fx.as_authority(ix::unpause(fx.authority.pubkey(), fx.treasury)).await.expect("unpause");
    fx.top_up().await.expect("top-up after unpause lands");
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
}

#[tokio::test]
async fn allow_list_admits_only_listed_keepers() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    let other = Pubkey::new_unique();
    fx.as_authority(ix::set_crank_access(fx.authority.pubkey(), fx.treasury, CrankAccess::AllowList, vec![other]))
        .await
        .expect("allow-list without the keeper");
    let before = fx.snapshot().await;

    assert_treasury_error(fx.top_up().await, TreasuryError::KeeperNotAllowed);
    assert_eq!(fx.snapshot().await, before);

    let keepers = vec![other, fx.keeper.pubkey()];
    fx.as_authority(ix::set_crank_access(fx.authority.pubkey(), fx.treasury, CrankAccess::AllowList, keepers))
        .await
        .expect("allow-list with the keeper");
    fx.top_up().await.expect("listed keeper's top-up lands");
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
}

#[tokio::test]
async fn disabled_managed_balance_is_not_topped_up() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    fx.as_authority(ix::set_enabled(fx.authority.pubkey(), fx.treasury, fx.managed_balance, false))
        .await
        .expect("disable");
    let before = fx.snapshot().await;

    assert_treasury_error(fx.top_up().await, TreasuryError::ManagedBalanceDisabled);

    assert_eq!(fx.snapshot().await, before);
    assert_eq!(fx.managed().await.last_automation_at, 0);
}

#[tokio::test]
async fn a_prefix_of_sources_is_enough_when_it_covers_the_need() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    let version = fx.config_version().await;
    let first = fx.sources()[..1].to_vec();

    let outcome = fx.crank_top_up(version, &first).await.expect("top-up lands");

    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!(event.sources, vec![leg(fx.reserve_vault, TARGET - (MIN - 1), RESERVE_FUNDS)]);
}

#[tokio::test]
async fn a_short_prefix_is_refused_while_later_sources_exist() {
    let mut fx = Fixture::new().await;
    fx.set_source(fx.reserve_vault, 1, RESERVE_FUNDS - 1_000_000, true).await;
    fx.drain_hot_to(MIN - 1).await;
    let version = fx.config_version().await;
    let sources = fx.sources();
    let before = fx.snapshot().await;

    assert_treasury_error(fx.crank_top_up(version, &sources[..1]).await, TreasuryError::MissingFundingSources);
    assert_eq!(fx.snapshot().await, before);

    // Reserve and venue together cover the need, so the backup may be left out.
    fx.crank_top_up(version, &sources[..2]).await.expect("covering prefix lands");
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
    assert_eq!(fx.balance(fx.backup_vault).await, BACKUP_FUNDS);
}

#[tokio::test]
async fn sources_out_of_priority_order_are_refused() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    let version = fx.config_version().await;
    let [reserve, venue, backup]: [(Pubkey, Pubkey); 3] = fx.sources().try_into().unwrap();
    let before = fx.snapshot().await;

    for sources in [vec![venue, reserve, backup], vec![backup], vec![(fx.reserve_vault, fx.backup_pool), venue, backup]]
    {
        assert_treasury_error(fx.crank_top_up(version, &sources).await, TreasuryError::WrongSourceAccounts);
        assert_eq!(fx.snapshot().await, before);
    }
}

#[tokio::test]
async fn disabled_source_is_skipped_and_may_not_be_passed() {
    let mut fx = Fixture::new().await;
    fx.set_source(fx.reserve_vault, 1, 0, false).await;
    fx.drain_hot_to(MIN - 1).await;
    let version = fx.config_version().await;
    let before = fx.snapshot().await;

    assert_treasury_error(fx.crank_top_up(version, &fx.sources()).await, TreasuryError::WrongSourceAccounts);
    assert_eq!(fx.snapshot().await, before);

    let outcome = fx.top_up().await.expect("top-up from the enabled sources lands");
    let need = TARGET - (MIN - 1);
    assert_eq!(fx.snapshot().await, [TARGET, RESERVE_FUNDS, VENUE_FUNDS - need, BACKUP_FUNDS]);
    assert_eq!(one_event::<ToppedUp>(&outcome.events).sources, vec![leg(fx.venue, need, VENUE_FUNDS)]);
}
