//! Many managed balances under faults: one destination closed by its owner, another
//! closed and refunded as a plain system account, 5% of requests failing and 20% of sends
//! dropped. Every other balance is topped up exactly once; the broken two are marked
//! degraded and stop nothing.

use super::*;
use anchor_lang::prelude::Pubkey;
use anchor_spl::token_2022::spl_token_2022;
use smart_treasury::state::AutomationSettings;
use smart_treasury_keeper::metrics;
use smart_treasury_keeper_live_bench::chain::{self, BalanceSettings, SPL_TOKEN, UNIT};
use smart_treasury_local_cluster::FaultConfig;

const BALANCES: u32 = 10;
const MIN: u64 = 1_000 * UNIT;
const TARGET: u64 = 5_000 * UNIT;

/// A treasury whose balances keep venue accounts of one owner topped up from a reserve.
struct Fleet {
    base: chain::Base,
    venue_owner: Keypair,
    venues: Vec<Pubkey>,
    sink: Pubkey,
}

impl Fleet {
    async fn build(env: &Env) -> Fleet {
        let base = chain::base(&env.rpc, &env.cluster.faucet(), 100, 1_000_000 * UNIT).await.expect("treasury");
        let venue_owner = Keypair::new();
        let rent = chain::token_account_rent(&env.rpc).await.expect("rent");
        let (sink, mut groups) = chain::seeded_token_account(&base, "sink", &base.authority.pubkey(), rent, 0)
            .map(|(a, g)| (a, vec![g]))
            .unwrap();
        let mut venues = Vec::new();
        for i in 0..BALANCES {
            let (venue, instructions) =
                chain::seeded_token_account(&base, &format!("venue-{i}"), &venue_owner.pubkey(), rent, TARGET).unwrap();
            venues.push(venue);
            groups.push(instructions);
        }
        let authority = base.authority.pubkey();
        chain::send_all(&env.rpc, &base.authority, chain::pack(&authority, groups).unwrap(), "venues", 8)
            .await
            .unwrap();
        let settings = BalanceSettings {
            min: MIN,
            target: TARGET,
            max: 10_000 * UNIT,
            automation: AutomationSettings {
                cooldown_seconds: 30,
                period_seconds: 86_400,
                period_cap: 1_000_000 * UNIT,
                forecast_band_bps: 0,
            },
            reserve_floor: 0,
        };
        let groups = venues
            .iter()
            .enumerate()
            .map(|(i, venue)| chain::managed_balance(&base, i as u32 + 1, &format!("venue {i}"), *venue, &settings))
            .collect();
        chain::send_all(&env.rpc, &base.authority, chain::pack(&authority, groups).unwrap(), "balances", 8)
            .await
            .unwrap();
        Fleet { base, venue_owner, venues, sink }
    }

    fn managed_balance(&self, index: usize) -> Pubkey {
        pda::managed_balance_pda(&self.base.treasury, index as u32 + 1)
    }

    /// The venue's owner pays `amount` out of it.
    fn pay_out(&self, index: usize, amount: u64) -> anchor_lang::solana_program::instruction::Instruction {
        let (venue, owner) = (self.venues[index], self.venue_owner.pubkey());
        spl_token_2022::instruction::transfer_checked(
            &SPL_TOKEN,
            &venue,
            &self.base.mint,
            &self.sink,
            &owner,
            &[],
            amount,
            6,
        )
        .expect("transfer")
    }

    /// The venue's owner empties and closes it.
    fn close(&self, index: usize) -> Vec<anchor_lang::solana_program::instruction::Instruction> {
        let (venue, owner) = (self.venues[index], self.venue_owner.pubkey());
        let authority = self.base.authority.pubkey();
        let close = spl_token_2022::instruction::close_account(&SPL_TOKEN, &venue, &authority, &owner, &[]).unwrap();
        vec![self.pay_out(index, TARGET), close]
    }

