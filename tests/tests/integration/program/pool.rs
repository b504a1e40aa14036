use anchor_lang::prelude::Pubkey;
use anchor_spl::associated_token::get_associated_token_address_with_program_id;
use smart_treasury::{
    error::TreasuryError,
    events::{PoolCreated, VaultCreated, VaultFlow},
    state::{decode_name, Pool},
};
use smart_treasury_tests::{ix, *};
use solana_keypair::Keypair;
use solana_signer::Signer;

const NEW_POOL_ID: u16 = 10;

/// Creates pool `NEW_POOL_ID` in the fixture's treasury.
async fn new_pool(fx: &mut Fixture) -> Pubkey {
    let payer = fx.rt.payer().pubkey();
    fx.as_authority(ix::create_pool(payer, fx.authority.pubkey(), fx.treasury, NEW_POOL_ID, "payroll"))
        .await
        .expect("create pool");
    ix::pool_pda(&fx.treasury, NEW_POOL_ID)
}

/// Creates a vault of the new pool for a fresh mint of `token_program` with `extensions`.
async fn create_vault_for(
    fx: &mut Fixture,
    token_program: Pubkey,
    extensions: &[MintExtension],
) -> (Pubkey, Pubkey, Result<Outcome, Failure>) {
    let pool = new_pool(fx).await;
    let mint = fx.rt.create_mint(token_program, 6, extensions).await;
    let payer = fx.rt.payer().pubkey();
    let result =
        fx.as_authority(ix::create_vault(payer, fx.authority.pubkey(), fx.treasury, pool, mint, token_program)).await;
    (pool, get_associated_token_address_with_program_id(&pool, &mint, &token_program), result)
}

async fn refuses_mint_extension(extension: MintExtension, expected: TreasuryError) {
    let mut fx = Fixture::new().await;
    let (_, vault, result) = create_vault_for(&mut fx, TOKEN_2022, &[extension]).await;
    assert_treasury_error(result, expected);
    assert_eq!(raw_account_states(&mut fx.rt, &[vault]).await, vec![None]);
}

#[tokio::test]
async fn create_pool_stores_its_name_and_emits_pool_created() {
    let mut fx = Fixture::new().await;
    let payer = fx.rt.payer().pubkey();
    let outcome = fx
        .as_authority(ix::create_pool(payer, fx.authority.pubkey(), fx.treasury, NEW_POOL_ID, "payroll"))
        .await
        .expect("create pool");

    let address = ix::pool_pda(&fx.treasury, NEW_POOL_ID);
    let pool: Pool = fx.rt.anchor_account(address).await;
    assert_eq!(pool.layout_version, 1);
    assert_eq!((pool.treasury, pool.pool_id), (fx.treasury, NEW_POOL_ID));
    assert_eq!(decode_name(&pool.name), "payroll");
    let event: PoolCreated = one_event(&outcome.events);
    assert_eq!((event.treasury, event.pool, event.pool_id), (fx.treasury, address, NEW_POOL_ID));
    assert_eq!(event.name, "payroll");
}

#[tokio::test]
async fn create_pool_accepts_a_name_of_exactly_32_bytes() {
    let mut fx = Fixture::new().await;
    let payer = fx.rt.payer().pubkey();
    let name = "p".repeat(32);
    fx.as_authority(ix::create_pool(payer, fx.authority.pubkey(), fx.treasury, NEW_POOL_ID, &name))
        .await
        .expect("create pool");
    let pool: Pool = fx.rt.anchor_account(ix::pool_pda(&fx.treasury, NEW_POOL_ID)).await;
    assert_eq!(decode_name(&pool.name), name);
}

