//! The embedded local cluster, driven over real HTTP and WebSocket by standard clients:
//! solana-rpc-client, solana-pubsub-client and anchor-client. Each test starts its own
//! cluster on free ports with short slots.

mod accounts;
mod blocks;
mod commitment;
mod errors;
mod faults;
mod lifecycle;
mod methods;
mod network;
mod pubsub;
mod tokens;
mod transactions;
mod treasury;

use anchor_lang::prelude::Pubkey;
use serde_json::{json, Value};
use smart_treasury_local_cluster::{ClusterConfig, Confirmation, FaultConfig, LocalCluster};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::{future::Future, time::Duration};

/// Short slots keep the tests quick; confirmation still takes a real slot.
pub const SLOT: Duration = Duration::from_millis(50);

pub async fn start() -> LocalCluster {
    start_with(FaultConfig::default()).await
}

/// Runs the program natively, or its SBF build when the suite runs against it
/// (`SMART_TREASURY_SBF`, as the program tests). Instant confirmation: these tests are
/// about the methods; `commitment` is about the timing.
pub async fn start_with(faults: FaultConfig) -> LocalCluster {
    start_confirming(Confirmation::INSTANT, faults).await
}

pub async fn start_confirming(confirmation: Confirmation, faults: FaultConfig) -> LocalCluster {
    let program_so = smart_treasury_tests::sbf_program_dir().map(|dir| dir.join("smart_treasury.so"));
    let config = ClusterConfig { slot_duration: SLOT, confirmation, faults, program_so, ..ClusterConfig::ephemeral() };
    LocalCluster::start(config).await.expect("the cluster starts")
}

/// A client that waits for `processed` only: quick setup steps.
pub fn rpc(cluster: &LocalCluster) -> RpcClient {
    RpcClient::new_with_commitment(cluster.rpc_url(), CommitmentConfig::processed())
}

/// One raw JSON-RPC call (or batch), as any HTTP client sends it; the parsed answer.
pub async fn raw(cluster: &LocalCluster, body: Value) -> Value {
    raw_response(cluster, body).await.json().await.expect("a JSON answer")
}

pub async fn raw_response(cluster: &LocalCluster, body: Value) -> reqwest::Response {
    reqwest::Client::new().post(cluster.rpc_url()).json(&body).send().await.expect("the RPC answers")
}

pub fn call(method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params })
}

/// A new key holding `lamports`, from the faucet.
pub async fn funded(rpc: &RpcClient, lamports: u64) -> Keypair {
    let keypair = Keypair::new();
    let signature = rpc.request_airdrop(&keypair.pubkey(), lamports).await.expect("airdrop");
    // Wait until it is confirmed, so a client reading (or preflighting) at any level up to
    // confirmed sees the funds.
    within(100, || async {
        let landed = rpc.confirm_transaction_with_commitment(&signature, CommitmentConfig::confirmed()).await;
        landed.expect("the status is readable").value.then_some(())
    })
    .await;
    keypair
}

/// Sends and waits until processed; panics with the RPC's answer on failure.
pub async fn send(
    rpc: &RpcClient,
    instructions: &[anchor_lang::solana_program::instruction::Instruction],
    payer: &Keypair,
    signers: &[&Keypair],
) -> solana_signature::Signature {
    let blockhash = rpc.get_latest_blockhash().await.expect("blockhash");
    let mut all: Vec<&Keypair> = vec![payer];
    all.extend(signers.iter().filter(|signer| signer.pubkey() != payer.pubkey()));
    let tx = Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &all, blockhash);
    rpc.send_and_confirm_transaction(&tx).await.unwrap_or_else(|err| panic!("transaction failed: {err}"))
}

/// Polls `check` every slot until it yields a value, for at most `slots` slots.
pub async fn within<T, F, Fut>(slots: u32, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..slots {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(SLOT).await;
    }
    panic!("nothing after {slots} slots");
}

/// Waits until the cluster's working slot is `count` slots past now.
pub async fn slots_pass(cluster: &LocalCluster, count: u64) {
    let target = cluster.slot() + count;
    within(count as u32 * 20 + 20, || async { (cluster.slot() >= target).then_some(()) }).await;
}

pub fn transfer(from: &Pubkey, to: &Pubkey, lamports: u64) -> anchor_lang::solana_program::instruction::Instruction {
    solana_system_interface::instruction::transfer(from, to, lamports)
}
