use anchor_lang::{error::ErrorCode, prelude::Pubkey};
use smart_treasury::{
    constants::SPENDER_LAYOUT_VERSION,
    error::TreasuryError,
    events::{SpenderChanged, Spent},
    instructions::SpenderLimits,
    state::{MovedWindow, Spender},
};
use smart_treasury_tests::{ix, *};
use solana_keypair::Keypair;
use solana_signer::Signer;

const LIMIT: u64 = 1_000_000;
const PERIOD: u32 = 3_600;

fn limits(enabled: bool, limit_per_period: u64, period_seconds: u32) -> SpenderLimits {
    SpenderLimits { enabled, limit_per_period, period_seconds }
}

/// Adds `spender` to the hot vault with `LIMIT` per `PERIOD`; returns its account.
async fn add_hot_spender(fx: &mut Fixture, spender: &Keypair) -> Pubkey {
    let payer = fx.rt.payer().pubkey();
    let ix = ix::add_spender(
        payer,
        fx.authority.pubkey(),
        fx.treasury,
        fx.hot_pool,
        fx.hot_vault,
        spender.pubkey(),
        limits(true, LIMIT, PERIOD),
    );
    fx.as_authority(ix).await.expect("add spender");
    ix::spender_pda(&fx.hot_vault, &spender.pubkey())
}

async fn spend(fx: &mut Fixture, spender: &Keypair, amount: u64) -> Result<Outcome, Failure> {
    let ix = ix::spend(spender.pubkey(), fx.sink, fx.vault_accounts(fx.hot_pool, fx.hot_vault), amount);
    fx.rt.send(&[ix], &[spender]).await
}

/// The hot vault, the payout account and the spender account, to compare around a refusal.
async fn spend_state(fx: &mut Fixture, spender_account: Pubkey) -> Vec<RawAccountState> {
    let addresses = [fx.hot_vault, fx.sink, spender_account];
    raw_account_states(&mut fx.rt, &addresses).await
}

#[tokio::test]
async fn add_spender_stores_its_limits_and_emits_spender_changed() {
    let mut fx = Fixture::new().await;
    let spender = Keypair::new();
    let payer = fx.rt.payer().pubkey();
    let ix = ix::add_spender(
        payer,
        fx.authority.pubkey(),
        fx.treasury,
        fx.hot_pool,
        fx.hot_vault,
        spender.pubkey(),
        limits(true, LIMIT, PERIOD),
    );

    let outcome = fx.as_authority(ix).await.expect("add spender");

    let address = ix::spender_pda(&fx.hot_vault, &spender.pubkey());
    let stored: Spender = fx.rt.anchor_account(address).await;
    assert_eq!(stored.layout_version, SPENDER_LAYOUT_VERSION);
    assert_eq!(
        (stored.treasury, stored.pool, stored.vault, stored.spender),
        (fx.treasury, fx.hot_pool, fx.hot_vault, spender.pubkey())
    );
    assert!(stored.enabled);
    assert_eq!((stored.limit_per_period, stored.period_seconds, stored.spent), (LIMIT, PERIOD, MovedWindow::default()));
    let event: SpenderChanged = one_event(&outcome.events);
    assert_eq!(
        (event.treasury, event.spender_account, event.vault, event.spender),
        (fx.treasury, address, fx.hot_vault, spender.pubkey())
    );
    assert!(event.enabled && !event.removed);
    assert_eq!((event.limit_per_period, event.period_seconds), (LIMIT, PERIOD));
}

#[tokio::test]
async fn spend_within_the_limit_pays_the_recipient() {
    let mut fx = Fixture::new().await;
    let spender = Keypair::new();
    let account = add_hot_spender(&mut fx, &spender).await;
    let (vault_before, sink_before) = (fx.balance(fx.hot_vault).await, fx.balance(fx.sink).await);

    let outcome = spend(&mut fx, &spender, 400_000).await.expect("spend");

    assert_eq!(fx.balance(fx.hot_vault).await, vault_before - 400_000);
    assert_eq!(fx.balance(fx.sink).await, sink_before + 400_000);
    let event: Spent = one_event(&outcome.events);
    assert_eq!(
        (event.treasury, event.vault, event.spender, event.recipient),
        (fx.treasury, fx.hot_vault, spender.pubkey(), fx.sink)
    );
    assert_eq!((event.amount, event.received), (400_000, 400_000));
    assert_eq!((event.spent_in_period, event.limit_per_period), (400_000, LIMIT));
    assert_eq!((event.vault_before, event.vault_after), (vault_before, vault_before - 400_000));
    let stored: Spender = fx.rt.anchor_account(account).await;
    assert_eq!(stored.spent_in_period(fx.rt.clock().await.unix_timestamp), 400_000);
}

