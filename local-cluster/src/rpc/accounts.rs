//! Balances and accounts, one at a time, many at once, or all of a program's.

use crate::{
    encoding,
    node::Node,
    rpc::{
        context::{bank, respond},
        params::{self, arity, method, RpcResult},
    },
};
use jsonrpc_core::{Error, ErrorCode, MetaIoHandler};
use solana_account::{AccountSharedData, ReadableAccount};
use solana_account_decoder::{UiAccount, UiAccountEncoding, UiDataSliceConfig, MAX_BASE58_BYTES};
use solana_accounts_db::accounts_index::{ScanConfig, ScanOrder};
use solana_pubkey::Pubkey;
use solana_rpc_client_api::custom_error::RpcCustomError;
use solana_rpc_client_types::{
    config::{RpcAccountInfoConfig, RpcContextConfig, RpcProgramAccountsConfig},
    filter::RpcFilterType,
    request::{MAX_GET_PROGRAM_ACCOUNT_FILTERS, MAX_MULTIPLE_ACCOUNTS},
    response::{OptionalContext, RpcKeyedAccount},
};
use solana_runtime::bank::Bank;
use std::sync::Arc;

pub(crate) fn register(io: &mut MetaIoHandler<Arc<Node>>) {
    method(
        io,
        "getBalance",
        arity(1, 2),
        |node: Arc<Node>, (address, config): (String, Option<RpcContextConfig>)| async move {
            let address = params::pubkey(&address)?;
            let config = config.unwrap_or_default();
            let bank = bank(&node, config.commitment, config.min_context_slot)?;
            Ok(respond(&bank, bank.get_balance(&address)))
        },
    );
    method(
        io,
        "getAccountInfo",
        arity(1, 2),
        |node: Arc<Node>, (address, config): (String, Option<RpcAccountInfoConfig>)| async move {
            let address = params::pubkey(&address)?;
            let config = config.unwrap_or_default();
            let bank = bank(&node, config.commitment, config.min_context_slot)?;
            let account = encoded(&bank, &address, &config)?;
            Ok(respond(&bank, account))
        },
    );
    method(
        io,
        "getMultipleAccounts",
        arity(1, 2),
        |node: Arc<Node>, (addresses, config): (Vec<String>, Option<RpcAccountInfoConfig>)| async move {
            if addresses.len() > MAX_MULTIPLE_ACCOUNTS {
                return Err(Error::invalid_params(format!("Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}")));
            }
            let addresses = addresses.iter().map(|address| params::pubkey(address)).collect::<RpcResult<Vec<_>>>()?;
            let config = config.unwrap_or_default();
            let bank = bank(&node, config.commitment, config.min_context_slot)?;
            let accounts =
                addresses.iter().map(|address| encoded(&bank, address, &config)).collect::<RpcResult<Vec<_>>>()?;
            Ok(respond(&bank, accounts))
        },
    );
    method(
        io,
        "getProgramAccounts",
        arity(1, 2),
        |node: Arc<Node>, (program_id, config): (String, Option<RpcProgramAccountsConfig>)| async move {
            let program_id = params::pubkey(&program_id)?;
            let config = config.unwrap_or_default();
            let filters = checked_filters(config.filters.unwrap_or_default())?;
            let account_config = config.account_config;
            let encoding = account_config.encoding.unwrap_or(UiAccountEncoding::Binary);
            let bank = bank(&node, account_config.commitment, account_config.min_context_slot)?;
            let sorted = config.sort_results.unwrap_or(true);
            let scan_bank = bank.clone();
            let keyed =
                tokio::task::spawn_blocking(move || program_accounts(&scan_bank, &program_id, &filters, sorted))
                    .await
                    .map_err(|err| params::internal_error(format!("the account scan stopped: {err}")))??;
            let accounts = keyed
                .iter()
                .map(|(pubkey, account)| {
                    Ok(RpcKeyedAccount {
                        pubkey: pubkey.to_string(),
                        account: encode(&bank, pubkey, account, encoding, account_config.data_slice)?,
                    })
                })
                .collect::<RpcResult<Vec<_>>>()?;
            Ok(if config.with_context.unwrap_or(false) {
                OptionalContext::Context(respond(&bank, accounts))
            } else {
                OptionalContext::NoContext(accounts)
            })
        },
    );
}

/// One account in the requested encoding, or `None` when it does not exist.
pub(crate) fn encoded(bank: &Bank, address: &Pubkey, config: &RpcAccountInfoConfig) -> RpcResult<Option<UiAccount>> {
    let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
    bank.get_account(address).map(|account| encode(bank, address, &account, encoding, config.data_slice)).transpose()
}

/// As the RPC does, base-58 is refused for data over 128 bytes rather than truncated.
pub(crate) fn encode(
    bank: &Bank,
    address: &Pubkey,
    account: &AccountSharedData,
    encoding: UiAccountEncoding,
    data_slice: Option<UiDataSliceConfig>,
) -> RpcResult<UiAccount> {
    if matches!(encoding, UiAccountEncoding::Binary | UiAccountEncoding::Base58) {
        let len = data_slice
            .map_or(account.data().len(), |slice| slice.length.min(account.data().len().saturating_sub(slice.offset)));
        if len > MAX_BASE58_BYTES {
            return Err(Error {
                code: ErrorCode::InvalidRequest,
                message: format!(
                    "Encoded binary (base 58) data should be less than {MAX_BASE58_BYTES} bytes, please use Base64 encoding."
                ),
                data: None,
            });
        }
    }
    Ok(encoding::ui_account(bank, address, account, encoding, data_slice))
}

/// Refuses filters the RPC refuses: too many, or comparison bytes that do not decode or are
/// too long.
pub(crate) fn checked_filters(filters: Vec<RpcFilterType>) -> RpcResult<Vec<RpcFilterType>> {
    if filters.len() > MAX_GET_PROGRAM_ACCOUNT_FILTERS {
        return Err(Error::invalid_params(format!("Too many filters provided; max {MAX_GET_PROGRAM_ACCOUNT_FILTERS}")));
    }
    for filter in &filters {
        filter.verify().map_err(|err| Error::invalid_params(format!("Invalid param: {err}")))?;
    }
    Ok(filters)
}

/// Every account `program_id` owns that passes all `filters`.
pub(crate) fn program_accounts(
    bank: &Bank,
    program_id: &Pubkey,
    filters: &[RpcFilterType],
    sorted: bool,
) -> RpcResult<Vec<(Pubkey, AccountSharedData)>> {
    let order = if sorted { ScanOrder::Sorted } else { ScanOrder::Unsorted };
    bank.get_filtered_program_accounts(
        program_id,
        |account| filters.iter().all(|filter| encoding::filter_allows(filter, account)),
        &ScanConfig::new(order),
    )
    .map_err(|err| RpcCustomError::ScanError { message: err.to_string() }.into())
}
