// Per-route rules ([[routes]] in consent.toml) and page-level enforcement in workerd.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, startWorker } from "./harness.mjs";

const DE = { country: "DE", regionCode: "HE", isEUCountry: "1", continent: "EU" };
const TRACKED = `<!doctype html><html><head><title>t</title><script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXXXXXXXX"></script></head>` +
  `<body><iframe title="video" src="https://www.youtube.com/embed/abcdefghijk"></iframe><img src="https://www.facebook.com/tr?id=1&ev=PageView" alt=""><p>text</p></body></html>`;
let origin, mf;

before(async () => {
  const html = (extra = {}) => (req, res) => { res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...extra }); res.end(TRACKED); };
  origin = await startOrigin({
    "/.well-known/page.html": html(),
    "/doc.pdf": html(),
    "/widgets/w.html": html(),
    "/press/p.html": html(),
    "/plain.html": html(),
    "/csp.html": html({ "content-security-policy": "script-src 'nonce-r4nd0m' 'strict-dynamic'" }),
  });
  mf = await startWorker({ ORIGIN: origin.url, COOKIE_DOMAIN: "example.com" });
});

after(async () => {
  await mf?.dispose();
  await origin?.close();
});

const get = async (path, host = "www.example.com") => (await mf.dispatchFetch(`https://${host}${path}`, { cf: DE })).text();

test("enforce (no rule): trackers neutralised, signals and banner injected", async () => {
  const html = await get("/plain.html");
  assert.match(html, /<script async src="https:\/\/www\.googletagmanager\.com[^>]*type="text\/plain"[^>]*data-consent-category="analytics"/);
  assert.ok(!/<iframe[^>]* src="https:\/\/www\.youtube\.com/.test(html), "the YouTube iframe has no live src");
  assert.match(html, /data-consent-src="https:\/\/www\.youtube\.com\/embed\/abcdefghijk"/);
  assert.match(html, /class="consent-edge-placeholder"/);
  assert.ok(!html.includes('<img src="https://www.facebook.com/tr'), "the Meta pixel is inert");
  assert.match(html, /gtag\('consent','default',\{ad_storage:'denied'/);
  assert.match(html, /<aside id="consent-edge"[^>]*data-variant="opt-in"/);
});

test("bypass routes are byte-identical (/.well-known/*, *.pdf)", async () => {
  assert.equal(await get("/.well-known/page.html"), TRACKED);
  assert.equal(await get("/doc.pdf"), TRACKED);
});

test("inject = false: trackers still neutralised, nothing injected", async () => {
  const html = await get("/widgets/w.html");
  assert.match(html, /type="text\/plain"/);
  assert.ok(!html.includes("consent-edge\""), "no banner");
  assert.ok(!html.includes("gtag('consent'"), "no consent signals");
});

test("allow_vendors on a route: that vendor passes, the others do not", async () => {
  const html = await get("/press/p.html");
  assert.match(html, /<iframe title="video" src="https:\/\/www\.youtube\.com\/embed\/abcdefghijk"><\/iframe>/);
  assert.match(html, /type="text\/plain"/, "GA still neutralised");
});

test("the origin's CSP nonce is carried by the injected scripts and styles", async () => {
  const html = await get("/csp.html");
  const injected = html.match(/<(script|style) nonce="r4nd0m"/g) ?? [];
  assert.ok(injected.length >= 2, html.slice(0, 300));
  assert.ok(!/<script>window\.dataLayer/.test(html), "no nonce-less inline script");
});

test("COOKIE_DOMAIN: a consent on www. holds on shop.; the old host-only cookie is expired", async () => {
  const res = await mf.dispatchFetch("https://www.example.com/__consent", {
    method: "POST", cf: DE, headers: { "sec-fetch-site": "same-origin", "content-type": "application/json" }, body: '{"action":"accept_all"}',
  });
  const set = res.headers.getSetCookie();
  const domainCookie = set.find((c) => /^consent=[^;]+;/.test(c) && /Domain=example\.com/i.test(c));
  assert.ok(domainCookie, JSON.stringify(set));
  assert.ok(set.some((c) => /^consent=;/.test(c) && !/Domain=/i.test(c) && /Max-Age=0/.test(c)), "host-only duplicate expired: " + JSON.stringify(set));
  const value = /^consent=([^;]+)/.exec(domainCookie)[1];
  const s = await (await mf.dispatchFetch("https://shop.example.com/__consent", { cf: DE, headers: { cookie: `consent=${value}` } })).json();
  assert.equal(s.decided, true);
  // A host outside the domain gets a host-only cookie.
  const other = await mf.dispatchFetch("https://preview.workers.dev/__consent", {
    method: "POST", cf: DE, headers: { "sec-fetch-site": "same-origin", "content-type": "application/json" }, body: '{"action":"reject_all"}',
  });
  assert.ok(other.headers.getSetCookie().every((c) => !/Domain=/i.test(c)));
});
