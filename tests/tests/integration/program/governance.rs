//! A treasury governed by a program's PDA (a DAO or multisig): every authority
//! instruction arrives as a CPI that the governance program signs for.

use anchor_lang::prelude::Pubkey;
use anchor_spl::associated_token::get_associated_token_address_with_program_id;
use smart_treasury::{
    error::TreasuryError,
    events::{ManagedBalanceChange, ManagedBalanceChanged, PoolCreated, TreasuryChange, TreasuryChanged, VaultCreated},
    state::{decode_name, AccountKind, ManagedBalance, Pool, Treasury},
};
use smart_treasury_tests::{governance, ix, *};
use solana_keypair::Keypair;
use solana_signer::Signer;

const POOL_ID: u16 = 1;
const MANAGED_ID: u32 = 1;

struct Governed {
    rt: Runtime,
    dao: Pubkey,
    treasury: Pubkey,
    pool: Pubkey,
    vault: Pubkey,
    mint: Pubkey,
    managed_balance: Pubkey,
    /// The events of the pool, vault and managed-balance creations, in that order.
    setup_events: Vec<Vec<RawEvent>>,
}

impl Governed {
    async fn new() -> Self {
        let mut rt = Runtime::start().await;
        let (dao, _) = governance::authority();
        let (_, treasury) = create_bare_treasury(&mut rt, dao, Pubkey::new_unique()).await;
        let mint = rt.create_mint(SPL_TOKEN, 6, &[]).await;
        let payer = rt.payer().pubkey();
        let pool = ix::pool_pda(&treasury, POOL_ID);
        let vault = get_associated_token_address_with_program_id(&pool, &mint, &SPL_TOKEN);
        let managed_balance = ix::managed_balance_pda(&treasury, MANAGED_ID);

        // The payer still pays and signs the outer transaction; only the authority is the PDA.
        let mut setup_events = Vec::new();
        for inner in [
            ix::create_pool(payer, dao, treasury, POOL_ID, "dao hot wallet"),
            ix::create_vault(payer, dao, treasury, pool, mint, SPL_TOKEN),
            ix::create_managed_balance(
                payer,
                dao,
                treasury,
                vault,
                pool,
                mint,
                SPL_TOKEN,
                managed_balance_args(MANAGED_ID, "dao hot USDC"),
            ),
        ] {
            setup_events.push(rt.ok(&[governance::execute(inner)], &[]).await.events);
        }
        Self { rt, dao, treasury, pool, vault, mint, managed_balance, setup_events }
    }

    async fn managed(&mut self) -> ManagedBalance {
        self.rt.anchor_account(self.managed_balance).await
    }

    async fn state(&mut self) -> Vec<RawAccountState> {
        let addresses = [self.treasury, self.managed_balance];
        raw_account_states(&mut self.rt, &addresses).await
    }
}

#[tokio::test]
async fn governance_pda_creates_pools_vaults_and_managed_balances() {
    let mut gov = Governed::new().await;

    let treasury: Treasury = gov.rt.anchor_account(gov.treasury).await;
    assert_eq!(treasury.authority, gov.dao);
    let pool: Pool = gov.rt.anchor_account(gov.pool).await;
    assert_eq!((pool.treasury, decode_name(&pool.name)), (gov.treasury, "dao hot wallet"));
    let vault = gov.rt.token_account(gov.vault).await;
    assert_eq!((vault.mint, vault.owner), (gov.mint, gov.pool));
    let managed = gov.managed().await;
    assert_eq!(
        (managed.destination, managed.destination_kind, managed.destination_pool),
        (gov.vault, AccountKind::PoolVault, gov.pool)
    );
    assert_eq!((managed.min, managed.target, managed.max), (1_000_000, 5_000_000, 8_000_000));

    // Events emitted below the governance CPI are still found and decoded.
    let created: PoolCreated = one_event(&gov.setup_events[0]);
    assert_eq!((created.pool, created.name.as_str()), (gov.pool, "dao hot wallet"));
    let vault_created: VaultCreated = one_event(&gov.setup_events[1]);
    assert_eq!((vault_created.vault, vault_created.mint), (gov.vault, gov.mint));
    let balance_created: ManagedBalanceChanged = one_event(&gov.setup_events[2]);
    assert_eq!(balance_created.managed_balance, gov.managed_balance);
    assert!(matches!(balance_created.change, ManagedBalanceChange::Created { .. }));
}

