//! The pure plan of a whole fleet: for every managed balance, what the planner would do
//! and whether the keeper may do it now (the treasury may be paused, the keeper off its
//! allow-list, the balance's destination unusable). No I/O: given the same fleet and
//! clock, the same plan.

use crate::{
    crank::{crank_for, Crank},
    fleet::Fleet,
    forecast::{breach_outlook, BreachOutlook, Horizon},
    planner::{self, Action, BalanceView, PlannerConfig},
};
use anchor_lang::prelude::Pubkey;

/// Why the keeper does not act on a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hold {
    /// The treasury is paused: the program would refuse every crank.
    Paused,
    /// Cranking is restricted and this keeper is not on the allow-list.
    NotOnAllowList,
    /// This process watches and records but never cranks.
    WatchOnly,
}

impl Hold {
    /// Why nothing is sent, in a few words.
    pub fn words(&self) -> &'static str {
        match self {
            Self::Paused => "the treasury is paused",
            Self::NotOnAllowList => "this keeper is not on the treasury's crank allow-list",
            Self::WatchOnly => "this process watches only",
        }
    }
}

/// One managed balance's plan.
#[derive(Clone, Debug)]
pub struct Planned {
    pub address: Pubkey,
    pub name: String,
    pub view: BalanceView,
    pub outlook: Option<BreachOutlook>,
    pub action: Action,
    /// The mint's, to show amounts in token units.
    pub decimals: u8,
    pub hold: Option<Hold>,
    /// What to send, when the action is a move and nothing holds it.
    pub crank: Option<Crank>,
}

/// The fleet's plan, and the balances nothing can be planned for.
#[derive(Clone, Debug, Default)]
pub struct FleetPlan {
    pub planned: Vec<Planned>,
    /// Balances whose destination is closed or no token account, with why.
    pub degraded: Vec<(Pubkey, String)>,
}

/// Who is planning, and how.
#[derive(Clone, Copy, Debug)]
pub struct Planner<'a> {
    pub keeper: Pubkey,
    /// False for a process that never cranks.
    pub cranks: bool,
    /// The chain's time.
    pub now: i64,
    /// Seconds per forecast bucket.
    pub bucket_seconds: i64,
    pub config: &'a PlannerConfig,
}

/// What holds every crank of the fleet, if anything does.
pub fn fleet_hold(fleet: &Fleet, planner: &Planner<'_>) -> Option<Hold> {
    if !planner.cranks {
        return Some(Hold::WatchOnly);
    }
    let treasury = fleet.treasury.as_ref()?;
    if treasury.paused {
        Some(Hold::Paused)
    } else if !treasury.may_crank(&planner.keeper) {
        Some(Hold::NotOnAllowList)
    } else {
        None
    }
}

/// Plans every balance of the fleet.
pub fn plan_fleet(fleet: &Fleet, planner: &Planner<'_>) -> FleetPlan {
    plan_balances(fleet, planner, fleet.balances.keys())
}

