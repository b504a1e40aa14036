// The API's documents as the pages show them: one place that knows the JSON's shape and
// puts names (pools, vaults) where the API gives addresses.

import { get, percent, shortAddress, tokenUnits } from "./common.js";

const TREASURY_TTL_MS = 5000;
let treasuryRead = null;

/**
 * The treasury (pause state, pools and their vaults). Several RPC reads on the server,
 * so pages share one copy for a few seconds instead of reading it every second.
 */
export async function treasury(fresh = false) {
  if (fresh || !treasuryRead || Date.now() - treasuryRead.at > TREASURY_TTL_MS) {
    treasuryRead = { at: Date.now(), value: get("/treasury") };
    treasuryRead.value.catch(() => (treasuryRead = null));
  }
  return treasuryRead.value;
}

/** Every managed balance, all pages of the list. */
export async function listBalances() {
  const balances = [];
  for (let page = 1; page <= 1000; page += 1) {
    const answer = await get(`/managed-balance?page=${page}&size=1000`);
    balances.push(...answer.items);
    if (balances.length >= answer.total || answer.items.length === 0) break;
  }
  return balances;
}

/** Names for the addresses a managed balance refers to: pools and their vaults. */
export function namesOf(treasuryView) {
  const pools = new Map();
  const vaults = new Map();
  for (const pool of treasuryView?.pools ?? []) {
    pools.set(pool.address, pool);
    for (const vault of pool.vaults ?? []) vaults.set(vault.address, { ...vault, pool });
  }
  return { pools, vaults };
}

const LEVELS = { HEALTHY: "healthy", WATCH: "watch", CRITICAL: "critical" };
const BANDS = { BELOW_MIN: "below min", WITHIN_BAND: "within band", ABOVE_MAX: "above max" };

/** What the pages need of one managed balance (`ManagedBalanceView`). */
export function balanceModel(json, names = namesOf(null)) {
  const destinationPool = names.pools.get(json.destinationPool);
  return {
    raw: json,
    id: json.id,
    address: json.address,
    name: json.name || `managed balance ${json.id}`,
    mint: json.mint,
    decimals: json.decimals,
    destination: json.destination,
    destinationType: json.destinationType,
    destinationLabel: json.destinationType === "VENUE"
      ? `venue ${shortAddress(json.destination)}${destinationPool ? ` (delegates to ${destinationPool.name})` : ""}`
      : `${destinationPool?.name ?? "pool"} vault`,
    balance: json.balance ?? null,
    min: json.min,
    target: json.target,
    max: json.max,
    healthBps: Number(json.health?.bps ?? 0),
    healthLevel: LEVELS[json.health?.level] ?? "critical",
    band: json.bandPosition,
    bandLabel: BANDS[json.bandPosition] ?? "–",
    mode: { kind: json.mode?.type ?? "THRESHOLD", ratioBps: json.mode?.ratioBps, bandBps: json.mode?.bandBps },
    enabled: Boolean(json.enabled),
    configVersion: json.configVersion,
    automation: json.automation ?? {},
    sources: (json.fundingSources ?? []).map((source) => sourceModel(source, names)),
    lastMovement: json.lastMovement ?? null,
    forecast: json.forecast ?? null,
  };
}

export function describeMode(mode) {
  if (mode.kind === "RATIO") return `ratio ${percent(mode.ratioBps)} ± ${percent(mode.bandBps)}`;
  return "threshold";
}

/** One linked funding source (`FundingSourceView`), named after its pool. */
export function sourceModel(json, names = namesOf(null)) {
  const pool = names.pools.get(json.pool);
  const label = json.sourceType === "VENUE"
    ? `venue ${shortAddress(json.sourceId)}${pool ? ` (delegates to ${pool.name})` : ""}`
    : `${pool?.name ?? `vault ${shortAddress(json.sourceId)}`} vault`;
  return {
    raw: json,
    sourceId: json.sourceId,
    type: json.sourceType,
    poolId: pool?.id,
    label,
    priority: json.priority,
    enabled: Boolean(json.enabled),
    reserveFloor: json.reserveFloor,
    balance: json.balance ?? null,
    allowance: json.allowance ?? null,
    available: json.available,
  };
}

/** When the next top-up is expected, from the forecast summary: its breach time. */
export function nextTopUp(balance) {
  const forecast = balance.forecast;
  const at = forecast?.expectedBreachAt ?? forecast?.pessimisticBreachAt;
  if (!at) return null;
  return { at, amount: forecast.expectedTopUp ?? null, probability: forecast.breachProbability };
}

/** An Amount as a plain number of tokens, for charts only (never shown as text). */
export function chartNumber(value) {
  const units = tokenUnits(value);
  return units === null ? null : Number(units);
}
