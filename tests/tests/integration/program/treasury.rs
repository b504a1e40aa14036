use anchor_lang::prelude::Pubkey;
use smart_treasury::{
    constants::MAX_KEEPERS,
    error::TreasuryError,
    events::{TreasuryChange, TreasuryChanged},
    instructions::CreateTreasuryArgs,
    state::{CrankAccess, Treasury},
};
use smart_treasury_tests::{ix, *};
use solana_keypair::Keypair;
use solana_signer::Signer;

async fn treasury(fx: &mut Fixture) -> Treasury {
    fx.rt.anchor_account(fx.treasury).await
}

async fn treasury_state(fx: &mut Fixture) -> Vec<RawAccountState> {
    let treasury = fx.treasury;
    raw_account_states(&mut fx.rt, &[treasury]).await
}

/// Sends `ix` signed by `signer` and returns its single `TreasuryChanged` event.
async fn change(
    fx: &mut Fixture,
    ix: anchor_lang::solana_program::instruction::Instruction,
    signer: &Keypair,
) -> TreasuryChanged {
    let outcome = fx.rt.ok(&[ix], &[signer]).await;
    let event: TreasuryChanged = one_event(&outcome.events);
    assert_eq!(event.treasury, fx.treasury);
    event
}

fn keys(count: usize) -> Vec<Pubkey> {
    (0..count).map(|_| Pubkey::new_unique()).collect()
}

#[tokio::test]
async fn create_treasury_stores_its_fields_and_emits_created() {
    let mut rt = Runtime::start().await;
    let (authority, guardian, create_key) = (Pubkey::new_unique(), Pubkey::new_unique(), Keypair::new());
    let keepers = keys(2);
    let args =
        CreateTreasuryArgs { authority, guardian, crank_access: CrankAccess::AllowList, keepers: keepers.clone() };
    let payer = rt.payer().pubkey();

    let outcome = rt.ok(&[ix::create_treasury(payer, create_key.pubkey(), args)], &[&create_key]).await;

    let address = ix::treasury_pda(&create_key.pubkey());
    let stored: Treasury = rt.anchor_account(address).await;
    assert_eq!(stored.layout_version, 1);
    assert_eq!(stored.create_key, create_key.pubkey());
    assert_eq!((stored.authority, stored.guardian), (authority, guardian));
    assert_eq!(stored.pending_authority, None);
    assert!(!stored.paused);
    assert_eq!(stored.crank_access, CrankAccess::AllowList);
    assert_eq!(stored.active_keepers(), keepers.as_slice());
    assert!(stored.keepers[2..].iter().all(|k| *k == Pubkey::default()));
    assert_eq!(stored.config_version, 1);
    let event: TreasuryChanged = one_event(&outcome.events);
    assert_eq!(event.treasury, address);
    assert_eq!(event.change, TreasuryChange::Created { authority, guardian, crank_access: CrankAccess::AllowList });
    assert_eq!(event.config_version, 1);
    assert_eq!(event.slot, rt.clock().await.slot);
}

#[tokio::test]
async fn recreating_a_treasury_with_the_same_create_key_fails() {
    let mut rt = Runtime::start().await;
    let original_authority = Pubkey::new_unique();
    let (create_key, treasury) = create_bare_treasury(&mut rt, original_authority, Pubkey::new_unique()).await;
    let before = raw_account_states(&mut rt, &[treasury]).await;

    // An attacker-chosen authority must not overwrite the existing treasury.
    let args = CreateTreasuryArgs {
        authority: Pubkey::new_unique(),
        guardian: Pubkey::new_unique(),
        crank_access: CrankAccess::Permissionless,
        keepers: vec![],
    };
    let payer = rt.payer().pubkey();
    let result = rt.send(&[ix::create_treasury(payer, create_key.pubkey(), args)], &[&create_key]).await;

    assert_treasury_error(result, TreasuryError::AlreadyInitialized);
    assert_eq!(raw_account_states(&mut rt, &[treasury]).await, before);
    let stored: Treasury = rt.anchor_account(treasury).await;
    assert_eq!(stored.authority, original_authority);
}

