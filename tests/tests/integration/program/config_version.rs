//! Config versions that mean what they say: a re-created managed balance never repeats
//! a closed one's, and authority-side changes can carry the version they were built on.

use smart_treasury::{
    error::TreasuryError,
    instructions::LinkSourceArgs,
    state::{ManagedBalance, Treasury},
};
use smart_treasury_tests::{ix, *};
use solana_signer::Signer;

/// Before, a re-created balance started again at version 1: after the same number of
/// changes it reached the closed one's version, and a keeper transaction built for the
/// closed balance landed on the new one.
#[tokio::test]
async fn a_re_created_managed_balance_never_repeats_a_closed_ones_config_version() {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    let old_version = fx.config_version().await;
    let old_crank = ix::top_up(fx.keeper.pubkey(), fx.balance_accounts(), old_version, &fx.sources());

    let (a, treasury, payer) = (fx.authority.pubkey(), fx.treasury, fx.rt.payer().pubkey());
    fx.as_authority(ix::close_managed_balance(a, treasury, fx.managed_balance, a)).await.expect("close");
    let args = managed_balance_args(MANAGED_BALANCE_ID, "hot wallet USDC");
    let create =
        ix::create_managed_balance(payer, a, treasury, fx.hot_vault, fx.hot_pool, fx.mint, fx.token_program, args);
    fx.as_authority(create).await.expect("re-create at the same address");
    // The same three links as before: as many changes as the closed balance had.
    for (priority, (source, pool)) in (1u8..).zip(fx.sources()) {
        let args = LinkSourceArgs { priority, reserve_floor: 0, enabled: true, returns_allowed: false };
        fx.as_authority(ix::link_source(a, treasury, fx.managed_balance, source, pool, args)).await.expect("link");
    }
    let new_version = fx.config_version().await;
    assert!(new_version > old_version, "{new_version} after {old_version}");
    let before = fx.snapshot().await;

    assert_treasury_error(fx.as_keeper(old_crank).await, TreasuryError::StaleConfigVersion);
    assert_eq!(fx.snapshot().await, before);
}

/// Two proposals built on the same state: the second would land on settings it never
/// saw. Each carries the version it was built on, so the second fails instead.
#[tokio::test]
async fn a_balance_change_built_on_a_stale_version_fails_with_its_guard() {
    let mut fx = Fixture::new().await;
    let (a, treasury, managed_balance) = (fx.authority.pubkey(), fx.treasury, fx.managed_balance);
    let version = fx.config_version().await;
    let guard = ix::expect_balance_version(treasury, managed_balance, version);
    let first = [guard.clone(), ix::update_thresholds(a, treasury, managed_balance, MIN, TARGET, MAX + 1)];
    let second = [guard, ix::set_enabled(a, treasury, managed_balance, false)];

    let authority = fx.authority.insecure_clone();
    fx.rt.send(&first, &[&authority]).await.expect("the first proposal lands");
    let before: ManagedBalance = fx.managed().await;
    assert_treasury_error(fx.rt.send(&second, &[&authority]).await, TreasuryError::StaleConfigVersion);
    let after: ManagedBalance = fx.managed().await;
    assert!(after.enabled);
    assert_eq!(after.config_version, before.config_version);

    // Rebuilt on the current version, it lands.
    let guard = ix::expect_balance_version(treasury, managed_balance, after.config_version);
    fx.rt.send(&[guard, ix::set_enabled(a, treasury, managed_balance, false)], &[&authority]).await.expect("rebuilt");
    assert!(!fx.managed().await.enabled);
}

#[tokio::test]
async fn a_treasury_change_built_on_a_stale_version_fails_with_its_guard() {
    let mut fx = Fixture::new().await;
    let (a, treasury) = (fx.authority.pubkey(), fx.treasury);
    let treasury_state: Treasury = fx.rt.anchor_account(treasury).await;
    let guard = ix::expect_treasury_version(treasury, treasury_state.config_version);
    let new_guardian = solana_keypair::Keypair::new().pubkey();
    let authority = fx.authority.insecure_clone();

    fx.rt.send(&[guard.clone(), ix::set_guardian(a, treasury, new_guardian)], &[&authority]).await.expect("first");
    let pause = ix::pause(a, treasury);
    assert_treasury_error(fx.rt.send(&[guard, pause], &[&authority]).await, TreasuryError::StaleTreasuryConfig);
    let after: Treasury = fx.rt.anchor_account(treasury).await;
    assert!(!after.paused);
    assert_eq!(after.guardian, new_guardian);
}

#[tokio::test]
async fn a_guard_only_reads_the_balance_of_its_own_treasury() {
    let mut fx = Fixture::new().await;
    let (other_create_key, other_treasury) =
        create_bare_treasury(&mut fx.rt, fx.authority.pubkey(), fx.guardian.pubkey()).await;
    drop(other_create_key);
    let version = fx.config_version().await;
    let guard = ix::expect_balance_version(other_treasury, fx.managed_balance, version);
    // Its address derives from the treasury, so another treasury's seeds do not match.
    assert_anchor_error(fx.rt.send(&[guard], &[]).await, anchor_lang::error::ErrorCode::ConstraintSeeds);
}
