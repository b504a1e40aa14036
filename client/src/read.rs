//! Typed reads over standard JSON-RPC: the program's accounts, token accounts, mints.

use crate::redact;
use anchor_lang::{prelude::Pubkey, AccountDeserialize, Discriminator};
use anchor_spl::token_2022::spl_token_2022::{
    extension::{memo_transfer::MemoTransfer, BaseStateWithExtensions, StateWithExtensions},
    state::{Account as SplAccount, AccountState, Mint as SplMint},
};
use futures_util::StreamExt;
use smart_treasury::state::{ManagedBalance, Pool, Spender, Treasury};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::{
    client_error::{Error as ClientError, ErrorKind},
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
    filter::{Memcmp, RpcFilterType},
};

/// Where `treasury` sits in pools, managed balances and spenders: after the
/// discriminator (8), the layout version (1) and the bump (1).
const TREASURY_FIELD_OFFSET: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(
        "cannot reach the RPC endpoint {url} ({reason}): start a cluster there \
         (`smart-treasury local-cluster`) or pass --url / SMART_TREASURY_URL"
    )]
    Unreachable { url: String, reason: String },
    #[error("RPC request to {url} failed: {reason}")]
    Rpc { url: String, reason: String },
    #[error("{kind} {address} not found on {url}: check the address and --url")]
    NotFound { kind: &'static str, address: Pubkey, url: String },
    #[error("account {address} is not a {kind}: {reason}")]
    Invalid { kind: &'static str, address: Pubkey, reason: String },
}

/// An RPC client that reads and confirms at `confirmed`, the usual level for tools.
pub fn connect(url: &str) -> RpcClient {
    RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed())
}

/// The endpoint as errors name it: without the keys providers put in URLs.
pub fn shown_url(rpc: &RpcClient) -> String {
    redact::url(&rpc.url())
}

/// Classifies a transport failure: nothing listening is not the same as a bad answer.
/// Some client calls fold the transport error into their own message, hence the text.
pub fn rpc_error(rpc: &RpcClient, error: ClientError) -> ReadError {
    let url = shown_url(rpc);
    let text = redact::urls_in(&error.to_string()).into_owned();
    let transport = matches!(error.kind(), ErrorKind::Reqwest(_) | ErrorKind::Io(_) | ErrorKind::Middleware(_))
        || is_transport_failure(&text);
    if transport {
        ReadError::Unreachable { url, reason: "connection failed".into() }
    } else {
        ReadError::Rpc { url, reason: text }
    }
}

/// Whether an RPC error's text says the request never reached a node.
pub fn is_transport_failure(text: &str) -> bool {
    text.contains("error sending request")
}

/// Raw account data and owner, `None` when the account does not exist.
pub async fn account(rpc: &RpcClient, address: &Pubkey) -> Result<Option<(Pubkey, Vec<u8>)>, ReadError> {
    let response =
        rpc.get_account_with_commitment(address, rpc.commitment()).await.map_err(|error| rpc_error(rpc, error))?;
    Ok(response.value.map(|account| (account.owner, account.data)))
}

fn decode<T: AccountDeserialize>(
    kind: &'static str,
    address: Pubkey,
    owner: Pubkey,
    data: &[u8],
) -> Result<T, ReadError> {
    if owner != smart_treasury::ID {
        return Err(ReadError::Invalid { kind, address, reason: format!("owned by {owner}, not the program") });
    }
    T::try_deserialize(&mut &data[..]).map_err(|error| ReadError::Invalid { kind, address, reason: error.to_string() })
}

/// A program account of type `T`, `None` when absent.
pub async fn program_account<T: AccountDeserialize>(
    rpc: &RpcClient,
    kind: &'static str,
    address: &Pubkey,
) -> Result<Option<T>, ReadError> {
    match account(rpc, address).await? {
        None => Ok(None),
        Some((owner, data)) => decode(kind, *address, owner, &data).map(Some),
    }
}

/// A program account that must exist.
pub async fn required<T: AccountDeserialize>(
    rpc: &RpcClient,
    kind: &'static str,
    address: &Pubkey,
) -> Result<T, ReadError> {
    program_account(rpc, kind, address).await?.ok_or_else(|| ReadError::NotFound {
        kind,
        address: *address,
        url: shown_url(rpc),
    })
}

pub async fn treasury(rpc: &RpcClient, address: &Pubkey) -> Result<Treasury, ReadError> {
    required(rpc, "treasury", address).await
}

