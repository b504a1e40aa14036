//! Landing a transaction, the same way in every process that sends one (the CLI, the
//! keeper, the API): simulate it for its compute units, price it from recent
//! prioritization fees, refuse it when too dear, send it, send the same signed bytes
//! again every couple of seconds until it lands or its blockhash expires (packets get
//! dropped, and nodes forward a copy only once), then rebuild it on a fresh blockhash;
//! landed means `confirmed`. Each step is a method of its own, so a caller can drive
//! them one at a time.
//!
//! Every signature sent for the same intent is watched until the end: a copy built on an
//! older blockhash that lands late is the one that met the need, and the refusal of a
//! later copy (the program's cooldown or config version refusing a duplicate) is then no
//! failure.

use crate::{
    fees::{compute_unit_limit, priority_fee, total_fee, MAX_COMPUTE_UNITS},
    program_error,
};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use solana_commitment_config::CommitmentConfig;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{RpcSendTransactionConfig, RpcSimulateTransactionConfig};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LandConfig {
    /// Compute-unit limit = (simulated units + `extra_compute_units`) times this.
    pub compute_unit_margin: f64,
    /// Units beyond what simulation consumed that the transaction may still need when it
    /// lands (a top-up that has to draw on a further source by then).
    pub extra_compute_units: u32,
    /// Percentile of recent prioritization fees to bid.
    pub priority_fee_percentile: u8,
    /// Never bid more than this per compute unit.
    pub max_priority_fee_micro_lamports: u64,
    /// Refuse a transaction whose total fee would exceed this.
    pub max_fee_lamports: u64,
    /// Send the same signed transaction again this often until it lands.
    pub resend_interval: Duration,
    /// Look for its status this often.
    pub poll_interval: Duration,
    /// Fresh blockhashes to try before giving up.
    pub max_blockhashes: u32,
    /// Tries of each RPC call that prepares a transaction (blockhash, simulation, fee)
    /// before the failure is returned.
    pub rpc_tries: u32,
    /// Longest wait on one blockhash, in case the node stops answering: a blockhash lives
    /// 150 blocks, about a minute at 400 ms slots.
    pub blockhash_deadline: Duration,
}

impl Default for LandConfig {
    fn default() -> Self {
        Self {
            compute_unit_margin: 1.2,
            extra_compute_units: 0,
            priority_fee_percentile: 75,
            max_priority_fee_micro_lamports: 1_000_000,
            max_fee_lamports: 50_000_000,
            resend_interval: Duration::from_secs(2),
            poll_interval: Duration::from_millis(200),
            max_blockhashes: 3,
            rpc_tries: 3,
            blockhash_deadline: Duration::from_secs(90),
        }
    }
}

/// A transaction that landed at `confirmed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Landed {
    pub signature: Signature,
    pub slot: u64,
    /// Its limit, price and fee; `None` when an earlier send (one this call did not
    /// price) is the one that landed.
    pub priced: Option<Priced>,
    /// Sends in all, copies included.
    pub sends: u32,
    /// Blockhashes it took (1 when the first one landed it).
    pub blockhashes: u32,
}

/// Why a transaction did not land.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LandError {
    /// Simulation, or the landed transaction, failed: `reason` says why in words (the
    /// program's error from the IDL when it is one). `landed` is the failed transaction
    /// when it reached the chain (and paid its fee).
    #[error("{reason}")]
    Refused { error: TransactionError, code: Option<u32>, reason: String, landed: Option<Signature> },
    #[error("the fee would be {fee_lamports} lamports, above the maximum of {max_lamports}: raise the maximum or wait for fees to fall")]
    TooExpensive { fee_lamports: u64, max_lamports: u64 },
    #[error("not landed after {sends} sends on {blockhashes} blockhashes: the cluster may be dropping transactions or congested; retry later")]
    Expired { sends: u32, blockhashes: u32, sent: Vec<Signature> },
    #[error("{method} failed: {reason}")]
    Rpc { method: &'static str, reason: String, sent: Vec<Signature> },
}

impl LandError {
    fn refused(error: TransactionError, landed: Option<Signature>) -> Self {
        Self::Refused {
            code: program_error::custom_code(&error),
            reason: program_error::describe(&error),
            error,
            landed,
        }
    }

    /// Every signature sent before it failed: any of them may still be looked up.
    pub fn sent(&self) -> &[Signature] {
        match self {
            Self::Expired { sent, .. } | Self::Rpc { sent, .. } => sent,
            Self::Refused { landed: Some(signature), .. } => std::slice::from_ref(signature),
            _ => &[],
        }
    }
}

