//! The steps that bring a managed balance's linked sources to the declared ones, in an
//! order the program accepts: unlink first, then re-prioritise (through a free
//! temporary priority when two sources swap), then link. Priorities stay unique and
//! the list never exceeds eight at any step.

use super::step::{tokens, Step, StepKind};
use anchor_lang::prelude::Pubkey;
use smart_treasury::{
    instructions::{LinkSourceArgs, UpdateSourceArgs},
    state::FundingSource,
};
use std::collections::BTreeMap;

/// A source as declared, resolved to its accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WantedSource {
    pub token_account: Pubkey,
    pub pool: Pubkey,
    /// How an operator knows it: `vault of pool 2`, `venue <address> via pool 2`.
    pub label: String,
    pub priority: u8,
    pub reserve_floor: u64,
    /// The mint's, for the floor in token units.
    pub decimals: u8,
    pub enabled: bool,
    /// A venue that may take returned funds.
    pub returns_allowed: bool,
}

fn update(object: &str, managed_balance: Pubkey, wanted: &WantedSource, priority: u8, detail: String) -> Step {
    let args = UpdateSourceArgs {
        token_account: wanted.token_account,
        priority,
        reserve_floor: wanted.reserve_floor,
        enabled: wanted.enabled,
        returns_allowed: wanted.returns_allowed,
    };
    Step::new(
        "update",
        format!("{object} source {}", wanted.label),
        detail,
        StepKind::UpdateSource { managed_balance, args },
    )
}

fn settings_detail(current: &FundingSource, wanted: &WantedSource) -> Vec<String> {
    let mut parts = Vec::new();
    if current.reserve_floor != wanted.reserve_floor {
        let floor = |base_units| tokens(base_units, wanted.decimals);
        parts.push(format!("floor {} -> {}", floor(current.reserve_floor), floor(wanted.reserve_floor)));
    }
    if current.enabled != wanted.enabled {
        parts.push(if wanted.enabled { "enable".into() } else { "disable".into() });
    }
    if current.returns_allowed != wanted.returns_allowed {
        parts.push(if wanted.returns_allowed { "allow returns".into() } else { "refuse returns".into() });
    }
    parts
}

