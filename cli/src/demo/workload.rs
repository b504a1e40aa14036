//! Pays the workload model's withdrawals out of the demo hot wallet through the spender
//! role, in compressed time, logging each payout.

use smart_treasury_client::{
    ix::{self, VaultAccounts},
    program_error, read,
    workload::{TimeScale, WorkloadModel, DAY_SECONDS},
    TokenAmount,
};
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::{collections::HashSet, time::Duration};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

const TICK: Duration = Duration::from_secs(1);
/// How often the hot wallet's balance is logged, in real time.
const REPORT_EVERY: Duration = Duration::from_secs(30);

pub struct Workload<'a> {
    pub rpc: &'a RpcClient,
    pub spender: &'a Keypair,
    pub hot_wallet: VaultAccounts,
    pub recipient: anchor_lang::prelude::Pubkey,
    pub model: WorkloadModel,
    pub scale: TimeScale,
    /// Simulated seconds when the workload starts.
    pub start: u64,
    /// Where to tell the reader that a bank run begins, beside the narrator's lines.
    pub announce: Option<UnboundedSender<String>>,
}

/// An amount of the demo mint for people: `1,234.5 USDC`.
fn usdc(base_units: u64) -> String {
    format!("{} USDC", TokenAmount::new(base_units, super::setup::DECIMALS).grouped())
}

/// `day 2 14:05:09`.
pub fn clock(t: u64) -> String {
    let day = t / DAY_SECONDS;
    let s = t % DAY_SECONDS;
    format!("day {day} {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

impl Workload<'_> {
    /// Runs until the future `stop` resolves.
    pub async fn run(&self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let started = Instant::now();
        let mut paid_until = self.start;
        let mut last_report = started;
        let mut ticker = tokio::time::interval(TICK);
        tracing::info!(seed = self.model.seed, speed = self.scale.speed, "workload: paying withdrawals");
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = ticker.tick() => {}
            }
            let now = self.scale.simulated(self.start, started.elapsed());
            self.announce_bank_run(paid_until, now);
            let due = self.model.withdrawals(paid_until, now);
            paid_until = now;
            if !due.is_empty() {
                self.pay(&due).await;
            }
            if last_report.elapsed() >= REPORT_EVERY {
                last_report = Instant::now();
                match read::token_account(self.rpc, &self.hot_wallet.vault).await {
                    Ok(account) => {
                        tracing::info!(at = %clock(now), hot_wallet = %usdc(account.amount), "workload: hot wallet balance")
                    }
                    Err(error) => tracing::warn!(%error, "workload: cannot read the hot wallet"),
                }
            }
        }
        tracing::info!("workload stopped");
    }

    /// Tells when a bank run of the model begins in `(from, to]`.
    fn announce_bank_run(&self, from: u64, to: u64) {
        let Some(burst) = self.model.burst(to / DAY_SECONDS) else { return };
        if !(from < burst.start && burst.start <= to) {
            return;
        }
        let line = format!(
            "{}  a bank run begins: customers withdraw at {}x the usual rate until {}",
            clock(burst.start),
            self.model.burst_multiplier,
            clock(burst.end)
        );
        tracing::info!("workload: {line}");
        if let Some(announce) = &self.announce {
            let _ = announce.send(line);
        }
    }

    async fn pay(&self, due: &[smart_treasury_client::workload::Withdrawal]) {
        let blockhash = match self.rpc.get_latest_blockhash().await {
            Ok(blockhash) => blockhash,
            Err(error) => {
                tracing::warn!(error = %read::rpc_error(self.rpc, error), skipped = due.len(), "workload: no blockhash");
                return;
            }
        };
        // Two identical payouts on one blockhash would be one transaction to the
        // cluster; a step more keeps each its own.
        let mut amounts = HashSet::new();
        for withdrawal in due {
            let mut amount = withdrawal.amount;
            while !amounts.insert(amount) {
                amount += self.model.amount_step.max(1);
            }
            let instruction = ix::spend(self.spender.pubkey(), self.recipient, self.hot_wallet, amount);
            let tx = Transaction::new_signed_with_payer(
                &[instruction],
                Some(&self.spender.pubkey()),
                &[self.spender],
                blockhash,
            );
            match self.rpc.send_transaction(&tx).await {
                Ok(signature) => {
                    tracing::info!(at = %clock(withdrawal.at), amount = %usdc(amount), %signature, "workload: payout")
                }
                Err(error) => {
                    let reason = error
                        .get_transaction_error()
                        .map(|tx_error| program_error::describe(&tx_error))
                        .unwrap_or_else(|| read::rpc_error(self.rpc, error).to_string());
                    tracing::warn!(at = %clock(withdrawal.at), amount = %usdc(amount), %reason, "workload: payout failed");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_reads_days_and_hours() {
        assert_eq!(clock(0), "day 0 00:00:00");
        assert_eq!(clock(2 * DAY_SECONDS + 14 * 3600 + 5 * 60 + 9), "day 2 14:05:09");
    }
}
