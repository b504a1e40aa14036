// Treasury overview: every managed balance at a glance, the pause state and the keeper.

import {
  $, addressHtml, amountHtml, amountText, dateTime, escapeHtml, fillTable, get, healthHtml, lamportsToSol, live,
  relative, showTreasuryState, submitChange,
} from "./common.js";
import { balanceModel, describeMode, listBalances, namesOf, nextTopUp, treasury as readTreasury } from "./model.js";

function facts(list, pairs) {
  list.innerHTML = pairs.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${value}</dd>`).join("");
}

function renderTreasury(treasury) {
  showTreasuryState(treasury);
  facts($("#treasury-facts"), [
    ["State", treasury.paused ? `<span class="badge bad">Paused</span>` : `<span class="badge ok">Active</span>`],
    ["Address", addressHtml(treasury.address)],
    ["Authority", addressHtml(treasury.authority)],
    ["Guardian", addressHtml(treasury.guardian)],
    ["Crank access", escapeHtml(treasury.crankAccess === "ALLOW_LIST" ? `allow-list (${treasury.keepers.length} keepers)` : "permissionless")],
    ["Pools", escapeHtml((treasury.pools ?? []).map((pool) => `${pool.name} (${pool.id})`).join(", ") || "none")],
  ]);
  $("#pause-button").hidden = Boolean(treasury.paused);
  $("#unpause-button").hidden = !treasury.paused;
}

function feePayerHtml(keeper) {
  if (!keeper.keeper) return "none: this server sends no cranks of its own";
  const sol = escapeHtml(lamportsToSol(keeper.feePayerLamports));
  return `${addressHtml(keeper.keeper)} · ${keeper.feePayerLow ? `<span class="badge bad">${sol}: fund it</span>` : sol}`;
}

function renderKeeper(keeper) {
  const stale = keeper.lastCycleAt && Date.now() - new Date(keeper.lastCycleAt).getTime() > 30_000;
  const state = stale
    ? `<span class="badge bad">Stalled</span>`
    : keeper.cranking
      ? `<span class="badge ok">Cranking</span>`
      : `<span class="badge">Watching only</span> <span class="base-units">this server records and advises; keepers elsewhere crank</span>`;
  const cranks = keeper.cranks;
  facts($("#keeper-facts"), [
    ["Status", state],
    ["Last cycle", keeper.lastCycleAt ? escapeHtml(relative(keeper.lastCycleAt)) : "not yet"],
    ["Fee payer", feePayerHtml(keeper)],
    ["Cranks", escapeHtml(`${cranks.landed} landed, ${cranks.refused} refused, ${cranks.failed} failed, ${keeper.pending} pending`)],
    ["Failures", `<span class="badge ${keeper.failures ? "warn" : "ok"}">${escapeHtml(keeper.failures)}</span>`],
  ]);
}

function renderBalances(balances) {
  const rows = balances.map((balance) => {
    const next = nextTopUp(balance);
    const nextCell = next
      ? `${escapeHtml(relative(next.at))}<span class="base-units">${next.amount ? `top-up of ${escapeHtml(amountText(next.amount))} · ` : ""}${escapeHtml(dateTime(next.at))}</span>`
      : balance.forecast ? "none within the forecast" : "no forecast yet";
    return [
      `<a href="/balances/${encodeURIComponent(balance.id)}">${escapeHtml(balance.name)}</a>`,
      escapeHtml(balance.destinationLabel),
      { html: amountHtml(balance.balance), cls: "num" },
      { html: `${escapeHtml(amountText(balance.min))} / ${escapeHtml(amountText(balance.target))} / ${escapeHtml(amountText(balance.max))}`, cls: "num" },
      healthHtml(balance.healthBps, balance.healthLevel),
      escapeHtml(balance.bandLabel),
      escapeHtml(describeMode(balance.mode)),
      balance.enabled ? `<span class="badge ok">On</span>` : `<span class="badge">Off</span>`,
      escapeHtml(balance.sources.map((source) => source.label).join(", ") || "none"),
      nextCell,
    ];
  });
  fillTable($("#balances-table"), rows, "This treasury has no managed balances yet.");
}

function renderGlance(balances) {
  const count = (level) => balances.filter((balance) => balance.healthLevel === level).length;
  const below = balances.filter((balance) => balance.band === "BELOW_MIN").length;
  $("#glance").innerHTML = [
    `<li><span class="badge ok">${count("healthy")}</span> healthy</li>`,
    `<li><span class="badge warn">${count("watch")}</span> to watch (under twice min)</li>`,
    `<li><span class="badge bad">${count("critical")}</span> critical (below min: ${below})</li>`,
    `<li>${balances.filter((balance) => balance.enabled).length} of ${balances.length} automated</li>`,
  ].join("");
}

async function refresh() {
  const [treasury, balances, keeper] = await Promise.all([readTreasury(), listBalances(), get("/keeper")]);
  renderTreasury(treasury);
  renderKeeper(keeper);
  const names = namesOf(treasury);
  const models = balances.map((balance) => balanceModel(balance, names));
  renderBalances(models);
  renderGlance(models);
}

$("#pause-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const action = event.submitter?.value === "unpause" ? "unpause" : "pause";
  if (await submitChange(event.target, "POST", `/treasury/${action}`)) await readTreasury(true);
});

live(refresh);
