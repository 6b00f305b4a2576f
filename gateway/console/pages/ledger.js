// 问题台账: every problem and item, open and closed, filtered on the server; each row opens the
// item's whole history.
import { api, unitNames, vocabulary } from "../api.js";
import { h, replace, select, statusBadge, written } from "../dom.js";

const PAGE = 50;
const FILTERS = ["campaign", "unit", "source", "severity", "status", "overdue", "since", "until", "problems"];

export async function render(main, { query }, session) {
  const [words, units, campaigns] = await Promise.all([vocabulary(), unitNames(), api.get("/api/v1/campaigns")]);
  const filter = Object.fromEntries(FILTERS.filter((k) => query.get(k)).map((k) => [k, query.get(k)]));
  const offset = Number(query.get("offset") || 0);
  const titles = Object.fromEntries(campaigns.campaigns.map((c) => [c.id, c.title]));
  const form = h("form", { class: "filters", role: "search", id: "ledger-filters", onsubmit: (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (v) params.set(k, v);
    location.hash = `#/ledger?${params}`;
  } },
  h("label", {}, "督查", select("campaign", titles, filter.campaign, { blank: "全部" })),
  session.role === "handler" ? null : h("label", {}, "单位", select("unit", units, filter.unit, { blank: "全部" })),
  h("label", {}, "来源", select("source", words.sources, filter.source, { blank: "全部" })),
  h("label", {}, "严重程度", select("severity", words.severities, filter.severity, { blank: "全部" })),
  h("label", {}, "状态", select("status", words.statuses, filter.status, { blank: "全部" })),
  h("label", {}, "逾期", select("overdue", { true: "已逾期", false: "未逾期" }, filter.overdue, { blank: "不限" })),
  h("label", {}, "登记自", h("input", { type: "date", name: "since", value: filter.since || "" })),
  h("label", {}, "登记至", h("input", { type: "date", name: "until", value: filter.until || "" })),
  h("label", {}, "范围", select("problems", { true: "只看督查发现问题" }, filter.problems, { blank: "全部事项" })),
  h("button", { type: "submit" }, "查询"),
  h("a", { href: "#/ledger", class: "button secondary" }, "清除"));
  const page = await api.get("/api/v1/ledger", { ...filter, limit: PAGE, offset });
  const link = (to, label) => h("a", { href: `#/ledger?${new URLSearchParams({ ...filter, offset: String(to) })}`,
    class: "button secondary" }, label);
  replace(main, h("h1", {}, "问题台账"), form,
    h("p", { class: "summary", id: "ledger-summary" }, `共 ${page.total} 件`),
    page.items.length ? h("table", { class: "items", id: "ledger" },
      h("thead", {}, h("tr", {}, ["问题或事项", "督办通知", "督查", "责任单位", "严重程度", "状态", "整改时限", "销号"]
        .map((t) => h("th", {}, t)))),
      h("tbody", {}, page.items.map((i) => h("tr", { class: i.overdue ? "overdue" : null },
        h("td", {}, h("a", { href: `#/items/${i.id}` }, i.title)),
        h("td", { "data-label": "督办通知" }, i.notice_number || "—"),
        h("td", { "data-label": "督查" }, i.campaign_id ? h("a", { href: `#/campaigns/${i.campaign_id}` },
          titles[i.campaign_id] || i.details.campaign_title || "督查") : words.sources[i.source]),
        h("td", { "data-label": "责任单位" }, units[i.lead_unit] || i.lead_unit || "—"),
        h("td", { "data-label": "严重程度" }, i.severity_label || "—"),
        h("td", { "data-label": "状态" }, statusBadge(i), i.returns ? `（驳回${i.returns}次）` : ""),
        h("td", { "data-label": "整改时限" }, written(i.due_date)),
        h("td", { "data-label": "销号" }, i.rectified ? (i.rectified_on_time ? "按期销号" : "逾期销号") : "—")))))
      : h("p", { class: "empty" }, "没有符合条件的问题或事项"),
    h("nav", { class: "pager", "aria-label": "翻页" },
      offset > 0 ? link(Math.max(0, offset - PAGE), "上一页") : null,
      offset + PAGE < page.total ? link(offset + PAGE, "下一页") : null));
}
