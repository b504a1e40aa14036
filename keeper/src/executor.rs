//! Carries a claimed crank out through the client's landing loop
//! (`smart_treasury_client::land`): probe its compute units, price it, send and re-send
//! it, await landing at `confirmed`, rebuild it on expiry. An RPC failure is retried with
//! backoff; every signature sent for the need stays watched, so a copy that lands late
//! is the one that met the need. The program's cooldown and config version make a
//! duplicate harmless; the store's claim keeps this keeper from sending one.

use crate::{
    config::ExecutorConfig,
    crank::Crank,
    fees::backoff,
    metrics::{self, Metrics},
};
use smart_treasury_client::land::{LandConfig, LandError, Lander};
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signature::Signature;
use solana_signer::Signer;
use std::{sync::Arc, time::Duration, time::Instant};

/// Compute units one more source of a top-up may take when the draw reaches it: SPL
/// Token's transfer (6,174), its CPI and the program's own work, about 10,100 on the SBF
/// build (`docs/compute-units.md`), rounded up to that benchmark's budget.
pub const UNITS_PER_FURTHER_SOURCE: u32 = 12_000;

/// How a crank ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Landed {
        signature: String,
        /// What it was priced at; `None` when an earlier send is the one that landed.
        fee_lamports: Option<u64>,
        compute_unit_limit: Option<u32>,
        sends: u32,
        attempts: u32,
    },
    /// Simulation or the landed transaction was refused by the program: `code` says why
    /// (e.g. another keeper already acted and the cooldown holds).
    Refused { code: Option<u32>, reason: String },
    /// Would cost more than the configured maximum.
    TooExpensive { fee_lamports: u64 },
    /// Gave up after the configured attempts; the need stays open for a later cycle.
    GaveUp { reason: String, attempts: u32 },
}

pub struct Executor {
    rpc: Arc<RpcClient>,
    payer: Arc<Keypair>,
    config: ExecutorConfig,
    metrics: Metrics,
}

impl Executor {
    pub fn new(rpc: Arc<RpcClient>, payer: Arc<Keypair>, config: ExecutorConfig, metrics: Metrics) -> Self {
        Self { rpc, payer, config, metrics }
    }

    /// Warns, and exports a gauge, when the fee payer runs low.
    pub async fn check_fee_payer(&self) -> Option<u64> {
        let started = Instant::now();
        let balance = self.rpc.get_balance(&self.payer.pubkey()).await.ok()?;
        self.metrics.observe_rpc("getBalance", started.elapsed().as_secs_f64());
        self.metrics.set(&metrics::FEE_PAYER_LAMPORTS, &[], balance as f64);
        if balance < self.config.low_balance_lamports {
            tracing::warn!(
                fee_payer = %self.payer.pubkey(),
                balance,
                threshold = self.config.low_balance_lamports,
                "fee payer is running low: fund it or cranks will stop"
            );
            self.metrics.add(&metrics::ALERTS, &["fee_payer_low"], 1.0);
        }
        Some(balance)
    }

    /// How the landing loop treats `crank`: the limit covers a draw that reaches every
    /// source passed, even when simulation drew on fewer.
    pub fn land_config(&self, crank: &Crank) -> LandConfig {
        let further = u32::try_from(crank.sources_passed.saturating_sub(1)).unwrap_or(u32::MAX);
        LandConfig {
            compute_unit_margin: self.config.compute_unit_margin,
            extra_compute_units: UNITS_PER_FURTHER_SOURCE.saturating_mul(further),
            priority_fee_percentile: self.config.priority_fee_percentile,
            max_priority_fee_micro_lamports: self.config.max_priority_fee_micro_lamports,
            max_fee_lamports: self.config.max_fee_lamports,
            ..LandConfig::default()
        }
    }

    /// Lands `crank` or says why not. `earlier` are signatures already sent for its need
    /// (by a run that was interrupted); `on_sent` hears each new one before it goes out,
    /// so a restarted keeper can look it up instead of trusting it never went.
    pub async fn execute(
        &self,
        crank: &Crank,
        earlier: &[Signature],
        on_sent: &(dyn Fn(&Signature) + Sync),
    ) -> Outcome {
        let observe = |method: &'static str, took: Duration| self.metrics.observe_rpc(method, took.as_secs_f64());
        let lander = Lander::new(&self.rpc, &self.payer, self.land_config(crank)).with_observer(&observe);
        let mut watched: Vec<Signature> = earlier.to_vec();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let error = match lander.land(std::slice::from_ref(&crank.instruction), &watched, on_sent).await {
                Ok(landed) => {
                    return Outcome::Landed {
                        signature: landed.signature.to_string(),
                        fee_lamports: landed.priced.map(|priced| priced.fee_lamports),
                        compute_unit_limit: landed.priced.map(|priced| priced.compute_unit_limit),
                        sends: landed.sends,
                        attempts,
                    }
                }
                Err(LandError::Refused { code, reason, .. }) => return Outcome::Refused { code, reason },
                Err(LandError::TooExpensive { fee_lamports, .. }) => return Outcome::TooExpensive { fee_lamports },
                Err(error) => error,
            };
            for signature in error.sent() {
                if !watched.contains(signature) {
                    watched.push(*signature);
                }
            }
            self.metrics.add(&metrics::CRANK_ATTEMPT_FAILURES, &[crank.kind], 1.0);
            if attempts >= self.config.max_attempts {
                return Outcome::GaveUp { reason: error.to_string(), attempts };
            }
            tracing::warn!(need = %crank.need, attempts, %error, "crank attempt failed; retrying");
            let delay = backoff(attempts - 1, Duration::from_millis(200), Duration::from_secs(5), 0.5, rand::random());
            tokio::time::sleep(delay).await;
        }
    }
}
