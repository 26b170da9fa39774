// What the staff pages (the console and the analytics) share: calling the API, building
// elements, showing errors, and the sign-in form. Loaded before the page's own script, which
// calls staffSignIn() with what signing in and out means on that page. Plain DOM; every text
// from the server goes in as text.
"use strict";

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(
      response.status, error.code || "http_error", error.message || response.statusText, error.details,
    );
  }
  return data;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function showError(id, error) {
  $(id).textContent = error ? error.message || String(error) : "";
}

// The sign-in form (#login, #username, #password, #staff-sign-in, #login-error) and the
// sign-out button (#sign-out): `signedIn(me)` once the staff member is known, `signedOut(why)`
// when nobody is (why: an error to show, or null). Asks who is signed in right away.
async function staffSignIn({ signedIn, signedOut }) {
  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("login-error", null);
    const username = $("username").value.trim();
    const password = $("password").value;
    if (!username || !password) {
      showError("login-error", new Error("Enter your username and password."));
      (username ? $("password") : $("username")).focus();
      return;
    }
    $("staff-sign-in").disabled = true;
    try {
      signedIn(await api("POST", "/api/staff/login", { username, password }));
      $("password").value = "";
    } catch (error) {
      showError("login-error", error);
      $("password").select();
      $("password").focus();
    } finally {
      $("staff-sign-in").disabled = false;
    }
  });
  $("sign-out").addEventListener("click", async () => {
    try {
      await api("POST", "/api/staff/logout");
    } finally {
      signedOut(null);
    }
  });
  try {
    signedIn(await api("GET", "/api/staff/me"));
  } catch (error) {
    signedOut(error.status === 401 ? null : error);
  }
}
