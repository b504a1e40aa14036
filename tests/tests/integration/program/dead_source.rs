//! A linked source that its owner closed, froze or re-created for another mint counts as
//! nothing available: the next source is used and a partial top-up still beats none.
//! Before, such a source failed every crank that reached it, so the hot wallet ran dry
//! until governance unlinked it.

use anchor_lang::{prelude::Pubkey, solana_program::system_instruction};
use smart_treasury::{
    error::TreasuryError,
    events::{ExcessSwept, RatioRebalanced, SourceMovement, TopUpShortfall, ToppedUp},
    state::BalanceMode,
};
use smart_treasury_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// The reserve keeps only a little above its floor, so the venue (priority 2) is
/// reached: every top-up below must pass it to get to the backup (priority 3).
const RESERVE_SPARE: u64 = 1_000_000;

async fn reserve_nearly_spent() -> Fixture {
    let mut fx = Fixture::new().await;
    fx.set_source(fx.reserve_vault, 1, RESERVE_FUNDS - RESERVE_SPARE, true).await;
    fx.drain_hot_to(MIN - 1).await;
    fx
}

/// The top-up passes over the dead venue: the reserve's spare, then the backup.
async fn tops_up_past_the_dead_venue(fx: &mut Fixture) {
    let backup_before = fx.balance(fx.backup_vault).await;
    let outcome = fx.top_up().await.expect("top-up passes over the dead venue");
    let need = TARGET - (MIN - 1);
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
    let event: ToppedUp = one_event(&outcome.events);
    let drawn: Vec<Pubkey> = event.sources.iter().map(|movement| movement.source).collect();
    assert_eq!(drawn, vec![fx.reserve_vault, fx.backup_vault]);
    assert_eq!(event.sources[1].sent, need - RESERVE_SPARE);
    assert_eq!(fx.balance(fx.backup_vault).await, backup_before - (need - RESERVE_SPARE));
    assert_eq!(event.shortfall, 0);
}

#[tokio::test]
async fn a_closed_venue_is_passed_over() {
    let mut fx = reserve_nearly_spent().await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.close_token_account(fx.venue, fx.sink, &owner).await;
    assert!(fx.rt.account_data(fx.venue).await.is_none());

    tops_up_past_the_dead_venue(&mut fx).await;
}

#[tokio::test]
async fn a_venue_refunded_as_a_system_account_is_passed_over() {
    let mut fx = reserve_nearly_spent().await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.close_token_account(fx.venue, fx.sink, &owner).await;
    let payer = fx.rt.payer().pubkey();
    // Same address, now a system account: the stored link's key still matches.
    fx.rt.ok(&[system_instruction::transfer(&payer, &fx.venue, 1_000_000)], &[]).await;
    assert_eq!(fx.rt.owner_of(fx.venue).await, anchor_lang::system_program::ID);

    tops_up_past_the_dead_venue(&mut fx).await;
}

#[tokio::test]
async fn a_frozen_venue_is_passed_over() {
    let mut fx = reserve_nearly_spent().await;
    fx.rt.freeze(fx.venue).await;

    tops_up_past_the_dead_venue(&mut fx).await;
}

