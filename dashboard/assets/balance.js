// One managed balance: summary, its chart with the forecast ahead, recent movements,
// its funding sources, and every setting an operator changes.

import {
  $, $$, addressHtml, amountHtml, amountText, duration, escapeHtml, fillTable, formBody, get, healthHtml, live,
  pageBalanceId, percent, relative, showTreasuryState, submitChange, tokenUnits,
} from "./common.js";
import { balanceModel, describeMode, namesOf, treasury as readTreasury } from "./model.js";
import { drawBalanceChart, forecastSpanSeconds, historyQuery } from "./chart.js";
import { movementRows } from "./activity.js";

const id = pageBalanceId();
const path = `/managed-balance/${encodeURIComponent(id)}`;
let current = null;
let names = namesOf(null);
let fingerprint = "";
let lastSlowRefresh = 0;
const SLOW_REFRESH_MS = 15000;

function facts(pairs) {
  return pairs.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${value}</dd>`).join("");
}

function renderHeader(balance) {
  $("#balance-name").textContent = balance.name;
  $("#balance-subtitle").innerHTML =
    `${escapeHtml(balance.destinationLabel)} ${addressHtml(balance.destination)} · managed balance ${escapeHtml(balance.id)} ${addressHtml(balance.address)}`;
  document.title = `${balance.name} · Smart Treasury`;
}

function renderSummary(balance) {
  const automation = balance.automation;
  const cooling = automation.nextAutomationAt ? ` · next automatic move ${escapeHtml(relative(automation.nextAutomationAt))}` : "";
  $("#summary").innerHTML = facts([
    ["Balance", amountHtml(balance.balance)],
    ["Health", healthHtml(balance.healthBps, balance.healthLevel)],
    ["Band", escapeHtml(balance.bandLabel)],
    ["Min / target / max", `${escapeHtml(amountText(balance.min))} / ${escapeHtml(amountText(balance.target))} / ${escapeHtml(amountText(balance.max))}`],
    ["Mode", escapeHtml(describeMode(balance.mode))],
    ["Automation", `${balance.enabled ? `<span class="badge ok">On</span>` : `<span class="badge">Off</span>`}${cooling}`],
    ["Cooldown", escapeHtml(duration(automation.cooldownSeconds ?? 0))],
    ["Cap per period", `${escapeHtml(amountText(automation.periodCap))} per ${escapeHtml(duration(automation.periodSeconds ?? 0))}, ${escapeHtml(amountText(automation.remainingInPeriod))} left`],
    ["Forecast band", escapeHtml(percent(automation.forecastBandBps))],
  ]);
  $("#enable-state").textContent = balance.enabled
    ? "Automation is on: keepers top up, sweep and rebalance this balance."
    : "Automation is off: keepers leave this balance alone.";
}

function renderSources(balance) {
  const rows = balance.sources.map((source) => [
    escapeHtml(source.priority),
    `${escapeHtml(source.label)}<span class="base-units">${addressHtml(source.sourceId)}</span>`,
    escapeHtml(source.type === "VENUE" ? "venue" : "pool vault"),
    { html: source.balance ? amountHtml(source.balance) : "account closed", cls: "num" },
    { html: amountHtml(source.reserveFloor), cls: "num" },
    { html: source.allowance ? amountHtml(source.allowance) : "no limit", cls: "num" },
    { html: amountHtml(source.available), cls: "num" },
    source.enabled ? `<span class="badge ok">Yes</span>` : `<span class="badge">No</span>`,
    `<div class="actions">` +
      `<button type="button" class="small secondary" data-edit-source="${escapeHtml(source.sourceId)}" aria-label="Edit ${escapeHtml(source.label)}">Edit</button>` +
      `<button type="button" class="small danger" data-remove-source="${escapeHtml(source.sourceId)}" aria-label="Remove ${escapeHtml(source.label)}">Remove</button></div>`,
  ]);
  fillTable($("#sources-table"), rows, "No funding source is linked: top-ups have nowhere to draw from.");
}

/** Puts the chain's current values into a form, unless the operator is editing it. */
function fillForm(form, values, force = false) {
  if (!force && (form.contains(document.activeElement) || form.dataset.dirty === "true")) return;
  for (const [name, value] of Object.entries(values)) {
    const control = form.elements.namedItem(name);
    if (!control || value === undefined || value === null) continue;
    if (control.type === "checkbox") control.checked = Boolean(value);
    else control.value = value;
  }
}

/**
 * Puts the chain's values into the forms; `saved` (the form whose change just landed) is
 * refilled even while focused, the others only when the operator is not editing them.
 */
function fillForms(balance, saved = null) {
  fillForm($("#thresholds-form"), { min: tokenUnits(balance.min), target: tokenUnits(balance.target), max: tokenUnits(balance.max) }, saved === $("#thresholds-form"));
  const automation = balance.automation;
  const asPercent = (bps) => (bps === undefined || bps === null ? "" : String(Number(bps) / 100));
  fillForm($("#settings-form"), {
    mode: balance.mode.kind,
    ratioBps: asPercent(balance.mode.ratioBps),
    bandBps: asPercent(balance.mode.bandBps),
    cooldownSeconds: automation.cooldownSeconds,
    periodSeconds: automation.periodSeconds,
    periodCap: tokenUnits(automation.periodCap),
    forecastBandBps: asPercent(automation.forecastBandBps),
  }, saved === $("#settings-form"));
  showRatioFields();
  const form = $("#source-form");
  if (saved === form || (!form.contains(document.activeElement) && form.dataset.dirty !== "true")) {
    const priorities = balance.sources.map((source) => Number(source.priority));
    form.elements.priority.value = priorities.length ? Math.max(...priorities) + 1 : 1;
  }
}

function showRatioFields() {
  const ratio = $("#settings-mode").value === "RATIO";
  $$(".ratio-only").forEach((field) => (field.hidden = !ratio));
}

function showSourceFields() {
  const venue = $("#source-type").value === "VENUE";
  $$("#source-form .venue-only").forEach((field) => (field.hidden = !venue));
  $$("#source-form .pool-only").forEach((field) => (field.hidden = venue));
}

/** The vaults of this balance's mint that could fund it, and the pools a venue may delegate to. */
function fillSourceChoices(treasuryView, balance) {
  const vault = $("#source-vault");
  const chosen = vault.value;
  const options = (treasuryView.pools ?? []).flatMap((pool) =>
    (pool.vaults ?? [])
      .filter((item) => item.mint === balance.mint && item.address !== balance.destination)
      .map((item) => `<option value="${escapeHtml(item.address)}">${escapeHtml(pool.name)} vault (pool ${escapeHtml(pool.id)}) · ${escapeHtml(amountText(item.balance))}</option>`));
  vault.innerHTML = options.join("") || `<option value="">no other vault of this mint</option>`;
  if (chosen) vault.value = chosen;
  const pool = $("#source-pool");
  const chosenPool = pool.value;
  pool.innerHTML = `<option value="">as delegated now</option>` +
    (treasuryView.pools ?? []).map((item) => `<option value="${escapeHtml(item.id)}">${escapeHtml(item.name)} (pool ${escapeHtml(item.id)})</option>`).join("");
  pool.value = chosenPool;
}

async function refreshSlow() {
  // No forecast until the keeper has read the balance: nothing to ask for yet.
  const predictions = current.forecast ? await get(`${path}/predictions`) : null;
  const range = $("#chart-range").value;
  const organic = $("#show-payouts").checked;
  // Without payouts, only the treasury's moves: a busy balance's payouts would fill the page.
  const [history, activity] = await Promise.all([
    get(`${path}/history?${historyQuery(range === "forecast" ? forecastSpanSeconds(predictions) : Number(range))}`),
    get(`${path}/activity-log?page=1&size=100${organic ? "" : "&operations=true"}`),
  ]);
  fillTable($("#movements-table"), movementRows(activity.items, names, current, organic).slice(0, 25), "No movement yet.");
  // The numbers are shown; the chart follows once plotly.js is ready.
  drawBalanceChart($("#balance-chart"), current, history, predictions, $("#chart-note")).catch((error) => {
    $("#chart-note").textContent = error.message;
  });
  lastSlowRefresh = Date.now();
}

async function refresh() {
  const [json, treasuryView] = await Promise.all([get(path), readTreasury()]);
  showTreasuryState(treasuryView);
  names = namesOf(treasuryView);
  const balance = balanceModel(json, names);
  current = balance;
  renderHeader(balance);
  renderSummary(balance);
  renderSources(balance);
  fillForms(balance);
  fillSourceChoices(treasuryView, balance);
  // A landed transaction changes the balance, the config version or the last movement:
  // read the slower documents again at once.
  const next = JSON.stringify([json.balance, json.configVersion, json.lastMovement?.signature]);
  if (next !== fingerprint || Date.now() - lastSlowRefresh > SLOW_REFRESH_MS) {
    fingerprint = next;
    await refreshSlow();
  }
}

async function change(form, method, suffix, body) {
  const result = await submitChange(form, method, `${path}${suffix}`, body);
  if (result) {
    form.dataset.dirty = "false";
    fingerprint = "";
    await refresh().catch(() => {});
    if (current) fillForms(current, form);
  }
  return result;
}

$("#thresholds-form").addEventListener("submit", (event) => {
  event.preventDefault();
  change(event.target, "PATCH", "/thresholds", formBody(event.target, ["min", "target", "max"]));
});

$("#settings-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const body = formBody(form, ["cooldownSeconds", "periodSeconds", "periodCap", "forecastBandBps"]);
  body.mode = { type: form.elements.mode.value };
  if (body.mode.type === "RATIO") Object.assign(body.mode, formBody(form, ["ratioBps", "bandBps"]));
  change(form, "PATCH", "/settings", body);
});

$("#enable-form").addEventListener("submit", (event) => {
  event.preventDefault();
  change(event.target, "POST", `/${event.submitter?.value === "disable" ? "disable" : "enable"}`);
});

$("#adjust-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = { managedBalanceId: Number(id), amount: formBody(form, ["amount"]).amount, requestId: crypto.randomUUID() };
  if (await submitChange(form, "POST", "/balance-adjustment", body)) {
    form.reset();
    fingerprint = "";
  }
});

$("#source-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const venue = form.elements.sourceType.value === "VENUE";
  const body = formBody(form, ["sourceType", "priority", "reserveFloor", "enabled"]);
  body.sourceId = venue ? form.elements.sourceVenue.value.trim() : form.elements.sourceVault.value;
  if (venue && form.elements.poolId.value) body.poolId = Number(form.elements.poolId.value);
  if (await change(form, "PUT", "/funding-source", body)) {
    form.elements.sourceVenue.value = "";
    form.elements.reserveFloor.value = "0";
  }
});

$("#sources-table").addEventListener("click", async (event) => {
  const button = event.target.closest("[data-edit-source], [data-remove-source]");
  if (!button) return;
  const sourceId = button.dataset.editSource ?? button.dataset.removeSource;
  const source = current?.sources.find((item) => item.sourceId === sourceId);
  if (!source) return;
  const form = $("#source-form");
  if (button.dataset.editSource) {
    form.elements.sourceType.value = source.type;
    showSourceFields();
    if (source.type === "VENUE") form.elements.sourceVenue.value = source.sourceId;
    else form.elements.sourceVault.value = source.sourceId;
    fillForm(form, { priority: source.priority, reserveFloor: tokenUnits(source.reserveFloor), enabled: source.enabled }, true);
    form.dataset.dirty = "true";
    form.elements.priority.focus();
    return;
  }
  if (!confirm(`Remove ${source.label} from this balance's funding sources?`)) return;
  await change(form, "DELETE", `/funding-source/${encodeURIComponent(source.sourceId)}`);
});

for (const selector of ["#thresholds-form", "#settings-form", "#source-form"]) {
  $(selector).addEventListener("input", (event) => (event.currentTarget.dataset.dirty = "true"));
}
$("#settings-mode").addEventListener("change", showRatioFields);
$("#source-type").addEventListener("change", showSourceFields);
$("#chart-range").addEventListener("change", () => refreshSlow().catch(() => {}));
$("#show-payouts").addEventListener("change", () => refreshSlow().catch(() => {}));
showRatioFields();
showSourceFields();
live(refresh);

