// Webhooks: destinations, recent deliveries with their status, dead letters, replay.

import {
  $, api, clearErrors, dateTime, escapeHtml, fillTable, get, live, notify, relative, showError, showTreasuryState,
} from "./common.js";
import { treasury as readTreasury } from "./model.js";

let destinations = [];

function items(answer) {
  return Array.isArray(answer) ? answer : answer?.items ?? answer?.data ?? [];
}

function statusBadge(status) {
  const text = String(status ?? "").toLowerCase();
  const cls = { delivered: "ok", active: "ok", pending: "warn", failed: "bad", disabled: "bad" }[text] ?? "";
  const words = { pending: "waiting", failed: "failed (dead letter)" }[text] ?? text;
  return `<span class="badge ${cls}">${escapeHtml(words)}</span>`;
}

function destinationName(destinationId) {
  const destination = destinations.find((item) => String(item.id) === String(destinationId));
  return destination ? destination.url : String(destinationId ?? "–");
}

function renderDestinations() {
  const rows = destinations.map((destination) => [
    `<span class="mono">${escapeHtml(destination.url)}</span>`,
    escapeHtml(destination.type),
    escapeHtml(destination.events.join(", ")),
    `${statusBadge(destination.enabled ? "active" : "disabled")}${destination.disabledReason ? `<span class="base-units">${escapeHtml(destination.disabledReason)}</span>` : ""}`,
    `<div class="actions"><button type="button" class="small secondary" data-rotate="${escapeHtml(destination.id)}" aria-label="Rotate secret of ${escapeHtml(destination.url)}">Rotate secret</button>` +
      `<button type="button" class="small danger" data-delete="${escapeHtml(destination.id)}" aria-label="Delete the destination ${escapeHtml(destination.url)}">Delete</button></div>`,
  ]);
  fillTable($("#destinations-table"), rows, "No destination yet: add one below.");
  const filter = $("#filter-destination");
  const options = `<option value="">all</option>` + destinations.map((d) => `<option value="${escapeHtml(d.id)}">${escapeHtml(d.url)}</option>`).join("");
  // Rebuilt only when the destinations changed, so an open list stays open.
  if (filter.dataset.options === options) return;
  filter.dataset.options = options;
  const chosen = filter.value;
  filter.innerHTML = options;
  filter.value = chosen;
}

function deliveryRow(delivery, withStatus) {
  const cells = [
    escapeHtml(dateTime(delivery.createdAt)),
    `${escapeHtml(delivery.type)}<span class="base-units mono">${escapeHtml(delivery.messageId)}</span>`,
    `<span class="mono">${escapeHtml(destinationName(delivery.destination))}</span>`,
  ];
  if (withStatus) {
    const next = delivery.nextAttemptAt ? `<span class="base-units">next ${escapeHtml(relative(delivery.nextAttemptAt))}</span>` : "";
    cells.push(`${statusBadge(delivery.status)}${next}`, { html: escapeHtml(delivery.attempts), cls: "num" });
  }
  const response = [delivery.lastResponseStatus ? `HTTP ${delivery.lastResponseStatus}` : "", delivery.lastError ?? ""].filter(Boolean).join(": ");
  cells.push(
    escapeHtml(response || "–"),
    `<button type="button" class="small secondary" data-replay="${escapeHtml(delivery.id)}" aria-label="Replay ${escapeHtml(delivery.type)} to ${escapeHtml(destinationName(delivery.destination))}">Replay</button>`,
  );
  return cells;
}

async function refresh() {
  const filter = new URLSearchParams();
  if ($("#filter-destination").value) filter.set("destination", $("#filter-destination").value);
  if ($("#filter-status").value) filter.set("status", $("#filter-status").value);
  const [treasury, destinationList, deliveries, dead] = await Promise.all([
    readTreasury(),
    get("/hook/destination"),
    get(`/hook/delivery?${filter}&size=50`),
    get("/hook/delivery?status=FAILED"),
  ]);
  showTreasuryState(treasury);
  destinations = items(destinationList);
  renderDestinations();
  fillTable($("#deliveries-table"), items(deliveries).slice(0, 50).map((d) => deliveryRow(d, true)), "No delivery yet.");
  fillTable($("#dead-table"), items(dead).map((d) => deliveryRow(d, false)), "No dead letters.");
}

$("#destination-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const body = {
    url: form.elements.url.value.trim(),
    type: form.elements.type.value,
    events: form.elements.events.value.split(",").map((pattern) => pattern.trim()).filter(Boolean),
  };
  try {
    const created = await api("POST", "/hook/destination", body);
    showSecret(created.secret);
    form.reset();
    notify(`Destination added: ${created.url ?? body.url}`);
    await refresh();
  } catch (error) {
    showError(form, error);
  }
});

function showSecret(secret) {
  if (!secret) return;
  $("#secret-value").value = secret;
  $("#secret-panel").hidden = false;
  $("#secret-value").focus();
}

document.addEventListener("click", async (event) => {
  const rotate = event.target.closest("[data-rotate]");
  const remove = event.target.closest("[data-delete]");
  const replay = event.target.closest("[data-replay]");
  try {
    if (rotate) {
      const rotated = await api("POST", `/hook/destination/${encodeURIComponent(rotate.dataset.rotate)}/rotate-secret`);
      showSecret(rotated.secret);
    } else if (remove) {
      if (!confirm(`Delete the destination ${destinationName(remove.dataset.delete)}?`)) return;
      await api("DELETE", `/hook/destination/${encodeURIComponent(remove.dataset.delete)}`);
      notify("Destination deleted");
    } else if (replay) {
      await api("POST", `/hook/delivery/${encodeURIComponent(replay.dataset.replay)}/replay`);
      notify("Delivery queued again");
    } else {
      return;
    }
    await refresh();
  } catch (error) {
    notify(error.message, true);
  }
});

$("#delivery-filter").addEventListener("change", () => refresh().catch((error) => notify(error.message, true)));
$("#delivery-filter").addEventListener("submit", (event) => event.preventDefault());

live(refresh);