#[tokio::test]
async fn create_pool_refuses_an_empty_overlong_or_nul_name() {
    let mut fx = Fixture::new().await;
    let payer = fx.rt.payer().pubkey();
    let pool = ix::pool_pda(&fx.treasury, NEW_POOL_ID);
    // A NUL would be read back as the end of the zero-padded name.
    for name in [String::new(), "p".repeat(33), "pay\0roll".to_string()] {
        let result =
            fx.as_authority(ix::create_pool(payer, fx.authority.pubkey(), fx.treasury, NEW_POOL_ID, &name)).await;
        assert_treasury_error(result, TreasuryError::InvalidName);
        assert_eq!(raw_account_states(&mut fx.rt, &[pool]).await, vec![None], "name {name:?}");
    }
}

#[tokio::test]
async fn create_pool_by_a_non_authority_is_refused() {
    let mut fx = Fixture::new().await;
    let payer = fx.rt.payer().pubkey();
    let stranger = Keypair::new();
    let result = fx
        .rt
        .send(&[ix::create_pool(payer, stranger.pubkey(), fx.treasury, NEW_POOL_ID, "payroll")], &[&stranger])
        .await;
    assert_treasury_error(result, TreasuryError::NotAuthority);
    assert_eq!(raw_account_states(&mut fx.rt, &[ix::pool_pda(&fx.treasury, NEW_POOL_ID)]).await, vec![None]);
}

async fn creates_the_pools_ata(token_program: Pubkey) {
    let mut fx = Fixture::new().await;
    let pool = new_pool(&mut fx).await;
    let mint = fx.rt.create_mint(token_program, 6, &[]).await;
    let payer = fx.rt.payer().pubkey();

    let outcome = fx
        .as_authority(ix::create_vault(payer, fx.authority.pubkey(), fx.treasury, pool, mint, token_program))
        .await
        .expect("create vault");

    let vault = get_associated_token_address_with_program_id(&pool, &mint, &token_program);
    assert_eq!(fx.rt.owner_of(vault).await, token_program);
    let account = fx.rt.token_account(vault).await;
    assert_eq!((account.mint, account.owner, account.amount), (mint, pool, 0));
    let event: VaultCreated = one_event(&outcome.events);
    assert_eq!((event.treasury, event.pool, event.vault, event.mint), (fx.treasury, pool, vault, mint));
}

#[tokio::test]
async fn create_vault_makes_the_pools_ata_for_an_spl_token_mint() {
    creates_the_pools_ata(SPL_TOKEN).await;
}

#[tokio::test]
async fn create_vault_makes_the_pools_ata_for_a_token_2022_mint() {
    creates_the_pools_ata(TOKEN_2022).await;
}

#[tokio::test]
async fn create_vault_refuses_a_mint_with_a_permanent_delegate() {
    refuses_mint_extension(MintExtension::PermanentDelegate, TreasuryError::MintHasPermanentDelegate).await;
}

#[tokio::test]
async fn create_vault_refuses_a_mint_with_a_transfer_hook() {
    refuses_mint_extension(MintExtension::TransferHook, TreasuryError::MintHasTransferHook).await;
}

#[tokio::test]
async fn create_vault_refuses_a_non_transferable_mint() {
    refuses_mint_extension(MintExtension::NonTransferable, TreasuryError::MintNonTransferable).await;
}

/// A mint with a close authority could be closed (at zero supply) and re-created at the
/// same address with a permanent delegate or a transfer hook. Before, it was accepted.
#[tokio::test]
async fn create_vault_refuses_a_mint_that_can_be_closed() {
    let closeable = MintExtension::MintCloseAuthority { authority: Some(Pubkey::new_unique()) };
    refuses_mint_extension(closeable, TreasuryError::MintCloseable).await;
}

#[tokio::test]
async fn a_mint_whose_close_authority_is_gone_is_accepted() {
    let mut fx = Fixture::new().await;
    let extension = MintExtension::MintCloseAuthority { authority: None };
    let (_, vault, result) = create_vault_for(&mut fx, TOKEN_2022, &[extension]).await;
    result.expect("create vault");
    assert_eq!(fx.rt.owner_of(vault).await, TOKEN_2022);
}

