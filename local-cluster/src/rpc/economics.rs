//! SOL itself: supply (with the non-circulating accounts the runtime names), the inflation
//! schedule and rate, and the smallest stake delegation.

use crate::{
    node::Node,
    rpc::{
        context::{bank, respond},
        params::{arity, method, NoParams},
    },
};
use jsonrpc_core::{Error, MetaIoHandler};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client_api::custom_error::RpcCustomError;
use solana_rpc_client_types::{
    config::{RpcContextConfig, RpcSupplyConfig},
    response::{RpcInflationGovernor, RpcInflationRate, RpcSupply},
};
use solana_runtime::{non_circulating_supply::calculate_non_circulating_supply, stake_utils};
use std::sync::Arc;

pub(crate) fn register(io: &mut MetaIoHandler<Arc<Node>>) {
    method(io, "getSupply", arity(0, 1), |node: Arc<Node>, (config,): (Option<RpcSupplyConfig>,)| async move {
        let config = config.unwrap_or_default();
        let bank = node.bank(config.commitment);
        let scanned = bank.clone();
        // Finding the non-circulating accounts scans every stake account.
        let non_circulating = tokio::task::spawn_blocking(move || calculate_non_circulating_supply(&scanned))
            .await
            .map_err(|err| crate::rpc::params::internal_error(format!("the supply scan stopped: {err}")))?
            .map_err(|err| Error::from(RpcCustomError::ScanError { message: err.to_string() }))?;
        let total = bank.capitalization();
        let non_circulating_accounts = if config.exclude_non_circulating_accounts_list {
            Vec::new()
        } else {
            non_circulating.accounts.iter().map(ToString::to_string).collect()
        };
        Ok(respond(
            &bank,
            RpcSupply {
                total,
                circulating: total.saturating_sub(non_circulating.lamports),
                non_circulating: non_circulating.lamports,
                non_circulating_accounts,
            },
        ))
    });
    method(
        io,
        "getInflationGovernor",
        arity(0, 1),
        |node: Arc<Node>, (commitment,): (Option<CommitmentConfig>,)| async move {
            Ok::<RpcInflationGovernor, Error>(node.bank(commitment).inflation().into())
        },
    );
    method(io, "getInflationRate", arity(0, 0), |node: Arc<Node>, NoParams()| async move {
        let bank = node.bank(None);
        let inflation = bank.inflation();
        let year = bank.slot_in_year_for_inflation();
        Ok::<RpcInflationRate, Error>(RpcInflationRate {
            total: inflation.total(year),
            validator: inflation.validator(year),
            foundation: inflation.foundation(year),
            epoch: bank.epoch(),
        })
    });
    method(
        io,
        "getStakeMinimumDelegation",
        arity(0, 1),
        |node: Arc<Node>, (config,): (Option<RpcContextConfig>,)| async move {
            let config = config.unwrap_or_default();
            let bank = bank(&node, config.commitment, config.min_context_slot)?;
            let raised = bank.feature_set.is_active(&agave_feature_set::stake_raise_minimum_delegation_to_1_sol::id());
            Ok(respond(&bank, stake_utils::get_minimum_delegation(raised)))
        },
    );
}
