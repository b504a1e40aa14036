//! Starting and stopping: ports, bad settings, and the program build to load.

use super::{rpc, start, SLOT};
use smart_treasury_local_cluster::{ClusterConfig, LocalCluster};
use solana_signer::Signer;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_port_is_named_and_shutdown_frees_it() {
    let first = start().await;
    let clash = ClusterConfig { rpc_addr: first.rpc_addr(), ..ClusterConfig::ephemeral() };
    let err = LocalCluster::start(clash).await.err().expect("the port is taken");
    let message = format!("{err:#}");
    assert!(message.contains(&format!("cannot listen for JSON-RPC on {}", first.rpc_addr())), "{message}");
    assert!(message.contains("--rpc-port 0"), "{message}");

    let (rpc_addr, ws_addr) = (first.rpc_addr(), first.ws_addr());
    first.shutdown().await;
    let again = ClusterConfig { rpc_addr, ws_addr, slot_duration: SLOT, ..ClusterConfig::default() };
    let second = LocalCluster::start(again).await.expect("the ports are free again");
    assert_eq!(second.rpc_url(), format!("http://{rpc_addr}"));
    assert_eq!(second.ws_url(), format!("ws://{ws_addr}"));
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_checked_before_anything_starts() {
    let fast = ClusterConfig { slot_duration: Duration::from_millis(1), ..ClusterConfig::ephemeral() };
    let err = LocalCluster::start(fast).await.err().expect("too short");
    assert_eq!(err.to_string(), "slot duration must be at least 10 ms, got 1 ms");

    let missing =
        ClusterConfig { program_so: Some("/nonexistent/smart_treasury.so".into()), ..ClusterConfig::ephemeral() };
    let err = LocalCluster::start(missing).await.err().expect("no such file");
    assert!(format!("{err:#}").starts_with("cannot read the program file /nonexistent/smart_treasury.so"), "{err:#}");

    let not_elf = std::env::temp_dir().join(format!("not-a-program-{}.so", std::process::id()));
    std::fs::write(&not_elf, b"hello").unwrap();
    let config = ClusterConfig { program_so: Some(not_elf.clone()), ..ClusterConfig::ephemeral() };
    let err = LocalCluster::start(config).await.err().expect("not an ELF file");
    assert!(err.to_string().ends_with("is not an SBF program: it does not start with the ELF magic bytes"), "{err}");
    std::fs::remove_file(not_elf).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faucet_and_program_are_there_from_the_start() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let faucet = cluster.faucet();
    assert_eq!(rpc.get_balance(&faucet.pubkey()).await.unwrap(), smart_treasury_local_cluster::FAUCET_LAMPORTS);
    let program = rpc.get_account(&smart_treasury::ID).await.expect("the program account");
    assert!(program.executable);
    for spl in [anchor_spl::token::ID, anchor_spl::token_2022::ID, anchor_spl::associated_token::ID] {
        assert!(rpc.get_account(&spl).await.unwrap().executable, "{spl} is loaded");
    }
    assert!(cluster.started_in() < Duration::from_secs(30));
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_open_connections() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let cluster = start().await;
    let rpc = rpc(&cluster);
    rpc.get_slot().await.expect("a kept-alive connection");
    let (mut socket, _) = tokio_tungstenite::connect_async(cluster.ws_url()).await.unwrap();
    let subscribe = serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": "slotSubscribe" }).to_string();
    socket.send(Message::text(subscribe)).await.unwrap();
    socket.next().await.expect("the reply").unwrap();

    cluster.shutdown().await;
    // The socket ends instead of hanging with its subscription.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(message)) = socket.next().await {
            if message.is_close() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the WebSocket was closed");
    assert!(rpc.get_slot().await.is_err(), "nothing answers any more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_survive_the_background_housekeeping() {
    use super::{funded, slots_pass, transfer};
    use anchor_lang::prelude::Pubkey;
    use solana_commitment_config::CommitmentConfig;

    // 10 ms slots: the accounts cache is flushed and cleaned every 32 slots.
    let config = ClusterConfig { slot_duration: Duration::from_millis(10), ..ClusterConfig::ephemeral() };
    let cluster = LocalCluster::start(config).await.unwrap();
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 5_000_000_000).await;
    let kept = Pubkey::new_unique();
    super::send(&rpc, &[transfer(&payer.pubkey(), &kept, 1_000_000_000)], &payer, &[]).await;
    // Emptied: the account is gone for good once cleaned.
    let emptied = solana_keypair::Keypair::new();
    super::send(&rpc, &[transfer(&payer.pubkey(), &emptied.pubkey(), 1_000_000)], &payer, &[]).await;
    super::send(&rpc, &[transfer(&emptied.pubkey(), &payer.pubkey(), 1_000_000)], &payer, &[&emptied]).await;

    slots_pass(&cluster, 100).await;
    for commitment in [CommitmentConfig::processed(), CommitmentConfig::finalized()] {
        assert_eq!(rpc.get_balance_with_commitment(&kept, commitment).await.unwrap().value, 1_000_000_000);
        assert!(rpc.get_account_with_commitment(&emptied.pubkey(), commitment).await.unwrap().value.is_none());
    }
    super::send(&rpc, &[transfer(&payer.pubkey(), &kept, 1)], &payer, &[]).await;
    slots_pass(&cluster, 40).await;
    assert_eq!(rpc.get_balance(&kept).await.unwrap(), 1_000_000_001);
    let history = rpc.get_signatures_for_address(&kept).await.unwrap();
    assert_eq!(history.len(), 2);
    cluster.shutdown().await;
}
