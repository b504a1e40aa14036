use super::{
    chain::ChainState,
    load::{parse, FileError},
    plan::plan,
};
use anchor_lang::prelude::Pubkey;
use smart_treasury_client::read::{MintInfo, TokenAccount};
use std::path::Path;

const EXAMPLE: &str = include_str!("../../../migrations/treasury.example.toml");

fn parse_text(text: &str) -> Result<super::TreasuryDocument, FileError> {
    parse(Path::new("treasury.toml"), text.to_string())
}

fn single_problem(text: &str) -> (usize, String, String) {
    let error = parse_text(text).err().expect("the file is refused");
    let problem = &error.problems[0];
    (problem.line, problem.field.clone(), error.to_string())
}

/// The line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|line| line.contains(needle)).expect("needle in text") + 1
}

#[test]
fn the_example_file_is_valid() {
    let document = parse_text(EXAMPLE).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(document.declared.pools.len(), 2);
    assert_eq!(document.declared.balances[0].sources.len(), 2);
}

#[test]
fn a_syntax_error_names_its_line() {
    let text = EXAMPLE.replace("name = \"reserve\"", "name = \"reserve");
    let (line, _, message) = single_problem(&text);
    assert_eq!(line, line_of(&text, "name = \"reserve"));
    assert!(message.starts_with(&format!("treasury.toml:{line}:")), "{message}");
}

#[test]
fn an_unknown_field_names_its_line_and_the_field() {
    let text = EXAMPLE.replace("cooldown_seconds = 60", "cooldown_seconds = 60\ncooldown_minutes = 1");
    let (line, field, message) = single_problem(&text);
    assert_eq!(line, line_of(&text, "cooldown_minutes"));
    assert!(message.contains("unknown field `cooldown_minutes`"), "{message}");
    assert!(field.starts_with("managed_balances[0].automation"), "{field}");
}

#[test]
fn a_value_too_large_for_its_type_names_its_field() {
    let text = EXAMPLE.replace("id = 2\n", "id = 70000\n");
    let (line, field, message) = single_problem(&text);
    assert_eq!(line, line_of(&text, "id = 70000"));
    assert_eq!(field, "pools[1].id", "{message}");
}

#[test]
fn thresholds_out_of_order_name_the_field_and_its_line() {
    let text = EXAMPLE.replace("min = 2_000_000_000", "min = 6_000_000_000");
    let (line, field, message) = single_problem(&text);
    assert_eq!((line, field.as_str()), (line_of(&text, "min = 6_000_000_000"), "managed_balances[0].min"));
    assert!(message.contains("min <= target <= max"), "{message}");
}

#[test]
fn every_range_problem_is_reported_at_once() {
    let text = EXAMPLE
        .replace("forecast_band_bps = 5_000", "forecast_band_bps = 10_001")
        .replace("period_seconds = 86_400            #", "period_seconds = 0 #")
        .replace("priority = 2", "priority = 1");
    let error = parse_text(&text).err().expect("refused");
    let fields: Vec<&str> = error.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "managed_balances[0].automation.period_seconds",
            "managed_balances[0].automation.forecast_band_bps",
            "managed_balances[0].sources[1].priority"
        ],
        "{error}"
    );
    assert_eq!(error.problems[2].line, line_of(&text, "venue = \"Venue") + 1);
}

#[test]
fn a_bad_address_and_an_undeclared_pool_are_refused() {
    let text = EXAMPLE.replace("destination = { pool = 1 }", "destination = { pool = 9 }");
    let (_, field, message) = single_problem(&text);
    assert_eq!(field, "managed_balances[0].destination.pool");
    assert!(message.contains("pool 9 is not declared"), "{message}");
    let text = EXAMPLE.replace("Guardian111111111111111111111111111111111111", "not-a-key");
    let (_, field, _) = single_problem(&text);
    assert_eq!(field, "treasury.guardian");
}

fn chain_with_mint(document: &super::TreasuryDocument) -> ChainState {
    let mint: Pubkey = document.declared.balances[0].mint;
    let mut chain = ChainState::default();
    chain
        .mints
        .insert(mint, Some(MintInfo { address: mint, token_program: anchor_spl::token::ID, decimals: 6, supply: 0 }));
    let super::declared::Endpoint::Venue { account: venue, .. } = document.declared.balances[0].sources[1].endpoint
    else {
        panic!("the example's second source is a venue");
    };
    let account = TokenAccount {
        address: venue,
        token_program: anchor_spl::token::ID,
        mint,
        owner: Pubkey::new_unique(),
        amount: 0,
        delegate: None,
        delegated_amount: 0,
        frozen: false,
        memo_required: false,
    };
    chain.token_accounts.insert(venue, Some(account));
    chain
}

#[test]
fn a_new_treasury_is_created_in_dependency_order() {
    let document = parse_text(EXAMPLE).unwrap();
    let plan = plan(&document.declared, &chain_with_mint(&document)).unwrap();
    assert!(plan.creates_treasury);
    assert_eq!(plan.authority, document.declared.treasury.authority);
    let steps: Vec<String> = plan.steps.iter().map(|s| format!("{} {}", s.action, s.object)).collect();
    let expected_prefixes = [
        "create treasury",
        "create pool 1",
        "create vault of pool 1",
        "create pool 2",
        "create vault of pool 2",
        "create managed balance 1",
        "link managed balance 1 \"hot wallet USDC\" source vault of pool 2",
        "link managed balance 1 \"hot wallet USDC\" source venue",
        "create spender",
    ];
    assert_eq!(steps.len(), expected_prefixes.len(), "{steps:#?}");
    for (step, prefix) in steps.iter().zip(expected_prefixes) {
        assert!(step.starts_with(prefix), "{step} should start with {prefix}");
    }
}

