// The ledger check: every item's hash chain, verified by the services that keep them.
import { api } from "../api.js";
import { h, replace } from "../dom.js";

const SERVICES = { intake: "登记", assignment: "交办办理", deadline: "时限" };

export async function render(main) {
  replace(main, h("h1", {}, "台账校验"), h("p", { class: "loading" }, "正在校验全部哈希链…"));
  const report = await api.get("/api/v1/ledger/verify");
  replace(main, h("h1", {}, "台账校验"),
    h("p", { class: report.ok ? "notice info" : "notice error", id: "ledger-result" },
      report.ok ? "✓ 全部记录完整，未发现篡改" : "✗ 发现被改动的记录，见下表"),
    Object.entries(report.broken).map(([service, breaks]) => h("section", { class: "card" },
      h("h2", {}, `${SERVICES[service] || service}：${breaks.length ? `${breaks.length} 处断点` : "完整"}`),
      breaks.length ? h("ul", {}, breaks.map((b) => h("li", {},
        h("a", { href: `#/items/${b.item_id}` }, b.item_id), `：第 ${b.version} 个事件 ${b.reason === "missing event" ? "缺失" : "哈希不符"}`))) : null)));
}
