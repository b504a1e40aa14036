use smart_treasury::{
    events::{ExcessSwept, ToppedUp, VaultFlow},
    instructions::CrankReason,
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

    let outcome = fx.top_up(CrankReason::Threshold).await.expect("top-up lands");

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

    let outcome = fx.crank_sweep(fx.reserve_vault).await.expect("sweep lands");

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

    let outcome = fx.top_up(CrankReason::Threshold).await.expect("top-up lands");

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
