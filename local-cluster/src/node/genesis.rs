//! The first bank: genesis, the SPL and core BPF programs, and Smart Treasury, built the way
//! solana-program-test builds its bank, but with a clock that follows real time.

use crate::{node::ticks, program};
use agave_feature_set::FeatureSet;
use solana_accounts_db::accounts_db::ACCOUNTS_DB_CONFIG_FOR_TESTING;
use solana_cluster_type::ClusterType;
use solana_fee_calculator::{FeeRateGovernor, DEFAULT_TARGET_LAMPORTS_PER_SIGNATURE};
use solana_genesis_config::GenesisConfig;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_native_token::LAMPORTS_PER_SOL;
use solana_poh_config::PohConfig;
use solana_program_test::ProgramTest;
use solana_pubkey::Pubkey;
use solana_rent::Rent;
use solana_runtime::{
    bank::Bank, bank_forks::BankForks, genesis_utils::create_genesis_config_with_leader_ex,
    runtime_config::RuntimeConfig,
};
use solana_signer::Signer;
use solana_vote_interface::state::{BlockTimestamp, VoteStateV4, VoteStateVersions};
use std::{
    sync::{Arc, RwLock},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// What solana-test-validator gives its faucet.
pub const FAUCET_LAMPORTS: u64 = 500_000_000 * LAMPORTS_PER_SOL;

pub(crate) enum ProgramBuild {
    Native,
    Sbf(Vec<u8>),
}

pub(crate) struct Genesis {
    pub bank_forks: Arc<RwLock<BankForks>>,
    pub faucet: Keypair,
    pub identity: Pubkey,
    pub genesis_hash: Hash,
}

/// Natively run programs reach the runtime (CPI, logs, sysvars) through
/// solana-program-test's syscall stubs, which it installs once per process while it builds
/// its own bank and offers no other way to install. Building one throwaway test bank does it.
pub(crate) async fn install_syscall_stubs() {
    static INSTALLED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    INSTALLED
        .get_or_init(|| async {
            let throwaway = ProgramTest::default();
            // ProgramTest turns the runtime's own logging up for tests; a cluster keeps it to
            // warnings unless RUST_LOG asks for more (and hides the throwaway bank's server
            // complaining that its client went away).
            agave_logger::setup_with_default("warn,tarpc=error");
            drop(throwaway.start_with_context().await);
        })
        .await;
}

/// Stamps the validator's genesis vote with the genesis time, as a voting validator's last
/// vote would be. The bank estimates block times from its validators' vote timestamps; an
/// unstamped vote (time 0) pins the estimate to its drift bound, and block times then
/// advance at three quarters of the wall clock's pace.
fn stamp_genesis_vote(genesis_config: &mut GenesisConfig, vote_account: &Pubkey) {
    let creation_time = genesis_config.creation_time;
    let account = genesis_config.accounts.get_mut(vote_account).expect("genesis holds the validator's vote account");
    let mut vote_state =
        VoteStateV4::deserialize(&account.data, vote_account).expect("genesis vote account holds a vote state");
    vote_state.last_timestamp = BlockTimestamp { slot: 0, timestamp: creation_time };
    VoteStateV4::serialize(&VoteStateVersions::V4(Box::new(vote_state)), &mut account.data)
        .expect("a vote state fits its own account");
}

pub(crate) fn build(program: ProgramBuild, slot_duration: Duration, clock_lag: Duration) -> Genesis {
    let rent = Rent::default();
    let faucet = Keypair::new();
    let identity = Keypair::new().pubkey();
    let feature_set = FeatureSet::all_enabled();

    let program_accounts = match &program {
        ProgramBuild::Native => Vec::new(),
        ProgramBuild::Sbf(elf) => {
            solana_program_binaries::bpf_loader_upgradeable_program_accounts(&smart_treasury::ID, elf, &rent)
                .into_iter()
                .map(|(address, account)| (address, account.into()))
                .collect()
        }
    };
    let vote_account = Keypair::new().pubkey();
    let mut genesis_config = create_genesis_config_with_leader_ex(
        FAUCET_LAMPORTS,
        &faucet.pubkey(),
        &identity,
        &vote_account,
        &Pubkey::new_unique(),
        None,
        1_000_000 * LAMPORTS_PER_SOL,
        LAMPORTS_PER_SOL,
        FeeRateGovernor {
            lamports_per_signature: DEFAULT_TARGET_LAMPORTS_PER_SIGNATURE / 2,
            ..FeeRateGovernor::default()
        },
        rent.clone(),
        ClusterType::Development,
        &feature_set,
        program_accounts,
    );
    // Block times come from genesis time plus slots elapsed, so both follow the wall clock.
    genesis_config.creation_time = SystemTime::now()
        .checked_sub(clock_lag)
        .and_then(|created| created.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_secs() as i64);
    genesis_config.poh_config = PohConfig::new_sleep(slot_duration / genesis_config.ticks_per_slot as u32);
    stamp_genesis_vote(&mut genesis_config, &vote_account);

    let bank = Bank::new_from_genesis(
        &genesis_config,
        Arc::new(RuntimeConfig::default()),
        Vec::new(),
        None,
        ACCOUNTS_DB_CONFIG_FOR_TESTING,
        None,
        None,
        Arc::default(),
        None,
        None,
    );
    for (address, account) in solana_program_binaries::spl_programs(&rent) {
        bank.store_account(&address, &account);
    }
    let is_active = |feature: &Pubkey| genesis_config.accounts.contains_key(feature);
    for (address, account) in solana_program_binaries::core_bpf_programs(&rent, is_active) {
        bank.store_account(&address, &account);
    }
    if let ProgramBuild::Native = program {
        bank.add_builtin(smart_treasury::ID, program::PROGRAM_NAME, program::native_builtin());
    }
    bank.set_capitalization_for_tests(bank.calculate_capitalization_for_tests());

    // Slot 0 is complete and the root; slot 1 is the first working slot, so no commitment
    // level claims a slot that is still being filled.
    ticks::fill_slot(&bank, |_| {});
    let bank_forks = BankForks::new_rw_arc(bank);
    let genesis_bank = bank_forks.read().expect("bank forks lock").root_bank();
    let first = Bank::new_from_parent(genesis_bank.clone(), genesis_bank.collector_id(), 1);
    bank_forks.write().expect("bank forks lock").insert(first);
    Genesis { bank_forks, faucet, identity, genesis_hash: genesis_config.hash() }
}