#[tokio::test]
async fn create_treasury_refuses_more_than_eight_keepers() {
    let mut rt = Runtime::start().await;
    let create_key = Keypair::new();
    let args = CreateTreasuryArgs {
        authority: Pubkey::new_unique(),
        guardian: Pubkey::new_unique(),
        crank_access: CrankAccess::AllowList,
        keepers: keys(MAX_KEEPERS + 1),
    };
    let payer = rt.payer().pubkey();
    let result = rt.send(&[ix::create_treasury(payer, create_key.pubkey(), args)], &[&create_key]).await;
    assert_treasury_error(result, TreasuryError::TooManyKeepers);
    assert_eq!(raw_account_states(&mut rt, &[ix::treasury_pda(&create_key.pubkey())]).await, vec![None]);
}

#[tokio::test]
async fn authority_handover_takes_a_proposal_and_an_acceptance() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let old = fx.authority.insecure_clone();
    let new = Keypair::new();
    let version = treasury(&mut fx).await.config_version;

    let event = change(&mut fx, ix::propose_authority(old.pubkey(), t, Some(new.pubkey())), &old).await;
    assert_eq!(event.change, TreasuryChange::AuthorityProposed { proposed: Some(new.pubkey()) });
    assert_eq!(event.config_version, version + 1);
    let stored = treasury(&mut fx).await;
    assert_eq!((stored.authority, stored.pending_authority), (old.pubkey(), Some(new.pubkey())));

    // Until it accepts, the proposed key has no power and the old authority keeps governing.
    let before = treasury_state(&mut fx).await;
    let result = fx.rt.send(&[ix::set_guardian(new.pubkey(), t, new.pubkey())], &[&new]).await;
    assert_treasury_error(result, TreasuryError::NotAuthority);
    assert_eq!(treasury_state(&mut fx).await, before);
    let interim_guardian = Pubkey::new_unique();
    change(&mut fx, ix::set_guardian(old.pubkey(), t, interim_guardian), &old).await;
    assert_eq!(treasury(&mut fx).await.guardian, interim_guardian);

    let event = change(&mut fx, ix::accept_authority(new.pubkey(), t), &new).await;
    assert_eq!(event.change, TreasuryChange::AuthorityAccepted { previous: old.pubkey(), authority: new.pubkey() });
    assert_eq!(event.config_version, version + 3);
    let stored = treasury(&mut fx).await;
    assert_eq!((stored.authority, stored.pending_authority), (new.pubkey(), None));

    let final_guardian = Pubkey::new_unique();
    change(&mut fx, ix::set_guardian(new.pubkey(), t, final_guardian), &new).await;
    assert_eq!(treasury(&mut fx).await.guardian, final_guardian);
    let before = treasury_state(&mut fx).await;
    let result = fx.rt.send(&[ix::set_guardian(old.pubkey(), t, old.pubkey())], &[&old]).await;
    assert_treasury_error(result, TreasuryError::NotAuthority);
    assert_eq!(treasury_state(&mut fx).await, before);
}

#[tokio::test]
async fn accept_by_a_key_other_than_the_proposed_one_is_refused() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let authority = fx.authority.insecure_clone();
    let proposed = Pubkey::new_unique();
    change(&mut fx, ix::propose_authority(authority.pubkey(), t, Some(proposed)), &authority).await;
    let before = treasury_state(&mut fx).await;

    let intruder = Keypair::new();
    let result = fx.rt.send(&[ix::accept_authority(intruder.pubkey(), t)], &[&intruder]).await;

    assert_treasury_error(result, TreasuryError::NotPendingAuthority);
    assert_eq!(treasury_state(&mut fx).await, before);
    let stored = treasury(&mut fx).await;
    assert_eq!((stored.authority, stored.pending_authority), (authority.pubkey(), Some(proposed)));
}

#[tokio::test]
async fn accept_with_nothing_pending_is_refused() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let before = treasury_state(&mut fx).await;
    let claimant = Keypair::new();
    let result = fx.rt.send(&[ix::accept_authority(claimant.pubkey(), t)], &[&claimant]).await;
    assert_treasury_error(result, TreasuryError::NoPendingAuthority);
    assert_eq!(treasury_state(&mut fx).await, before);
}

