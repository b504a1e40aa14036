use anchor_lang::{error::ErrorCode, prelude::Pubkey, solana_program::instruction::Instruction};
use smart_treasury::{
    constants::{
        MANAGED_BALANCE_LAYOUT_VERSION, MANAGED_BALANCE_SEED, MAX_COOLDOWN_SECONDS, MAX_PERIOD_SECONDS, MAX_SOURCES,
    },
    error::TreasuryError,
    events::{ManagedBalanceChange, ManagedBalanceChanged},
    instructions::{CreateManagedBalanceArgs, LinkSourceArgs, UpdateSourceArgs},
    state::{
        decode_name, AccountKind, AutomationSettings, BalanceMode, FundingSource, ManagedBalance, MovedWindow,
        TransferFeeLimit, Treasury,
    },
};
use smart_treasury_tests::{ix, *};
use solana_keypair::Keypair;
use solana_signer::Signer;

const NEW_ID: u32 = 2;

fn link_args(priority: u8) -> LinkSourceArgs {
    LinkSourceArgs { priority, reserve_floor: 0, enabled: true, returns_allowed: false }
}

/// Creates a managed balance on `destination` (signed for by `pool`) from `args`.
async fn create_on_backup(fx: &mut Fixture, args: CreateManagedBalanceArgs) -> Result<Outcome, Failure> {
    let (destination, pool) = (fx.backup_vault, fx.backup_pool);
    create(fx, destination, pool, args).await
}

async fn create(
    fx: &mut Fixture,
    destination: Pubkey,
    pool: Pubkey,
    args: CreateManagedBalanceArgs,
) -> Result<Outcome, Failure> {
    let payer = fx.rt.payer().pubkey();
    let ix = ix::create_managed_balance(
        payer,
        fx.authority.pubkey(),
        fx.treasury,
        destination,
        pool,
        fx.mint,
        fx.token_program,
        args,
    );
    fx.as_authority(ix).await
}

/// Each `args` is refused with `expected` and leaves no account behind.
async fn create_refused(fx: &mut Fixture, cases: Vec<CreateManagedBalanceArgs>, expected: TreasuryError) {
    for args in cases {
        let address = ix::managed_balance_pda(&fx.treasury, args.id);
        let description = format!("{args:?}");
        let result = create_on_backup(fx, args).await;
        assert_treasury_error(result, expected);
        assert_eq!(raw_account_states(&mut fx.rt, &[address]).await, vec![None], "{description}");
    }
}

async fn managed_state(fx: &mut Fixture) -> Vec<RawAccountState> {
    let address = fx.managed_balance;
    raw_account_states(&mut fx.rt, &[address]).await
}

/// Runs a change as the authority and returns its single `ManagedBalanceChanged` event,
/// checking that it bumped the config version by one.
async fn change(fx: &mut Fixture, build: impl FnOnce(&Fixture) -> Instruction) -> ManagedBalanceChanged {
    let ix = build(fx);
    let version = fx.config_version().await;
    let outcome = fx.as_authority(ix).await.expect("change lands");
    let event: ManagedBalanceChanged = one_event(&outcome.events);
    assert_eq!((event.treasury, event.managed_balance), (fx.treasury, fx.managed_balance));
    assert_eq!(event.config_version, version + 1);
    assert_eq!(fx.config_version().await, version + 1);
    event
}

/// Runs a change as the authority, expects `expected`, and checks nothing changed.
async fn change_refused(fx: &mut Fixture, build: impl FnOnce(&Fixture) -> Instruction, expected: TreasuryError) {
    let ix = build(fx);
    let before = managed_state(fx).await;
    assert_treasury_error(fx.as_authority(ix).await, expected);
    assert_eq!(managed_state(fx).await, before);
}

