// Activity-log entries as table rows: the balance page's liquidity movements and the
// monitoring terminal's operation log.

import {
  amountHtml, amountText, dateTime, escapeHtml, grouped, lamportsToSol, shortAddress, signatureHtml,
} from "./common.js";

const KINDS = {
  TOP_UP: "top-up", TOP_UP_SHORTFALL: "shortfall", SWEEP: "sweep", REBALANCE: "rebalance", ADJUSTMENT: "manual top-up",
  CONFIGURATION: "configuration", PAYOUT: "payout", DEPOSIT: "deposit", WITHDRAWAL: "withdrawal", KEEPER_DECISION: "keeper",
};

export function kindLabel(entry) {
  return KINDS[entry.kind] ?? String(entry.kind ?? "").toLowerCase().replaceAll("_", " ");
}

/** A source's name: its pool's vault, or a venue. */
function sourceName(sourceId, names, balance) {
  const vault = names.vaults.get(sourceId);
  if (vault) return `${vault.pool.name} vault`;
  const linked = balance?.sources.find((source) => source.sourceId === sourceId);
  return linked ? linked.label : shortAddress(sourceId);
}

function legs(entry, names, balance, field) {
  if (!entry.sources?.length) return "–";
  return entry.sources
    .map((leg) => `${escapeHtml(sourceName(leg.sourceId, names, balance))}: ${escapeHtml(amountText(leg[field]))}`)
    .join("<br>");
}

/** The network fee in SOL, with the exact lamports beneath. */
function feeHtml(entry) {
  if (entry.feeLamports === undefined || entry.feeLamports === null) return "–";
  const lamports = escapeHtml(grouped(String(entry.feeLamports)));
  return `${escapeHtml(lamportsToSol(entry.feeLamports))}<span class="base-units">${lamports} lamports</span>`;
}

/** On-chain events that moved the balance. */
function isMovement(entry) {
  return entry.kind !== "KEEPER_DECISION" && entry.amount !== undefined && entry.amount !== null;
}

/** Payouts, deposits and withdrawals: flows of the account itself, not of the treasury's automation. */
function isOrganic(entry) {
  return ["PAYOUT", "DEPOSIT", "WITHDRAWAL"].includes(entry.kind);
}

/** Rows of the liquidity movements table, newest first: top-ups, sweeps, rebalances and
 * adjustments, and with `organic` the payouts and deposits too. */
export function movementRows(entries, names, balance, organic = false) {
  return entries.filter((entry) => isMovement(entry) && (organic || !isOrganic(entry))).map((entry) => [
    escapeHtml(dateTime(entry.at)),
    `${escapeHtml(kindLabel(entry))}${entry.shortfall ? `<span class="base-units">${escapeHtml(amountText(entry.shortfall))} short</span>` : ""}`,
    { html: amountHtml(entry.amount), cls: "num" },
    legs(entry, names, balance, "amount"),
    { html: feeHtml(entry), cls: "num" },
    { html: amountHtml(entry.balanceAfter), cls: "num" },
    signatureHtml(entry.signature),
  ]);
}

/** Who moved: manual, automatic, forecast or stress test. */
export function actionTypeLabel(entry) {
  return String(entry.actionType ?? "").toLowerCase().replaceAll("_", " ");
}

/** Rows of the operation log: the moves made for this balance, with both sides after. */
export function operationRows(entries, names, balance) {
  return entries.filter((entry) => isMovement(entry) && entry.actionType).map((entry) => [
    escapeHtml(dateTime(entry.at)),
    `<span class="badge">${escapeHtml(actionTypeLabel(entry))}</span>`,
    { html: escapeHtml(entry.description ?? kindLabel(entry)), cls: "words" },
    { html: amountHtml(entry.amount), cls: "num" },
    { html: feeHtml(entry), cls: "num" },
    { html: amountHtml(entry.balanceAfter), cls: "num" },
    { html: legs(entry, names, balance, "balanceAfter"), cls: "legs" },
    signatureHtml(entry.signature),
  ]);
}
