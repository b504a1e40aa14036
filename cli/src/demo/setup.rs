//! The demo treasury, built through standard transactions against a running cluster:
//! a mint, a venue account whose owner delegated to the reserve pool, then the treasury
//! itself from a treasury file (the same path as `migrate apply`), then funds.
//!
//! Pool 3 ("payouts") starts empty with a vault for the mint and no managed balance: the
//! destination README's operator API seed flow creates one on.

use crate::migrate;
use anchor_lang::prelude::Pubkey;
use anyhow::Context as _;
use smart_treasury_client::{ix::VaultAccounts, keypair, pda, tx, Change};
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signer::Signer;
use std::path::{Path, PathBuf};

use super::tokens;

/// The demo mint's decimals, as USDC's.
pub const DECIMALS: u8 = 6;
/// One whole token of the demo mint.
pub const UNIT: u64 = 10u64.pow(DECIMALS as u32);
/// Managed balance 1 keeps the hot wallet; 2 the venue's share against the reserve.
pub const HOT_WALLET_ID: u32 = 1;
pub const VENUE_ID: u32 = 2;
const SOL: u64 = 1_000_000_000;
pub const HOT_POOL: u16 = 1;
pub const RESERVE_POOL: u16 = 2;
/// Empty, managed by nothing: room for a new managed balance.
pub const PAYOUTS_POOL: u16 = 3;
pub const RESERVE_FUNDS: u64 = 1_000_000 * UNIT;
pub const HOT_FUNDS: u64 = 5_000 * UNIT;
pub const VENUE_FUNDS: u64 = 200_000 * UNIT;
pub const VENUE_ALLOWANCE: u64 = 100_000 * UNIT;
pub const SPENDER_DAILY_LIMIT: u64 = 100_000 * UNIT;
/// The reserve never pays the hot wallet below this (`reserve_floor` in the file).
pub const RESERVE_FLOOR: u64 = 100_000 * UNIT;

/// How the demo treasury starts: what each account holds, how long its day (the period
/// of its rate limits) lasts in real time, and the hot wallet's cooldown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scenario {
    pub hot: u64,
    pub reserve: u64,
    pub venue: u64,
    pub day_seconds: u32,
    pub hot_cooldown_seconds: u32,
}

impl Scenario {
    /// A settled treasury: the hot wallet at its target, deep sources, a real day. What
    /// the test suites build on.
    pub const SETTLED: Self = Self {
        hot: HOT_FUNDS,
        reserve: RESERVE_FUNDS,
        venue: VENUE_FUNDS,
        day_seconds: 86_400,
        hot_cooldown_seconds: 30,
    };

    /// The demo's opening, with a day of `day_seconds`: the hot wallet just below its
    /// minimum, the venue short of its 40% share, and a reserve 20,000 USDC above the
    /// floor it keeps once the venue has its share, so a bank run reaches the venue. The
    /// hot wallet's cooldown is 15 s (36 minutes of a ten-minute day), so the keeper may
    /// act again within the first minute.
    pub fn opening(day_seconds: u32) -> Self {
        Self { hot: 1_950 * UNIT, reserve: 150_000 * UNIT, venue: 50_000 * UNIT, day_seconds, hot_cooldown_seconds: 15 }
    }
}

/// What the demo made, and the keys an operator needs to drive it.
pub struct Demo {
    pub dir: PathBuf,
    pub treasury: Pubkey,
    pub mint: Pubkey,
    pub authority: Keypair,
    pub spender: Keypair,
    pub hot_vault: Pubkey,
    pub reserve_vault: Pubkey,
    /// Pool 3's vault for the mint: empty, and no managed balance's destination.
    pub payouts_vault: Pubkey,
    pub venue: Pubkey,
    /// Where customer withdrawals go.
    pub customer: Pubkey,
    pub treasury_file: PathBuf,
    pub authority_file: PathBuf,
}

impl Demo {
    pub fn hot_wallet(&self) -> VaultAccounts {
        VaultAccounts {
            treasury: self.treasury,
            pool: pda::pool_pda(&self.treasury, HOT_POOL),
            vault: self.hot_vault,
            mint: self.mint,
            token_program: tokens::SPL_TOKEN,
        }
    }
}

