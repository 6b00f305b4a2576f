// 登记: the fields each source needs, as the API checks them.
import { api, vocabulary } from "../api.js";
import { errorText, field, h, message, replace, select } from "../dom.js";
import { filePicker } from "./files.js";

// each source's own details (the API's `details` object)
const DETAILS = {
  instruction: [["issued_on", "批示日期", "date"]],
  meeting: [["meeting_name", "会议名称"], ["meeting_date", "会议日期", "date"], ["decision_number", "议定事项编号"]],
  work_report: [["year", "年度", "number"], ["number", "任务编号"], ["kind", "类别", { task: "重点任务", indicator: "主要指标" }],
    ["target", "年度目标"], ["measure", "计量单位（指标填写）"]],
  decision: [["decision_name", "决策部署名称"]],
  proposal: [["session_year", "届次年度", "number"], ["number", "编号"], ["author", "提出人"],
    ["kind", "类别", { suggestion: "人大代表建议", proposal: "政协委员提案" }]],
  finding: [["place", "地点"]],
};
const WITH_COMPLEXITY = ["hotline", "netizen", "petition"];

export async function render(main, _params, session) {
  const words = await vocabulary();
  const sources = session.role === "leader" ? { instruction: words.sources.instruction } : words.sources;
  const source = select("source", sources, session.role === "leader" ? "instruction" : undefined,
    session.role === "leader" ? {} : { blank: "请选择来源" });
  const specific = h("div", {});
  const notice = h("div", {});
  const files = session.role === "leader" ? null : filePicker("照片、文件（可选）");
  const drawSpecific = () => {
    const chosen = source.value;
    replace(specific,
      WITH_COMPLEXITY.includes(chosen) ? field("办理难度", select("complexity", words.complexities, undefined, { blank: "按默认（简单）" })) : null,
      chosen === "instruction" ? field("批示领导", h("input", { name: "issued_by", maxlength: 100 })) : null,
      (DETAILS[chosen] || []).map(([name, label, kind]) => field(label,
        typeof kind === "object" ? select(`details.${name}`, kind, undefined, { blank: "请选择" })
          : h("input", { name: `details.${name}`, type: kind || "text", maxlength: 200 }))));
  };
  source.addEventListener("change", drawSpecific);
  const button = h("button", { type: "submit" }, "登记");
  const form = h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    button.disabled = true;
    message(notice, "");
    try {
      const body = { details: {} };
      for (const [k, v] of new FormData(form).entries()) {
        if (typeof v !== "string" || !v.trim()) continue;
        if (k.startsWith("details.")) {
          const name = k.slice(8);
          body.details[name] = ["year", "session_year"].includes(name) ? Number(v)
            : name === "target" && body.details.kind === "indicator" ? Number(v) : v.trim();
        } else body[k] = v.trim();
      }
      if (body.details.kind === "indicator" && typeof body.details.target === "string") body.details.target = Number(body.details.target);
      if (files) body.evidence = await files.upload();
      const item = await api.post("/api/v1/items", body);
      location.hash = `#/items/${item.id}`;
    } catch (error) {
      message(notice, errorText(error));
      button.disabled = false;
    }
  } },
  field("来源", source),
  field("标题", h("input", { name: "title", required: true, maxlength: 200 })),
  field("内容", h("textarea", { name: "content", required: true, rows: 6, maxlength: 20000 })),
  field("外部编号（如热线工单号，可防重复登记）", h("input", { name: "external_ref", maxlength: 100 })),
  field("办理时限（有通知或批示指定的日期时填写）", h("input", { name: "due_date", type: "date" })),
  specific, files?.element, notice, button);
  replace(main, h("h1", {}, session.role === "leader" ? "批示交办" : "登记事项"), form);
  drawSpecific();
}