async fn link_refused(fx: &mut Fixture, source: Pubkey, pool: Pubkey, args: LinkSourceArgs, expected: TreasuryError) {
    change_refused(
        fx,
        |fx| ix::link_source(fx.authority.pubkey(), fx.treasury, fx.managed_balance, source, pool, args),
        expected,
    )
    .await;
}

fn update_thresholds(fx: &Fixture, min: u64, target: u64, max: u64) -> Instruction {
    ix::update_thresholds(fx.authority.pubkey(), fx.treasury, fx.managed_balance, min, target, max)
}

fn update_settings(fx: &Fixture, mode: BalanceMode, automation: AutomationSettings) -> Instruction {
    ix::update_settings(fx.authority.pubkey(), fx.treasury, fx.managed_balance, mode, automation)
}

fn update_source(fx: &Fixture, token_account: Pubkey, priority: u8, reserve_floor: u64) -> Instruction {
    let args = UpdateSourceArgs { token_account, priority, reserve_floor, enabled: true, returns_allowed: false };
    ix::update_source(fx.authority.pubkey(), fx.treasury, fx.managed_balance, args)
}

fn priorities(managed: &ManagedBalance) -> Vec<u8> {
    managed.linked_sources().iter().map(|source| source.priority).collect()
}

fn linked_accounts(managed: &ManagedBalance) -> Vec<Pubkey> {
    managed.linked_sources().iter().map(|source| source.token_account).collect()
}

#[tokio::test]
async fn create_managed_balance_stores_every_field_and_emits_created() {
    let mut fx = Fixture::new().await;
    let automation = AutomationSettings {
        cooldown_seconds: 120,
        period_seconds: 7_200,
        period_cap: 9_000_000,
        forecast_band_bps: 2_500,
    };
    let args = CreateManagedBalanceArgs {
        id: NEW_ID,
        name: "backup float".to_string(),
        min: 2_000_000,
        target: 3_000_000,
        max: 4_000_000,
        mode: BalanceMode::Threshold,
        automation,
        enabled: false,
    };

    let outcome = create_on_backup(&mut fx, args).await.expect("create");

    let (address, bump) = Pubkey::find_program_address(
        &[MANAGED_BALANCE_SEED, fx.treasury.as_ref(), &NEW_ID.to_le_bytes()],
        &smart_treasury::ID,
    );
    let stored: ManagedBalance = fx.rt.anchor_account(address).await;
    assert_eq!((stored.layout_version, stored.bump), (MANAGED_BALANCE_LAYOUT_VERSION, bump));
    assert_eq!((stored.treasury, stored.id), (fx.treasury, NEW_ID));
    assert_eq!(decode_name(&stored.name), "backup float");
    assert_eq!((stored.mint, stored.token_program, stored.decimals), (fx.mint, fx.token_program, 6));
    assert_eq!(
        (stored.destination, stored.destination_kind, stored.destination_pool),
        (fx.backup_vault, AccountKind::PoolVault, fx.backup_pool)
    );
    assert_eq!((stored.min, stored.target, stored.max), (2_000_000, 3_000_000, 4_000_000));
    assert!(!stored.enabled);
    assert_eq!((stored.mode, stored.automation), (BalanceMode::Threshold, automation));
    assert_eq!((stored.moved, stored.last_automation_at, stored.last_automation_slot), (MovedWindow::default(), 0, 0));
    // An SPL Token mint charges no transfer fee: that is what the balance accepts.
    assert_eq!(stored.accepted_transfer_fee, TransferFeeLimit::default());
    // The treasury's second managed balance: its versions start at 2 << 32.
    let treasury: Treasury = fx.rt.anchor_account(fx.treasury).await;
    assert_eq!(treasury.managed_balances_created, 2);
    let first_version = 2 << 32 | 1;
    assert_eq!((stored.config_version, stored.source_count), (first_version, 0));
    assert!(stored.sources.iter().all(|source| *source == FundingSource::default()));
    let event: ManagedBalanceChanged = one_event(&outcome.events);
    assert_eq!((event.treasury, event.managed_balance, event.config_version), (fx.treasury, address, first_version));
    assert_eq!(
        event.change,
        ManagedBalanceChange::Created {
            name: "backup float".to_string(),
            destination: fx.backup_vault,
            mint: fx.mint,
            min: 2_000_000,
            target: 3_000_000,
            max: 4_000_000,
        }
    );
}

