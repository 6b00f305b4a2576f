// The office's settings: time limits, the official calendar, units and their leaders in charge.
import { api, unitNames, vocabulary } from "../api.js";
import { errorText, field, h, message, replace, select, written } from "../dom.js";

export async function render(main, _params, session) {
  const office = session.role === "supervisor";
  const [limits, leaders, units, words] = await Promise.all([
    api.get("/api/v1/admin/time-limits"), api.get("/api/v1/admin/leaders"), unitNames(), vocabulary()]);
  const year = new Date().getFullYear();
  const calendar = await api.get(`/api/v1/admin/calendar/${year}`);
  const names = Object.fromEntries(leaders.leaders.map((l) => [l.code, `${l.name}（${l.title}）`]));
  replace(main, h("h1", {}, "设置"),
    h("section", { class: "card" }, h("h2", {}, "办理时限"), limitsTable(limits.limits, words),
      office ? limitsForm(limits.limits) : null,
      limits.changes.length ? h("details", {}, h("summary", {}, `修改记录（${limits.changes.length}）`),
        h("ul", {}, limits.changes.map((c) => h("li", {}, `${c.at ? written(c.at) : ""} ${c.actor?.user || ""}：${c.reason}`)))) : null),
    h("section", { class: "card" }, h("h2", {}, `${year} 年工作日历`),
      h("p", {}, calendar.official ? "按国务院办公厅公布的节假日安排（含调休）计算。" : "本年度尚未载入官方安排，暂按周末计算。"),
      calendar.loaded ? h("p", {}, `已载入：休息日 ${calendar.loaded.rest_days.length} 天，调休上班 ${calendar.loaded.working_weekends.length} 天`) : null),
    h("section", { class: "card" }, h("h2", {}, "单位和分管县领导"),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "单位"), h("th", {}, "分管县领导"))),
        h("tbody", {}, Object.entries(units).map(([code, name]) => h("tr", {}, h("td", {}, name),
          h("td", {}, office ? leaderPicker(code, leaders, names) : names[leaders.in_charge[code]] || "未指定"))))),
      h("p", {}, `默认县领导（单位未指定分管领导时的督办去向）：${names[leaders.default] || "未指定"}`)));
}

// each source's period in words, as the policy states it
function period(spec, words) {
  if (spec.working_days) return `交办后 ${spec.working_days} 个工作日`;
  if (spec.months) return `交办后 ${spec.months} 个月`;
  if (spec.named_date_required) return "按通知或上级反馈指定的日期";
  if (spec.quarterly_progress) return "按季度报送进展，当年最后一个工作日前完成";
  if (spec.by_complexity) {
    return Object.entries(spec.by_complexity).map(([k, n]) => `${words.complexities[k]} ${n} 个工作日`).join("，");
  }
  return JSON.stringify(spec);
}

function limitsTable(limits, words) {
  return [
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "来源"), h("th", {}, "承办单位办理时限"), h("th", {}, "督查室交办时限"))),
      h("tbody", {}, Object.entries(limits.sources).map(([source, spec]) => h("tr", {},
        h("td", {}, words.sources[source] || source), h("td", {}, period(spec, words)),
        h("td", {}, `登记后 ${limits.dispatch_working_days[source]} 个工作日`))))),
    h("p", {}, `到期前 ${limits.reminder_working_days_before} 个工作日提醒；交办后 ${limits.return_window_working_days} 个工作日内可退回；`,
      "逾期后：", limits.escalation.map((step) => `${step.after_working_days} 个工作日${words.penalties[step.action] || "提请县领导督促"}`).join("，"),
      "。办理难度未注明时按", words.complexities[limits.default_complexity], "计。"),
  ];
}

function limitsForm(limits) {
  const text = h("textarea", { name: "limits", rows: 16, maxlength: 20000 }, JSON.stringify(limits, null, 2));
  const reason = h("input", { name: "reason", required: true, maxlength: 500 });
  const notice = h("div", {});
  return h("details", {}, h("summary", {}, "修改办理时限"), h("form", { onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api.put("/api/v1/admin/time-limits", { limits: JSON.parse(text.value), reason: reason.value });
      message(notice, "已保存", "info");
    } catch (error) {
      message(notice, error instanceof SyntaxError ? "时限设置须为有效的 JSON" : errorText(error));
    }
  } }, field("时限设置（JSON）", text), field("修改理由", reason), notice, h("button", { type: "submit" }, "保存")));
}

function leaderPicker(unit, leaders, names) {
  const picker = select("leader", names, leaders.in_charge[unit], { blank: "未指定" });
  picker.setAttribute("aria-label", "分管县领导");
  picker.addEventListener("change", async () => {
    if (!picker.value) return;
    const reason = prompt("调整分管县领导的理由") || "";
    try {
      await api.put(`/api/v1/admin/units/${unit}/leader`, { leader: picker.value, reason });
    } catch (error) {
      alert(errorText(error));
    }
  });
  return picker;
}
