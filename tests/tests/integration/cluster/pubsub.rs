//! PubSub over WebSocket with solana-pubsub-client, and raw for the error shapes.

use super::tokens::{create_ata, create_mint, mint_to, SPL_TOKEN};
use super::{funded, rpc, start, transfer, SLOT};
use anchor_lang::prelude::Pubkey;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use solana_account_decoder_client_types::{UiAccountData, UiAccountEncoding};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_api::{
    config::{
        RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSignatureSubscribeConfig, RpcTransactionLogsConfig,
        RpcTransactionLogsFilter,
    },
    filter::{Memcmp, RpcFilterType},
    response::RpcSignatureResult,
};
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::time::Duration;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

async fn next<T>(stream: &mut (impl futures_util::Stream<Item = T> + Unpin)) -> T {
    timeout(WAIT, stream.next()).await.expect("a notification in time").expect("the stream stays open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_accounts_and_signatures() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let pubsub = PubsubClient::new(&cluster.ws_url()).await.expect("connects");

    let (mut slots, unsubscribe_slots) = pubsub.slot_subscribe().await.expect("slotSubscribe");
    let first = next(&mut slots).await;
    let second = next(&mut slots).await;
    assert_eq!(second.slot, first.slot + 1);
    assert_eq!(second.parent, second.slot - 1);
    assert_eq!(second.root, second.parent);
    unsubscribe_slots().await;

    let watched = Keypair::new();
    let processed = RpcAccountInfoConfig {
        encoding: Some(UiAccountEncoding::Base64),
        commitment: Some(CommitmentConfig::processed()),
        ..RpcAccountInfoConfig::default()
    };
    let finalized = RpcAccountInfoConfig { commitment: Some(CommitmentConfig::finalized()), ..processed.clone() };
    let (mut fast, unsubscribe_fast) =
        pubsub.account_subscribe(&watched.pubkey(), Some(processed)).await.expect("accountSubscribe");
    let (mut slow, unsubscribe_slow) = pubsub.account_subscribe(&watched.pubkey(), Some(finalized)).await.unwrap();
    let airdrop = rpc.request_airdrop(&watched.pubkey(), 1_234_567_890).await.unwrap();

    let seen_fast = next(&mut fast).await;
    assert_eq!(seen_fast.value.lamports, 1_234_567_890);
    assert_eq!(seen_fast.value.owner, anchor_lang::system_program::ID.to_string());
    let seen_slow = next(&mut slow).await;
    assert_eq!(seen_slow.value.lamports, 1_234_567_890);
    assert!(seen_slow.context.slot >= seen_fast.context.slot, "finalized follows processed");

    // A signature already final is notified at once; one still to come, when it lands.
    let final_config = RpcSignatureSubscribeConfig {
        commitment: Some(CommitmentConfig::finalized()),
        enable_received_notification: None,
    };
    let (mut done, _) =
        pubsub.signature_subscribe(&airdrop, Some(final_config.clone())).await.expect("signatureSubscribe");
    let RpcSignatureResult::ProcessedSignature(result) = next(&mut done).await.value else {
        panic!("a processed result")
    };
    assert_eq!(result.err, None);

    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(
        &[transfer(&watched.pubkey(), &Pubkey::new_unique(), 1_000_000)],
        Some(&watched.pubkey()),
        &[&watched],
        blockhash,
    );
    let received = RpcSignatureSubscribeConfig {
        commitment: Some(CommitmentConfig::confirmed()),
        enable_received_notification: Some(true),
    };
    let (mut pending, _) = pubsub.signature_subscribe(&tx.signatures[0], Some(received)).await.unwrap();
    rpc.send_transaction(&tx).await.unwrap();
    assert!(matches!(next(&mut pending).await.value, RpcSignatureResult::ReceivedSignature(_)));
    assert!(
        matches!(next(&mut pending).await.value, RpcSignatureResult::ProcessedSignature(ref result) if result.err.is_none())
    );
    let after = next(&mut fast).await;
    assert_eq!(after.value.lamports, 1_234_567_890 - 1_000_000 - 5_000);

    unsubscribe_fast().await;
    unsubscribe_slow().await;
    drop((slots, fast, slow, done, pending));
    tokio::time::sleep(SLOT * 2).await;
    assert_eq!(cluster.subscription_count(), 0, "every subscription was closed");
    pubsub.shutdown().await.unwrap();
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_program_accounts() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 10_000_000_000).await;
    let pubsub = PubsubClient::new(&cluster.ws_url()).await.unwrap();
    let holder = Pubkey::new_unique();

    let mentions = RpcTransactionLogsFilter::Mentions(vec![holder.to_string()]);
    let processed = RpcTransactionLogsConfig { commitment: Some(CommitmentConfig::processed()) };
    let (mut logs, unsubscribe_logs) = pubsub.logs_subscribe(mentions, processed).await.expect("logsSubscribe");
    let (mut all_logs, unsubscribe_all_logs) = pubsub
        .logs_subscribe(
            RpcTransactionLogsFilter::All,
            RpcTransactionLogsConfig { commitment: Some(CommitmentConfig::confirmed()) },
        )
        .await
        .unwrap();
    let holder_accounts = RpcProgramAccountsConfig {
        filters: Some(vec![
            RpcFilterType::DataSize(165),
            RpcFilterType::Memcmp(Memcmp::new_base58_encoded(32, &holder.to_bytes())),
        ]),
        account_config: RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::JsonParsed),
            commitment: Some(CommitmentConfig::processed()),
            ..RpcAccountInfoConfig::default()
        },
        ..RpcProgramAccountsConfig::default()
    };
    let (mut program, unsubscribe_program) =
        pubsub.program_subscribe(&SPL_TOKEN, Some(holder_accounts)).await.expect("programSubscribe");

    let mint = create_mint(&rpc, &payer, SPL_TOKEN, 6).await;
    let account = create_ata(&rpc, &payer, mint, holder, SPL_TOKEN).await;
    mint_to(&rpc, &payer, mint, account, SPL_TOKEN, 777).await;

    // The account's creation, then the mint: only the holder's account, parsed.
    let created = next(&mut program).await;
    assert_eq!(created.value.pubkey, account.to_string());
    let minted = next(&mut program).await;
    let UiAccountData::Json(parsed) = minted.value.account.data else { panic!("jsonParsed") };
    assert_eq!(parsed.parsed["info"]["tokenAmount"]["amount"], "777");

    // Only the transaction that named the holder.
    let named = next(&mut logs).await;
    assert!(named.value.logs.iter().any(|line| line.contains("Program log: Create")), "{:#?}", named.value.logs);
    assert_eq!(named.value.err, None);
    // Every transaction reaches the confirmed stream, the mint's creation among them.
    loop {
        let seen = next(&mut all_logs).await;
        if seen.value.logs.iter().any(|line| line.contains("InitializeMint2")) {
            break;
        }
    }
    assert_eq!(cluster.subscription_count(), 3);
    unsubscribe_logs().await;
    unsubscribe_all_logs().await;
    unsubscribe_program().await;
    drop((logs, all_logs, program));
    super::within(40, || async { (cluster.subscription_count() == 0).then_some(()) }).await;
    pubsub.shutdown().await.unwrap();
    cluster.shutdown().await;
}

