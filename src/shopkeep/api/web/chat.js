// The shopper's chat page: sign in (a demo customer or a guest), send a message and show the
// reply as it streams, product cards, the cart, confirm / decline of a staged action, and the
// conversation followed live (a staff member's replies, status changes). No build step.
"use strict";

const MAX_MESSAGE_CHARS = 4000; // the server's limit (shopkeep.store.conversations)
// The counter shows from here on. The page does not refuse a longer message itself: the
// server's refusal (422 message_too_long) is the one rule, and the page explains it.
const COUNT_FROM_CHARS = 3500;
const LANGUAGES = ["en", "zh", "ko"];

const LABELS = {
  en: {
    pageTitle: "shopkeep · chat",
    title: "shopkeep",
    skip: "Skip to the message box",
    signInHeading: "Who is shopping",
    customer: "Shop as",
    customerDemo: "Demo login: shop as",
    guest: "Guest (verify in chat)",
    signIn: "Sign in",
    signedIn: "Signed in",
    switchTo: "Switch",
    signOut: "Sign out",
    language: "Language",
    newConversation: "New conversation",
    chatHeading: "Chat with the shop",
    welcome: "Hi! Ask me about products, your orders, returns and exchanges, or order from a local store.",
    stagedLabel: "Shall I go ahead with this?",
    confirm: "Yes, go ahead",
    decline: "No",
    message: "Your message",
    send: "Send",
    hint: "Enter sends, Shift+Enter starts a new line.",
    placeholder: "Ask about a product or an order…",
    cart: "Cart",
    cartEmpty: "Your cart is empty.",
    cartSummaryEmpty: "Cart · empty",
    cartSummary: "Cart · {items} · {total}",
    cartItems: "{n} items",
    cartItem: "1 item",
    subtotal: "Subtotal",
    you: "You",
    assistant: "Shop assistant",
    staffTag: "{name} (shop staff)",
    statusActive: "Chatting with the shop assistant",
    statusWaiting: "Waiting for a person to join…",
    statusHuman: "You're chatting with {staff}",
    statusHumanAnon: "You're chatting with a person from the shop",
    statusClosed: "This conversation is closed; your next message starts a new one",
    signedInAs: "Signed in as {name} ({email})",
    guestNote: "You're a guest: the assistant asks who you are before it shows account data.",
    addToCart: "Add to cart",
    addToCartLabel: "Add {name} to the cart",
    addToCartText: "Add {name} to my cart",
    inStock: "In stock",
    inStockN: "{n} in stock",
    outOfStock: "Out of stock",
    priceUnknown: "Price on request",
    imageOf: "Picture of {name}",
    rating: "★ {r} / 5",
    quantity: "× {n}",
    errorSend: "Your message was not sent: {message}",
    errorTooLong: "Your message is too long: at most {max} characters. It was not sent.",
    errorBlank: "Type a message first: a blank message is not sent.",
    count: "{n} / {max} characters",
    countOver: "{n} / {max} characters: {over} too many",
    errorNetwork: "The shop can't be reached. Check the connection and try again.",
    errorStream: "The reply was cut off. It may still appear; otherwise send your message again.",
    errorGeneric: "Something went wrong: {message}",
    errorSignIn: "Signing in failed: {message}",
    queued: "You're number {n} in line. The assistant will answer you in turn.",
    errorBusy: "The shop assistant is busy with other customers, so your message was not sent. {retry}",
    errorRateLimited: "You've sent many messages in a short time, so this one was not sent. {retry}",
    retrySeconds: "Please send it again in {n} seconds.",
    retrySecond: "Please send it again in 1 second.",
    retryMinutes: "Please send it again in {n} minutes.",
    retryLater: "Please send it again in a moment.",
    yes: "yes",
    no: "no",
  },
  zh: {
    pageTitle: "shopkeep · 聊天",
    title: "shopkeep",
    skip: "跳到消息输入框",
    signInHeading: "购物者",
    customer: "购物身份",
    customerDemo: "演示登录：购物身份",
    guest: "访客（在聊天中验证身份）",
    signIn: "登录",
    signedIn: "已登录",
    switchTo: "切换",
    signOut: "退出登录",
    language: "语言",
    newConversation: "新对话",
    chatHeading: "与商店聊天",
    welcome: "你好！可以问我商品、订单、退货换货，或在附近门店点单。",
    stagedLabel: "要继续办理吗？",
    confirm: "确认办理",
    decline: "不要",
    message: "你的消息",
    send: "发送",
    hint: "按 Enter 发送，Shift+Enter 换行。",
    placeholder: "问问商品或订单…",
    cart: "购物车",
    cartEmpty: "购物车是空的。",
    cartSummaryEmpty: "购物车 · 空",
    cartSummary: "购物车 · {items} · {total}",
    cartItems: "{n} 件",
    cartItem: "1 件",
    subtotal: "小计",
    you: "你",
    assistant: "商店助手",
    staffTag: "{name}（商店客服）",
    statusActive: "正在与商店助手聊天",
    statusWaiting: "正在等待人工客服加入…",
    statusHuman: "你正在与 {staff} 聊天",
    statusHumanAnon: "你正在与商店的工作人员聊天",
    statusClosed: "此对话已结束；再发消息将开始新对话",
    signedInAs: "已登录：{name}（{email}）",
    guestNote: "你是访客：查看账户信息前，助手会先确认你的身份。",
    addToCart: "加入购物车",
    addToCartLabel: "把{name}加入购物车",
    addToCartText: "把{name}加入购物车",
    inStock: "有货",
    inStockN: "库存 {n} 件",
    outOfStock: "缺货",
    priceUnknown: "价格待询",
    imageOf: "{name}的图片",
    rating: "★ {r} / 5",
    quantity: "× {n}",
    errorSend: "消息未发送：{message}",
    errorTooLong: "消息太长：最多 {max} 个字符，未发送。",
    errorBlank: "请先输入消息：空白消息不会发送。",
    count: "{n} / {max} 个字符",
    countOver: "{n} / {max} 个字符：超出 {over} 个",
    errorNetwork: "无法连接商店，请检查网络后重试。",
    errorStream: "回复中断了，可能稍后出现；否则请重新发送。",
    errorGeneric: "出错了：{message}",
    errorSignIn: "登录失败：{message}",
    queued: "你正在排队，是第 {n} 位。助手会按顺序回复你。",
    errorBusy: "商店助手正在接待其他顾客，你的消息未发送。{retry}",
    errorRateLimited: "你在短时间内发送的消息太多，这条消息未发送。{retry}",
    retrySeconds: "请在 {n} 秒后重新发送。",
    retrySecond: "请在 1 秒后重新发送。",
    retryMinutes: "请在 {n} 分钟后重新发送。",
    retryLater: "请稍后重新发送。",
    yes: "是的",
    no: "不要",
  },
  ko: {
    pageTitle: "shopkeep · 채팅",
    title: "shopkeep",
    skip: "메시지 입력란으로 건너뛰기",
    signInHeading: "쇼핑하는 사람",
    customer: "쇼핑 계정",
    customerDemo: "데모 로그인: 쇼핑 계정",
    guest: "손님 (채팅에서 본인 확인)",
    signIn: "로그인",
    signedIn: "로그인됨",
    switchTo: "전환",
    signOut: "로그아웃",
    language: "언어",
    newConversation: "새 대화",
    chatHeading: "상점과 채팅",
    welcome: "안녕하세요! 상품, 주문, 반품·교환, 근처 매장 주문에 대해 물어보세요.",
    stagedLabel: "이대로 진행할까요?",
    confirm: "네, 진행해 주세요",
    decline: "아니요",
    message: "메시지",
    send: "보내기",
    hint: "Enter로 보내고 Shift+Enter로 줄을 바꿉니다.",
    placeholder: "상품이나 주문에 대해 물어보세요…",
    cart: "장바구니",
    cartEmpty: "장바구니가 비어 있습니다.",
    cartSummaryEmpty: "장바구니 · 비어 있음",
    cartSummary: "장바구니 · {items} · {total}",
    cartItems: "{n}개",
    cartItem: "1개",
    subtotal: "소계",
    you: "나",
    assistant: "상점 도우미",
    staffTag: "{name} (상점 상담원)",
    statusActive: "상점 도우미와 채팅 중",
    statusWaiting: "상담원을 기다리는 중…",
    statusHuman: "{staff} 님과 채팅 중입니다",
    statusHumanAnon: "상점 직원과 채팅 중입니다",
    statusClosed: "대화가 종료되었습니다. 메시지를 보내면 새 대화가 시작됩니다",
    signedInAs: "{name}({email}) 님으로 로그인됨",
    guestNote: "손님으로 이용 중입니다. 계정 정보를 보여 드리기 전에 본인 확인을 합니다.",
    addToCart: "장바구니에 담기",
    addToCartLabel: "{name} 장바구니에 담기",
    addToCartText: "{name} 장바구니에 담아 주세요",
    inStock: "재고 있음",
    inStockN: "재고 {n}개",
    outOfStock: "품절",
    priceUnknown: "가격 문의",
    imageOf: "{name} 이미지",
    rating: "★ {r} / 5",
    quantity: "× {n}",
    errorSend: "메시지를 보내지 못했습니다: {message}",
    errorTooLong: "메시지가 너무 깁니다. 최대 {max}자까지 보낼 수 있습니다. 보내지 않았습니다.",
    errorBlank: "먼저 메시지를 입력하세요. 빈 메시지는 보내지 않습니다.",
    count: "{n} / {max}자",
    countOver: "{n} / {max}자: {over}자 초과",
    errorNetwork: "상점에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요.",
    errorStream: "답변이 중간에 끊겼습니다. 곧 나타나지 않으면 다시 보내 주세요.",
    errorGeneric: "문제가 생겼습니다: {message}",
    errorSignIn: "로그인하지 못했습니다: {message}",
    queued: "대기 중입니다. 지금 {n}번째 순서이며, 차례가 되면 답변해 드립니다.",
    errorBusy: "상점 도우미가 다른 고객을 응대하느라 바빠 메시지를 보내지 못했습니다. {retry}",
    errorRateLimited: "짧은 시간에 메시지를 너무 많이 보내 이번 메시지는 보내지 않았습니다. {retry}",
    retrySeconds: "{n}초 후에 다시 보내 주세요.",
    retrySecond: "1초 후에 다시 보내 주세요.",
    retryMinutes: "{n}분 후에 다시 보내 주세요.",
    retryLater: "잠시 후 다시 보내 주세요.",
    yes: "네",
    no: "아니요",
  },
};