/// Plans the given balances of the fleet (those a notification just changed).
pub fn plan_balances<'a>(
    fleet: &Fleet,
    planner: &Planner<'_>,
    addresses: impl IntoIterator<Item = &'a Pubkey>,
) -> FleetPlan {
    let hold = fleet_hold(fleet, planner);
    let mut plan = FleetPlan::default();
    for (address, tracked) in addresses.into_iter().filter_map(|address| fleet.balances.get_key_value(address)) {
        if let Some(reason) = fleet.degraded(address) {
            plan.degraded.push((*address, reason.to_string()));
            continue;
        }
        // Not read yet (a balance discovered since the last read).
        let Some(view) = fleet.view(address) else { continue };
        let outlook = tracked.forecast.as_ref().map(|(made_for, forecast)| {
            let horizon = Horizon::at(planner.now, planner.bucket_seconds, *made_for, planner.config.lead_seconds);
            breach_outlook(view.balance, view.thresholds.min, forecast, &horizon)
        });
        let action = planner::plan(&view, outlook.as_ref(), planner.now, planner.config);
        let crank = match hold {
            Some(_) => None,
            None => crank_for(planner.keeper, *address, &tracked.managed, &action),
        };
        let name = smart_treasury::state::decode_name(&tracked.managed.name).to_string();
        let decimals = tracked.managed.decimals;
        plan.planned.push(Planned {
            address: *address,
            name,
            view,
            outlook,
            action,
            decimals,
            hold: hold.clone(),
            crank,
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{AccountState, Tracked};
    use anchor_lang::{AccountDeserialize, Space};
    use smart_treasury::state::{CrankAccess, ManagedBalance, Treasury};
    use smart_treasury_client::read::TokenAccount;

    const NOW: i64 = 1_000_000;

    /// A treasury from an all-zero account, with the fields that matter here set.
    fn treasury(paused: bool, crank_access: CrankAccess, keepers: &[Pubkey]) -> Treasury {
        let zeroed = vec![0u8; 8 + Treasury::INIT_SPACE];
        let mut treasury =
            Treasury::try_deserialize_unchecked(&mut zeroed.as_slice()).expect("an all-zero treasury decodes");
        (treasury.paused, treasury.crank_access, treasury.keeper_count) = (paused, crank_access, keepers.len() as u8);
        treasury.keepers[..keepers.len()].copy_from_slice(keepers);
        treasury
    }

    /// A fleet of one balance below its min (1,000 of min 2,000), its source full, and
    /// one whose destination is closed.
    fn fleet(treasury_state: Treasury) -> (Fleet, Pubkey, Pubkey) {
        let mut fleet = Fleet { treasury: Some(treasury_state), ..Fleet::default() };
        let (breached, broken) = (Pubkey::new_unique(), Pubkey::new_unique());
        for (address, destination_amount) in [(breached, Some(1_000)), (broken, None)] {
            let managed = managed_balance(address);
            let (destination, source, pool) =
                (managed.destination, managed.sources[0].token_account, managed.sources[0].pool);
            match destination_amount {
                Some(amount) => fleet.observe(destination, 5, token(destination, Pubkey::new_unique(), amount)),
                None => fleet.observe(destination, 5, AccountState::Closed),
            };
            // The source is its pool's own vault: no allowance limits it.
            fleet.observe(source, 5, token(source, pool, 1_000_000));
            fleet.balances.insert(address, Tracked { managed, forecast: None, outlook: None });
        }
        (fleet, breached, broken)
    }

    /// A token account of the balances' mint (the all-zero one).
    fn token(address: Pubkey, owner: Pubkey, amount: u64) -> AccountState {
        AccountState::Token(TokenAccount {
            address,
            token_program: Pubkey::new_unique(),
            mint: Pubkey::default(),
            owner,
            amount,
            delegate: None,
            delegated_amount: 0,
            frozen: false,
            memo_required: false,
        })
    }

    /// A threshold balance (min 2,000, target 5,000, max 8,000) with one pool-vault
    /// source, from an all-zero account: only the fields that matter here are named.
    fn managed_balance(_address: Pubkey) -> ManagedBalance {
        let zeroed = vec![0u8; 8 + ManagedBalance::INIT_SPACE];
        let mut managed =
            ManagedBalance::try_deserialize_unchecked(&mut zeroed.as_slice()).expect("an all-zero balance decodes");
        (managed.min, managed.target, managed.max, managed.enabled) = (2_000, 5_000, 8_000, true);
        managed.destination = Pubkey::new_unique();
        managed.automation.period_seconds = 86_400;
        managed.automation.period_cap = u64::MAX;
        managed.config_version = 1;
        managed.source_count = 1;
        let source = &mut managed.sources[0];
        (source.token_account, source.pool, source.priority, source.enabled) =
            (Pubkey::new_unique(), Pubkey::new_unique(), 1, true);
        managed
    }

    fn planner(keeper: Pubkey, config: &PlannerConfig) -> Planner<'_> {
        Planner { keeper, cranks: true, now: NOW, bucket_seconds: 3_600, config }
    }

    #[test]
    fn a_breach_gets_a_crank_and_a_broken_balance_is_set_aside() {
        let keeper = Pubkey::new_unique();
        let config = PlannerConfig::default();
        let (fleet, breached, broken) = fleet(treasury(false, CrankAccess::Permissionless, &[]));
        let plan = plan_fleet(&fleet, &planner(keeper, &config));
        assert_eq!(plan.degraded, vec![(broken, "the account is closed".to_string())]);
        assert_eq!(plan.planned.len(), 1);
        assert_eq!(plan.planned[0].address, breached);
        assert!(plan.planned[0].crank.is_some(), "{:?}", plan.planned[0].action);
    }

    #[test]
    fn nothing_is_sent_while_paused_or_off_the_allow_list() {
        let keeper = Pubkey::new_unique();
        let config = PlannerConfig::default();
        for (state, hold) in [
            (treasury(true, CrankAccess::Permissionless, &[]), Hold::Paused),
            (treasury(false, CrankAccess::AllowList, &[Pubkey::new_unique()]), Hold::NotOnAllowList),
        ] {
            let (fleet, _, _) = fleet(state);
            let plan = plan_fleet(&fleet, &planner(keeper, &config));
            assert!(matches!(plan.planned[0].action, Action::TopUp { .. }), "the plan is still made and shown");
            assert_eq!((plan.planned[0].hold.clone(), plan.planned[0].crank.is_none()), (Some(hold), true));
        }
        let (fleet, _, _) = fleet(treasury(false, CrankAccess::AllowList, &[keeper]));
        assert!(plan_fleet(&fleet, &planner(keeper, &config)).planned[0].crank.is_some());
    }
}
