//! A funded treasury in one call: a hot-wallet pool, a reserve pool and a backup pool,
//! a venue account that delegated to the reserve pool, and a managed balance on the
//! hot vault drawing from reserve (1), venue (2) and backup (3).

use crate::{
    ix::{self, BalanceAccounts, VaultAccounts},
    runtime::{Failure, Outcome, Runtime},
    tokens::{MintExtension, SPL_TOKEN},
};
use anchor_lang::prelude::Pubkey;
use smart_treasury::{
    instructions::{CreateManagedBalanceArgs, CreateTreasuryArgs, LinkSourceArgs},
    state::{AutomationSettings, BalanceMode, CrankAccess, ManagedBalance},
};
use solana_keypair::Keypair;
use solana_signer::Signer;

pub const MIN: u64 = 1_000_000;
pub const TARGET: u64 = 5_000_000;
pub const MAX: u64 = 8_000_000;
pub const RESERVE_FUNDS: u64 = 100_000_000;
pub const VENUE_FUNDS: u64 = 50_000_000;
pub const VENUE_ALLOWANCE: u64 = 30_000_000;
pub const BACKUP_FUNDS: u64 = 20_000_000;
pub const COOLDOWN_SECONDS: u32 = 60;
pub const PERIOD_SECONDS: u32 = 86_400;
pub const PERIOD_CAP: u64 = 1_000_000_000;
pub const FORECAST_BAND_BPS: u16 = 5_000;
pub const MANAGED_BALANCE_ID: u32 = 1;

pub fn default_automation() -> AutomationSettings {
    AutomationSettings {
        cooldown_seconds: COOLDOWN_SECONDS,
        period_seconds: PERIOD_SECONDS,
        period_cap: PERIOD_CAP,
        forecast_band_bps: FORECAST_BAND_BPS,
    }
}

#[derive(Clone, Debug)]
pub struct FixtureOptions {
    pub token_program: Pubkey,
    pub mint_extensions: Vec<MintExtension>,
    pub decimals: u8,
}

impl Default for FixtureOptions {
    fn default() -> Self {
        Self { token_program: SPL_TOKEN, mint_extensions: Vec::new(), decimals: 6 }
    }
}