// The catalog's option groups, named for the card (the values come named from the server).
const OPTION_NAMES = {
  color: { en: "Colour", zh: "颜色", ko: "색상" },
  size: { en: "Size", zh: "尺码", ko: "사이즈" },
  scent: { en: "Scent", zh: "香型", ko: "향" },
  pack: { en: "Pack", zh: "规格", ko: "구성" },
  finish: { en: "Finish", zh: "饰面", ko: "마감" },
  shade: { en: "Shade", zh: "色号", ko: "색조" },
  wash: { en: "Wash", zh: "水洗", ko: "워싱" },
  pieces: { en: "Pieces", zh: "件数", ko: "구성품" },
  storage: { en: "Storage", zh: "容量", ko: "용량" },
  firmness: { en: "Firmness", zh: "软硬度", ko: "경도" },
  length: { en: "Length", zh: "长度", ko: "길이" },
  item: { en: "Item", zh: "款式", ko: "품목" },
  switch: { en: "Switch", zh: "轴体", ko: "스위치" },
};

const state = {
  lang: "en",
  languageChosen: false, // picked in the language menu, here or on an earlier visit
  customer: null, // the signed-in demo customer (CustomerOut), null for a guest
  conversation: null, // the open conversation's id; null until the first message
  status: "active",
  staff: null,
  staged: null,
  cart: null, // the cart as last shown
  lastSeq: 0,
  sending: false,
  deferred: [], // live messages that arrived while a turn of ours was streaming
  live: null,
  liveRetry: null,
};

