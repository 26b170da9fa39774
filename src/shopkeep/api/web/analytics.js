// The analytics page: a manager signs in, picks a date range and reads the figures, tables and
// charts (SVG drawn by the server). Plain DOM; every text from the server goes in as text.
"use strict";

const CHARTS = [
  ["conversations", "Conversations"],
  ["rates", "Resolution, handoff and conversion rates"],
  ["revenue", "Revenue"],
  ["tokens", "Prompt and completion tokens"],
  ["cost", "Model cost in USD"],
  ["latency", "Latency per turn, p50 and p95"],
];
const GROUP_NAMES = { day: "per day", job: "per job", language: "per language" };
const LANGUAGES = { en: "English", zh: "Chinese", ko: "Korean", unknown: "Not known" };
const COLUMNS = [
  ["conversations", "Conversations"],
  ["resolution_rate", "Resolution"],
  ["handoff_rate", "Handoff"],
  ["conversion_rate", "Conversion"],
  ["orders", "Orders"],
  ["revenue", "Revenue"],
  ["prompt_tokens", "Prompt tokens"],
  ["completion_tokens", "Completion tokens"],
  ["cost", "Cost"],
  ["latency_p50", "p50"],
  ["latency_p95", "p95"],
];

// --- small helpers (the shared ones are in staff.js) ----------------------------------------

function localTimezone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch (_) {
    return "UTC";
  }
}

function today(timezone) {
  // en-CA writes dates as YYYY-MM-DD, the form an <input type=date> takes.
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone: timezone }).format(new Date());
  } catch (_) {
    return new Date().toISOString().slice(0, 10);
  }
}

