use smart_treasury::{
    error::TreasuryError,
    events::{ExcessSwept, ToppedUp, VaultFlow},
    instructions::LinkSourceArgs,
    state::TransferFeeLimit,
};
use smart_treasury_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const FEE_BPS: u16 = 100;

fn fee_mint_options() -> FixtureOptions {
    FixtureOptions {
        token_program: TOKEN_2022,
        mint_extensions: vec![MintExtension::TransferFee { bps: FEE_BPS, max_fee: u64::MAX }],
        ..FixtureOptions::default()
    }
}

/// Token-2022's fee on one transfer: rounded up.
fn fee(amount: u64) -> u64 {
    (amount * u64::from(FEE_BPS)).div_ceil(10_000)
}

#[tokio::test]
async fn transfer_fee_top_up_reports_what_arrived() {
    let mut fx = Fixture::with_options(fee_mint_options()).await;
    // Two legs, so the fee is charged on each transfer separately.
    let floor = RESERVE_FUNDS - 1_000_000;
    fx.set_source(fx.reserve_vault, 1, floor, true).await;
    fx.drain_hot_to(MIN - 1).await;
    assert_eq!(fx.balance(fx.hot_vault).await, MIN - 1);

    let outcome = fx.top_up().await.expect("top-up lands");

    let need = TARGET - (MIN - 1);
    let event: ToppedUp = one_event(&outcome.events);
    let sent: Vec<u64> = event.sources.iter().map(|movement| movement.sent).collect();
    assert_eq!(sent, vec![1_000_000, need - 1_000_000]);
    let expected_received: u64 = sent.iter().map(|&amount| amount - fee(amount)).sum();
    assert!(event.received < need);
    assert_eq!(event.received, expected_received);
    let after = fx.balance(fx.hot_vault).await;
    assert_eq!(after - (MIN - 1), event.received);
    assert_eq!((event.balance_before, event.balance_after), (MIN - 1, after));
    // The sources are debited the full amount; the fee is withheld from what arrives.
    assert_eq!(fx.balance(fx.reserve_vault).await, floor);
    assert_eq!(fx.balance(fx.venue).await, VENUE_FUNDS - (need - 1_000_000));
}

#[tokio::test]
async fn transfer_fee_sweep_reports_what_arrived() {
    let mut fx = Fixture::with_options(fee_mint_options()).await;
    fx.fill_hot_to(MAX + 1_000_000).await;

    let outcome = fx.crank_sweep().await.expect("sweep lands");

    let excess = MAX + 1_000_000 - TARGET;
    let event: ExcessSwept = one_event(&outcome.events);
    assert_eq!((event.sent, event.received), (excess, excess - fee(excess)));
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
    assert_eq!(fx.balance(fx.reserve_vault).await, RESERVE_FUNDS + event.received);
    assert_eq!(event.source_after, RESERVE_FUNDS + event.received);
}

#[tokio::test]
async fn plain_token_2022_top_up_refills_to_target() {
    let options = FixtureOptions { token_program: TOKEN_2022, ..FixtureOptions::default() };
    let mut fx = Fixture::with_options(options).await;
    assert_eq!(fx.rt.owner_of(fx.mint).await, TOKEN_2022);
    fx.drain_hot_to(MIN - 1).await;

    let outcome = fx.top_up().await.expect("top-up lands");

    let need = TARGET - (MIN - 1);
    assert_eq!(fx.snapshot().await, [TARGET, RESERVE_FUNDS - need, VENUE_FUNDS, BACKUP_FUNDS]);
    let event: ToppedUp = one_event(&outcome.events);
    assert_eq!((event.received, event.sources[0].sent), (need, need));
}

#[tokio::test]
async fn transfer_fee_deposit_reports_what_arrived() {
    let mut fx = Fixture::with_options(fee_mint_options()).await;
    let depositor = Keypair::new();
    let from = fx.rt.create_token_account(fx.mint, depositor.pubkey(), TOKEN_2022).await;
    let amount = 2_000_000;
    fx.rt.mint_to(fx.mint, from, amount).await;
    let accounts = fx.vault_accounts(fx.reserve_pool, fx.reserve_vault);

    let outcome = fx
        .rt
        .send(&[ix::deposit(depositor.pubkey(), from, accounts, amount)], &[&depositor])
        .await
        .expect("deposit lands");

    let event: VaultFlow = one_event(&outcome.events);
    assert!(event.deposit);
    assert_eq!((event.vault, event.counterparty), (fx.reserve_vault, from));
    assert_eq!((event.sent, event.received), (amount, amount - fee(amount)));
    assert!(event.received < event.sent);
    assert_eq!((event.vault_before, event.vault_after), (RESERVE_FUNDS, RESERVE_FUNDS + event.received));
    assert_eq!(fx.balance(fx.reserve_vault).await, RESERVE_FUNDS + event.received);
    assert_eq!(fx.balance(from).await, 0);
}

