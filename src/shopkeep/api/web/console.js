// The staff console: sign in, follow the handoff queue live, take a conversation over, reply,
// hand it back. Plain DOM; every text from the server goes in as text, never as HTML.
"use strict";

const state = {
  me: null, // {username, display_name, role}
  queue: [], // HandoffOut[]
  queueStream: null,
  selected: null, // conversation id
  conversation: null, // ConsoleConversationOut, kept up to date by the live stream
  convStream: null,
  lastSeq: 0,
  seenWaiting: null, // ids of waiting handoffs already announced
};

const REASONS = {
  requested: "The customer asked for a person",
  out_of_scope: "Outside what the assistant does",
  misunderstood: "The assistant did not understand, several times",
  verification_failed: "The customer could not verify who they are",
};
const ROLES = { customer: "Customer", assistant: "Assistant", staff: "Staff", system: "System" };
const STATUS_TEXT = {
  active: "with the assistant",
  waiting_human: "waiting for a human",
  human: "held by staff",
  closed: "closed",
};
const LANGUAGES = { en: "English", zh: "Chinese", ko: "Korean" };

// --- small helpers (the shared ones are in staff.js) ----------------------------------------

function when(iso) {
  // The server writes UTC; a time without a zone is UTC too.
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z");
}

function ago(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - when(iso).getTime()) / 1000));
  if (seconds < 60) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

function clock(iso) {
  return when(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function day(iso) {
  return when(iso).toLocaleDateString([], { year: "numeric", month: "short", day: "numeric" });
}

function announce(text) {
  const announcer = $("announcer");
  announcer.textContent = "";
  // A fresh text node is announced even when the same words come twice.
  window.setTimeout(() => (announcer.textContent = text), 50);
}

function whoName(handoff) {
  return handoff.customer ? handoff.customer.name : "Guest (not verified)";
}

// --- signing in --------------------------------------------------------------------------

async function start() {
  $("take").addEventListener("click", take);
  $("reply-form").addEventListener("submit", sendReply);
  $("reply").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });
  $("hand-back-form").addEventListener("submit", handBack);
  $("close-conversation").addEventListener("click", closeConversation);
  window.setInterval(() => renderQueue(), 30000);
  await staffSignIn({ signedIn, signedOut });
}

function signedIn(me) {
  state.me = me;
  $("staff-name").textContent = me.display_name || me.username;
  $("staff-role").textContent = me.role;
  $("who").hidden = false;
  $("login-panel").hidden = true;
  $("desk").hidden = false;
  followQueue();
  const wanted = new URLSearchParams(location.hash.slice(1)).get("c");
  if (wanted) openConversation(wanted);
}

function signedOut(why) {
  state.me = null;
  stopStreams();
  state.selected = null;
  state.conversation = null;
  state.seenWaiting = null;
  $("who").hidden = true;
  $("desk").hidden = true;
  $("login-panel").hidden = false;
  showError("login-error", why);
  $("username").focus();
}

function stopStreams() {
  if (state.queueStream) state.queueStream.close();
  if (state.convStream) state.convStream.close();
  state.queueStream = null;
  state.convStream = null;
}

// A stream that fails may mean the sign-in ended (signed out elsewhere, deactivated).
async function checkStillSignedIn() {
  try {
    await api("GET", "/api/staff/me");
    return true;
  } catch (error) {
    if (error.status === 401) signedOut();
    return false;
  }
}

function handleActionError(error) {
  if (error.status === 401) {
    signedOut();
    showError("login-error", new Error("Your sign-in ended; sign in again."));
    return;
  }
  showError("action-error", error);
}

// --- the queue ---------------------------------------------------------------------------

function followQueue() {
  if (state.queueStream) state.queueStream.close();
  const stream = new EventSource("/api/console/live");
  state.queueStream = stream;
  setLive("connecting");
  stream.addEventListener("open", () => setLive("live"));
  stream.addEventListener("queue", (event) => {
    setLive("live");
    const data = JSON.parse(event.data);
    state.queue = data.handoffs;
    announceNew(data.handoffs);
    renderQueue();
    syncSelectedFromQueue();
  });
  stream.addEventListener("error", async () => {
    setLive("reconnecting");
    if (!(await checkStillSignedIn())) stream.close();
  });
}