    async fn balance(&self, env: &Env, index: usize) -> u64 {
        for _ in 0..50 {
            if let Ok(account) = smart_treasury_client::read::token_account(&env.rpc, &self.venues[index]).await {
                return account.amount;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("venue {index} could not be read");
    }
}

/// The managed balance's top-ups, as the chain records them (at confirmed).
async fn top_ups(env: &Env, managed_balance: &Pubkey) -> usize {
    let config = solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config {
        commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
        ..Default::default()
    };
    let signatures = env.rpc.get_signatures_for_address_with_config(managed_balance, config).await.expect("signatures");
    let mut count = 0;
    for entry in signatures.iter().filter(|entry| entry.err.is_none()) {
        let events =
            smart_treasury_client::events::fetch(&env.rpc, &entry.signature).await.expect("read").expect("served");
        count += movements_of(&events)
            .iter()
            .filter(|movement| movement.kind == "threshold" && movement.managed_balance == managed_balance.to_string())
            .count();
    }
    count
}

#[tokio::test]
async fn one_broken_destination_among_many_under_faults_stops_nothing_and_each_breach_is_met_once() {
    let env = env().await;
    let fleet = Fleet::build(&env).await;
    let settings =
        FileConfig { treasury: Some(fleet.base.treasury.to_string()), ..env.keeper_settings("keeper").await };
    let config = resolve(settings, FileConfig::default()).expect("settings");

    // Venue 0 is closed by its owner; venue 1 too, then sent lamports, so its address is
    // a plain system account; every other venue pays out below its min.
    let mut changes = vec![
        Change {
            summary: "close venue 0".into(),
            instructions: fleet.close(0),
            co_signers: vec![fleet.venue_owner.insecure_clone()],
        },
        Change {
            summary: "close venue 1".into(),
            instructions: fleet.close(1),
            co_signers: vec![fleet.venue_owner.insecure_clone()],
        },
        Change::new(
            "refund venue 1's address",
            solana_system_interface::instruction::transfer(
                &fleet.base.authority.pubkey(),
                &fleet.venues[1],
                10_000_000,
            ),
        ),
    ];
    for index in 2..BALANCES as usize {
        let payout = fleet.pay_out(index, TARGET - MIN + UNIT);
        changes.push(Change {
            summary: format!("payout {index}"),
            instructions: vec![payout],
            co_signers: vec![fleet.venue_owner.insecure_clone()],
        });
    }
    tx::send(&env.rpc, &fleet.base.authority, changes).await.expect("the breaches and the closes land");

    let faults = env.cluster.faults();
    // Every request fails until the keeper has met one error; then one in twenty.
    faults.set(FaultConfig { rpc_errors: 1.0, dropped_transactions: 0.2, ..FaultConfig::default() }).expect("faults");
    let (shared, task, stop) = start_shared(config);
    eventually(Duration::from_secs(30), "an RPC error met by the keeper", || async { faults.stats().rpc_errors > 0 })
        .await;
    faults.update(|config| config.rpc_errors = 0.05).expect("faults");
    let healthy = 2..BALANCES as usize;
    eventually(Duration::from_secs(90), "every other balance back at target", || async {
        for index in healthy.clone() {
            if fleet.balance(&env, index).await != TARGET {
                return false;
            }
        }
        true
    })
    .await;
    faults.clear();
    env.settle().await;
    for index in healthy {
        assert_eq!(top_ups(&env, &fleet.managed_balance(index)).await, 1, "balance {index}");
    }
    // The gauge is set by the cycle, which may not have finished one since the last
    // top-up (a notified breach is met beside it): waited for, not assumed.
    let degraded = |index: usize| {
        let (address, name) = (fleet.managed_balance(index).to_string(), format!("venue {index}"));
        shared.metrics.value(&metrics::DEGRADED, &[&address, &name])
    };
    let expected = |index: usize| Some(f64::from(u8::from(index < 2)));
    eventually(Duration::from_secs(30), "the broken two degraded, no other", || async {
        (0..BALANCES as usize).all(|index| degraded(index) == expected(index))
    })
    .await;
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}
