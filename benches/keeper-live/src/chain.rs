//! Building treasuries over RPC with ordinary transactions: the common part (a mint, a
//! treasury, a destination pool and a funded reserve), and many instructions packed into
//! as few transactions as fit, sent concurrently with progress.

use anchor_lang::{
    prelude::Pubkey,
    solana_program::{instruction::Instruction, program_pack::Pack, system_instruction},
};
use anchor_spl::token_2022::spl_token_2022::{
    self,
    state::{Account as SplAccount, Mint as SplMint},
};
use anyhow::{bail, Context, Result};
use futures_util::{stream, StreamExt};
use smart_treasury::{
    instructions::{CreateManagedBalanceArgs, CreateTreasuryArgs, LinkSourceArgs},
    state::{AutomationSettings, BalanceMode, CrankAccess},
};
use smart_treasury_client::{ix, pda, tx, Change};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::time::{Duration, Instant};

pub const SPL_TOKEN: Pubkey = anchor_spl::token::ID;
/// One whole token (6 decimals, as USDC).
pub const UNIT: u64 = 1_000_000;
pub const SOL: u64 = 1_000_000_000;
pub const DESTINATION_POOL: u16 = 1;
pub const RESERVE_POOL: u16 = 2;
/// The most a transaction may take on the wire.
const PACKET_BYTES: usize = 1_232;

pub fn connect(url: &str) -> RpcClient {
    RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed())
}

/// A treasury with a destination pool, a reserve pool whose vault is funded, and the
/// authority that pays for and signs everything.
pub struct Base {
    pub authority: Keypair,
    pub treasury: Pubkey,
    pub mint: Pubkey,
    pub destination_pool: Pubkey,
    pub destination_vault: Pubkey,
    pub reserve_pool: Pubkey,
    pub reserve_vault: Pubkey,
}

impl Base {
    pub fn destination_vault_accounts(&self) -> ix::VaultAccounts {
        ix::VaultAccounts {
            treasury: self.treasury,
            pool: self.destination_pool,
            vault: self.destination_vault,
            mint: self.mint,
            token_program: SPL_TOKEN,
        }
    }
}

/// Funds a fresh authority from the faucet and builds the common part of a treasury:
/// the mint (authority = the authority), the treasury, both pools and their vaults, and
/// `reserve_funds` in the reserve vault.
pub async fn base(rpc: &RpcClient, faucet: &Keypair, authority_sol: u64, reserve_funds: u64) -> Result<Base> {
    let authority = Keypair::new();
    let (create_key, mint) = (Keypair::new(), Keypair::new());
    let a = authority.pubkey();
    let treasury = pda::treasury_pda(&create_key.pubkey());
    let destination_pool = pda::pool_pda(&treasury, DESTINATION_POOL);
    let reserve_pool = pda::pool_pda(&treasury, RESERVE_POOL);
    let destination_vault = pda::vault_address(&destination_pool, &mint.pubkey(), &SPL_TOKEN);
    let reserve_vault = pda::vault_address(&reserve_pool, &mint.pubkey(), &SPL_TOKEN);
    let fund = Change::new("fund authority", system_instruction::transfer(&faucet.pubkey(), &a, authority_sol * SOL));
    tx::send(rpc, faucet, vec![fund]).await?;

    let mint_rent = rpc.get_minimum_balance_for_rent_exemption(SplMint::LEN).await?;
    let create_mint = Change {
        summary: "create mint".into(),
        instructions: vec![
            system_instruction::create_account(&a, &mint.pubkey(), mint_rent, SplMint::LEN as u64, &SPL_TOKEN),
            spl_token_2022::instruction::initialize_mint2(&SPL_TOKEN, &mint.pubkey(), &a, None, 6)?,
        ],
        co_signers: vec![mint.insecure_clone()],
    };
    let create_treasury = Change::new(
        "create treasury",
        ix::create_treasury(
            a,
            create_key.pubkey(),
            CreateTreasuryArgs {
                authority: a,
                guardian: a,
                crank_access: CrankAccess::Permissionless,
                keepers: vec![],
            },
        ),
    )
    .with_co_signer(create_key);
    let pools = Change {
        summary: "create pools and vaults".into(),
        instructions: vec![
            ix::create_pool(a, a, treasury, DESTINATION_POOL, "destinations"),
            ix::create_pool(a, a, treasury, RESERVE_POOL, "reserve"),
            ix::create_vault(a, a, treasury, destination_pool, mint.pubkey(), SPL_TOKEN),
            ix::create_vault(a, a, treasury, reserve_pool, mint.pubkey(), SPL_TOKEN),
        ],
        co_signers: vec![],
    };
    let fund_reserve = Change::new(
        "fund the reserve",
        spl_token_2022::instruction::mint_to(&SPL_TOKEN, &mint.pubkey(), &reserve_vault, &a, &[], reserve_funds)?,
    );
    tx::send(rpc, &authority, vec![create_mint, create_treasury, pools, fund_reserve]).await?;
    Ok(Base {
        authority,
        treasury,
        mint: mint.pubkey(),
        destination_pool,
        destination_vault,
        reserve_pool,
        reserve_vault,
    })
}