/// The associated token program is permissionless: anyone can create a pool's account
/// for a mint first. Before, `create_vault` then failed for ever; now it adopts it.
#[tokio::test]
async fn create_vault_adopts_the_pools_account_someone_created_first() {
    let mut fx = Fixture::new().await;
    let pool = new_pool(&mut fx).await;
    let mint = fx.rt.create_mint(SPL_TOKEN, 6, &[]).await;
    let squatted = fx.rt.create_ata(mint, pool, SPL_TOKEN).await;
    let payer = fx.rt.payer().pubkey();

    let outcome = fx
        .as_authority(ix::create_vault(payer, fx.authority.pubkey(), fx.treasury, pool, mint, SPL_TOKEN))
        .await
        .expect("create vault adopts the account");

    let event: VaultCreated = one_event(&outcome.events);
    assert_eq!((event.pool, event.vault, event.mint), (pool, squatted, mint));
    let account = fx.rt.token_account(squatted).await;
    assert_eq!((account.mint, account.owner, account.amount), (mint, pool, 0));
    // It is the pool's vault like any other: the authority can use it.
    let depositor = fx.rt.funded_keypair().await;
    let from = fx.rt.create_token_account(mint, depositor.pubkey(), SPL_TOKEN).await;
    fx.rt.mint_to(mint, from, 10).await;
    let accounts = ix::VaultAccounts { treasury: fx.treasury, pool, vault: squatted, mint, token_program: SPL_TOKEN };
    fx.rt.ok(&[ix::deposit(depositor.pubkey(), from, accounts, 10)], &[&depositor]).await;
    fx.as_authority(ix::withdraw(fx.authority.pubkey(), from, accounts, 10)).await.expect("withdraw");
}

#[tokio::test]
async fn transfer_fee_mint_is_accepted_and_deposits_record_what_arrived() {
    let mut fx = Fixture::new().await;
    let fee = MintExtension::TransferFee { bps: 100, max_fee: u64::MAX };
    let (pool, vault, result) = create_vault_for(&mut fx, TOKEN_2022, &[fee]).await;
    let event: VaultCreated = one_event(&result.expect("create vault").events);
    assert_eq!(event.vault, vault);
    let mint = fx.rt.token_account(vault).await.mint;

    let depositor = Keypair::new();
    let from = fx.rt.create_token_account(mint, depositor.pubkey(), TOKEN_2022).await;
    fx.rt.mint_to(mint, from, 1_000_000).await;
    let accounts = ix::VaultAccounts { treasury: fx.treasury, pool, vault, mint, token_program: TOKEN_2022 };
    let outcome = fx.rt.ok(&[ix::deposit(depositor.pubkey(), from, accounts, 1_000_000)], &[&depositor]).await;

    // 1% is withheld by the mint on the way in.
    let flow: VaultFlow = one_event(&outcome.events);
    assert_eq!((flow.sent, flow.received), (1_000_000, 990_000));
    assert_eq!((flow.vault_before, flow.vault_after), (0, 990_000));
    assert_eq!(fx.rt.token_balance(vault).await, 990_000);
    assert_eq!(fx.rt.token_balance(from).await, 0);
}

#[tokio::test]
async fn anyone_can_deposit_into_a_vault() {
    let mut fx = Fixture::new().await;
    let depositor = Keypair::new();
    let from = fx.rt.create_token_account(fx.mint, depositor.pubkey(), fx.token_program).await;
    fx.rt.mint_to(fx.mint, from, 3_000_000).await;
    let vault_before = fx.balance(fx.backup_vault).await;

    let accounts = fx.vault_accounts(fx.backup_pool, fx.backup_vault);
    let outcome = fx.rt.ok(&[ix::deposit(depositor.pubkey(), from, accounts, 2_000_000)], &[&depositor]).await;

    assert_eq!(fx.balance(fx.backup_vault).await, vault_before + 2_000_000);
    assert_eq!(fx.balance(from).await, 1_000_000);
    let flow: VaultFlow = one_event(&outcome.events);
    assert_eq!(
        (flow.treasury, flow.pool, flow.vault, flow.counterparty),
        (fx.treasury, fx.backup_pool, fx.backup_vault, from)
    );
    assert!(flow.deposit);
    assert_eq!((flow.sent, flow.received), (2_000_000, 2_000_000));
    assert_eq!((flow.vault_before, flow.vault_after), (vault_before, vault_before + 2_000_000));
}

