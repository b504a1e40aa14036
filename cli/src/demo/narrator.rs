//! One line in words for every movement the program makes, built from its events as the
//! shared decoder reads them: "hot wallet USDC fell below min 2,000 USDC (1,950 USDC):
//! topped up 3,050 USDC from reserve". It follows the treasury's transactions on chain,
//! so it tells what happened whoever cranked, not what a keeper meant to do.

use anchor_lang::prelude::Pubkey;
use smart_treasury::{
    events::{ExcessSwept, MovementReason, RatioRebalanced, SourceMovement, ToppedUp},
    state::{decode_name, AccountKind, BalanceMode, ManagedBalance},
};
use smart_treasury_client::{
    events::{self, ProgramEvent},
    read, TokenAmount,
};
use solana_rpc_client::{nonblocking::rpc_client::RpcClient, rpc_client::GetConfirmedSignaturesForAddress2Config};
use solana_signature::Signature;
use std::{collections::HashMap, str::FromStr, time::Duration};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// How often the treasury's new transactions are read.
const POLL: Duration = Duration::from_secs(1);
/// Reads of a just-confirmed transaction before giving up on it (a node may need a
/// moment to serve it).
const FETCH_ATTEMPTS: u32 = 10;

/// What the narrator knows of the treasury, to name what its events mention.
#[derive(Default)]
pub struct Names {
    balances: HashMap<Pubkey, ManagedBalance>,
    pools: HashMap<Pubkey, String>,
}

impl Names {
    pub async fn read(rpc: &RpcClient, treasury: &Pubkey) -> Result<Self, read::ReadError> {
        let balances = read::managed_balances(rpc, treasury).await?.into_iter().collect();
        let pools =
            read::pools(rpc, treasury).await?.into_iter().map(|(address, pool)| (address, name(&pool.name))).collect();
        Ok(Self { balances, pools })
    }

    pub fn new(balances: HashMap<Pubkey, ManagedBalance>, pools: HashMap<Pubkey, String>) -> Self {
        Self { balances, pools }
    }

    fn knows(&self, managed_balance: &Pubkey) -> bool {
        self.balances.contains_key(managed_balance)
    }

    /// A token account by what it is to the treasury: a pool's vault by the pool's name,
    /// an account some managed balance keeps by that balance's name.
    fn account(&self, managed: &ManagedBalance, account: &Pubkey) -> String {
        if let Some(kept) = self.balances.values().find(|other| other.destination == *account) {
            return name(&kept.name);
        }
        let source = managed.linked_sources().iter().find(|source| source.token_account == *account);
        match source {
            Some(source) if source.kind == AccountKind::PoolVault => {
                self.pools.get(&source.pool).cloned().unwrap_or_else(|| short(account))
            }
            _ => format!("account {}", short(account)),
        }
    }
}

fn name(stored: &[u8; 32]) -> String {
    decode_name(stored).to_string()
}

fn short(address: &Pubkey) -> String {
    let text = address.to_string();
    format!("{}…", &text[..6])
}

/// Amounts in one mint's token units, with its symbol.
struct Units<'a> {
    decimals: u8,
    symbol: &'a str,
}

impl Units<'_> {
    fn show(&self, base_units: u64) -> String {
        format!("{} {}", TokenAmount::new(base_units, self.decimals).grouped(), self.symbol)
    }
}

/// The line for one event, or `None` for events that move nothing worth a line (payouts,
/// settings) or that name a managed balance `names` does not know.
pub fn explain(event: &ProgramEvent, names: &Names, symbol: &str) -> Option<String> {
    match event {
        ProgramEvent::ToppedUp(event) => topped_up(event, names, symbol),
        ProgramEvent::RatioRebalanced(event) => rebalanced(event, names, symbol),
        ProgramEvent::ExcessSwept(event) => swept(event, names, symbol),
        _ => None,
    }
}