/// Thresholds and automation of a managed balance, and its one source (the reserve).
#[derive(Clone, Copy, Debug)]
pub struct BalanceSettings {
    pub min: u64,
    pub target: u64,
    pub max: u64,
    pub automation: AutomationSettings,
    pub reserve_floor: u64,
}

/// Creates managed balance `id` on `destination` and links the reserve as its source.
pub fn managed_balance(base: &Base, id: u32, name: &str, destination: Pubkey, s: &BalanceSettings) -> Vec<Instruction> {
    managed_balance_from(base, id, name, destination, (base.reserve_vault, base.reserve_pool), s)
}

/// Creates managed balance `id` on `destination` and links `source` (token account, pool).
pub fn managed_balance_from(
    base: &Base,
    id: u32,
    name: &str,
    destination: Pubkey,
    source: (Pubkey, Pubkey),
    s: &BalanceSettings,
) -> Vec<Instruction> {
    let a = base.authority.pubkey();
    let address = pda::managed_balance_pda(&base.treasury, id);
    vec![
        ix::create_managed_balance(
            a,
            a,
            base.treasury,
            destination,
            base.destination_pool,
            base.mint,
            SPL_TOKEN,
            CreateManagedBalanceArgs {
                id,
                name: name.to_string(),
                min: s.min,
                target: s.target,
                max: s.max,
                mode: BalanceMode::Threshold,
                automation: s.automation,
                enabled: true,
            },
        ),
        ix::link_source(
            a,
            base.treasury,
            address,
            source.0,
            source.1,
            LinkSourceArgs { priority: 1, reserve_floor: s.reserve_floor, enabled: true, returns_allowed: false },
        ),
    ]
}

/// A token account of `owner` at an address derived from the authority and `seed` (no
/// extra signature per account), holding `amount` freshly minted.
pub fn seeded_token_account(
    base: &Base,
    seed: &str,
    owner: &Pubkey,
    rent: u64,
    amount: u64,
) -> Result<(Pubkey, Vec<Instruction>)> {
    let a = base.authority.pubkey();
    let address = Pubkey::create_with_seed(&a, seed, &SPL_TOKEN)?;
    let mut instructions = vec![
        system_instruction::create_account_with_seed(&a, &address, &a, seed, rent, SplAccount::LEN as u64, &SPL_TOKEN),
        spl_token_2022::instruction::initialize_account3(&SPL_TOKEN, &address, &base.mint, owner)?,
    ];
    if amount > 0 {
        instructions.push(spl_token_2022::instruction::mint_to(&SPL_TOKEN, &base.mint, &address, &a, &[], amount)?);
    }
    Ok((address, instructions))
}

pub async fn token_account_rent(rpc: &RpcClient) -> Result<u64> {
    Ok(rpc.get_minimum_balance_for_rent_exemption(SplAccount::LEN).await?)
}

/// Packs groups of instructions (a group never splits) into as few transactions, paid
/// and signed by `payer` alone, as fit in a packet.
pub fn pack(payer: &Pubkey, groups: Vec<Vec<Instruction>>) -> Result<Vec<Vec<Instruction>>> {
    let size = |instructions: &[Instruction]| -> Result<usize> {
        let mut tx = Transaction::new_with_payer(instructions, Some(payer));
        tx.signatures = vec![Signature::default(); usize::from(tx.message.header.num_required_signatures)];
        Ok(bincode::serialized_size(&tx)? as usize)
    };
    let mut packed: Vec<Vec<Instruction>> = Vec::new();
    let mut current: Vec<Instruction> = Vec::new();
    for group in groups {
        let mut candidate = current.clone();
        candidate.extend(group.iter().cloned());
        if size(&candidate)? <= PACKET_BYTES {
            current = candidate;
            continue;
        }
        if current.is_empty() {
            bail!("one group of {} instructions does not fit in a transaction", group.len());
        }
        packed.push(std::mem::replace(&mut current, group));
    }
    if !current.is_empty() {
        packed.push(current);
    }
    Ok(packed)
}

/// One transaction of a batch, signed, until it is confirmed.
struct Outstanding {
    instructions: Vec<Instruction>,
    tx: Transaction,
    signed_at: Instant,
    sent_at: Option<Instant>,
}

/// A blockhash lives about a minute at 400 ms slots: sign again well before.
const RESIGN_AFTER: Duration = Duration::from_secs(40);
/// Send an unconfirmed transaction again this often (packets get dropped).
const RESEND_AFTER: Duration = Duration::from_secs(2);

