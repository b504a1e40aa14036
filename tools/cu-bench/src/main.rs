//! Compute units of every Smart Treasury instruction, run on the SBF build
//! (target/deploy/smart_treasury.so, scripts/build-sbf) inside solana-program-test with the
//! real SPL Token program. Writes the table into docs/compute-units.md and fails when an
//! instruction breaks its budget. `scripts/bench-cu` builds the ELF and runs it.

use anchor_lang::prelude::Pubkey;
use anchor_spl::associated_token::get_associated_token_address_with_program_id;
use smart_treasury::{
    instructions::{CreateTreasuryArgs, LinkSourceArgs, SpenderLimits, UpdateSourceArgs},
    state::{BalanceMode, CrankAccess, TransferFeeLimit, Treasury},
};
use smart_treasury_tests::{
    default_automation, ix, managed_balance_args, Fixture, FixtureOptions, MintExtension, Movements, Outcome, MIN,
    TARGET, TOKEN_2022,
};
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::path::Path;

/// Every instruction stays well inside the default 200,000 a transaction gets per instruction.
const INSTRUCTION_BUDGET: u64 = 200_000;
/// A one-source top-up, and what each further source may add.
const TOP_UP_FIRST_SOURCE_BUDGET: u64 = 30_000;
const TOP_UP_PER_SOURCE_BUDGET: u64 = 12_000;

const MARK_START: &str = "<!-- cu-bench:start -->";
const MARK_END: &str = "<!-- cu-bench:end -->";

/// Runs of every scenario: instructions that derive a fresh address (`init` with a
/// canonical bump) cost 1,500 more units per bump tried, which depends on the random keys.
const TRIALS: usize = 5;

struct Row {
    instruction: &'static str,
    scenario: String,
    units: Vec<u64>,
}

impl Row {
    fn max(&self) -> u64 {
        *self.units.iter().max().expect("measured")
    }

    fn median(&self) -> u64 {
        let mut units = self.units.clone();
        units.sort_unstable();
        units[units.len() / 2]
    }
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    trial: usize,
}

impl Report {
    fn add(&mut self, instruction: &'static str, scenario: impl Into<String>, outcome: &Outcome) {
        let scenario = scenario.into();
        // `CU_BENCH_LOGS=1` shows where the units went (inner invocations, logs).
        if self.trial == 0 && std::env::var_os("CU_BENCH_LOGS").is_some() {
            println!("{instruction} ({scenario}): {}\n    {}", outcome.compute_units, outcome.logs.join("\n    "));
        }
        match self.rows.iter_mut().find(|row| row.instruction == instruction && row.scenario == scenario) {
            Some(row) => row.units.push(outcome.compute_units),
            None => self.rows.push(Row { instruction, scenario, units: vec![outcome.compute_units] }),
        }
    }

    fn worst(&self, instruction: &str, scenario: &str) -> u64 {
        self.rows
            .iter()
            .find(|row| row.instruction == instruction && row.scenario == scenario)
            .map(Row::max)
            .unwrap_or_else(|| panic!("no row {instruction} ({scenario})"))
    }
}

