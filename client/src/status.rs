//! A managed balance as an operator sees it: its live balance, health, and what each
//! linked source could give right now (above its floor, within what a venue delegated).

use crate::{
    health::{BandPosition, Health},
    read::{self, ReadError, TokenAccount},
};
use anchor_lang::prelude::Pubkey;
use smart_treasury::state::{FundingSource, ManagedBalance};
use smart_treasury_policy::{SourceState, TokenAccountFacts};
use solana_rpc_client::nonblocking::rpc_client::RpcClient;

/// The fields of `account` the policy's rules read.
pub fn token_facts(account: &TokenAccount) -> TokenAccountFacts<Pubkey> {
    TokenAccountFacts {
        owner: account.owner,
        amount: account.amount,
        delegate: account.delegate,
        delegated_amount: account.delegated_amount,
        frozen: account.frozen,
        memo_required: account.memo_required,
    }
}

/// A linked source as the program sees it when its account reads as `account`: `None`,
/// or an account that is no longer a token account of `mint`, is a dead source.
pub fn source_state(source: &FundingSource, account: Option<&TokenAccount>, mint: &Pubkey) -> SourceState {
    let facts = account.filter(|account| account.mint == *mint).map(token_facts);
    SourceState::of(&source.link(), facts.as_ref())
}

/// What `pool` may pull from `account`, as the program decides it (the policy's rule).
pub fn allowance_for(account: &TokenAccount, pool: &Pubkey) -> Option<u64> {
    token_facts(account).allowance_for(pool)
}

#[derive(Clone, Debug)]
pub struct SourceStatus {
    pub source: FundingSource,
    /// `None` when the token account no longer exists.
    pub balance: Option<u64>,
    pub allowance: Option<u64>,
    /// What a top-up could draw from it now.
    pub available: u64,
}

#[derive(Clone, Debug)]
pub struct BalanceStatus {
    pub address: Pubkey,
    pub managed: ManagedBalance,
    /// `None` when the destination account no longer exists.
    pub balance: Option<u64>,
    pub health: Health,
    pub position: BandPosition,
    pub sources: Vec<SourceStatus>,
}

impl BalanceStatus {
    /// Builds the status from token accounts already read, keyed by address.
    pub fn new(address: Pubkey, managed: ManagedBalance, accounts: &[Option<TokenAccount>]) -> Self {
        let find = |key: &Pubkey| accounts.iter().flatten().find(|account| account.address == *key).copied();
        let balance = find(&managed.destination).map(|account| account.amount);
        let sources = managed
            .linked_sources()
            .iter()
            .map(|source| {
                let account = find(&source.token_account);
                let state = source_state(source, account.as_ref(), &managed.mint);
                SourceStatus {
                    source: *source,
                    balance: account.map(|account| account.amount),
                    allowance: state.allowance,
                    available: state.available(),
                }
            })
            .collect();
        let live = balance.unwrap_or(0);
        Self {
            address,
            health: Health::of(&managed, live),
            position: BandPosition::of(&managed, live),
            managed,
            balance,
            sources,
        }
    }

    pub fn name(&self) -> &str {
        smart_treasury::state::decode_name(&self.managed.name)
    }
}

/// Every managed balance of `treasury` with its live balances: two RPC round trips
/// for the accounts, one per 100 token accounts.
pub async fn balance_statuses(rpc: &RpcClient, treasury: &Pubkey) -> Result<Vec<BalanceStatus>, ReadError> {
    let balances = read::managed_balances(rpc, treasury).await?;
    let mut addresses: Vec<Pubkey> = Vec::new();
    for (_, managed) in &balances {
        addresses.push(managed.destination);
        addresses.extend(managed.linked_sources().iter().map(|source| source.token_account));
    }
    addresses.sort();
    addresses.dedup();
    let accounts = read::token_accounts(rpc, &addresses).await?;
    Ok(balances.into_iter().map(|(address, managed)| BalanceStatus::new(address, managed, &accounts)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::managed_balance;
    use smart_treasury::state::AccountKind;

    fn token(address: Pubkey, owner: Pubkey, amount: u64, delegate: Option<(Pubkey, u64)>) -> TokenAccount {
        TokenAccount {
            address,
            token_program: anchor_spl::token::ID,
            mint: Pubkey::new_from_array([2; 32]),
            owner,
            amount,
            delegate: delegate.map(|(key, _)| key),
            delegated_amount: delegate.map_or(0, |(_, amount)| amount),
            frozen: false,
            memo_required: false,
        }
    }

    #[test]
    fn sources_offer_what_is_above_the_floor_and_within_the_allowance() {
        let pool = Pubkey::new_from_array([9; 32]);
        let (vault, venue) = (Pubkey::new_from_array([10; 32]), Pubkey::new_from_array([11; 32]));
        let mut managed = managed_balance(100, 300, 500);
        managed.sources[0] = FundingSource {
            token_account: vault,
            pool,
            kind: AccountKind::PoolVault,
            priority: 1,
            enabled: true,
            reserve_floor: 400,
            returns_allowed: false,
        };
        managed.sources[1] = FundingSource {
            token_account: venue,
            pool,
            kind: AccountKind::Venue,
            priority: 2,
            enabled: true,
            reserve_floor: 0,
            returns_allowed: false,
        };
        managed.source_count = 2;
        let accounts = [
            Some(token(managed.destination, pool, 150, None)),
            Some(token(vault, pool, 1_000, None)),
            Some(token(venue, Pubkey::new_from_array([12; 32]), 900, Some((pool, 250)))),
        ];
        let status = BalanceStatus::new(Pubkey::new_unique(), managed, &accounts);
        assert_eq!(status.balance, Some(150));
        assert_eq!(status.position, BandPosition::WithinBand);
        assert_eq!(status.sources[0].available, 600);
        assert_eq!(status.sources[1].allowance, Some(250));
        assert_eq!(status.sources[1].available, 250);
    }

    #[test]
    fn a_missing_account_offers_nothing() {
        let account = token(Pubkey::new_unique(), Pubkey::new_unique(), 5, None);
        assert_eq!(allowance_for(&account, &Pubkey::new_unique()), Some(0));
        let managed = managed_balance(100, 300, 500);
        let status = BalanceStatus::new(Pubkey::new_unique(), managed, &[]);
        assert_eq!(status.balance, None);
        assert_eq!(status.health.bps, 0);
    }
}