#[tokio::test]
async fn spend_beyond_what_is_left_this_period_is_refused() {
    let mut fx = Fixture::new().await;
    let spender = Keypair::new();
    let account = add_hot_spender(&mut fx, &spender).await;
    spend(&mut fx, &spender, 400_000).await.expect("first spend");
    let before = spend_state(&mut fx, account).await;

    assert_treasury_error(spend(&mut fx, &spender, LIMIT - 400_000 + 1).await, TreasuryError::SpendLimitExceeded);
    assert_eq!(spend_state(&mut fx, account).await, before);

    // Exactly what is left still goes through.
    let event: Spent = one_event(&spend(&mut fx, &spender, LIMIT - 400_000).await.expect("spend the rest").events);
    assert_eq!(event.spent_in_period, LIMIT);
}

#[tokio::test]
async fn spend_limit_frees_up_once_the_spend_leaves_the_rolling_period() {
    let mut fx = Fixture::new().await;
    let spender = Keypair::new();
    let account = add_hot_spender(&mut fx, &spender).await;
    spend(&mut fx, &spender, LIMIT).await.expect("spend the whole limit");

    fx.rt.advance_time(i64::from(PERIOD) - 1).await;
    let before = spend_state(&mut fx, account).await;
    assert_treasury_error(spend(&mut fx, &spender, 1).await, TreasuryError::SpendLimitExceeded);
    assert_eq!(spend_state(&mut fx, account).await, before);

    // A spend is counted for one period plus at most one slice (an eighth of it).
    fx.rt.advance_time(i64::from(PERIOD / 8) + 1).await;
    let outcome = spend(&mut fx, &spender, LIMIT).await.expect("spend once the first has left the period");
    let event: Spent = one_event(&outcome.events);
    assert_eq!(event.spent_in_period, LIMIT);
}

/// The limit holds for every window of one period. Before, it was per fixed period
/// starting when the spender was added: the whole limit just before the period's end
/// and again one second later paid out twice the limit within a second.
#[tokio::test]
async fn a_spender_cannot_pay_twice_its_limit_across_a_period_boundary() {
    let mut fx = Fixture::new().await;
    let spender = Keypair::new();
    let account = add_hot_spender(&mut fx, &spender).await;
    fx.rt.advance_time(i64::from(PERIOD) - 1).await;
    spend(&mut fx, &spender, LIMIT).await.expect("the whole limit, at the end of the first period");

    fx.rt.advance_time(1).await;
    let before = spend_state(&mut fx, account).await;
    assert_treasury_error(spend(&mut fx, &spender, LIMIT).await, TreasuryError::SpendLimitExceeded);
    assert_treasury_error(spend(&mut fx, &spender, 1).await, TreasuryError::SpendLimitExceeded);
    assert_eq!(spend_state(&mut fx, account).await, before);
}

#[tokio::test]
async fn disabled_spender_cannot_spend_until_re_enabled() {
    let mut fx = Fixture::new().await;
    let spender = Keypair::new();
    let account = add_hot_spender(&mut fx, &spender).await;

    let ix = ix::update_spender(fx.authority.pubkey(), fx.treasury, account, limits(false, 2 * LIMIT, 2 * PERIOD));
    let outcome = fx.as_authority(ix).await.expect("disable");
    let event: SpenderChanged = one_event(&outcome.events);
    assert!(!event.enabled && !event.removed);
    assert_eq!((event.limit_per_period, event.period_seconds), (2 * LIMIT, 2 * PERIOD));
    let stored: Spender = fx.rt.anchor_account(account).await;
    assert_eq!((stored.enabled, stored.limit_per_period, stored.period_seconds), (false, 2 * LIMIT, 2 * PERIOD));

    let before = spend_state(&mut fx, account).await;
    assert_treasury_error(spend(&mut fx, &spender, 1_000).await, TreasuryError::SpenderDisabled);
    assert_eq!(spend_state(&mut fx, account).await, before);

    let ix = ix::update_spender(fx.authority.pubkey(), fx.treasury, account, limits(true, 2 * LIMIT, 2 * PERIOD));
    fx.as_authority(ix).await.expect("re-enable");
    spend(&mut fx, &spender, 1_000).await.expect("spend once re-enabled");
}

#[tokio::test]
async fn remove_spender_closes_the_account_and_returns_its_rent() {
    let mut fx = Fixture::new().await;
    let spender = Keypair::new();
    let account = add_hot_spender(&mut fx, &spender).await;
    let rent = fx.rt.lamports(account).await;
    let receiver = Pubkey::new_unique();

    let outcome = fx
        .as_authority(ix::remove_spender(fx.authority.pubkey(), fx.treasury, account, receiver))
        .await
        .expect("remove");

    assert_eq!(fx.rt.lamports(receiver).await, rent);
    assert_eq!(raw_account_states(&mut fx.rt, &[account]).await, vec![None]);
    let event: SpenderChanged = one_event(&outcome.events);
    assert_eq!((event.spender_account, event.spender), (account, spender.pubkey()));
    assert!(event.removed && !event.enabled);

    let before = raw_account_states(&mut fx.rt, &[fx.hot_vault, fx.sink]).await;
    assert_anchor_error(spend(&mut fx, &spender, 1_000).await, ErrorCode::AccountNotInitialized);
    assert_eq!(raw_account_states(&mut fx.rt, &[fx.hot_vault, fx.sink]).await, before);
}

