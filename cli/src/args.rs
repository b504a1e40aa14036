//! Command line: global options (flags, or the environment) and one subcommand per
//! operator task.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "smart-treasury", version, about = "Operate a Smart Treasury: inspect it, change it, migrate it")]
// A flag given twice takes its last value, so a script can override an earlier default.
#[command(args_override_self = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// JSON-RPC endpoint of the cluster.
    #[arg(long, global = true, env = "SMART_TREASURY_URL", default_value = "http://127.0.0.1:8899")]
    pub url: String,
    /// The authority's keypair file (Solana CLI JSON); it signs and pays for changes.
    #[arg(long, global = true, env = "SMART_TREASURY_KEYPAIR", default_value = "~/.config/solana/id.json")]
    pub keypair: PathBuf,
    /// The treasury's address.
    #[arg(long, global = true, env = "SMART_TREASURY_TREASURY")]
    pub treasury: Option<String>,
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print each change as an unsigned transaction (base64) for the authority to sign,
    /// e.g. in a DAO or multisig proposal, instead of signing and sending it.
    #[arg(long, global = true)]
    pub export: bool,
    /// With --export: the signer to build for (default: the treasury's authority).
    #[arg(long, global = true, requires = "export")]
    pub authority: Option<String>,
    /// Amounts in flags and tables are base units (integers) instead of token units
    /// ("1250.5" of the mint).
    #[arg(long, global = true)]
    pub base_units: bool,
    /// Which global options were given rather than defaulted.
    #[arg(skip)]
    pub given: Given,
}

/// Global options given on the command line or in the environment, as opposed to
/// their defaults: a given `--url` overrides a keeper config file even when it equals
/// the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Given {
    /// `--url` or SMART_TREASURY_URL.
    pub url: bool,
    /// `--keypair` on the command line (SMART_TREASURY_KEYPAIR does not count: the
    /// environment may hold it for other commands).
    pub keypair_flag: bool,
}

impl Cli {
    /// Parses a command line (program name first), noting which global options were
    /// given.
    pub fn try_parse_given<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{parser::ValueSource, CommandFactory, FromArgMatches};
        let matches = Self::command().try_get_matches_from(args)?;
        let mut cli = Self::from_arg_matches(&matches)?;
        let source = |id: &str| matches.value_source(id);
        cli.global.given = Given {
            url: matches!(source("url"), Some(ValueSource::CommandLine | ValueSource::EnvVariable)),
            keypair_flag: source("keypair") == Some(ValueSource::CommandLine),
        };
        Ok(cli)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an embedded local cluster with the program loaded.
    LocalCluster(LocalClusterArgs),
    /// The treasury itself.
    #[command(subcommand)]
    Treasury(TreasuryCommand),
    /// Managed balances.
    #[command(subcommand)]
    Balance(BalanceCommand),
    /// Funding sources of a managed balance.
    #[command(subcommand)]
    Source(SourceCommand),
    /// The authority's manual top-up of a managed balance, drawn from its sources in
    /// priority order and capped at max.
    TopUp(TopUpArgs),
    /// Stop all cranks and spender payouts (the guardian or the authority).
    Pause,
    /// Resume (the authority).
    Unpause,
    /// Declarative treasury files.
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// The keeper: watches managed balances, forecasts outflows, cranks what they need.
    #[command(subcommand)]
    Keeper(KeeperCommand),
    /// The operator API (and webhooks) without cranking: watches and records like a
    /// keeper, sends no transaction of its own. Takes `keeper run`'s settings.
    Serve(KeeperRunArgs),
    /// Make a bearer token for the API: prints the token (give it to the client) and the
    /// config lines with its hash (put them in the server's config).
    ApiToken(ApiTokenArgs),
}