async fn ask(
    socket: &mut (impl futures_util::Sink<Message>
              + futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
              + Unpin),
    request: Value,
) -> Value {
    socket.send(Message::text(request.to_string())).await.ok().expect("sent");
    loop {
        let message = timeout(WAIT, socket.next()).await.expect("an answer").expect("open").expect("readable");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value.get("id").is_some() || value.is_array() {
                return value;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_subscription_errors() {
    let cluster = start().await;
    let (mut socket, _) = tokio_tungstenite::connect_async(cluster.ws_url()).await.expect("connects");

    let answer = ask(&mut socket, json!({ "jsonrpc": "2.0", "id": 1, "method": "slotSubscribe" })).await;
    let id = answer["result"].as_u64().expect("a subscription id");
    let answer =
        ask(&mut socket, json!({ "jsonrpc": "2.0", "id": 2, "method": "slotUnsubscribe", "params": [id] })).await;
    assert_eq!(answer["result"], true);
    let answer =
        ask(&mut socket, json!({ "jsonrpc": "2.0", "id": 3, "method": "slotUnsubscribe", "params": [id] })).await;
    assert_eq!(answer["error"], json!({ "code": -32602, "message": "Invalid subscription id." }));
    // Every kind unsubscribes with its own method.
    let key = Pubkey::new_unique().to_string();
    let signature = solana_signature::Signature::default().to_string();
    for (index, (subscribe, params)) in [
        ("account", json!([key])),
        ("program", json!([key])),
        ("logs", json!(["all"])),
        ("signature", json!([signature])),
    ]
    .into_iter()
    .enumerate()
    {
        let id = 100 + 2 * index;
        let answer = ask(
            &mut socket,
            json!({ "jsonrpc": "2.0", "id": id, "method": format!("{subscribe}Subscribe"), "params": params }),
        )
        .await;
        let subscription = answer["result"].as_u64().unwrap_or_else(|| panic!("{subscribe}Subscribe: {answer}"));
        let answer = ask(&mut socket, json!({ "jsonrpc": "2.0", "id": id + 1, "method": format!("{subscribe}Unsubscribe"), "params": [subscription] })).await;
        assert_eq!(answer["result"], true, "{subscribe}Unsubscribe");
    }
    assert_eq!(cluster.subscription_count(), 0);
    let answer =
        ask(&mut socket, json!({ "jsonrpc": "2.0", "id": 4, "method": "blockSubscribe", "params": ["all"] })).await;
    assert_eq!(answer["error"]["code"], -32601);
    let answer =
        ask(&mut socket, json!({ "jsonrpc": "2.0", "id": 5, "method": "accountSubscribe", "params": ["nope"] })).await;
    assert_eq!(answer["error"]["code"], -32602);
    let two = json!({ "mentions": [Pubkey::new_unique().to_string(), Pubkey::new_unique().to_string()] });
    let answer =
        ask(&mut socket, json!({ "jsonrpc": "2.0", "id": 6, "method": "logsSubscribe", "params": [two] })).await;
    assert_eq!(answer["error"]["message"], "Invalid Request: Only 1 address supported");
    socket.close(None).await.unwrap();
    cluster.shutdown().await;
}