fn group(units: u64) -> String {
    let digits = units.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ok(result: Result<Outcome, smart_treasury_tests::Failure>, what: &str) -> Outcome {
    result.unwrap_or_else(|failure| panic!("{what} failed: {:?}\n{}", failure.error, failure.logs.join("\n")))
}

/// Adds pools 4..=8, each with a vault holding `funds`, linked at priorities 4..=8.
async fn link_five_more_sources(fx: &mut Fixture, funds: u64) {
    let payer = fx.rt.payer().pubkey();
    let authority = fx.authority.insecure_clone();
    for pool_id in 4..=8u16 {
        let pool = ix::pool_pda(&fx.treasury, pool_id);
        let vault = get_associated_token_address_with_program_id(&pool, &fx.mint, &fx.token_program);
        let link = LinkSourceArgs { priority: pool_id as u8, reserve_floor: 0, enabled: true, returns_allowed: false };
        fx.rt
            .ok(
                &[
                    ix::create_pool(payer, authority.pubkey(), fx.treasury, pool_id, &format!("reserve {pool_id}")),
                    ix::create_vault(payer, authority.pubkey(), fx.treasury, pool, fx.mint, fx.token_program),
                    ix::link_source(authority.pubkey(), fx.treasury, fx.managed_balance, vault, pool, link),
                ],
                &[&authority],
            )
            .await;
        fx.rt.mint_to(fx.mint, vault, funds).await;
    }
}

/// A threshold top-up from an empty hot vault to `TARGET` that draws `part` from each of
/// the first `TARGET / part` sources, naming exactly those.
async fn top_up_across(report: &mut Report, sources: usize, options: FixtureOptions, label: &str) {
    let mut fx = Fixture::with_options(options).await;
    let part = TARGET / sources as u64;
    assert_eq!(part * sources as u64, TARGET);
    link_five_more_sources(&mut fx, part).await;
    fx.set_vault_balance(fx.reserve_pool, fx.reserve_vault, part).await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.approve(fx.venue, &owner, fx.reserve_pool, part).await;
    fx.set_vault_balance(fx.backup_pool, fx.backup_vault, part).await;
    fx.drain_hot_to(0).await;
    let version = fx.config_version().await;
    let all = fx.enabled_sources().await;
    let outcome = ok(fx.crank_top_up(version, &all[..sources]).await, "top_up");
    assert_eq!(fx.balance(fx.hot_vault).await, TARGET);
    let plural = if sources == 1 { "" } else { "s" };
    report.add("top_up", format!("{sources} source{plural} drawn{label}"), &outcome);
}

async fn cranks(report: &mut Report) {
    for sources in [1, 4, 8] {
        top_up_across(report, sources, FixtureOptions::default(), "").await;
    }
    let token_2022 = FixtureOptions { token_program: TOKEN_2022, ..FixtureOptions::default() };
    top_up_across(report, 1, token_2022, ", Token-2022 mint").await;

    let mut fx = Fixture::new().await;
    fx.drain_hot_to(MIN - 1).await;
    let outcome = ok(fx.top_up().await, "top_up");
    report.add("top_up", "1 source drawn, all 3 linked sources passed", &outcome);

    // The first source closed by its owner: passed over, the next one drawn.
    let mut fx = Fixture::new().await;
    fx.set_source(fx.reserve_vault, 1, 0, false).await;
    fx.allow_returns(fx.venue, false).await;
    let owner = fx.venue_owner.insecure_clone();
    fx.rt.close_token_account(fx.venue, fx.sink, &owner).await;
    fx.drain_hot_to(MIN - 1).await;
    let outcome = ok(fx.top_up().await, "top_up");
    report.add("top_up", "1 source drawn after a closed venue, both passed", &outcome);

    let fee = MintExtension::TransferFee { bps: 100, max_fee: u64::MAX };
    let fee_mint =
        FixtureOptions { token_program: TOKEN_2022, mint_extensions: vec![fee], ..FixtureOptions::default() };
    let mut fx = Fixture::with_options(fee_mint).await;
    fx.drain_hot_to(MIN - 1).await;
    let first = fx.enabled_sources().await[..1].to_vec();
    let version = fx.config_version().await;
    let outcome = ok(fx.crank_top_up(version, &first).await, "top_up");
    report.add("top_up", "1 source drawn, Token-2022 mint with a transfer fee", &outcome);

    let mut fx = Fixture::new().await;
    fx.fill_hot_to(9_000_000).await;
    let first = fx.enabled_sources().await[..1].to_vec();
    let outcome = ok(fx.crank_sweep_with(&first).await, "sweep_excess");
    report.add("sweep_excess", "excess back to the primary source", &outcome);

    let mut fx = Fixture::new().await;
    fx.fill_hot_to(9_000_000).await;
    let outcome = ok(fx.crank_sweep().await, "sweep_excess");
    report.add("sweep_excess", "the same, all 3 linked sources passed", &outcome);

    for (local, direction) in [(30_000_000, "pull from the counterpart"), (46_000_000, "push to the counterpart")] {
        let mut fx = Fixture::new().await;
        fx.set_thresholds(0, 40_000_000, 100_000_000).await;
        fx.set_mode(BalanceMode::Ratio { ratio_bps: 4_000, band_bps: 500 }, default_automation()).await;
        fx.set_vault_balance(fx.hot_pool, fx.hot_vault, local).await;
        fx.set_vault_balance(fx.reserve_pool, fx.reserve_vault, 100_000_000 - local).await;
        let first = fx.enabled_sources().await[..1].to_vec();
        let outcome = ok(fx.crank_rebalance_with(&first).await, "rebalance_ratio");
        report.add("rebalance_ratio", direction, &outcome);
    }

    let mut fx = Fixture::new().await;
    fx.drain_hot_to(2_000_000).await;
    let outcome = ok(fx.manual_adjust(1_000_000).await, "adjust_balance");
    report.add("adjust_balance", "manual top-up from the first source", &outcome);
}

async fn treasury_admin(report: &mut Report) {
    let mut fx = Fixture::new().await;
    let payer = fx.rt.payer().pubkey();
    let authority = fx.authority.pubkey();
    let create_key = Keypair::new();
    let keepers: Vec<Pubkey> = (0..8).map(|_| Pubkey::new_unique()).collect();
    let args = CreateTreasuryArgs {
        authority,
        guardian: authority,
        crank_access: CrankAccess::Permissionless,
        keepers: vec![],
    };
    let outcome = fx.rt.ok(&[ix::create_treasury(payer, create_key.pubkey(), args)], &[&create_key]).await;
    report.add("create_treasury", "permissionless cranking", &outcome);

    let t = fx.treasury;
    let steps: Vec<(&'static str, &str, _)> = vec![
        ("set_guardian", "", ix::set_guardian(authority, t, Pubkey::new_unique())),
        (
            "set_crank_access",
            "allow-list of 8 keepers",
            ix::set_crank_access(authority, t, CrankAccess::AllowList, keepers),
        ),
        (
            "set_crank_access",
            "back to permissionless",
            ix::set_crank_access(authority, t, CrankAccess::Permissionless, vec![]),
        ),
        ("pause", "by the authority", ix::pause(authority, t)),
        ("unpause", "", ix::unpause(authority, t)),
    ];
    for (name, scenario, instruction) in steps {
        let outcome = ok(fx.as_authority(instruction).await, name);
        report.add(name, scenario, &outcome);
    }
    let treasury: Treasury = fx.rt.anchor_account(t).await;
    let guard = ix::expect_treasury_version(t, treasury.config_version);
    let outcome = fx.rt.ok(&[guard], &[]).await;
    report.add("expect_treasury_version", "alone in its transaction", &outcome);
    let successor = fx.rt.funded_keypair().await;
    let outcome = ok(fx.as_authority(ix::propose_authority(authority, t, Some(successor.pubkey()))).await, "propose");
    report.add("propose_authority", "", &outcome);
    let outcome = fx.rt.ok(&[ix::accept_authority(successor.pubkey(), t)], &[&successor]).await;
    report.add("accept_authority", "", &outcome);
}

async fn pools_and_spenders(report: &mut Report) {
    let mut fx = Fixture::new().await;
    let payer = fx.rt.payer().pubkey();
    let authority = fx.authority.pubkey();
    let pool = ix::pool_pda(&fx.treasury, 9);
    let outcome =
        ok(fx.as_authority(ix::create_pool(payer, authority, fx.treasury, 9, "operations")).await, "create_pool");
    report.add("create_pool", "", &outcome);
    let create_vault = ix::create_vault(payer, authority, fx.treasury, pool, fx.mint, fx.token_program);
    let outcome = ok(fx.as_authority(create_vault).await, "create_vault");
    report.add("create_vault", "SPL Token mint", &outcome);

    let depositor = fx.rt.funded_keypair().await;
    let from = fx.rt.create_token_account(fx.mint, depositor.pubkey(), fx.token_program).await;
    fx.rt.mint_to(fx.mint, from, 1_000_000).await;
    let hot = fx.vault_accounts(fx.hot_pool, fx.hot_vault);
    let outcome = fx.rt.ok(&[ix::deposit(depositor.pubkey(), from, hot, 1_000_000)], &[&depositor]).await;
    report.add("deposit", "", &outcome);
    let outcome = ok(fx.as_authority(ix::withdraw(authority, fx.sink, hot, 500_000)).await, "withdraw");
    report.add("withdraw", "", &outcome);

    let spender = fx.rt.funded_keypair().await;
    let limits = SpenderLimits { enabled: true, limit_per_period: 2_000_000, period_seconds: 86_400 };
    let add = ix::add_spender(payer, authority, fx.treasury, fx.hot_pool, fx.hot_vault, spender.pubkey(), limits);
    let outcome = ok(fx.as_authority(add).await, "add_spender");
    report.add("add_spender", "", &outcome);
    let account = ix::spender_pda(&fx.hot_vault, &spender.pubkey());
    let limits = SpenderLimits { limit_per_period: 3_000_000, ..limits };
    let outcome =
        ok(fx.as_authority(ix::update_spender(authority, fx.treasury, account, limits)).await, "update_spender");
    report.add("update_spender", "", &outcome);
    let outcome = fx.rt.ok(&[ix::spend(spender.pubkey(), fx.sink, hot, 1_000_000)], &[&spender]).await;
    report.add("spend", "", &outcome);
    let remove = ix::remove_spender(authority, fx.treasury, account, authority);
    let outcome = ok(fx.as_authority(remove).await, "remove_spender");
    report.add("remove_spender", "", &outcome);
}

async fn managed_balances(report: &mut Report) {
    let mut fx = Fixture::new().await;
    let payer = fx.rt.payer().pubkey();
    let a = fx.authority.pubkey();
    let (t, mb) = (fx.treasury, fx.managed_balance);

    let create = ix::create_managed_balance(
        payer,
        a,
        t,
        fx.backup_vault,
        fx.backup_pool,
        fx.mint,
        fx.token_program,
        managed_balance_args(2, "backup"),
    );
    let outcome = ok(fx.as_authority(create).await, "create_managed_balance");
    report.add("create_managed_balance", "", &outcome);

    let ratio = BalanceMode::Ratio { ratio_bps: 4_000, band_bps: 500 };
    let source = UpdateSourceArgs {
        token_account: fx.backup_vault,
        priority: 3,
        reserve_floor: 1_000,
        enabled: true,
        returns_allowed: false,
    };
    let extra = fx.rt.create_token_account(fx.mint, fx.backup_pool, fx.token_program).await;
    let link = LinkSourceArgs { priority: 4, reserve_floor: 0, enabled: true, returns_allowed: false };
    let version = fx.config_version().await;
    let accepted = TransferFeeLimit { basis_points: 50, maximum_fee: 1_000_000 };
    let outcome = fx.rt.ok(&[ix::expect_balance_version(t, mb, version)], &[]).await;
    report.add("expect_balance_version", "alone in its transaction", &outcome);
    let steps: Vec<(&'static str, &str, _)> = vec![
        ("update_thresholds", "", ix::update_thresholds(a, t, mb, 2_000_000, 6_000_000, 9_000_000)),
        ("update_settings", "to ratio mode", ix::update_settings(a, t, mb, ratio, default_automation())),
        ("set_enabled", "", ix::set_enabled(a, t, mb, false)),
        ("link_source", "a fourth source", ix::link_source(a, t, mb, extra, fx.backup_pool, link)),
        ("update_source", "", ix::update_source(a, t, mb, source)),
        ("unlink_source", "", ix::unlink_source(a, t, mb, extra)),
        ("set_accepted_transfer_fee", "", ix::set_accepted_transfer_fee(a, t, mb, accepted)),
        ("close_managed_balance", "", ix::close_managed_balance(a, t, mb, a)),
    ];
    for (name, scenario, instruction) in steps {
        let outcome = ok(fx.as_authority(instruction).await, name);
        report.add(name, scenario, &outcome);
    }
}

/// The SPL Token program's own cost for one `transfer_checked`, signed by the owner.
async fn token_floor(report: &mut Report) {
    let mut fx = Fixture::new().await;
    let owner = fx.rt.funded_keypair().await;
    let from = fx.rt.create_token_account(fx.mint, owner.pubkey(), fx.token_program).await;
    fx.rt.mint_to(fx.mint, from, 1_000_000).await;
    let transfer = anchor_spl::token_2022::spl_token_2022::instruction::transfer_checked(
        &fx.token_program,
        &from,
        &fx.mint,
        &fx.sink,
        &owner.pubkey(),
        &[],
        1_000,
        6,
    )
    .expect("transfer_checked");
    let outcome = fx.rt.ok(&[transfer], &[&owner]).await;
    report.add("(SPL Token)", "transfer_checked alone: the token-CPI floor", &outcome);
}

/// The medians of the table `doc` holds now, by instruction and scenario.
fn previous_table(doc: &str) -> Vec<((String, String), u64)> {
    let Some(body) = doc.split(MARK_START).nth(1).and_then(|rest| rest.split(MARK_END).next()) else {
        return Vec::new();
    };
    body.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let units = cells.get(3)?.replace(',', "").parse().ok()?;
            Some(((name.to_string(), cells[2].to_string()), units))
        })
        .collect()
}

