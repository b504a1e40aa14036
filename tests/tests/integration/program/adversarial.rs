//! The sealevel attack classes, one test each: a correct instruction from the `ix`
//! builders with one account meta or flag changed, rejected with a specific error and
//! nothing moved.

use anchor_lang::error::ErrorCode;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::{instruction::Instruction, system_instruction};
use anchor_spl::associated_token::get_associated_token_address_with_program_id;
use smart_treasury::{
    constants::POOL_SEED,
    error::TreasuryError,
    instructions::{CreateManagedBalanceArgs, CreateTreasuryArgs, LinkSourceArgs},
    state::{AccountKind, BalanceMode, CrankAccess, ManagedBalance},
};
use smart_treasury_tests::{ix, *};
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;

/// `ix` with the single account meta at `old` pointing at `new`, flags kept.
fn substitute(mut ix: Instruction, old: Pubkey, new: Pubkey) -> Instruction {
    let mut hits = ix.accounts.iter_mut().filter(|meta| meta.pubkey == old);
    hits.next().expect("account is in the instruction").pubkey = new;
    assert!(hits.next().is_none(), "{old} appears more than once");
    ix
}

/// `ix` with `key` no longer marked as a signer.
fn unsigned(mut ix: Instruction, key: Pubkey) -> Instruction {
    ix.accounts.iter_mut().filter(|meta| meta.pubkey == key).for_each(|meta| meta.is_signer = false);
    ix
}

/// An honest threshold top-up of the fixture's managed balance naming `sources`.
async fn top_up_ix(fx: &mut Fixture, sources: &[(Pubkey, Pubkey)]) -> Instruction {
    let version = fx.config_version().await;
    ix::top_up(fx.keeper.pubkey(), fx.balance_accounts(), version, sources)
}

async fn as_keeper(fx: &mut Fixture, ix: Instruction) -> Result<Outcome, Failure> {
    let keeper = fx.keeper.insecure_clone();
    fx.rt.send(&[ix], &[&keeper]).await
}

/// The hot vault below `min`, so an honest top-up would move tokens: every rejection
/// below is the mutation's doing, not a lack of need.
async fn below_min() -> Fixture {
    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    fx
}

fn withdraw_hot(fx: &Fixture, amount: u64) -> Instruction {
    ix::withdraw(fx.authority.pubkey(), fx.sink, fx.vault_accounts(fx.hot_pool, fx.hot_vault), amount)
}

/// A second treasury in the same runtime, governed by someone else, with one funded
/// vault of the fixture's mint.
struct OtherTreasury {
    authority: Keypair,
    create_key: Keypair,
    treasury: Pubkey,
    pool: Pubkey,
    vault: Pubkey,
}

const OTHER_FUNDS: u64 = 7_000_000;

async fn other_treasury(fx: &mut Fixture) -> OtherTreasury {
    let authority = fx.rt.funded_keypair().await;
    let create_key = Keypair::new();
    let payer = fx.rt.payer().pubkey();
    let args = CreateTreasuryArgs {
        authority: authority.pubkey(),
        guardian: authority.pubkey(),
        crank_access: CrankAccess::Permissionless,
        keepers: vec![],
    };
    fx.rt.ok(&[ix::create_treasury(payer, create_key.pubkey(), args)], &[&create_key]).await;
    let treasury = ix::treasury_pda(&create_key.pubkey());
    let pool = ix::pool_pda(&treasury, 1);
    fx.rt
        .ok(
            &[
                ix::create_pool(payer, authority.pubkey(), treasury, 1, "other"),
                ix::create_vault(payer, authority.pubkey(), treasury, pool, fx.mint, fx.token_program),
            ],
            &[&authority],
        )
        .await;
    let vault = get_associated_token_address_with_program_id(&pool, &fx.mint, &fx.token_program);
    fx.rt.mint_to(fx.mint, vault, OTHER_FUNDS).await;
    OtherTreasury { authority, create_key, treasury, pool, vault }
}

// 1. Missing signer.

