// One item: what it is, where it stands, its whole timeline with the chain's check, and the
// forms its reader may use now (the API refuses anything else all the same).
import { api, unitNames, vocabulary } from "../api.js";
import { countdownBadge, errorText, field, h, message, replace, select, statusBadge, written, writtenTime } from "../dom.js";
import { fileLinks, filePicker } from "./files.js";

const EVENTS = {
  ItemReceived: "登记", DispatchDeadlineSet: "交办时限", Assigned: "交办", Reassigned: "改派",
  HandedTo: "交至单位", Acknowledged: "签收", Signed: "签收", ProgressReported: "进展反馈",
  CoUnitOpinionSubmitted: "配合单位意见", FeedbackSubmitted: "办理结果反馈", FeedbackAccepted: "审核通过",
  FeedbackReturned: "退回重办", Closed: "办结", DeadlineSet: "办理时限", ReminderIssued: "催办",
  Overdue: "逾期", Escalated: "督办升级", EscalatedToLeader: "提请县领导督促", PenaltyRecommended: "问责建议",
  ExtensionRequested: "延期申请", ExtensionGranted: "同意延期", ExtensionDenied: "不同意延期",
  ReturnedByUnit: "单位退回", Commended: "表扬", SatisfactionRecorded: "回访满意度", Reopened: "重新办理",
  ItemCancelled: "撤销", ItemMerged: "合并", ClockOpened: "开始计时", ClockStopped: "停止计时",
  IndicatorReported: "指标月度数据", NoticeNumberIssued: "督办通知编号", Rectified: "整改销号",
  Reported: "报送", ReportedBack: "回复上级", ActionSkipped: "跳过提醒",
};
// what of an event's data a person reads in the timeline
const SHOWN = { content: "内容", reason: "理由", comment: "意见", reasons: "理由", due_date: "办理时限",
  proposed_due_date: "申请延至", lead_unit: "牵头单位", co_units: "配合单位", verdict: "满意度", penalty: "问责", leader: "县领导",
  unit: "单位", period: "期间", month: "月份", value: "数值", decision: "决定", basis: "依据", kind: "类型",
  verification: "核查方式" };
const FINAL = ["closed", "cancelled", "merged"];

export async function render(main, { id }, session) {
  const [item, history, words, units] = await Promise.all([
    api.get(`/api/v1/items/${id}`), api.get(`/api/v1/items/${id}/history`), vocabulary(), unitNames()]);
  let days;
  if (item.due_date && !FINAL.includes(item.status)) {
    days = (await api.get("/api/v1/calendar/countdown", { dates: item.due_date })).days[item.due_date];
  }
  const received = history.events.find((e) => e.type === "ItemReceived")?.data || {};
  const allVerified = history.events.every((e) => e.verified);
  const unitName = (code) => units[code] || code;
  replace(main,
    h("p", {}, h("a", { href: "#/items" }, "← 事项列表")),
    h("h1", {}, item.title, " ", statusBadge(item), " ", countdownBadge(days)),
    h("dl", { class: "facts" },
      fact("来源", words.sources[item.source] || item.source),
      fact("牵头单位", item.lead_unit ? unitName(item.lead_unit) : "未交办"),
      fact("配合单位", item.co_units.length ? item.co_units.map(unitName).join("、") : "无"),
      fact("办理时限", item.due_date ? written(item.due_date) : "—"),
      item.extended ? fact("原办理时限", written(item.original_due_date)) : null,
      item.notice_number ? fact("督办通知编号", item.notice_number) : null,
      item.external_ref ? fact("外部编号", item.external_ref) : null,
      item.issued_by ? fact("批示领导", item.issued_by) : null,
      received.details?.place ? fact("地点", received.details.place) : null,
      item.campaign_id ? fact("督查", h("a", { href: `#/campaigns/${item.campaign_id}` },
        received.details?.campaign_title || "查看督查")) : null,
      item.severity ? fact("严重程度", item.severity_label || item.severity) : null,
      received.details?.task ? fact("督办任务", received.details.task) : null,
      received.details?.measures ? fact("整改措施", received.details.measures) : null,
      received.details?.responsible_person ? fact("责任人", received.details.responsible_person) : null,
      item.previous_item ? fact("再次发现", h("a", { href: `#/items/${item.previous_item}` }, "原销号问题")) : null,
      item.rectified ? fact("销号", item.rectified_on_time ? "按期整改销号" : "逾期整改销号") : null,
      fact("登记时间", writtenTime(item.registered_at)),
      item.extension_requested ? fact("延期申请", `申请延至${written(item.extension_requested)}，待审批`) : null,
      item.escalated_to ? fact("已提请", item.escalated_to) : null),
    received.content ? h("section", { class: "card" }, h("h2", {}, "事项内容"), h("p", { class: "content" }, received.content),
      fileLinks(received.evidence)) : null,
    actions(item, session, words, units),
    h("section", { class: "card" },
      h("h2", {}, "办理过程 ", h("span", { class: allVerified ? "chain ok" : "chain broken", title: "SM3 哈希链校验" },
        allVerified ? "✓ 记录完整，未被改动" : "✗ 记录校验不通过")),
      h("ol", { class: "timeline" }, history.events.map((e) => timelineEntry(e, words, unitName)))));
}

