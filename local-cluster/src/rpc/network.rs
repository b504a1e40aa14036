//! The cluster as a network, as explorers and the Solana CLI see it: its one node
//! (getClusterNodes), that node's vote account (getVoteAccounts), the leader schedule and
//! slot leader, performance samples, the shred and retransmit slots, and snapshots.
//!
//! The node leads every slot and casts no votes: its vote account shows no last vote, so
//! by the RPC's own rule it counts as delinquent once the cluster is past the delinquency
//! distance (128 slots), as a validator that stopped voting would.

use crate::{
    node::{performance, Node},
    rpc::{
        context::bank,
        params::{self, arity, method, NoParams},
        Contact,
    },
};
use jsonrpc_core::{Error, MetaIoHandler};
use solana_clock::Slot;
use solana_rpc_client_api::{
    custom_error::RpcCustomError,
    request::{DELINQUENT_VALIDATOR_SLOT_DISTANCE, MAX_RPC_VOTE_ACCOUNT_INFO_EPOCH_CREDITS_HISTORY},
};
use solana_rpc_client_types::{
    config::{RpcContextConfig, RpcGetVoteAccountsConfig, RpcLeaderScheduleConfig, RpcLeaderScheduleConfigWrapper},
    response::{
        RpcContactInfo, RpcLeaderSchedule, RpcPerfSample, RpcSnapshotSlotInfo, RpcVoteAccountInfo, RpcVoteAccountStatus,
    },
};
use solana_runtime::bank::Bank;
use std::sync::Arc;

pub(crate) fn register(io: &mut MetaIoHandler<Arc<Node>>, contact: Contact) {
    method(io, "getClusterNodes", arity(0, 0), move |node: Arc<Node>, NoParams()| async move {
        Ok(vec![contact_info(&node, contact)])
    });
    method(
        io,
        "getVoteAccounts",
        arity(0, 1),
        |node: Arc<Node>, (config,): (Option<RpcGetVoteAccountsConfig>,)| async move {
            vote_accounts(&node, config.unwrap_or_default())
        },
    );
    method(
        io,
        "getLeaderSchedule",
        arity(0, 2),
        |node: Arc<Node>,
         (options, config): (Option<RpcLeaderScheduleConfigWrapper>, Option<RpcLeaderScheduleConfig>)| async move {
            let (slot, wrapped) = options.map(|options| options.unzip()).unwrap_or_default();
            let config = wrapped.or(config).unwrap_or_default();
            let identity = config.identity.as_deref().map(params::pubkey).transpose()?;
            let bank = node.bank(config.commitment);
            Ok::<Option<RpcLeaderSchedule>, Error>(leader_schedule(&bank, slot, identity))
        },
    );
    method(io, "getSlotLeader", arity(0, 1), |node: Arc<Node>, (config,): (Option<RpcContextConfig>,)| async move {
        let config = config.unwrap_or_default();
        Ok(bank(&node, config.commitment, config.min_context_slot)?.collector_id().to_string())
    });
    method(io, "getRecentPerformanceSamples", arity(0, 1), |node: Arc<Node>, (limit,): (Option<usize>,)| async move {
        let limit = limit.unwrap_or(performance::MAX_SAMPLES);
        if limit > performance::MAX_SAMPLES {
            return Err(Error::invalid_params(format!("Invalid limit; max {}", performance::MAX_SAMPLES)));
        }
        Ok(node
            .performance
            .recent(limit)
            .into_iter()
            .map(|sample| RpcPerfSample {
                slot: sample.slot,
                num_transactions: sample.transactions,
                num_non_vote_transactions: Some(sample.transactions),
                num_slots: sample.slots,
                sample_period_secs: sample.period_secs,
            })
            .collect::<Vec<_>>())
    });
    // One node receives no shreds from others: the highest slot it has is its own.
    method(io, "getMaxRetransmitSlot", arity(0, 0), |node: Arc<Node>, NoParams()| async move {
        Ok::<Slot, Error>(node.slot())
    });
    method(io, "getMaxShredInsertSlot", arity(0, 0), |node: Arc<Node>, NoParams()| async move {
        Ok::<Slot, Error>(node.slot())
    });
    // The cluster keeps its ledger in memory and takes no snapshots.
    method(io, "getHighestSnapshotSlot", arity(0, 0), |_, NoParams()| async {
        Err::<RpcSnapshotSlotInfo, Error>(RpcCustomError::NoSnapshot.into())
    });
}