#[tokio::test]
async fn proposing_none_cancels_a_pending_handover() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let authority = fx.authority.insecure_clone();
    let proposed = Keypair::new();
    change(&mut fx, ix::propose_authority(authority.pubkey(), t, Some(proposed.pubkey())), &authority).await;

    let event = change(&mut fx, ix::propose_authority(authority.pubkey(), t, None), &authority).await;
    assert_eq!(event.change, TreasuryChange::AuthorityProposed { proposed: None });
    assert_eq!(treasury(&mut fx).await.pending_authority, None);

    // The withdrawn proposal can no longer be accepted.
    let before = treasury_state(&mut fx).await;
    let result = fx.rt.send(&[ix::accept_authority(proposed.pubkey(), t)], &[&proposed]).await;
    assert_treasury_error(result, TreasuryError::NoPendingAuthority);
    assert_eq!(treasury_state(&mut fx).await, before);
    assert_eq!(treasury(&mut fx).await.authority, authority.pubkey());
}

#[tokio::test]
async fn set_guardian_hands_the_pause_right_to_the_new_guardian() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let authority = fx.authority.insecure_clone();
    let old_guardian = fx.guardian.insecure_clone();
    let new_guardian = Keypair::new();

    let event = change(&mut fx, ix::set_guardian(authority.pubkey(), t, new_guardian.pubkey()), &authority).await;
    assert_eq!(
        event.change,
        TreasuryChange::GuardianSet { previous: old_guardian.pubkey(), guardian: new_guardian.pubkey() }
    );
    assert_eq!(treasury(&mut fx).await.guardian, new_guardian.pubkey());

    let before = treasury_state(&mut fx).await;
    let result = fx.rt.send(&[ix::pause(old_guardian.pubkey(), t)], &[&old_guardian]).await;
    assert_treasury_error(result, TreasuryError::NotGuardianOrAuthority);
    assert_eq!(treasury_state(&mut fx).await, before);

    let event = change(&mut fx, ix::pause(new_guardian.pubkey(), t), &new_guardian).await;
    assert_eq!(event.change, TreasuryChange::Paused { by: new_guardian.pubkey() });
    assert!(treasury(&mut fx).await.paused);
}

#[tokio::test]
async fn guardian_can_pause_but_not_unpause_or_change_settings() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let guardian = fx.guardian.insecure_clone();
    let authority = fx.authority.insecure_clone();
    let version = treasury(&mut fx).await.config_version;

    let event = change(&mut fx, ix::pause(guardian.pubkey(), t), &guardian).await;
    assert_eq!(event.change, TreasuryChange::Paused { by: guardian.pubkey() });
    assert_eq!(event.config_version, version + 1);
    assert!(treasury(&mut fx).await.paused);

    let before = treasury_state(&mut fx).await;
    let g = guardian.pubkey();
    for ix in [
        ix::unpause(g, t),
        ix::set_guardian(g, t, Pubkey::new_unique()),
        ix::propose_authority(g, t, Some(g)),
        ix::set_crank_access(g, t, CrankAccess::AllowList, vec![g]),
    ] {
        assert_treasury_error(fx.rt.send(&[ix], &[&guardian]).await, TreasuryError::NotAuthority);
        assert_eq!(treasury_state(&mut fx).await, before);
    }

    let event = change(&mut fx, ix::unpause(authority.pubkey(), t), &authority).await;
    assert_eq!(event.change, TreasuryChange::Unpaused { by: authority.pubkey() });
    assert_eq!(event.config_version, version + 2);
    assert!(!treasury(&mut fx).await.paused);
}

#[tokio::test]
async fn authority_can_pause() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let authority = fx.authority.insecure_clone();
    let event = change(&mut fx, ix::pause(authority.pubkey(), t), &authority).await;
    assert_eq!(event.change, TreasuryChange::Paused { by: authority.pubkey() });
    assert!(treasury(&mut fx).await.paused);
}

#[tokio::test]
async fn a_random_key_cannot_pause() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let before = treasury_state(&mut fx).await;
    let stranger = Keypair::new();
    let result = fx.rt.send(&[ix::pause(stranger.pubkey(), t)], &[&stranger]).await;
    assert_treasury_error(result, TreasuryError::NotGuardianOrAuthority);
    assert_eq!(treasury_state(&mut fx).await, before);
    assert!(!treasury(&mut fx).await.paused);
}

