use anchor_lang::prelude::Pubkey;
use anchor_spl::associated_token::get_associated_token_address_with_program_id;
use smart_treasury::{events::ToppedUp, instructions::LinkSourceArgs};
use smart_treasury_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;

/// The largest transaction a validator accepts (`PACKET_DATA_SIZE`).
const PACKET_DATA_SIZE: usize = 1232;

/// Wire size of a signed legacy transaction carrying `top_up` over `sources`, paid by
/// `fee_payer` (the keeper itself, or a separate payer as in this harness).
fn top_up_wire_size(fx: &Fixture, version: u64, sources: &[(Pubkey, Pubkey)], fee_payer: &Keypair) -> usize {
    let ix = ix::top_up(fx.keeper.pubkey(), fx.balance_accounts(), version, sources);
    let mut signers = vec![fee_payer];
    if fee_payer.pubkey() != fx.keeper.pubkey() {
        signers.push(&fx.keeper);
    }
    let tx =
        Transaction::new_signed_with_payer(&[ix], Some(&fee_payer.pubkey()), &signers, fx.rt.context.last_blockhash);
    bincode::serialize(&tx).expect("serialize").len()
}

/// Adds five more pools, each with a vault holding `funds`, linked at priorities 4..=8,
/// so the managed balance draws from the maximum of eight sources.
async fn link_five_more_sources(fx: &mut Fixture, funds: [u64; 5]) -> Vec<(Pubkey, Pubkey)> {
    let payer = fx.rt.payer().pubkey();
    let authority = fx.authority.insecure_clone();
    let mut added = Vec::new();
    for (offset, amount) in funds.into_iter().enumerate() {
        let pool_id = 4 + offset as u16;
        let pool = ix::pool_pda(&fx.treasury, pool_id);
        let vault = get_associated_token_address_with_program_id(&pool, &fx.mint, &fx.token_program);
        let priority = pool_id as u8;
        fx.rt
            .ok(
                &[
                    ix::create_pool(payer, authority.pubkey(), fx.treasury, pool_id, &format!("reserve {pool_id}")),
                    ix::create_vault(payer, authority.pubkey(), fx.treasury, pool, fx.mint, fx.token_program),
                    ix::link_source(
                        authority.pubkey(),
                        fx.treasury,
                        fx.managed_balance,
                        vault,
                        pool,
                        LinkSourceArgs { priority, reserve_floor: 0, enabled: true, returns_allowed: false },
                    ),
                ],
                &[&authority],
            )
            .await;
        fx.rt.mint_to(fx.mint, vault, amount).await;
        added.push((vault, pool));
    }
    added
}

#[tokio::test]
async fn top_up_with_one_and_eight_sources_fits_a_packet() {
    let mut fx = Fixture::new().await;
    link_five_more_sources(&mut fx, [1; 5]).await;
    let version = fx.config_version().await;
    let sources = fx.enabled_sources().await;
    assert_eq!(sources.len(), 8);
    let keeper = fx.keeper.insecure_clone();
    let payer = fx.rt.payer().insecure_clone();

    let one_keeper_paid = top_up_wire_size(&fx, version, &sources[..1], &keeper);
    let eight_keeper_paid = top_up_wire_size(&fx, version, &sources, &keeper);
    let eight_with_payer = top_up_wire_size(&fx, version, &sources, &payer);
    println!(
        "top_up legacy transaction size: 1 source {one_keeper_paid} bytes, 8 sources {eight_keeper_paid} bytes \
         (keeper pays), 8 sources {eight_with_payer} bytes (separate fee payer); limit {PACKET_DATA_SIZE}"
    );
    assert!(one_keeper_paid < eight_keeper_paid);
    assert!(eight_keeper_paid <= PACKET_DATA_SIZE, "8-source top-up is {eight_keeper_paid} bytes");
    assert!(eight_with_payer <= PACKET_DATA_SIZE, "8-source top-up with a fee payer is {eight_with_payer} bytes");
}

#[tokio::test]
async fn top_up_draws_across_all_eight_sources() {
    let mut fx = Fixture::new().await;
    // Every source but the last holds 700k, so a 5M need drains seven and dips into the eighth.
    let part = 700_000;
    let extra = link_five_more_sources(&mut fx, [part, part, part, part, 1_000_000]).await;
    fx.set_vault_balance(fx.reserve_pool, fx.reserve_vault, part).await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.approve(fx.venue, &owner, fx.reserve_pool, part).await;
    fx.set_vault_balance(fx.backup_pool, fx.backup_vault, part).await;
    fx.drain_hot_to(0).await;
    let sources = fx.enabled_sources().await;
    assert_eq!(sources.len(), 8);

    let outcome = fx.top_up().await.expect("8-source top-up lands");

    println!("top_up across 8 sources: {} compute units", outcome.compute_units);
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
    let event: ToppedUp = one_event(&outcome.events);
    let drawn: Vec<(Pubkey, u64)> = event.sources.iter().map(|movement| (movement.source, movement.sent)).collect();
    let mut expected: Vec<(Pubkey, u64)> = sources[..7].iter().map(|(account, _)| (*account, part)).collect();
    expected.push((sources[7].0, TARGET - 7 * part));
    assert_eq!(drawn, expected);
    assert_eq!((event.received, event.shortfall), (TARGET, 0));
    for (vault, _) in &extra[..4] {
        assert_eq!(fx.balance(*vault).await, 0);
    }
    assert_eq!(fx.balance(extra[4].0).await, 1_000_000 - (TARGET - 7 * part));
    assert_eq!(fx.rt.token_account(fx.venue).await.delegated_amount, 0);
}