fn contact_info(node: &Node, contact: Contact) -> RpcContactInfo {
    let version = solana_version::Version::default();
    let root = node.root_bank();
    RpcContactInfo {
        pubkey: node.identity.to_string(),
        gossip: None,
        tvu: None,
        tpu: None,
        tpu_quic: None,
        tpu_forwards: None,
        tpu_forwards_quic: None,
        tpu_vote: None,
        serve_repair: None,
        rpc: Some(contact.rpc),
        pubsub: Some(contact.pubsub),
        version: Some(version.to_string()),
        feature_set: Some(version.feature_set),
        shred_version: Some(solana_shred_version::compute_shred_version(&node.genesis_hash, Some(&root.hard_forks()))),
    }
}

fn vote_accounts(node: &Node, config: RpcGetVoteAccountsConfig) -> Result<RpcVoteAccountStatus, Error> {
    let only = config.vote_pubkey.as_deref().map(params::pubkey).transpose()?;
    let bank = node.bank(config.commitment);
    let epoch_vote_accounts = bank.epoch_vote_accounts(bank.epoch()).ok_or_else(Error::invalid_request)?;
    let distance = config.delinquent_slot_distance.unwrap_or(DELINQUENT_VALIDATOR_SLOT_DISTANCE);
    let (current, delinquent): (Vec<_>, Vec<_>) = bank
        .vote_accounts()
        .iter()
        .filter(|(vote_pubkey, _)| only.is_none_or(|only| only == **vote_pubkey))
        .map(|(vote_pubkey, (activated_stake, account))| {
            let view = account.vote_state_view();
            let skipped = view.num_epoch_credits().saturating_sub(MAX_RPC_VOTE_ACCOUNT_INFO_EPOCH_CREDITS_HISTORY);
            RpcVoteAccountInfo {
                vote_pubkey: vote_pubkey.to_string(),
                node_pubkey: view.node_pubkey().to_string(),
                activated_stake: *activated_stake,
                commission: view.commission(),
                epoch_vote_account: epoch_vote_accounts.contains_key(vote_pubkey),
                epoch_credits: view.epoch_credits_iter().skip(skipped).map(Into::into).collect(),
                last_vote: view.last_voted_slot().unwrap_or(0),
                root_slot: view.root_slot().unwrap_or(0),
            }
        })
        .partition(|info| match bank.slot().checked_sub(distance) {
            Some(oldest_current) => info.last_vote > oldest_current,
            None => info.last_vote > 0,
        });
    let delinquent = if config.keep_unstaked_delinquents.unwrap_or_default() {
        delinquent
    } else {
        delinquent.into_iter().filter(|info| info.activated_stake > 0).collect()
    };
    Ok(RpcVoteAccountStatus { current, delinquent })
}

/// Every slot of the epoch `slot` is in belongs to the one node, for the epochs whose
/// schedule is known (up to the bank's leader-schedule epoch).
fn leader_schedule(
    bank: &Bank,
    slot: Option<Slot>,
    identity: Option<solana_pubkey::Pubkey>,
) -> Option<RpcLeaderSchedule> {
    let schedule = bank.epoch_schedule();
    let epoch = schedule.get_epoch(slot.unwrap_or_else(|| bank.slot()));
    if epoch > bank.get_leader_schedule_epoch(bank.slot()) {
        return None;
    }
    let leader = *bank.collector_id();
    let slots = usize::try_from(schedule.get_slots_in_epoch(epoch)).unwrap_or(usize::MAX);
    let mut by_identity = RpcLeaderSchedule::new();
    if identity.is_none_or(|identity| identity == leader) {
        by_identity.insert(leader.to_string(), (0..slots).collect());
    }
    Some(by_identity)
}
