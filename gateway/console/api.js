// The public API, called as the signed-in user: the session lives in HttpOnly cookies the page
// cannot read; every change carries the session's CSRF token and an Idempotency-Key.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `请求失败（${status}）`);
    this.status = status;
    this.body = body || {};
    this.fields = (body && body.fields) || [];
  }
}

function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let onSignedOut = () => {};
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

async function send(method, path, { body, form, key, retried } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = cookie("dc_csrf");
  // an upload needs none: a file is stored under its content's hash, so a resend is harmless
  if (method !== "GET" && !form) headers["Idempotency-Key"] = key || newKey();
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (response.status === 401 && !retried && !path.startsWith("/api/v1/auth/session")) {
    if (await refresh()) return send(method, path, { body, form, key, retried: true });
    onSignedOut();
  }
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, typeof data === "object" ? data : null);
  return data;
}

async function refresh() {
  try {
    const response = await fetch("/api/v1/auth/session/refresh", {
      method: "POST",
      headers: { "X-CSRF-Token": cookie("dc_csrf"), Accept: "application/json" },
      credentials: "same-origin",
    });
    return response.ok;
  } catch {
    return false;
  }
}

function query(params) {
  const pairs = Object.entries(params || {}).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return pairs.length ? "?" + new URLSearchParams(pairs).toString() : "";
}

export const api = {
  get: (path, params) => send("GET", path + query(params)),
  post: (path, body, key) => send("POST", path, { body: body || {}, key }),
  put: (path, body, key) => send("PUT", path, { body, key }),
  del: (path) => send("DELETE", path),
  upload: (file) => {
    const form = new FormData();
    form.append("file", file, file.name || "photo.jpg");
    return send("POST", "/api/v1/files", { form });
  },
};

// the words every page uses, asked once per session
let words = null;
export async function vocabulary() {
  if (!words) words = await api.get("/api/v1/vocabulary");
  return words;
}

let units = null;
export async function unitNames() {
  if (!units) {
    const answer = await api.get("/api/v1/units");
    units = Object.fromEntries(answer.units.map((u) => [u.code, u.name]));
  }
  return units;
}

export function forget() {
  words = null;
  units = null;
}
