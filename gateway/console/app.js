// The console: one page, its views chosen by the address after '#'.
import { api, forget, whenSignedOut } from "./api.js";
import { h, replace } from "./dom.js";
import * as login from "./pages/login.js";
import * as home from "./pages/home.js";
import * as items from "./pages/items.js";
import * as item from "./pages/item.js";
import * as register from "./pages/register.js";
import * as finding from "./pages/finding.js";
import * as settings from "./pages/settings.js";
import * as admin from "./pages/admin.js";
import * as audit from "./pages/audit.js";
import * as reports from "./pages/reports.js";
import * as campaigns from "./pages/campaigns.js";
import * as campaign from "./pages/campaign.js";
import * as ledger from "./pages/ledger.js";
import * as responsibility from "./pages/responsibility.js";
import { flush } from "./outbox.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let session = null;

// Which pages each role finds in its menu (the API decides what each may really do).
const MENU = {
  supervisor: [["#/", "工作台"], ["#/items", "事项"], ["#/register", "登记事项"], ["#/campaigns", "督查"],
    ["#/ledger", "问题台账"], ["#/finding", "现场登记"], ["#/reports", "报表"], ["#/audit", "台账校验"],
    ["#/settings", "设置"]],
  leader: [["#/", "工作台"], ["#/items", "事项"], ["#/register", "批示交办"], ["#/campaigns", "督查"],
    ["#/ledger", "问题台账"], ["#/reports", "报表"]],
  handler: [["#/", "待办"], ["#/items", "本单位事项"], ["#/responsibility", "问题责任清单"], ["#/campaigns", "督查"],
    ["#/reports", "报表"]],
  auditor: [["#/", "工作台"], ["#/items", "事项"], ["#/campaigns", "督查"], ["#/ledger", "问题台账"],
    ["#/audit", "台账校验"]],
  admin: [["#/", "用户与密钥"], ["#/settings", "单位与领导"]],
};

const ROUTES = [
  [/^\/$/, home],
  [/^\/items$/, items],
  [/^\/items\/([0-9a-f-]{36})$/, item],
  [/^\/register$/, register],
  [/^\/finding$/, finding],
  [/^\/settings$/, settings],
  [/^\/admin$/, admin],
  [/^\/audit$/, audit],
  [/^\/reports$/, reports],
  [/^\/campaigns$/, campaigns],
  [/^\/campaigns\/([0-9a-f-]{36})$/, campaign],
  [/^\/ledger$/, ledger],
  [/^\/responsibility$/, responsibility],
];

function signedOut() {
  session = null;
  forget();
  location.hash = "#/login";
}
whenSignedOut(signedOut);

function drawChrome() {
  replace(nav, ...(session ? MENU[session.role] || [] : []).map(([href, label]) =>
    h("a", { href, "aria-current": location.hash.split("?")[0] === href ? "page" : null }, label)));
  replace(who, session
    ? [h("span", {}, `${session.display || session.user}（${session.role_label}${session.unitName ? " · " + session.unitName : ""}）`),
      h("button", { type: "button", class: "link", onclick: logout }, "退出")]
    : []);
}

async function logout() {
  try {
    await api.del("/api/v1/auth/session");
  } finally {
    signedOut();
  }
}

async function whoAmI() {
  try {
    session = await api.get("/api/v1/auth/me");
    if (session.unit) {
      const { unitNames } = await import("./api.js");
      session.unitName = (await unitNames())[session.unit] || session.unit;
    }
  } catch {
    session = null;
  }
}

async function route() {
  const [path, search] = (location.hash.slice(1) || "/").split("?");
  if (path === "/login") {
    session = null;
    drawChrome();
    const view = h("div", { class: "view" });
    replace(main, view);
    return login.render(view, {}, async () => {
      await whoAmI();
      location.hash = "#/";
    });
  }
  if (!session) await whoAmI();
  if (!session) {
    location.hash = "#/login";
    return;
  }
  drawChrome();
  for (const [pattern, page] of ROUTES) {
    const match = path.match(pattern);
    if (match) {
      // each visit draws into a view of its own: a slower earlier page, finishing late,
      // draws into a view no longer shown
      const view = h("div", { class: "view" }, h("p", { class: "loading" }, "正在加载…"));
      replace(main, view);
      main.focus();
      try {
        await page.render(view, { id: match[1], query: new URLSearchParams(search) }, session);
      } catch (error) {
        replace(view, h("div", { class: "notice error", role: "alert" },
          error.status === 404 ? "事项不存在，或您无权查看" : error.message || "页面加载失败"));
      }
      return;
    }
  }
  replace(main, h("div", { class: "notice error" }, "页面不存在"));
}

window.addEventListener("hashchange", route);
window.addEventListener("online", () => flush());
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
route();
flush();
