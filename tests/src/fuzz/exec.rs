//! Sending the fuzzer's transactions: one round trip each (the runtime processes and
//! commits, or refuses and changes nothing), paid by the runtime's payer.

use crate::runtime::Runtime;
use anchor_lang::solana_program::instruction::Instruction;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

pub struct Exec {
    pub rt: Runtime,
    blockhash: Hash,
    /// Makes every transaction unique: the same instruction twice in one slot would
    /// otherwise be refused as already processed.
    sent: u32,
    pub transactions: u64,
    /// The clock's unix time as the fuzzer set it: a warp would otherwise move it to
    /// the bank's own estimate, and a replay would see other times.
    now: i64,
}

impl Exec {
    pub async fn new(rt: Runtime) -> Self {
        let blockhash = rt.context.banks_client.get_latest_blockhash().await.expect("blockhash");
        Self { rt, blockhash, sent: 0, transactions: 0, now: 0 }
    }

    /// Sets the clock's unix time to `now`.
    pub async fn set_time(&mut self, now: i64) {
        let mut clock = self.rt.clock().await;
        clock.unix_timestamp = now;
        self.rt.context.set_sysvar(&clock);
        self.now = now;
    }

    /// `seconds` pass: the next slot, at the fuzzer's time plus `seconds`.
    pub async fn wait(&mut self, seconds: u64) {
        let slot = self.rt.clock().await.slot;
        self.rt.context.warp_to_slot(slot + 1).expect("warp");
        self.set_time(self.now.saturating_add(seconds as i64)).await;
    }

    /// The next epoch starts (a transfer-fee change takes effect two epochs on); the
    /// fuzzer's time stays.
    pub async fn next_epoch(&mut self) {
        self.rt.advance_epochs(1).await;
        self.set_time(self.now).await;
        self.refresh_blockhash().await;
    }

    /// After the bank moved on (a warp), transactions need a recent blockhash.
    pub async fn refresh_blockhash(&mut self) {
        self.blockhash = self.rt.context.banks_client.get_latest_blockhash().await.expect("blockhash");
    }

    /// Sends `instructions` signed by the payer and `signers`; the runtime's verdict.
    pub async fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> Result<(), TransactionError> {
        self.send_signed(instructions, signers).await.0
    }

    /// `send`, and the keys (of `signers`) that actually signed: the message asks only
    /// for those its account metas mark.
    pub async fn send_signed(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> (Result<(), TransactionError>, Vec<anchor_lang::prelude::Pubkey>) {
        self.sent = self.sent.wrapping_add(1);
        let unique = ComputeBudgetInstruction::set_compute_unit_limit(1_400_000 - self.sent % 100_000);
        let mut all = vec![unique];
        all.extend_from_slice(instructions);
        let payer = self.rt.context.payer.insecure_clone();
        let mut keys: Vec<&Keypair> = vec![&payer];
        for signer in signers {
            if !keys.iter().any(|known| known.pubkey() == signer.pubkey()) {
                keys.push(signer);
            }
        }
        // Only keys the message asks for may sign: a mutation can drop a signer flag.
        let message_signers: Vec<_> = {
            let probe = Transaction::new_with_payer(&all, Some(&payer.pubkey()));
            probe.message.account_keys[..usize::from(probe.message.header.num_required_signatures)].to_vec()
        };
        keys.retain(|key| message_signers.contains(&key.pubkey()));
        let signed: Vec<_> = keys.iter().map(|key| key.pubkey()).filter(|key| *key != payer.pubkey()).collect();
        let missing = message_signers.iter().any(|needed| !keys.iter().any(|key| key.pubkey() == *needed));
        if missing {
            // A signer the fuzzer does not hold: the runtime would refuse it unsigned.
            return (Err(TransactionError::SignatureFailure), signed);
        }
        let tx = Transaction::new_signed_with_payer(&all, Some(&payer.pubkey()), &keys, self.blockhash);
        self.transactions += 1;
        let result = self.rt.context.banks_client.process_transaction_with_metadata(tx).await.expect("transport");
        (result.result, signed)
    }
}
