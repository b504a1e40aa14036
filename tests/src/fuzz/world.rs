//! One sequence's world, made the same way from the same seed: a treasury with a hot,
//! a reserve and a backup pool, a venue that delegated to the reserve pool, a managed
//! balance on the hot vault drawing from reserve (1), venue (2) and backup (3), a
//! spender on the hot vault, and the keys of everyone who may sign.

use super::{exec::Exec, rng::Rng};
use crate::{
    fixture::default_automation,
    ix,
    tokens::{SPL_TOKEN, TOKEN_2022},
};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::{instruction::Instruction, program_pack::Pack, system_instruction};
use anchor_spl::token_2022::spl_token_2022::{
    self,
    extension::{transfer_fee, ExtensionType},
    state::{Account as SplAccount, Mint as SplMint},
};
use smart_treasury::{
    instructions::{CreateManagedBalanceArgs, CreateTreasuryArgs, LinkSourceArgs, SpenderLimits},
    state::{BalanceMode, CrankAccess},
};
use smart_treasury_policy::TransferFee;
use solana_keypair::Keypair;
use solana_signer::Signer;

pub const MIN: u64 = 1_000_000;
pub const TARGET: u64 = 5_000_000;
pub const MAX: u64 = 8_000_000;
pub const MANAGED_BALANCE_ID: u32 = 1;
/// A pool without a vault at first: `create_vault` may make or adopt one.
pub const EXTRA_POOL_ID: u16 = 4;

/// Who signs: each has its own key; the authority may hand over to the guardian or
/// the stranger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Authority,
    Guardian,
    Keeper,
    Spender,
    Stranger,
    VenueOwner,
}

pub const ROLES: [Role; 6] =
    [Role::Authority, Role::Guardian, Role::Keeper, Role::Spender, Role::Stranger, Role::VenueOwner];

pub struct World {
    pub seed: u64,
    pub token_program: Pubkey,
    /// The mint's transfer fee at creation (Token-2022 fee mints only).
    pub fee: Option<TransferFee>,
    pub mint: Pubkey,
    pub decimals: u8,
    pub keys: Vec<(Role, Keypair)>,
    pub treasury: Pubkey,
    /// Hot, reserve, backup, extra.
    pub pools: [Pubkey; 4],
    /// Their vaults (the extra pool's does not exist at first).
    pub vaults: [Pubkey; 4],
    /// The venue owner's account, delegated to the reserve pool.
    pub venue: Pubkey,
    /// The stranger's account: payouts land there, deposits come from there.
    pub sink: Pubkey,
    pub managed_balance: Pubkey,
    pub spender_account: Pubkey,
}

impl World {
    pub fn key(&self, role: Role) -> &Keypair {
        &self.keys.iter().find(|(r, _)| *r == role).expect("every role has a key").1
    }

    pub fn role_of(&self, key: &Pubkey) -> Option<Role> {
        self.keys.iter().find(|(_, k)| k.pubkey() == *key).map(|(role, _)| *role)
    }

    /// Every token account of the mint there may ever be: their balances, withheld
    /// fees and the mint's add up to its supply.
    pub fn token_accounts(&self) -> Vec<Pubkey> {
        let mut accounts = self.vaults.to_vec();
        accounts.extend([self.venue, self.sink]);
        accounts
    }

    /// Every address a substituted account meta may point at.
    pub fn address_book(&self) -> Vec<Pubkey> {
        let mut book = self.token_accounts();
        book.extend(self.pools);
        book.extend([self.treasury, self.managed_balance, self.spender_account, self.mint, self.token_program]);
        book.extend(self.keys.iter().map(|(_, key)| key.pubkey()));
        book.extend([smart_treasury::ID, ix::event_authority(), SPL_TOKEN, TOKEN_2022, Pubkey::default()]);
        book
    }

    pub fn balance_accounts(&self, destination: Pubkey, destination_pool: Pubkey) -> ix::BalanceAccounts {
        ix::BalanceAccounts {
            treasury: self.treasury,
            managed_balance: self.managed_balance,
            destination,
            destination_pool,
            mint: self.mint,
            token_program: self.token_program,
        }
    }

    pub fn vault_accounts(&self, pool: usize) -> ix::VaultAccounts {
        ix::VaultAccounts {
            treasury: self.treasury,
            pool: self.pools[pool],
            vault: self.vaults[pool],
            mint: self.mint,
            token_program: self.token_program,
        }
    }