/// What a wait on one signed transaction ended in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settled {
    /// One of the watched signatures reached `confirmed`; `error` when it failed.
    Landed { signature: Signature, slot: u64, error: Option<TransactionError> },
    /// Its blockhash can no longer land it, and none of the watched signatures landed.
    Expired,
}

/// One transaction's limit and price, and the fee they make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Priced {
    pub compute_unit_limit: u32,
    pub compute_unit_price: u64,
    pub fee_lamports: u64,
}

/// Hears how long each RPC call took.
pub type Observer<'a> = &'a (dyn Fn(&'static str, Duration) + Send + Sync);

fn no_observer(_: &'static str, _: Duration) {}

/// Lands transactions paid by `payer` and signed by it and `co_signers`.
pub struct Lander<'a> {
    rpc: &'a RpcClient,
    payer: &'a Keypair,
    co_signers: Vec<&'a Keypair>,
    config: LandConfig,
    observe: Observer<'a>,
}

impl<'a> Lander<'a> {
    pub fn new(rpc: &'a RpcClient, payer: &'a Keypair, config: LandConfig) -> Self {
        Self { rpc, payer, co_signers: Vec::new(), config, observe: &no_observer }
    }

    pub fn with_co_signers(mut self, co_signers: impl IntoIterator<Item = &'a Keypair>) -> Self {
        self.co_signers.extend(co_signers);
        self
    }

    pub fn with_observer(mut self, observe: Observer<'a>) -> Self {
        self.observe = observe;
        self
    }

    pub fn config(&self) -> &LandConfig {
        &self.config
    }

    async fn timed<T>(&self, method: &'static str, call: impl std::future::Future<Output = T>) -> T {
        let started = Instant::now();
        let result = call.await;
        (self.observe)(method, started.elapsed());
        result
    }

    /// Lands `instructions`, watching `earlier` signatures (sent before for the same
    /// intent, e.g. by a run that was interrupted) as well. `on_sent` hears each new
    /// signature before it first goes out, so a restarted process can look it up.
    pub async fn land(
        &self,
        instructions: &[Instruction],
        earlier: &[Signature],
        on_sent: &(dyn Fn(&Signature) + Sync),
    ) -> Result<Landed, LandError> {
        let mut watched: Vec<Signature> = earlier.to_vec();
        let mut sends = 0;
        for blockhashes in 1..=self.config.max_blockhashes {
            let (tx, priced, last_valid_block_height) = match self.prepare_with_retries(instructions).await {
                Ok(prepared) => prepared,
                // The refusal may be of a duplicate: an earlier copy landed meanwhile.
                Err(error @ LandError::Refused { .. }) => {
                    return self.earlier_landing(&watched, sends).await.ok_or(error)
                }
                Err(LandError::Rpc { method, reason, .. }) => {
                    return Err(LandError::Rpc { method, reason, sent: watched });
                }
                Err(other) => return Err(other),
            };
            watched.push(tx.signatures[0]);
            let settled = self.send_until_settled(&tx, last_valid_block_height, &watched, &mut sends, on_sent).await;
            match settled {
                Settled::Landed { signature, slot, error: None } => {
                    // The copy that landed may be an earlier one, priced elsewhere.
                    let priced = (signature == tx.signatures[0]).then_some(priced);
                    return Ok(Landed { signature, slot, priced, sends, blockhashes });
                }
                Settled::Landed { signature, error: Some(error), .. } => {
                    return Err(LandError::refused(error, Some(signature)));
                }
                Settled::Expired => {
                    tracing::info!(signature = %tx.signatures[0], sends, "blockhash expired before it landed; rebuilding");
                }
            }
        }
        Err(LandError::Expired { sends, blockhashes: self.config.max_blockhashes, sent: watched })
    }

    /// `prepare`, tried again (with a growing pause) when an RPC call fails: a node that
    /// answers one request in twenty with an error should not fail the transaction.
    async fn prepare_with_retries(
        &self,
        instructions: &[Instruction],
    ) -> Result<(Transaction, Priced, u64), LandError> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.prepare(instructions).await {
                Err(LandError::Rpc { method, reason, .. }) if tries < self.config.rpc_tries => {
                    tracing::debug!(method, %reason, tries, "an RPC call failed; trying again");
                    tokio::time::sleep(Duration::from_millis(100 << tries.min(5))).await;
                }
                prepared => return prepared,
            }
        }
    }

    /// A fresh blockhash, the units simulation says the instructions take, and the
    /// priced, signed transaction with the last block height its blockhash is valid at.
    pub async fn prepare(&self, instructions: &[Instruction]) -> Result<(Transaction, Priced, u64), LandError> {
        let (blockhash, last_valid_block_height) = self.blockhash().await.map_err(|reason| LandError::Rpc {
            method: "getLatestBlockhash",
            reason,
            sent: vec![],
        })?;
        // The simulation and the fee history do not wait for each other.
        let (units, recent) = tokio::join!(self.probe_units(instructions, blockhash), self.recent_fees(instructions));
        let priced = self.price_from(instructions, units?, &recent, blockhash).await?;
        let tx = self.build(instructions, priced.compute_unit_limit, priced.compute_unit_price, blockhash);
        Ok((tx, priced, last_valid_block_height))
    }

    /// A recent blockhash at `confirmed` and the last block height it is valid at.
    pub async fn blockhash(&self) -> Result<(Hash, u64), String> {
        self.timed("getLatestBlockhash", self.rpc.get_latest_blockhash_with_commitment(CommitmentConfig::confirmed()))
            .await
            .map_err(|error| error.to_string())
    }

    /// The transaction: `instructions` first (so an error's instruction index is theirs),
    /// then the compute budget.
    pub fn build(&self, instructions: &[Instruction], limit: u32, price: u64, blockhash: Hash) -> Transaction {
        let mut all = instructions.to_vec();
        all.push(ComputeBudgetInstruction::set_compute_unit_limit(limit));
        if price > 0 {
            all.push(ComputeBudgetInstruction::set_compute_unit_price(price));
        }
        let mut signers: Vec<&Keypair> = vec![self.payer];
        signers.extend(self.co_signers.iter().copied().filter(|signer| signer.pubkey() != self.payer.pubkey()));
        Transaction::new_signed_with_payer(&all, Some(&self.payer.pubkey()), &signers, blockhash)
    }

    /// What the instructions consume, simulated at `confirmed` under the largest limit.
    pub async fn probe_units(&self, instructions: &[Instruction], blockhash: Hash) -> Result<u64, LandError> {
        let probe = self.build(instructions, MAX_COMPUTE_UNITS, 0, blockhash);
        let config = RpcSimulateTransactionConfig {
            sig_verify: false,
            commitment: Some(CommitmentConfig::confirmed()),
            ..RpcSimulateTransactionConfig::default()
        };
        let simulation = self
            .timed("simulateTransaction", self.rpc.simulate_transaction_with_config(&probe, config))
            .await
            .map_err(|error| LandError::Rpc { method: "simulateTransaction", reason: error.to_string(), sent: vec![] })?
            .value;
        match simulation.err {
            // The node moved past the blockhash between the two calls: transient.
            Some(error) if matches!(TransactionError::from(error.clone()), TransactionError::BlockhashNotFound) => {
                Err(LandError::Rpc {
                    method: "simulateTransaction",
                    reason: "the blockhash expired before simulation".into(),
                    sent: vec![],
                })
            }
            Some(error) => Err(LandError::refused(error.into(), None)),
            None => Ok(simulation.units_consumed.unwrap_or(0)),
        }
    }

    /// The limit (simulated units plus the configured extra, with the margin), the price
    /// (a percentile of recent fees on the accounts it writes, capped) and the fee they
    /// make; `TooExpensive` above the maximum fee.
    pub async fn price(&self, instructions: &[Instruction], units: u64, blockhash: Hash) -> Result<Priced, LandError> {
        let recent = self.recent_fees(instructions).await;
        self.price_from(instructions, units, &recent, blockhash).await
    }

    /// Recent prioritization fees paid on the accounts `instructions` write; none when
    /// the node does not answer (an RPC hiccup bids nothing rather than failing).
    pub async fn recent_fees(&self, instructions: &[Instruction]) -> Vec<u64> {
        let writable: Vec<Pubkey> = instructions
            .iter()
            .flat_map(|instruction| instruction.accounts.iter())
            .filter(|meta| meta.is_writable)
            .map(|meta| meta.pubkey)
            .collect();
        self.timed("getRecentPrioritizationFees", self.rpc.get_recent_prioritization_fees(&writable))
            .await
            .map(|fees| fees.into_iter().map(|fee| fee.prioritization_fee).collect())
            .unwrap_or_default()
    }

    async fn price_from(
        &self,
        instructions: &[Instruction],
        units: u64,
        recent: &[u64],
        blockhash: Hash,
    ) -> Result<Priced, LandError> {
        let config = &self.config;
        let limit = compute_unit_limit(units + u64::from(config.extra_compute_units), config.compute_unit_margin);
        let price = priority_fee(recent, config.priority_fee_percentile, config.max_priority_fee_micro_lamports);
        let tx = self.build(instructions, limit, price, blockhash);
        let base = self
            .timed("getFeeForMessage", self.rpc.get_fee_for_message(&tx.message))
            .await
            .map_err(|error| LandError::Rpc { method: "getFeeForMessage", reason: error.to_string(), sent: vec![] })?;
        let fee_lamports = base.max(total_fee(u64::from(tx.message.header.num_required_signatures), 0, limit, price));
        if fee_lamports > config.max_fee_lamports {
            return Err(LandError::TooExpensive { fee_lamports, max_lamports: config.max_fee_lamports });
        }
        Ok(Priced { compute_unit_limit: limit, compute_unit_price: price, fee_lamports })
    }

    /// Sends `tx` (and again every `resend_interval`) until one of `watched` (which
    /// holds `tx`) reaches `confirmed`, or `tx`'s blockhash can no longer land it. RPC
    /// failures on the way are ridden out: a failed send is a dropped packet.
    pub async fn send_until_settled(
        &self,
        tx: &Transaction,
        last_valid_block_height: u64,
        watched: &[Signature],
        sends: &mut u32,
        on_sent: &(dyn Fn(&Signature) + Sync),
    ) -> Settled {
        let signature = tx.signatures[0];
        let started = Instant::now();
        let mut last_send: Option<Instant> = None;
        let send_config = RpcSendTransactionConfig {
            skip_preflight: true,
            max_retries: Some(0),
            ..RpcSendTransactionConfig::default()
        };
        loop {
            if last_send.is_none_or(|at| at.elapsed() >= self.config.resend_interval) {
                if last_send.is_none() {
                    on_sent(&signature);
                }
                last_send = Some(Instant::now());
                *sends += 1;
                match self.timed("sendTransaction", self.rpc.send_transaction_with_config(tx, send_config)).await {
                    Ok(_) => tracing::debug!(%signature, sends = *sends, "sent"),
                    Err(error) => tracing::debug!(%signature, %error, "send failed; sending again shortly"),
                }
            }
            tokio::time::sleep(self.config.poll_interval).await;
            if let Some(settled) = self.confirmed(watched).await {
                return settled;
            }
            // Once the confirmed chain is past the last valid height, anything that
            // landed in time is confirmed, and the check above would have seen it.
            let height = self
                .timed("getBlockHeight", self.rpc.get_block_height_with_commitment(CommitmentConfig::confirmed()))
                .await;
            let expired = matches!(height, Ok(height) if height > last_valid_block_height);
            if expired || started.elapsed() > self.config.blockhash_deadline {
                return self.confirmed(watched).await.unwrap_or(Settled::Expired);
            }
        }
    }

    /// The first of `watched` that reached `confirmed` successfully, else the first that
    /// failed there; `None` while none has (or the statuses cannot be read).
    pub async fn confirmed(&self, watched: &[Signature]) -> Option<Settled> {
        let statuses = self.timed("getSignatureStatuses", self.rpc.get_signature_statuses(watched)).await.ok()?.value;
        let settled: Vec<Settled> = watched
            .iter()
            .zip(statuses)
            .filter_map(|(signature, status)| {
                let status = status?;
                status.satisfies_commitment(CommitmentConfig::confirmed()).then(|| Settled::Landed {
                    signature: *signature,
                    slot: status.slot,
                    error: status.err.clone(),
                })
            })
            .collect();
        let succeeded = settled.iter().find(|settled| matches!(settled, Settled::Landed { error: None, .. }));
        succeeded.or(settled.first()).cloned()
    }

    /// A successful landing among `watched`, as a result.
    async fn earlier_landing(&self, watched: &[Signature], sends: u32) -> Option<Landed> {
        match self.confirmed(watched).await? {
            Settled::Landed { signature, slot, error: None } => {
                Some(Landed { signature, slot, priced: None, sends, blockhashes: 0 })
            }
            _ => None,
        }
    }
}
