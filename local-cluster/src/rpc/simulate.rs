//! simulateTransaction, and the preflight simulation sendTransaction runs first.

use crate::{
    encoding,
    node::{execute::SanitizedTx, Node},
    rpc::{
        context::{bank, respond},
        params::{self, arity, method, RpcResult},
        transaction,
    },
};
use jsonrpc_core::{Error, MetaIoHandler};
use solana_account_decoder::UiAccountEncoding;
use solana_rpc_client_types::{
    config::RpcSimulateTransactionConfig,
    response::{RpcBlockhash, RpcSimulateTransactionResult, UiLoadedAddresses, UiTransactionTokenBalance},
};
use solana_runtime::bank::{Bank, TransactionSimulationResult};
use solana_svm::transaction_balances::SvmTokenInfo;
use solana_transaction_error::TransactionError;
use solana_transaction_status::{map_inner_instructions, parse_ui_inner_instructions};
use std::{collections::HashMap, sync::Arc};

pub(crate) fn register(io: &mut MetaIoHandler<Arc<Node>>) {
    method(
        io,
        "simulateTransaction",
        arity(1, 2),
        |node: Arc<Node>, (data, config): (String, Option<RpcSimulateTransactionConfig>)| async move {
            let config = config.unwrap_or_default();
            let mut tx = transaction::decode(&data, transaction::binary_encoding(config.encoding)?)?;
            let bank = bank(&node, config.commitment, config.min_context_slot)?;
            let mut replacement_blockhash = None;
            if config.replace_recent_blockhash {
                if config.sig_verify {
                    return Err(Error::invalid_params("sigVerify may not be used with replaceRecentBlockhash"));
                }
                let blockhash = bank.last_blockhash();
                tx.message.set_recent_blockhash(blockhash);
                let last_valid_block_height =
                    bank.get_blockhash_last_valid_block_height(&blockhash).unwrap_or_default();
                replacement_blockhash =
                    Some(RpcBlockhash { blockhash: blockhash.to_string(), last_valid_block_height });
            }
            let tx = transaction::sanitize(&bank, tx, config.sig_verify)?;
            let account_keys: Vec<_> = tx.message().account_keys().iter().copied().collect();
            let simulation = run(&node, &bank, &tx, config.inner_instructions).await?;

            let accounts = match config.accounts {
                None => None,
                Some(wanted) => {
                    let encoding = wanted.encoding.unwrap_or(UiAccountEncoding::Base64);
                    if matches!(encoding, UiAccountEncoding::Binary | UiAccountEncoding::Base58) {
                        return Err(Error::invalid_params("base58 encoding not supported"));
                    }
                    if wanted.addresses.len() > account_keys.len() {
                        return Err(Error::invalid_params(format!(
                            "Too many accounts provided; max {}",
                            account_keys.len()
                        )));
                    }
                    let after: HashMap<_, _> = simulation.post_simulation_accounts.iter().cloned().collect();
                    let mut accounts = Vec::with_capacity(wanted.addresses.len());
                    for address in &wanted.addresses {
                        let address = params::pubkey(address)?;
                        accounts.push(if simulation.result.is_err() {
                            None
                        } else {
                            after
                                .get(&address)
                                .cloned()
                                .or_else(|| bank.get_account(&address))
                                .map(|account| encoding::ui_account(&bank, &address, &account, encoding, None))
                        });
                    }
                    Some(accounts)
                }
            };
            let keys = solana_message::AccountKeys::new(&account_keys, None);
            let inner_instructions = simulation.inner_instructions.clone().map(|inner| {
                map_inner_instructions(inner).map(|inner| parse_ui_inner_instructions(inner, &keys)).collect()
            });
            let mut result = result_of(simulation, &tx);
            result.accounts = accounts;
            result.inner_instructions = inner_instructions;
            result.replacement_blockhash = replacement_blockhash;
            Ok(respond(&bank, result))
        },
    );
}

/// Simulates `tx` off the async threads, failing it as the runtime would when an injected
/// fault has expired its blockhash.
pub(crate) async fn run(
    node: &Arc<Node>,
    bank: &Arc<Bank>,
    tx: &Arc<SanitizedTx>,
    inner_instructions: bool,
) -> RpcResult<TransactionSimulationResult> {
    if node.blockhashes.reject_expired(tx.message().recent_blockhash(), node.slot()) {
        return Ok(TransactionSimulationResult::new_error(TransactionError::BlockhashNotFound));
    }
    let (bank, tx) = (bank.clone(), tx.clone());
    tokio::task::spawn_blocking(move || bank.simulate_transaction_unchecked(tx.as_ref(), inner_instructions))
        .await
        .map_err(|err| params::internal_error(format!("the simulation stopped: {err}")))
}

/// The RPC's view of a simulation (without accounts or inner instructions, which only
/// simulateTransaction adds).
pub(crate) fn result_of(simulation: TransactionSimulationResult, tx: &SanitizedTx) -> RpcSimulateTransactionResult {
    let token_balances = |infos: Option<Vec<SvmTokenInfo>>| {
        infos.map(|infos| infos.into_iter().map(ui_token_balance).collect::<Vec<_>>())
    };
    RpcSimulateTransactionResult {
        err: simulation.result.err().map(Into::into),
        logs: Some(simulation.logs),
        accounts: None,
        units_consumed: Some(simulation.units_consumed),
        loaded_accounts_data_size: Some(simulation.loaded_accounts_data_size),
        return_data: simulation.return_data.map(Into::into),
        inner_instructions: None,
        replacement_blockhash: None,
        fee: simulation.fee,
        pre_balances: simulation.pre_balances,
        post_balances: simulation.post_balances,
        pre_token_balances: token_balances(simulation.pre_token_balances),
        post_token_balances: token_balances(simulation.post_token_balances),
        loaded_addresses: Some(UiLoadedAddresses::from(&tx.get_loaded_addresses())),
    }
}

fn ui_token_balance(info: SvmTokenInfo) -> UiTransactionTokenBalance {
    crate::node::execute::token_balance(info).into()
}
