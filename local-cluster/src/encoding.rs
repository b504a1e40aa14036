//! Accounts as the RPC shows them: binary encodings, or `jsonParsed` with what token
//! accounts need from their mint (decimals, interest and scaling), and the account filters
//! of getProgramAccounts and programSubscribe.

use solana_account::{AccountSharedData, ReadableAccount};
use solana_account_decoder::{
    encode_ui_account,
    parse_account_data::{AccountAdditionalDataV3, SplTokenAdditionalDataV2},
    parse_token::{get_token_account_mint, is_known_spl_token_id},
    UiAccount, UiAccountEncoding, UiDataSliceConfig,
};
use solana_pubkey::Pubkey;
use solana_rpc_client_types::filter::RpcFilterType;
use solana_runtime::bank::Bank;
use spl_token_2022_interface::{
    extension::{
        interest_bearing_mint::InterestBearingConfig, scaled_ui_amount::ScaledUiAmountConfig, BaseStateWithExtensions,
        StateWithExtensions,
    },
    generic_token_account::GenericTokenAccount,
    state::{Account as TokenAccount, Mint},
};

/// Why a mint's details could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MintError {
    #[error("Invalid param: could not find mint")]
    NotFound,
    #[error("Invalid param: Token mint could not be unpacked")]
    NotAMint,
}

/// An account in the requested encoding. `jsonParsed` falls back to base64 for data no
/// parser knows, as the RPC does.
pub(crate) fn ui_account(
    bank: &Bank,
    pubkey: &Pubkey,
    account: &AccountSharedData,
    encoding: UiAccountEncoding,
    data_slice: Option<UiDataSliceConfig>,
) -> UiAccount {
    let additional_data = (encoding == UiAccountEncoding::JsonParsed && is_known_spl_token_id(account.owner()))
        .then(|| get_token_account_mint(account.data()))
        .flatten()
        .and_then(|mint| mint_details(bank, &mint).ok())
        .map(|(_, details)| AccountAdditionalDataV3 { spl_token_additional_data: Some(details) });
    encode_ui_account(pubkey, account, encoding, additional_data, data_slice)
}

/// A mint's token program and what token amounts need from it.
pub(crate) fn mint_details(bank: &Bank, mint: &Pubkey) -> Result<(Pubkey, SplTokenAdditionalDataV2), MintError> {
    let Some(account) = bank.get_account(mint) else {
        if *mint == spl_generic_token::token::native_mint::ID {
            return Ok((spl_generic_token::token::id(), SplTokenAdditionalDataV2::with_decimals(9)));
        }
        return Err(MintError::NotFound);
    };
    let state = StateWithExtensions::<Mint>::unpack(account.data()).map_err(|_| MintError::NotAMint)?;
    let now = bank.clock().unix_timestamp;
    let details = SplTokenAdditionalDataV2 {
        decimals: state.base.decimals,
        interest_bearing_config: state.get_extension::<InterestBearingConfig>().ok().map(|config| (*config, now)),
        scaled_ui_amount_config: state.get_extension::<ScaledUiAmountConfig>().ok().map(|config| (*config, now)),
    };
    Ok((*account.owner(), details))
}

/// Whether a getProgramAccounts / programSubscribe filter keeps `account`.
pub(crate) fn filter_allows(filter: &RpcFilterType, account: &AccountSharedData) -> bool {
    match filter {
        RpcFilterType::DataSize(size) => account.data().len() as u64 == *size,
        RpcFilterType::Memcmp(memcmp) => memcmp.bytes_match(account.data()),
        RpcFilterType::TokenAccountState => TokenAccount::valid_account_data(account.data()),
    }
}
