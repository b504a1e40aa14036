use crate::events::{decode_events, RawEvent};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::{clock::Clock, instruction::Instruction};
use solana_keypair::Keypair;
use solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext};
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::path::{Path, PathBuf};
use std::sync::Once;

pub use solana_program_test::BanksTransactionResultWithMetadata;
pub type TxError = solana_instruction_error::InstructionError;

/// The directory holding the program's SBF build when the suite runs against it:
/// `SMART_TREASURY_SBF=1` means target/deploy (where scripts/build-sbf puts
/// smart_treasury.so), any other value is the directory itself. Unset or `0`, the
/// program runs natively.
pub fn sbf_program_dir() -> Option<PathBuf> {
    let value = std::env::var_os("SMART_TREASURY_SBF")?;
    if value.is_empty() || value == "0" {
        None
    } else if value == "1" {
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/deploy"))
    } else {
        Some(PathBuf::from(value))
    }
}

/// A runtime with SPL Token, Token-2022, Associated Token, Smart Treasury (native, or its
/// SBF build, see `sbf_program_dir`) and the governance test program (native) loaded.
pub fn program_test() -> ProgramTest {
    let sbf_dir = sbf_program_dir();
    static ENVIRONMENT: Once = Once::new();
    ENVIRONMENT.call_once(|| {
        // The runtime logs every instruction at debug level unless told otherwise.
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "error");
        }
        // Where solana-program-test looks for `<name>.so` (scripts/test-sbf sets it).
        if let Some(dir) = &sbf_dir {
            if std::env::var_os("SBF_OUT_DIR").is_none() && std::env::var_os("BPF_OUT_DIR").is_none() {
                std::env::set_var("SBF_OUT_DIR", dir);
            }
        }
    });
    let mut test = ProgramTest::default();
    // `prefer_bpf` counts when a program is added: the governance program stays native.
    test.prefer_bpf(false);
    test.add_program("governance_test", crate::governance::ID, processor!(crate::governance::process));
    match sbf_dir {
        Some(dir) => {
            let wanted = std::fs::canonicalize(dir.join("smart_treasury.so")).unwrap_or_else(|error| {
                panic!(
                    "SMART_TREASURY_SBF: {}/smart_treasury.so: {error}; build it with scripts/build-sbf",
                    dir.display()
                )
            });
            let found = solana_program_test::find_file("smart_treasury.so").and_then(|f| std::fs::canonicalize(f).ok());
            assert_eq!(found.as_ref(), Some(&wanted), "SBF_OUT_DIR or BPF_OUT_DIR points at another build");
            test.prefer_bpf(true);
            test.add_program("smart_treasury", smart_treasury::ID, None);
        }
        None => test.add_program("smart_treasury", smart_treasury::ID, processor!(smart_treasury::native::entry)),
    }
    test
}

/// What a transaction did: its events, logs and compute units.
#[derive(Debug)]
pub struct Outcome {
    pub events: Vec<RawEvent>,
    pub logs: Vec<String>,
    pub compute_units: u64,
}

/// Why a transaction failed: the runtime's error, and the logs for diagnosis.
#[derive(Debug)]
pub struct Failure {
    pub error: solana_transaction_error::TransactionError,
    pub logs: Vec<String>,
}

pub struct Runtime {
    pub context: ProgramTestContext,
}

impl Runtime {
    pub async fn start() -> Self {
        Self { context: program_test().start_with_context().await }
    }

    pub fn payer(&self) -> &Keypair {
        &self.context.payer
    }

    /// Simulates (to read the events from the inner instructions), then commits.
    /// A failing transaction is never committed, so it changes nothing.
    pub async fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> Result<Outcome, Failure> {
        let blockhash = self.context.banks_client.get_latest_blockhash().await.expect("blockhash");
        let mut all_signers: Vec<&Keypair> = vec![&self.context.payer];
        for signer in signers {
            if !all_signers.iter().any(|known| known.pubkey() == signer.pubkey()) {
                all_signers.push(signer);
            }
        }
        let tx = Transaction::new_signed_with_payer(
            instructions,
            Some(&self.context.payer.pubkey()),
            &all_signers,
            blockhash,
        );
        let simulation = self.context.banks_client.simulate_transaction(tx.clone()).await.expect("simulate");
        let details = simulation.simulation_details.expect("simulation details");
        if let Some(Err(error)) = simulation.result {
            return Err(Failure { error, logs: details.logs });
        }
        let events = decode_events(&tx, details.inner_instructions.as_deref().unwrap_or_default());
        self.context.banks_client.process_transaction(tx).await.map_err(|error| match error {
            BanksClientError::TransactionError(error) => Failure { error, logs: details.logs.clone() },
            other => panic!("transport failure: {other}"),
        })?;
        Ok(Outcome { events, logs: details.logs, compute_units: details.units_consumed })
    }

    /// `send`, panicking with the logs on failure.
    pub async fn ok(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> Outcome {
        match self.send(instructions, signers).await {
            Ok(outcome) => outcome,
            Err(failure) => panic!("transaction failed: {:?}\n{}", failure.error, failure.logs.join("\n")),
        }
    }

    pub async fn account_data(&mut self, address: Pubkey) -> Option<Vec<u8>> {
        self.context.banks_client.get_account(address).await.expect("get_account").map(|account| account.data)
    }

    pub async fn lamports(&mut self, address: Pubkey) -> u64 {
        self.context.banks_client.get_balance(address).await.expect("get_balance")
    }

    /// Deserializes an Anchor account of this program.
    pub async fn anchor_account<T: anchor_lang::AccountDeserialize>(&mut self, address: Pubkey) -> T {
        let data = self.account_data(address).await.unwrap_or_else(|| panic!("account {address} missing"));
        T::try_deserialize(&mut data.as_slice()).expect("deserialize account")
    }

    pub async fn clock(&mut self) -> Clock {
        self.context.banks_client.get_sysvar::<Clock>().await.expect("clock")
    }

    /// Moves the bank's clock forward by `seconds` (and one slot), as a keeper would see
    /// time pass between cranks.
    pub async fn advance_time(&mut self, seconds: i64) {
        let mut clock = self.clock().await;
        let next_slot = clock.slot + 1;
        self.context.warp_to_slot(next_slot).expect("warp");
        clock = self.clock().await;
        clock.unix_timestamp += seconds;
        self.context.set_sysvar(&clock);
    }

    /// Moves the bank `epochs` epochs ahead, to the first slot of the later epoch (a
    /// Token-2022 fee change takes effect two epochs after it is set).
    pub async fn advance_epochs(&mut self, epochs: u64) {
        let schedule = self
            .context
            .banks_client
            .get_sysvar::<solana_sysvar::epoch_schedule::EpochSchedule>()
            .await
            .expect("epoch schedule");
        let epoch = self.clock().await.epoch;
        self.context.warp_to_slot(schedule.get_first_slot_in_epoch(epoch + epochs)).expect("warp");
    }

    /// Gives a fresh keypair some SOL so it can pay for accounts.
    pub async fn funded_keypair(&mut self) -> Keypair {
        let keypair = Keypair::new();
        let ix = anchor_lang::solana_program::system_instruction::transfer(
            &self.context.payer.pubkey(),
            &keypair.pubkey(),
            10_000_000_000,
        );
        self.ok(&[ix], &[]).await;
        keypair
    }
}