fn topped_up(event: &ToppedUp, names: &Names, symbol: &str) -> Option<String> {
    let managed = names.balances.get(&event.managed_balance)?;
    let units = Units { decimals: managed.decimals, symbol };
    let who = name(&managed.name);
    let (min, before, got) = (units.show(managed.min), units.show(event.balance_before), units.show(event.received));
    let from = sources(&event.sources, managed, names, &units);
    let mut line = match event.reason {
        MovementReason::Threshold => format!("{who} fell below min {min} ({before}): topped up {got} from {from}"),
        MovementReason::Forecast => {
            format!("{who} is forecast to fall below min {min} soon ({before} now): topped up {got} early from {from}")
        }
        _ => format!("{who} ({before}): the authority topped up {got} from {from}"),
    };
    if event.shortfall > 0 {
        line.push_str(&format!(
            "; {} short, every source at its floor or allowance (a partial top-up)",
            units.show(event.shortfall)
        ));
    }
    Some(line)
}

/// "reserve", or "reserve 2,700 USDC (now at its floor), then venue USDC 2,290 USDC".
fn sources(moved: &[SourceMovement], managed: &ManagedBalance, names: &Names, units: &Units<'_>) -> String {
    let gave: Vec<&SourceMovement> = moved.iter().filter(|source| source.sent > 0).collect();
    if let [only] = gave.as_slice() {
        return names.account(managed, &only.source);
    }
    let parts: Vec<String> = gave
        .iter()
        .map(|source| {
            let floor = managed
                .linked_sources()
                .iter()
                .find(|linked| linked.token_account == source.source)
                .map(|linked| linked.reserve_floor);
            let at_floor = if floor == Some(source.source_after) { " (now at its floor)" } else { "" };
            format!("{} {}{at_floor}", names.account(managed, &source.source), units.show(source.sent))
        })
        .collect();
    parts.join(", then ")
}

fn rebalanced(event: &RatioRebalanced, names: &Names, symbol: &str) -> Option<String> {
    let managed = names.balances.get(&event.managed_balance)?;
    let BalanceMode::Ratio { ratio_bps, band_bps } = managed.mode else { return None };
    let units = Units { decimals: managed.decimals, symbol };
    let who = name(&managed.name);
    let counterpart = names.account(managed, &event.counterpart);
    let total = u128::from(event.local_before) + u128::from(event.counterpart_before);
    let share = if total == 0 { 0.0 } else { event.local_before as f64 * 100.0 / total as f64 };
    let direction = if event.to_local { "from" } else { "to" };
    Some(format!(
        "{who} drifted to {}% of {who} + {counterpart} (target {}% ± {}%): moved {} {direction} {counterpart}",
        percent(share),
        percent(f64::from(ratio_bps) / 100.0),
        percent(f64::from(band_bps) / 100.0),
        units.show(event.received),
    ))
}

fn swept(event: &ExcessSwept, names: &Names, symbol: &str) -> Option<String> {
    let managed = names.balances.get(&event.managed_balance)?;
    let units = Units { decimals: managed.decimals, symbol };
    Some(format!(
        "{} rose above max {} ({}): swept {} back to {}",
        name(&managed.name),
        units.show(managed.max),
        units.show(event.balance_before),
        units.show(event.received),
        names.account(managed, &event.source),
    ))
}

/// `40`, `16.7`: one decimal, none when whole.
fn percent(value: f64) -> String {
    let rounded = format!("{value:.1}");
    rounded.strip_suffix(".0").map(str::to_string).unwrap_or(rounded)
}

/// The time a line is told, as the reader sees time (the demo's simulated clock).
pub type Clock = Box<dyn Fn() -> String + Send + Sync>;

/// Follows the treasury's transactions from now on and sends a line for each movement
/// until `stop` fires.
pub async fn run(
    rpc: &RpcClient,
    treasury: Pubkey,
    symbol: &str,
    clock: Clock,
    lines: UnboundedSender<String>,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let mut names = Names::read(rpc, &treasury).await?;
    let mut cursor = newest(rpc, &treasury).await?;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            _ = tokio::time::sleep(POLL) => {}
        }
        let fresh = match since(rpc, &treasury, cursor).await {
            Ok(fresh) => fresh,
            Err(error) => {
                tracing::warn!(%error, "narrator: cannot read the treasury's transactions; trying again");
                continue;
            }
        };
        for (signature, succeeded) in fresh {
            cursor = Some(signature);
            if !succeeded {
                continue;
            }
            let Some(transaction) = fetch(rpc, &signature).await else { continue };
            for (_, event) in transaction.decoded() {
                let unknown = event.managed_balance().is_some_and(|address| !names.knows(&address));
                if unknown {
                    names = Names::read(rpc, &treasury).await.unwrap_or(names);
                }
                if let Some(line) = explain(event, &names, symbol) {
                    let _ = lines.send(format!("{}  {line}", clock()));
                }
            }
        }
    }
}

