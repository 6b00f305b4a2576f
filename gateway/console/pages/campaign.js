// One campaign: its plan (edited while a draft), its unannounced visits, its findings, and the
// supervision notice (督办通知) that sends a finding to its unit as an item. A unit's handler
// sees only the findings issued to it.
import { api, unitNames, vocabulary } from "../api.js";
import { errorText, field, formData, h, message, replace, select, statusBadge, written, writtenTime } from "../dom.js";
import { fileLinks, filePicker } from "./files.js";

export async function render(main, { id }, session) {
  const [campaign, figures, words, units] = await Promise.all([
    api.get(`/api/v1/campaigns/${id}`), api.get(`/api/v1/campaigns/${id}/figures`), vocabulary(), unitNames()]);
  const rows = (await api.get("/api/v1/ledger", { campaign: id, limit: 500 })).items;
  const items = Object.fromEntries(rows.map((i) => [i.id, i]));
  const office = session.role === "supervisor";
  const again = () => render(main, { id }, session);
  replace(main,
    h("p", {}, h("a", { href: "#/campaigns" }, "← 督查活动")),
    h("h1", {}, campaign.title, " ", h("span", { class: `status campaign-${campaign.status}` }, campaign.status_label)),
    h("dl", { class: "facts" },
      fact("督查类型", campaign.kind_label + (campaign.upper_level ? `（${words.upper_levels[campaign.upper_level]}）` : "")),
      fact("年度", String(campaign.year))),
    figuresCard(figures),
    planCard(campaign, words, units, office, again),
    office ? visitsCard(campaign, again) : null,
    findingsCard(campaign, items, words, units, office, again));
}

function fact(label, value) {
  return [h("dt", {}, label), h("dd", {}, value)];
}

function figuresCard(f) {
  const stat = (label, value, key) => h("div", { class: "stat", "data-figure": key }, h("b", {}, String(value)), h("span", {}, label));
  return h("section", { class: "card", "aria-label": "整改情况" }, h("h2", {}, "整改情况"),
    h("div", { class: "stats" }, stat("发现问题", f.found, "found"), stat("按期整改", f.rectified_on_time, "rectified_on_time"),
      stat("逾期整改", f.rectified_late, "rectified_late"), stat("被驳回", f.rejected, "rejected"),
      stat("未销号", f.open, "open"), stat("逾期", f.overdue, "overdue")));
}

function scopeText(scope, words, units) {
  return scope.map((s) => words.unit_kinds[s] || units[s] || s).join("、") || "—";
}