    /// Builds the world for `seed` in the runtime behind `exec`.
    pub async fn create(exec: &mut Exec, seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ 0x5EED_F1E1_D000_0000);
        let keys: Vec<(Role, Keypair)> =
            ROLES.iter().map(|role| (*role, Keypair::new_from_array(rng.secret()))).collect();
        let create_key = Keypair::new_from_array(rng.secret());
        let mint_key = Keypair::new_from_array(rng.secret());
        let venue_key = Keypair::new_from_array(rng.secret());
        let sink_key = Keypair::new_from_array(rng.secret());
        let token_2022 = rng.chance(35);
        let token_program = if token_2022 { TOKEN_2022 } else { SPL_TOKEN };
        let fee = (token_2022 && rng.chance(60))
            .then(|| TransferFee { basis_points: rng.range(1, 300) as u16, maximum_fee: rng.range(1_000, 50_000) });
        let treasury = ix::treasury_pda(&create_key.pubkey());
        let pools = [1u16, 2, 3, EXTRA_POOL_ID].map(|id| ix::pool_pda(&treasury, id));
        let vaults = pools.map(|pool| ix::vault_address(&pool, &mint_key.pubkey(), &token_program));
        let world = Self {
            seed,
            token_program,
            fee,
            mint: mint_key.pubkey(),
            decimals: 6,
            treasury,
            pools,
            vaults,
            venue: venue_key.pubkey(),
            sink: sink_key.pubkey(),
            managed_balance: ix::managed_balance_pda(&treasury, MANAGED_BALANCE_ID),
            spender_account: ix::spender_pda(&vaults[0], &keys[3].1.pubkey()),
            keys,
        };
        world.set_up(exec, &mut rng, &create_key, &mint_key, &venue_key, &sink_key).await;
        world
    }

    async fn set_up(
        &self,
        exec: &mut Exec,
        rng: &mut Rng,
        create_key: &Keypair,
        mint_key: &Keypair,
        venue_key: &Keypair,
        sink_key: &Keypair,
    ) {
        let payer = exec.rt.payer().pubkey();
        let (authority, venue_owner, stranger) =
            (self.key(Role::Authority), self.key(Role::VenueOwner), self.key(Role::Stranger));
        let rent = exec.rt.context.banks_client.get_rent().await.expect("rent");
        // Four transactions: each one costs more than the instructions in it.
        let mut ixs: Vec<Instruction> = self
            .keys
            .iter()
            .map(|(_, key)| system_instruction::transfer(&payer, &key.pubkey(), 1_000_000_000))
            .collect();
        let args = CreateTreasuryArgs {
            authority: authority.pubkey(),
            guardian: self.key(Role::Guardian).pubkey(),
            crank_access: CrankAccess::Permissionless,
            keepers: vec![],
        };
        ixs.push(ix::create_treasury(payer, create_key.pubkey(), args));
        ixs.extend(self.mint_instructions(&payer, mint_key, &rent));
        ixs.extend(self.token_account_instructions(&payer, venue_key, &venue_owner.pubkey(), &rent));
        ixs.extend(self.token_account_instructions(&payer, sink_key, &stranger.pubkey(), &rent));
        must(exec.send(&ixs, &[create_key, mint_key, venue_key, sink_key]).await, "actors, treasury, mint, accounts");

        let mut ixs = Vec::new();
        for (index, name) in ["hot wallet", "reserve", "backup"].into_iter().enumerate() {
            let pool_id = index as u16 + 1;
            ixs.push(ix::create_pool(payer, authority.pubkey(), self.treasury, pool_id, name));
            ixs.push(ix::create_vault(
                payer,
                authority.pubkey(),
                self.treasury,
                self.pools[index],
                self.mint,
                self.token_program,
            ));
        }
        ixs.push(ix::create_pool(payer, authority.pubkey(), self.treasury, EXTRA_POOL_ID, "extra"));
        must(exec.send(&ixs, &[authority]).await, "pools and vaults");

        // The hot wallet starts anywhere: below min, inside the forecast band, at target,
        // above max.
        let hot = match rng.below(4) {
            0 => rng.range(0, MIN - 1),
            1 => rng.range(MIN, TARGET),
            2 => TARGET,
            _ => rng.range(MAX + 1, 3 * MAX),
        };
        let funds = [(self.vaults[0], hot), (self.vaults[1], 60_000_000), (self.vaults[2], 20_000_000)];
        let mut ixs: Vec<Instruction> = funds
            .into_iter()
            .chain([(self.venue, 40_000_000), (self.sink, 10_000_000)])
            .filter(|(_, amount)| *amount > 0)
            .map(|(account, amount)| {
                spl_token_2022::instruction::mint_to(&self.token_program, &self.mint, &account, &payer, &[], amount)
                    .expect("mint_to")
            })
            .collect();
        ixs.push(
            spl_token_2022::instruction::approve(
                &self.token_program,
                &self.venue,
                &self.pools[1],
                &venue_owner.pubkey(),
                &[],
                rng.range(1, 40_000_000),
            )
            .expect("approve"),
        );
        must(exec.send(&ixs, &[venue_owner]).await, "funds and allowance");

        // A quarter of the worlds keep a ratio with the reserve instead.
        let mode = if rng.chance(25) {
            BalanceMode::Ratio { ratio_bps: *rng.pick(&[500, 1_000, 4_000]), band_bps: *rng.pick(&[0, 100, 500]) }
        } else {
            BalanceMode::Threshold
        };
        let args = CreateManagedBalanceArgs {
            id: MANAGED_BALANCE_ID,
            name: "hot wallet".into(),
            min: MIN,
            target: TARGET,
            max: if mode == BalanceMode::Threshold { MAX } else { 100 * MAX },
            mode,
            automation: default_automation(),
            enabled: true,
        };
        let a = authority.pubkey();
        // A fifth of the worlds keep the venue's balance instead (the reserve pool is its
        // delegate), drawing from the reserve, the hot and the backup vault.
        let ((destination, destination_pool), sources) = if rng.chance(20) {
            let sources =
                [(self.vaults[1], self.pools[1]), (self.vaults[0], self.pools[0]), (self.vaults[2], self.pools[2])];
            ((self.venue, self.pools[1]), sources)
        } else {
            let sources =
                [(self.vaults[1], self.pools[1]), (self.venue, self.pools[1]), (self.vaults[2], self.pools[2])];
            ((self.vaults[0], self.pools[0]), sources)
        };
        let mut ixs = vec![ix::create_managed_balance(
            payer,
            a,
            self.treasury,
            destination,
            destination_pool,
            self.mint,
            self.token_program,
            args,
        )];
        for (priority, (source, pool)) in sources.into_iter().enumerate() {
            let reserve_floor = if rng.chance(30) { rng.range(0, 30_000_000) } else { 0 };
            let args = LinkSourceArgs {
                priority: priority as u8 + 1,
                reserve_floor,
                enabled: rng.chance(90),
                returns_allowed: rng.chance(20),
            };
            ixs.push(ix::link_source(a, self.treasury, self.managed_balance, source, pool, args));
        }
        let limit_per_period = rng.range(100_000, 3 * TARGET);
        let limits = SpenderLimits { enabled: true, limit_per_period, period_seconds: *rng.pick(&[60, 600, 3_600]) };
        ixs.push(ix::add_spender(
            payer,
            a,
            self.treasury,
            self.pools[0],
            self.vaults[0],
            self.key(Role::Spender).pubkey(),
            limits,
        ));
        must(exec.send(&ixs, &[authority]).await, "managed balance, sources and spender");
    }

    fn mint_instructions(&self, payer: &Pubkey, mint: &Keypair, rent: &solana_sysvar::rent::Rent) -> Vec<Instruction> {
        let kinds: Vec<ExtensionType> = self.fee.iter().map(|_| ExtensionType::TransferFeeConfig).collect();
        let space = if self.token_program == SPL_TOKEN {
            SplMint::LEN
        } else {
            ExtensionType::try_calculate_account_len::<SplMint>(&kinds).expect("mint length")
        };
        let mut ixs = vec![system_instruction::create_account(
            payer,
            &mint.pubkey(),
            rent.minimum_balance(space),
            space as u64,
            &self.token_program,
        )];
        if let Some(fee) = self.fee {
            ixs.push(
                transfer_fee::instruction::initialize_transfer_fee_config(
                    &TOKEN_2022,
                    &mint.pubkey(),
                    Some(payer),
                    Some(payer),
                    fee.basis_points,
                    fee.maximum_fee,
                )
                .expect("fee config"),
            );
        }
        ixs.push(
            spl_token_2022::instruction::initialize_mint2(
                &self.token_program,
                &mint.pubkey(),
                payer,
                Some(payer),
                self.decimals,
            )
            .expect("init mint"),
        );
        ixs
    }

    /// A token account at `account`'s address; Token-2022 ones have room for the
    /// memo-transfer extension, which the owner may turn on later.
    fn token_account_instructions(
        &self,
        payer: &Pubkey,
        account: &Keypair,
        owner: &Pubkey,
        rent: &solana_sysvar::rent::Rent,
    ) -> Vec<Instruction> {
        let space = if self.token_program == SPL_TOKEN {
            SplAccount::LEN
        } else {
            let mut kinds = vec![ExtensionType::MemoTransfer];
            if self.fee.is_some() {
                kinds.push(ExtensionType::TransferFeeAmount);
            }
            ExtensionType::try_calculate_account_len::<SplAccount>(&kinds).expect("account length")
        };
        vec![
            system_instruction::create_account(
                payer,
                &account.pubkey(),
                rent.minimum_balance(space),
                space as u64,
                &self.token_program,
            ),
            spl_token_2022::instruction::initialize_account3(&self.token_program, &account.pubkey(), &self.mint, owner)
                .expect("init account"),
        ]
    }
}

fn must(result: Result<(), solana_transaction_error::TransactionError>, what: &str) {
    if let Err(error) = result {
        panic!("fuzz world set-up failed ({what}): {error:?}");
    }
}
