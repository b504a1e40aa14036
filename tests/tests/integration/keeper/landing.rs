//! Landing a crank on the realistic cluster: a dropped send is sent again rather than
//! waited out, the compute-unit limit covers a draw that moved on to a further source
//! after simulation, and a copy sent earlier that landed is the one that met the need.

use super::*;
use smart_treasury::state::ManagedBalance;
use smart_treasury_client::{
    keypair::load_keypair,
    land::{LandConfig, Lander, Settled},
    read,
};
use smart_treasury_keeper::{
    crank::{crank_for, Crank},
    executor::UNITS_PER_FURTHER_SOURCE,
    planner::Action,
};
use smart_treasury_local_cluster::FaultConfig;
use solana_instruction_error::InstructionError;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;

const MIN: u64 = 2_000_000_000;
const TARGET: u64 = 5_000_000_000;
/// The reserve's floor in the demo: it is never drawn below this.
const RESERVE_FLOOR: u64 = 100_000_000_000;
/// What the reserve keeps above its floor when drained: less than the top-up needs.
const LEFT: u64 = 1_000_000_000;

#[tokio::test]
async fn a_dropped_send_is_sent_again_instead_of_waiting_for_its_blockhash_to_expire() {
    let env = env().await;
    env.pay_out_to(MIN - 1).await;
    let config = env.keeper_config("keeper").await;
    let store = config.store.clone();
    let faults = env.cluster.faults();
    faults.set(FaultConfig { dropped_transactions: 1.0, ..FaultConfig::default() }).expect("valid faults");
    let (task, stop) = start(config);
    eventually(Duration::from_secs(30), "a dropped send", || async { faults.stats().dropped_transactions > 0 }).await;
    // What the keeper had signed and sent by now (each recorded before it goes out).
    let signed_before = sends_for(&store, &env.hot_wallet_balance_id());
    assert!(!signed_before.is_empty(), "a send was dropped, so one was recorded");
    // The packet is lost; the network is fine again. A blockhash lives 150 slots (15 s
    // here): a keeper waiting it out would then land a rebuilt transaction instead.
    faults.clear();
    eventually(Duration::from_secs(60), "the hot wallet back at target", || async {
        env.hot_balance().await == TARGET
    })
    .await;
    env.settle().await;
    let movements = env.hot_wallet_movements().await;
    let top_ups: Vec<_> = movements.iter().filter(|movement| movement.kind == "threshold").collect();
    assert_eq!(top_ups.len(), 1, "{movements:?}");
    assert!(
        signed_before.contains(&top_ups[0].signature),
        "the top-up landed as {}, not as a copy of what was sent before the network recovered: {signed_before:?}",
        top_ups[0].signature
    );
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}

/// Every signature the keeper's store says was sent for `managed_balance`'s pending need.
fn sends_for(store: &std::path::Path, managed_balance: &anchor_lang::prelude::Pubkey) -> Vec<String> {
    let store = smart_treasury_keeper::store::Store::open(store).expect("store");
    let pending = store.actions_with_status(smart_treasury_keeper::store::ActionStatus::Pending).expect("actions");
    let need = pending.iter().find(|action| action.managed_balance == managed_balance.to_string()).expect("a claim");
    store.sends(&need.need).expect("sends")
}

/// The hot wallet's top-up crank as the keeper builds it, signed by a funded keeper key.
async fn top_up_crank(env: &Env) -> (Crank, Keypair) {
    let settings = env.keeper_settings("lander").await;
    let keeper = load_keypair(&settings.keypair.expect("keypair"), "--keeper-keypair").expect("keeper key");
    let address = env.hot_wallet_balance_id();
    let managed: ManagedBalance = read::required(&env.rpc, "managed balance", &address).await.expect("balance");
    let action = Action::TopUp { forecast: false, amount: TARGET - MIN + 1, shortfall: 0 };
    let crank = crank_for(keeper.pubkey(), address, &managed, &action).expect("a crank");
    assert_eq!(crank.sources_passed, 2, "the reserve, then the venue");
    (crank, keeper)
}

/// Lands `tx` as the keeper's loop does, from its first send.
async fn send(lander: &Lander<'_>, tx: &solana_transaction::Transaction, last_valid: u64) -> Settled {
    lander.send_until_settled(tx, last_valid, &[tx.signatures[0]], &mut 0, &|_| {}).await
}