#[tokio::test]
async fn a_destination_the_pool_does_not_own_is_recorded_as_a_venue() {
    let mut fx = Fixture::new().await;
    let (venue, reserve_pool) = (fx.venue, fx.reserve_pool);
    create(&mut fx, venue, reserve_pool, managed_balance_args(NEW_ID, "venue float")).await.expect("create");
    let stored: ManagedBalance = fx.rt.anchor_account(ix::managed_balance_pda(&fx.treasury, NEW_ID)).await;
    assert_eq!(
        (stored.destination, stored.destination_kind, stored.destination_pool),
        (fx.venue, AccountKind::Venue, fx.reserve_pool)
    );
}

#[tokio::test]
async fn create_refuses_thresholds_out_of_order_or_a_zero_max() {
    let mut fx = Fixture::new().await;
    let with = |min, target, max| CreateManagedBalanceArgs { min, target, max, ..managed_balance_args(NEW_ID, "bad") };
    let cases = vec![with(6, 5, 8), with(1, 9, 8), with(0, 0, 0)];
    create_refused(&mut fx, cases, TreasuryError::InvalidThresholds).await;
}

#[tokio::test]
async fn create_refuses_a_forecast_band_above_10000_bps() {
    let mut fx = Fixture::new().await;
    let mut args = managed_balance_args(NEW_ID, "bad");
    args.automation.forecast_band_bps = 10_001;
    create_refused(&mut fx, vec![args.clone()], TreasuryError::InvalidBasisPoints).await;
    args.automation.forecast_band_bps = 10_000;
    create_on_backup(&mut fx, args).await.expect("a full band is allowed");
}

#[tokio::test]
async fn create_refuses_a_cooldown_over_30_days() {
    let mut fx = Fixture::new().await;
    let mut args = managed_balance_args(NEW_ID, "bad");
    args.automation.cooldown_seconds = MAX_COOLDOWN_SECONDS + 1;
    create_refused(&mut fx, vec![args.clone()], TreasuryError::InvalidCooldown).await;
    args.automation.cooldown_seconds = MAX_COOLDOWN_SECONDS;
    create_on_backup(&mut fx, args).await.expect("30 days is allowed");
}

#[tokio::test]
async fn create_refuses_a_zero_period_a_zero_cap_or_a_period_over_366_days() {
    let mut fx = Fixture::new().await;
    let with = |period_seconds, period_cap| {
        let mut args = managed_balance_args(NEW_ID, "bad");
        args.automation.period_seconds = period_seconds;
        args.automation.period_cap = period_cap;
        args
    };
    let cases = vec![with(0, 1_000), with(3_600, 0), with(MAX_PERIOD_SECONDS + 1, 1_000)];
    create_refused(&mut fx, cases, TreasuryError::InvalidRateLimit).await;
}

#[tokio::test]
async fn create_refuses_a_ratio_of_0_or_10000_bps_or_a_band_above_10000() {
    let mut fx = Fixture::new().await;
    let ratio = |ratio_bps, band_bps| CreateManagedBalanceArgs {
        mode: BalanceMode::Ratio { ratio_bps, band_bps },
        ..managed_balance_args(NEW_ID, "bad")
    };
    let cases = vec![ratio(0, 500), ratio(10_000, 500), ratio(5_000, 10_001)];
    create_refused(&mut fx, cases, TreasuryError::InvalidBasisPoints).await;
}

