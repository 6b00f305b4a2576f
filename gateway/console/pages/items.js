// The item list: filters and paging done by the server, so it stays fast at any size.
import { api, unitNames, vocabulary } from "../api.js";
import { h, replace, select } from "../dom.js";
import { countdowns, itemTable } from "./table.js";

const PAGE = 50;
// the list's own filters, as the API names them (anything else in the address is ignored)
const FILTERS = ["q", "status", "source", "unit", "overdue", "unsigned", "returned_by_unit", "pending_extension",
  "escalated", "due_within", "due_from", "due_to", "notice_number", "external_ref"];

export async function render(main, { query }, session) {
  const [words, units] = await Promise.all([vocabulary(), unitNames()]);
  const filter = Object.fromEntries(FILTERS.filter((k) => query.get(k)).map((k) => [k, query.get(k)]));
  const offset = Number(query.get("offset") || 0);
  const form = h("form", { class: "filters", role: "search", onsubmit: (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (v) params.set(k, v);
    location.hash = `#/items?${params}`;
  } },
  h("label", {}, "关键词", h("input", { name: "q", value: filter.q || "", maxlength: 50, placeholder: "标题或内容中的字词" })),
  h("label", {}, "状态", select("status", words.statuses, filter.status, { blank: "全部" })),
  h("label", {}, "来源", select("source", words.sources, filter.source, { blank: "全部" })),
  session.role === "handler" ? null : h("label", {}, "单位", select("unit", units, filter.unit, { blank: "全部" })),
  h("label", {}, "逾期", select("overdue", { true: "已逾期", false: "未逾期" }, filter.overdue, { blank: "不限" })),
  h("label", {}, "到期自", h("input", { type: "date", name: "due_from", value: filter.due_from || "" })),
  h("label", {}, "到期至", h("input", { type: "date", name: "due_to", value: filter.due_to || "" })),
  ...["unsigned", "returned_by_unit", "pending_extension", "escalated", "due_within", "notice_number", "external_ref"]
    .filter((k) => filter[k]).map((k) => h("input", { type: "hidden", name: k, value: filter[k] })),
  h("button", { type: "submit" }, "查询"),
  h("a", { href: "#/items", class: "button secondary" }, "清除"));
  const results = h("section", { "aria-live": "polite" }, h("p", { class: "loading" }, "正在加载…"));
  replace(main, h("h1", {}, "事项"), form, results);
  const started = performance.now();
  const page = await api.get("/api/v1/items", { ...filter, limit: PAGE, offset });
  const days = await countdowns(page.items);
  const elapsed = Math.round(performance.now() - started);
  const link = (to, label) => {
    const params = new URLSearchParams({ ...filter, offset: String(to) });
    return h("a", { href: `#/items?${params}`, class: "button secondary" }, label);
  };
  replace(results,
    h("p", { class: "summary", id: "list-summary", "data-ms": String(elapsed) },
      `共 ${page.total} 件，第 ${page.total ? offset + 1 : 0}–${offset + page.items.length} 件`),
    itemTable(page.items, days, units, words),
    h("nav", { class: "pager", "aria-label": "翻页" },
      offset > 0 ? link(Math.max(0, offset - PAGE), "上一页") : null,
      offset + PAGE < page.total ? link(offset + PAGE, "下一页") : null));
}
