// Attaching files: chosen, dropped, or taken with the phone's camera; each uploaded first, then
// named by its hash in the answer.
import { api } from "../api.js";
import { h, replace } from "../dom.js";

export const ACCEPT = "image/jpeg,image/png,application/pdf,.doc,.docx,.xls,.xlsx,.ofd,.txt,video/mp4,video/quicktime";

export function filePicker(label = "附件") {
  const chosen = [];
  const list = h("ul", { class: "files" });
  const input = h("input", { type: "file", multiple: true, accept: ACCEPT, "aria-label": label });
  const camera = h("input", { type: "file", accept: "image/*", capture: "environment", "aria-label": "拍照" });
  const add = (files) => {
    for (const file of files) chosen.push(file);
    replace(list, chosen.map((f, i) => h("li", {}, `${f.name}（${Math.ceil(f.size / 1024)} KB）`,
      h("button", { type: "button", class: "link", onclick: () => { chosen.splice(i, 1); add([]); } }, "移除"))));
  };
  input.addEventListener("change", () => { add(input.files); input.value = ""; });
  camera.addEventListener("change", () => { add(camera.files); camera.value = ""; });
  const zone = h("div", { class: "drop", tabindex: "0" },
    h("p", {}, "把文件拖到这里，或"), h("label", { class: "button secondary" }, "选择文件", input),
    h("label", { class: "button secondary camera" }, "拍照", camera), list);
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); add(e.dataTransfer.files); });
  return {
    element: h("fieldset", { class: "field" }, h("legend", {}, label), zone),
    files: chosen,
    async upload() {
      const refs = [];
      for (const file of chosen) {
        const stored = await api.upload(file);
        refs.push({ sha: stored.sha, name: file.name.slice(0, 200) || "附件" });
      }
      return refs;
    },
  };
}

export function fileLinks(evidence) {
  if (!evidence || !evidence.length) return null;
  return h("ul", { class: "files" }, evidence.map((f) =>
    h("li", {}, h("a", { href: `/api/v1/files/${f.sha}`, download: f.name || "附件" }, f.name || "附件"))));
}