#[test]
fn a_missing_mint_or_venue_is_an_error_at_its_field() {
    let document = parse_text(EXAMPLE).unwrap();
    let errors = plan(&document.declared, &ChainState::default()).unwrap_err();
    let located = document.locate(errors);
    let fields: Vec<&str> = located.problems.iter().map(|p| p.field.as_str()).collect();
    assert!(fields.contains(&"pools[0].mints[0]"), "{located}");
    assert!(fields.contains(&"managed_balances[0].sources[1].venue"), "{located}");
    assert!(located.to_string().contains("does not exist on this cluster"));
}

/// The chain holding the example's treasury and managed balance 1 as declared, except
/// for a guardian and a `min` that differ, and the balance's sources not yet linked.
fn chain_with_existing_balance(document: &super::TreasuryDocument) -> ChainState {
    use smart_treasury::state::{AccountKind, FundingSource, ManagedBalance, MovedWindow, TransferFeeLimit, Treasury};
    let declared = &document.declared;
    let mut chain = chain_with_mint(document);
    let treasury_address = smart_treasury_client::pda::treasury_pda(&declared.treasury.create_key);
    let mut keepers = [Pubkey::default(); 8];
    keepers[..declared.treasury.keepers.len()].copy_from_slice(&declared.treasury.keepers);
    chain.treasury = Some(Treasury {
        layout_version: 1,
        bump: 255,
        create_key: declared.treasury.create_key,
        authority: declared.treasury.authority,
        pending_authority: None,
        guardian: Pubkey::new_unique(),
        paused: false,
        crank_access: declared.treasury.crank_access,
        keeper_count: declared.treasury.keepers.len() as u8,
        keepers,
        config_version: 7,
        managed_balances_created: 1,
        reserved: [0; 56],
    });
    let balance = &declared.balances[0];
    let (destination, destination_pool) =
        chain.resolve(&treasury_address, &balance.destination, &balance.mint).expect("the vault resolves");
    let managed = ManagedBalance {
        layout_version: 2,
        bump: 255,
        treasury: treasury_address,
        id: balance.id,
        name: smart_treasury::state::encode_name(&balance.name).unwrap(),
        mint: balance.mint,
        token_program: anchor_spl::token::ID,
        decimals: 6,
        destination,
        destination_kind: AccountKind::PoolVault,
        destination_pool,
        min: balance.thresholds.min - 1,
        target: balance.thresholds.target,
        max: balance.thresholds.max,
        enabled: balance.enabled,
        mode: balance.mode,
        automation: balance.automation,
        accepted_transfer_fee: TransferFeeLimit::default(),
        moved: MovedWindow::default(),
        last_automation_at: 0,
        last_automation_slot: 0,
        config_version: 1 << 32 | 3,
        source_count: 0,
        sources: [FundingSource::default(); 8],
        reserved: [0; 64],
    };
    let address = smart_treasury_client::pda::managed_balance_pda(&treasury_address, balance.id);
    chain.balances.insert(balance.id, (address, managed));
    chain
}

/// Each change to an existing treasury or balance carries the version it was planned
/// against, counting the plan's own earlier changes: a second proposal built on the
/// same state fails instead of interleaving.
#[test]
fn changes_to_existing_accounts_carry_the_version_they_were_planned_against() {
    use super::step::Guard;
    let document = parse_text(EXAMPLE).unwrap();
    let chain = chain_with_existing_balance(&document);
    let plan = plan(&document.declared, &chain).unwrap();
    let (address, _) = chain.balances[&1];
    let guarded: Vec<(String, Option<Guard>)> =
        plan.steps.iter().filter(|step| step.guard.is_some()).map(|step| (step.summary(), step.guard)).collect();
    let balance = |version| Some(Guard::Balance { managed_balance: address, version });
    let versions: Vec<Option<Guard>> = guarded.iter().map(|(_, guard)| *guard).collect();
    assert_eq!(
        versions,
        [Some(Guard::Treasury(7)), balance(1 << 32 | 3), balance(1 << 32 | 4), balance(1 << 32 | 5)],
        "{guarded:#?}"
    );
    assert!(guarded[0].0.starts_with("update treasury: guardian"), "{guarded:#?}");
    // Creations have nothing to guard.
    assert!(plan.steps.iter().filter(|step| step.action == "create").all(|step| step.guard.is_none()));

    // The guard goes first in the step's transaction.
    let step = plan.steps.iter().find(|step| step.guard == Some(Guard::Treasury(7))).unwrap();
    let change = step.to_change(&plan.treasury, &plan.authority, None);
    assert_eq!(change.instructions.len(), 2);
    assert_eq!(change.instructions[0], smart_treasury_client::ix::expect_treasury_version(plan.treasury, 7));
}
