//! Helpers for configuration tests: the raw state of accounts (to show a rejected
//! transaction changed nothing), a bare treasury, and managed-balance arguments.

use crate::{fixture::default_automation, ix, runtime::Runtime};
use anchor_lang::prelude::Pubkey;
use smart_treasury::{
    instructions::{CreateManagedBalanceArgs, CreateTreasuryArgs},
    state::{BalanceMode, CrankAccess},
};
use solana_keypair::Keypair;
use solana_signer::Signer;

/// Lamports, owner and data of one account; `None` when it does not exist.
pub type RawAccountState = Option<(u64, Pubkey, Vec<u8>)>;

/// The raw state of each address, in order.
pub async fn raw_account_states(rt: &mut Runtime, addresses: &[Pubkey]) -> Vec<RawAccountState> {
    let mut states = Vec::with_capacity(addresses.len());
    for address in addresses {
        let account = rt.context.banks_client.get_account(*address).await.expect("get_account");
        states.push(account.map(|account| (account.lamports, account.owner, account.data)));
    }
    states
}

/// A treasury with no keepers governed by `authority`; returns its create key and address.
pub async fn create_bare_treasury(rt: &mut Runtime, authority: Pubkey, guardian: Pubkey) -> (Keypair, Pubkey) {
    let create_key = Keypair::new();
    let payer = rt.payer().pubkey();
    let args = CreateTreasuryArgs { authority, guardian, crank_access: CrankAccess::Permissionless, keepers: vec![] };
    rt.ok(&[ix::create_treasury(payer, create_key.pubkey(), args)], &[&create_key]).await;
    let treasury = ix::treasury_pda(&create_key.pubkey());
    (create_key, treasury)
}

/// Valid threshold-mode arguments (min 1, target 5, max 8 whole tokens at 6 decimals).
pub fn managed_balance_args(id: u32, name: &str) -> CreateManagedBalanceArgs {
    CreateManagedBalanceArgs {
        id,
        name: name.to_string(),
        min: 1_000_000,
        target: 5_000_000,
        max: 8_000_000,
        mode: BalanceMode::Threshold,
        automation: default_automation(),
        enabled: true,
    }
}