/// Every account of type `T` whose `treasury` field is `treasury`: one
/// getProgramAccounts call filtered on the discriminator and the treasury.
async fn of_treasury<T: AccountDeserialize + Discriminator>(
    rpc: &RpcClient,
    kind: &'static str,
    treasury: &Pubkey,
) -> Result<Vec<(Pubkey, T)>, ReadError> {
    let config = RpcProgramAccountsConfig {
        filters: Some(vec![
            RpcFilterType::Memcmp(Memcmp::new_base58_encoded(0, T::DISCRIMINATOR)),
            RpcFilterType::Memcmp(Memcmp::new_base58_encoded(TREASURY_FIELD_OFFSET, treasury.as_ref())),
        ]),
        account_config: RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            commitment: Some(rpc.commitment()),
            ..RpcAccountInfoConfig::default()
        },
        with_context: None,
        sort_results: None,
    };
    let accounts = rpc
        .get_program_ui_accounts_with_config(&smart_treasury::ID, config)
        .await
        .map_err(|error| rpc_error(rpc, error))?;
    accounts
        .into_iter()
        .map(|(address, account)| {
            let data = account.data.decode().ok_or_else(|| ReadError::Invalid {
                kind,
                address,
                reason: "the RPC returned undecodable data".into(),
            })?;
            let owner: Pubkey = account.owner.parse().unwrap_or_default();
            decode(kind, address, owner, &data).map(|value| (address, value))
        })
        .collect()
}

/// The treasury's pools, by id.
pub async fn pools(rpc: &RpcClient, treasury: &Pubkey) -> Result<Vec<(Pubkey, Pool)>, ReadError> {
    let mut pools: Vec<(Pubkey, Pool)> = of_treasury(rpc, "pool", treasury).await?;
    pools.sort_by_key(|(_, pool)| pool.pool_id);
    Ok(pools)
}

/// The treasury's managed balances, by id.
pub async fn managed_balances(rpc: &RpcClient, treasury: &Pubkey) -> Result<Vec<(Pubkey, ManagedBalance)>, ReadError> {
    let mut balances: Vec<(Pubkey, ManagedBalance)> = of_treasury(rpc, "managed balance", treasury).await?;
    balances.sort_by_key(|(_, managed)| managed.id);
    Ok(balances)
}

/// The treasury's spenders, by vault then key.
pub async fn spenders(rpc: &RpcClient, treasury: &Pubkey) -> Result<Vec<(Pubkey, Spender)>, ReadError> {
    let mut spenders: Vec<(Pubkey, Spender)> = of_treasury(rpc, "spender", treasury).await?;
    spenders.sort_by_key(|(_, spender)| (spender.vault, spender.spender));
    Ok(spenders)
}

/// The fields of a token account (either token program) that tools look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenAccount {
    pub address: Pubkey,
    pub token_program: Pubkey,
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub delegate: Option<Pubkey>,
    pub delegated_amount: u64,
    pub frozen: bool,
    /// Token-2022's memo-transfer extension asks for a memo on incoming transfers.
    pub memo_required: bool,
}

fn is_token_program(owner: &Pubkey) -> bool {
    *owner == anchor_spl::token::ID || *owner == anchor_spl::token_2022::ID
}

/// Reads account data a subscription or a batch read delivered as a token account.
pub fn parse_token_account(address: Pubkey, owner: Pubkey, data: &[u8]) -> Result<TokenAccount, ReadError> {
    let invalid = |reason: String| ReadError::Invalid { kind: "token account", address, reason };
    if !is_token_program(&owner) {
        return Err(invalid(format!("owned by {owner}, not a token program")));
    }
    let state = StateWithExtensions::<SplAccount>::unpack(data).map_err(|error| invalid(error.to_string()))?;
    let memo_required =
        state.get_extension::<MemoTransfer>().is_ok_and(|memo| bool::from(memo.require_incoming_transfer_memos));
    let base = state.base;
    Ok(TokenAccount {
        address,
        token_program: owner,
        mint: base.mint,
        owner: base.owner,
        amount: base.amount,
        delegate: base.delegate.into(),
        delegated_amount: base.delegated_amount,
        frozen: base.state == AccountState::Frozen,
        memo_required,
    })
}

pub async fn token_account(rpc: &RpcClient, address: &Pubkey) -> Result<TokenAccount, ReadError> {
    let (owner, data) = account(rpc, address).await?.ok_or_else(|| ReadError::NotFound {
        kind: "token account",
        address: *address,
        url: shown_url(rpc),
    })?;
    parse_token_account(*address, owner, &data)
}

/// Addresses per getMultipleAccounts request: the RPC's own limit.
const ACCOUNTS_PER_READ: usize = 100;
/// Requests in flight at once: hides a remote node's latency without flooding it.
const READS_IN_FLIGHT: usize = 8;

/// Token accounts in order, `None` for those that do not exist.
pub async fn token_accounts(rpc: &RpcClient, addresses: &[Pubkey]) -> Result<Vec<Option<TokenAccount>>, ReadError> {
    token_accounts_observed(rpc, addresses, &|_| {}).await
}

