// 督查活动: the year's campaigns (the four periodic drafts made from the work plan, and the
// random, special and upper-level ones the office adds); a unit sees only those that issued it a
// finding.
import { api, vocabulary } from "../api.js";
import { errorText, field, formData, h, message, replace, select, written } from "../dom.js";

export async function render(main, { query }, session) {
  const words = await vocabulary();
  const year = query.get("year") || "";
  const kind = query.get("kind") || "";
  const filters = h("form", { class: "filters", role: "search", onsubmit: (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(filters).entries()) if (v) params.set(k, v);
    location.hash = `#/campaigns?${params}`;
  } },
  h("label", {}, "年度", h("input", { name: "year", type: "number", min: 2000, max: 2100, value: year })),
  h("label", {}, "督查类型", select("kind", words.campaign_kinds, kind, { blank: "全部" })),
  h("button", { type: "submit" }, "查询"));
  const list = await api.get("/api/v1/campaigns", { year, kind });
  replace(main, h("h1", {}, "督查活动"), filters,
    session.role === "supervisor" ? newCampaign(words) : null,
    list.campaigns.length ? h("table", { class: "items", id: "campaigns" },
      h("thead", {}, h("tr", {}, h("th", {}, "督查"), h("th", {}, "类型"), h("th", {}, "状态"),
        h("th", {}, "时间"), h("th", {}, "发现问题"), h("th", {}, "已下发督办"))),
      h("tbody", {}, list.campaigns.map((c) => h("tr", {},
        h("td", {}, h("a", { href: `#/campaigns/${c.id}` }, c.title)),
        h("td", { "data-label": "类型" }, c.kind_label,
          c.upper_level ? `（${words.upper_levels[c.upper_level]}）` : ""),
        h("td", { "data-label": "状态" }, h("span", { class: `status campaign-${c.status}` }, c.status_label)),
        h("td", { "data-label": "时间" }, c.plan.starts_on ? `${written(c.plan.starts_on)}起` : "—"),
        h("td", { "data-label": "发现问题" }, String(c.findings)),
        h("td", { "data-label": "已下发督办" }, String(c.issued))))))
      : h("p", { class: "empty" }, session.role === "handler" ? "暂无向本单位下发督办通知的督查" : "没有督查"));
}

function newCampaign(words) {
  const notice = h("div", { role: "status" });
  const kinds = Object.fromEntries(Object.entries(words.campaign_kinds).filter(([k]) => k !== "periodic"));
  const form = h("form", { class: "card", id: "new-campaign", onsubmit: async (event) => {
    event.preventDefault();
    const data = formData(form);
    const body = { kind: data.kind, title: data.title || "", upper_level: data.upper_level || null,
      plan: { themes: (data.themes || "").split(/[\n；;]/).map((t) => t.trim()).filter(Boolean) } };
    try {
      const made = await api.post("/api/v1/campaigns", body);
      location.hash = `#/campaigns/${made.id}`;
    } catch (error) {
      message(notice, errorText(error));
    }
  } },
  h("h2", {}, "新建督查（定期综合督查每年自动生成方案草稿）"),
  field("督查类型", select("kind", kinds, "random")),
  field("督查名称", h("input", { name: "title", required: true, maxlength: 200 })),
  field("上级督查机关", select("upper_level", words.upper_levels, "", { blank: "（承接上级督查时选择）" })),
  field("督查主题", h("textarea", { name: "themes", rows: 2, maxlength: 2000 }), "每行一个主题"),
  notice,
  h("button", { type: "submit" }, "新建"));
  return h("details", { class: "command" }, h("summary", {}, "新建督查"), form);
}