fn accept_fee(
    fx: &Fixture,
    basis_points: u16,
    maximum_fee: u64,
) -> anchor_lang::solana_program::instruction::Instruction {
    let accepted = TransferFeeLimit { basis_points, maximum_fee };
    ix::set_accepted_transfer_fee(fx.authority.pubkey(), fx.treasury, fx.managed_balance, accepted)
}

/// Before, the fee was checked only when the mint was first used: a fee authority
/// that raised it later made every crank pay its amount away as withheld fees.
#[tokio::test]
async fn a_fee_raised_above_the_accepted_one_stops_movements_until_the_authority_accepts_it() {
    let mut fx = Fixture::with_options(fee_mint_options()).await;
    let created = TransferFeeLimit { basis_points: FEE_BPS, maximum_fee: u64::MAX };
    assert_eq!(fx.managed().await.accepted_transfer_fee, created);
    fx.rt.set_transfer_fee(fx.mint, 500, u64::MAX).await;

    // A fee change takes effect two epochs later: until then the old fee applies.
    fx.rt.advance_epochs(1).await;
    fx.drain_hot_to(MIN - 1).await;
    fx.top_up().await.expect("top-up at the old fee lands");

    fx.rt.advance_epochs(1).await;
    fx.rt.advance_time(i64::from(COOLDOWN_SECONDS) + 1).await;
    fx.drain_hot_to(MIN - 1).await;
    let before = fx.snapshot().await;
    assert_treasury_error(fx.top_up().await, TreasuryError::TransferFeeAboveAccepted);
    assert_treasury_error(fx.manual_adjust(1_000).await, TreasuryError::TransferFeeAboveAccepted);
    fx.fill_hot_to(MAX + 1_000_000).await;
    let swept_before = fx.snapshot().await;
    assert_treasury_error(fx.crank_sweep().await, TreasuryError::TransferFeeAboveAccepted);
    assert_eq!(fx.snapshot().await, swept_before);
    fx.drain_hot_to(before[0]).await;

    let accept = accept_fee(&fx, 500, u64::MAX);
    fx.as_authority(accept).await.expect("the authority accepts the new fee");
    let outcome = fx.top_up().await.expect("top-up at the accepted fee lands");
    let event: ToppedUp = one_event(&outcome.events);
    let sent = event.sources[0].sent;
    assert_eq!(event.received, sent - (sent * 500).div_ceil(10_000));
}

#[tokio::test]
async fn accepting_a_fee_is_the_authoritys_alone_and_bounded() {
    let mut fx = Fixture::with_options(fee_mint_options()).await;
    let before = fx.rt.account_data(fx.managed_balance).await;
    let stranger = fx.rt.funded_keypair().await;
    let accepted = TransferFeeLimit { basis_points: 10_000, maximum_fee: u64::MAX };
    let ix = ix::set_accepted_transfer_fee(stranger.pubkey(), fx.treasury, fx.managed_balance, accepted);
    assert_treasury_error(fx.rt.send(&[ix], &[&stranger]).await, TreasuryError::NotAuthority);
    assert_treasury_error(fx.as_authority(accept_fee(&fx, 10_001, 0)).await, TreasuryError::InvalidBasisPoints);
    assert_eq!(fx.rt.account_data(fx.managed_balance).await, before);
}

/// A Token-2022 account can ask for a memo on every incoming transfer; a crank sends
/// none, so such an account is refused where it is linked.
#[tokio::test]
async fn a_memo_requiring_account_is_refused_as_a_source_or_a_destination() {
    let options = FixtureOptions { token_program: TOKEN_2022, ..FixtureOptions::default() };
    let mut fx = Fixture::with_options(options).await;
    let owner = fx.rt.funded_keypair().await;
    let account = fx.rt.create_token_account(fx.mint, owner.pubkey(), TOKEN_2022).await;
    fx.rt.require_memos(account, &owner).await;
    let before = fx.rt.account_data(fx.managed_balance).await;

    let args = LinkSourceArgs { priority: 4, reserve_floor: 0, enabled: true, returns_allowed: true };
    let link = ix::link_source(fx.authority.pubkey(), fx.treasury, fx.managed_balance, account, fx.reserve_pool, args);
    assert_treasury_error(fx.as_authority(link).await, TreasuryError::MemoRequired);
    assert_eq!(fx.rt.account_data(fx.managed_balance).await, before);

    let payer = fx.rt.payer().pubkey();
    let (a, treasury) = (fx.authority.pubkey(), fx.treasury);
    let create = ix::create_managed_balance(
        payer,
        a,
        treasury,
        account,
        fx.reserve_pool,
        fx.mint,
        TOKEN_2022,
        managed_balance_args(9, "memo venue"),
    );
    assert_treasury_error(fx.as_authority(create).await, TreasuryError::MemoRequired);
    assert_eq!(raw_account_states(&mut fx.rt, &[ix::managed_balance_pda(&treasury, 9)]).await, vec![None]);
}

