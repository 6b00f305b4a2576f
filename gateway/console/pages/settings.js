// The office's settings: time limits, the official calendar, units and their leaders in charge.
import { api, unitNames } from "../api.js";
import { errorText, field, h, message, replace, select, written } from "../dom.js";

export async function render(main, _params, session) {
  const office = session.role === "supervisor";
  const [limits, leaders, units] = await Promise.all([
    api.get("/api/v1/admin/time-limits"), api.get("/api/v1/admin/leaders"), unitNames()]);
  const year = new Date().getFullYear();
  const calendar = await api.get(`/api/v1/admin/calendar/${year}`);
  const names = Object.fromEntries(leaders.leaders.map((l) => [l.code, `${l.name}（${l.title}）`]));
  replace(main, h("h1", {}, "设置"),
    h("section", { class: "card" }, h("h2", {}, "办理时限"), limitsTable(limits.limits),
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

function limitsTable(limits) {
  return h("pre", { class: "limits", tabindex: "0" }, JSON.stringify(limits, null, 2));
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
