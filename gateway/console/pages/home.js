// Each role's home page: the office's dashboard, a unit's work queue, the admin's accounts.
import { api, unitNames, vocabulary } from "../api.js";
import { errorText, h, replace, written } from "../dom.js";
import { countdowns, itemTable } from "./table.js";
import * as admin from "./admin.js";

export async function render(main, params, session) {
  if (session.role === "admin") return admin.render(main, params, session);
  if (session.role === "handler") return queue(main, session);
  return dashboard(main, session);
}

async function dashboard(main, session) {
  const [figures, units] = await Promise.all([api.get("/api/v1/reports/dashboard"), unitNames()]);
  const c = figures.counts;
  const card = (label, n, href, kind) => h("a", { class: `stat ${kind || ""}`, href }, h("strong", {}, String(n)), h("span", {}, label));
  replace(main,
    h("h1", {}, `工作台 · ${written(figures.today)}`),
    h("section", { class: "stats", "aria-label": "事项数" },
      card("今日到期", c.due_today, `#/items?due_from=${figures.today}&due_to=${figures.today}`, c.due_today ? "soon" : ""),
      card("本周到期", c.due_this_week, "#/items?due_within=4"),
      card("已逾期", c.overdue, "#/items?overdue=true", c.overdue ? "late" : ""),
      card("在办", c.open, "#/items"),
      card("待交办", c.to_assign, "#/items?status=registered"),
      card("待签收", c.unsigned, "#/items?unsigned=true"),
      card("延期申请待批", c.pending_extension, "#/items?pending_extension=true"),
      card("单位退回待改派", c.returned_by_unit, "#/items?returned_by_unit=true"),
      card("退回重办", c.rework, "#/items?status=returned"),
      card("待审核", c.to_review, "#/items?status=feedback_submitted"),
      card("已办结", c.closed, "#/items?status=closed")),
    h("div", { class: "columns" },
      h("section", { class: "card" }, h("h2", {}, "各单位在办和逾期"),
        figures.units.length ? h("table", {},
          h("thead", {}, h("tr", {}, h("th", {}, "牵头单位"), h("th", {}, "在办"), h("th", {}, "逾期"))),
          h("tbody", {}, figures.units.map((u) => h("tr", {},
            h("td", {}, h("a", { href: `#/items?unit=${u.unit}` }, units[u.unit] || u.unit)),
            h("td", {}, String(u.open)),
            h("td", { class: u.overdue ? "late" : "" }, String(u.overdue))))))
          : h("p", { class: "empty" }, "暂无在办事项")),
      h("section", { class: "card" }, h("h2", {}, "近 12 周登记与办结"), trend(figures.weeks))));
}

// Bars drawn as SVG: registered (left) and closed (right) per week.
function trend(weeks) {
  const ns = "http://www.w3.org/2000/svg";
  const max = Math.max(1, ...weeks.flatMap((w) => [w.registered, w.closed]));
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${weeks.length * 30 + 10} 130`);
  svg.setAttribute("class", "trend");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", weeks.map((w) => `${written(w.week)}起一周：登记${w.registered}，办结${w.closed}`).join("；"));
  weeks.forEach((w, i) => {
    [["registered", 0], ["closed", 12]].forEach(([key, dx]) => {
      const height = (w[key] / max) * 100;
      const bar = document.createElementNS(ns, "rect");
      bar.setAttribute("x", String(10 + i * 30 + dx));
      bar.setAttribute("y", String(110 - height));
      bar.setAttribute("width", "10");
      bar.setAttribute("height", String(height));
      bar.setAttribute("class", key);
      svg.append(bar);
    });
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", String(10 + i * 30));
    label.setAttribute("y", "125");
    label.textContent = w.week.slice(5);
    svg.append(label);
  });
  return h("figure", {}, svg, h("figcaption", {}, h("span", { class: "key registered" }, "登记"), " ", h("span", { class: "key closed" }, "办结")));
}

// A unit's work queue: what to sign, what is due soon or late, what came back, co-unit work.
async function queue(main, session) {
  const [words, units] = await Promise.all([vocabulary(), unitNames()]);
  const sections = [
    ["待签收", { unsigned: true }],
    ["即将到期（3 个工作日内）", { due_within: 3 }],
    ["已逾期", { overdue: true }],
    ["退回重办", { status: "returned" }],
    ["配合办理", { unit: session.unit, limit: 100 }],
  ];
  replace(main, h("h1", {}, `待办 · ${units[session.unit] || session.unit || ""}`));
  for (const [title, filter] of sections) {
    const box = h("section", { class: "card" }, h("h2", {}, title), h("p", { class: "loading" }, "正在加载…"));
    main.append(box);
    try {
      const page = await api.get("/api/v1/items", { limit: 20, ...filter });
      const items = title === "配合办理"
        ? page.items.filter((i) => i.lead_unit !== session.unit && !["closed", "cancelled", "merged"].includes(i.status))
        : page.items;
      replace(box, h("h2", {}, `${title}（${title === "配合办理" ? items.length : page.total}）`),
        itemTable(items, await countdowns(items), units, words));
    } catch (error) {
      replace(box, h("h2", {}, title), h("p", { class: "notice error" }, errorText(error)));
    }
  }
}
