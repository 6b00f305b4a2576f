// 问题责任清单: a unit's open problems, soonest deadline first; the unit reads its own, the office
// any unit's.
import { api, unitNames, vocabulary } from "../api.js";
import { h, replace, select } from "../dom.js";
import { countdowns, itemTable } from "./table.js";

export async function render(main, { query }, session) {
  const [words, units] = await Promise.all([vocabulary(), unitNames()]);
  const own = session.role === "handler";
  const unit = own ? session.unit : query.get("unit") || "";
  const picker = own ? null : h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    location.hash = `#/responsibility?unit=${encodeURIComponent(new FormData(picker).get("unit") || "")}`;
  } }, h("label", {}, "单位", select("unit", units, unit, { blank: "请选择" })), h("button", { type: "submit" }, "查看"));
  if (!unit) {
    replace(main, h("h1", {}, "问题责任清单"), picker, h("p", { class: "empty" }, "请选择单位"));
    return;
  }
  const list = await api.get("/api/v1/responsibility-list", own ? {} : { unit });
  const days = await countdowns(list.items);
  replace(main, h("h1", {}, `问题责任清单 · ${units[list.unit] || list.unit}`), picker,
    h("p", { class: "summary", id: "responsibility-summary" }, `未销号问题 ${list.items.length} 个`),
    list.items.length ? itemTable(list.items, days, units, words) : h("p", { class: "empty" }, "没有未销号的问题"));
}
