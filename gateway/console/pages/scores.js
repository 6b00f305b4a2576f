// Quarterly evaluation (季度考评): the ranking per group, one unit's explanation point by point,
// and the appeals. A unit's handler sees its own explanation, and the ranking once published.
import { api, unitNames } from "../api.js";
import { errorText, field, h, message, replace, written } from "../dom.js";

const RATES = [["on_time", "按时办结率"], ["rectification", "整改销号率"], ["satisfaction", "满意率"]];
const OUTCOMES = { pending: "待处理", upheld: "维持扣分", overturned: "撤销扣分" };

export function thisQuarter(query) {
  const asked = (query.get("quarter") || "").toUpperCase().replace("-", "");
  if (/^\d{4}Q[1-4]$/.test(asked)) return asked;
  const now = new Date();
  return `${now.getFullYear()}Q${Math.floor(now.getMonth() / 3) + 1}`;
}

function shifted(quarter, by) {
  const index = Number(quarter.slice(0, 4)) * 4 + Number(quarter[5]) - 1 + by;
  return `${Math.floor(index / 4)}Q${(index % 4) + 1}`;
}

function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(Number(rate) * 100).toFixed(2)}%`;
}

function quarterNav(quarter, page) {
  return h("p", { class: "quarter-nav" },
    h("a", { href: `#/${page}?quarter=${shifted(quarter, -1)}` }, `← ${shifted(quarter, -1)}`), " ",
    h("a", { href: `#/${page}?quarter=${shifted(quarter, 1)}` }, `${shifted(quarter, 1)} →`));
}

function proposals(p) {
  return [p.commend ? "提名表彰" : null, p.bottom ? "后两名" : null, p.refer ? "移交问责" : null]
    .filter(Boolean).join("、") || "—";
}

export async function render(main, { query }, session) {
  const quarter = thisQuarter(query);
  const office = session.role === "supervisor";
  let result;
  try {
    result = await api.get("/api/v1/scores", { quarter });
  } catch (error) {
    if (error.status !== 404) throw error;
    replace(main, h("h1", {}, `${quarter} 季度考评`), quarterNav(quarter, "scores"),
      h("div", { class: "notice info", role: "status" }, error.message),
      session.unit ? h("p", {}, h("a", { href: `#/scores/${session.unit}/${quarter}` }, "查看本单位得分明细")) : null);
    return;
  }
  const notice = h("div", {});
  const publish = office && !result.published
    ? h("button", { type: "button", onclick: async () => {
      if (!confirm(`发布 ${quarter} 考评结果？发布后结果冻结，只能经申诉更正。`)) return;
      try {
        await api.post(`/api/v1/scoring/quarters/${quarter}/publication`);
        await render(main, { query }, session);
      } catch (error) {
        message(notice, errorText(error));
      }
    } }, "发布考评结果") : null;
  replace(main, h("h1", {}, `${result.quarter} 季度考评`), quarterNav(quarter, "scores"),
    h("p", { class: result.published ? "published" : "provisional" },
      result.published ? `已发布（第 ${result.version} 版，${written(result.published_on)}）` : `临时结果，未发布（截至${written(result.as_of)}）`,
      " · ", h("a", { href: `#/appeals?quarter=${result.quarter}` }, "申诉")),
    publish, notice,
    result.late_changes && result.late_changes.length ? h("div", { class: "notice error", role: "alert" },
      `发布后有 ${result.late_changes.length} 项事实变化（未计入已发布结果），请核查：`,
      h("ul", {}, result.late_changes.map((c) => h("li", {}, `${c.unit} ${c.label} ${c.points}（${written(c.on)}，${{ added: "新增", removed: "已撤销或合并", changed: "分值变化" }[c.change]}）`)))) : null,
    Object.values(result.groups).map((group) => h("section", { class: "card" }, h("h2", {}, group.label),
      h("table", { class: "ranking" },
        h("thead", {}, h("tr", {}, h("th", {}, "名次"), h("th", {}, "单位"), h("th", {}, "得分"),
          RATES.map(([, label]) => h("th", {}, label)), h("th", {}, "提名"))),
        h("tbody", {}, group.ranking.map((row) => h("tr", { class: row.proposals.refer ? "overdue" : null },
          h("td", { "data-label": "名次" }, String(row.rank)),
          h("td", { "data-label": "单位" }, office || session.role !== "handler" || row.unit === session.unit
            ? h("a", { href: `#/scores/${row.unit}/${result.quarter}` }, row.name) : row.name),
          h("td", { "data-label": "得分", class: "score" }, row.score),
          RATES.map(([key, label]) => h("td", { "data-label": label }, percent(row.rates[key]))),
          h("td", { "data-label": "提名" }, proposals(row.proposals)))))))));
}