#[derive(Debug, Args)]
pub struct ApiTokenArgs {
    /// What the token is for, as the server's logs name it.
    #[arg(long, default_value = "operator")]
    pub name: String,
    /// `read` (GET only) or `write` (everything).
    #[arg(long, default_value = "read", value_parser = ["read", "write"])]
    pub scope: String,
}

#[derive(Debug, Subcommand)]
pub enum KeeperCommand {
    /// Run until Ctrl-C / SIGTERM. Settings come from --config, then the environment,
    /// then flags; --url and --treasury are the global options. The keeper signs with
    /// its own key (--keeper-keypair), never the authority's --keypair.
    Run(KeeperRunArgs),
}

#[derive(Debug, Args)]
pub struct KeeperRunArgs {
    /// Keeper config file (TOML); keeper/keeper.example.toml documents every field.
    #[arg(long, env = "SMART_TREASURY_KEEPER_CONFIG")]
    pub config: Option<PathBuf>,
    // Boxed: every keeper setting makes this the largest command by far.
    #[command(flatten)]
    pub settings: Box<smart_treasury_keeper::config::FileConfig>,
    /// Serve the operator API here (host:port), or `off` [default: 127.0.0.1:8080].
    #[arg(long, env = "SMART_TREASURY_KEEPER_API_ADDR")]
    pub api_addr: Option<String>,
    /// The authority's keypair, for API changes with changeMode=sign (the default mode
    /// then).
    #[arg(long, env = "SMART_TREASURY_KEEPER_API_AUTHORITY_KEYPAIR")]
    pub api_authority_keypair: Option<PathBuf>,
    /// Watch, record and serve the API, but never crank (what `serve` does), so one API
    /// server and separate cranking keepers can share a treasury.
    #[arg(long)]
    pub no_crank: bool,
}

#[derive(Debug, Args)]
pub struct LocalClusterArgs {
    /// JSON-RPC port (0 picks a free one).
    #[arg(long, default_value_t = 8899)]
    pub rpc_port: u16,
    /// PubSub (WebSocket) port (0 picks a free one).
    #[arg(long, default_value_t = 8900)]
    pub ws_port: u16,
    /// Slot duration in milliseconds.
    #[arg(long, default_value_t = 400, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub slot_ms: u64,
    /// Build a demo treasury: pools, vaults, a venue, managed balances, a spender.
    #[arg(long)]
    pub demo: bool,
    /// Pay synthetic customer withdrawals out of the demo hot wallet (implies --demo).
    #[arg(long)]
    pub workload: bool,
    /// Run a keeper against the demo treasury and show what it does (implies --demo).
    #[arg(long)]
    pub keeper: bool,
    /// Where the demo writes its keypairs and treasury file.
    #[arg(long, default_value = "local-cluster-demo")]
    pub demo_dir: PathBuf,
    /// Real minutes per simulated day of the workload.
    #[arg(long, default_value_t = 10.0, value_parser = positive_minutes)]
    pub day_minutes: f64,
    /// Seed of the workload (the same seed gives the same withdrawals).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// With --keeper: the operator API's port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub api_port: u16,
}

/// An amount as typed: digits with at most one decimal point. Its value depends on the
/// mint's decimals (or --base-units), read once the mint is known.
fn amount(text: &str) -> Result<String, String> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
        return Err(format!("`{text}` is not an amount: write digits with at most one decimal point, e.g. 1250.5"));
    }
    Ok(text.to_string())
}

fn positive_minutes(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(minutes) if minutes.is_finite() && minutes > 0.0 => Ok(minutes),
        _ => Err(format!("`{text}` is not a positive number of minutes")),
    }
}

#[derive(Debug, Subcommand)]
pub enum TreasuryCommand {
    /// Authority, guardian, pause, crank access and pools.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum BalanceCommand {
    /// Every managed balance: balance, band, health and sources.
    List,
    /// Start managing a pool vault or a venue account.
    Create(BalanceCreateArgs),
    /// Change thresholds, mode or automation limits (unset values stay as they are).
    Update(BalanceUpdateArgs),
    /// Turn automation on.
    Enable(BalanceId),
    /// Turn automation off.
    Disable(BalanceId),
}

