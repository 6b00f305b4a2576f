import { api } from "../api.js";
import { errorText, field, h, message, replace } from "../dom.js";

export function render(main, _params, signedIn) {
  const user = h("input", { name: "username", autocomplete: "username", required: true, maxlength: 100 });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true, maxlength: 200 });
  const notice = h("div", { id: "login-notice" });
  const submit = h("button", { type: "submit" }, "登录");
  const form = h("form", { class: "card login", onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    message(notice, "");
    try {
      await api.post("/api/v1/auth/session", { username: user.value.trim(), password: password.value });
      await signedIn();
    } catch (error) {
      message(notice, errorText(error));
    } finally {
      submit.disabled = false;
    }
  } },
  h("h1", {}, "登录"),
  field("用户名", user),
  field("密码", password),
  notice,
  submit);
  replace(main, form);
  user.focus();
}