#[tokio::test]
async fn create_refuses_an_empty_or_overlong_name() {
    let mut fx = Fixture::new().await;
    let cases = vec![managed_balance_args(NEW_ID, ""), managed_balance_args(NEW_ID, &"n".repeat(33))];
    create_refused(&mut fx, cases, TreasuryError::InvalidName).await;
}

#[tokio::test]
async fn create_refuses_a_destination_of_another_mint() {
    let mut fx = Fixture::new().await;
    let other_mint = fx.rt.create_mint(fx.token_program, 6, &[]).await;
    let foreign = fx.rt.create_token_account(other_mint, fx.backup_pool, fx.token_program).await;
    let address = ix::managed_balance_pda(&fx.treasury, NEW_ID);

    let backup_pool = fx.backup_pool;
    let result = create(&mut fx, foreign, backup_pool, managed_balance_args(NEW_ID, "wrong mint")).await;

    assert_anchor_error(result, ErrorCode::ConstraintTokenMint);
    assert_eq!(raw_account_states(&mut fx.rt, &[address]).await, vec![None]);
}

#[tokio::test]
async fn create_by_a_non_authority_is_refused() {
    let mut fx = Fixture::new().await;
    let stranger = Keypair::new();
    let payer = fx.rt.payer().pubkey();
    let args = managed_balance_args(NEW_ID, "intruder");
    let ix = ix::create_managed_balance(
        payer,
        stranger.pubkey(),
        fx.treasury,
        fx.backup_vault,
        fx.backup_pool,
        fx.mint,
        fx.token_program,
        args,
    );
    assert_treasury_error(fx.rt.send(&[ix], &[&stranger]).await, TreasuryError::NotAuthority);
    assert_eq!(raw_account_states(&mut fx.rt, &[ix::managed_balance_pda(&fx.treasury, NEW_ID)]).await, vec![None]);
}

#[tokio::test]
async fn update_thresholds_reports_old_and_new_values() {
    let mut fx = Fixture::new().await;
    let event = change(&mut fx, |fx| update_thresholds(fx, 2_000_000, 6_000_000, 9_000_000)).await;
    assert_eq!(
        event.change,
        ManagedBalanceChange::ThresholdsUpdated {
            old_min: MIN,
            old_target: TARGET,
            old_max: MAX,
            min: 2_000_000,
            target: 6_000_000,
            max: 9_000_000,
        }
    );
    let stored = fx.managed().await;
    assert_eq!((stored.min, stored.target, stored.max), (2_000_000, 6_000_000, 9_000_000));
}

#[tokio::test]
async fn update_thresholds_refuses_invalid_thresholds() {
    let mut fx = Fixture::new().await;
    for (min, target, max) in [(6, 5, 8), (1, 9, 8), (0, 0, 0)] {
        change_refused(&mut fx, |fx| update_thresholds(fx, min, target, max), TreasuryError::InvalidThresholds).await;
    }
}

#[tokio::test]
async fn update_thresholds_by_a_non_authority_is_refused() {
    let mut fx = Fixture::new().await;
    let stranger = Keypair::new();
    let before = managed_state(&mut fx).await;
    let ix = ix::update_thresholds(stranger.pubkey(), fx.treasury, fx.managed_balance, 1, 2, 3);
    assert_treasury_error(fx.rt.send(&[ix], &[&stranger]).await, TreasuryError::NotAuthority);
    assert_eq!(managed_state(&mut fx).await, before);
}

#[tokio::test]
async fn update_settings_replaces_the_mode_and_automation() {
    let mut fx = Fixture::new().await;
    let mode = BalanceMode::Ratio { ratio_bps: 4_000, band_bps: 500 };
    let automation =
        AutomationSettings { cooldown_seconds: 0, period_seconds: 600, period_cap: 42, forecast_band_bps: 0 };

    let event = change(&mut fx, |fx| update_settings(fx, mode, automation)).await;

    assert_eq!(event.change, ManagedBalanceChange::SettingsUpdated { mode, automation });
    let stored = fx.managed().await;
    assert_eq!((stored.mode, stored.automation), (mode, automation));
}