export async function renderUnit(main, { id, quarter }, session) {
  let card;
  try {
    card = await api.get(`/api/v1/scores/${id}/${quarter}`);
  } catch (error) {
    if (error.status !== 404) throw error;
    replace(main, h("div", { class: "notice error", role: "alert" }, "该单位的得分不存在，或您无权查看"));
    return;
  }
  const mayAppeal = card.published && (session.role === "supervisor" || session.unit === card.unit);
  const notice = h("div", {});
  const f = card.facts;
  replace(main, h("h1", {}, `${card.name} · ${card.quarter} 得分 ${card.score}`),
    h("p", {}, card.published ? "已发布" : "临时结果，未发布", ` · 第 ${card.rank} 名 · `, proposals(card.proposals),
      " · ", h("a", { href: `#/scores?quarter=${card.quarter}` }, "返回排名")),
    notice,
    h("section", { class: "card" }, h("h2", {}, "本季度事实"),
      h("p", {}, `交办 ${f.assigned} 件，按时办结 ${f.closed_on_time} 件，逾期办结 ${f.closed_late} 件，季度末逾期未办结 ${f.open_overdue} 件（逾期 ${f.overdue_days} 个工作日），`,
        `退回重办 ${f.returned} 次，延期 ${f.extension} 次；整改按时销号 ${f.rectified_on_time} 件、逾期销号 ${f.rectified_late} 件、逾期未整改 ${f.open_unrectified} 件，整改被退回 ${f.rejected_rectification} 次；`,
        `问责建议 ${f.penalty} 次；满意 ${f.verdict_satisfied}、基本满意 ${f.verdict_basically_satisfied}、不满意 ${f.verdict_unsatisfied}；领导肯定 ${f.commendation} 次。`),
      h("p", {}, RATES.map(([key, label]) => `${label} ${percent(card.rates[key])}`).join("　"))),
    h("section", { class: "card" }, h("h2", {}, "得分说明（起始 100 分）"),
      card.points.length ? h("table", { class: "points" },
        h("thead", {}, h("tr", {}, h("th", {}, "日期"), h("th", {}, "规则"), h("th", {}, "分值"), h("th", {}, "事项"),
          h("th", {}, "说明"), h("th", {}, "规则版本"), mayAppeal ? h("th", {}, "申诉") : null)),
        h("tbody", {}, card.points.map((p) => h("tr", { class: p.overturned_by ? "overturned" : null, "data-point": p.id },
          h("td", { "data-label": "日期" }, written(p.on)),
          h("td", { "data-label": "规则" }, p.label),
          h("td", { "data-label": "分值", class: "score" }, p.overturned_by ? `${p.points}（已撤销）` : p.points),
          h("td", { "data-label": "事项" }, h("a", { href: `#/items/${p.item_id}` }, `第 ${p.event} 条记录`)),
          h("td", { "data-label": "说明" }, p.detail),
          h("td", { "data-label": "规则版本" }, `第 ${p.rule_version} 版`),
          mayAppeal ? h("td", {}, p.points.startsWith("-") && !p.overturned_by ? appealForm(card, p, notice) : null) : null))))
        : h("p", { class: "empty" }, "本季度没有扣分或加分")));
}

function appealForm(card, point, notice) {
  const reasons = h("textarea", { name: "reasons", required: true, maxlength: 20000, rows: 2 });
  return h("details", {}, h("summary", {}, "申诉"), h("form", { onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api.post(`/api/v1/scoring/quarters/${card.quarter}/appeals`, { point: point.id, reasons: reasons.value });
      message(notice, "申诉已提交，等待督查室处理", "info");
    } catch (error) {
      message(notice, errorText(error));
    }
  } }, field("申诉理由", reasons), h("button", { type: "submit" }, "提交申诉")));
}

export async function renderAppeals(main, { query }, session) {
  const quarter = thisQuarter(query);
  const [answer, units] = await Promise.all([api.get(`/api/v1/scoring/quarters/${quarter}/appeals`), unitNames()]);
  const office = session.role === "supervisor";
  const notice = h("div", {});
  replace(main, h("h1", {}, `${quarter} 考评申诉`), quarterNav(quarter, "appeals"), notice,
    answer.appeals.length ? h("table", { class: "appeals" },
      h("thead", {}, h("tr", {}, h("th", {}, "编号"), h("th", {}, "单位"), h("th", {}, "扣分项"), h("th", {}, "理由"),
        h("th", {}, "结果"))),
      h("tbody", {}, answer.appeals.map((a) => h("tr", { "data-appeal": a.id },
        h("td", {}, a.id), h("td", {}, h("a", { href: `#/scores/${a.unit}/${quarter}` }, units[a.unit] || a.unit)),
        h("td", {}, a.point), h("td", {}, a.reasons),
        h("td", { class: `appeal-${a.status}` }, OUTCOMES[a.status],
          a.decision ? `：${a.decision.comment}` : null,
          office && a.status === "pending" ? decisionForm(quarter, a, main, query, session, notice) : null)))))
      : h("p", { class: "empty" }, "本季度没有申诉"));
}

function decisionForm(quarter, appeal, main, query, session, notice) {
  const comment = h("input", { name: "comment", required: true, maxlength: 20000 });
  const decide = (outcome) => async () => {
    if (!comment.value.trim()) return message(notice, "处理意见：必填，请写明维持或撤销的理由");
    try {
      await api.post(`/api/v1/scoring/quarters/${quarter}/appeals/${appeal.id.split("-").pop()}/decision`,
        { outcome, comment: comment.value });
      await renderAppeals(main, { query }, session);
    } catch (error) {
      message(notice, errorText(error));
    }
  };
  return h("div", { class: "decision" }, field("处理意见", comment),
    h("button", { type: "button", onclick: decide("upheld") }, "维持扣分"), " ",
    h("button", { type: "button", onclick: decide("overturned") }, "撤销扣分"));
}
