//! Token balances and token accounts, for SPL Token and Token-2022 alike.

use crate::{
    encoding::mint_details,
    node::Node,
    rpc::{
        accounts::{encode, program_accounts},
        context::{bank, respond},
        params::{self, arity, method, RpcResult},
    },
};
use jsonrpc_core::{Error, MetaIoHandler};
use solana_account::{AccountSharedData, ReadableAccount};
use solana_account_decoder::{
    parse_token::is_known_spl_token_id, parse_token::token_amount_to_ui_amount_v3, UiAccountEncoding,
};
use solana_commitment_config::CommitmentConfig;
use solana_pubkey::Pubkey;
use solana_rpc_client_api::request::NUM_LARGEST_ACCOUNTS;
use solana_rpc_client_types::{
    config::{RpcAccountInfoConfig, RpcTokenAccountsFilter},
    filter::{Memcmp, RpcFilterType},
    response::{Response, RpcKeyedAccount, RpcTokenAccountBalance},
};
use solana_runtime::bank::Bank;
use spl_generic_token::token::{SPL_TOKEN_ACCOUNT_MINT_OFFSET, SPL_TOKEN_ACCOUNT_OWNER_OFFSET};
use spl_token_2022_interface::{
    extension::StateWithExtensions,
    state::{Account as TokenAccount, Mint},
};
use std::sync::Arc;

/// Where a token account's delegate (a `COption<Pubkey>`) starts: after the mint, the
/// owner and the amount.
const SPL_TOKEN_ACCOUNT_DELEGATE_OFFSET: usize = 72;

pub(crate) fn register(io: &mut MetaIoHandler<Arc<Node>>) {
    method(
        io,
        "getTokenAccountBalance",
        arity(1, 2),
        |node: Arc<Node>, (address, commitment): (String, Option<CommitmentConfig>)| async move {
            let address = params::pubkey(&address)?;
            let bank = node.bank(commitment);
            let account = bank
                .get_account(&address)
                .ok_or_else(|| Error::invalid_params("Invalid param: could not find account"))?;
            let not_token = || Error::invalid_params("Invalid param: not a Token account");
            if !is_known_spl_token_id(account.owner()) {
                return Err(not_token());
            }
            let token_account = StateWithExtensions::<TokenAccount>::unpack(account.data()).map_err(|_| not_token())?;
            let (_, details) =
                mint_details(&bank, &token_account.base.mint).map_err(|err| Error::invalid_params(err.to_string()))?;
            Ok(respond(&bank, token_amount_to_ui_amount_v3(token_account.base.amount, &details)))
        },
    );
    method(
        io,
        "getTokenSupply",
        arity(1, 2),
        |node: Arc<Node>, (mint, commitment): (String, Option<CommitmentConfig>)| async move {
            let mint = params::pubkey(&mint)?;
            let bank = node.bank(commitment);
            let account = bank
                .get_account(&mint)
                .ok_or_else(|| Error::invalid_params("Invalid param: could not find account"))?;
            if !is_known_spl_token_id(account.owner()) {
                return Err(Error::invalid_params("Invalid param: not a Token mint"));
            }
            let supply = StateWithExtensions::<Mint>::unpack(account.data())
                .map_err(|_| Error::invalid_params("Invalid param: mint could not be unpacked"))?
                .base
                .supply;
            let (_, details) = mint_details(&bank, &mint).map_err(|err| Error::invalid_params(err.to_string()))?;
            Ok(respond(&bank, token_amount_to_ui_amount_v3(supply, &details)))
        },
    );
    method(
        io,
        "getTokenAccountsByOwner",
        arity(2, 3),
        |node: Arc<Node>, (owner, filter, config): (String, RpcTokenAccountsFilter, Option<RpcAccountInfoConfig>)| async move {
            let owner = params::pubkey(&owner)?;
            let owned =
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(SPL_TOKEN_ACCOUNT_OWNER_OFFSET, owner.to_bytes().to_vec()));
            token_accounts(&node, vec![owned], filter, config.unwrap_or_default()).await
        },
    );
    method(
        io,
        "getTokenAccountsByDelegate",
        arity(2, 3),
        |node: Arc<Node>,
         (delegate, filter, config): (String, RpcTokenAccountsFilter, Option<RpcAccountInfoConfig>)| async move {
            let delegate = params::pubkey(&delegate)?;
            // The delegate is a COption<Pubkey>: a little-endian 1 tag, then the key.
            let delegated = [
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
                    SPL_TOKEN_ACCOUNT_DELEGATE_OFFSET,
                    1u32.to_le_bytes().to_vec(),
                )),
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
                    SPL_TOKEN_ACCOUNT_DELEGATE_OFFSET + 4,
                    delegate.to_bytes().to_vec(),
                )),
            ];
            token_accounts(&node, delegated.to_vec(), filter, config.unwrap_or_default()).await
        },
    );
    method(
        io,
        "getTokenLargestAccounts",
        arity(1, 2),
        |node: Arc<Node>, (mint, commitment): (String, Option<CommitmentConfig>)| async move {
            let mint = params::pubkey(&mint)?;
            let bank = node.bank(commitment);
            let (token_program, details) =
                mint_details(&bank, &mint).map_err(|err| Error::invalid_params(err.to_string()))?;
            if !is_known_spl_token_id(&token_program) {
                return Err(Error::invalid_params("Invalid param: not a Token mint"));
            }
            let filters = vec![
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(SPL_TOKEN_ACCOUNT_MINT_OFFSET, mint.to_bytes().to_vec())),
                RpcFilterType::TokenAccountState,
            ];
            let accounts = scan(&bank, token_program, filters).await?;
            let mut balances: Vec<(u64, Pubkey)> = accounts
                .iter()
                .map(|(address, account)| {
                    let amount = StateWithExtensions::<TokenAccount>::unpack(account.data())
                        .map_or(0, |state| state.base.amount);
                    (amount, *address)
                })
                .collect();
            // Largest first; equal amounts by address, as the RPC orders them.
            balances.sort_unstable_by(|a, b| b.cmp(a));
            balances.truncate(NUM_LARGEST_ACCOUNTS);
            let largest: Vec<RpcTokenAccountBalance> = balances
                .into_iter()
                .map(|(amount, address)| RpcTokenAccountBalance {
                    address: address.to_string(),
                    amount: token_amount_to_ui_amount_v3(amount, &details),
                })
                .collect();
            Ok(respond(&bank, largest))
        },
    );
}