#[tokio::test]
async fn update_settings_refuses_each_out_of_range_parameter() {
    let mut fx = Fixture::new().await;
    let base = default_automation();
    let threshold = BalanceMode::Threshold;
    let cases = [
        (
            threshold,
            AutomationSettings { cooldown_seconds: MAX_COOLDOWN_SECONDS + 1, ..base },
            TreasuryError::InvalidCooldown,
        ),
        (threshold, AutomationSettings { period_seconds: 0, ..base }, TreasuryError::InvalidRateLimit),
        (threshold, AutomationSettings { period_cap: 0, ..base }, TreasuryError::InvalidRateLimit),
        (threshold, AutomationSettings { forecast_band_bps: 10_001, ..base }, TreasuryError::InvalidBasisPoints),
        (BalanceMode::Ratio { ratio_bps: 0, band_bps: 100 }, base, TreasuryError::InvalidBasisPoints),
        (BalanceMode::Ratio { ratio_bps: 10_000, band_bps: 100 }, base, TreasuryError::InvalidBasisPoints),
    ];
    for (mode, automation, expected) in cases {
        change_refused(&mut fx, |fx| update_settings(fx, mode, automation), expected).await;
    }
}

#[tokio::test]
async fn set_enabled_turns_automation_off_and_on() {
    let mut fx = Fixture::new().await;
    let event =
        change(&mut fx, |fx| ix::set_enabled(fx.authority.pubkey(), fx.treasury, fx.managed_balance, false)).await;
    assert_eq!(event.change, ManagedBalanceChange::EnabledSet { enabled: false });
    assert!(!fx.managed().await.enabled);

    let event =
        change(&mut fx, |fx| ix::set_enabled(fx.authority.pubkey(), fx.treasury, fx.managed_balance, true)).await;
    assert_eq!(event.change, ManagedBalanceChange::EnabledSet { enabled: true });
    assert!(fx.managed().await.enabled);
}

#[tokio::test]
async fn link_source_records_a_pool_vault_and_a_venue() {
    let mut fx = Fixture::new().await;
    let payer = fx.rt.payer().pubkey();
    let extra_pool = ix::pool_pda(&fx.treasury, 4);
    let a = fx.authority.pubkey();
    fx.as_authority(ix::create_pool(payer, a, fx.treasury, 4, "extra")).await.expect("pool");
    fx.as_authority(ix::create_vault(payer, a, fx.treasury, extra_pool, fx.mint, fx.token_program))
        .await
        .expect("vault");
    let extra_vault = anchor_spl::associated_token::get_associated_token_address_with_program_id(
        &extra_pool,
        &fx.mint,
        &fx.token_program,
    );

    let args = LinkSourceArgs { priority: 5, reserve_floor: 123, enabled: false, returns_allowed: false };
    let event =
        change(&mut fx, |fx| ix::link_source(a, fx.treasury, fx.managed_balance, extra_vault, extra_pool, args)).await;
    let expected = FundingSource {
        token_account: extra_vault,
        pool: extra_pool,
        kind: AccountKind::PoolVault,
        priority: 5,
        enabled: false,
        reserve_floor: 123,
        returns_allowed: false,
    };
    assert_eq!(event.change, ManagedBalanceChange::SourceLinked { source: expected });
    let stored = fx.managed().await;
    assert_eq!(stored.source_count, 4);
    assert_eq!(stored.sources[3], expected);

    // An account the pool only holds a delegation on (or nothing yet) is a venue.
    let venue = fx.rt.create_token_account(fx.mint, Pubkey::new_unique(), fx.token_program).await;
    let event =
        change(&mut fx, |fx| ix::link_source(a, fx.treasury, fx.managed_balance, venue, fx.reserve_pool, link_args(4)))
            .await;
    let expected_venue = FundingSource {
        token_account: venue,
        pool: fx.reserve_pool,
        kind: AccountKind::Venue,
        priority: 4,
        enabled: true,
        reserve_floor: 0,
        returns_allowed: false,
    };
    assert_eq!(event.change, ManagedBalanceChange::SourceLinked { source: expected_venue });
    let stored = fx.managed().await;
    assert_eq!(priorities(&stored), vec![1, 2, 3, 4, 5]);
    assert_eq!(stored.sources[3], expected_venue);
}

