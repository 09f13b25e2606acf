// Browser test harness: the demo site on a loopback origin, the built worker in
// workerd (Miniflare) in front of it, and Debian's Chromium driven by
// playwright-core. Every request to a host other than the worker is recorded
// and answered by a local stub, so nothing ever leaves the machine and every
// tracker attempt is visible to the tests.
import http from "node:http";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { ROOT, startWorker } from "../e2e/harness.mjs";

export { ROOT };
export const DEMO = path.join(ROOT, "demo");
export const FIXTURES = path.join(ROOT, "tests/browser/fixtures");
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** Serves the files of demo/ on 127.0.0.1 (a directory path means its index.html). */
export async function startDemoOrigin() {
  const server = http.createServer((req, res) => {
    let p = decodeURIComponent(new URL(req.url, "http://origin").pathname);
    if (p.endsWith("/")) p += "index.html";
    // /__fixtures/… are the browser tests' own pages, the rest is demo/.
    const root = p.startsWith("/__fixtures/") ? FIXTURES : DEMO;
    if (root === FIXTURES) p = p.slice("/__fixtures".length);
    const file = path.join(root, path.normalize(p));
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    let body;
    try {
      body = readFileSync(file);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": MIME[path.extname(file)] || "application/octet-stream",
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

/**
 * The vendor catalog (trackers.toml), read-only: `[{id, category, hosts}]`.
 * A tiny reader for the three fields the tests need.
 */
export function catalog() {
  const text = readFileSync(path.join(ROOT, "trackers.toml"), "utf8");
  const vendors = [];
  for (const block of text.split(/^\[\[vendor\]\]\s*$/m).slice(1)) {
    const str = (k) => new RegExp(`^${k}\\s*=\\s*"([^"]*)"`, "m").exec(block)?.[1];
    const arr = new RegExp(`^hosts\\s*=\\s*\\[([^\\]]*)\\]`, "m").exec(block)?.[1] ?? "";
    const hosts = [...arr.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    vendors.push({ id: str("id"), category: str("category"), hosts });
  }
  return vendors;
}

/** The catalog vendor (most specific host entry) of a URL, or null. */
export function vendorOf(url, vendors = catalog()) {
  const u = new URL(url);
  const host = u.hostname.toLowerCase();
  let best = null, bestLen = -1;
  for (const v of vendors) {
    for (const h of v.hosts) {
      const [dom, ...rest] = h.split("/");
      const prefix = rest.length ? "/" + rest.join("/") : "";
      if (host !== dom && !host.endsWith("." + dom)) continue;
      if (prefix && !(u.pathname === prefix || u.pathname.startsWith(prefix + "/") || u.pathname.startsWith(prefix + "?") || u.pathname.startsWith(prefix))) continue;
      const len = dom.length + prefix.length * 2;
      if (len > bestLen) { best = v; bestLen = len; }
    }
  }
  return best;
}

/** Launches Chromium with a fresh profile; no request can reach the real network. */
export async function launch() {
  const userDataDir = mkdtempSync(path.join(tmpdir(), "ce-chromium-"));
  const context0 = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
      // Belt and braces: whatever is not intercepted resolves nowhere.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
  const browser = context0.browser();
  return { context0, browser, userDataDir };
}

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

/**
 * A browser context for one visitor: geolocation via `x-consent-geo` (the
 * worker runs with DEV_GEO_OVERRIDE), optional `Sec-GPC: 1`, optional
 * JavaScript off. Returns the context and `attempts`, every request to a
 * host other than the worker (`{url, host, type, at}`), in order.
 */
export async function visitor(stack, { geo, gpc = false, javaScriptEnabled = true, viewport = { width: 1280, height: 800 } } = {}) {
  const headers = {};
  if (geo) headers["x-consent-geo"] = geo;
  if (gpc) headers["sec-gpc"] = "1";
  const context = await stack.browser.newContext({
    extraHTTPHeaders: headers,
    javaScriptEnabled,
    viewport,
    locale: "en-US",
    serviceWorkers: "block",
  });
  const workerHost = new URL(stack.base).host;
  const attempts = [];
  await context.route("**/*", (route) => {
    const req = route.request();
    const u = new URL(req.url());
    if (u.host === workerHost) return route.continue();
    if (u.protocol === "data:" || u.protocol === "blob:") return route.continue();
    record(attempts, req);
    const type = req.resourceType();
    if (type === "script") return route.fulfill({ status: 200, contentType: "text/javascript", body: "/* stub */" });
    if (type === "image") return route.fulfill({ status: 200, contentType: "image/gif", body: GIF });
    if (type === "document") return route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>stub</title><p>stub" });
    if (type === "stylesheet") return route.fulfill({ status: 200, contentType: "text/css", body: "" });
    return route.fulfill({ status: 204, body: "" });
  });
  return { context, attempts };
}

/** Appends a request to a visitor's `attempts` (`{url, host, type, at}`). */
function record(attempts, req) {
  attempts.push({ url: req.url(), host: new URL(req.url()).hostname, type: req.resourceType(), at: Date.now() });
}

// A tag manager as the guard tests meet it: a GTM-like container (gtm.js)
// with two tags, the Google tag (GA4: loads gtag.js) and a Custom HTML Meta
// pixel (an inline script that loads fbevents.js, an image pixel, a beacon),
// and a GA4-like gtag.js that sends its hits.
const TAG_MANAGER = {
  container: `
(function () {
  var d = document, nonce = d.currentScript && d.currentScript.nonce;
  // Tag 1, Google tag (GA4): loads gtag.js.
  var g = d.createElement("script");
  g.async = true;
  g.src = "https://www.googletagmanager.com/gtag/js?id=G-TEST";
  d.head.appendChild(g);
  // Tag 2, Custom HTML: a Meta pixel, inserted as inline markup the way a
  // container injects Custom HTML (a script that loads fbevents.js, and an
  // image pixel fallback).
  var holder = d.createElement("div");
  holder.innerHTML = '<img alt="" height="1" width="1" src="https://www.facebook.com/tr?id=123&ev=PageView&noscript=1">';
  d.body.appendChild(holder);
  var c = d.createElement("script");
  if (nonce) c.nonce = nonce;
  c.text = "window.fbq = window.fbq || function () { (fbq.q = fbq.q || []).push(arguments); };" +
    "var t = document.createElement('script'); t.async = true;" +
    "t.src = 'https://connect.facebook.net/en_US/fbevents.js';" +
    "var first = document.getElementsByTagName('script')[0]; first.parentNode.insertBefore(t, first);" +
    "fbq('init', '123'); fbq('track', 'PageView');" +
    "navigator.sendBeacon('https://www.facebook.com/tr?id=123&ev=beacon');";
  d.body.appendChild(c);
})();`,
  gtag: `
navigator.sendBeacon("https://region1.google-analytics.com/g/collect?v=2&tid=G-TEST&en=page_view");
new Image().src = "https://www.google-analytics.com/g/collect?v=2&tid=G-TEST&en=img";`,
};

/**
 * Answers the visitor's requests for Google's gtm.js and gtag.js with the
 * tag manager stubs above (instead of harness's empty script), recording them.
 */
export async function stubTagManager({ context, attempts }) {
  await context.route(/^https:\/\/www\.googletagmanager\.com\/(gtm\.js|gtag\/js)/, (route) => {
    record(attempts, route.request());
    const body = route.request().url().includes("/gtm.js") ? TAG_MANAGER.container : TAG_MANAGER.gtag;
    route.fulfill({ status: 200, contentType: "text/javascript", body });
  });
}

/**
 * A new page in `context`; `errors` collects its uncaught exceptions (and,
 * with `consoleErrors`, what it logs as console errors).
 */
export async function openPage(context, { consoleErrors = false } = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  if (consoleErrors) page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  return { page, errors };
}

/** Demo origin + worker + Chromium. `stack.base` is the worker's http://127.0.0.1:port. */
export async function startStack() {
  const origin = await startDemoOrigin();
  const mf = await startWorker({ ORIGIN: origin.url, DEV_GEO_OVERRIDE: "true" }, { d1Databases: { DB: "browser-tests" } });
  const url = await mf.ready;
  // An in-memory D1 with migrations/ applied, so decisions are recorded.
  const db = await mf.getD1Database("DB");
  for (const f of readdirSync(path.join(ROOT, "migrations")).filter((f) => f.endsWith(".sql")).sort()) {
    const sql = readFileSync(path.join(ROOT, "migrations", f), "utf8").replace(/--[^\n]*/g, "");
    const statements = sql.split(";").map((s) => s.trim()).filter(Boolean);
    await db.batch(statements.map((s) => db.prepare(s)));
  }
  const base = `http://127.0.0.1:${url.port}`;
  const { context0, browser, userDataDir } = await launch();
  return {
    origin, mf, db, base, browser,
    async close() {
      await context0?.close().catch(() => {});
      await browser?.close().catch(() => {});
      await mf?.dispose().catch(() => {});
      await origin?.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Installs a layout-shift PerformanceObserver in every page of the context (JS on only). */
export async function observeLayoutShifts(context) {
  await context.addInitScript(() => {
    const cls = { total: 0, all: 0, entries: [] };
    Object.defineProperty(window, "__cls", { value: cls });
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          cls.all += e.value;
          if (!e.hadRecentInput) cls.total += e.value;
          cls.entries.push({
            value: e.value,
            hadRecentInput: e.hadRecentInput,
            sources: (e.sources || []).map((s) => s.node ? (s.node.id || s.node.className || s.node.nodeName) : null),
            // Whether a shifted node belongs to what the worker adds (the banner, embed placeholders).
            ours: (e.sources || []).some((s) => {
              const el = s.node && (s.node.nodeType === 1 ? s.node : s.node.parentElement);
              return !!(el && el.closest("#consent-edge, .consent-edge-placeholder"));
            }),
          });
        }
      }).observe({ type: "layout-shift", buffered: true });
    } catch (err) {
      cls.error = String(err);
    }
  });
}

/** The layout shifts seen so far: `{total, all, entries}` (total excludes input-driven shifts). */
export async function layoutShifts(page) {
  // Layout shifts are reported after the next frame: let two frames pass.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return page.evaluate(() => JSON.parse(JSON.stringify(window.__cls)));
}

/** axe-core on the page (WCAG 2.0/2.1/2.2 A+AA and best practices): the violations. */
export async function axeViolations(page, { include } = {}) {
  const { default: AxeBuilder } = await import("@axe-core/playwright");
  let builder = new AxeBuilder({ page });
  if (include) builder = builder.include(include);
  const res = await builder.analyze();
  return res.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
  }));
}

/** Waits until network activity caused by the page has settled (no new attempts for `quiet` ms). */
export async function settle(page, attempts, { quiet = 300, max = 4000 } = {}) {
  await page.waitForLoadState("load");
  const end = Date.now() + max;
  let n = -1;
  while (Date.now() < end) {
    if (attempts.length === n) break;
    n = attempts.length;
    await page.waitForTimeout(quiet);
  }
}

/** The distinct catalog vendor ids among recorded attempts (`"?host"` for hosts not in the catalog). */
export function vendorsHit(attempts, vendors = catalog()) {
  const ids = new Set();
  for (const a of attempts) ids.add(vendorOf(a.url, vendors)?.id ?? `?${a.host}`);
  return [...ids].sort();
}

/** The consent cookie of the context, or undefined. */
export async function consentCookie(context) {
  return (await context.cookies()).find((c) => /^(__Host-|__Secure-)?consent$/.test(c.name));
}

// Where the tests save their screenshots: a scratch folder, so `make test`
// leaves the tree clean; `make screenshots` sets SCREENSHOTS_DIR=docs/screenshots.
export const SCREENSHOTS = process.env.SCREENSHOTS_DIR || path.join(ROOT, "tests/browser/.screenshots");