/// The demo's treasury file: what `migrate plan` compares the chain with.
pub fn treasury_file(
    create_key: &Pubkey,
    authority: &Pubkey,
    guardian: &Pubkey,
    mint: &Pubkey,
    venue: &Pubkey,
    spender: &Pubkey,
    scenario: &Scenario,
) -> String {
    let (day_seconds, hot_cooldown) = (scenario.day_seconds, scenario.hot_cooldown_seconds);
    format!(
        r#"# The demo treasury. `smart-treasury migrate plan -f {{this file}}` shows no changes
# until you edit it; amounts are base units of a 6-decimal mint. Rate limits count per
# demo day ({day_seconds} s).

[treasury]
create_key = "{create_key}"
authority = "{authority}"
guardian = "{guardian}"
crank_access = "permissionless"

[[pools]]
id = {HOT_POOL}
name = "hot wallet"
mints = ["{mint}"]

[[pools]]
id = {RESERVE_POOL}
name = "reserve"
mints = ["{mint}"]

# Empty and managed by nothing yet: a vault a new managed balance can keep.
[[pools]]
id = {PAYOUTS_POOL}
name = "payouts"
mints = ["{mint}"]

# Pays customer withdrawals; refilled from the reserve, then the venue.
[[managed_balances]]
id = 1
name = "hot wallet USDC"
mint = "{mint}"
destination = {{ pool = {HOT_POOL} }}
min = 2_000_000_000
target = 5_000_000_000
max = 8_000_000_000
mode = "threshold"

[managed_balances.automation]
cooldown_seconds = {hot_cooldown}
period_seconds = {day_seconds}
period_cap = 50_000_000_000
forecast_band_bps = 5_000

[[managed_balances.sources]]
pool = {RESERVE_POOL}
priority = 1
reserve_floor = 100_000_000_000

[[managed_balances.sources]]
pool = {RESERVE_POOL}
venue = "{venue}"
priority = 2

# The trading venue's float: 40% of venue + reserve, rebalanced past a 5% drift.
[[managed_balances]]
id = 2
name = "venue USDC"
mint = "{mint}"
destination = {{ pool = {RESERVE_POOL}, venue = "{venue}" }}
min = 10_000_000_000
target = 400_000_000_000
max = 1_000_000_000_000
mode = "ratio"
ratio_bps = 4_000
band_bps = 500

[managed_balances.automation]
cooldown_seconds = 300
period_seconds = 86_400
period_cap = 500_000_000_000
forecast_band_bps = 0

[[managed_balances.sources]]
pool = {RESERVE_POOL}
priority = 1

[[spenders]]
pool = {HOT_POOL}
mint = "{mint}"
spender = "{spender}"
limit_per_period = {SPENDER_DAILY_LIMIT}
period_seconds = {day_seconds}
"#
    )
}

fn save(dir: &Path, name: &str, keypair: &Keypair) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    keypair::save_keypair(keypair, &path)?;
    Ok(path)
}

/// Keys, a mint and token accounts, and the treasury file: everything but the treasury.
pub struct World {
    pub dir: PathBuf,
    pub authority: Keypair,
    pub guardian: Keypair,
    pub create_key: Keypair,
    pub spender: Keypair,
    pub venue_owner: Keypair,
    pub mint: Pubkey,
    pub venue: Pubkey,
    /// Where customer withdrawals go.
    pub customer: Pubkey,
    pub treasury_file: PathBuf,
    pub authority_file: PathBuf,
    pub create_key_file: PathBuf,
    pub scenario: Scenario,
}

impl World {
    pub fn treasury(&self) -> Pubkey {
        pda::treasury_pda(&self.create_key.pubkey())
    }

    pub fn vault(&self, pool: u16) -> Pubkey {
        pda::vault_address(&pda::pool_pda(&self.treasury(), pool), &self.mint, &tokens::SPL_TOKEN)
    }
}

pub async fn prepare(rpc: &RpcClient, faucet: &Keypair, dir: &Path) -> anyhow::Result<World> {
    prepare_scenario(rpc, faucet, dir, Scenario::SETTLED).await
}

