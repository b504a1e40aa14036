//! Smart Treasury end to end through the cluster with anchor-client: a treasury, two pools
//! and their vaults, a managed balance with a linked source, and a keeper's top-up; the
//! program's accounts decoded from the RPC and its events from the transaction's inner
//! instructions.

use super::tokens::{create_mint, mint_to, SPL_TOKEN};
use super::{funded, rpc, start};
use anchor_client::{Client, ClientError, Cluster, Program};
use anchor_lang::prelude::Pubkey;
use futures_util::StreamExt;
use smart_treasury::{
    events::{MovementReason, ToppedUp},
    instructions::{CreateManagedBalanceArgs, CreateTreasuryArgs, LinkSourceArgs},
    state::{AutomationSettings, BalanceMode, CrankAccess, ManagedBalance, Pool, Treasury},
};
use smart_treasury_tests::{events_of, ix, RawEvent};
use solana_account_decoder_client_types::{UiAccountData, UiAccountEncoding};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcTransactionConfig};
use solana_signer::Signer;
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, EncodedConfirmedTransactionWithStatusMeta, UiTransactionEncoding,
};
use std::{sync::Arc, time::Duration};

const MIN: u64 = 1_000_000;
const TARGET: u64 = 5_000_000;
const MAX: u64 = 8_000_000;
const RESERVE: u64 = 100_000_000;