function setLive(what) {
  const node = $("live-state");
  node.dataset.state = what;
  node.textContent = { live: "live", connecting: "connecting…", reconnecting: "reconnecting…" }[what];
}

function announceNew(handoffs) {
  const waiting = handoffs.filter((h) => h.status === "waiting");
  if (state.seenWaiting !== null) {
    const fresh = waiting.filter((h) => !state.seenWaiting.has(h.id));
    if (fresh.length === 1) announce(`New in the queue: ${whoName(fresh[0])}`);
    else if (fresh.length > 1) announce(`${fresh.length} new conversations in the queue`);
  }
  state.seenWaiting = new Set(waiting.map((h) => h.id));
}

function renderQueue() {
  const list = $("queue");
  const focusedId = document.activeElement && document.activeElement.closest("#queue .handoff");
  const keepFocus = focusedId ? focusedId.dataset.handoffId : null;
  list.replaceChildren(...state.queue.map(queueItem));
  const waiting = state.queue.filter((h) => h.status === "waiting").length;
  $("queue-count").textContent = String(state.queue.length);
  $("queue-empty").hidden = state.queue.length > 0;
  document.title = waiting ? `(${waiting}) Console · shopkeep` : "Console · shopkeep";
  if (keepFocus) {
    const again = list.querySelector(`.handoff[data-handoff-id="${keepFocus}"] button`);
    if (again) again.focus();
  }
}

function queueItem(h) {
  const mine = h.status === "taken" && state.me && h.staff === state.me.username;
  const holder = h.status === "taken" ? (mine ? "taken by you" : `taken by ${h.staff}`) : "waiting";
  const c = h.customer;
  const last = c && c.orders.length ? c.orders[0] : null;
  const context = c
    ? el(
        "p",
        { class: "context" },
        c.email,
        c.orders.length
          ? ` · ${c.orders.length} recent order${c.orders.length > 1 ? "s" : ""}, last ${last.id} (${last.status})`
          : " · no orders"
      )
    : el("p", { class: "context" }, "Not signed in: verify in chat before account actions");
  const button = el(
    "button",
    {
      type: "button",
      class: "open-handoff",
      "aria-current": state.selected === h.conversation_id ? "true" : null,
    },
    el(
      "span",
      { class: "row" },
      el("strong", { class: "name" }, whoName(h)),
      el("span", { class: `pill ${h.status}${mine ? " mine" : ""}` }, holder)
    ),
    el(
      "span",
      { class: "row meta" },
      el("span", { title: REASONS[h.reason] || null }, h.reason.replace(/_/g, " ")),
      el("span", {}, LANGUAGES[h.language] || h.language || "—"),
      el("time", { datetime: h.created_at }, ago(h.created_at))
    ),
    el("span", { class: "summary" }, h.summary || "(no summary)"),
    context
  );
  button.addEventListener("click", () => openConversation(h.conversation_id));
  return el(
    "li",
    {
      class: "handoff",
      dataset: { handoffId: String(h.id), conversationId: h.conversation_id, status: h.status },
    },
    button
  );
}

// The queue stream knows a take or hand-back by anyone first; the open conversation follows it.
function syncSelectedFromQueue() {
  if (!state.conversation) return;
  const h = state.queue.find((x) => x.conversation_id === state.selected);
  if (h) {
    state.conversation.handoff = h;
    renderControls();
  }
}

// --- one conversation --------------------------------------------------------------------

async function openConversation(conversationId) {
  showError("action-error", null);
  if (state.convStream) state.convStream.close();
  state.convStream = null;
  state.selected = conversationId;
  history.replaceState(null, "", `#c=${encodeURIComponent(conversationId)}`);
  renderQueue();
  let conversation;
  try {
    conversation = await api("GET", `/api/console/conversations/${encodeURIComponent(conversationId)}`);
  } catch (error) {
    handleActionError(error);
    return;
  }
  if (state.selected !== conversationId) return; // another one was picked meanwhile
  state.conversation = conversation;
  state.lastSeq = 0;
  $("no-selection").hidden = true;
  $("conversation-body").hidden = false;
  $("console-messages").replaceChildren();
  addMessages(conversation.messages);
  renderConversation();
  followConversation(conversationId);
  const focusTarget = !$("take").hidden && !$("take").disabled ? $("take") : !$("reply").disabled ? $("reply") : null;
  if (focusTarget) focusTarget.focus();
}

