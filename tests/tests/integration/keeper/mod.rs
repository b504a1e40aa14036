//! The keeper against a local cluster over real RPC and PubSub: it reacts to breaches,
//! acts ahead of forecast ones, sweeps, survives faults and restarts, and two keepers
//! never double-act. Top-ups are counted from the chain (the program's events), not
//! from what a keeper believes.

mod actions;
mod commitment;
mod config;
mod cooldown;
mod events;
mod faults;
mod fleet;
mod history;
mod landing;
mod restart;
mod sources;
mod state;

use smart_treasury_cli::demo::setup::{self, Demo};
use smart_treasury_client::{ix, keypair::save_keypair, pda, tx, Change};
use smart_treasury_keeper::{
    config::{resolve, FileConfig, KeeperConfig},
    events::movements_of,
    service,
    store::Movement,
};
use smart_treasury_local_cluster::{ClusterConfig, Confirmation, LocalCluster};
use smart_treasury_tests::TempDir;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signer::Signer;
use std::{
    collections::BTreeSet,
    path::PathBuf,
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

const SLOT: Duration = Duration::from_millis(100);

/// A cluster with the demo treasury: the hot wallet (managed balance 1) sits at its
/// target, min 2,000 and max 8,000 units, funded by the reserve then the venue.
pub struct Env {
    pub cluster: LocalCluster,
    pub rpc: RpcClient,
    pub demo: Demo,
    pub dir: TempDir,
}

pub async fn env() -> Env {
    env_on(realistic_cluster()).await
}

/// The realistic cluster the keeper is tested on: 100 ms slots, free ports.
pub fn realistic_cluster() -> ClusterConfig {
    ClusterConfig { slot_duration: SLOT, confirmation: Confirmation::REALISTIC, ..ClusterConfig::ephemeral() }
}

/// `env` on a cluster started with `config`.
pub async fn env_on(config: ClusterConfig) -> Env {
    let cluster = LocalCluster::start(config).await.expect("the cluster starts");
    let rpc = smart_treasury_client::connect(&cluster.rpc_url());
    let dir = TempDir::new("smart-treasury-keeper");
    let demo = setup::build(&rpc, &cluster.faucet(), &dir.0).await.expect("the demo treasury is built");
    Env { cluster, rpc, demo, dir }
}

impl Env {
    pub fn hot_wallet_balance_id(&self) -> anchor_lang::prelude::Pubkey {
        pda::managed_balance_pda(&self.demo.treasury, 1)
    }

    /// The hot wallet in threshold mode with `cooldown_seconds` between automatic moves
    /// (a day's period, a 50,000 cap, a 50% forecast band), set by the authority.
    pub async fn set_hot_wallet_cooldown(&self, cooldown_seconds: u32) {
        let automation = smart_treasury::state::AutomationSettings {
            cooldown_seconds,
            period_seconds: 86_400,
            period_cap: 50_000_000_000,
            forecast_band_bps: 5_000,
        };
        let settings = ix::update_settings(
            self.demo.authority.pubkey(),
            self.demo.treasury,
            self.hot_wallet_balance_id(),
            smart_treasury::state::BalanceMode::Threshold,
            automation,
        );
        tx::send(&self.rpc, &self.demo.authority, vec![Change::new("a cooldown", settings)]).await.expect("settings");
    }

    /// Settings for a keeper named `name`, with a funded key and its own store.
    pub async fn keeper_settings(&self, name: &str) -> FileConfig {
        let keeper = Keypair::new();
        let keypair = self.dir.0.join(format!("{name}.json"));
        save_keypair(&keeper, &keypair).expect("keeper key saved");
        let fund = Change::new(
            "fund keeper",
            solana_system_interface::instruction::transfer(
                &self.cluster.faucet().pubkey(),
                &keeper.pubkey(),
                5_000_000_000,
            ),
        );
        tx::send(&self.rpc, &self.cluster.faucet(), vec![fund]).await.expect("keeper funded");
        FileConfig {
            rpc_url: Some(self.cluster.rpc_url()),
            ws_url: Some(self.cluster.ws_url()),
            keypair: Some(keypair),
            treasury: Some(self.demo.treasury.to_string()),
            store: Some(self.dir.0.join(format!("{name}.sqlite"))),
            cycle_ms: Some(100),
            discovery_interval_s: Some(1),
            ..FileConfig::default()
        }
    }

    pub async fn keeper_config(&self, name: &str) -> KeeperConfig {
        resolve(self.keeper_settings(name).await, FileConfig::default()).expect("valid keeper settings")
    }

    /// The demo venue's owner (a trading venue's account the treasury only pulls from).
    pub fn venue_owner(&self) -> Keypair {
        smart_treasury_client::keypair::load_keypair(&self.demo.dir.join("venue-owner.json"), "--keypair")
            .expect("the demo's venue owner")
    }

    /// The venue's owner empties its account (to the customer) and closes it.
    pub async fn close_venue(&self) {
        use anchor_spl::token_2022::spl_token_2022::instruction::{close_account, transfer_checked};
        use smart_treasury_cli::demo::tokens::SPL_TOKEN;
        let (owner, venue) = (self.venue_owner(), self.demo.venue);
        let held = smart_treasury_client::read::token_account(&self.rpc, &venue).await.expect("the venue").amount;
        let instructions = vec![
            transfer_checked(&SPL_TOKEN, &venue, &self.demo.mint, &self.demo.customer, &owner.pubkey(), &[], held, 6)
                .expect("transfer"),
            close_account(&SPL_TOKEN, &venue, &owner.pubkey(), &owner.pubkey(), &[]).expect("close"),
        ];
        let change = Change { summary: "close the venue".into(), instructions, co_signers: vec![] };
        tx::send(&self.rpc, &owner, vec![change]).await.expect("the venue closed");
    }

    /// The hot wallet's balance; retried, since fault tests make the RPC fail on purpose.
    pub async fn hot_balance(&self) -> u64 {
        for _ in 0..50 {
            if let Ok(account) = smart_treasury_client::read::token_account(&self.rpc, &self.demo.hot_vault).await {
                return account.amount;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the hot vault could not be read");
    }

    /// Pays customers out of the hot wallet (as the authority) until it holds `balance`.
    pub async fn pay_out_to(&self, balance: u64) {
        let current = self.hot_balance().await;
        assert!(current > balance, "hot wallet holds {current}, cannot pay out down to {balance}");
        let withdraw =
            ix::withdraw(self.demo.authority.pubkey(), self.demo.customer, self.demo.hot_wallet(), current - balance);
        tx::send(&self.rpc, &self.demo.authority, vec![Change::new("payout", withdraw)]).await.expect("payout lands");
    }

    /// The hot wallet's confirmed movements as the chain records them, oldest first.
    pub async fn hot_wallet_movements(&self) -> Vec<Movement> {
        let address = self.hot_wallet_balance_id();
        // At confirmed, as the keeper reads: finalized trails by 32 slots on this cluster.
        let config = solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config {
            commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
            ..Default::default()
        };
        let signatures = self.rpc.get_signatures_for_address_with_config(&address, config).await.expect("signatures");
        let mut movements = Vec::new();
        for entry in signatures.iter().rev().filter(|entry| entry.err.is_none()) {
            let events = smart_treasury_client::events::fetch(&self.rpc, &entry.signature)
                .await
                .expect("transaction")
                .expect("a listed transaction is served");
            movements.extend(
                movements_of(&events).into_iter().filter(|movement| movement.managed_balance == address.to_string()),
            );
        }
        movements
    }

    /// Every program event of the treasury on chain, as (signature, event index).
    pub async fn treasury_events_on_chain(&self) -> BTreeSet<(String, u32)> {
        // At confirmed, as the keeper ingests: finalized trails by 32 slots on this cluster.
        let config = solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config {
            commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
            ..Default::default()
        };
        let signatures =
            self.rpc.get_signatures_for_address_with_config(&self.demo.treasury, config).await.expect("signatures");
        let mut ids = BTreeSet::new();
        for entry in signatures.iter().filter(|entry| entry.err.is_none()) {
            let events = smart_treasury_client::events::fetch(&self.rpc, &entry.signature)
                .await
                .expect("transaction")
                .expect("a listed transaction is served");
            ids.extend(events.events.iter().map(|event| (entry.signature.clone(), event.index())));
        }
        ids
    }
}

/// The events a keeper store recorded, as (signature, event index).
pub fn stored_event_ids(store: &std::path::Path) -> BTreeSet<(String, u32)> {
    let Ok(store) = smart_treasury_keeper::store::Store::open(store) else { return BTreeSet::new() };
    let events = store.events(&Default::default()).expect("stored events");
    events.into_iter().map(|event| (event.signature, event.index)).collect()
}

/// A keeper running in this process until the token fires, with its shared state for
/// the test to look at (metrics, fleet, store).
pub fn start_shared(
    config: KeeperConfig,
) -> (std::sync::Arc<service::Shared>, tokio::task::JoinHandle<anyhow::Result<()>>, CancellationToken) {
    let shared = service::Shared::new(config).expect("the keeper's state");
    let shutdown = CancellationToken::new();
    (shared.clone(), tokio::spawn(service::run_shared(shared, shutdown.clone())), shutdown)
}

/// A keeper running in this process until the token fires.
pub fn start(config: KeeperConfig) -> (tokio::task::JoinHandle<anyhow::Result<()>>, CancellationToken) {
    let shutdown = CancellationToken::new();
    (tokio::spawn(service::run(config, shutdown.clone())), shutdown)
}

/// Polls `condition` until it holds or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !condition().await {
        assert!(started.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Slots given to anything still in flight to land and be confirmed.
const SETTLE_SLOTS: u64 = 20;

impl Env {
    /// Waits until the cluster has confirmed `SETTLE_SLOTS` slots past the current one:
    /// counted in the cluster's slots, which a loaded machine produces more slowly than
    /// its clock says.
    pub async fn settle(&self) {
        let until = self.cluster.slot() + SETTLE_SLOTS;
        let timeout = Duration::from_secs(120);
        eventually(timeout, "the cluster to confirm a few more slots", || async {
            self.cluster.confirmed_slot() >= until
        })
        .await;
    }
}