const $ = (id) => document.getElementById(id);

// Signing in, starting afresh and sending run one after another: a message sent right after
// "Sign in" goes out as the person just signed in, never into the conversation being left.
let work = Promise.resolve();
function serially(task) {
  work = work
    .then(() => task())
    .catch((err) => showError(t("errorGeneric", { message: err.message })));
  return work;
}
const ui = {};

// --- small helpers -------------------------------------------------------------------------

function t(key, args) {
  const text = (LABELS[state.lang] && LABELS[state.lang][key]) || LABELS.en[key] || key;
  return args ? text.replace(/\{(\w+)\}/g, (_, name) => String(args[name] ?? "")) : text;
}

// Characters as the server counts them (code points, not UTF-16 units: an emoji is one).
function chars(text) {
  return [...text].length;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

class ApiError extends Error {
  constructor(status, code, message, details, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
    this.retryAfter = retryAfter || null; // seconds, when the server said when to try again
  }
}

async function httpError(response) {
  let code = `http_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  let details = {};
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message, details = {} } = body.error);
  } catch (_) {
    // not the API's JSON error shape: keep the status line
  }
  const retryAfter = Math.ceil(Number(response.headers.get("Retry-After")));
  return new ApiError(
    response.status,
    code,
    message,
    details,
    retryAfter > 0 ? retryAfter : null,
  );
}

async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw new ApiError(0, "network", t("errorNetwork"));
  }
  if (!response.ok) throw await httpError(response);
  return response.json();
}

function storageKey() {
  return `shopkeep.conversation.${state.customer ? state.customer.id : "guest"}`;
}

function remember(id) {
  try {
    if (id) localStorage.setItem(storageKey(), id);
    else localStorage.removeItem(storageKey());
  } catch (_) {
    // private mode: the conversation is not resumed after a reload, nothing else breaks
  }
}

function remembered() {
  try {
    return localStorage.getItem(storageKey());
  } catch (_) {
    return null;
  }
}

// --- language ------------------------------------------------------------------------------

function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  state.lang = lang;
  document.documentElement.lang = lang;
  document.title = t("pageTitle");
  ui.language.value = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  const guest = ui.customer.querySelector('option[value=""]');
  if (guest) guest.textContent = t("guest");
  for (const node of ui.messages.querySelectorAll(".who-said[data-who]")) {
    node.textContent = whoSaid(node.dataset.who, node.dataset.author);
  }
  for (const node of ui.messages.querySelectorAll(".queue-place")) {
    node.textContent = t("queued", { n: node.dataset.position });
  }
  showWho();
  showStatus(state.status, state.staff);
  showCartSummary();
  showCount();
}

function initialLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem("shopkeep.language");
  } catch (_) {
    saved = null;
  }
  if (LANGUAGES.includes(saved)) {
    state.languageChosen = true;
    return saved;
  }
  const browser = (navigator.language || "en").slice(0, 2).toLowerCase();
  return LANGUAGES.includes(browser) ? browser : "en";
}

// --- who is shopping -----------------------------------------------------------------------

function showWho() {
  ui.who.textContent = state.customer
    ? t("signedInAs", { name: state.customer.name, email: state.customer.email })
    : t("guestNote");
  showSignInButton();
}

// The button says what it would do with the person chosen; with the person already shopping
// chosen there is nothing to do, and it says so.
function showSignInButton() {
  const chosen = ui.customer.value || null;
  const current = state.customer ? state.customer.id : null;
  let label = "signIn";
  if (chosen === current) label = current ? "signedIn" : "signIn";
  else if (!chosen) label = "signOut";
  else if (current) label = "switchTo";
  ui.signIn.textContent = t(label);
  ui.signIn.dataset.state = label;
  ui.signIn.disabled = chosen === current;
}

async function loadCustomers(session) {
  const options = [el("option", { value: "", text: t("guest") })];
  // The demo login lets anyone be anyone: the picker says so.
  const label = document.querySelector('label[for="customer"]');
  label.dataset.i18n = session.demo_login ? "customerDemo" : "customer";
  label.textContent = t(label.dataset.i18n);
  if (session.demo_login) {
    try {
      for (const c of await api("GET", "/api/demo/customers")) {
        options.push(el("option", { value: c.id, text: `${c.name} · ${c.email}` }));
      }
    } catch (err) {
      showError(t("errorGeneric", { message: err.message }));
    }
  }
  ui.customer.replaceChildren(...options);
  ui.customer.value = session.customer ? session.customer.id : "";
  showSignInButton();
}

async function signIn() {
  hideError();
  const customerId = ui.customer.value || null;
  try {
    const session = await api("POST", "/api/session", { customer_id: customerId });
    state.customer = session.customer;
  } catch (err) {
    showError(t("errorSignIn", { message: err.message }));
    return;
  }
  // The shop knows a customer's language: the page speaks it (unless the visitor chose one)
  // until the conversation says else.
  if (!state.languageChosen && state.customer && LANGUAGES.includes(state.customer.locale)) {
    setLanguage(state.customer.locale);
  }
  showWho();
  // Signing in is a new person at the keyboard: their own last conversation, or a fresh one.
  closeConversation();
  await resume();
  ui.message.focus();
}

// --- the conversation ----------------------------------------------------------------------

function closeConversation() {
  stopFollowing();
  state.conversation = null;
  state.lastSeq = 0;
  state.deferred = [];
  state.staff = null;
  delete ui.messages.dataset.conversationId;
  ui.messages.replaceChildren();
  ui.welcome.hidden = false;
  showStaged(null);
  showStatus("active", null);
}

async function newConversation() {
  hideError();
  closeConversation();
  remember(null);
  await refreshCart();
  ui.message.focus();
}

async function resume() {
  const id = remembered();
  if (id) {
    try {
      const conversation = await api("GET", `/api/conversations/${encodeURIComponent(id)}`);
      openConversation(conversation);
      return;
    } catch (err) {
      if (err.status !== 404) showError(t("errorGeneric", { message: err.message }));
      remember(null); // not this browser's (any more): start afresh
    }
  }
  await refreshCart();
}

function openConversation(conversation) {
  closeConversation();
  state.conversation = conversation.id;
  ui.messages.dataset.conversationId = conversation.id;
  remember(conversation.id);
  if (conversation.language) setLanguage(conversation.language);
  for (const m of conversation.messages) addMessage(m);
  showStatus(conversation.status, conversation.staff);
  showStaged(conversation.staged);
  follow();
  refreshCart();
}

async function startConversation() {
  const conversation = await api("POST", "/api/conversations", { language: state.lang });
  closeConversation();
  state.conversation = conversation.id;
  ui.messages.dataset.conversationId = conversation.id;
  remember(conversation.id);
  showStatus(conversation.status, conversation.staff);
  follow();
}

// --- messages ------------------------------------------------------------------------------

function whoSaid(role, author) {
  if (role === "customer") return t("you");
  if (role === "staff") return t("staffTag", { name: author || "" });
  if (role === "assistant") return t("assistant");
  return "";
}

function messageElement(role, text, seq, author) {
  const who = el("span", {
    class: role === "staff" ? "who-said" : "who-said visually-hidden",
    "data-who": role,
    "data-author": author,
    text: whoSaid(role, author),
  });
  return el(
    "li",
    { class: "msg", "data-role": role, "data-seq": seq },
    who,
    el("p", { class: "text", text }),
  );
}

function fill(node, m) {
  showQueued(node, null);
  node.dataset.seq = String(m.seq);
  node.classList.remove("streaming", "pending");
  node.removeAttribute("aria-busy");
  if (m.language) node.lang = m.language;
  node.querySelector(".text").textContent = m.text;
  if (m.products && m.products.length) node.append(cards(m.products));
  state.lastSeq = Math.max(state.lastSeq, m.seq);
}

function renderedSeq(seq) {
  return ui.messages.querySelector(`.msg[data-seq="${seq}"]`);
}

function addMessage(m) {
  if (renderedSeq(m.seq)) return null; // each message once, whoever delivered it first
  const node = messageElement(m.role, "", m.seq, m.author_name || m.author);
  fill(node, m);
  // In seq order; messages still on their way (no seq yet) stay last.
  const after = [...ui.messages.children].find(
    (other) => !other.dataset.seq || Number(other.dataset.seq) > m.seq,
  );
  ui.messages.insertBefore(node, after || null);
  ui.welcome.hidden = true;
  scrollToEnd();
  return node;
}

function addPending(role, text) {
  const node = messageElement(role, text);
  node.classList.add(role === "customer" ? "pending" : "streaming");
  if (role !== "customer") node.setAttribute("aria-busy", "true");
  ui.messages.append(node);
  ui.welcome.hidden = true;
  scrollToEnd();
  return node;
}

// While the message waits in line for the assistant, its reply-to-be says its place in line.
function showQueued(node, position) {
  let note = node.querySelector(".queue-place");
  if (!position) {
    if (note) note.remove();
    return;
  }
  if (!note) {
    note = el("p", { class: "queue-place", role: "status" });
    node.querySelector(".text").before(note);
  }
  note.dataset.position = String(position);
  note.textContent = t("queued", { n: position });
  scrollToEnd();
}

function scrollToEnd() {
  ui.scroller.scrollTop = ui.scroller.scrollHeight;
}

// --- product cards -------------------------------------------------------------------------

function hue(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

function optionName(key) {
  const names = OPTION_NAMES[key];
  return names ? names[state.lang] || names.en : key.replace(/_/g, " ");
}

function priceText(p) {
  if (!p.price_from) return t("priceUnknown");
  if (p.price_to && p.price_to.amount_minor !== p.price_from.amount_minor) {
    return `${p.price_from.display} – ${p.price_to.display}`;
  }
  return p.price_from.display;
}

function stockText(p) {
  if (!p.in_stock) return t("outOfStock");
  return p.stock === null || p.stock === undefined ? t("inStock") : t("inStockN", { n: p.stock });
}

function card(p) {
  const options = Object.entries(p.options || {})
    .map(([name, values]) => `${optionName(name)}: ${values.join(", ")}`)
    .join(" · ");
  const add = el("button", {
    type: "button",
    class: "add",
    "aria-label": t("addToCartLabel", { name: p.name }),
    text: t("addToCart"),
    disabled: !p.in_stock,
  });
  add.addEventListener("click", () => say(t("addToCartText", { name: p.name })));
  const thumb = el("div", {
    class: "thumb",
    role: "img",
    "aria-label": t("imageOf", { name: p.name }),
    text: p.image,
  });
  thumb.style.background = `hsl(${hue(p.id)} 45% 42%)`;
  return el(
    "li",
    { class: "product-card", "data-product-id": p.id },
    thumb,
    el("h3", { text: p.name }),
    p.brand ? el("p", { class: "brand-name", text: p.brand }) : null,
    el("p", { class: "price", text: priceText(p) }),
    options ? el("p", { class: "options", text: options }) : null,
    el("p", { class: p.in_stock ? "stock" : "stock out", text: stockText(p) }),
    p.rating ? el("p", { class: "options", text: t("rating", { r: p.rating.toFixed(1) }) }) : null,
    add,
  );
}

function cards(products) {
  return el("ul", { class: "cards" }, ...products.map(card));
}

// --- cart, staged action, status, errors ---------------------------------------------------

function showCart(cart) {
  const lines = cart ? cart.lines : [];
  ui.cartLines.replaceChildren(
    ...lines.map((line) => {
      const options = Object.values(line.options || {}).join(", ");
      return el(
        "li",
        { class: "cart-line", "data-variant-id": line.variant_id },
        el(
          "span",
          { class: "line-name" },
          `${line.name} ${t("quantity", { n: line.quantity })}`,
          options ? el("span", { class: "line-options", text: options }) : null,
        ),
        el("span", { class: "line-total", text: line.line_total.display }),
      );
    }),
  );
  ui.cartEmpty.hidden = lines.length > 0;
  ui.cartTotal.hidden = lines.length === 0;
  ui.cartSubtotal.textContent = cart && cart.subtotal && lines.length ? cart.subtotal.display : "";
  state.cart = cart || null;
  showCartSummary();
}

// The line that stands for the cart on a phone: how many items and what they come to.
function showCartSummary() {
  const lines = state.cart ? state.cart.lines : [];
  const items = lines.reduce((n, line) => n + line.quantity, 0);
  ui.cartToggle.textContent = items
    ? t("cartSummary", {
        items: items === 1 ? t("cartItem") : t("cartItems", { n: items }),
        total: state.cart.subtotal ? state.cart.subtotal.display : "",
      })
    : t("cartSummaryEmpty");
}

function toggleCart() {
  const open = ui.cartToggle.getAttribute("aria-expanded") !== "true";
  ui.cartToggle.setAttribute("aria-expanded", String(open));
  ui.cart.classList.toggle("open", open);
}

async function refreshCart() {
  try {
    const path = state.conversation
      ? `/api/conversations/${encodeURIComponent(state.conversation)}/cart`
      : "/api/cart";
    showCart(await api("GET", path));
  } catch (err) {
    if (err.status !== 404) showError(t("errorGeneric", { message: err.message }));
  }
}

function showStaged(staged) {
  state.staged = staged || null;
  const wasFocused = ui.staged.contains(document.activeElement);
  ui.staged.hidden = !staged;
  // A keyboard user who just answered is not left focused on a hidden button.
  if (!staged && wasFocused) ui.message.focus();
}

function showStatus(status, staff) {
  state.status = status || "active";
  state.staff = staff || null;
  ui.status.dataset.status = state.status;
  const text = {
    active: t("statusActive"),
    waiting_human: t("statusWaiting"),
    human: state.staff ? t("statusHuman", { staff: state.staff }) : t("statusHumanAnon"),
    closed: t("statusClosed"),
  };
  ui.status.textContent = text[state.status] || state.status;
}

function showError(text, kind) {
  ui.error.textContent = text;
  ui.error.dataset.kind = kind || "";
  ui.error.hidden = false;
}

function hideError() {
  ui.error.hidden = true;
  ui.error.textContent = "";
  ui.error.dataset.kind = "";
}

// When to send again, from the refusal's Retry-After.
function retryText(after) {
  if (!after) return t("retryLater");
  if (after === 1) return t("retrySecond");
  if (after > 90) return t("retryMinutes", { n: Math.ceil(after / 60) });
  return t("retrySeconds", { n: after });
}

function explain(err, text) {
  if (err.code === "network") return t("errorNetwork");
  if (err.code === "stream_cut") return t("errorStream");
  if (err.status === 503) return t("errorBusy", { retry: retryText(err.retryAfter) });
  if (err.status === 429) return t("errorRateLimited", { retry: retryText(err.retryAfter) });
  if (err.status === 422 && chars(text) > MAX_MESSAGE_CHARS) {
    return t("errorTooLong", { max: MAX_MESSAGE_CHARS });
  }
  return t("errorSend", { message: err.message });
}

// Near the limit the page counts what would be sent; over it, by how much.
function showCount() {
  const n = chars(ui.message.value.trim());
  const over = n - MAX_MESSAGE_CHARS;
  ui.count.hidden = n < COUNT_FROM_CHARS;
  ui.count.textContent = ui.count.hidden
    ? ""
    : t(over > 0 ? "countOver" : "count", { n, max: MAX_MESSAGE_CHARS, over });
  ui.count.classList.toggle("over", over > 0);
  if (over > 0) ui.message.setAttribute("aria-invalid", "true");
  else ui.message.removeAttribute("aria-invalid");
}

// --- sending and streaming -----------------------------------------------------------------

// The events of a text/event-stream body, as {event, data} with data parsed from JSON.
async function* serverEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    // A lone "\r" at the end may be the first half of "\r\n": leave it for the next chunk.
    buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n|\r(?!$)/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue; // a keep-alive comment
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = text;
        else if (field === "data") data.push(text);
      }
      if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
    }
  }
}

// The reply is shown growing piece by piece, a few pieces a frame, done in well under a second
// (instantly for someone who asked for reduced motion).
function typer(node) {
  const target = node.querySelector(".text");
  const queue = [];
  let timer = null;
  let finished = null;
  const instant = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const tick = () => {
    const step = Math.max(1, Math.ceil(queue.length / 12));
    target.textContent += queue.splice(0, step).join("");
    scrollToEnd();
    if (queue.length) timer = setTimeout(tick, 16);
    else {
      timer = null;
      if (finished) finished();
    }
  };
  return {
    push(piece) {
      queue.push(piece);
      if (instant) {
        target.textContent += queue.splice(0).join("");
      } else if (!timer) timer = setTimeout(tick, 16);
    },
    done() {
      return new Promise((resolve) => {
        if (!timer) resolve();
        else finished = resolve;
      });
    },
  };
}

// Queue a message; false when there is nothing to send or a turn is still under way.
function say(raw) {
  const text = (raw || "").trim();
  if (!text || state.sending) return false;
  state.sending = true;
  serially(() => send(text));
  return true;
}

async function send(text) {
  hideError();
  ui.composer.setAttribute("aria-busy", "true");
  ui.send.setAttribute("aria-disabled", "true");
  const staged = state.staged;
  showStaged(null);
  let pending = null;
  let streaming = null;
  try {
    if (!state.conversation || state.status === "closed") await startConversation();
    pending = addPending("customer", text);
    let response;
    try {
      response = await fetch(
        `/api/conversations/${encodeURIComponent(state.conversation)}/messages/stream`,
        {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
          body: JSON.stringify({ text }),
        },
      );
    } catch (_) {
      throw new ApiError(0, "network", t("errorNetwork"));
    }
    if (!response.ok) throw await httpError(response);
    let turn = null;
    let typing = null;
    try {
      for await (const { event, data } of serverEvents(response)) {
        if (event === "queued" || event === "thinking" || event === "delta") {
          if (!streaming) {
            streaming = addPending("assistant", "");
            typing = typer(streaming);
          }
          // The message is taken: from here on it is answered even if this page goes away.
          showQueued(streaming, event === "queued" ? data.position : null);
          if (event === "delta") typing.push(data.text);
        } else if (event === "turn") {
          turn = data;
        } else if (event === "error") {
          const e = data.error || {};
          throw new ApiError(0, e.code || "error", e.message || "", e.details);
        }
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError(0, "stream_cut", t("errorStream"));
    }
    if (!turn) throw new ApiError(0, "stream_cut", t("errorStream"));
    if (typing) await typing.done();
    showTurn(turn, pending, streaming);
    pending = null;
    streaming = null;
  } catch (err) {
    if (pending) pending.remove();
    if (streaming) streaming.remove();
    if (!ui.message.value.trim()) ui.message.value = text; // nothing typed is lost
    showCount();
    if (err.status === 404 && err.code === "conversation_not_found") {
      remember(null);
      closeConversation();
    }
    if (!ui.messages.children.length) ui.welcome.hidden = false;
    showError(explain(err, text));
    if (state.conversation) showStaged(staged);
  } finally {
    state.sending = false;
    ui.composer.removeAttribute("aria-busy");
    ui.send.removeAttribute("aria-disabled");
    const deferred = state.deferred;
    state.deferred = [];
    for (const m of deferred) liveMessage(m);
  }
}

function showTurn(turn, pending, streaming) {
  for (const m of turn.messages) {
    if (renderedSeq(m.seq)) continue;
    if (m.role === "customer" && pending) {
      fill(pending, m);
      pending = null;
    } else if (m.role === "assistant" && streaming) {
      fill(streaming, m);
      streaming = null;
    } else {
      addMessage(m);
    }
  }
  if (pending) pending.remove();
  if (streaming) streaming.remove(); // no reply: a person holds the conversation
  setLanguage(turn.language);
  showStatus(turn.status, turn.staff);
  showStaged(turn.staged);
  showCart(turn.cart);
  scrollToEnd();
}

// --- following the conversation live -------------------------------------------------------

function liveMessage(m) {
  if (state.sending && (m.role === "customer" || m.role === "assistant")) {
    state.deferred.push(m); // our own turn: the stream shows it first
    return;
  }
  if (!addMessage(m)) return;
  if (m.role === "assistant") {
    showStaged(m.staged);
    if (m.language) setLanguage(m.language);
  }
}

function follow() {
  stopFollowing();
  const id = state.conversation;
  if (!id) return;
  const source = new EventSource(
    `/api/conversations/${encodeURIComponent(id)}/live?after=${state.lastSeq}`,
  );
  source.addEventListener("message", (e) => liveMessage(JSON.parse(e.data)));
  source.addEventListener("status", (e) => {
    const data = JSON.parse(e.data);
    showStatus(data.status, data.staff);
  });
  source.addEventListener("error", () => {
    // The browser reconnects by itself unless the server refused; then try again later.
    if (source.readyState === EventSource.CLOSED && state.live === source) {
      state.live = null;
      state.liveRetry = setTimeout(() => {
        if (state.conversation === id) follow();
      }, 3000);
    }
  });
  state.live = source;
}

function stopFollowing() {
  if (state.liveRetry) clearTimeout(state.liveRetry);
  state.liveRetry = null;
  if (state.live) state.live.close();
  state.live = null;
}

// --- wiring --------------------------------------------------------------------------------

async function main() {
  Object.assign(ui, {
    customer: $("customer"),
    language: $("language"),
    who: $("who"),
    status: $("status"),
    welcome: $("welcome"),
    messages: $("messages"),
    scroller: $("scroller"),
    staged: $("staged"),
    error: $("error"),
    composer: $("composer"),
    message: $("message"),
    send: $("send"),
    count: $("message-count"),
    signIn: $("sign-in"),
    cart: $("cart"),
    cartToggle: $("cart-toggle"),
    cartLines: $("cart-lines"),
    cartEmpty: $("cart-empty"),
    cartSubtotal: $("cart-subtotal"),
    cartTotal: document.querySelector(".cart-total"),
  });
  setLanguage(initialLanguage());

  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    serially(signIn);
  });
  for (const type of ["input", "change"]) ui.customer.addEventListener(type, showSignInButton);
  ui.cartToggle.addEventListener("click", toggleCart);
  $("new-conversation").addEventListener("click", () => serially(newConversation));
  ui.language.addEventListener("change", () => {
    state.languageChosen = true;
    setLanguage(ui.language.value);
    try {
      localStorage.setItem("shopkeep.language", ui.language.value);
    } catch (_) {
      // not remembered; the choice still holds for this page
    }
  });
  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.message.value;
    // A blank message is refused here, without a request; it replaces any earlier error,
    // which is about a message no longer being sent.
    if (!text.trim()) {
      showError(t("errorBlank"), "blank");
      ui.message.focus();
      return;
    }
    if (!say(text)) return; // a turn is under way: what is typed stays in the box
    hideError();
    ui.message.value = "";
    showCount();
  });
  ui.message.addEventListener("input", () => {
    showCount();
    if (ui.error.dataset.kind === "blank" && ui.message.value.trim()) hideError();
  });
  ui.message.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition (Chinese,
    // Korean input) only ends the composition.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  $("confirm").addEventListener("click", () => say(t("yes")));
  $("decline").addEventListener("click", () => say(t("no")));

  let session = { customer: null, demo_login: false };
  // The merchant's site passes its signed-in customer as /#identity=TOKEN (a fragment never
  // reaches a server log); it is handed over once and removed from the address.
  const passed = new URLSearchParams(location.hash.slice(1)).get("identity");
  if (passed) history.replaceState(null, "", location.pathname + location.search);
  try {
    session = passed
      ? await api("POST", "/api/session", { identity_token: passed })
      : await api("GET", "/api/session");
  } catch (err) {
    showError(t("errorGeneric", { message: err.message }));
  }
  state.customer = session.customer;
  await loadCustomers(session);
  showWho();
  await serially(resume);
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", main);
