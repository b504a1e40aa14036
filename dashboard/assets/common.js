// What every page shares: the API client with the operator's token, problem responses
// shown next to the fields they name, changes signed or exported, token-unit amounts,
// and live refresh.

export const API = "/api/v1";
const TOKEN_KEY = "smart-treasury.token";
const MODE_KEY = "smart-treasury.change-mode";
/** How often pages read again: a landed transaction shows within two seconds. */
export const LIVE_INTERVAL_MS = 1000;

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** A refused request, with the RFC 9457 problem the API sent. */
export class ApiError extends Error {
  constructor(status, problem) {
    const text = typeof problem === "string" ? problem : problem?.detail || problem?.title;
    super(text || `the API answered ${status}`);
    this.status = status;
    this.problem = typeof problem === "object" && problem ? problem : { detail: problem };
  }

  /** Field name -> message, from whichever member the problem lists them in. */
  fieldErrors() {
    const problem = this.problem;
    const errors = {};
    const lists = [problem.errors, problem.invalidParams, problem["invalid-params"]].filter(Array.isArray);
    for (const list of lists) {
      for (const item of list) {
        const name = fieldName(item.field ?? item.name ?? item.pointer ?? item.path);
        if (name) errors[name] = item.message ?? item.detail ?? item.reason ?? problem.detail;
      }
    }
    const single = fieldName(problem.field ?? problem.pointer);
    if (single && !(single in errors)) errors[single] = problem.detail ?? problem.title;
    return errors;
  }
}

