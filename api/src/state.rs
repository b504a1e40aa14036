//! What every handler shares: the keeper's live view of the treasury (fleet, store, RPC
//! client), the API's settings and its own connection to the store file, and the
//! authority key when changes are signed here.

use crate::{config::ApiConfig, error::Problem, webhook::Hooks};
use anyhow::{Context, Result};
use smart_treasury_keeper::{service::Shared, store::Store};
use solana_keypair::Keypair;
use std::sync::{Arc, Mutex, MutexGuard};

pub struct AppState {
    pub keeper: Arc<Shared>,
    pub config: ApiConfig,
    /// The API's own connection to the keeper's store: reads here never wait on the
    /// keeper's writes (WAL), and the webhook and idempotency tables live here too.
    db: Mutex<Store>,
    pub authority: Option<Keypair>,
    pub hooks: Hooks,
    /// The cluster's genesis hash, read once when first needed: it names the cluster.
    genesis_hash: tokio::sync::OnceCell<String>,
}

/// The API's tables in the keeper's store, created or brought up to date.
pub fn migrate(store: &Store) -> Result<()> {
    crate::webhook::store::migrate(store)?;
    crate::core::idempotency::migrate(store)?;
    crate::core::operator_moves::migrate(store)
}

impl AppState {
    pub fn new(keeper: Arc<Shared>, config: ApiConfig) -> Result<Self> {
        let db = Store::open(&keeper.config.store)?;
        migrate(&db)?;
        let authority = match &config.authority_keypair {
            Some(path) => {
                Some(smart_treasury_client::keypair::load_keypair(path, "api.authority_keypair").with_context(
                    || format!("loading the API's authority keypair {}: check `api.authority_keypair`", path.display()),
                )?)
            }
            None => None,
        };
        let hooks = Hooks::new(&config.webhooks)?;
        Ok(Self { keeper, config, db: Mutex::new(db), authority, hooks, genesis_hash: Default::default() })
    }

    /// The genesis hash of the cluster the keeper's RPC serves.
    pub async fn genesis_hash(&self) -> Result<&str, Problem> {
        let rpc = &self.keeper.rpc;
        let hash = self
            .genesis_hash
            .get_or_try_init(|| async {
                let hash =
                    rpc.get_genesis_hash().await.map_err(|error| smart_treasury_client::read::rpc_error(rpc, error))?;
                Ok::<_, Problem>(hash.to_string())
            })
            .await?;
        Ok(hash)
    }

    pub fn db(&self) -> MutexGuard<'_, Store> {
        self.db.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` on the API's store connection off the async threads.
    pub async fn with_db<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Store) -> Result<T> + Send + 'static,
    ) -> Result<T, Problem> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || work(&state.db()))
            .await
            .map_err(Problem::internal)?
            .map_err(Problem::internal)
    }
}
