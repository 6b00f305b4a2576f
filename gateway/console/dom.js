// Building the page: elements from data with textContent only (never HTML from data), dates as
// people write them, and the working-day countdown in words.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// 2026年10月13日
export function written(iso) {
  if (!iso) return "—";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return `${y}年${m}月${d}日`;
}

// 2026年10月13日 14:05, in Beijing time
export function writtenTime(iso) {
  if (!iso) return "—";
  const parts = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).formatToParts(new Date(iso));
  const part = (type) => parts.find((p) => p.type === type)?.value || "";
  return `${part("year")}年${part("month")}月${part("day")}日 ${part("hour")}:${part("minute")}`;
}

export function countdownText(days) {
  if (days === undefined || days === null) return "";
  if (days > 0) return `剩余${days}个工作日`;
  if (days === 0) return "今日到期";
  return `已逾期${-days}个工作日`;
}

export function countdownBadge(days) {
  if (days === undefined || days === null) return null;
  const kind = days < 0 ? "late" : days <= 1 ? "soon" : "ok";
  return h("span", { class: `badge ${kind}` }, countdownText(days));
}

export function statusBadge(item) {
  return h("span", { class: `status status-${item.status}` }, item.status_label || item.status);
}

export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("small", {}, hint) : null);
}

export function select(name, options, value, { blank } = {}) {
  const el = h("select", { name });
  if (blank !== undefined) el.append(h("option", { value: "" }, blank));
  for (const [code, label] of Object.entries(options)) {
    el.append(h("option", { value: code, selected: code === value }, label));
  }
  return el;
}

export function message(el, text, kind = "error") {
  replace(el, text ? h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text) : null);
}

export function errorText(error) {
  if (error.fields && error.fields.length) return error.fields.map((f) => f.message).join("；");
  return error.message || "操作失败";
}

export function formData(form) {
  const data = {};
  for (const [name, value] of new FormData(form).entries()) {
    if (typeof value === "string" && value.trim() !== "") data[name] = value.trim();
  }
  return data;
}
