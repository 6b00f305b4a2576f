// Reports: the year's suggestions and proposals, as the standing committees receive them.
import { api, vocabulary } from "../api.js";
import { h, replace } from "../dom.js";

export async function render(main, { query }) {
  const year = Number(query.get("year")) || new Date().getFullYear();
  const [report, words] = await Promise.all([api.get(`/api/v1/reports/proposals/${year}`), vocabulary()]);
  const row = (label, value) => h("tr", {}, h("th", {}, label), h("td", {}, String(value)));
  replace(main, h("h1", {}, `${year} 年建议提案办理情况`),
    h("p", {}, h("a", { href: `#/reports?year=${year - 1}` }, `← ${year - 1} 年`), " ",
      h("a", { href: `#/reports?year=${year + 1}` }, `${year + 1} 年 →`)),
    report.committees.length ? report.committees.map((c) => h("section", { class: "card" },
      h("h2", {}, `${c.committee_name}：${c.kind}`),
      h("table", {}, h("tbody", {}, row("件数", c.total), row("已办结", c.closed), row("逾期", c.overdue),
        Object.entries(c.reply_classes).map(([k, n]) => row(`${k} 类（${words.reply_classes[k]}）`, n)),
        Object.entries(c.satisfaction).map(([k, n]) => row(words.verdicts[k], n))))))
      : h("p", { class: "empty" }, "本年度没有建议提案"));
}