/// `token_accounts`, reporting each request's duration to `observe`; any batch that
/// fails fails the whole read.
pub async fn token_accounts_observed(
    rpc: &RpcClient,
    addresses: &[Pubkey],
    observe: &(dyn Fn(std::time::Duration) + Sync),
) -> Result<Vec<Option<TokenAccount>>, ReadError> {
    let mut accounts = Vec::with_capacity(addresses.len());
    for batch in accounts_in_batches(rpc, addresses, 1, observe).await {
        let read = batch.read?;
        for (address, account) in batch.addresses.iter().zip(read.accounts) {
            accounts
                .push(account.map(|account| parse_token_account(*address, account.owner, &account.data)).transpose()?);
        }
    }
    Ok(accounts)
}

/// One batch of a batched read: its addresses and what the node answered.
#[derive(Debug)]
pub struct Batch {
    pub addresses: Vec<Pubkey>,
    pub read: Result<BatchRead, ReadError>,
}

/// Accounts in the batch's order (`None`: no such account), at the node's context slot.
#[derive(Debug)]
pub struct BatchRead {
    pub slot: u64,
    pub accounts: Vec<Option<solana_account::Account>>,
}

/// Raw accounts, 100 addresses per getMultipleAccounts request, several requests in
/// flight. Each batch is tried up to `tries` times on its own, so one failed request
/// costs a retry of its hundred accounts, not of the whole read; a batch that still fails
/// comes back as its error beside the others. Requests ask for plain base64: the client's
/// default (base64+zstd) costs the node a compression and this process a fresh decoder
/// per 165-byte account.
pub async fn accounts_in_batches(
    rpc: &RpcClient,
    addresses: &[Pubkey],
    tries: u32,
    observe: &(dyn Fn(std::time::Duration) + Sync),
) -> Vec<Batch> {
    let config = RpcAccountInfoConfig {
        encoding: Some(UiAccountEncoding::Base64),
        commitment: Some(rpc.commitment()),
        ..RpcAccountInfoConfig::default()
    };
    // Owned chunks, collected first: a lazy map over borrowed chunks makes the future
    // too general for `Send` callers to spawn.
    let chunks: Vec<Vec<Pubkey>> = addresses.chunks(ACCOUNTS_PER_READ).map(<[Pubkey]>::to_vec).collect();
    let reads: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let config = config.clone();
            async move {
                let mut attempt = 0;
                let read = loop {
                    attempt += 1;
                    let started = std::time::Instant::now();
                    let answer = rpc.get_multiple_ui_accounts_with_config(&chunk, config.clone()).await;
                    observe(started.elapsed());
                    match answer {
                        Ok(response) => break decode_batch(&chunk, response.context.slot, response.value),
                        Err(error) if attempt >= tries => break Err(rpc_error(rpc, error)),
                        Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50 << attempt.min(4))).await,
                    }
                };
                Batch { addresses: chunk, read }
            }
        })
        .collect();
    futures_util::stream::iter(reads).buffered(READS_IN_FLIGHT).collect().await
}

fn decode_batch(
    addresses: &[Pubkey],
    slot: u64,
    accounts: Vec<Option<solana_account_decoder_client_types::UiAccount>>,
) -> Result<BatchRead, ReadError> {
    let accounts = addresses
        .iter()
        .zip(accounts)
        .map(|(address, account)| {
            account
                .map(|account| {
                    account.decode::<solana_account::Account>().ok_or_else(|| ReadError::Invalid {
                        kind: "account",
                        address: *address,
                        reason: "the RPC returned data that does not decode".into(),
                    })
                })
                .transpose()
        })
        .collect::<Result<_, _>>()?;
    Ok(BatchRead { slot, accounts })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintInfo {
    pub address: Pubkey,
    pub token_program: Pubkey,
    pub decimals: u8,
    pub supply: u64,
}

pub async fn mint(rpc: &RpcClient, address: &Pubkey) -> Result<MintInfo, ReadError> {
    let (owner, data) = account(rpc, address).await?.ok_or_else(|| ReadError::NotFound {
        kind: "mint",
        address: *address,
        url: shown_url(rpc),
    })?;
    let invalid = |reason: String| ReadError::Invalid { kind: "mint", address: *address, reason };
    if !is_token_program(&owner) {
        return Err(invalid(format!("owned by {owner}, not a token program")));
    }
    let base = StateWithExtensions::<SplMint>::unpack(&data).map_err(|error| invalid(error.to_string()))?.base;
    Ok(MintInfo { address: *address, token_program: owner, decimals: base.decimals, supply: base.supply })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn treasury_field_offset_matches_the_layouts() {
        // Each of these accounts starts layout_version (u8), bump (u8), treasury.
        let treasury = Pubkey::new_from_array([7; 32]);
        let pool = Pool { layout_version: 1, bump: 255, treasury, pool_id: 3, name: [0; 32], reserved: [0; 32] };
        let mut data = Vec::new();
        anchor_lang::AccountSerialize::try_serialize(&pool, &mut data).unwrap();
        assert_eq!(&data[TREASURY_FIELD_OFFSET..TREASURY_FIELD_OFFSET + 32], treasury.as_ref());
    }
}