#[tokio::test]
async fn deposit_of_zero_is_refused() {
    let mut fx = Fixture::new().await;
    let depositor = Keypair::new();
    let from = fx.rt.create_token_account(fx.mint, depositor.pubkey(), fx.token_program).await;
    fx.rt.mint_to(fx.mint, from, 1_000_000).await;
    let before = raw_account_states(&mut fx.rt, &[fx.backup_vault, from]).await;

    let accounts = fx.vault_accounts(fx.backup_pool, fx.backup_vault);
    let result = fx.rt.send(&[ix::deposit(depositor.pubkey(), from, accounts, 0)], &[&depositor]).await;

    assert_treasury_error(result, TreasuryError::ZeroAmount);
    assert_eq!(raw_account_states(&mut fx.rt, &[fx.backup_vault, from]).await, before);
}

#[tokio::test]
async fn authority_withdraws_from_a_vault() {
    let mut fx = Fixture::new().await;
    let vault_before = fx.balance(fx.reserve_vault).await;
    let sink_before = fx.balance(fx.sink).await;

    let ix =
        ix::withdraw(fx.authority.pubkey(), fx.sink, fx.vault_accounts(fx.reserve_pool, fx.reserve_vault), 7_000_000);
    let outcome = fx.as_authority(ix).await.expect("withdraw");

    assert_eq!(fx.balance(fx.reserve_vault).await, vault_before - 7_000_000);
    assert_eq!(fx.balance(fx.sink).await, sink_before + 7_000_000);
    let flow: VaultFlow = one_event(&outcome.events);
    assert_eq!(
        (flow.treasury, flow.pool, flow.vault, flow.counterparty),
        (fx.treasury, fx.reserve_pool, fx.reserve_vault, fx.sink)
    );
    assert!(!flow.deposit);
    assert_eq!((flow.sent, flow.received), (7_000_000, 7_000_000));
    assert_eq!((flow.vault_before, flow.vault_after), (vault_before, vault_before - 7_000_000));
}

#[tokio::test]
async fn withdraw_by_a_non_authority_is_refused() {
    let mut fx = Fixture::new().await;
    let before = raw_account_states(&mut fx.rt, &[fx.reserve_vault, fx.sink]).await;
    let stranger = Keypair::new();

    let ix = ix::withdraw(stranger.pubkey(), fx.sink, fx.vault_accounts(fx.reserve_pool, fx.reserve_vault), 1_000_000);
    let result = fx.rt.send(&[ix], &[&stranger]).await;

    assert_treasury_error(result, TreasuryError::NotAuthority);
    assert_eq!(raw_account_states(&mut fx.rt, &[fx.reserve_vault, fx.sink]).await, before);
}

#[tokio::test]
async fn withdraw_of_zero_is_refused() {
    let mut fx = Fixture::new().await;
    let before = raw_account_states(&mut fx.rt, &[fx.reserve_vault, fx.sink]).await;
    let ix = ix::withdraw(fx.authority.pubkey(), fx.sink, fx.vault_accounts(fx.reserve_pool, fx.reserve_vault), 0);
    assert_treasury_error(fx.as_authority(ix).await, TreasuryError::ZeroAmount);
    assert_eq!(raw_account_states(&mut fx.rt, &[fx.reserve_vault, fx.sink]).await, before);
}
