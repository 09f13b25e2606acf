// Per-route rules ([[routes]] in consent.toml) and page-level enforcement in workerd.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, startWorker, consentToken } from "./harness.mjs";

const DE = { country: "DE", regionCode: "HE", isEUCountry: "1", continent: "EU" };
const TRACKED = `<!doctype html><html><head><title>t</title><script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXXXXXXXX"></script></head>` +
  `<body><iframe title="video" src="https://www.youtube.com/embed/abcdefghijk"></iframe><img src="https://www.facebook.com/tr?id=1&ev=PageView" alt=""><p>text</p></body></html>`;
const GPC_JSON = '{"gpc": true, "lastUpdate": "2026-01-01"}';
const PDF = Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.from([0xe2, 0xe3, 0xcf, 0xd3]), Buffer.from("\n<script src=https://www.googletagmanager.com/gtag/js></script>")]);
let origin, mf;

before(async () => {
  const html = (extra = {}) => (req, res) => { res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...extra }); res.end(TRACKED); };
  origin = await startOrigin({
    // Bypass routes: machine-read files and downloads pass untouched...
    "/.well-known/gpc.json": (req, res) => { res.writeHead(200, { "content-type": "application/json", "set-cookie": "_ga=GA1.1; Path=/" }); res.end(GPC_JSON); },
    "/doc.pdf": (req, res) => { res.writeHead(200, { "content-type": "application/pdf" }); res.end(PDF); },
    // ...but a document under a bypass pattern is filtered: the site's HTML 404 page,
    // a path parameter the origin drops (/account;.pdf is /account to Tomcat/Jetty).
    // (The loopback origin routes by the raw path: it stands for Tomcat serving /account.)
    "/account;.pdf": html({ "set-cookie": "_ga=GA1.1; Path=/" }),
    "/nope.pdf": (req, res) => { res.writeHead(404, { "content-type": "text/html; charset=utf-8" }); res.end(TRACKED); },
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

test("bypass routes pass what is not a document byte-identical (/.well-known/*, *.pdf)", async () => {
  const json = await mf.dispatchFetch("https://www.example.com/.well-known/gpc.json", { cf: DE });
  assert.equal(await json.text(), GPC_JSON);
  assert.deepEqual(json.headers.getSetCookie(), ["_ga=GA1.1; Path=/"], "headers as the origin sent them");
  const pdf = await mf.dispatchFetch("https://www.example.com/doc.pdf", { cf: DE });
  assert.equal(pdf.headers.get("content-type"), "application/pdf");
  assert.ok(Buffer.from(await pdf.arrayBuffer()).equals(PDF));
});

test("a document under a bypass pattern is filtered: the site's HTML 404 at /nope.pdf, /account;.pdf", async () => {
  // The site's 404 page is HTML with the site layout (and its trackers).
  const nope = await mf.dispatchFetch("https://www.example.com/nope.pdf", { cf: DE, headers: { accept: "text/html" } });
  assert.equal(nope.status, 404);
  assert.equal(nope.headers.get("cache-control"), "private, no-store");
  const page = await nope.text();
  assert.match(page, /<script async src="https:\/\/www\.googletagmanager\.com[^>]*type="text\/plain"/, "GA inert");
  assert.ok(!/<iframe[^>]* src="https:\/\/www\.youtube\.com/.test(page), "no live YouTube iframe");
  assert.match(page, /<aside id="consent-edge"/, "the banner, as on any page");
  const res = await mf.dispatchFetch("https://www.example.com/account;.pdf", { cf: DE });
  assert.deepEqual(res.headers.getSetCookie(), [], "the refused Set-Cookie is dropped");
  const html = await res.text();
  assert.match(html, /googletagmanager\.com[^>]*type="text\/plain"/, "/account;.pdf is /account to the origin: filtered");
  assert.equal(origin.requests.at(-1).url, "/account;.pdf", "the path is forwarded as sent");
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
    method: "POST", cf: DE, headers: { "sec-fetch-site": "same-origin", "content-type": "application/json", "x-consent-token": consentToken({ host: "www.example.com" }) }, body: '{"action":"accept_all"}',
  });
  const set = res.headers.getSetCookie();
  const domainCookie = set.find((c) => /^__Secure-consent=[^;]+;/.test(c) && /Domain=example\.com/i.test(c));
  assert.ok(domainCookie, JSON.stringify(set));
  assert.ok(set.some((c) => /^__Secure-consent=;/.test(c) && !/Domain=/i.test(c) && /Max-Age=0/.test(c)), "host-only duplicate expired: " + JSON.stringify(set));
  const value = /^__Secure-consent=([^;]+)/.exec(domainCookie)[1];
  const s = await (await mf.dispatchFetch("https://shop.example.com/__consent", { cf: DE, headers: { cookie: `__Secure-consent=${value}` } })).json();
  assert.equal(s.decided, true);
  // A host outside the domain gets a host-only cookie.
  const other = await mf.dispatchFetch("https://preview.workers.dev/__consent", {
    method: "POST", cf: DE, headers: { "sec-fetch-site": "same-origin", "content-type": "application/json", "x-consent-token": consentToken({ host: "preview.workers.dev" }) }, body: '{"action":"reject_all"}',
  });
  assert.ok(other.headers.getSetCookie().every((c) => !/Domain=/i.test(c)));
});