function fact(label, value) {
  return [h("dt", {}, label), h("dd", {}, value)];
}

function timelineEntry(e, words, unitName) {
  const user = e.actor?.user?.startsWith("system:") ? "系统" : e.actor?.user;
  const who = e.actor ? [user, e.actor.unit ? unitName(e.actor.unit) : null].filter(Boolean).join(" · ") : "";
  const shown = Object.entries(SHOWN)
    .filter(([k]) => e.data[k] !== undefined && e.data[k] !== null && e.data[k] !== "" && !(Array.isArray(e.data[k]) && !e.data[k].length))
    // how a period was counted is the machine's note; the basis says it in words
    .filter(([k]) => !(k === "period" && e.type === "DeadlineSet"))
    .map(([k, label]) => h("div", {}, h("b", {}, `${label}：`), describe(k, e.data[k], words, unitName)));
  return h("li", { class: e.verified ? "" : "broken" },
    h("div", { class: "when" }, writtenTime(e.at)),
    h("div", { class: "what" }, h("strong", {}, EVENTS[e.type] || e.type), who ? ` — ${who}` : "",
      h("span", { class: "check", title: `SM3 ${e.hash}` }, e.verified ? " ✓" : " ✗"),
      shown, fileLinks(e.data.evidence)));
}

function describe(key, value, words, unitName) {
  if (key === "due_date" || key === "proposed_due_date") return written(value);
  if (key === "lead_unit" || key === "unit") return unitName(value);
  if (key === "co_units") return value.map(unitName).join("、");
  if (key === "verdict") return words.verdicts[value] || value;
  if (key === "penalty") return words.penalties[value] || value;
  if (key === "verification") return words.verifications?.[value] || value;
  if (key === "decision") return { accept: "通过", return: "退回", grant: "同意", deny: "不同意" }[value] || value;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// --- the forms of the moment ---

function actions(item, session, words, units) {
  const forms = [];
  const office = session.role === "supervisor";
  const lead = office || (session.role === "handler" && session.unit === item.lead_unit);
  const co = session.role === "handler" && item.co_units.includes(session.unit);
  const s = item.status;
  if (office && s === "registered") forms.push(assignForm(item, units, false));
  if (office && ["returned_by_unit", "assigned", "acknowledged", "returned"].includes(s)) forms.push(assignForm(item, units, true));
  if (lead && s === "assigned") forms.push(simple(item, "签收", "acknowledge", [], "签收"));
  if (session.role === "handler" && lead && s === "assigned" && item.return_by) {
    forms.push(simple(item, "退回（非本单位职责）", "return", [text("reason", "退回理由")], "退回", "secondary"));
  }
  if (lead && ["acknowledged", "returned"].includes(s)) {
    forms.push(answerForm(item, "feedback", "办理结果反馈", words, true));
    forms.push(answerForm(item, "progress", "进展反馈", words, false));
    if (!item.extension_requested) {
      forms.push(simple(item, "申请延期", "extension-requests",
        [dateInput("proposed_due_date", "申请延至"), text("reason", "延期理由")], "提交申请", "secondary"));
    }
  }
  if (co && !FINAL.includes(s)) forms.push(answerForm(item, "opinions", "配合单位意见", words, false));
  if (office && s === "feedback_submitted") forms.push(reviewForm(item, words));
  if (office && item.extension_requested) {
    forms.push(simple(item, "延期审批", "extension-decision", [
      choice("decision", "决定", { grant: "同意延期", deny: "不同意" }),
      dateInput("due_date", "延至（同意时填写，默认按申请）", false), text("comment", "意见", false)], "提交"));
  }
  if (office && ["feedback_accepted", "closed"].includes(s) && ["proposal", "hotline", "netizen", "petition"].includes(item.source) && !item.satisfaction) {
    forms.push(simple(item, "回访满意度", "satisfaction", [choice("verdict", "满意度", words.verdicts), text("comment", "说明", false)], "记录"));
  }
  const involved = Object.fromEntries([item.lead_unit, ...item.co_units].filter(Boolean).map((u) => [u, units[u] || u]));
  if ((office || session.role === "leader") && !["registered", "cancelled", "merged"].includes(s)) {
    forms.push(simple(item, "表扬", "commendations", [choice("unit", "单位", involved), text("reasons", "肯定的工作")], "表扬"));
  }
  if (office && !FINAL.includes(s)) {
    forms.push(simple(item, "问责建议", "penalties", [choice("penalty", "问责", words.penalties),
      choice("unit", "单位", involved),
      text("reasons", "理由")], "提出建议", "secondary"));
    forms.push(simple(item, "撤销（误登记、重复登记）", "cancel", [text("reason", "撤销理由")], "撤销", "danger"));
  }
  if (!forms.length) return null;
  return h("section", { class: "card actions" }, h("h2", {}, "办理"), forms);
}

function text(name, label, required = true) {
  return field(label, h("textarea", { name, rows: 3, maxlength: 5000, required }));
}

function dateInput(name, label, required = true) {
  return field(label, h("input", { type: "date", name, required }));
}

function choice(name, label, options) {
  return field(label, select(name, options, undefined, { blank: "请选择" }));
}

function commandForm(title, fieldsEls, submitLabel, kind, send) {
  const notice = h("div", {});
  const button = h("button", { type: "submit", class: kind || "" }, submitLabel);
  const form = h("form", { class: "command", onsubmit: async (event) => {
    event.preventDefault();
    button.disabled = true;
    message(notice, "");
    try {
      await send(form);
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (error) {
      message(notice, errorText(error));
      button.disabled = false;
    }
  } }, fieldsEls, notice, button);
  return h("details", { class: "command" }, h("summary", {}, title), form);
}

function values(form) {
  const data = {};
  for (const [k, v] of new FormData(form).entries()) if (typeof v === "string" && v.trim()) data[k] = v.trim();
  return data;
}

function simple(item, title, action, fieldsEls, submitLabel, kind) {
  return commandForm(title, fieldsEls, submitLabel, kind, (form) => api.post(`/api/v1/items/${item.id}/${action}`, values(form)));
}

function answerForm(item, action, title, words, withClass) {
  const files = filePicker("附件（照片、文件）");
  const fieldsEls = [text("content", "内容")];
  if (withClass && item.source === "proposal") fieldsEls.push(choice("reply_class", "答复类别", words.reply_classes));
  fieldsEls.push(files.element);
  return commandForm(title, fieldsEls, "提交", "", async (form) => {
    const evidence = await files.upload();
    await api.post(`/api/v1/items/${item.id}/${action}`, { ...values(form), evidence });
  });
}

function reviewForm(item, words) {
  const files = filePicker("督查室现场照片等（可选）");
  return commandForm("审核", [
    choice("decision", "审核结果", { accept: "通过，办结", return: "退回重办" }),
    field("核查方式", select("verification", words.verifications, undefined, { blank: "（可选）" })),
    text("comment", "意见", false), dateInput("due_date", "重办时限（退回时可指定）", false), files.element],
  "提交审核", "", async (form) => {
    const evidence = await files.upload();
    await api.post(`/api/v1/items/${item.id}/review`, { ...values(form), evidence });
  });
}

// 交办 / 改派: the unit picker, and the due date the API computes, shown before confirming.
function assignForm(item, units, reassign) {
  const lead = select("lead_unit", units, item.lead_unit, { blank: "请选择牵头单位" });
  const coBoxes = h("fieldset", { class: "field units" }, h("legend", {}, "配合单位"),
    Object.entries(units).map(([code, name]) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "co_units", value: code, checked: item.co_units.includes(code) }), name)));
  const due = h("input", { type: "date", name: "due_date" });
  const preview = h("p", { class: "preview", "aria-live": "polite" });
  const showPreview = async () => {
    try {
      const p = await api.get(`/api/v1/items/${item.id}/due-date-preview`, { due_date: due.value || undefined });
      replace(preview, `今天交办，办理时限为 ${written(p.due_date)}（${p.basis}，${p.working_days} 个工作日）`);
    } catch (error) {
      replace(preview, h("span", { class: "notice error" }, errorText(error)));
    }
  };
  due.addEventListener("change", showPreview);
  const title = reassign ? "改派" : "交办";
  const details = commandForm(title, [field("牵头单位", lead), coBoxes,
    field("办理时限（不填则按来源时限计算）", due), preview], `确认${title}`, "", async (form) => {
    const data = new FormData(form);
    const body = { lead_unit: data.get("lead_unit"), co_units: data.getAll("co_units").filter((u) => u !== data.get("lead_unit")) };
    if (data.get("due_date")) body.due_date = data.get("due_date");
    await api.post(`/api/v1/items/${item.id}/${reassign ? "reassign" : "assign"}`, body);
  });
  details.addEventListener("toggle", () => details.open && showPreview());
  if (!reassign) details.open = true;
  return details;
}