pub async fn prepare_scenario(
    rpc: &RpcClient,
    faucet: &Keypair,
    dir: &Path,
    scenario: Scenario,
) -> anyhow::Result<World> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the demo directory {}", dir.display()))?;
    let (authority, guardian, create_key, spender, venue_owner, customer_owner) =
        (Keypair::new(), Keypair::new(), Keypair::new(), Keypair::new(), Keypair::new(), Keypair::new());
    let (mint, venue, customer) = (Keypair::new(), Keypair::new(), Keypair::new());
    let authority_file = save(dir, "authority.json", &authority)?;
    save(dir, "guardian.json", &guardian)?;
    let create_key_file = save(dir, "create-key.json", &create_key)?;
    save(dir, "spender.json", &spender)?;
    save(dir, "venue-owner.json", &venue_owner)?;

    let payer = faucet.pubkey();
    tracing::info!(step = 1, total = 5, "demo: funding the demo keys with SOL");
    let funding = Change {
        summary: "fund demo keys".into(),
        instructions: vec![
            tokens::transfer_sol(&payer, &authority.pubkey(), 100 * SOL),
            tokens::transfer_sol(&payer, &spender.pubkey(), 10 * SOL),
            tokens::transfer_sol(&payer, &venue_owner.pubkey(), 10 * SOL),
            tokens::transfer_sol(&payer, &guardian.pubkey(), SOL),
        ],
        co_signers: vec![],
    };

    tracing::info!(step = 2, total = 5, "demo: creating the mint, the venue account and the customer account");
    let mut accounts = tokens::create_mint(rpc, &payer, &mint, &authority.pubkey(), DECIMALS).await?;
    accounts.extend(tokens::create_token_account(rpc, &payer, &venue, &mint.pubkey(), &venue_owner.pubkey()).await?);
    accounts
        .extend(tokens::create_token_account(rpc, &payer, &customer, &mint.pubkey(), &customer_owner.pubkey()).await?);
    let accounts = Change {
        summary: "create mint and token accounts".into(),
        instructions: accounts,
        co_signers: vec![mint.insecure_clone(), venue.insecure_clone(), customer.insecure_clone()],
    };
    tx::send(rpc, faucet, vec![funding, accounts]).await?;

    let treasury_file = dir.join("treasury.toml");
    let text = self::treasury_file(
        &create_key.pubkey(),
        &authority.pubkey(),
        &guardian.pubkey(),
        &mint.pubkey(),
        &venue.pubkey(),
        &spender.pubkey(),
        &scenario,
    );
    std::fs::write(&treasury_file, text).with_context(|| format!("cannot write {}", treasury_file.display()))?;
    Ok(World {
        dir: dir.to_path_buf(),
        authority,
        guardian,
        create_key,
        spender,
        venue_owner,
        mint: mint.pubkey(),
        venue: venue.pubkey(),
        customer: customer.pubkey(),
        treasury_file,
        authority_file,
        create_key_file,
        scenario,
    })
}

/// Mints the demo's funds and has the venue's owner delegate to the reserve pool.
pub async fn fund(rpc: &RpcClient, world: &World) -> anyhow::Result<()> {
    tracing::info!(step = 4, total = 5, "demo: funding the vaults and the venue");
    let (mint, a, scenario) = (world.mint, world.authority.pubkey(), world.scenario);
    let funds = Change {
        summary: "mint demo funds".into(),
        instructions: vec![
            tokens::mint_to(&mint, &world.vault(RESERVE_POOL), &a, scenario.reserve)?,
            tokens::mint_to(&mint, &world.vault(HOT_POOL), &a, scenario.hot)?,
            tokens::mint_to(&mint, &world.venue, &a, scenario.venue)?,
        ],
        co_signers: vec![],
    };
    tx::send(rpc, &world.authority, vec![funds]).await?;

    tracing::info!(step = 5, total = 5, "demo: the venue's owner delegates to the reserve pool");
    let reserve_pool = pda::pool_pda(&world.treasury(), RESERVE_POOL);
    let approve = Change::new(
        "venue delegates to the reserve pool",
        tokens::approve(&world.venue, &reserve_pool, &world.venue_owner.pubkey(), VENUE_ALLOWANCE)?,
    );
    tx::send(rpc, &world.venue_owner, vec![approve]).await?;
    Ok(())
}

pub async fn build(rpc: &RpcClient, faucet: &Keypair, dir: &Path) -> anyhow::Result<Demo> {
    build_scenario(rpc, faucet, dir, Scenario::SETTLED).await
}

pub async fn build_scenario(rpc: &RpcClient, faucet: &Keypair, dir: &Path, scenario: Scenario) -> anyhow::Result<Demo> {
    let world = prepare_scenario(rpc, faucet, dir, scenario).await?;
    tracing::info!(step = 3, total = 5, "demo: creating the treasury from its treasury file");
    let (document, plan) = migrate::prepare(rpc, &world.treasury_file).await?;
    let changes = migrate::changes(&document, &plan, &world.authority.pubkey(), Some(&world.create_key))?;
    tx::send(rpc, &world.authority, changes).await?;
    fund(rpc, &world).await?;
    Ok(Demo {
        dir: world.dir.clone(),
        treasury: world.treasury(),
        mint: world.mint,
        hot_vault: world.vault(HOT_POOL),
        reserve_vault: world.vault(RESERVE_POOL),
        payouts_vault: world.vault(PAYOUTS_POOL),
        venue: world.venue,
        customer: world.customer,
        treasury_file: world.treasury_file.clone(),
        authority_file: world.authority_file.clone(),
        authority: world.authority,
        spender: world.spender,
    })
}