#[tokio::test]
async fn link_source_refuses_a_priority_already_taken() {
    let mut fx = Fixture::new().await;
    let extra = fx.rt.create_token_account(fx.mint, fx.backup_pool, fx.token_program).await;
    let (source, pool) = (extra, fx.backup_pool);
    link_refused(&mut fx, source, pool, link_args(1), TreasuryError::DuplicatePriority).await;
}

#[tokio::test]
async fn link_source_refuses_priority_zero() {
    let mut fx = Fixture::new().await;
    let extra = fx.rt.create_token_account(fx.mint, fx.backup_pool, fx.token_program).await;
    let (source, pool) = (extra, fx.backup_pool);
    link_refused(&mut fx, source, pool, link_args(0), TreasuryError::DuplicatePriority).await;
}

#[tokio::test]
async fn link_source_refuses_an_account_already_linked() {
    let mut fx = Fixture::new().await;
    let (source, pool) = (fx.reserve_vault, fx.reserve_pool);
    link_refused(&mut fx, source, pool, link_args(9), TreasuryError::SourceAlreadyLinked).await;
}

#[tokio::test]
async fn link_source_refuses_the_destination_itself() {
    let mut fx = Fixture::new().await;
    let (source, pool) = (fx.hot_vault, fx.hot_pool);
    link_refused(&mut fx, source, pool, link_args(9), TreasuryError::SourceIsDestination).await;
}

#[tokio::test]
async fn link_source_refuses_a_ninth_source() {
    let mut fx = Fixture::new().await;
    let a = fx.authority.pubkey();
    for priority in 4..=MAX_SOURCES as u8 {
        let extra = fx.rt.create_token_account(fx.mint, fx.backup_pool, fx.token_program).await;
        change(&mut fx, |fx| {
            ix::link_source(a, fx.treasury, fx.managed_balance, extra, fx.backup_pool, link_args(priority))
        })
        .await;
    }
    assert_eq!(usize::from(fx.managed().await.source_count), MAX_SOURCES);

    let ninth = fx.rt.create_token_account(fx.mint, fx.backup_pool, fx.token_program).await;
    let (source, pool) = (ninth, fx.backup_pool);
    link_refused(&mut fx, source, pool, link_args(MAX_SOURCES as u8 + 1), TreasuryError::TooManySources).await;
}

#[tokio::test]
async fn link_source_refuses_an_account_of_another_mint() {
    let mut fx = Fixture::new().await;
    let other_mint = fx.rt.create_mint(fx.token_program, 6, &[]).await;
    let foreign = fx.rt.create_token_account(other_mint, fx.backup_pool, fx.token_program).await;
    let (source, pool) = (foreign, fx.backup_pool);
    link_refused(&mut fx, source, pool, link_args(9), TreasuryError::WrongMint).await;
}