#[tokio::test]
async fn a_venue_re_created_for_another_mint_is_passed_over() {
    let mut fx = Fixture::new().await;
    // A venue whose address its owner controls, linked in the fixture venue's place.
    let address = Keypair::new();
    let owner = fx.venue_owner.insecure_clone();
    let venue = fx.rt.create_token_account_at(&address, fx.mint, owner.pubkey(), fx.token_program).await;
    fx.rt.mint_to(fx.mint, venue, VENUE_FUNDS).await;
    fx.rt.approve(venue, &owner, fx.reserve_pool, VENUE_ALLOWANCE).await;
    fx.set_source(fx.venue, 2, 0, false).await;
    let args = smart_treasury::instructions::LinkSourceArgs {
        priority: 4,
        reserve_floor: 0,
        enabled: true,
        returns_allowed: false,
    };
    let link = ix::link_source(fx.authority.pubkey(), fx.treasury, fx.managed_balance, venue, fx.reserve_pool, args);
    fx.as_authority(link).await.expect("link the venue");
    fx.set_source(fx.reserve_vault, 1, RESERVE_FUNDS - RESERVE_SPARE, true).await;
    fx.set_source(fx.backup_vault, 3, BACKUP_FUNDS, true).await;

    // Closed, then re-created at the same address for a mint of its own.
    fx.rt.close_token_account(venue, fx.sink, &owner).await;
    let other_mint = fx.rt.create_mint(fx.token_program, 6, &[]).await;
    fx.rt.create_token_account_at(&address, other_mint, owner.pubkey(), fx.token_program).await;
    fx.rt.mint_to(other_mint, venue, VENUE_FUNDS).await;
    fx.rt.approve(venue, &owner, fx.reserve_pool, VENUE_ALLOWANCE).await;
    fx.drain_hot_to(MIN - 1).await;

    // The reserve's spare is all that is left: a partial top-up, the dead venue passed over.
    let outcome = fx.top_up().await.expect("partial top-up lands");
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!(
        event.sources,
        vec![SourceMovement {
            source: fx.reserve_vault,
            sent: RESERVE_SPARE,
            source_before: RESERVE_FUNDS,
            source_after: RESERVE_FUNDS - RESERVE_SPARE,
        }]
    );
    assert_eq!(event.shortfall, TARGET - (MIN - 1) - RESERVE_SPARE);
    assert_eq!(one_event::<TopUpShortfall>(&outcome.events).shortfall, event.shortfall);
    assert_eq!(fx.rt.token_balance(venue).await, VENUE_FUNDS);
}

#[tokio::test]
async fn the_authoritys_manual_top_up_passes_over_a_dead_venue_too() {
    let mut fx = reserve_nearly_spent().await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.close_token_account(fx.venue, fx.sink, &owner).await;

    let outcome = fx.manual_adjust(2_000_000).await.expect("manual top-up lands");
    let event: ToppedUp = one_event(&outcome.events);
    let drawn: Vec<(Pubkey, u64)> = event.sources.iter().map(|movement| (movement.source, movement.sent)).collect();
    assert_eq!(drawn, vec![(fx.reserve_vault, RESERVE_SPARE), (fx.backup_vault, 1_000_000)]);
}

#[tokio::test]
async fn only_dead_and_empty_sources_give_no_funds_available() {
    let mut fx = reserve_nearly_spent().await;
    fx.set_source(fx.reserve_vault, 1, RESERVE_FUNDS, true).await;
    fx.set_source(fx.backup_vault, 3, BACKUP_FUNDS, true).await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.close_token_account(fx.venue, fx.sink, &owner).await;
    let before = fx.snapshot_without_venue().await;

    assert_treasury_error(fx.top_up().await, TreasuryError::NoFundsAvailable);
    assert_eq!(fx.snapshot_without_venue().await, before);
}

#[tokio::test]
async fn a_sweep_passes_over_a_closed_venue_it_may_return_to() {
    let mut fx = Fixture::new().await;
    fx.set_source(fx.reserve_vault, 1, 0, false).await;
    fx.allow_returns(fx.venue, true).await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.close_token_account(fx.venue, fx.sink, &owner).await;
    fx.fill_hot_to(MAX + 1_000_000).await;

    let outcome = fx.crank_sweep().await.expect("sweep lands");
    let event: ExcessSwept = one_event(&outcome.events);
    assert_eq!(event.source, fx.backup_vault);
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
    assert_eq!(fx.balance(fx.backup_vault).await, BACKUP_FUNDS + MAX + 1_000_000 - TARGET);
}

#[tokio::test]
async fn a_ratio_counterpart_that_closed_hands_the_role_to_the_next_source() {
    let mut fx = Fixture::new().await;
    fx.set_thresholds(0, 10_000_000, 100_000_000).await;
    fx.set_mode(BalanceMode::Ratio { ratio_bps: 4_000, band_bps: 500 }, default_automation()).await;
    fx.set_source(fx.reserve_vault, 1, 0, false).await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.close_token_account(fx.venue, fx.sink, &owner).await;
    // Against the backup (20,000,000): 5,000,000 local is 20%, well below 40%.
    fx.set_vault_balance(fx.hot_pool, fx.hot_vault, 5_000_000).await;

    let outcome = fx.crank_rebalance().await.expect("rebalance lands");
    let event: RatioRebalanced = one_event(&outcome.events);
    assert_eq!((event.counterpart, event.to_local), (fx.backup_vault, true));
    // 40% of 25,000,000.
    assert_eq!(fx.balance(fx.hot_vault).await, 10_000_000);
}
