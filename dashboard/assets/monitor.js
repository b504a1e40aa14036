// The monitoring terminal: health and ratio gauges, the keeper's advice with "execute
// recommended move", the stress test (applied for real where the server allows), and
// the operation log.

import {
  $, amountHtml, amountText, api, clearErrors, escapeHtml, fillTable, formBody, get, live, pageBalanceId, percent,
  plotly, relative, showChangeResult, showError, showTreasuryState, submitChange,
} from "./common.js";
import { balanceModel, chartNumber, describeMode, namesOf, treasury as readTreasury } from "./model.js";
import { operationRows } from "./activity.js";

const id = pageBalanceId();
const path = `/managed-balance/${encodeURIComponent(id)}`;
let current = null;
let names = namesOf(null);
let stressed = null;
let fingerprint = "";

async function gauge(element, value, options) {
  const trace = {
    type: "indicator", mode: options.reference !== undefined ? "gauge+number+delta" : "gauge+number", value,
    number: { suffix: "%", valueformat: ".1f" },
    gauge: {
      axis: { range: [0, 100], ticksuffix: "%" }, bar: { color: options.color, thickness: 0.3 },
      steps: options.steps, threshold: options.threshold,
    },
  };
  if (options.reference !== undefined) trace.delta = { reference: options.reference, valueformat: ".1f", suffix: " pts" };
  const layout = { margin: { l: 25, r: 25, t: 10, b: 10 }, height: 210, paper_bgcolor: "#ffffff", font: { family: "system-ui, DejaVu Sans, sans-serif" } };
  const Plotly = await plotly();
  await Plotly.react(element, [trace], layout, { displayModeBar: false, responsive: true });
}

function healthColor(percentValue) {
  return percentValue >= 100 ? "#1e7b4f" : percentValue >= 50 ? "#d89b00" : "#b3261e";
}

function drawHealth(balance) {
  const value = balance.healthBps / 100;
  const after = stressed ? stressed.healthAfter.bps / 100 : null;
  gauge($("#health-gauge"), after ?? value, {
    color: healthColor(after ?? value),
    reference: after === null ? undefined : value,
    steps: [{ range: [0, 50], color: "#fde7e5" }, { range: [50, 100], color: "#fff3d6" }],
    threshold: { line: { color: "#b3261e", width: 3 }, thickness: 0.9, value: 50 },
  }).catch((error) => ($("#health-gauge").textContent = error.message));
  $("#health-gauge").setAttribute("aria-label", `Health gauge: ${percent(balance.healthBps)}`);
  $("#health-text").textContent = stressed
    ? `${percent(stressed.healthAfter.bps)} after the stress test (now ${percent(balance.healthBps)})`
    : `${percent(balance.healthBps)}: ${balance.healthBps >= 10000 ? "at or above twice min" : balance.healthBps >= 5000 ? "under twice min" : "below min: red"}`;
}

function drawRatio(balance) {
  const card = $("#ratio-card");
  card.hidden = balance.mode.kind !== "RATIO";
  if (card.hidden) return;
  const ratio = Number(balance.mode.ratioBps) / 100;
  const band = Number(balance.mode.bandBps) / 100;
  const share = localShare(balance);
  gauge($("#ratio-gauge"), share ?? 0, {
    color: share !== null && Math.abs(share - ratio) <= band ? "#1e7b4f" : "#b3261e",
    steps: [{ range: [Math.max(0, ratio - band), Math.min(100, ratio + band)], color: "#e3f4eb" }],
    threshold: { line: { color: "#1b4d89", width: 3 }, thickness: 0.9, value: ratio },
  }).catch((error) => ($("#ratio-gauge").textContent = error.message));
  $("#ratio-text").textContent = share === null
    ? "No counterpart balance to compare with."
    : `Local share ${share.toFixed(1)}% against a target of ${percent(balance.mode.ratioBps)} ± ${percent(balance.mode.bandBps)}`;
}

/** Local share of local + counterpart (the first enabled source), in percent. */
function localShare(balance) {
  const counterpart = balance.sources.find((source) => source.enabled);
  const local = chartNumber(balance.balance);
  const other = counterpart ? chartNumber(counterpart.balance) : null;
  if (local === null || other === null || local + other === 0) return null;
  return (100 * local) / (local + other);
}