/** `min`, from `min`, `/min`, `body.min` or `#/thresholds/min`. */
function fieldName(path) {
  if (typeof path !== "string" || path === "") return null;
  const parts = path.split(/[./#]/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : null;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function changeMode() {
  return localStorage.getItem(MODE_KEY) === "export" ? "export" : "sign";
}

/** One request to the operator API; resolves to the parsed body, throws ApiError. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API + path, init);
  } catch (error) {
    throw new ApiError(0, { title: "The dashboard cannot reach its server", detail: "Check that the server is running, then reload." });
  }
  const type = response.headers.get("content-type") || "";
  const payload = response.status === 204 ? null : type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    if (response.status === 401) {
      askForToken(token()
        ? "The server does not accept this token: check it and enter it again, or ask for a new one."
        : "The API needs an operator token: enter the one you were given.");
    }
    if (response.status === 403) askForToken("This token may not do that: use a token with the write scope.");
    throw new ApiError(response.status, payload);
  }
  return payload;
}

export const get = (path) => api("GET", path);

// ---- amounts and words ----------------------------------------------------------

/** "50000.25" -> "50,000.25": exact, the API's decimal string regrouped, never a float. */
export function grouped(decimal) {
  if (decimal === null || decimal === undefined || decimal === "") return "–";
  const text = String(decimal);
  const negative = text.startsWith("-");
  const [whole, fraction] = (negative ? text.slice(1) : text).split(".");
  const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (negative ? "−" : "") + withCommas + (fraction ? `.${fraction}` : "");
}

/** An API amount: a `{ amount, baseUnits }` object or a decimal string. */
export function tokenUnits(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "object") return value.amount ?? value.tokens ?? value.decimal ?? null;
  return String(value);
}

export function baseUnits(value) {
  if (value && typeof value === "object") return value.baseUnits ?? value.base ?? null;
  return null;
}

/** A cell's content for an amount: token units, base units beneath. */
export function amountHtml(value, symbol = "") {
  const units = tokenUnits(value);
  if (units === null) return "–";
  const base = baseUnits(value);
  const suffix = symbol ? ` ${escapeHtml(symbol)}` : "";
  return `${grouped(units)}${suffix}` + (base !== null ? `<span class="base-units">${grouped(String(base))} base units</span>` : "");
}

export function amountText(value, symbol = "") {
  const units = tokenUnits(value);
  return units === null ? "–" : `${grouped(units)}${symbol ? ` ${symbol}` : ""}`;
}

export function percent(bps) {
  if (bps === null || bps === undefined) return "–";
  return `${(Number(bps) / 100).toLocaleString("en-US", { maximumFractionDigits: 2 })}%`;
}

export function lamportsToSol(lamports) {
  if (lamports === null || lamports === undefined) return "–";
  return `${grouped((Number(lamports) / 1e9).toFixed(9).replace(/0+$/, "").replace(/\.$/, ""))} SOL`;
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export function shortAddress(address) {
  if (!address) return "–";
  const text = String(address);
  return text.length > 12 ? `${text.slice(0, 4)}…${text.slice(-4)}` : text;
}

/** A link-free, copyable address: short on screen, whole in its title. */
export function addressHtml(address) {
  return `<span class="mono" title="${escapeHtml(address)}">${escapeHtml(shortAddress(address))}</span>`;
}

export function signatureHtml(signature) {
  return signature ? `<span class="mono" title="${escapeHtml(signature)}">${escapeHtml(shortAddress(signature))}</span>` : "–";
}

/** Unix seconds or an RFC 3339 string -> Date. */
export function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return new Date(value * 1000);
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function dateTime(value) {
  const date = toDate(value);
  return date ? date.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" }) : "–";
}

/** "in 3 h 20 min", "5 min ago". */
export function relative(value) {
  const date = toDate(value);
  if (!date) return "–";
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const span = duration(Math.abs(seconds));
  return seconds >= 0 ? `in ${span}` : `${span} ago`;
}

export function duration(seconds) {
  const s = Math.round(Number(seconds));
  const pair = (whole, unit, rest, restUnit) => (rest ? `${whole} ${unit} ${rest} ${restUnit}` : `${whole} ${unit}`);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return pair(Math.floor(s / 3600), "h", Math.floor((s % 3600) / 60), "min");
  return pair(Math.floor(s / 86400), "d", Math.floor((s % 86400) / 3600), "h");
}

/** Health level -> badge class. */
export function healthClass(level) {
  return { healthy: "ok", HEALTHY: "ok", watch: "warn", WATCH: "warn", critical: "bad", CRITICAL: "bad" }[level] ?? "";
}

export function healthHtml(bps, level) {
  const width = Math.max(0, Math.min(100, Number(bps) / 100));
  const cls = healthClass(level) || (bps >= 10000 ? "ok" : bps >= 5000 ? "warn" : "bad");
  return `<span class="health"><span class="health-bar" aria-hidden="true"><span class="${cls}" style="width:${width}%"></span></span>` +
    `<span class="badge ${cls}">${percent(bps)}</span></span>`;
}

// ---- forms, errors, changes ---------------------------------------------------------

function errorSlot(control) {
  const field = control.closest(".field") || control.parentElement;
  return field ? $(".field-error", field) : null;
}

export function clearErrors(form) {
  for (const slot of $$(".field-error", form)) {
    slot.textContent = "";
    slot.hidden = true;
  }
  for (const control of $$("[aria-invalid]", form)) control.removeAttribute("aria-invalid");
}

/** The visible control an API field name refers to: by name, else by `data-field`. */
function controlFor(form, name) {
  const named = form.elements.namedItem(name);
  if (named instanceof Element) return named;
  return [...form.querySelectorAll(`[data-field="${CSS.escape(name)}"]`)].find((control) => !control.closest("[hidden]")) ?? null;
}

/** Puts each message next to the field it names; the rest under the form. */
export function showError(form, error) {
  clearErrors(form);
  const fields = error instanceof ApiError ? error.fieldErrors() : {};
  let first = null;
  const unplaced = [];
  for (const [name, message] of Object.entries(fields)) {
    const control = controlFor(form, name);
    const slot = control instanceof Element ? errorSlot(control) : null;
    if (!slot) {
      unplaced.push(message);
      continue;
    }
    if (!slot.id) slot.id = `${control.id || name}-error`;
    slot.textContent = message;
    slot.hidden = false;
    control.setAttribute("aria-invalid", "true");
    const described = new Set((control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
    described.add(slot.id);
    control.setAttribute("aria-describedby", [...described].join(" "));
    first ??= control;
  }
  if (!first || unplaced.length) {
    const slot = $(".form-error", form);
    if (slot) {
      slot.textContent = unplaced.length ? unplaced.join(" ") : error.message;
      slot.hidden = false;
    }
  }
  (first || $("button[type=submit]", form))?.focus();
}

/** A field's value for the API: amounts and percentages as the API takes them. */
export function fieldValue(control) {
  if (control.type === "checkbox") return control.checked;
  const text = control.value.trim().replaceAll(",", "");
  if (control.hasAttribute("data-percent")) return text === "" ? null : percentToBps(text);
  if (control.type === "number") return text === "" ? null : Number(text);
  return text;
}

/** "40" -> 4000, "4.5" -> 450; what is not a percentage goes through for the API to name. */
export function percentToBps(text) {
  if (!/^\d+(\.\d{1,2})?$/.test(text)) return text;
  const [whole, fraction = ""] = text.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

/** The named controls of a form as an API body. */
export function formBody(form, names) {
  const body = {};
  for (const name of names) {
    const control = form.elements.namedItem(name);
    if (control) body[name] = fieldValue(control);
  }
  return body;
}

/** `path` with the change mode the operator chose (`?changeMode=sign|export`). */
export function withChangeMode(path) {
  return `${path}${path.includes("?") ? "&" : "?"}changeMode=${changeMode()}`;
}

/**
 * Sends a change through the API in the chosen mode. Applied changes say what landed;
 * exported ones open the proposal dialog. Errors go next to their fields.
 */
export async function submitChange(form, method, path, body) {
  clearErrors(form);
  const buttons = $$("button", form);
  buttons.forEach((button) => (button.disabled = true));
  try {
    const result = await api(method, withChangeMode(path), body);
    showChangeResult(result);
    return result;
  } catch (error) {
    showError(form, error);
    return null;
  } finally {
    buttons.forEach((button) => (button.disabled = false));
  }
}

/** What a change response says: what landed, or the proposal to sign. */
export function showChangeResult(result) {
  if (result?.export) {
    openExport(result);
    return;
  }
  const effects = result?.effects?.length ? `: ${result.effects.join("; ")}` : "";
  const signature = result?.signature ? ` · transaction ${shortAddress(result.signature)}` : "";
  notify(`${result?.summary ?? "Change applied"}${effects}${signature}`);
}

export function notify(message, isError = false) {
  const notice = $("#notice");
  notice.textContent = message;
  notice.classList.toggle("error", isError);
  notice.hidden = false;
}

function copyRow(id, label, value) {
  return `<label for="${id}">${escapeHtml(label)}</label>` +
    `<div class="copy-row"><textarea id="${id}" readonly spellcheck="false">${escapeHtml(value)}</textarea>` +
    `<button type="button" class="copy secondary" data-copy="${id}">Copy</button></div>`;
}

function openExport(result) {
  const exported = result.export;
  $("#export-summary").textContent = [result.summary, ...(result.effects ?? [])].filter(Boolean).join(" · ");
  const signers = (exported.signers ?? []).map((key) => `<span class="mono">${escapeHtml(key)}</span>`).join(", ");
  const realms = (exported.realmsInstructions ?? [])
    .map((data, i) => copyRow(`export-realms-${i}`, `Realms: InstructionData (base64), instruction ${i + 1}`, data))
    .join("");
  $("#export-transactions").innerHTML =
    `<p>To be signed by ${signers || "the authority"}; fee payer ${escapeHtml(shortAddress(exported.feePayer))}.</p>` +
    copyRow("export-squads", "Squads: transaction (base58)", exported.squadsTransaction) +
    realms +
    `<details><summary>Instructions as JSON</summary><pre>${escapeHtml(JSON.stringify(exported.instructions, null, 2))}</pre></details>`;
  $("#export-dialog").showModal();
  $("#export-squads").focus();
}

async function copy(button) {
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    field.select();
    document.execCommand("copy");
  }
  button.textContent = "Copied";
  setTimeout(() => (button.textContent = "Copy"), 1500);
}

// ---- token, live status, start-up --------------------------------------------------------

function askForToken(message) {
  const dialog = $("#token-dialog");
  if (dialog.open) return;
  const slot = $("#token-input-error");
  slot.textContent = message || "";
  slot.hidden = !message;
  dialog.showModal();
  $("#token-input").focus();
}

function setUpToken() {
  $("#token-button").addEventListener("click", () => askForToken(""));
  $("#token-dialog").addEventListener("close", () => {
    const choice = $("#token-dialog").returnValue;
    if (choice === "save" && $("#token-input").value.trim()) sessionStorage.setItem(TOKEN_KEY, $("#token-input").value.trim());
    if (choice === "forget") sessionStorage.removeItem(TOKEN_KEY);
    $("#token-input").value = "";
    if (choice === "save" || choice === "forget") location.reload();
  });
}

function setUpChangeMode() {
  const select = $("#change-mode");
  select.value = changeMode();
  select.addEventListener("change", () => localStorage.setItem(MODE_KEY, select.value));
}

function setLive(text, isError = false) {
  const live = $("#live");
  live.textContent = text;
  live.classList.toggle("field-error", isError);
}

/**
 * Runs `refresh` now and every LIVE_INTERVAL_MS while the tab is visible, one at a time;
 * the footer says when the page last matched the chain.
 */
export function live(refresh) {
  let running = false;
  const tick = async () => {
    if (running || document.hidden) return;
    running = true;
    try {
      await refresh();
      setLive(`Live · updated ${new Date().toLocaleTimeString("en-GB")}`);
    } catch (error) {
      setLive(`Not updated: ${error.message}`, true);
    } finally {
      running = false;
    }
  };
  tick();
  setInterval(tick, LIVE_INTERVAL_MS);
  document.addEventListener("visibilitychange", tick);
}

/** The treasury's pause state, in the header of every page. */
export function showTreasuryState(treasury) {
  const badge = $("#treasury-state");
  const paused = Boolean(treasury?.paused);
  badge.textContent = paused ? "Treasury paused" : "Treasury active";
  badge.className = `badge ${paused ? "bad" : "ok"}`;
}

/** The markup each table row was made from. */
const rowMarkup = new WeakMap();

function rowElement(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  const row = template.content.firstElementChild;
  rowMarkup.set(row, html);
  return row;
}

/**
 * Fills a table body with `rows` (`empty` when there are none). A row that is already
 * shown stays the same element: a live refresh replacing a button between the press
 * and the release of a click would swallow that click, and lose keyboard focus.
 */
export function fillTable(table, rows, empty) {
  const body = $("tbody", table);
  const columns = $$("thead th", table).map((th) => th.textContent.trim());
  const wanted = rows.length
    ? rows.map((cells) => `<tr>${cells.map((cell, i) => `<td data-label="${escapeHtml(columns[i] ?? "")}"${cell?.cls ? ` class="${cell.cls}"` : ""}>${cell?.html ?? cell ?? ""}</td>`).join("")}</tr>`)
    : [`<tr><td colspan="${columns.length}" class="empty">${escapeHtml(empty)}</td></tr>`];
  const shown = new Map();
  for (const row of body.rows) {
    const html = rowMarkup.get(row);
    if (html !== undefined && !shown.has(html)) shown.set(html, row);
  }
  wanted.forEach((html, index) => {
    const row = shown.get(html) ?? rowElement(html);
    shown.delete(html);
    if (body.rows[index] !== row) body.insertBefore(row, body.rows[index] ?? null);
  });
  while (body.rows.length > wanted.length) body.lastElementChild.remove();
}

let plotlyLoading = null;

/**
 * plotly.js, loaded once a page first draws a chart: the page shows its numbers first
 * while the 4.6 MB library (preloaded from the page's head) is still being parsed.
 */
export function plotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  plotlyLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = document.querySelector('meta[name="plotly"]').content;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error("the chart library did not load: reload the page"));
    document.head.append(script);
  });
  return plotlyLoading;
}

/** The managed balance id a per-balance page is about. */
export function pageBalanceId() {
  return $("[data-balance-id]")?.dataset.balanceId ?? null;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy");
  if (button) copy(button);
});

setUpToken();
setUpChangeMode();
$("#export-close").addEventListener("click", () => $("#export-dialog").close());
