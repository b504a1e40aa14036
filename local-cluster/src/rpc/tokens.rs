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
use solana_account::ReadableAccount;
use solana_account_decoder::{
    parse_token::is_known_spl_token_id, parse_token::token_amount_to_ui_amount_v3, UiAccountEncoding,
};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client_types::{
    config::{RpcAccountInfoConfig, RpcTokenAccountsFilter},
    filter::{Memcmp, RpcFilterType},
    response::RpcKeyedAccount,
};
use spl_generic_token::token::{SPL_TOKEN_ACCOUNT_MINT_OFFSET, SPL_TOKEN_ACCOUNT_OWNER_OFFSET};
use spl_token_2022_interface::{
    extension::StateWithExtensions,
    state::{Account as TokenAccount, Mint},
};
use std::sync::Arc;

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
            let config = config.unwrap_or_default();
            let bank = bank(&node, config.commitment, config.min_context_slot)?;
            let (token_program, mint) = match filter {
                RpcTokenAccountsFilter::Mint(mint) => {
                    let mint = params::pubkey(&mint)?;
                    let (token_program, _) =
                        mint_details(&bank, &mint).map_err(|err| Error::invalid_params(err.to_string()))?;
                    (token_program, Some(mint))
                }
                RpcTokenAccountsFilter::ProgramId(program) => (params::pubkey(&program)?, None),
            };
            if !is_known_spl_token_id(&token_program) {
                return Err(Error::invalid_params("Invalid param: unrecognized Token program id"));
            }
            let mut filters = vec![
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(SPL_TOKEN_ACCOUNT_OWNER_OFFSET, owner.to_bytes().to_vec())),
                RpcFilterType::TokenAccountState,
            ];
            if let Some(mint) = mint {
                filters.push(RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
                    SPL_TOKEN_ACCOUNT_MINT_OFFSET,
                    mint.to_bytes().to_vec(),
                )));
            }
            let scan_bank = bank.clone();
            let keyed =
                tokio::task::spawn_blocking(move || program_accounts(&scan_bank, &token_program, &filters, true))
                    .await
                    .map_err(|err| params::internal_error(format!("the account scan stopped: {err}")))??;
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
        },
    );
}