async fn newest(rpc: &RpcClient, treasury: &Pubkey) -> anyhow::Result<Option<Signature>> {
    let config = GetConfirmedSignaturesForAddress2Config {
        limit: Some(1),
        commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
        ..Default::default()
    };
    let latest = rpc.get_signatures_for_address_with_config(treasury, config).await?;
    Ok(latest.first().and_then(|entry| Signature::from_str(&entry.signature).ok()))
}

/// The treasury's transactions after `cursor`, oldest first, and whether each succeeded.
async fn since(
    rpc: &RpcClient,
    treasury: &Pubkey,
    cursor: Option<Signature>,
) -> anyhow::Result<Vec<(Signature, bool)>> {
    let config = GetConfirmedSignaturesForAddress2Config {
        until: cursor,
        commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
        ..Default::default()
    };
    let entries = rpc.get_signatures_for_address_with_config(treasury, config).await?;
    Ok(entries
        .iter()
        .rev()
        .filter_map(|entry| {
            Signature::from_str(&entry.signature).ok().map(|signature| (signature, entry.err.is_none()))
        })
        .collect())
}

async fn fetch(rpc: &RpcClient, signature: &Signature) -> Option<events::TransactionEvents> {
    for _ in 0..FETCH_ATTEMPTS {
        match events::fetch(rpc, &signature.to_string()).await {
            Ok(Some(transaction)) => return Some(transaction),
            Ok(None) | Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    tracing::warn!(%signature, "narrator: could not read a transaction of the treasury");
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::{AccountDeserialize, Discriminator, Space};
    use smart_treasury::state::{encode_name, FundingSource};

    const USDC: u64 = 1_000_000;

    fn managed(name: &str, destination: Pubkey, mode: BalanceMode, sources: &[FundingSource]) -> ManagedBalance {
        let mut data = vec![0u8; 8 + ManagedBalance::INIT_SPACE];
        data[..8].copy_from_slice(ManagedBalance::DISCRIMINATOR);
        let mut managed = ManagedBalance::try_deserialize(&mut data.as_slice()).expect("a zeroed balance decodes");
        managed.name = encode_name(name).unwrap();
        managed.decimals = 6;
        managed.destination = destination;
        (managed.min, managed.target, managed.max) = (2_000 * USDC, 5_000 * USDC, 8_000 * USDC);
        managed.mode = mode;
        managed.source_count = sources.len() as u8;
        managed.sources[..sources.len()].copy_from_slice(sources);
        managed
    }

    struct Demo {
        names: Names,
        hot: Pubkey,
        venue_balance: Pubkey,
        reserve_vault: Pubkey,
        venue_account: Pubkey,
    }

    fn demo() -> Demo {
        let (hot, venue_balance, reserve_pool) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let (reserve_vault, venue_account) = (Pubkey::new_unique(), Pubkey::new_unique());
        let source = |token_account, kind, priority, reserve_floor| FundingSource {
            token_account,
            pool: reserve_pool,
            kind,
            priority,
            enabled: true,
            reserve_floor,
            ..FundingSource::default()
        };
        let hot_sources = [
            source(reserve_vault, AccountKind::PoolVault, 1, 100_000 * USDC),
            source(venue_account, AccountKind::Venue, 2, 0),
        ];
        let ratio = BalanceMode::Ratio { ratio_bps: 4_000, band_bps: 500 };
        let balances = HashMap::from([
            (hot, managed("hot wallet USDC", Pubkey::new_unique(), BalanceMode::Threshold, &hot_sources)),
            (
                venue_balance,
                managed("venue USDC", venue_account, ratio, &[source(reserve_vault, AccountKind::PoolVault, 1, 0)]),
            ),
        ]);
        let names = Names::new(balances, HashMap::from([(reserve_pool, "reserve".to_string())]));
        Demo { names, hot, venue_balance, reserve_vault, venue_account }
    }

    fn top_up(
        demo: &Demo,
        reason: MovementReason,
        before: u64,
        sources: Vec<SourceMovement>,
        shortfall: u64,
    ) -> ProgramEvent {
        let received: u64 = sources.iter().map(|source| source.sent).sum();
        ProgramEvent::ToppedUp(ToppedUp {
            treasury: Pubkey::new_unique(),
            managed_balance: demo.hot,
            reason,
            balance_before: before,
            balance_after: before + received,
            needed: 5_000 * USDC - before,
            allowed: 5_000 * USDC - before,
            received,
            shortfall,
            sources,
            config_version: 1,
            slot: 10,
            unix_timestamp: 0,
        })
    }

    fn moved(source: Pubkey, sent: u64, before: u64) -> SourceMovement {
        SourceMovement { source, sent, source_before: before, source_after: before - sent }
    }

    #[test]
    fn top_ups_say_why_how_much_and_from_where_in_token_units() {
        let demo = demo();
        let threshold = top_up(
            &demo,
            MovementReason::Threshold,
            1_950 * USDC,
            vec![moved(demo.reserve_vault, 3_050 * USDC, 150_000 * USDC)],
            0,
        );
        assert_eq!(
            explain(&threshold, &demo.names, "USDC").unwrap(),
            "hot wallet USDC fell below min 2,000 USDC (1,950 USDC): topped up 3,050 USDC from reserve"
        );
        let forecast = top_up(
            &demo,
            MovementReason::Forecast,
            3_460_690_000,
            vec![moved(demo.reserve_vault, 1_539_310_000, 140_000 * USDC)],
            0,
        );
        assert_eq!(
            explain(&forecast, &demo.names, "USDC").unwrap(),
            "hot wallet USDC is forecast to fall below min 2,000 USDC soon (3,460.69 USDC now): topped up 1,539.31 USDC \
             early from reserve"
        );
        // The reserve gives down to its floor, the venue the rest.
        let fallback = top_up(
            &demo,
            MovementReason::Threshold,
            12_050_000,
            vec![
                moved(demo.reserve_vault, 3_317_440_000, 103_317_440_000),
                moved(demo.venue_account, 1_670_510_000, 70_000 * USDC),
            ],
            0,
        );
        assert_eq!(
            explain(&fallback, &demo.names, "USDC").unwrap(),
            "hot wallet USDC fell below min 2,000 USDC (12.05 USDC): topped up 4,987.95 USDC from reserve 3,317.44 USDC \
             (now at its floor), then venue USDC 1,670.51 USDC"
        );
        let partial = top_up(
            &demo,
            MovementReason::Threshold,
            0,
            vec![moved(demo.venue_account, 1_000 * USDC, 1_000 * USDC)],
            4_000 * USDC,
        );
        let line = explain(&partial, &demo.names, "USDC").unwrap();
        assert!(
            line.ends_with(
                "from venue USDC; 4,000 USDC short, every source at its floor or allowance (a partial top-up)"
            ),
            "{line}"
        );
    }

    #[test]
    fn a_rebalance_tells_the_drift_against_the_target_and_band() {
        let demo = demo();
        let event = ProgramEvent::RatioRebalanced(RatioRebalanced {
            treasury: Pubkey::new_unique(),
            managed_balance: demo.venue_balance,
            counterpart: demo.reserve_vault,
            to_local: true,
            sent: 30_000 * USDC,
            received: 30_000 * USDC,
            local_before: 50_000 * USDC,
            local_after: 80_000 * USDC,
            counterpart_before: 150_000 * USDC,
            counterpart_after: 120_000 * USDC,
            config_version: 1,
            slot: 10,
            unix_timestamp: 0,
        });
        assert_eq!(
            explain(&event, &demo.names, "USDC").unwrap(),
            "venue USDC drifted to 25% of venue USDC + reserve (target 40% ± 5%): moved 30,000 USDC from reserve"
        );
        assert_eq!(percent(16.6666), "16.7");
    }

    #[test]
    fn events_of_unknown_balances_and_payouts_get_no_line() {
        let demo = demo();
        let mut stranger = top_up(&demo, MovementReason::Threshold, 0, vec![], 0);
        if let ProgramEvent::ToppedUp(event) = &mut stranger {
            event.managed_balance = Pubkey::new_unique();
        }
        assert_eq!(explain(&stranger, &demo.names, "USDC"), None);
    }
}