#[derive(Debug, Args)]
pub struct BalanceId {
    /// The managed balance's id.
    #[arg(long)]
    pub id: u32,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Mode {
    Threshold,
    Ratio,
}

#[derive(Debug, Args)]
pub struct BalanceCreateArgs {
    /// The new managed balance's id, unique in the treasury.
    #[arg(long)]
    pub id: u32,
    /// What operators see (1 to 32 bytes).
    #[arg(long)]
    pub name: String,
    /// The mint it holds.
    #[arg(long)]
    pub mint: String,
    /// The pool whose vault it is, or that is delegate of the venue.
    #[arg(long)]
    pub pool: u16,
    /// A venue token account instead of the pool's vault.
    #[arg(long)]
    pub venue: Option<String>,
    /// Below this, top up to target (token units, e.g. 2000 or 1999.5).
    #[arg(long, value_parser = amount)]
    pub min: String,
    /// What a top-up or a sweep restores (token units).
    #[arg(long, value_parser = amount)]
    pub target: String,
    /// Above this, sweep back to target (token units).
    #[arg(long, value_parser = amount)]
    pub max: String,
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Create it with automation off.
    #[arg(long)]
    pub disabled: bool,
}

/// Mode and automation limits; on create, unset ones take these defaults.
#[derive(Debug, Args, Clone, Default)]
pub struct SettingsArgs {
    /// threshold: keep between min and max; ratio: keep a share of the total with the
    /// priority-1 source.
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// Ratio mode: the share to keep, in basis points.
    #[arg(long)]
    pub ratio_bps: Option<u16>,
    /// Ratio mode: the drift that triggers a rebalance, in basis points of the total.
    #[arg(long)]
    pub band_bps: Option<u16>,
    /// Seconds between automatic movements [create default: 60].
    #[arg(long)]
    pub cooldown_seconds: Option<u32>,
    /// Length of the rate-limit period [create default: 86400].
    #[arg(long)]
    pub period_seconds: Option<u32>,
    /// What automation may move per period, in token units [create default: max].
    #[arg(long, value_parser = amount)]
    pub period_cap: Option<String>,
    /// Forecast top-ups are allowed below min + band * (target - min) [create default: 0].
    #[arg(long)]
    pub forecast_band_bps: Option<u16>,
}

#[derive(Debug, Args)]
pub struct BalanceUpdateArgs {
    /// The managed balance's id.
    #[arg(long)]
    pub id: u32,
    /// New min (token units).
    #[arg(long, value_parser = amount)]
    pub min: Option<String>,
    /// New target (token units).
    #[arg(long, value_parser = amount)]
    pub target: Option<String>,
    /// New max (token units).
    #[arg(long, value_parser = amount)]
    pub max: Option<String>,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Link a funding source: a pool's vault, or a venue that delegated to the pool.
    Link(SourceLinkArgs),
    /// Unlink a funding source.
    Unlink(SourceUnlinkArgs),
}

#[derive(Debug, Args)]
pub struct SourceLinkArgs {
    /// The managed balance's id.
    #[arg(long)]
    pub balance: u32,
    /// The pool whose vault it is, or that is delegate of the venue.
    #[arg(long)]
    pub pool: u16,
    /// A venue token account instead of the pool's vault.
    #[arg(long)]
    pub venue: Option<String>,
    /// 1 is drawn first.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..))]
    pub priority: u8,
    /// Never drawn below this (token units).
    #[arg(long, default_value = "0", value_parser = amount)]
    pub floor: String,
    /// Link it disabled.
    #[arg(long)]
    pub disabled: bool,
    /// Let a venue take returned funds (sweeps above max, ratio pushes). A pool's vault
    /// always may; a venue, someone else's account, only with this.
    #[arg(long)]
    pub allow_returns: bool,
}

#[derive(Debug, Args)]
pub struct SourceUnlinkArgs {
    /// The managed balance's id.
    #[arg(long)]
    pub balance: u32,
    /// The linked token account.
    #[arg(long)]
    pub account: String,
}

#[derive(Debug, Args)]
pub struct TopUpArgs {
    /// The managed balance's id.
    #[arg(long)]
    pub balance: u32,
    /// What to add, in token units (capped at max).
    #[arg(long, value_parser = amount)]
    pub amount: String,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Show what applying the file would create or change.
    Plan(MigrateArgs),
    /// Sign the plan's steps with --keypair (the authority) and send them in order.
    Apply(MigrateArgs),
    /// Write the plan's steps as unsigned transactions, one per line, in order.
    Export(MigrateExportArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The treasury file (TOML).
    #[arg(long, short = 'f')]
    pub file: PathBuf,
    /// Keypair of the file's create_key: needed only to create the treasury.
    #[arg(long)]
    pub create_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MigrateExportArgs {
    #[command(flatten)]
    pub migrate: MigrateArgs,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// `SMART_TREASURY_` and the option's name for global options and the commands'
    /// own; `SMART_TREASURY_KEEPER_` and the setting's name for `keeper run` and `serve`
    /// (which takes the same settings).
    fn expected_env(prefix: &str, long: &str) -> String {
        let name = long.to_uppercase().replace('-', "_");
        let name = name.strip_prefix("KEEPER_").unwrap_or(&name);
        format!("{prefix}{name}")
    }

    fn check(command: &clap::Command, prefix: &str, checked: &mut usize) {
        for arg in command.get_arguments() {
            let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) else { continue };
            let scheme = if arg.is_global_set() { "SMART_TREASURY_" } else { prefix };
            assert_eq!(env.to_str(), Some(expected_env(scheme, long).as_str()), "the variable of --{long}");
            *checked += 1;
        }
        for sub in command.get_subcommands() {
            let keeper_settings = command.get_name() == "keeper" || sub.get_name() == "serve";
            let prefix = if keeper_settings { "SMART_TREASURY_KEEPER_" } else { prefix };
            check(sub, prefix, checked);
        }
    }

    #[test]
    fn environment_variables_follow_one_scheme() {
        let mut checked = 0;
        check(&Cli::command(), "SMART_TREASURY_", &mut checked);
        assert!(checked >= 20, "only {checked} variables seen");
        let keeper_run = Cli::command().find_subcommand("keeper").and_then(|k| k.find_subcommand("run")).cloned();
        let keeper_run = keeper_run.expect("keeper run");
        for field in ["ws_url", "cycle_ms", "metrics_addr", "keeper_keypair", "retry_after_s"] {
            let arg = keeper_run.get_arguments().find(|arg| arg.get_id() == field).expect(field);
            assert!(arg.get_env().is_some(), "{field} has a variable");
        }
    }

    #[test]
    fn a_given_url_is_told_apart_from_the_default() {
        let parse = |args: &[&str]| Cli::try_parse_given(args).expect("parses").global;
        // The demo tells people to export SMART_TREASURY_URL, which gives it too.
        if std::env::var_os("SMART_TREASURY_URL").is_none() {
            let defaulted = parse(&["smart-treasury", "treasury", "show"]);
            assert_eq!(defaulted.url, "http://127.0.0.1:8899");
            assert!(!defaulted.given.url);
        }
        let given = parse(&["smart-treasury", "--url", "http://127.0.0.1:8899", "treasury", "show"]);
        assert!(given.given.url, "an explicit value equal to the default is still given");
        let after =
            parse(&["smart-treasury", "keeper", "run", "--url", "http://127.0.0.1:8899", "--keypair", "k.json"]);
        assert_eq!(after.given, Given { url: true, keypair_flag: true }, "global options after the subcommand");
    }
}