#[tokio::test]
async fn governance_pda_changes_thresholds_and_a_plain_key_cannot() {
    let mut gov = Governed::new().await;
    let version = gov.managed().await.config_version;

    let inner = ix::update_thresholds(gov.dao, gov.treasury, gov.managed_balance, 2_000_000, 4_000_000, 6_000_000);
    let outcome = gov.rt.ok(&[governance::execute(inner)], &[]).await;

    let event: ManagedBalanceChanged = one_event(&outcome.events);
    assert_eq!(
        event.change,
        ManagedBalanceChange::ThresholdsUpdated {
            old_min: 1_000_000,
            old_target: 5_000_000,
            old_max: 8_000_000,
            min: 2_000_000,
            target: 4_000_000,
            max: 6_000_000,
        }
    );
    assert_eq!(event.config_version, version + 1);
    let managed = gov.managed().await;
    assert_eq!(
        (managed.min, managed.target, managed.max, managed.config_version),
        (2_000_000, 4_000_000, 6_000_000, version + 1)
    );

    // Paying for the governance transactions gives the payer no say.
    let before = gov.state().await;
    let payer = gov.rt.payer().pubkey();
    let direct = ix::update_thresholds(payer, gov.treasury, gov.managed_balance, 1, 2, 3);
    assert_treasury_error(gov.rt.send(&[direct], &[]).await, TreasuryError::NotAuthority);
    assert_eq!(gov.state().await, before);
}

#[tokio::test]
async fn another_programs_pda_has_no_say_over_a_key_governed_treasury() {
    let mut fx = Fixture::new().await;
    let (dao, _) = governance::authority();
    let before = raw_account_states(&mut fx.rt, &[fx.treasury, fx.managed_balance]).await;
    let inner = ix::update_thresholds(dao, fx.treasury, fx.managed_balance, 1, 2, 3);
    assert_treasury_error(fx.rt.send(&[governance::execute(inner)], &[]).await, TreasuryError::NotAuthority);
    assert_eq!(raw_account_states(&mut fx.rt, &[fx.treasury, fx.managed_balance]).await, before);
}

#[tokio::test]
async fn governance_pda_hands_authority_to_a_plain_key_in_two_steps() {
    let mut gov = Governed::new().await;
    let successor = Keypair::new();

    let outcome = gov
        .rt
        .ok(&[governance::execute(ix::propose_authority(gov.dao, gov.treasury, Some(successor.pubkey())))], &[])
        .await;
    let event: TreasuryChanged = one_event(&outcome.events);
    assert_eq!(event.change, TreasuryChange::AuthorityProposed { proposed: Some(successor.pubkey()) });
    let treasury: Treasury = gov.rt.anchor_account(gov.treasury).await;
    assert_eq!((treasury.authority, treasury.pending_authority), (gov.dao, Some(successor.pubkey())));

    let outcome = gov.rt.ok(&[ix::accept_authority(successor.pubkey(), gov.treasury)], &[&successor]).await;
    let event: TreasuryChanged = one_event(&outcome.events);
    assert_eq!(event.change, TreasuryChange::AuthorityAccepted { previous: gov.dao, authority: successor.pubkey() });
    let treasury: Treasury = gov.rt.anchor_account(gov.treasury).await;
    assert_eq!((treasury.authority, treasury.pending_authority), (successor.pubkey(), None));

    // The key now governs directly, and the DAO's proposals no longer do.
    let direct =
        ix::update_thresholds(successor.pubkey(), gov.treasury, gov.managed_balance, 3_000_000, 3_000_000, 3_000_000);
    gov.rt.ok(&[direct], &[&successor]).await;
    assert_eq!(gov.managed().await.target, 3_000_000);
    let before = gov.state().await;
    let inner = ix::update_thresholds(gov.dao, gov.treasury, gov.managed_balance, 1, 2, 3);
    assert_treasury_error(gov.rt.send(&[governance::execute(inner)], &[]).await, TreasuryError::NotAuthority);
    assert_eq!(gov.state().await, before);
}