function daysBefore(isoDay, days) {
  const d = new Date(isoDay + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

// --- formatting: each shown figure keeps its exact value in data-value -----------------------

const integer = (n) => Number(n).toLocaleString("en-US");
const percent = (r) => (r === null ? "–" : `${(r * 100).toFixed(1)}%`);
const seconds = (s) => (s === null ? "–" : `${s.toFixed(2)} s`);
const revenue = (amounts) => amounts.map((m) => m.display).join(" + ");

function metric(figures, name) {
  // [shown text, exact value] of one figure
  switch (name) {
    case "conversations":
    case "orders":
    case "prompt_tokens":
    case "completion_tokens":
      return [integer(figures[name]), figures[name]];
    case "resolution_rate":
    case "handoff_rate":
    case "conversion_rate":
      return [percent(figures[name]), figures[name] === null ? "" : figures[name]];
    case "revenue":
      return [revenue(figures.revenue), figures.revenue[0].amount_minor];
    case "cost":
      return [figures.cost_display, figures.cost_pico_usd];
    case "latency_p50":
      return [seconds(figures.latency_p50_seconds), figures.latency_p50_seconds ?? ""];
    case "latency_p95":
      return [seconds(figures.latency_p95_seconds), figures.latency_p95_seconds ?? ""];
    default:
      throw new Error(`unknown figure ${name}`);
  }
}

function fill(node, figures, name) {
  const [text, value] = metric(figures, name);
  node.textContent = text;
  node.dataset.value = String(value);
  if (name === "revenue") node.dataset.currency = figures.revenue[0].currency;
}

// --- signing in ------------------------------------------------------------------------------

async function start() {
  $("range").addEventListener("submit", (event) => {
    event.preventDefault();
    load(formRange());
  });
  for (const button of document.querySelectorAll("#range [data-days]")) {
    button.addEventListener("click", () => {
      const timezone = $("timezone").value.trim() || "UTC";
      const end = today(timezone);
      load({ start: daysBefore(end, Number(button.dataset.days) - 1), end, timezone });
    });
  }
  await staffSignIn({ signedIn, signedOut });
}

function signedIn(me) {
  $("staff-name").textContent = me.display_name || me.username;
  $("staff-role").textContent = me.role;
  $("who").hidden = false;
  if (me.role !== "manager") {
    signedOut(new Error(`${me.username} is not a manager; the analytics are for managers.`));
    $("who").hidden = false;
    return;
  }
  $("login-panel").hidden = true;
  $("report").hidden = false;
  const asked = new URLSearchParams(location.search);
  load({
    start: asked.get("start"),
    end: asked.get("end"),
    timezone: asked.get("timezone") || localTimezone(),
  });
}

function signedOut(why) {
  $("who").hidden = true;
  $("report").hidden = true;
  $("login-panel").hidden = false;
  showError("login-error", why);
  $("username").focus();
}

// --- the report ------------------------------------------------------------------------------

function formRange() {
  return {
    start: $("start").value,
    end: $("end").value,
    timezone: $("timezone").value.trim(),
  };
}

async function load(range) {
  showError("range-error", null);
  const query = new URLSearchParams();
  for (const key of ["start", "end", "timezone"]) if (range[key]) query.set(key, range[key]);
  $("status").textContent = "Loading…";
  $("report").setAttribute("aria-busy", "true");
  try {
    const report = await api("GET", `/api/analytics?${query}`);
    render(report);
    const shown = new URLSearchParams({ start: report.start, end: report.end, timezone: report.timezone });
    history.replaceState(null, "", `${location.pathname}?${shown}`);
    $("status").textContent = `Showing ${report.start} to ${report.end}.`;
  } catch (error) {
    $("status").textContent = "";
    if (error.status === 401 || error.status === 403) signedOut(error);
    else if (error.details.field === "timezone" && range.timezone !== "UTC") {
      // The browser's zone is one the server does not know: show the days in UTC instead.
      await load({ ...range, timezone: "UTC" });
    } else showError("range-error", error);
  } finally {
    $("report").removeAttribute("aria-busy");
  }
}

function render(report) {
  $("start").value = report.start;
  $("end").value = report.end;
  $("timezone").value = report.timezone;
  $("report").dataset.start = report.start;
  $("report").dataset.end = report.end;
  $("report").dataset.timezone = report.timezone;
  $("range-label").textContent =
    report.start === report.end
      ? `on ${report.start} (${report.timezone})`
      : `from ${report.start} to ${report.end} (${report.timezone})`;

  const totals = report.totals;
  for (const node of document.querySelectorAll("#headline [data-metric]")) {
    fill(node, totals, node.dataset.metric);
  }
  const details = {
    resolved: `${integer(totals.resolved)} resolved`,
    handed_off: `${integer(totals.handed_off)} handed to a human`,
    converted: `${integer(totals.converted)} ended in a purchase`,
    orders: `${integer(totals.orders)} ${totals.orders === 1 ? "order" : "orders"}`,
    cached_tokens: `${integer(totals.cached_tokens)} prompt tokens from the cache`,
    cost_per_conversation: totals.conversations
      ? `${(Number(totals.cost_usd) / totals.conversations).toFixed(6)} USD per conversation`
      : "",
    replies: `over ${integer(totals.replies)} ${totals.replies === 1 ? "reply" : "replies"}`,
  };
  for (const node of document.querySelectorAll("#headline [data-detail]")) {
    node.textContent = details[node.dataset.detail];
  }

  table($("per-job"), "Job", report.per_job, (row) => row.job, (key) => key);
  table($("per-language"), "Language", report.per_language, (row) => row.language,
    (key) => (LANGUAGES[key] ? `${LANGUAGES[key]} (${key})` : key));
  charts(report.charts);
  definitions(report.definitions);
}

function table(node, title, rows, keyOf, nameOf) {
  const caption = node.querySelector("caption");
  node.replaceChildren(caption);
  node.append(
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, title),
      ...COLUMNS.map(([, label]) => el("th", { scope: "col" }, label)))),
  );
  const body = el("tbody");
  if (!rows.length) {
    body.append(el("tr", {}, el("td", { colspan: COLUMNS.length + 1, class: "empty" },
      "No conversations in this range.")));
  }
  for (const row of rows) {
    const key = keyOf(row);
    const cells = COLUMNS.map(([name]) => {
      const cell = el("td", { dataset: { metric: name } });
      fill(cell, row, name);
      return cell;
    });
    body.append(el("tr", { dataset: { key } }, el("th", { scope: "row" }, nameOf(key)), ...cells));
  }
  node.append(body);
}

function charts(urls) {
  for (const holder of document.querySelectorAll(".charts[data-group]")) {
    const group = holder.dataset.group;
    holder.replaceChildren(
      ...CHARTS.map(([name, title]) => {
        const chart = `${group}-${name}`;
        const caption = `${title} ${GROUP_NAMES[group]}`;
        return el("figure", { class: "chart", dataset: { chart } },
          el("img", { src: urls[chart], alt: caption, loading: group === "day" ? "eager" : "lazy" }),
          el("figcaption", {}, caption));
      }),
    );
  }
}

function definitions(texts) {
  const list = $("definitions");
  list.replaceChildren();
  for (const [name, text] of Object.entries(texts)) {
    list.append(el("dt", {}, name.replaceAll("_", " ")), el("dd", {}, text.replaceAll("`", "")));
  }
}

document.addEventListener("DOMContentLoaded", start);