function followConversation(conversationId) {
  const url = `/api/console/conversations/${encodeURIComponent(conversationId)}/live?after=${state.lastSeq}`;
  const stream = new EventSource(url);
  state.convStream = stream;
  stream.addEventListener("message", (event) => {
    if (state.selected !== conversationId) return;
    addMessages([JSON.parse(event.data)]);
  });
  stream.addEventListener("status", (event) => {
    if (state.selected !== conversationId) return;
    const data = JSON.parse(event.data);
    state.conversation.status = data.status;
    state.conversation.handoff = data.handoff;
    renderConversation();
  });
  stream.addEventListener("error", async () => {
    // The browser reconnects on its own, but with the first `after`: start again from the last seen.
    stream.close();
    if (state.convStream !== stream) return;
    if (!(await checkStillSignedIn())) return;
    window.setTimeout(() => {
      if (state.convStream === stream && state.selected === conversationId) followConversation(conversationId);
    }, 1000);
  });
}

function addMessages(messages) {
  const list = $("console-messages");
  for (const m of messages) {
    if (m.seq <= state.lastSeq) continue;
    state.lastSeq = m.seq;
    const who = m.role === "staff" ? `${ROLES.staff} · ${m.author || ""}` : ROLES[m.role] || m.role;
    list.append(
      el(
        "li",
        { class: "msg", dataset: { role: m.role, seq: String(m.seq) } },
        el("span", { class: "who" }, who, " ", el("time", { datetime: m.created_at }, clock(m.created_at))),
        el("span", { class: "text", lang: m.language || null }, m.text)
      )
    );
  }
  list.scrollTop = list.scrollHeight;
}

function renderConversation() {
  const c = state.conversation;
  const h = c.handoff;
  const name = c.customer ? c.customer.name : "Guest";
  $("conversation-title").textContent = `${name} · ${c.id}`;
  const status = $("conversation-status");
  status.dataset.status = c.status;
  status.textContent = STATUS_TEXT[c.status] || c.status;
  $("handoff-reason").textContent = h ? REASONS[h.reason] || h.reason : "";
  $("handoff-summary").textContent = h ? h.summary || "(no summary)" : "";
  for (const id of ["handoff-reason", "handoff-summary"]) $(id).parentElement.hidden = !h;
  renderCustomer(c.customer);
  renderControls();
}

function renderControls() {
  const c = state.conversation;
  if (!c) return;
  const h = c.handoff;
  const open = h && (h.status === "waiting" || h.status === "taken");
  const mine = open && h.status === "taken" && h.staff === state.me.username;
  const waiting = open && h.status === "waiting";
  $("take").hidden = !waiting;
  $("take").disabled = !waiting;
  for (const id of ["reply", "send-reply", "hand-back-note", "hand-back"]) $(id).disabled = !mine;
  $("close-conversation").disabled = !(mine || waiting);
  // Nothing to write with while the assistant holds it, or once it is closed.
  $("reply-form").hidden = !open;
  $("hand-back-form").hidden = !open;
  let line = "";
  if (mine) line = "You hold this conversation: the assistant stays quiet until you hand it back.";
  else if (open && h.status === "taken") line = `${h.staff} holds this conversation.`;
  else if (waiting) line = "Waiting for someone to take it over.";
  else if (c.status === "closed") line = "This conversation is closed.";
  else line = "The assistant holds this conversation.";
  $("holder-line").textContent = line;
}