function renderAdvice(advice) {
  $("#advice-move").textContent = advice.headline;
  $("#advice-reason").textContent = advice.reason;
  const button = $("#execute-button");
  button.disabled = !advice.executable;
  button.title = button.disabled ? "Nothing to execute: the keeper would wait." : "";
}

function renderStress(result) {
  const breach = result.breach;
  const belowMin = current && Number(result.balanceAfter.baseUnits) < Number(current.min.baseUnits);
  const outlook = belowMin
    ? `below min at once (min ${amountText(current.min)})`
    : !breach
      ? "no forecast yet"
      : breach.pessimisticAt
        ? `below min ${relative(breach.pessimisticAt)} at worst${breach.expectedAt ? `, ${relative(breach.expectedAt)} expected` : ""}; ${Math.round(100 * breach.probability)}% likely within the forecast`
        : `stays above min through the forecast (${Math.round(100 * breach.probability)}% chance of a breach)`;
  const pairs = [
    ["Outflow", amountHtml(result.outflow)],
    ["Balance", `${escapeHtml(amountText(result.balanceBefore))} → <strong>${escapeHtml(amountText(result.balanceAfter))}</strong>`],
    ["Health", `${percent(result.healthBefore.bps)} → <strong>${percent(result.healthAfter.bps)}</strong>`],
    ["Breach outlook", escapeHtml(outlook)],
    ["The keeper would", `<strong>${escapeHtml(result.adviceAfter.headline)}</strong><br>${escapeHtml(result.adviceAfter.reason)}`],
  ];
  $("#stress-facts").innerHTML = pairs.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${value}</dd>`).join("");
  renderApply(result);
  $("#stress-result").hidden = false;
}

/** Whether this outflow can be withdrawn for real here, and what that does. */
function renderApply(result) {
  $("#stress-apply-button").disabled = !result.applicable;
  $("#stress-apply-note").textContent = result.applicable
    ? `Apply for real: the authority withdraws ${amountText(result.outflow)} from this balance into its own token account, and the keeper meets the outflow as it would a real one.`
    : result.notApplicable ?? "";
}

async function refresh() {
  const [json, treasuryView, advice] = await Promise.all([get(path), readTreasury(), get(`${path}/advice`)]);
  showTreasuryState(treasuryView);
  names = namesOf(treasuryView);
  const balance = balanceModel(json, names);
  current = balance;
  $("#balance-name").textContent = balance.name;
  $("#balance-subtitle").textContent = `${balance.destinationLabel} · ${describeMode(balance.mode)} · balance ${amountText(balance.balance)}`;
  document.title = `${balance.name}: monitoring · Smart Treasury`;
  drawHealth(balance);
  drawRatio(balance);
  renderAdvice(advice);
  const next = JSON.stringify([json.balance, json.configVersion, json.lastMovement?.signature]);
  if (next !== fingerprint) {
    fingerprint = next;
    const log = await get(`${path}/activity-log?page=1&size=50&operations=true`);
    fillTable($("#oplog-table"), operationRows(log.items, names, balance).slice(0, 50), "No operation yet.");
  }
}

$("#stress-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  try {
    stressed = await api("POST", `${path}/stress-test`, formBody(form, ["outflow"]));
    renderStress(stressed);
    if (current) drawHealth(current);
  } catch (error) {
    showError(form, error);
  }
});

$("#stress-apply-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  if (!stressed?.applicable) return;
  clearErrors(form);
  const button = $("#stress-apply-button");
  button.disabled = true;
  try {
    const result = await api("POST", `${path}/stress-test`, { outflow: stressed.outflow.tokens, apply: true });
    showChangeResult(result.applied);
    $("#stress-apply-note").textContent = `Applied: ${amountText(result.outflow)} withdrawn. The operation log shows it as a stress test, then what the keeper does.`;
    // The gauges follow the real balance again; one click is one withdrawal.
    stressed = null;
    fingerprint = "";
    if (current) drawHealth(current);
  } catch (error) {
    showError(form, error);
    button.disabled = false;
  }
});

$("#execute-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = await submitChange(event.target, "POST", `${path}/execute-advice`);
  if (result) fingerprint = "";
});

live(refresh);
