//! Lands a crank: simulate for its compute units, bid a priority fee from recent fees,
//! refuse it when too expensive, send, confirm, and rebuild it on a fresh blockhash when
//! the old one expires. The program's cooldown and config version make a duplicate
//! harmless; the store's claim keeps this keeper from sending one.

use crate::{
    config::ExecutorConfig,
    crank::Crank,
    fees::{backoff, compute_unit_limit, priority_fee, total_fee},
    metrics::Metrics,
};
use anchor_lang::solana_program::instruction::Instruction;
use smart_treasury_client::program_error;
use solana_commitment_config::CommitmentConfig;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{RpcSendTransactionConfig, RpcSimulateTransactionConfig};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use std::{sync::Arc, time::Duration, time::Instant};

/// How a crank ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Landed {
        signature: String,
        fee_lamports: u64,
        compute_unit_limit: u32,
        attempts: u32,
    },
    /// Simulation or the landed transaction was refused by the program: `code` says why
    /// (e.g. another keeper already acted and the cooldown holds).
    Refused {
        code: Option<u32>,
        reason: String,
    },
    /// Would cost more than the configured maximum.
    TooExpensive {
        fee_lamports: u64,
    },
    /// Gave up after the configured attempts; the need stays open for a later cycle.
    GaveUp {
        reason: String,
        attempts: u32,
    },
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

    async fn timed<T>(&self, method: &str, call: impl std::future::Future<Output = T>) -> T {
        let started = Instant::now();
        let result = call.await;
        self.metrics.observe_rpc(method, started.elapsed().as_secs_f64());
        result
    }

    fn transaction(&self, instructions: &[Instruction], blockhash: solana_hash::Hash) -> Transaction {
        Transaction::new_signed_with_payer(instructions, Some(&self.payer.pubkey()), &[self.payer.as_ref()], blockhash)
    }

    /// Warns, and exports a gauge, when the fee payer runs low.
    pub async fn check_fee_payer(&self) -> Option<u64> {
        let balance = self.timed("getBalance", self.rpc.get_balance(&self.payer.pubkey())).await.ok()?;
        self.metrics.set_gauge("smart_treasury_fee_payer_lamports", "Fee payer balance", vec![], balance as f64);
        if balance < self.config.low_balance_lamports {
            tracing::warn!(
                fee_payer = %self.payer.pubkey(),
                balance,
                threshold = self.config.low_balance_lamports,
                "fee payer is running low: fund it or cranks will stop"
            );
            self.metrics.add_counter(
                "smart_treasury_alerts_total",
                "Alerts raised",
                vec![("alert", "fee_payer_low".into())],
                1.0,
            );
        }
        Some(balance)
    }

    /// Lands `crank` or says why not.
    /// `on_sent` hears each signature as it goes out, so a restarted keeper can look
    /// it up instead of sending again.
    pub async fn execute(&self, crank: &Crank, on_sent: &(dyn Fn(&str) + Sync)) -> Outcome {
        let mut attempts = 0;
        let mut last_reason = String::new();
        while attempts < self.config.max_attempts {
            attempts += 1;
            match self.attempt(crank, attempts, on_sent).await {
                Ok(outcome) => return outcome,
                Err(reason) => {
                    tracing::warn!(need = %crank.need, attempts, %reason, "crank attempt failed; retrying");
                    self.metrics.add_counter(
                        "smart_treasury_failures_total",
                        "Failed crank attempts",
                        vec![("kind", crank.kind.into())],
                        1.0,
                    );
                    last_reason = reason;
                    let delay =
                        backoff(attempts - 1, Duration::from_millis(200), Duration::from_secs(5), 0.5, rand::random());
                    tokio::time::sleep(delay).await;
                }
            }
        }
        Outcome::GaveUp { reason: last_reason, attempts }
    }

    /// One build-simulate-send-confirm round. `Err` is a transient failure worth a retry.
    async fn attempt(&self, crank: &Crank, attempt: u32, on_sent: &(dyn Fn(&str) + Sync)) -> Result<Outcome, String> {
        let (blockhash, last_valid_height) = self
            .timed("getLatestBlockhash", self.rpc.get_latest_blockhash_with_commitment(CommitmentConfig::confirmed()))
            .await
            .map_err(|error| format!("getLatestBlockhash: {error}"))?;

        // Simulate at the maximum limit to learn what the crank consumes.
        let probe = self.transaction(
            &[
                ComputeBudgetInstruction::set_compute_unit_limit(crate::fees::MAX_COMPUTE_UNITS),
                crank.instruction.clone(),
            ],
            blockhash,
        );
        let simulation = self
            .timed(
                "simulateTransaction",
                self.rpc.simulate_transaction_with_config(
                    &probe,
                    RpcSimulateTransactionConfig {
                        sig_verify: false,
                        commitment: Some(CommitmentConfig::confirmed()),
                        ..RpcSimulateTransactionConfig::default()
                    },
                ),
            )
            .await
            .map_err(|error| format!("simulateTransaction: {error}"))?
            .value;
        if let Some(error) = simulation.err {
            let error: TransactionError = error.into();
            if matches!(error, TransactionError::BlockhashNotFound) {
                return Err("blockhash expired before simulation".into());
            }
            return Ok(Outcome::Refused {
                code: program_error::custom_code(&error),
                reason: program_error::describe(&error),
            });
        }
        let limit = compute_unit_limit(simulation.units_consumed.unwrap_or(0) + 300, self.config.compute_unit_margin);

        let writable: Vec<_> =
            crank.instruction.accounts.iter().filter(|meta| meta.is_writable).map(|meta| meta.pubkey).collect();
        let recent: Vec<u64> = self
            .timed("getRecentPrioritizationFees", self.rpc.get_recent_prioritization_fees(&writable))
            .await
            .map(|fees| fees.into_iter().map(|fee| fee.prioritization_fee).collect())
            .unwrap_or_default();
        let price =
            priority_fee(&recent, self.config.priority_fee_percentile, self.config.max_priority_fee_micro_lamports);
        let instructions = [
            ComputeBudgetInstruction::set_compute_unit_limit(limit),
            ComputeBudgetInstruction::set_compute_unit_price(price),
            crank.instruction.clone(),
        ];
        let tx = self.transaction(&instructions, blockhash);
        let base_fee = self
            .timed("getFeeForMessage", self.rpc.get_fee_for_message(&tx.message))
            .await
            .map_err(|error| format!("getFeeForMessage: {error}"))?;
        let fee = base_fee.max(total_fee(1, 0, limit, price));
        if fee > self.config.max_fee_lamports {
            return Ok(Outcome::TooExpensive { fee_lamports: fee });
        }

        let signature = self
            .timed(
                "sendTransaction",
                self.rpc.send_transaction_with_config(
                    &tx,
                    RpcSendTransactionConfig {
                        skip_preflight: true,
                        max_retries: Some(0),
                        ..RpcSendTransactionConfig::default()
                    },
                ),
            )
            .await
            .map_err(|error| format!("sendTransaction: {error}"))?;
        on_sent(&signature.to_string());
        tracing::info!(need = %crank.need, kind = crank.kind, amount = crank.amount, %signature, attempt, "sent");

        // Poll until it lands, or its blockhash can no longer land it.
        loop {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let statuses = self.timed("getSignatureStatuses", self.rpc.get_signature_statuses(&[signature])).await;
            if let Ok(response) = statuses {
                if let Some(Some(status)) = response.value.first() {
                    if let Some(error) = &status.err {
                        let error: TransactionError = error.clone();
                        return Ok(Outcome::Refused {
                            code: program_error::custom_code(&error),
                            reason: program_error::describe(&error),
                        });
                    }
                    if status.satisfies_commitment(CommitmentConfig::confirmed()) {
                        return Ok(Outcome::Landed {
                            signature: signature.to_string(),
                            fee_lamports: fee,
                            compute_unit_limit: limit,
                            attempts: attempt,
                        });
                    }
                }
            }
            let height = self.timed("getBlockHeight", self.rpc.get_block_height()).await;
            if matches!(height, Ok(height) if height > last_valid_height) {
                return Err(format!("blockhash expired before {signature} landed; rebuilding"));
            }
        }
    }
}
