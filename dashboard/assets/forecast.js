// Predictions and recommendation: when the next top-up is due and how sure the keeper is,
// the forecast path, and recommended thresholds with their backtested effect.

import {
  $, amountHtml, amountText, dateTime, duration, escapeHtml, get, live, pageBalanceId, relative, showTreasuryState,
  submitChange, tokenUnits,
} from "./common.js";
import { balanceModel, namesOf, treasury as readTreasury } from "./model.js";
import { drawBalanceChart, forecastSpanSeconds, historyQuery } from "./chart.js";

const id = pageBalanceId();
const path = `/managed-balance/${encodeURIComponent(id)}`;
let recommended = null;
let fingerprint = "";
/** Whether this server recommends thresholds (its OpenAPI document lists the route). */
const recommends = fetch("/api/v1/openapi.json", { cache: "no-store" })
  .then((response) => response.json())
  .then((document) => "/api/v1/managed-balance/{id}/recommendation" in (document.paths ?? {}))
  .catch(() => false);

function facts(pairs) {
  return pairs.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${value}</dd>`).join("");
}

function renderPrediction(predictions) {
  if (!predictions) {
    $("#prediction-facts").innerHTML = facts([["Forecast", "none yet: the keeper has not read this balance"]]);
    return;
  }
  const next = predictions.nextTopUp;
  const when = (at) => (at ? `${escapeHtml(relative(at))}<span class="base-units">${escapeHtml(dateTime(at))}</span>` : "not within the forecast");
  $("#prediction-facts").innerHTML = facts([
    ["Expected", when(next.expectedAt)],
    ["At worst", when(next.pessimisticAt)],
    ["Top-up then", next.amount ? amountHtml(next.amount) : "–"],
    ["Needed now to stay safe", amountHtml(next.amountNeeded)],
    ["Probability of a breach", `${Math.round(Number(next.probability) * 100)}% within ${escapeHtml(duration(predictions.bucketSeconds * predictions.path.length))}`],
    ["Model", escapeHtml(MODELS[predictions.method] ?? predictions.method)],
    ["History used", escapeHtml(`${predictions.historyBuckets} buckets of ${duration(predictions.bucketSeconds)}`)],
  ]);
}

const MODELS = {
  DAILY_WEEKLY: "daily and weekly seasonality (MSTL)", DAILY: "daily seasonality (MSTL)", MEAN: "mean and spread of the history", NONE: "none: no history yet",
};

function effectRows(recommendation) {
  const current = recommendation.current ?? {};
  const proposed = recommendation.recommended ?? {};
  const row = (label, a, b) => `<tr><th scope="row">${escapeHtml(label)}</th><td class="num">${a}</td><td class="num">${b}</td></tr>`;
  const effect = (settings, name) => settings.backtest?.[name] ?? settings.effect?.[name];
  const number = (value) => (value === undefined || value === null ? "–" : escapeHtml(Number(value).toLocaleString("en-GB", { maximumFractionDigits: 1 })));
  return [
    row("Min", amountHtml(current.min), amountHtml(proposed.min)),
    row("Target", amountHtml(current.target), amountHtml(proposed.target)),
    row("Max", amountHtml(current.max), amountHtml(proposed.max)),
    row("Minutes below min (backtest)", number(effect(current, "minutesBelowMin")), number(effect(proposed, "minutesBelowMin"))),
    row("Transfers (backtest)", number(effect(current, "transfers")), number(effect(proposed, "transfers"))),
    row("Average idle capital (backtest)", amountHtml(effect(current, "idleCapital")), amountHtml(effect(proposed, "idleCapital"))),
  ].join("");
}

function renderRecommendation(answer, offered) {
  // The server answers `available: false` with its reason when nothing flowed out yet.
  const recommendation = answer?.unavailable || answer?.available === false ? null : answer;
  recommended = recommendation?.recommended ?? null;
  const missing = !offered
    ? "This server does not recommend thresholds."
    : answer?.unavailable ?? answer?.reason ?? "No recommendation yet: the keeper needs recorded outflows first.";
  $("#recommendation-table tbody").innerHTML = recommendation ? effectRows(recommendation) : `<tr><td colspan="3" class="empty">${escapeHtml(missing)}</td></tr>`;
  $("#recommendation-basis").textContent = recommendation?.basis ?? recommendation?.explanation ?? "";
  $("#propose-button").disabled = !recommended;
}

async function refresh() {
  const [json, treasuryView] = await Promise.all([get(path), readTreasury()]);
  showTreasuryState(treasuryView);
  const balance = balanceModel(json, namesOf(treasuryView));
  $("#balance-name").textContent = balance.name;
  $("#balance-subtitle").textContent = `balance ${amountText(balance.balance)} · min ${amountText(balance.min)} · target ${amountText(balance.target)} · max ${amountText(balance.max)}`;
  document.title = `${balance.name}: predictions · Smart Treasury`;
  const next = JSON.stringify([json.balance, json.configVersion, json.forecast?.madeAt]);
  if (next === fingerprint) return;
  fingerprint = next;
  const offered = await recommends;
  const predictions = balance.forecast ? await get(`${path}/predictions`) : null;
  const [recommendation, history] = await Promise.all([
    // Without recorded outflow the server says why (`reason`): shown in place of the table,
    // as is any error.
    offered ? get(`${path}/recommendation`).catch((error) => ({ unavailable: error.message })) : null,
    get(`${path}/history?${historyQuery(forecastSpanSeconds(predictions))}`),
  ]);
  renderPrediction(predictions);
  renderRecommendation(recommendation, offered);
  drawBalanceChart($("#forecast-chart"), balance, history, predictions, null).catch((error) => {
    $("#forecast-chart").textContent = error.message;
  });
}

$("#propose-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!recommended) return;
  const body = { min: tokenUnits(recommended.min), target: tokenUnits(recommended.target), max: tokenUnits(recommended.max) };
  const result = await submitChange(event.target, "PATCH", `${path}/thresholds`, body);
  if (result) fingerprint = "";
});

live(refresh);