fn table(report: &Report, previous: &[((String, String), u64)]) -> String {
    let mut out =
        String::from("| instruction | scenario | compute units | range | vs. before |\n|---|---|---:|---:|---:|\n");
    for row in &report.rows {
        let (low, high) = (row.units.iter().min().expect("measured"), row.max());
        let range = if low == &high { String::new() } else { format!("{}-{}", group(*low), group(high)) };
        let median = row.median();
        let before = previous.iter().find(|((name, scenario), _)| name == row.instruction && scenario == &row.scenario);
        let change = match before {
            Some((_, was)) => format!("{:+.1}%", (median as f64 - *was as f64) * 100.0 / *was as f64),
            None => "new".into(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {range} | {change} |\n",
            row.instruction,
            row.scenario,
            group(median)
        ));
    }
    out
}

/// The commit measured, `-dirty` when the work tree differs from it.
fn commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|status| !status.is_empty());
    if dirty {
        format!("{head}-dirty")
    } else {
        head
    }
}

fn write_doc(path: &Path, body: &str) {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let (Some(start), Some(end)) = (existing.find(MARK_START), existing.find(MARK_END)) else {
        panic!("{}: the markers {MARK_START} and {MARK_END} are missing", path.display());
    };
    let updated = format!("{}{MARK_START}\n{body}{}", &existing[..start], &existing[end..]);
    std::fs::write(path, updated).expect("write the report");
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root");
    let deploy = root.join("target/deploy");
    let elf = deploy.join("smart_treasury.so");
    let size =
        std::fs::metadata(&elf).unwrap_or_else(|e| panic!("{}: {e}; run scripts/build-sbf", elf.display())).len();
    // Before the runtime's threads start: the harness loads the ELF from here.
    std::env::set_var("SMART_TREASURY_SBF", &deploy);
    std::env::set_var("SBF_OUT_DIR", &deploy);
    std::env::remove_var("BPF_OUT_DIR");

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let mut report = Report::default();
    for trial in 0..TRIALS {
        report.trial = trial;
        eprintln!("trial {} of {TRIALS}", trial + 1);
        runtime.block_on(async {
            token_floor(&mut report).await;
            cranks(&mut report).await;
            treasury_admin(&mut report).await;
            pools_and_spenders(&mut report).await;
            managed_balances(&mut report).await;
        });
    }
    for row in &report.rows {
        println!("{:<24} {:>9}  {}", row.instruction, group(row.median()), row.scenario);
    }

    let mut failures = Vec::new();
    for row in &report.rows {
        if row.max() >= INSTRUCTION_BUDGET {
            failures.push(format!("{} ({}): {} >= {INSTRUCTION_BUDGET}", row.instruction, row.scenario, row.max()));
        }
    }
    let first = report.worst("top_up", "1 source drawn");
    if first > TOP_UP_FIRST_SOURCE_BUDGET {
        failures.push(format!("top_up with 1 source: {first} > {TOP_UP_FIRST_SOURCE_BUDGET}"));
    }
    let mut marginal = String::new();
    for sources in [4u64, 8] {
        let units = report.worst("top_up", &format!("{sources} sources drawn"));
        let per_source = units.saturating_sub(first) / (sources - 1);
        marginal.push_str(&format!(
            "- each source beyond the first, measured over {sources}: {} (budget {})\n",
            group(per_source),
            group(TOP_UP_PER_SOURCE_BUDGET)
        ));
        if per_source > TOP_UP_PER_SOURCE_BUDGET {
            failures
                .push(format!("top_up: {per_source} per further source over {sources} > {TOP_UP_PER_SOURCE_BUDGET}"));
        }
    }
    let floor = report.worst("(SPL Token)", "transfer_checked alone: the token-CPI floor");

    let doc = root.join("docs/compute-units.md");
    let previous = previous_table(&std::fs::read_to_string(&doc).unwrap_or_default());
    let body = format!(
        "Measured at commit `{}` on `target/deploy/smart_treasury.so` ({} bytes, SBPF v0) in solana-program-test \
         3.1.12 with the real SPL Token program: the units the runtime reports for a transaction holding just \
         that instruction, the median of {TRIALS} runs (the range where runs differ); \"vs. before\" compares \
         with the table this run replaced.\n\n{}\nTop-up budgets (worst run): the first source {} (budget {}), \
         then\n{}- SPL Token's own `transfer_checked`: {}\n",
        commit(&root),
        group(size),
        table(&report, &previous),
        group(first),
        group(TOP_UP_FIRST_SOURCE_BUDGET),
        marginal,
        group(floor),
    );
    write_doc(&doc, &body);
    println!("wrote {}", doc.display());
    if !failures.is_empty() {
        eprintln!("over budget:\n  {}", failures.join("\n  "));
        std::process::exit(1);
    }
}
