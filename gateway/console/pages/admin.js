// The administrator's home: users and the platforms' API keys.
import { api, unitNames, vocabulary } from "../api.js";
import { errorText, field, h, message, replace, select, writtenTime } from "../dom.js";

export async function render(main) {
  const [users, keys, words, units] = await Promise.all([
    api.get("/api/v1/admin/users"), api.get("/api/v1/admin/api-keys"), vocabulary(), unitNames()]);
  const notice = h("div", {});
  const form = h("form", { class: "grid", onsubmit: async (event) => {
    event.preventDefault();
    const data = Object.fromEntries([...new FormData(form).entries()].filter(([, v]) => v));
    try {
      await api.post("/api/v1/admin/users", data);
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (error) {
      message(notice, errorText(error));
    }
  } },
  field("用户名", h("input", { name: "username", required: true, maxlength: 40 })),
  field("姓名", h("input", { name: "display_name", required: true, maxlength: 100 })),
  field("角色", select("role", words.roles, undefined, { blank: "请选择" })),
  field("单位（承办单位联络员）", select("unit", units, undefined, { blank: "无" })),
  field("初始密码", h("input", { name: "password", type: "password", required: true, autocomplete: "new-password" })),
  field("理由", h("input", { name: "reason", required: true, maxlength: 500 })),
  notice, h("button", { type: "submit" }, "新建用户"));
  replace(main, h("h1", {}, "用户与密钥"),
    h("section", { class: "card" }, h("h2", {}, `用户（${users.users.length}）`),
      h("table", {}, h("thead", {}, h("tr", {}, ["用户名", "姓名", "角色", "单位", "状态"].map((t) => h("th", {}, t)))),
        h("tbody", {}, users.users.map((u) => h("tr", {}, h("td", {}, u.username), h("td", {}, u.display_name),
          h("td", {}, words.roles[u.role] || u.role), h("td", {}, units[u.unit] || u.unit || "—"),
          h("td", {}, u.disabled ? "已停用" : "正常"))))),
      h("details", {}, h("summary", {}, "新建用户"), form)),
    h("section", { class: "card" }, h("h2", {}, "对接平台的密钥"),
      keys.keys.length ? h("table", {}, h("thead", {}, h("tr", {}, ["名称", "平台", "签发时间", "状态"].map((t) => h("th", {}, t)))),
        h("tbody", {}, keys.keys.map((k) => h("tr", {}, h("td", {}, k.name), h("td", {}, words.platforms[k.platform] || k.platform),
          h("td", {}, writtenTime(k.issued_at)), h("td", {}, k.revoked ? "已吊销" : "有效")))))
        : h("p", { class: "empty" }, "尚未签发密钥")));
}