/// `object` names the managed balance (`managed balance 1 "hot"`).
pub fn source_steps(
    object: &str,
    managed_balance: Pubkey,
    current: &[FundingSource],
    wanted: &[WantedSource],
) -> Vec<Step> {
    let matches = |c: &FundingSource, w: &WantedSource| c.token_account == w.token_account && c.pool == w.pool;
    let mut steps = Vec::new();

    for linked in current.iter().filter(|c| !wanted.iter().any(|w| matches(c, w))) {
        steps.push(Step::new(
            "unlink",
            format!("{object} source {}", linked.token_account),
            format!("priority {}", linked.priority),
            StepKind::UnlinkSource { managed_balance, token_account: linked.token_account },
        ));
    }

    let kept: Vec<(&FundingSource, &WantedSource)> =
        current.iter().filter_map(|c| wanted.iter().find(|w| matches(c, w)).map(|w| (c, w))).collect();
    let mut occupied: BTreeMap<u8, Pubkey> = kept.iter().map(|(c, _)| (c.priority, c.token_account)).collect();
    let mut moving: Vec<(u8, &FundingSource, &WantedSource)> = Vec::new();
    for (current, wanted) in &kept {
        if current.priority == wanted.priority {
            let parts = settings_detail(current, wanted);
            if !parts.is_empty() {
                steps.push(update(object, managed_balance, wanted, wanted.priority, parts.join(", ")));
            }
        } else {
            moving.push((current.priority, current, wanted));
        }
    }

    let wanted_priorities: Vec<u8> = wanted.iter().map(|w| w.priority).collect();
    while !moving.is_empty() {
        let ready = moving.iter().position(|(_, _, w)| !occupied.contains_key(&w.priority));
        let (index, to) = match ready {
            Some(index) => (index, moving[index].2.priority),
            None => {
                // Every move waits on another: park one on a priority nobody uses or wants.
                let free = (1..=u8::MAX)
                    .rev()
                    .find(|p| !occupied.contains_key(p) && !wanted_priorities.contains(p))
                    .expect("at most eight sources use at most sixteen priorities");
                (0, free)
            }
        };
        let (from, current, wanted) = moving[index];
        occupied.remove(&from);
        occupied.insert(to, wanted.token_account);
        if to == wanted.priority {
            let mut parts = vec![format!("priority {} -> {}", current.priority, to)];
            parts.extend(settings_detail(current, wanted));
            steps.push(update(object, managed_balance, wanted, to, parts.join(", ")));
            moving.remove(index);
        } else {
            let detail = format!("priority {from} -> {to} for now, freeing {from}");
            steps.push(update(object, managed_balance, wanted, to, detail));
            moving[index].0 = to;
        }
    }

    let mut new: Vec<&WantedSource> = wanted.iter().filter(|w| !current.iter().any(|c| matches(c, w))).collect();
    new.sort_by_key(|w| w.priority);
    for wanted in new {
        let args = LinkSourceArgs {
            priority: wanted.priority,
            reserve_floor: wanted.reserve_floor,
            enabled: wanted.enabled,
            returns_allowed: wanted.returns_allowed,
        };
        let state = match (wanted.enabled, wanted.returns_allowed) {
            (true, false) => "",
            (true, true) => ", may take returned funds",
            (false, false) => ", disabled",
            (false, true) => ", disabled, may take returned funds",
        };
        steps.push(Step::new(
            "link",
            format!("{object} source {}", wanted.label),
            format!("priority {}, floor {}{state}", wanted.priority, tokens(wanted.reserve_floor, wanted.decimals)),
            StepKind::LinkSource { managed_balance, source: wanted.token_account, source_pool: wanted.pool, args },
        ));
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use smart_treasury::state::AccountKind;

    fn key(n: u8) -> Pubkey {
        Pubkey::new_from_array([n; 32])
    }

    fn linked(n: u8, priority: u8) -> FundingSource {
        FundingSource {
            token_account: key(n),
            pool: key(100),
            kind: AccountKind::PoolVault,
            priority,
            enabled: true,
            reserve_floor: 0,
            returns_allowed: false,
        }
    }

    fn wanted(n: u8, priority: u8) -> WantedSource {
        WantedSource {
            token_account: key(n),
            pool: key(100),
            label: format!("#{n}"),
            priority,
            reserve_floor: 0,
            decimals: 0,
            enabled: true,
            returns_allowed: false,
        }
    }

    /// Replays the steps on a model of the program's source list, checking its rules
    /// at every step, and returns the final (account, priority) pairs.
    fn replay(current: &[FundingSource], steps: &[Step]) -> Vec<(Pubkey, u8)> {
        let mut list: Vec<(Pubkey, u8)> = current.iter().map(|s| (s.token_account, s.priority)).collect();
        for step in steps {
            match &step.kind {
                StepKind::UnlinkSource { token_account, .. } => list.retain(|(a, _)| a != token_account),
                StepKind::UpdateSource { args, .. } => {
                    list.retain(|(a, _)| *a != args.token_account);
                    assert!(list.iter().all(|(_, p)| *p != args.priority), "duplicate priority at {}", step.summary());
                    list.push((args.token_account, args.priority));
                }
                StepKind::LinkSource { source, args, .. } => {
                    assert!(list.iter().all(|(_, p)| *p != args.priority), "duplicate priority at {}", step.summary());
                    list.push((*source, args.priority));
                }
                other => panic!("unexpected step {other:?}"),
            }
            assert!(list.len() <= 8);
        }
        list.sort_by_key(|(_, p)| *p);
        list
    }

    #[test]
    fn nothing_to_do_when_the_sources_match() {
        assert!(source_steps("b", key(1), &[linked(1, 1), linked(2, 2)], &[wanted(1, 1), wanted(2, 2)]).is_empty());
    }

    #[test]
    fn swapping_two_priorities_goes_through_a_free_one() {
        let current = [linked(1, 1), linked(2, 2)];
        let steps = source_steps("b", key(9), &current, &[wanted(1, 2), wanted(2, 1)]);
        assert_eq!(steps.len(), 3, "{steps:#?}");
        assert_eq!(replay(&current, &steps), vec![(key(2), 1), (key(1), 2)]);
    }

    #[test]
    fn a_rotation_of_three_and_a_new_source_on_a_freed_priority() {
        let current = [linked(1, 1), linked(2, 2), linked(3, 3), linked(4, 4)];
        let wanted = [wanted(1, 2), wanted(2, 3), wanted(3, 1), wanted(5, 4)];
        let steps = source_steps("b", key(9), &current, &wanted);
        assert_eq!(replay(&current, &steps), vec![(key(3), 1), (key(1), 2), (key(2), 3), (key(5), 4)]);
        assert_eq!(steps[0].action, "unlink");
        assert_eq!(steps.last().unwrap().action, "link");
    }

    #[test]
    fn a_changed_floor_or_flag_is_one_update() {
        let mut w = wanted(1, 1);
        w.reserve_floor = 500;
        w.enabled = false;
        let steps = source_steps("b", key(9), &[linked(1, 1)], &[w]);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].detail, "floor 0 -> 500, disable");
    }

    #[test]
    fn a_source_moved_to_another_pool_is_relinked() {
        let mut w = wanted(1, 1);
        w.pool = key(101);
        let steps = source_steps("b", key(9), &[linked(1, 1)], &[w]);
        let actions: Vec<&str> = steps.iter().map(|s| s.action).collect();
        assert_eq!(actions, ["unlink", "link"]);
    }
}
