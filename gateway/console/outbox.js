// Findings registered on site wait here (IndexedDB, photos included) until the connection is
// back; each keeps its Idempotency-Keys, so a resend after a lost answer never doubles it.
import { api } from "./api.js";

const DB = "supervision-console";
const STORE = "outbox";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = action(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(result.result);
    tx.onerror = () => reject(tx.error);
  });
}

export const keep = (entry) => run("readwrite", (s) => s.put(entry));
export const waiting = () => run("readonly", (s) => s.getAll());
export const drop = (key) => run("readwrite", (s) => s.delete(key));

function status(text) {
  const el = document.getElementById("outbox-status");
  if (el) el.textContent = text;
}

let flushing = null;

// Sends what waits, oldest first; stops at the first network failure and tries again later.
export function flush() {
  if (!flushing) flushing = send().finally(() => { flushing = null; });
  return flushing;
}

async function send() {
  let entries;
  try {
    entries = (await waiting()).sort((a, b) => a.created - b.created);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.refused) continue;
    if (!navigator.onLine) break;
    try {
      const evidence = [];
      for (const photo of entry.photos) {
        const stored = await api.upload(photo.file);
        evidence.push({ sha: stored.sha, name: photo.name });
      }
      await api.post("/api/v1/items", { ...entry.body, evidence }, entry.key);
      await drop(entry.key);
      status(`已发送：${entry.body.title}`);
    } catch (error) {
      if (error.status && error.status < 500 && error.status !== 401 && error.status !== 409) {
        // refused for good (a bad field): kept aside with the reason, never resent blindly
        await keep({ ...entry, refused: error.message });
        status(`未能登记“${entry.body.title}”：${error.message}`);
        continue;
      }
      status(`网络不可用，${entries.length} 条现场记录将在恢复后自动发送`);
      break;
    }
  }
}

setInterval(() => flush(), 15000);
