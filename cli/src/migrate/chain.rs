//! What the cluster holds of the declared treasury, read through the client.

use super::declared::{Declared, Endpoint};
use anchor_lang::prelude::Pubkey;
use smart_treasury::state::{ManagedBalance, Pool, Spender, Treasury};
use smart_treasury_client::{
    pda,
    read::{self, MintInfo, ReadError, TokenAccount},
};
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct ChainState {
    pub treasury: Option<Treasury>,
    pub pools: BTreeMap<u16, Pool>,
    pub balances: BTreeMap<u32, (Pubkey, ManagedBalance)>,
    /// By spender account address.
    pub spenders: BTreeMap<Pubkey, Spender>,
    /// Every declared mint; `None` when it does not exist.
    pub mints: BTreeMap<Pubkey, Option<MintInfo>>,
    /// Every declared vault and venue account; `None` when it does not exist.
    pub token_accounts: BTreeMap<Pubkey, Option<TokenAccount>>,
}

impl ChainState {
    pub fn token_program(&self, mint: &Pubkey) -> Option<Pubkey> {
        self.mints.get(mint).copied().flatten().map(|mint| mint.token_program)
    }

    /// The mint's decimals, to show its amounts in token units (0 while it is unknown).
    pub fn decimals(&self, mint: &Pubkey) -> u8 {
        self.mints.get(mint).copied().flatten().map_or(0, |mint| mint.decimals)
    }

    /// The token account an endpoint names, once its mint's token program is known.
    pub fn resolve(&self, treasury: &Pubkey, endpoint: &Endpoint, mint: &Pubkey) -> Option<(Pubkey, Pubkey)> {
        let pool = pda::pool_pda(treasury, endpoint.pool_id());
        match endpoint {
            Endpoint::Venue { account, .. } => Some((*account, pool)),
            Endpoint::Vault { .. } => {
                let token_program = self.token_program(mint)?;
                Some((pda::vault_address(&pool, mint, &token_program), pool))
            }
        }
    }
}

fn absent_is_none<T>(result: Result<T, ReadError>) -> Result<Option<T>, ReadError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(ReadError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

pub async fn read_chain(rpc: &RpcClient, declared: &Declared) -> Result<ChainState, ReadError> {
    let treasury_address = pda::treasury_pda(&declared.treasury.create_key);
    let mut state = ChainState {
        treasury: read::program_account(rpc, "treasury", &treasury_address).await?,
        ..ChainState::default()
    };
    if state.treasury.is_some() {
        state.pools =
            read::pools(rpc, &treasury_address).await?.into_iter().map(|(_, pool)| (pool.pool_id, pool)).collect();
        state.balances = read::managed_balances(rpc, &treasury_address)
            .await?
            .into_iter()
            .map(|(address, managed)| (managed.id, (address, managed)))
            .collect();
        state.spenders = read::spenders(rpc, &treasury_address).await?.into_iter().collect();
    }

    let mut mints: Vec<Pubkey> = declared.pools.iter().flat_map(|pool| pool.mints.iter().copied()).collect();
    mints.extend(declared.balances.iter().map(|balance| balance.mint));
    mints.extend(declared.spenders.iter().map(|spender| spender.mint));
    mints.sort();
    mints.dedup();
    for mint in mints {
        let info = absent_is_none(read::mint(rpc, &mint).await)?;
        state.mints.insert(mint, info);
    }

    let mut accounts: Vec<Pubkey> = Vec::new();
    for pool in &declared.pools {
        let pool_address = pda::pool_pda(&treasury_address, pool.id);
        for mint in &pool.mints {
            if let Some(token_program) = state.token_program(mint) {
                accounts.push(pda::vault_address(&pool_address, mint, &token_program));
            }
        }
    }
    for balance in &declared.balances {
        for endpoint in
            std::iter::once(&balance.destination).chain(balance.sources.iter().map(|source| &source.endpoint))
        {
            if let Endpoint::Venue { account, .. } = endpoint {
                accounts.push(*account);
            }
        }
    }
    accounts.sort();
    accounts.dedup();
    let found = read::token_accounts(rpc, &accounts).await?;
    state.token_accounts = accounts.into_iter().zip(found).collect();
    Ok(state)
}
