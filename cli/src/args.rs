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
}

#[derive(Debug, Subcommand)]
pub enum KeeperCommand {
    /// Run until Ctrl-C / SIGTERM. Settings come from --config, then the environment,
    /// then flags; --url, --keypair and --treasury are the global options.
    Run(KeeperRunArgs),
}

#[derive(Debug, Args)]
pub struct KeeperRunArgs {
    /// Keeper config file (TOML).
    #[arg(long, env = "SMART_TREASURY_KEEPER_CONFIG")]
    pub config: Option<PathBuf>,
    /// PubSub endpoint (default: beside --url, port + 1).
    #[arg(long, env = "SMART_TREASURY_WS_URL")]
    pub ws_url: Option<String>,
    /// The keeper's history (SQLite file).
    #[arg(long, env = "SMART_TREASURY_KEEPER_STORE")]
    pub store: Option<PathBuf>,
    /// Serve Prometheus metrics here, e.g. 127.0.0.1:9100.
    #[arg(long, env = "SMART_TREASURY_KEEPER_METRICS")]
    pub metrics_addr: Option<String>,
    /// processed, confirmed or finalized.
    #[arg(long, env = "SMART_TREASURY_KEEPER_COMMITMENT")]
    pub commitment: Option<String>,
    /// Milliseconds between watch-and-plan cycles.
    #[arg(long, env = "SMART_TREASURY_KEEPER_CYCLE_MS")]
    pub cycle_ms: Option<u64>,
    /// Seconds per forecast bucket (3600 = hourly).
    #[arg(long, env = "SMART_TREASURY_KEEPER_BUCKET_SECONDS")]
    pub bucket_seconds: Option<u64>,
    /// Act on a forecast breach this many seconds ahead.
    #[arg(long, env = "SMART_TREASURY_KEEPER_LEAD_SECONDS")]
    pub lead_seconds: Option<f64>,
    /// Refuse a crank whose fee would exceed this.
    #[arg(long, env = "SMART_TREASURY_KEEPER_MAX_FEE_LAMPORTS")]
    pub max_fee_lamports: Option<u64>,
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
    /// Below this, top up to target (base units).
    #[arg(long)]
    pub min: u64,
    /// What a top-up or a sweep restores (base units).
    #[arg(long)]
    pub target: u64,
    /// Above this, sweep back to target (base units).
    #[arg(long)]
    pub max: u64,
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
    /// What automation may move per period, in base units [create default: max].
    #[arg(long)]
    pub period_cap: Option<u64>,
    /// Forecast top-ups are allowed below min + band * (target - min) [create default: 0].
    #[arg(long)]
    pub forecast_band_bps: Option<u16>,
}

#[derive(Debug, Args)]
pub struct BalanceUpdateArgs {
    /// The managed balance's id.
    #[arg(long)]
    pub id: u32,
    /// New min (base units).
    #[arg(long)]
    pub min: Option<u64>,
    /// New target (base units).
    #[arg(long)]
    pub target: Option<u64>,
    /// New max (base units).
    #[arg(long)]
    pub max: Option<u64>,
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
    /// Never drawn below this, in base units.
    #[arg(long, default_value_t = 0)]
    pub floor: u64,
    /// Link it disabled.
    #[arg(long)]
    pub disabled: bool,
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
    /// Base units to add (capped at max).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub amount: u64,
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
