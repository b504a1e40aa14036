// The balance chart: the balance over time, outflows and top-ups marked, min / target /
// max, and the forecast path with its 80% and 95% bands ahead of now. plotly.js draws it.

import { amountText, plotly, toDate } from "./common.js";
import { chartNumber } from "./model.js";

const COLORS = { balance: "#1b4d89", outflow: "#b3261e", topUp: "#1e7b4f", min: "#b3261e", target: "#5a6572", max: "#8a5a00", forecast: "#6f42c1" };

/** The balance at the end of each bucket, and the buckets where it was paid out or topped up. */
function series(history) {
  const points = (history?.points ?? []).filter((point) => point.balance);
  const marked = (field) => points.filter((point) => Number(point[field]?.baseUnits ?? 0) > 0);
  return { points, outflows: marked("payouts"), topUps: marked("topUps") };
}

/** The forecast path: each future bucket's expected balance with its 80% and 95% bands. */
function forecastPath(predictions) {
  // A balance cannot go below zero: the path and its bands stop there.
  const floor = (value) => Math.max(0, chartNumber(value));
  return (predictions?.path ?? []).map((bucket) => ({
    at: toDate(bucket.end),
    expected: floor(bucket.balance.expected),
    low80: floor(bucket.balance.low80),
    high80: floor(bucket.balance.high80),
    low95: floor(bucket.balance.low95),
    high95: floor(bucket.balance.high95),
  }));
}

function level(name, value, x0, x1, color) {
  return { name, x: [x0, x1], y: [value, value], mode: "lines", line: { color, width: 1.5, dash: "dash" }, hoverinfo: "name+y" };
}

/** Seconds of history to show beside the forecast: as far back as it looks ahead (its
 * buckets times their length), or six hours without one. */
export function forecastSpanSeconds(predictions) {
  const span = (predictions?.path?.length ?? 0) * Number(predictions?.bucketSeconds ?? 0);
  return span > 0 ? span : 6 * 3600;
}

/** The value axis: from 0 to a little above the highest of max, the balance now and the
 * forecast's 80% band, so min / target / max and the forecast stay readable beside an
 * older, much higher balance. That balance is cut off at the top and returned, to be
 * named; a double-click on the chart fits everything. */
function valueAxis(balance, points, path) {
  const top = 1.1 * Math.max(1, chartNumber(balance.max) ?? 0, chartNumber(balance.balance) ?? 0, ...path.map((b) => b.high80));
  const peak = points.reduce((highest, point) => (chartNumber(point.balance) > chartNumber(highest?.balance ?? null) ? point : highest), null);
  return { range: [0, top], cutOff: peak && chartNumber(peak.balance) > top ? peak : null };
}

/** The history query for the chosen period: about 360 points, whatever its length. */
export function historyQuery(rangeSeconds) {
  const now = Date.now();
  const from = new Date(now - rangeSeconds * 1000).toISOString();
  const resolution = Math.max(1, Math.ceil(rangeSeconds / 360));
  return `from=${encodeURIComponent(from.replace(/\.\d+Z$/, "Z"))}&resolution=${resolution}`;
}

/** Draws (or redraws in place) the chart; says in `note` what is missing. */
export async function drawBalanceChart(element, balance, history, predictions, note) {
  const { points, outflows, topUps } = series(history);
  const path = forecastPath(predictions);
  const now = new Date();
  const at = (point) => toDate(point.start);
  const start = points.length ? at(points[0]) : new Date(now.getTime() - 3600e3);
  const end = path.length ? path[path.length - 1].at : now;
  const traces = [
    {
      name: "Balance", x: points.map(at), y: points.map((p) => chartNumber(p.balance)), mode: "lines",
      line: { color: COLORS.balance, width: 2, shape: "hv" }, text: points.map((p) => amountText(p.balance)),
      hovertemplate: "%{text}<extra>balance</extra>",
    },
    {
      name: "Outflows", x: outflows.map(at), y: outflows.map((p) => chartNumber(p.balance)), mode: "markers",
      marker: { symbol: "triangle-down", size: 9, color: COLORS.outflow }, text: outflows.map((p) => amountText(p.payouts)),
      hovertemplate: "paid out %{text}<extra>outflow</extra>",
    },
    {
      name: "Top-ups", x: topUps.map(at), y: topUps.map((p) => chartNumber(p.balance)), mode: "markers",
      marker: { symbol: "triangle-up", size: 11, color: COLORS.topUp }, text: topUps.map((p) => amountText(p.topUps)),
      hovertemplate: "topped up %{text}<extra>top-up</extra>",
    },
    level("Min", chartNumber(balance.min), start, end, COLORS.min),
    level("Target", chartNumber(balance.target), start, end, COLORS.target),
    level("Max", chartNumber(balance.max), start, end, COLORS.max),
  ];
  if (path.length) {
    const x = path.map((b) => b.at);
    const band = (name, low, high, color) => [
      { name: `${name} upper`, x, y: path.map((b) => b[high]), mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip", legendgroup: name },
      { name, x, y: path.map((b) => b[low]), mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: color, hoverinfo: "skip", legendgroup: name },
    ];
    traces.push(...band("95% interval", "low95", "high95", "rgba(111,66,193,0.12)"));
    traces.push(...band("80% interval", "low80", "high80", "rgba(111,66,193,0.22)"));
    traces.push({ name: "Forecast", x, y: path.map((b) => b.expected), mode: "lines", line: { color: COLORS.forecast, width: 2, dash: "dot" }, hovertemplate: "%{y:,.2f}<extra>forecast</extra>" });
  }
  const values = valueAxis(balance, points, path);
  const layout = {
    margin: { l: 70, r: 20, t: 10, b: 40 }, height: element.clientWidth < 600 ? 300 : 380,
    xaxis: { type: "date", showgrid: false }, yaxis: { title: { text: "tokens" }, tickformat: ",~f", range: values.range },
    legend: { orientation: "h", y: -0.15 }, hovermode: "closest",
    shapes: [{ type: "line", x0: now, x1: now, yref: "paper", y0: 0, y1: 1, line: { color: "#aab3bd", width: 1, dash: "dot" } }],
    paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff", font: { family: "system-ui, DejaVu Sans, sans-serif", size: 12 },
  };
  const Plotly = await plotly();
  await Plotly.react(element, traces, layout, { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] });
  if (note) {
    note.textContent = [
      points.length ? "" : "No balance history recorded yet.",
      path.length ? "" : "No forecast yet: the keeper needs some history first.",
      values.cutOff
        ? `Earlier the balance was up to ${amountText(values.cutOff.balance)}, above this view: double-click the chart to fit it.`
        : "",
    ].filter(Boolean).join(" ");
  }
}
