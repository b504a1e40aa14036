//! Mints and token accounts made with ordinary SPL Token transactions, as any wallet
//! would make them.

use anchor_lang::{
    prelude::Pubkey,
    solana_program::{instruction::Instruction, program_pack::Pack, system_instruction},
};
use anchor_spl::token_2022::spl_token_2022::{
    self,
    state::{Account as SplAccount, Mint as SplMint},
};
use smart_treasury_client::read;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signer::Signer;

pub const SPL_TOKEN: Pubkey = anchor_spl::token::ID;

async fn rent(rpc: &RpcClient, space: usize) -> anyhow::Result<u64> {
    rpc.get_minimum_balance_for_rent_exemption(space).await.map_err(|error| read::rpc_error(rpc, error).into())
}

/// A mint whose mint authority is `authority`.
pub async fn create_mint(
    rpc: &RpcClient,
    payer: &Pubkey,
    mint: &Keypair,
    authority: &Pubkey,
    decimals: u8,
) -> anyhow::Result<Vec<Instruction>> {
    let lamports = rent(rpc, SplMint::LEN).await?;
    Ok(vec![
        system_instruction::create_account(payer, &mint.pubkey(), lamports, SplMint::LEN as u64, &SPL_TOKEN),
        spl_token_2022::instruction::initialize_mint2(&SPL_TOKEN, &mint.pubkey(), authority, None, decimals)?,
    ])
}

/// A token account of `owner` at a fresh address.
pub async fn create_token_account(
    rpc: &RpcClient,
    payer: &Pubkey,
    account: &Keypair,
    mint: &Pubkey,
    owner: &Pubkey,
) -> anyhow::Result<Vec<Instruction>> {
    let lamports = rent(rpc, SplAccount::LEN).await?;
    Ok(vec![
        system_instruction::create_account(payer, &account.pubkey(), lamports, SplAccount::LEN as u64, &SPL_TOKEN),
        spl_token_2022::instruction::initialize_account3(&SPL_TOKEN, &account.pubkey(), mint, owner)?,
    ])
}

pub fn mint_to(mint: &Pubkey, account: &Pubkey, authority: &Pubkey, amount: u64) -> anyhow::Result<Instruction> {
    Ok(spl_token_2022::instruction::mint_to(&SPL_TOKEN, mint, account, authority, &[], amount)?)
}

/// `owner` lets `delegate` move up to `amount` out of `account`.
pub fn approve(account: &Pubkey, delegate: &Pubkey, owner: &Pubkey, amount: u64) -> anyhow::Result<Instruction> {
    Ok(spl_token_2022::instruction::approve(&SPL_TOKEN, account, delegate, owner, &[], amount)?)
}

pub fn transfer_sol(from: &Pubkey, to: &Pubkey, lamports: u64) -> Instruction {
    system_instruction::transfer(from, to, lamports)
}