#[tokio::test]
async fn authority_instructions_refuse_an_authority_that_did_not_sign() {
    let mut fx = Fixture::new().await;
    let before = fx.rt.account_data(fx.managed_balance).await;
    let ix = ix::update_thresholds(fx.authority.pubkey(), fx.treasury, fx.managed_balance, 1, 2, 3);
    assert_anchor_error(fx.rt.send(&[unsigned(ix, fx.authority.pubkey())], &[]).await, ErrorCode::AccountNotSigner);
    assert_eq!(fx.rt.account_data(fx.managed_balance).await, before);

    let balances = fx.snapshot().await;
    let ix = unsigned(withdraw_hot(&fx, 1), fx.authority.pubkey());
    assert_anchor_error(fx.rt.send(&[ix], &[]).await, ErrorCode::AccountNotSigner);
    // Signing as someone else in the authority's place is no better.
    let ix = substitute(withdraw_hot(&fx, 1), fx.authority.pubkey(), fx.keeper.pubkey());
    assert_treasury_error(as_keeper(&mut fx, ix).await, TreasuryError::NotAuthority);
    assert_eq!(fx.snapshot().await, balances);
}

#[tokio::test]
async fn top_up_refuses_a_keeper_that_did_not_sign() {
    let mut fx = below_min().await;
    let before = fx.snapshot().await;
    let sources = fx.sources();
    let ix = unsigned(top_up_ix(&mut fx, &sources).await, fx.keeper.pubkey());
    assert_anchor_error(fx.rt.send(&[ix], &[]).await, ErrorCode::AccountNotSigner);
    assert_eq!(fx.snapshot().await, before);
}

// 2. Wrong owner.

