// A page of items as a table, each with its working-day countdown (asked of the API, which
// counts on the official calendar).
import { api } from "../api.js";
import { countdownBadge, h, written, statusBadge } from "../dom.js";

const OPEN = new Set(["assigned", "acknowledged", "returned", "feedback_submitted", "returned_by_unit", "registered"]);

export async function countdowns(items) {
  const dates = [...new Set(items.filter((i) => i.due_date && OPEN.has(i.status)).map((i) => i.due_date))];
  const days = {};
  // the API counts 25 dates a request
  for (let i = 0; i < dates.length; i += 25) {
    const answer = await api.get("/api/v1/calendar/countdown", { dates: dates.slice(i, i + 25).join(",") });
    Object.assign(days, answer.days);
  }
  return days;
}

export function itemTable(items, days, units, words) {
  if (!items.length) return h("p", { class: "empty" }, "没有事项");
  return h("table", { class: "items" },
    h("thead", {}, h("tr", {}, h("th", {}, "事项"), h("th", {}, "来源"), h("th", {}, "牵头单位"),
      h("th", {}, "状态"), h("th", {}, "办理时限"))),
    h("tbody", {}, items.map((item) => h("tr", { class: item.overdue ? "overdue" : null },
      h("td", {}, h("a", { href: `#/items/${item.id}` }, item.title)),
      h("td", { "data-label": "来源" }, words.sources[item.source] || item.source),
      h("td", { "data-label": "牵头单位" }, units[item.lead_unit] || item.lead_unit || "—"),
      h("td", { "data-label": "状态" }, statusBadge(item)),
      h("td", { "data-label": "办理时限" }, written(item.due_date), " ",
        OPEN.has(item.status) ? countdownBadge(days[item.due_date]) : null)))));
}