/// Token accounts matching `filters`, narrowed by a mint or a token program, encoded as
/// `config` asks: what getTokenAccountsByOwner and getTokenAccountsByDelegate share.
async fn token_accounts(
    node: &Node,
    mut filters: Vec<RpcFilterType>,
    narrowed_by: RpcTokenAccountsFilter,
    config: RpcAccountInfoConfig,
) -> RpcResult<Response<Vec<RpcKeyedAccount>>> {
    let bank = bank(node, config.commitment, config.min_context_slot)?;
    let token_program = match narrowed_by {
        RpcTokenAccountsFilter::Mint(mint) => {
            let mint = params::pubkey(&mint)?;
            let (token_program, _) =
                mint_details(&bank, &mint).map_err(|err| Error::invalid_params(err.to_string()))?;
            filters.push(RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
                SPL_TOKEN_ACCOUNT_MINT_OFFSET,
                mint.to_bytes().to_vec(),
            )));
            token_program
        }
        RpcTokenAccountsFilter::ProgramId(program) => params::pubkey(&program)?,
    };
    if !is_known_spl_token_id(&token_program) {
        return Err(Error::invalid_params("Invalid param: unrecognized Token program id"));
    }
    filters.push(RpcFilterType::TokenAccountState);
    let keyed = scan(&bank, token_program, filters).await?;
    let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
    let accounts = keyed
        .iter()
        .map(|(pubkey, account)| {
            Ok(RpcKeyedAccount {
                pubkey: pubkey.to_string(),
                account: encode(&bank, pubkey, account, encoding, config.data_slice)?,
            })
        })
        .collect::<RpcResult<Vec<_>>>()?;
    Ok(respond(&bank, accounts))
}

/// The token program's accounts that pass `filters`, scanned off the async workers.
async fn scan(
    bank: &Arc<Bank>,
    token_program: Pubkey,
    filters: Vec<RpcFilterType>,
) -> RpcResult<Vec<(Pubkey, AccountSharedData)>> {
    let bank = bank.clone();
    tokio::task::spawn_blocking(move || program_accounts(&bank, &token_program, &filters, true))
        .await
        .map_err(|err| params::internal_error(format!("the account scan stopped: {err}")))?
}