function profileValue(key, value, customer) {
  if (value === null || value === undefined) return "—";
  if (Array.isArray(value)) return value.map((v) => profileValue("", v, customer)).join(", ");
  if (typeof value === "object") {
    return Object.entries(value)
      .map(([k, v]) => `${k.replace(/_/g, " ")}: ${profileValue(k, v, customer)}`)
      .join(", ");
  }
  // Amounts in a profile are integer minor units, like every amount in the shop.
  if (key.endsWith("_minor") && Number.isInteger(value)) {
    const currency = customer.orders.length ? customer.orders[0].total.currency : "USD";
    const format = new Intl.NumberFormat([], { style: "currency", currency });
    return format.format(value / 10 ** format.resolvedOptions().maximumFractionDigits);
  }
  return String(value);
}

function renderCustomer(customer) {
  const box = $("customer-context");
  if (!customer) {
    box.replaceChildren(
      el("p", { class: "guest" }, "Guest: not signed in and not verified."),
      el("p", { class: "hint" }, "They must verify who they are in chat before anything on an account.")
    );
    return;
  }
  const profile = Object.entries(customer.profile || {});
  const facts = el(
    "dl",
    { class: "facts" },
    el("dt", {}, "Name"),
    el("dd", {}, customer.name),
    el("dt", {}, "Email"),
    el("dd", {}, customer.email),
    el("dt", {}, "Locale"),
    el("dd", {}, customer.locale || "—"),
    ...profile.flatMap(([key, value]) => [
      el("dt", {}, key.replace(/_minor$/, "").replace(/_/g, " ")),
      el("dd", {}, profileValue(key, value, customer)),
    ])
  );
  const orders = customer.orders.length
    ? el(
        "ol",
        { class: "orders", "aria-label": "Recent orders" },
        ...customer.orders.map((o) =>
          el(
            "li",
            { class: "order", dataset: { orderId: o.id } },
            el(
              "span",
              { class: "row" },
              el("strong", {}, o.id),
              el("span", { class: `pill order-${o.status.replace(/\W+/g, "-")}` }, o.status),
              el("span", { class: "total" }, o.total.display)
            ),
            el("span", { class: "meta" }, day(o.created_at)),
            el("span", { class: "items" }, o.items.join(", "))
          )
        )
      )
    : el("p", { class: "empty" }, "No orders yet.");
  box.replaceChildren(facts, el("h3", {}, "Recent orders"), orders);
}

// --- acting on it ------------------------------------------------------------------------

async function take() {
  const h = state.conversation && state.conversation.handoff;
  if (!h) return;
  showError("action-error", null);
  $("take").disabled = true;
  try {
    state.conversation.handoff = await api("POST", `/api/console/handoffs/${h.id}/take`);
    state.conversation.status = "human";
    renderConversation();
    $("reply").focus();
  } catch (error) {
    handleActionError(error);
    renderControls();
  }
}

async function sendReply(event) {
  event.preventDefault();
  const h = state.conversation && state.conversation.handoff;
  const text = $("reply").value.trim();
  if (!h || !text) return;
  showError("action-error", null);
  $("send-reply").disabled = true;
  try {
    const message = await api("POST", `/api/console/handoffs/${h.id}/reply`, { text });
    addMessages([message]);
    $("reply").value = "";
  } catch (error) {
    handleActionError(error);
  } finally {
    renderControls();
    if (!$("reply").disabled) $("reply").focus();
  }
}

async function handBack(event) {
  event.preventDefault();
  const h = state.conversation && state.conversation.handoff;
  if (!h) return;
  showError("action-error", null);
  const note = $("hand-back-note").value.trim();
  try {
    await api("POST", `/api/console/handoffs/${h.id}/hand-back`, { note: note || null });
    $("hand-back-note").value = "";
    state.conversation.handoff = null;
    state.conversation.status = "active";
    renderConversation();
    announce("Handed back to the assistant");
    $("queue-panel").focus();
  } catch (error) {
    handleActionError(error);
  }
}

async function closeConversation() {
  const h = state.conversation && state.conversation.handoff;
  if (!h) return;
  if (!window.confirm("Close this conversation for good?")) return;
  showError("action-error", null);
  try {
    await api("POST", `/api/console/handoffs/${h.id}/close`);
    state.conversation.handoff = null;
    state.conversation.status = "closed";
    renderConversation();
    announce("Conversation closed");
  } catch (error) {
    handleActionError(error);
  }
}

start();