#[tokio::test]
async fn a_venue_that_starts_asking_for_memos_is_passed_over_as_a_return_target() {
    let options = FixtureOptions { token_program: TOKEN_2022, ..FixtureOptions::default() };
    let mut fx = Fixture::with_options(options).await;
    fx.set_source(fx.reserve_vault, 1, 0, false).await;
    fx.allow_returns(fx.venue, true).await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.require_memos(fx.venue, &owner).await;
    fx.fill_hot_to(MAX + 1_000_000).await;

    let outcome = fx.crank_sweep().await.expect("sweep lands");
    assert_eq!(one_event::<ExcessSwept>(&outcome.events).source, fx.backup_vault);
    assert_eq!(fx.balance(fx.venue).await, VENUE_FUNDS);
}

#[tokio::test]
async fn a_venue_destination_that_starts_asking_for_memos_is_refused_by_name() {
    let options = FixtureOptions { token_program: TOKEN_2022, ..FixtureOptions::default() };
    let mut fx = Fixture::with_options(options).await;
    let payer = fx.rt.payer().pubkey();
    let (a, treasury) = (fx.authority.pubkey(), fx.treasury);
    let create = ix::create_managed_balance(
        payer,
        a,
        treasury,
        fx.venue,
        fx.reserve_pool,
        fx.mint,
        TOKEN_2022,
        managed_balance_args(9, "venue float"),
    );
    fx.as_authority(create).await.expect("create on the venue");
    let managed_balance = ix::managed_balance_pda(&treasury, 9);
    let args = LinkSourceArgs { priority: 1, reserve_floor: 0, enabled: true, returns_allowed: false };
    let link = ix::link_source(a, treasury, managed_balance, fx.backup_vault, fx.backup_pool, args);
    fx.as_authority(link).await.expect("link the backup");
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.transfer_tokens(fx.venue, fx.sink, &owner, VENUE_FUNDS).await;
    fx.rt.require_memos(fx.venue, &owner).await;

    let managed: smart_treasury::state::ManagedBalance = fx.rt.anchor_account(managed_balance).await;
    let accounts = ix::BalanceAccounts {
        treasury,
        managed_balance,
        destination: fx.venue,
        destination_pool: fx.reserve_pool,
        mint: fx.mint,
        token_program: TOKEN_2022,
    };
    let crank = ix::top_up(fx.keeper.pubkey(), accounts, managed.config_version, &ix::crank_sources(&managed));
    let keeper = fx.keeper.insecure_clone();
    assert_treasury_error(fx.rt.send(&[crank], &[&keeper]).await, TreasuryError::MemoRequired);
    assert_eq!(fx.balance(fx.venue).await, 0);
}

#[tokio::test]
async fn create_managed_balance_refuses_a_mint_that_can_be_closed() {
    let mut fx = Fixture::new().await;
    let closeable = MintExtension::MintCloseAuthority { authority: Some(fx.rt.payer().pubkey()) };
    let mint = fx.rt.create_mint(TOKEN_2022, 6, &[closeable]).await;
    let owner = fx.rt.funded_keypair().await;
    let destination = fx.rt.create_token_account(mint, owner.pubkey(), TOKEN_2022).await;
    let payer = fx.rt.payer().pubkey();
    let (a, treasury) = (fx.authority.pubkey(), fx.treasury);
    let create = ix::create_managed_balance(
        payer,
        a,
        treasury,
        destination,
        fx.reserve_pool,
        mint,
        TOKEN_2022,
        managed_balance_args(9, "closeable"),
    );
    assert_treasury_error(fx.as_authority(create).await, TreasuryError::MintCloseable);
    assert_eq!(raw_account_states(&mut fx.rt, &[ix::managed_balance_pda(&treasury, 9)]).await, vec![None]);
}