/// The program's self-CPI events in a fetched transaction, in emission order.
fn events_in(signature: &str, fetched: &EncodedConfirmedTransactionWithStatusMeta) -> Vec<RawEvent> {
    let events =
        smart_treasury_client::events::transaction_events(signature, fetched).expect("a successful transaction");
    events.events.into_iter().map(|indexed| indexed.raw).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keeper_tops_up_a_managed_balance_through_anchor_client() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let payer = Arc::new(funded(&rpc, 100_000_000_000).await);
    let authority = funded(&rpc, 10_000_000_000).await;
    let keeper = funded(&rpc, 1_000_000_000).await;
    let anchor = Client::new_with_options(
        Cluster::Custom(cluster.rpc_url(), cluster.ws_url()),
        payer.clone(),
        CommitmentConfig::confirmed(),
    );
    let program = anchor.program(smart_treasury::ID).expect("a program client");
    let send = |ix, signer| send_as(&program, ix, signer);

    // The treasury, governed by `authority`.
    let create_key = Keypair::new();
    let treasury = ix::treasury_pda(&create_key.pubkey());
    let args = CreateTreasuryArgs {
        authority: authority.pubkey(),
        guardian: Pubkey::new_unique(),
        crank_access: CrankAccess::Permissionless,
        keepers: vec![],
    };
    send(ix::create_treasury(payer.pubkey(), create_key.pubkey(), args), &create_key).await.expect("create_treasury");
    let fetched: Treasury = program.account(treasury).await.expect("the treasury decodes");
    assert_eq!(fetched.authority, authority.pubkey());
    assert!(!fetched.paused);

    // A hot-wallet pool and a reserve pool, each with its vault for the mint.
    let mint = create_mint(&rpc, &payer, SPL_TOKEN, 6).await;
    let mut pools = Vec::new();
    for (pool_id, name) in [(1u16, "hot wallet"), (2, "reserve")] {
        let pool = ix::pool_pda(&treasury, pool_id);
        send(ix::create_pool(payer.pubkey(), authority.pubkey(), treasury, pool_id, name), &authority)
            .await
            .expect("create_pool");
        send(ix::create_vault(payer.pubkey(), authority.pubkey(), treasury, pool, mint, SPL_TOKEN), &authority)
            .await
            .expect("create_vault");
        pools.push((pool, anchor_spl::associated_token::get_associated_token_address(&pool, &mint)));
    }
    let [(hot_pool, hot_vault), (reserve_pool, reserve_vault)] = pools[..] else { unreachable!() };
    mint_to(&rpc, &payer, mint, reserve_vault, SPL_TOKEN, RESERVE).await;

    // The managed balance on the hot vault, drawing from the reserve.
    let managed_balance = ix::managed_balance_pda(&treasury, 1);
    let args = CreateManagedBalanceArgs {
        id: 1,
        name: "hot wallet USDC".to_string(),
        min: MIN,
        target: TARGET,
        max: MAX,
        mode: BalanceMode::Threshold,
        automation: AutomationSettings {
            cooldown_seconds: 60,
            period_seconds: 86_400,
            period_cap: 1_000_000_000,
            forecast_band_bps: 5_000,
        },
        enabled: true,
    };
    let a = authority.pubkey();
    send(
        ix::create_managed_balance(payer.pubkey(), a, treasury, hot_vault, hot_pool, mint, SPL_TOKEN, args),
        &authority,
    )
    .await
    .expect("create_managed_balance");
    let link = LinkSourceArgs { priority: 1, reserve_floor: 0, enabled: true, returns_allowed: false };
    send(ix::link_source(a, treasury, managed_balance, reserve_vault, reserve_pool, link), &authority)
        .await
        .expect("link_source");

    // Program accounts, found by discriminator and decoded.
    let decoded: Vec<(Pubkey, Pool)> = program.accounts(vec![]).await.expect("getProgramAccounts");
    let mut ids: Vec<u16> = decoded.iter().map(|(_, pool)| pool.pool_id).collect();
    ids.sort();
    assert_eq!(ids, vec![1, 2]);
    let balance: ManagedBalance = program.account(managed_balance).await.unwrap();
    assert_eq!((balance.min, balance.target, balance.max), (MIN, TARGET, MAX));
    assert_eq!(balance.enabled_sources().count(), 1);

    // Watch the hot vault while the keeper cranks.
    let pubsub = PubsubClient::new(&cluster.ws_url()).await.unwrap();
    let parsed = RpcAccountInfoConfig {
        encoding: Some(UiAccountEncoding::JsonParsed),
        commitment: Some(CommitmentConfig::confirmed()),
        ..RpcAccountInfoConfig::default()
    };
    let (mut hot_updates, _) = pubsub.account_subscribe(&hot_vault, Some(parsed)).await.unwrap();

    let accounts = ix::BalanceAccounts {
        treasury,
        managed_balance,
        destination: hot_vault,
        destination_pool: hot_pool,
        mint,
        token_program: SPL_TOKEN,
    };
    let crank = ix::top_up(keeper.pubkey(), accounts, balance.config_version, &[(reserve_vault, reserve_pool)]);
    let signature = send(crank, &keeper).await.expect("top_up");

    let update = tokio::time::timeout(Duration::from_secs(10), hot_updates.next()).await.expect("notified").unwrap();
    let UiAccountData::Json(vault) = update.value.data else { panic!("jsonParsed") };
    assert_eq!(vault.parsed["info"]["tokenAmount"]["amount"], TARGET.to_string());
    assert_eq!(rpc.get_token_account_balance(&hot_vault).await.unwrap().amount, TARGET.to_string());
    assert_eq!(rpc.get_token_account_balance(&reserve_vault).await.unwrap().amount, (RESERVE - TARGET).to_string());

    // The transaction, with its event and token balances.
    let config = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Base64),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    let fetched = program.rpc().get_transaction_with_config(&signature, config).await.expect("getTransaction");
    let events = events_in(&signature.to_string(), &fetched);
    assert_eq!(
        events.iter().map(|event| event.index).collect::<Vec<_>>(),
        (0..events.len() as u32).collect::<Vec<_>>()
    );
    let [topped_up] = &events_of::<ToppedUp>(&events)[..] else { panic!("one ToppedUp event in {events:?}") };
    assert_eq!(topped_up.managed_balance, managed_balance);
    assert_eq!(topped_up.reason, MovementReason::Threshold);
    assert_eq!((topped_up.balance_before, topped_up.balance_after), (0, TARGET));
    assert_eq!((topped_up.received, topped_up.shortfall), (TARGET, 0));
    assert_eq!(topped_up.sources.len(), 1);
    assert_eq!(topped_up.sources[0].source, reserve_vault);
    assert_eq!(topped_up.sources[0].sent, TARGET);
    assert_eq!(topped_up.slot, fetched.slot);

    // The program's own log lines reach the transaction's log, run natively as on-chain
    // (before, they went to the cluster's standard output).
    let OptionSerializer::Some(logs) = &fetched.transaction.meta.as_ref().expect("meta").log_messages else {
        panic!("logs are recorded")
    };
    assert!(logs.iter().any(|line| line == "Program log: Instruction: TopUp"), "{logs:#?}");

    let meta = fetched.transaction.meta.unwrap();
    let (OptionSerializer::Some(before), OptionSerializer::Some(after)) =
        (meta.pre_token_balances, meta.post_token_balances)
    else {
        panic!("token balances are recorded");
    };
    let amount_of = |balances: &[solana_transaction_status_client_types::UiTransactionTokenBalance], owner: Pubkey| {
        balances
            .iter()
            .find(|balance| balance.owner == OptionSerializer::Some(owner.to_string()))
            .map(|balance| balance.ui_token_amount.amount.clone())
    };
    assert_eq!(amount_of(&before, hot_pool), Some("0".to_string()));
    assert_eq!(amount_of(&after, hot_pool), Some(TARGET.to_string()));
    assert_eq!(amount_of(&after, reserve_pool), Some((RESERVE - TARGET).to_string()));

    // A second crank right away is refused by the cooldown; the RPC says why.
    let again = ix::top_up(keeper.pubkey(), accounts, balance.config_version, &[(reserve_vault, reserve_pool)]);
    let err = send(again, &keeper).await.expect_err("nothing to top up");
    assert!(err.to_string().contains("custom program error"), "{err}");
    drop(hot_updates);
    pubsub.shutdown().await.unwrap();
    cluster.shutdown().await;
}

/// One instruction through anchor-client: signed by the client's payer and `signer`, sent,
/// and confirmed.
async fn send_as(
    program: &Program<Arc<Keypair>>,
    ix: anchor_lang::solana_program::instruction::Instruction,
    signer: &Keypair,
) -> Result<solana_signature::Signature, ClientError> {
    program.request().instruction(ix).signer(signer.insecure_clone()).send().await
}