pub struct Fixture {
    pub rt: Runtime,
    pub authority: Keypair,
    pub guardian: Keypair,
    pub keeper: Keypair,
    pub venue_owner: Keypair,
    pub create_key: Pubkey,
    pub treasury: Pubkey,
    pub mint: Pubkey,
    pub token_program: Pubkey,
    pub hot_pool: Pubkey,
    pub reserve_pool: Pubkey,
    pub backup_pool: Pubkey,
    pub hot_vault: Pubkey,
    pub reserve_vault: Pubkey,
    pub backup_vault: Pubkey,
    pub venue: Pubkey,
    /// Where test payouts go.
    pub sink: Pubkey,
    pub managed_balance: Pubkey,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_options(FixtureOptions::default()).await
    }

    pub async fn with_options(options: FixtureOptions) -> Self {
        let mut rt = Runtime::start().await;
        let authority = rt.funded_keypair().await;
        let guardian = Keypair::new();
        let keeper = rt.funded_keypair().await;
        let venue_owner = rt.funded_keypair().await;
        let create_key = Keypair::new();
        let payer = rt.payer().pubkey();
        let token_program = options.token_program;

        let treasury = ix::treasury_pda(&create_key.pubkey());
        let args = CreateTreasuryArgs {
            authority: authority.pubkey(),
            guardian: guardian.pubkey(),
            crank_access: CrankAccess::Permissionless,
            keepers: vec![],
        };
        rt.ok(&[ix::create_treasury(payer, create_key.pubkey(), args)], &[&create_key]).await;

        let mint = rt.create_mint(token_program, options.decimals, &options.mint_extensions).await;
        let mut pools = Vec::new();
        let mut vaults = Vec::new();
        for (pool_id, name) in [(1u16, "hot wallet"), (2, "reserve"), (3, "backup")] {
            let pool = ix::pool_pda(&treasury, pool_id);
            rt.ok(
                &[
                    ix::create_pool(payer, authority.pubkey(), treasury, pool_id, name),
                    ix::create_vault(payer, authority.pubkey(), treasury, pool, mint, token_program),
                ],
                &[&authority],
            )
            .await;
            pools.push(pool);
            vaults.push(anchor_spl::associated_token::get_associated_token_address_with_program_id(
                &pool,
                &mint,
                &token_program,
            ));
        }
        let (hot_pool, reserve_pool, backup_pool) = (pools[0], pools[1], pools[2]);
        let (hot_vault, reserve_vault, backup_vault) = (vaults[0], vaults[1], vaults[2]);

        let venue = rt.create_token_account(mint, venue_owner.pubkey(), token_program).await;
        let sink = rt.create_token_account(mint, Pubkey::new_unique(), token_program).await;
        rt.mint_to(mint, hot_vault, TARGET).await;
        rt.mint_to(mint, reserve_vault, RESERVE_FUNDS).await;
        rt.mint_to(mint, backup_vault, BACKUP_FUNDS).await;
        rt.mint_to(mint, venue, VENUE_FUNDS).await;
        rt.approve(venue, &venue_owner, reserve_pool, VENUE_ALLOWANCE).await;

        let managed_balance = ix::managed_balance_pda(&treasury, MANAGED_BALANCE_ID);
        let args = CreateManagedBalanceArgs {
            id: MANAGED_BALANCE_ID,
            name: "hot wallet USDC".to_string(),
            min: MIN,
            target: TARGET,
            max: MAX,
            mode: BalanceMode::Threshold,
            automation: default_automation(),
            enabled: true,
        };
        let a = authority.pubkey();
        rt.ok(
            &[ix::create_managed_balance(payer, a, treasury, hot_vault, hot_pool, mint, token_program, args)],
            &[&authority],
        )
        .await;
        for (priority, source, pool) in
            [(1u8, reserve_vault, reserve_pool), (2, venue, reserve_pool), (3, backup_vault, backup_pool)]
        {
            let args = LinkSourceArgs { priority, reserve_floor: 0, enabled: true, returns_allowed: false };
            rt.ok(&[ix::link_source(a, treasury, managed_balance, source, pool, args)], &[&authority]).await;
        }

        Self {
            rt,
            authority,
            guardian,
            keeper,
            venue_owner,
            create_key: create_key.pubkey(),
            treasury,
            mint,
            token_program,
            hot_pool,
            reserve_pool,
            backup_pool,
            hot_vault,
            reserve_vault,
            backup_vault,
            venue,
            sink,
            managed_balance,
        }
    }

    pub fn balance_accounts(&self) -> BalanceAccounts {
        BalanceAccounts {
            treasury: self.treasury,
            managed_balance: self.managed_balance,
            destination: self.hot_vault,
            destination_pool: self.hot_pool,
            mint: self.mint,
            token_program: self.token_program,
        }
    }

    pub fn vault_accounts(&self, pool: Pubkey, vault: Pubkey) -> VaultAccounts {
        VaultAccounts { treasury: self.treasury, pool, vault, mint: self.mint, token_program: self.token_program }
    }

    /// The fixture's three sources in priority order, as `(token account, pool)`.
    pub fn sources(&self) -> Vec<(Pubkey, Pubkey)> {
        vec![
            (self.reserve_vault, self.reserve_pool),
            (self.venue, self.reserve_pool),
            (self.backup_vault, self.backup_pool),
        ]
    }

    pub async fn managed(&mut self) -> ManagedBalance {
        self.rt.anchor_account(self.managed_balance).await
    }

    pub async fn config_version(&mut self) -> u64 {
        self.managed().await.config_version
    }

    /// What automation moved in the rolling period ending now, as the program counts it.
    pub async fn moved_in_period(&mut self) -> u64 {
        let now = self.rt.clock().await.unix_timestamp;
        self.managed().await.moved_in_period(now)
    }

    /// The enabled sources, read from chain, as a keeper would pass them.
    pub async fn enabled_sources(&mut self) -> Vec<(Pubkey, Pubkey)> {
        self.managed().await.enabled_sources().map(|source| (source.token_account, source.pool)).collect()
    }

    pub async fn balance(&mut self, account: Pubkey) -> u64 {
        self.rt.token_balance(account).await
    }

    /// A keeper top-up built on the current config, passing every enabled source.
    pub async fn top_up(&mut self) -> Result<Outcome, Failure> {
        let version = self.config_version().await;
        let sources = self.enabled_sources().await;
        let ix = ix::top_up(self.keeper.pubkey(), self.balance_accounts(), version, &sources);
        let keeper = self.keeper.insecure_clone();
        self.rt.send(&[ix], &[&keeper]).await
    }

    /// Runs an authority instruction.
    pub async fn as_authority(
        &mut self,
        ix: anchor_lang::solana_program::instruction::Instruction,
    ) -> Result<Outcome, Failure> {
        let authority = self.authority.insecure_clone();
        self.rt.send(&[ix], &[&authority]).await
    }

    /// Pays out of the hot vault (as the authority) until it holds `balance`.
    pub async fn drain_hot_to(&mut self, balance: u64) {
        let current = self.balance(self.hot_vault).await;
        assert!(current > balance, "hot vault holds {current}, cannot drain to {balance}");
        let ix = ix::withdraw(
            self.authority.pubkey(),
            self.sink,
            self.vault_accounts(self.hot_pool, self.hot_vault),
            current - balance,
        );
        self.as_authority(ix).await.expect("withdraw from hot vault");
    }

    /// Adds tokens to the hot vault until it holds `balance`.
    pub async fn fill_hot_to(&mut self, balance: u64) {
        let current = self.balance(self.hot_vault).await;
        assert!(current < balance, "hot vault holds {current}, cannot fill to {balance}");
        self.rt.mint_to(self.mint, self.hot_vault, balance - current).await;
    }

    /// Balances of the destination, the reserve and the backup: for when the venue is gone.
    pub async fn snapshot_without_venue(&mut self) -> [u64; 3] {
        [
            self.balance(self.hot_vault).await,
            self.balance(self.reserve_vault).await,
            self.balance(self.backup_vault).await,
        ]
    }

    /// Balances of the destination and the three sources, to compare before and after.
    pub async fn snapshot(&mut self) -> [u64; 4] {
        [
            self.balance(self.hot_vault).await,
            self.balance(self.reserve_vault).await,
            self.balance(self.venue).await,
            self.balance(self.backup_vault).await,
        ]
    }
}