function planCard(campaign, words, units, office, again) {
  const plan = campaign.plan;
  const labels = (values, table) => (values || []).map((v) => table[v] || v).join("、") || "—";
  const shown = h("dl", { class: "facts" },
    fact("督查主题", plan.themes.length ? h("ol", {}, plan.themes.map((t) => h("li", {}, t))) : "—"),
    fact("督查范围", scopeText(plan.scope, words, units)),
    fact("督查方式", labels(plan.methods, words.methods)),
    fact("三督三查", labels(plan.checks, words.checks)),
    fact("督查组", (plan.team || []).join("、") || "—"),
    fact("时间", plan.starts_on ? `${written(plan.starts_on)} 至 ${written(plan.ends_on)}` : "—"));
  if (!office || campaign.status === "closed") return h("section", { class: "card" }, h("h2", {}, "督查方案"), shown);
  const notice = h("div", { role: "status" });
  const start = h("button", { type: "button", id: "start-campaign", onclick: async () => {
    try {
      await api.post(`/api/v1/campaigns/${campaign.id}/start`);
      await again();
    } catch (error) {
      message(notice, errorText(error));
    }
  } }, "方案定稿，开始督查");
  if (campaign.status !== "draft") return h("section", { class: "card" }, h("h2", {}, "督查方案"), shown);
  const boxes = (name, table, chosen) => h("div", { class: "choices" }, Object.entries(table).map(([value, label]) =>
    h("label", {}, h("input", { type: "checkbox", name, value, checked: chosen.includes(value) }), label)));
  const form = h("form", { id: "plan-form", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const lines = (name) => String(data.get(name) || "").split("\n").map((t) => t.trim()).filter(Boolean);
    const body = {
      title: String(data.get("title")).trim(),
      reason: String(data.get("reason") || "").trim(),
      plan: {
        themes: lines("themes"), scope: plan.scope, team: lines("team"),
        methods: data.getAll("methods"), checks: data.getAll("checks"),
        starts_on: data.get("starts_on") || null, ends_on: data.get("ends_on") || null,
      },
    };
    try {
      await api.put(`/api/v1/campaigns/${campaign.id}/plan`, body);
      await again();
    } catch (error) {
      message(notice, errorText(error));
    }
  } },
  field("督查名称", h("input", { name: "title", value: campaign.title, required: true, maxlength: 200 })),
  field("督查主题", h("textarea", { name: "themes", rows: 6 }, plan.themes.join("\n")), "每行一个主题"),
  field("督查组成员", h("textarea", { name: "team", rows: 2 }, (plan.team || []).join("\n")), "每行一人"),
  h("fieldset", { class: "field" }, h("legend", {}, "督查方式"), boxes("methods", words.methods, plan.methods)),
  h("fieldset", { class: "field" }, h("legend", {}, "三督三查"), boxes("checks", words.checks, plan.checks)),
  field("开始日期", h("input", { type: "date", name: "starts_on", value: plan.starts_on || "" })),
  field("结束日期", h("input", { type: "date", name: "ends_on", value: plan.ends_on || "" })),
  field("修改理由", h("input", { name: "reason", maxlength: 500 })),
  h("button", { type: "submit", class: "secondary" }, "保存方案"));
  return h("section", { class: "card" }, h("h2", {}, "督查方案（草稿）"), shown,
    h("details", { class: "command" }, h("summary", {}, "修改方案"), form), notice, start);
}

// a time the browser's picker gives without a zone, as Beijing time
function beijing(local) {
  return local.length === 16 ? `${local}:00+08:00` : `${local}+08:00`;
}

function visitsCard(campaign, again) {
  const list = campaign.visits.length ? h("ol", { class: "timeline", id: "visits" }, campaign.visits.map((v) => h("li", {},
    h("div", { class: "when" }, writtenTime(v.visited_at)),
    h("div", { class: "what" }, h("strong", {}, v.place), v.team.length ? ` — ${v.team.join("、")}` : "",
      v.found ? h("p", {}, v.found) : null, fileLinks(v.evidence)))))
    : h("p", { class: "empty" }, "尚无现场记录");
  if (campaign.status !== "underway") return h("section", { class: "card" }, h("h2", {}, "现场督查（四不两直）"), list);
  const notice = h("div", { role: "status" });
  const photos = filePicker("现场照片和材料");
  const form = h("form", { id: "visit-form", onsubmit: async (event) => {
    event.preventDefault();
    const data = formData(form);
    try {
      const evidence = await photos.upload();
      await api.post(`/api/v1/campaigns/${campaign.id}/visits`, {
        place: data.place || "", visited_at: beijing(data.visited_at || ""), found: data.found || "",
        team: (data.team || "").split(/[、,，\s]+/).filter(Boolean), evidence });
      await again();
    } catch (error) {
      message(notice, errorText(error));
    }
  } },
  field("地点", h("input", { name: "place", required: true, maxlength: 200 })),
  field("督查时间", h("input", { name: "visited_at", type: "datetime-local", required: true })),
  field("督查组", h("input", { name: "team", maxlength: 500, value: (campaign.plan.team || []).join("、") })),
  field("现场情况", h("textarea", { name: "found", rows: 3, maxlength: 20000 })),
  photos.element, notice,
  h("button", { type: "submit" }, "记录现场督查"));
  return h("section", { class: "card" }, h("h2", {}, "现场督查（四不两直，不通知被督查单位）"), list,
    h("details", { class: "command" }, h("summary", {}, "记录一次现场督查"), form));
}

