// Keeps the console's own files, so that a phone that loses its connection can still open the
// page and keep what it enters (the API's answers are never kept here).
const CACHE = "console-v1";
const SHELL = ["/", "/console/style.css", "/console/app.js", "/console/api.js", "/console/dom.js",
  "/console/outbox.js", "/console/pages/finding.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  // the network first, so a new release is seen at once; the kept copy when offline
  event.respondWith(fetch(event.request).then((response) => {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(event.request, copy));
    return response;
  }).catch(() => caches.match(event.request)));
});