#[tokio::test]
async fn spend_while_paused_is_refused() {
    let mut fx = Fixture::new().await;
    let spender = Keypair::new();
    let account = add_hot_spender(&mut fx, &spender).await;
    let guardian = fx.guardian.insecure_clone();
    fx.rt.ok(&[ix::pause(guardian.pubkey(), fx.treasury)], &[&guardian]).await;
    let before = spend_state(&mut fx, account).await;

    assert_treasury_error(spend(&mut fx, &spender, 1_000).await, TreasuryError::Paused);
    assert_eq!(spend_state(&mut fx, account).await, before);
}

#[tokio::test]
async fn a_key_that_is_not_the_spender_cannot_use_its_allowance() {
    let mut fx = Fixture::new().await;
    let spender = Keypair::new();
    let account = add_hot_spender(&mut fx, &spender).await;
    let impostor = Keypair::new();
    let before = spend_state(&mut fx, account).await;

    // Naming the real spender's account: its address is not derived from the impostor.
    let mut ix = ix::spend(impostor.pubkey(), fx.sink, fx.vault_accounts(fx.hot_pool, fx.hot_vault), 1_000);
    let own = ix::spender_pda(&fx.hot_vault, &impostor.pubkey());
    ix.accounts.iter_mut().filter(|meta| meta.pubkey == own).for_each(|meta| meta.pubkey = account);
    assert_anchor_error(fx.rt.send(&[ix], &[&impostor]).await, ErrorCode::ConstraintSeeds);
    assert_eq!(spend_state(&mut fx, account).await, before);

    // Naming its own address: no spender was ever added there.
    assert_anchor_error(spend(&mut fx, &impostor, 1_000).await, ErrorCode::AccountNotInitialized);
    assert_eq!(spend_state(&mut fx, account).await, before);
}

#[tokio::test]
async fn add_spender_refuses_a_zero_period_a_zero_limit_or_a_period_over_366_days() {
    let mut fx = Fixture::new().await;
    let spender = Pubkey::new_unique();
    let account = ix::spender_pda(&fx.hot_vault, &spender);
    let payer = fx.rt.payer().pubkey();
    for bad in [limits(true, LIMIT, 0), limits(true, 0, PERIOD), limits(true, LIMIT, 366 * 86_400 + 1)] {
        let ix = ix::add_spender(payer, fx.authority.pubkey(), fx.treasury, fx.hot_pool, fx.hot_vault, spender, bad);
        assert_treasury_error(fx.as_authority(ix).await, TreasuryError::InvalidRateLimit);
        assert_eq!(raw_account_states(&mut fx.rt, &[account]).await, vec![None], "{bad:?}");
    }
}

#[tokio::test]
async fn update_spender_refuses_invalid_limits() {
    let mut fx = Fixture::new().await;
    let spender = Keypair::new();
    let account = add_hot_spender(&mut fx, &spender).await;
    let before = spend_state(&mut fx, account).await;
    for bad in [limits(true, LIMIT, 0), limits(false, 0, PERIOD)] {
        let ix = ix::update_spender(fx.authority.pubkey(), fx.treasury, account, bad);
        assert_treasury_error(fx.as_authority(ix).await, TreasuryError::InvalidRateLimit);
        assert_eq!(spend_state(&mut fx, account).await, before, "{bad:?}");
    }
}

#[tokio::test]
async fn only_the_authority_manages_spenders() {
    let mut fx = Fixture::new().await;
    let spender = Keypair::new();
    let account = add_hot_spender(&mut fx, &spender).await;
    let stranger = Keypair::new();
    let payer = fx.rt.payer().pubkey();
    let other = Pubkey::new_unique();
    let before = raw_account_states(&mut fx.rt, &[account, ix::spender_pda(&fx.hot_vault, &other)]).await;

    for ix in [
        ix::add_spender(
            payer,
            stranger.pubkey(),
            fx.treasury,
            fx.hot_pool,
            fx.hot_vault,
            other,
            limits(true, LIMIT, PERIOD),
        ),
        ix::update_spender(stranger.pubkey(), fx.treasury, account, limits(true, 100 * LIMIT, PERIOD)),
        ix::remove_spender(stranger.pubkey(), fx.treasury, account, stranger.pubkey()),
    ] {
        assert_treasury_error(fx.rt.send(&[ix], &[&stranger]).await, TreasuryError::NotAuthority);
        assert_eq!(raw_account_states(&mut fx.rt, &[account, ix::spender_pda(&fx.hot_vault, &other)]).await, before);
    }
}