/// Sends every transaction, `in_flight` at a time, and sends again whatever is not
/// confirmed every two seconds (signing it again on a fresh blockhash before its own
/// expires), until all are confirmed: a dropped packet or a failed request costs a retry,
/// not the run. A transaction the runtime refuses stops the run with its reason. Prints
/// progress.
pub async fn send_all(
    rpc: &RpcClient,
    payer: &Keypair,
    transactions: Vec<Vec<Instruction>>,
    what: &str,
    in_flight: usize,
) -> Result<()> {
    let total = transactions.len();
    let started = Instant::now();
    let sign = |instructions: &[Instruction], blockhash| {
        Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &[payer], blockhash)
    };
    let mut blockhash = latest_blockhash(rpc).await?;
    let mut outstanding: Vec<Outstanding> = transactions
        .into_iter()
        .map(|instructions| {
            let tx = sign(&instructions, blockhash.0);
            Outstanding { instructions, tx, signed_at: blockhash.1, sent_at: None }
        })
        .collect();
    let mut last_report = Instant::now();
    while !outstanding.is_empty() {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1_800),
            "{what}: {} transactions still unconfirmed after 30 minutes",
            outstanding.len()
        );
        if blockhash.1.elapsed() > Duration::from_secs(10) {
            blockhash = latest_blockhash(rpc).await?;
        }
        for entry in outstanding.iter_mut().filter(|entry| entry.signed_at.elapsed() > RESIGN_AFTER) {
            entry.tx = sign(&entry.instructions, blockhash.0);
            (entry.signed_at, entry.sent_at) = (blockhash.1, None);
        }
        let due: Vec<&Transaction> = outstanding
            .iter()
            .filter(|entry| entry.sent_at.is_none_or(|at| at.elapsed() >= RESEND_AFTER))
            .map(|entry| &entry.tx)
            .collect();
        let skip = solana_rpc_client_api::config::RpcSendTransactionConfig {
            skip_preflight: true,
            max_retries: Some(0),
            ..Default::default()
        };
        stream::iter(due)
            .for_each_concurrent(in_flight, |tx| async move {
                let _ = rpc.send_transaction_with_config(tx, skip).await;
            })
            .await;
        let now = Instant::now();
        for entry in outstanding.iter_mut().filter(|entry| entry.sent_at.is_none_or(|at| at.elapsed() >= RESEND_AFTER))
        {
            entry.sent_at = Some(now);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut still = Vec::with_capacity(outstanding.len());
        for chunk in outstanding.chunks(256) {
            let signatures: Vec<Signature> = chunk.iter().map(|entry| entry.tx.signatures[0]).collect();
            let Ok(statuses) = rpc.get_signature_statuses(&signatures).await else {
                still.extend(chunk.iter().map(|entry| entry.tx.signatures[0]));
                continue;
            };
            for (signature, status) in signatures.iter().zip(statuses.value) {
                match status {
                    Some(status) if status.err.is_some() => {
                        bail!("{what}: transaction {signature} failed: {:?}", status.err)
                    }
                    Some(status) if status.satisfies_commitment(CommitmentConfig::confirmed()) => {}
                    _ => still.push(*signature),
                }
            }
        }
        outstanding.retain(|entry| still.contains(&entry.tx.signatures[0]));
        if last_report.elapsed() >= Duration::from_secs(2) || outstanding.is_empty() {
            last_report = Instant::now();
            let done = total - outstanding.len();
            let rate = done as f64 / started.elapsed().as_secs_f64();
            eprintln!("  {what}: {done}/{total} transactions confirmed ({rate:.0}/s)");
        }
    }
    Ok(())
}

async fn latest_blockhash(rpc: &RpcClient) -> Result<(solana_hash::Hash, Instant)> {
    for attempt in 0..10u32 {
        match rpc.get_latest_blockhash().await {
            Ok(blockhash) => return Ok((blockhash, Instant::now())),
            Err(_) if attempt < 9 => tokio::time::sleep(Duration::from_millis(100 << attempt.min(4))).await,
            Err(error) => return Err(error.into()),
        }
    }
    unreachable!("the loop returns")
}

/// Sends SOL from `from` to a new keypair, written to `path` for the keeper.
pub async fn funded_keypair(rpc: &RpcClient, from: &Keypair, lamports: u64, path: &std::path::Path) -> Result<Keypair> {
    let keeper = Keypair::new();
    smart_treasury_client::keypair::save_keypair(&keeper, path).context("saving the keeper keypair")?;
    let fund = Change::new("fund keeper", system_instruction::transfer(&from.pubkey(), &keeper.pubkey(), lamports));
    tx::send(rpc, from, vec![fund]).await?;
    Ok(keeper)
}