#[tokio::test]
async fn unpause_when_not_paused_is_refused() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let authority = fx.authority.insecure_clone();
    let before = treasury_state(&mut fx).await;
    let result = fx.rt.send(&[ix::unpause(authority.pubkey(), t)], &[&authority]).await;
    assert_treasury_error(result, TreasuryError::NotPaused);
    assert_eq!(treasury_state(&mut fx).await, before);
}

#[tokio::test]
async fn set_crank_access_replaces_the_allow_list() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let authority = fx.authority.insecure_clone();
    let full = keys(MAX_KEEPERS);

    let event =
        change(&mut fx, ix::set_crank_access(authority.pubkey(), t, CrankAccess::AllowList, full.clone()), &authority)
            .await;
    assert_eq!(
        event.change,
        TreasuryChange::CrankAccessSet { crank_access: CrankAccess::AllowList, keepers: full.clone() }
    );
    let stored = treasury(&mut fx).await;
    assert_eq!(stored.crank_access, CrankAccess::AllowList);
    assert_eq!(stored.active_keepers(), full.as_slice());

    // A shorter list must not leave the dropped keepers behind in the fixed array.
    let short = vec![full[0]];
    change(&mut fx, ix::set_crank_access(authority.pubkey(), t, CrankAccess::AllowList, short.clone()), &authority)
        .await;
    let stored = treasury(&mut fx).await;
    assert_eq!(stored.active_keepers(), short.as_slice());
    assert!(stored.keepers[1..].iter().all(|k| *k == Pubkey::default()));
    assert!(!stored.may_crank(&full[1]));

    let event =
        change(&mut fx, ix::set_crank_access(authority.pubkey(), t, CrankAccess::Permissionless, vec![]), &authority)
            .await;
    assert_eq!(
        event.change,
        TreasuryChange::CrankAccessSet { crank_access: CrankAccess::Permissionless, keepers: vec![] }
    );
    let stored = treasury(&mut fx).await;
    assert_eq!((stored.crank_access, stored.keeper_count), (CrankAccess::Permissionless, 0));
}

#[tokio::test]
async fn set_crank_access_refuses_more_than_eight_keepers() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let authority = fx.authority.insecure_clone();
    let before = treasury_state(&mut fx).await;
    let ix = ix::set_crank_access(authority.pubkey(), t, CrankAccess::AllowList, keys(MAX_KEEPERS + 1));
    assert_treasury_error(fx.rt.send(&[ix], &[&authority]).await, TreasuryError::TooManyKeepers);
    assert_eq!(treasury_state(&mut fx).await, before);
}

#[tokio::test]
async fn set_crank_access_refuses_duplicate_keepers() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let authority = fx.authority.insecure_clone();
    let before = treasury_state(&mut fx).await;
    let keeper = Pubkey::new_unique();
    let ix =
        ix::set_crank_access(authority.pubkey(), t, CrankAccess::AllowList, vec![keeper, Pubkey::new_unique(), keeper]);
    assert_treasury_error(fx.rt.send(&[ix], &[&authority]).await, TreasuryError::DuplicateKeeper);
    assert_eq!(treasury_state(&mut fx).await, before);
}

#[tokio::test]
async fn config_version_increments_on_every_treasury_change() {
    let mut fx = Fixture::new().await;
    let t = fx.treasury;
    let authority = fx.authority.insecure_clone();
    let guardian = fx.guardian.insecure_clone();
    let successor = Keypair::new();
    assert_eq!(treasury(&mut fx).await.config_version, 1);

    let steps: Vec<(anchor_lang::solana_program::instruction::Instruction, &Keypair)> = vec![
        (ix::set_guardian(authority.pubkey(), t, guardian.pubkey()), &authority),
        (ix::set_crank_access(authority.pubkey(), t, CrankAccess::AllowList, keys(1)), &authority),
        (ix::pause(guardian.pubkey(), t), &guardian),
        (ix::unpause(authority.pubkey(), t), &authority),
        (ix::propose_authority(authority.pubkey(), t, Some(successor.pubkey())), &authority),
        (ix::accept_authority(successor.pubkey(), t), &successor),
    ];
    for (expected, (ix, signer)) in (2u64..).zip(steps) {
        let event = change(&mut fx, ix, signer).await;
        assert_eq!(event.config_version, expected);
        assert_eq!(treasury(&mut fx).await.config_version, expected);
    }
}
