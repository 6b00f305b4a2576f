// 四不两直 on a phone: a finding with photos and the place, kept on the phone until it is sent.
import { newKey } from "../api.js";
import { errorText, field, h, message, replace, written } from "../dom.js";
import { drop, flush, keep, waiting } from "../outbox.js";

export async function render(main) {
  const photos = h("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, name: "photos" });
  const notice = h("div", { role: "status" });
  const queue = h("section", { class: "card", "aria-label": "待发送" });
  const form = h("form", { class: "card phone", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const entry = {
      key: newKey(),
      created: Date.now(),
      body: {
        source: "finding",
        title: String(data.get("title")).trim(),
        content: String(data.get("content")).trim(),
        due_date: data.get("due_date"),
        details: data.get("place") ? { place: String(data.get("place")).trim() } : {},
      },
      photos: [...photos.files].map((file) => ({ file, name: file.name || "现场照片.jpg" })),
    };
    try {
      await keep(entry);
      form.reset();
      message(notice, navigator.onLine ? "已保存，正在发送…" : "当前离线：已保存在本机，恢复网络后自动发送", "info");
      await flush();
    } catch (error) {
      message(notice, errorText(error));
    }
    await drawQueue(queue);
  } },
  field("问题", h("input", { name: "title", required: true, maxlength: 200 })),
  field("情况描述", h("textarea", { name: "content", required: true, rows: 5, maxlength: 20000 })),
  field("地点", h("input", { name: "place", maxlength: 200 })),
  field("整改时限", h("input", { name: "due_date", type: "date", required: true })),
  field("现场照片", photos),
  notice,
  h("button", { type: "submit" }, "保存并发送"));
  replace(main, h("h1", {}, "现场登记督查发现问题"), form, queue);
  await drawQueue(queue);
  window.addEventListener("online", () => flush().then(() => drawQueue(queue)));
}

async function drawQueue(queue) {
  const entries = await waiting();
  replace(queue, h("h2", {}, `本机待发送（${entries.length}）`),
    entries.length ? h("ul", { class: "outbox" }, entries.map((e) => h("li", {},
      `${e.body.title}（整改时限 ${written(e.body.due_date)}，照片 ${e.photos.length} 张）`,
      e.refused ? [h("div", { class: "notice error" }, `未能登记：${e.refused}`),
        h("button", { type: "button", class: "link", onclick: async () => { await drop(e.key); drawQueue(queue); } }, "删除")] : null)))
      : h("p", { class: "empty" }, "没有待发送的记录"));
}