#[tokio::test]
async fn update_source_keeps_sources_sorted_by_priority() {
    let mut fx = Fixture::new().await;

    let event = change(&mut fx, |fx| update_source(fx, fx.reserve_vault, 10, 777)).await;
    let ManagedBalanceChange::SourceUpdated { previous, source } = event.change else {
        panic!("unexpected change {:?}", event.change)
    };
    assert_eq!((previous.token_account, previous.priority, previous.reserve_floor), (fx.reserve_vault, 1, 0));
    assert_eq!(source, FundingSource { priority: 10, reserve_floor: 777, ..previous });
    let stored = fx.managed().await;
    assert_eq!(linked_accounts(&stored), vec![fx.venue, fx.backup_vault, fx.reserve_vault]);
    assert_eq!(priorities(&stored), vec![2, 3, 10]);

    change(&mut fx, |fx| update_source(fx, fx.backup_vault, 1, 0)).await;
    let stored = fx.managed().await;
    assert_eq!(linked_accounts(&stored), vec![fx.backup_vault, fx.venue, fx.reserve_vault]);
    assert_eq!(priorities(&stored), vec![1, 2, 10]);

    // Keeping its own priority is not a clash with itself.
    change(&mut fx, |fx| update_source(fx, fx.venue, 2, 5)).await;
    let stored = fx.managed().await;
    assert_eq!(priorities(&stored), vec![1, 2, 10]);
    assert_eq!(stored.sources[1].reserve_floor, 5);
}

#[tokio::test]
async fn update_source_refuses_a_priority_another_source_holds() {
    let mut fx = Fixture::new().await;
    change_refused(&mut fx, |fx| update_source(fx, fx.backup_vault, 1, 0), TreasuryError::DuplicatePriority).await;
}

#[tokio::test]
async fn update_source_of_an_unlinked_account_is_refused() {
    let mut fx = Fixture::new().await;
    change_refused(&mut fx, |fx| update_source(fx, fx.sink, 9, 0), TreasuryError::SourceNotFound).await;
}

#[tokio::test]
async fn unlink_source_removes_it_and_keeps_the_rest_in_order() {
    let mut fx = Fixture::new().await;
    let linked_venue = fx.managed().await.sources[1];

    let event =
        change(&mut fx, |fx| ix::unlink_source(fx.authority.pubkey(), fx.treasury, fx.managed_balance, fx.venue)).await;

    assert_eq!(event.change, ManagedBalanceChange::SourceUnlinked { source: linked_venue });
    let stored = fx.managed().await;
    assert_eq!(linked_accounts(&stored), vec![fx.reserve_vault, fx.backup_vault]);
    assert_eq!(priorities(&stored), vec![1, 3]);
    assert!(stored.sources[2..].iter().all(|source| *source == FundingSource::default()));
}

#[tokio::test]
async fn unlink_of_an_unlinked_account_is_refused() {
    let mut fx = Fixture::new().await;
    change_refused(
        &mut fx,
        |fx| ix::unlink_source(fx.authority.pubkey(), fx.treasury, fx.managed_balance, fx.sink),
        TreasuryError::SourceNotFound,
    )
    .await;
}

#[tokio::test]
async fn close_managed_balance_returns_its_rent_and_emits_closed() {
    let mut fx = Fixture::new().await;
    let rent = fx.rt.lamports(fx.managed_balance).await;
    let version = fx.config_version().await;
    let receiver = Pubkey::new_unique();

    let ix = ix::close_managed_balance(fx.authority.pubkey(), fx.treasury, fx.managed_balance, receiver);
    let outcome = fx.as_authority(ix).await.expect("close");

    assert_eq!(fx.rt.lamports(receiver).await, rent);
    assert_eq!(managed_state(&mut fx).await, vec![None]);
    let event: ManagedBalanceChanged = one_event(&outcome.events);
    assert_eq!(
        (event.managed_balance, event.change, event.config_version),
        (fx.managed_balance, ManagedBalanceChange::Closed, version)
    );
}

#[tokio::test]
async fn close_by_a_non_authority_is_refused() {
    let mut fx = Fixture::new().await;
    let stranger = Keypair::new();
    let before = managed_state(&mut fx).await;
    let ix = ix::close_managed_balance(stranger.pubkey(), fx.treasury, fx.managed_balance, stranger.pubkey());
    assert_treasury_error(fx.rt.send(&[ix], &[&stranger]).await, TreasuryError::NotAuthority);
    assert_eq!(managed_state(&mut fx).await, before);
}