function findingsCard(campaign, items, words, units, office, again) {
  const entries = campaign.findings.map((f) => {
    const item = f.item_id ? items[f.item_id] : null;
    return h("li", { class: "card finding", "data-finding": f.finding_id },
      h("h3", {}, f.title, " ", h("span", { class: `badge severity-${f.severity}` }, words.severities[f.severity])),
      h("p", {}, f.facts),
      h("p", {}, `责任单位：${units[f.unit] || f.unit}`, f.person ? `；责任人：${f.person}` : ""),
      f.previous_item ? h("p", {}, "再次发现：", h("a", { href: `#/items/${f.previous_item}` }, "原销号问题")) : null,
      fileLinks(f.evidence),
      f.notice
        ? h("div", { class: "notice info" }, "已下发督办通知",
          item ? [" ", h("b", { class: "notice-number" }, item.notice_number || ""), " "] : " ",
          `整改时限 ${written(f.notice.due_date)} `, item ? statusBadge(item) : null, " ",
          h("a", { href: `#/items/${f.item_id}` }, "查看整改过程"))
        : office ? noticeForm(campaign, f, again) : null);
  });
  return h("section", { "aria-label": "发现问题" }, h("h2", {}, "发现问题"),
    entries.length ? h("ul", { class: "findings" }, entries) : h("p", { class: "empty" }, "尚无发现问题"),
    office && campaign.status === "underway" ? findingForm(campaign, words, units, again) : null);
}

function noticeForm(campaign, finding, again) {
  const notice = h("div", { role: "status" });
  const form = h("form", { class: "notice-form", onsubmit: async (event) => {
    event.preventDefault();
    const data = formData(form);
    try {
      await api.post(`/api/v1/campaigns/${campaign.id}/findings/${finding.finding_id}/notice`, {
        task: data.task || "", measures: data.measures || "", person: data.person || null, due_date: data.due_date || "" });
      await again();
    } catch (error) {
      message(notice, errorText(error));
    }
  } },
  field("督办任务", h("textarea", { name: "task", rows: 2, required: true, maxlength: 20000 })),
  field("整改措施", h("textarea", { name: "measures", rows: 2, required: true, maxlength: 20000 })),
  field("责任人", h("input", { name: "person", maxlength: 200, value: finding.person || "" })),
  field("整改时限", h("input", { name: "due_date", type: "date", required: true }), "须为工作日"),
  notice,
  h("button", { type: "submit" }, "下发督办通知"));
  return h("details", { class: "command" }, h("summary", {}, "下发督办通知"), form);
}

function findingForm(campaign, words, units, again) {
  const notice = h("div", { role: "status" });
  const photos = filePicker("佐证照片和材料");
  const visits = Object.fromEntries(campaign.visits.map((v) => [v.visit_id, `${v.place}（${writtenTime(v.visited_at)}）`]));
  const form = h("form", { id: "finding-form", onsubmit: async (event) => {
    event.preventDefault();
    const data = formData(form);
    try {
      const evidence = await photos.upload();
      await api.post(`/api/v1/campaigns/${campaign.id}/findings`, {
        title: data.title || "", facts: data.facts || "", unit: data.unit || "", severity: data.severity,
        person: data.person || null, visit_id: data.visit_id || null, previous_item: data.previous_item || null, evidence });
      await again();
    } catch (error) {
      message(notice, errorText(error));
    }
  } },
  field("问题标题", h("input", { name: "title", required: true, maxlength: 200 })),
  field("问题事实", h("textarea", { name: "facts", rows: 4, required: true, maxlength: 20000 })),
  field("责任单位", select("unit", units, "", { blank: "请选择" })),
  field("责任人", h("input", { name: "person", maxlength: 200 })),
  field("严重程度", select("severity", words.severities, "general")),
  field("现场督查", select("visit_id", visits, "", { blank: "（不关联现场记录）" })),
  field("原销号问题编号", h("input", { name: "previous_item", maxlength: 36 }), "再次发现已销号的问题时填写原问题的编号"),
  photos.element, notice,
  h("button", { type: "submit" }, "记录发现问题"));
  return h("details", { class: "command card" }, h("summary", {}, "记录发现问题"), form);
}