#[tokio::test]
async fn a_system_account_is_refused_as_a_destination_or_a_vault() {
    let mut fx = below_min().await;
    let before = fx.snapshot().await;
    let sources = fx.sources();
    let wallet = fx.keeper.pubkey();
    // The destination is compared with the stored one before anything reads it.
    let ix = substitute(top_up_ix(&mut fx, &sources).await, fx.hot_vault, wallet);
    assert_treasury_error(as_keeper(&mut fx, ix).await, TreasuryError::WrongDestination);

    let ix = substitute(withdraw_hot(&fx, 1), fx.hot_vault, wallet);
    assert_anchor_error(fx.as_authority(ix).await, ErrorCode::AccountOwnedByWrongProgram);
    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn link_source_refuses_a_system_account_and_a_token_account_of_another_mint() {
    let mut fx = Fixture::new().await;
    let before = fx.rt.account_data(fx.managed_balance).await;
    let (a, treasury, managed, pool) = (fx.authority.pubkey(), fx.treasury, fx.managed_balance, fx.reserve_pool);
    let link = |source| {
        let args = LinkSourceArgs { priority: 9, reserve_floor: 0, enabled: true, returns_allowed: false };
        ix::link_source(a, treasury, managed, source, pool, args)
    };
    assert_treasury_error(fx.as_authority(link(fx.keeper.pubkey())).await, TreasuryError::NotATokenAccount);

    let other_mint = fx.rt.create_mint(fx.token_program, 6, &[]).await;
    let foreign = fx.rt.create_token_account(other_mint, fx.reserve_pool, fx.token_program).await;
    assert_treasury_error(fx.as_authority(link(foreign)).await, TreasuryError::WrongMint);
    assert_eq!(fx.rt.account_data(fx.managed_balance).await, before);
}

#[tokio::test]
async fn top_up_refuses_a_foreign_mint_account_in_a_source_slot() {
    let mut fx = below_min().await;
    let other_mint = fx.rt.create_mint(fx.token_program, 6, &[]).await;
    let foreign = fx.rt.create_token_account(other_mint, fx.reserve_pool, fx.token_program).await;
    fx.rt.mint_to(other_mint, foreign, RESERVE_FUNDS).await;
    let before = fx.snapshot().await;
    let sources = fx.sources();
    let ix = substitute(top_up_ix(&mut fx, &sources).await, fx.reserve_vault, foreign);
    assert_treasury_error(as_keeper(&mut fx, ix).await, TreasuryError::WrongSourceAccounts);
    assert_eq!(fx.snapshot().await, before);
    assert_eq!(fx.balance(foreign).await, RESERVE_FUNDS);
}

// 3. Account substitution.

#[tokio::test]
async fn top_up_refuses_an_unlinked_vault_of_a_source_pool() {
    let mut fx = below_min().await;
    let unlinked = fx.rt.create_token_account(fx.mint, fx.reserve_pool, fx.token_program).await;
    fx.rt.mint_to(fx.mint, unlinked, RESERVE_FUNDS).await;
    let before = fx.snapshot().await;
    let sources = fx.sources();
    let ix = substitute(top_up_ix(&mut fx, &sources).await, fx.reserve_vault, unlinked);
    assert_treasury_error(as_keeper(&mut fx, ix).await, TreasuryError::WrongSourceAccounts);
    assert_eq!(fx.snapshot().await, before);
    assert_eq!(fx.balance(unlinked).await, RESERVE_FUNDS);
}

#[tokio::test]
async fn another_treasurys_pool_and_vault_cannot_fund_this_managed_balance() {
    let mut fx = below_min().await;
    let other = other_treasury(&mut fx).await;
    let managed_before = fx.rt.account_data(fx.managed_balance).await;
    let args = LinkSourceArgs { priority: 9, reserve_floor: 0, enabled: true, returns_allowed: false };
    let link = ix::link_source(fx.authority.pubkey(), fx.treasury, fx.managed_balance, other.vault, other.pool, args);
    // The pool's seeds are checked against this treasury before its `treasury` field.
    assert_anchor_error(fx.as_authority(link).await, ErrorCode::ConstraintSeeds);
    assert_eq!(fx.rt.account_data(fx.managed_balance).await, managed_before);

    let before = fx.snapshot().await;
    let mut sources = fx.sources();
    sources[0] = (other.vault, other.pool);
    let ix = top_up_ix(&mut fx, &sources).await;
    assert_treasury_error(as_keeper(&mut fx, ix).await, TreasuryError::WrongSourceAccounts);
    assert_eq!(fx.snapshot().await, before);
    assert_eq!(fx.balance(other.vault).await, OTHER_FUNDS);
}

#[tokio::test]
async fn another_treasurys_authority_cannot_reach_this_treasurys_accounts_through_its_own() {
    let mut fx = below_min().await;
    let other = other_treasury(&mut fx).await;
    let attacker = other.authority.insecure_clone();
    let managed_before = fx.rt.account_data(fx.managed_balance).await;
    let balances = fx.snapshot().await;

    let ix = ix::update_thresholds(attacker.pubkey(), other.treasury, fx.managed_balance, 1, 1, 1);
    assert_anchor_error(fx.rt.send(&[ix], &[&attacker]).await, ErrorCode::ConstraintSeeds);

    let sources = fx.sources();
    let ix = substitute(top_up_ix(&mut fx, &sources).await, fx.treasury, other.treasury);
    assert_anchor_error(as_keeper(&mut fx, ix).await, ErrorCode::ConstraintSeeds);

    // Its treasury with this treasury's pool: the pool's seeds name the other treasury.
    let (vault, mint, token_program, sink) = (fx.hot_vault, fx.mint, fx.token_program, fx.sink);
    let theft = |pool| {
        let v = ix::VaultAccounts { treasury: other.treasury, pool, vault, mint, token_program };
        ix::withdraw(attacker.pubkey(), sink, v, 1)
    };
    assert_anchor_error(fx.rt.send(&[theft(fx.hot_pool)], &[&attacker]).await, ErrorCode::ConstraintSeeds);
    // Its own pool does not own this treasury's vault.
    assert_anchor_error(fx.rt.send(&[theft(other.pool)], &[&attacker]).await, ErrorCode::ConstraintTokenOwner);

    assert_eq!(fx.rt.account_data(fx.managed_balance).await, managed_before);
    assert_eq!(fx.snapshot().await, balances);
}

// 4. Type cosplay.

#[tokio::test]
async fn a_pool_is_not_a_managed_balance_and_a_treasury_is_not_a_pool() {
    let mut fx = below_min().await;
    let before = fx.snapshot().await;
    let sources = fx.sources();
    let ix = substitute(top_up_ix(&mut fx, &sources).await, fx.managed_balance, fx.hot_pool);
    assert_anchor_error(as_keeper(&mut fx, ix).await, ErrorCode::AccountDiscriminatorMismatch);

    let ix = substitute(withdraw_hot(&fx, 1), fx.hot_pool, fx.treasury);
    assert_anchor_error(fx.as_authority(ix).await, ErrorCode::AccountDiscriminatorMismatch);
    assert_eq!(fx.snapshot().await, before);
}

// 5. Re-initialisation.

#[tokio::test]
async fn create_treasury_cannot_reinitialise_an_existing_treasury() {
    let mut fx = Fixture::new().await;
    let other = other_treasury(&mut fx).await;
    let before = fx.rt.account_data(other.treasury).await.expect("treasury exists");
    let payer = fx.rt.payer().pubkey();
    // Same create key, an attacker's authority: would hand the treasury over.
    let args = CreateTreasuryArgs {
        authority: fx.keeper.pubkey(),
        guardian: fx.keeper.pubkey(),
        crank_access: CrankAccess::Permissionless,
        keepers: vec![],
    };
    let create_key = other.create_key.insecure_clone();
    assert_treasury_error(
        fx.rt.send(&[ix::create_treasury(payer, create_key.pubkey(), args)], &[&create_key]).await,
        TreasuryError::AlreadyInitialized,
    );
    assert_eq!(fx.rt.account_data(other.treasury).await, Some(before));
}

#[tokio::test]
async fn create_pool_and_create_managed_balance_cannot_reinitialise_existing_accounts() {
    let mut fx = Fixture::new().await;
    let payer = fx.rt.payer().pubkey();
    let pool_before = fx.rt.account_data(fx.hot_pool).await;
    let ix = ix::create_pool(payer, fx.authority.pubkey(), fx.treasury, 1, "renamed");
    assert_treasury_error(fx.as_authority(ix).await, TreasuryError::AlreadyInitialized);
    assert_eq!(fx.rt.account_data(fx.hot_pool).await, pool_before);

    let managed_before = fx.rt.account_data(fx.managed_balance).await;
    let args = CreateManagedBalanceArgs {
        id: MANAGED_BALANCE_ID,
        name: "reset".to_string(),
        min: 0,
        target: 1,
        max: 1,
        mode: BalanceMode::Threshold,
        automation: default_automation(),
        enabled: true,
    };
    let ix = ix::create_managed_balance(
        payer,
        fx.authority.pubkey(),
        fx.treasury,
        fx.sink,
        fx.hot_pool,
        fx.mint,
        fx.token_program,
        args,
    );
    assert_treasury_error(fx.as_authority(ix).await, TreasuryError::AlreadyInitialized);
    assert_eq!(fx.rt.account_data(fx.managed_balance).await, managed_before);
}

// 6. Duplicate mutable accounts.

#[tokio::test]
async fn link_source_refuses_the_destination_itself() {
    let mut fx = Fixture::new().await;
    let before = fx.rt.account_data(fx.managed_balance).await;
    let args = LinkSourceArgs { priority: 9, reserve_floor: 0, enabled: true, returns_allowed: false };
    let ix = ix::link_source(fx.authority.pubkey(), fx.treasury, fx.managed_balance, fx.hot_vault, fx.hot_pool, args);
    assert_treasury_error(fx.as_authority(ix).await, TreasuryError::SourceIsDestination);
    assert_eq!(fx.rt.account_data(fx.managed_balance).await, before);
}

#[tokio::test]
async fn sweep_refuses_the_destination_as_its_own_source() {
    let mut fx = Fixture::new().await;
    fx.fill_hot_to(MAX + 1).await;
    let before = fx.snapshot().await;
    let version = fx.config_version().await;
    let mut sources = fx.sources();
    sources[0] = (fx.hot_vault, fx.hot_pool);
    let ix = ix::sweep_excess(fx.keeper.pubkey(), fx.balance_accounts(), version, &sources);
    assert_treasury_error(as_keeper(&mut fx, ix).await, TreasuryError::WrongSourceAccounts);
    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn top_up_refuses_the_destination_as_a_source() {
    let mut fx = below_min().await;
    let before = fx.snapshot().await;
    let mut sources = fx.sources();
    sources[0] = (fx.hot_vault, fx.hot_pool);
    let ix = top_up_ix(&mut fx, &sources).await;
    assert_treasury_error(as_keeper(&mut fx, ix).await, TreasuryError::WrongSourceAccounts);
    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn withdraw_refuses_the_vault_as_its_own_recipient() {
    let mut fx = Fixture::new().await;
    let before = fx.snapshot().await;
    let ix = substitute(withdraw_hot(&fx, 1), fx.sink, fx.hot_vault);
    // Anchor's duplicate-mutable check fires before the program's own constraint.
    assert_anchor_error(fx.as_authority(ix).await, ErrorCode::ConstraintDuplicateMutableAccount);
    assert_eq!(fx.snapshot().await, before);
}

// 7. Non-canonical bump.

/// A valid program address for `seeds` with a bump below the canonical one.
fn non_canonical(seeds: &[&[u8]]) -> Pubkey {
    let (canonical, bump) = Pubkey::find_program_address(seeds, &smart_treasury::ID);
    for lower in (0..bump).rev() {
        let bump_seed = [lower];
        let mut with_bump = seeds.to_vec();
        with_bump.push(&bump_seed);
        if let Ok(address) = Pubkey::create_program_address(&with_bump, &smart_treasury::ID) {
            assert_ne!(address, canonical);
            return address;
        }
    }
    panic!("no lower bump is off the curve")
}

#[tokio::test]
async fn a_pool_at_a_non_canonical_bump_can_be_neither_created_nor_used() {
    let mut fx = Fixture::new().await;
    let payer = fx.rt.payer().pubkey();
    let pool_id: u16 = 7;
    let fake = non_canonical(&[POOL_SEED, fx.treasury.as_ref(), &pool_id.to_le_bytes()]);
    let ix = ix::create_pool(payer, fx.authority.pubkey(), fx.treasury, pool_id, "shadow");
    let ix = substitute(ix, ix::pool_pda(&fx.treasury, pool_id), fake);
    assert_anchor_error(fx.as_authority(ix).await, ErrorCode::ConstraintSeeds);
    assert_eq!(fx.rt.account_data(fake).await, None);

    // Nothing can ever live there, so a withdraw naming it finds no pool.
    let before = fx.snapshot().await;
    let hot_shadow = non_canonical(&[POOL_SEED, fx.treasury.as_ref(), &1u16.to_le_bytes()]);
    let ix = substitute(withdraw_hot(&fx, 1), fx.hot_pool, hot_shadow);
    assert_anchor_error(fx.as_authority(ix).await, ErrorCode::AccountNotInitialized);
    assert_eq!(fx.snapshot().await, before);
}

// 8. PDA sharing across pools.

#[tokio::test]
async fn the_hot_pool_cannot_withdraw_from_the_reserve_vault() {
    let mut fx = Fixture::new().await;
    let before = fx.snapshot().await;
    let ix = ix::withdraw(fx.authority.pubkey(), fx.sink, fx.vault_accounts(fx.hot_pool, fx.reserve_vault), 1);
    assert_anchor_error(fx.as_authority(ix).await, ErrorCode::ConstraintTokenOwner);
    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn the_reserve_vault_linked_under_the_hot_pool_gives_nothing() {
    let mut fx = below_min().await;
    let a = fx.authority.pubkey();
    for (source, _) in fx.sources() {
        fx.as_authority(ix::unlink_source(a, fx.treasury, fx.managed_balance, source)).await.expect("unlink");
    }
    let args = LinkSourceArgs { priority: 1, reserve_floor: 0, enabled: true, returns_allowed: false };
    let link = ix::link_source(a, fx.treasury, fx.managed_balance, fx.reserve_vault, fx.hot_pool, args);
    fx.as_authority(link).await.expect("link");
    let managed: ManagedBalance = fx.managed().await;
    let source = managed.linked_sources()[0];
    // Neither owner nor delegate: the hot pool may pull nothing from it.
    assert_eq!((source.token_account, source.pool, source.kind), (fx.reserve_vault, fx.hot_pool, AccountKind::Venue));

    let before = fx.snapshot().await;
    assert_treasury_error(fx.top_up().await, TreasuryError::NoFundsAvailable);
    assert_eq!(fx.snapshot().await, before);
}

// 9. Reuse of a closed account.

#[tokio::test]
async fn a_closed_managed_balance_cannot_be_topped_up() {
    let mut fx = below_min().await;
    let sources = fx.sources();
    let top_up = top_up_ix(&mut fx, &sources).await;
    let a = fx.authority.pubkey();
    fx.as_authority(ix::close_managed_balance(a, fx.treasury, fx.managed_balance, a)).await.expect("close");
    assert_eq!(fx.rt.account_data(fx.managed_balance).await, None);
    let before = fx.snapshot().await;
    assert_anchor_error(as_keeper(&mut fx, top_up).await, ErrorCode::AccountNotInitialized);
    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn closing_and_topping_up_in_one_transaction_reverts_both() {
    let mut fx = below_min().await;
    let sources = fx.sources();
    let top_up = top_up_ix(&mut fx, &sources).await;
    let a = fx.authority.pubkey();
    let close = ix::close_managed_balance(a, fx.treasury, fx.managed_balance, a);
    let managed_before = fx.rt.account_data(fx.managed_balance).await;
    let before = fx.snapshot().await;
    let (authority, keeper) = (fx.authority.insecure_clone(), fx.keeper.insecure_clone());

    let result = fx.rt.send(&[close.clone(), top_up.clone()], &[&authority, &keeper]).await;
    assert_tx_error(
        result,
        TransactionError::InstructionError(1, TxError::Custom(ErrorCode::AccountNotInitialized as u32)),
    );
    // Revived with lamports in between, it is a system account, not a managed balance.
    let payer = fx.rt.payer().pubkey();
    let revive = system_instruction::transfer(&payer, &fx.managed_balance, 10_000_000);
    let result = fx.rt.send(&[close, revive, top_up], &[&authority, &keeper]).await;
    let code = ErrorCode::AccountOwnedByWrongProgram as u32;
    assert_tx_error(result, TransactionError::InstructionError(2, TxError::Custom(code)));

    assert_eq!(fx.rt.account_data(fx.managed_balance).await, managed_before);
    assert_eq!(fx.snapshot().await, before);
}

// 10. Wrong mint.

#[tokio::test]
async fn top_up_refuses_another_mint() {
    let mut fx = below_min().await;
    let other_mint = fx.rt.create_mint(fx.token_program, 6, &[]).await;
    let before = fx.snapshot().await;
    let sources = fx.sources();
    let ix = substitute(top_up_ix(&mut fx, &sources).await, fx.mint, other_mint);
    assert_treasury_error(as_keeper(&mut fx, ix).await, TreasuryError::WrongMint);
    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn deposit_refuses_a_source_account_of_another_mint() {
    let mut fx = Fixture::new().await;
    let depositor = fx.rt.funded_keypair().await;
    let other_mint = fx.rt.create_mint(fx.token_program, 6, &[]).await;
    let from = fx.rt.create_token_account(other_mint, depositor.pubkey(), fx.token_program).await;
    fx.rt.mint_to(other_mint, from, 1_000).await;
    let before = fx.snapshot().await;
    let ix = ix::deposit(depositor.pubkey(), from, fx.vault_accounts(fx.hot_pool, fx.hot_vault), 1_000);
    assert_anchor_error(fx.rt.send(&[ix], &[&depositor]).await, ErrorCode::ConstraintTokenMint);
    assert_eq!(fx.snapshot().await, before);
    assert_eq!(fx.balance(from).await, 1_000);
}

// 11. Fake token program.

#[tokio::test]
async fn a_program_that_is_no_token_program_is_refused() {
    let mut fx = below_min().await;
    let before = fx.snapshot().await;
    let sources = fx.sources();
    let ix = substitute(top_up_ix(&mut fx, &sources).await, fx.token_program, anchor_lang::system_program::ID);
    assert_anchor_error(as_keeper(&mut fx, ix).await, ErrorCode::InvalidProgramId);

    // An executable program an attacker controls fares no better.
    let ix = substitute(withdraw_hot(&fx, 1), fx.token_program, smart_treasury_tests::governance::ID);
    assert_anchor_error(fx.as_authority(ix).await, ErrorCode::InvalidProgramId);
    assert_eq!(fx.snapshot().await, before);
}

#[tokio::test]
async fn token_2022_is_refused_for_an_spl_token_mint() {
    let mut fx = below_min().await;
    let before = fx.snapshot().await;
    let sources = fx.sources();
    let ix = substitute(top_up_ix(&mut fx, &sources).await, SPL_TOKEN, TOKEN_2022);
    assert_treasury_error(as_keeper(&mut fx, ix).await, TreasuryError::WrongTokenProgram);

    let ix = substitute(withdraw_hot(&fx, 1), SPL_TOKEN, TOKEN_2022);
    assert_anchor_error(fx.as_authority(ix).await, ErrorCode::ConstraintTokenTokenProgram);
    assert_eq!(fx.snapshot().await, before);
}

// 12. Pre-funded addresses: sending lamports to a predictable PDA must not block it.

#[tokio::test]
async fn lamports_sent_ahead_to_a_pda_do_not_block_its_creation() {
    let mut fx = Fixture::new().await;
    let payer = fx.rt.payer().pubkey();
    let authority = fx.authority.pubkey();
    let pool = ix::pool_pda(&fx.treasury, 9);
    let managed = ix::managed_balance_pda(&fx.treasury, 9);
    let spender = Pubkey::new_unique();
    let spender_account = ix::spender_pda(&fx.hot_vault, &spender);
    let griefing =
        [pool, managed, spender_account].map(|target| system_instruction::transfer(&payer, &target, 1_000_000));
    fx.rt.ok(&griefing, &[]).await;

    let args = CreateManagedBalanceArgs {
        id: 9,
        name: "pre-funded".to_string(),
        min: 1,
        target: 2,
        max: 3,
        mode: BalanceMode::Threshold,
        automation: default_automation(),
        enabled: true,
    };
    let limits =
        smart_treasury::instructions::SpenderLimits { enabled: true, limit_per_period: 10, period_seconds: 60 };
    let creates = [
        ix::create_pool(payer, authority, fx.treasury, 9, "pre-funded"),
        ix::create_managed_balance(
            payer,
            authority,
            fx.treasury,
            fx.hot_vault,
            fx.hot_pool,
            fx.mint,
            fx.token_program,
            args,
        ),
        ix::add_spender(payer, authority, fx.treasury, fx.hot_pool, fx.hot_vault, spender, limits),
    ];
    let signer = fx.authority.insecure_clone();
    fx.rt.ok(&creates, &[&signer]).await;

    let created: smart_treasury::state::Pool = fx.rt.anchor_account(pool).await;
    assert_eq!((created.treasury, created.pool_id), (fx.treasury, 9));
    let created: ManagedBalance = fx.rt.anchor_account(managed).await;
    assert_eq!((created.id, created.max), (9, 3));
    let created: smart_treasury::state::Spender = fx.rt.anchor_account(spender_account).await;
    assert_eq!(created.spender, spender);
    for address in [pool, managed, spender_account] {
        assert_eq!(fx.rt.owner_of(address).await, smart_treasury::ID);
    }
}