#[tokio::test]
async fn the_compute_limit_covers_a_draw_that_moved_to_a_further_source_after_simulation() {
    let env = env().await;
    env.pay_out_to(MIN - 1).await;
    let (crank, keeper) = top_up_crank(&env).await;
    let instructions = [crank.instruction.clone()];
    let headroom = LandConfig { extra_compute_units: UNITS_PER_FURTHER_SOURCE, ..LandConfig::default() };
    let lander = Lander::new(&env.rpc, &keeper, headroom);
    let bare = Lander::new(&env.rpc, &keeper, LandConfig::default());

    // Simulated while the reserve covers the whole top-up: one source drawn.
    let (blockhash, _) = lander.blockhash().await.expect("blockhash");
    let units = lander.probe_units(&instructions, blockhash).await.expect("the simulation passes");
    // Then the reserve is emptied down to just above its floor: the draw takes that and
    // moves on to the venue for the rest, a second transfer.
    let reserve = ix::VaultAccounts {
        treasury: env.demo.treasury,
        pool: pda::pool_pda(&env.demo.treasury, smart_treasury_cli::demo::setup::RESERVE_POOL),
        vault: env.demo.reserve_vault,
        mint: env.demo.mint,
        token_program: smart_treasury_cli::demo::tokens::SPL_TOKEN,
    };
    let held = read::token_account(&env.rpc, &env.demo.reserve_vault).await.expect("reserve").amount;
    let drain = ix::withdraw(env.demo.authority.pubkey(), env.demo.customer, reserve, held - RESERVE_FLOOR - LEFT);
    tx::send(&env.rpc, &env.demo.authority, vec![Change::new("drain the reserve", drain)]).await.expect("drained");

    // Priced on that simulation alone, the limit runs out on the second source.
    let (blockhash, last_valid) = bare.blockhash().await.expect("blockhash");
    let priced = bare.price(&instructions, units, blockhash).await.expect("priced");
    let tight = bare.build(&instructions, priced.compute_unit_limit, priced.compute_unit_price, blockhash);
    let Settled::Landed { error, .. } = send(&bare, &tight, last_valid).await else { panic!("the tight copy lands") };
    // On the SBF build the budget runs out in the program; run natively, in the token
    // program it calls, which the native CPI reports as a program that did not complete.
    assert!(
        matches!(
            error,
            Some(TransactionError::InstructionError(
                0,
                InstructionError::ComputationalBudgetExceeded | InstructionError::ProgramFailedToComplete
            ))
        ),
        "simulated at {units} units, limited to {}: {error:?}",
        priced.compute_unit_limit
    );
    assert!(env.hot_balance().await < MIN);

    // With the headroom for every source passed, it lands and draws on the venue.
    let priced = lander.price(&instructions, units, blockhash).await.expect("priced");
    let (blockhash, last_valid) = lander.blockhash().await.expect("blockhash");
    let covered = lander.build(&instructions, priced.compute_unit_limit, priced.compute_unit_price, blockhash);
    let settled = send(&lander, &covered, last_valid).await;
    assert!(matches!(settled, Settled::Landed { error: None, .. }), "{settled:?}");
    assert_eq!(env.hot_balance().await, TARGET);
    let held = read::token_account(&env.rpc, &env.demo.reserve_vault).await.expect("reserve").amount;
    assert_eq!(held, RESERVE_FLOOR, "the reserve gave what it had above its floor; the venue the rest");
}

#[tokio::test]
async fn an_earlier_copy_that_landed_meets_the_need_and_the_refused_rebuild_is_no_failure() {
    let env = env().await;
    env.pay_out_to(MIN - 1).await;
    let (crank, keeper) = top_up_crank(&env).await;
    let lander = Lander::new(&env.rpc, &keeper, LandConfig::default());
    let instructions = [crank.instruction.clone()];
    // A first copy lands (a previous attempt, or a run that was interrupted).
    let first = lander.land(&instructions, &[], &|_| {}).await.expect("the first copy lands");
    assert_eq!(env.hot_balance().await, TARGET);

    // A rebuild of the same crank is refused by the program (the need is met, the
    // cooldown holds); with the first copy watched, that is the first copy landing.
    let sent = std::sync::Mutex::new(Vec::new());
    let again = lander
        .land(&instructions, &[first.signature], &|signature| sent.lock().unwrap().push(*signature))
        .await
        .expect("the earlier landing is reported");
    assert_eq!(again.signature, first.signature);
    assert_eq!(again.priced, None, "priced by the earlier call, not this one");
    assert!(sent.lock().unwrap().is_empty(), "nothing more was sent");
    // Without it, the same rebuild is a refusal.
    let refused = lander.land(&instructions, &[], &|_| {}).await.expect_err("refused");
    assert!(matches!(refused, smart_treasury_client::land::LandError::Refused { landed: None, .. }), "{refused:?}");
}
