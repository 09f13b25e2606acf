// The edge cache (issue 16 item 4) in workerd: the origin's cacheable HTML
// is fetched once, stored consent-neutral in the Cache API (Miniflare's,
// in memory, one per Miniflare instance, so this file's entries are its
// own), and filtered per visitor from there. Pages the origin marks
// personal, and signed-in requests, never touch the shared copy.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, startWorker, consentToken, rawChunks } from "./harness.mjs";

const GA_TAG = `<script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXXXXXXXX"></script>`;
const FB_TAG = `<script async src="https://connect.facebook.net/en_US/fbevents.js"></script>`;
const page = (title) =>
  `<!doctype html><html><head><title>${title}</title>${GA_TAG}${FB_TAG}</head><body><p>${title} body</p></body></html>`;
const NAV = { accept: "text/html,application/xhtml+xml,*/*;q=0.8", "sec-fetch-dest": "document" };
const SAME = { "sec-fetch-site": "same-origin", "x-consent-token": consentToken() };
const DE = { country: "DE", regionCode: "HE", isEUCountry: "1", continent: "EU" };
const CA = { country: "US", regionCode: "CA", continent: "NA" };
const PUBLIC = { "content-type": "text/html; charset=utf-8", "cache-control": "public, max-age=600", vary: "Accept-Encoding", etag: '"v1"' };

let origin, mf, slowFinishedAt;

/** An origin route answering `page(title)` with `headers` (a function of the request, or an object). */
const serve = (title, headers) => (req, res) => {
  res.writeHead(200, typeof headers === "function" ? headers(req) : headers);
  res.end(typeof title === "function" ? title(req) : page(title));
};

before(async () => {
  origin = await startOrigin({
    "/shared": serve("Shared", PUBLIC),
    "/cookie-page": serve("Cookie", { ...PUBLIC, "set-cookie": "visit=1; Path=/" }),
    "/private": serve("Private", { ...PUBLIC, "cache-control": "private, max-age=600" }),
    "/no-store": serve("NoStore", { ...PUBLIC, "cache-control": "public, max-age=600, no-store" }),
    "/no-cache": serve("NoCache", { ...PUBLIC, "cache-control": "public, max-age=600, no-cache" }),
    "/vary-cookie": serve("VaryCookie", { ...PUBLIC, vary: "Accept-Encoding, Cookie" }),
    // An origin that (wrongly) marks its signed-in page public too: only the
    // worker's own rules keep it out of the shared copy.
    "/members": serve(
      (req) => page(req.headers.authorization || /(^|; )session=/.test(req.headers.cookie || "") ? "Signed-in Alice" : "Members"),
      PUBLIC,
    ),
    "/short": serve("Short", { ...PUBLIC, "cache-control": "public, max-age=2" }),
    "/aged": serve("Aged", { ...PUBLIC, "cache-control": "public, max-age=600", age: "598" }),
    "/off": serve("Off", PUBLIC),
    "/slow-shared": (req, res) => {
      res.writeHead(200, PUBLIC);
      res.write(`<!doctype html><html><head><title>slow</title>${GA_TAG}</head>`);
      setTimeout(() => {
        slowFinishedAt = performance.now();
        res.end("<body><p>late</p></body></html>");
      }, 1500); // generous: the first chunk must beat this on a busy machine too
    },
  });
  mf = await startWorker({ ORIGIN: origin.url, EDGE_CACHE: "on" });
});

after(async () => {
  await mf?.dispose();
  await origin?.close();
});

/** Origin requests for `path` so far. */
const fetches = (path) => origin.requests.filter((r) => new URL(r.url, "http://o").pathname === path).length;

/** The stored copy of `path` (on site.example, or an absolute URL), if any (Miniflare's `caches.default`). */
async function stored(path) {
  const caches = await mf.getCaches();
  return caches.default.match(new URL(path, "https://site.example").href);
}

/** Waits until `path` is in the cache (the put runs after the response, in `waitUntil`). */
async function untilStored(path) {
  for (let i = 0; i < 200; i++) {
    const hit = await stored(path);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`${path} was never stored`);
}

/** A consent cookie for a decision posted as `body`. */
async function decide(cf, body) {
  const res = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf, headers: { ...SAME, "content-type": "application/json" }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  const c = res.headers.getSetCookie().find((v) => /^__Host-consent=[^;]+;/.test(v));
  assert.ok(c, "a consent cookie");
  return /^__Host-consent=([^;]+)/.exec(c)[1];
}

async function visit(path, { cf = DE, headers = {} } = {}) {
  const res = await mf.dispatchFetch(`https://site.example${path}`, { cf, headers: { ...NAV, ...headers } });
  assert.equal(res.status, 200, path);
  return { res, html: await res.text() };
}

const live = (html, tag) => html.includes(tag);
/** The banner asks (an undecided visitor) or waits hidden to be reopened (a decided one). */
const banner = (html) => {
  const decided = /<aside id="consent-edge"[^>]*\sdata-decided="([01])"/.exec(html)?.[1];
  assert.ok(decided, "the banner is in the page");
  return decided === "0";
};

/** The browser-facing response stays personal whatever the cache did (issue 12 class 1). */
function assertPrivate(res) {
  assert.equal(res.headers.get("cache-control"), "private, no-store");
  assert.equal(res.headers.get("vary"), "Accept-Encoding, Cookie, Sec-GPC, Accept-Language");
  assert.equal(res.headers.get("etag"), null);
  assert.equal(res.headers.get("age"), null);
}

test("50 visitors in mixed consent states: one origin fetch, each page filtered for its visitor", async () => {
  const [all, none, analytics] = [
    await decide(DE, { action: "accept_all" }),
    await decide(DE, { action: "reject_all" }),
    await decide(DE, { categories: { analytics: true } }),
  ];
  // [name, request, GA live, Meta live, banner shown]
  const states = [
    ["EU undecided", { cf: DE }, false, false, true],
    ["EU accepted all", { cf: DE, headers: { cookie: `__Host-consent=${all}` } }, true, true, false],
    ["EU refused", { cf: DE, headers: { cookie: `__Host-consent=${none}` } }, false, false, false],
    ["EU analytics only", { cf: DE, headers: { cookie: `__Host-consent=${analytics}; _ga=GA1.1.1.1` } }, true, false, false],
    ["EU undecided with a stale _ga", { cf: DE, headers: { cookie: "_ga=GA1.1.2.2" } }, false, false, true],
    ["US (CA) with GPC", { cf: CA, headers: { "sec-gpc": "1" } }, true, false, null],
    ["US (CA)", { cf: CA }, true, true, null],
  ];
  // The first visitor fetches and (after the response) stores the page.
  const first = await visit("/shared", states[0][1]);
  assert.equal(first.res.headers.get("x-consent-edge-cache"), "miss");
  const copy = await untilStored("/shared");
  // The stored copy is the origin's page as it sent it: nobody's consent in it.
  assert.equal(await copy.text(), page("Shared"));
  assert.equal(copy.headers.get("cache-control"), "public, max-age=600");
  assert.equal(copy.headers.get("set-cookie"), null);
  const results = [];
  for (let i = 0; i < 50; i++) {
    const [name, req, ga, fb, shown] = states[i % states.length];
    const { res, html } = i === 0 ? first : await visit("/shared", req);
    results.push({ i, name, res, html, ga, fb, shown });
  }
  assert.equal(fetches("/shared"), 1, "the origin is fetched once for all 50");
  for (const { i, name, res, html, ga, fb, shown } of results) {
    const who = `#${i} ${name}`;
    if (i > 0) assert.equal(res.headers.get("x-consent-edge-cache"), "hit", who);
    assertPrivate(res);
    assert.ok(html.includes("<p>Shared body</p>"), who);
    assert.equal(live(html, GA_TAG), ga, `${who}: GA ${ga ? "live" : "neutralised"}`);
    assert.equal(live(html, FB_TAG), fb, `${who}: Meta ${fb ? "live" : "neutralised"}`);
    if (!ga) assert.match(html, /googletagmanager\.com[^>]*type="text\/plain"/, who);
    if (!fb) assert.match(html, /connect\.facebook\.net[^>]*type="text\/plain"/, who);
    if (shown !== null) assert.equal(banner(html), shown, `${who}: banner ${shown ? "shown" : "not shown"}`);
  }
  // Per-visitor headers are made per visitor, hit or not: the refused _ga is expired.
  const stale = results.find((r) => r.name === "EU undecided with a stale _ga");
  assert.ok(stale.res.headers.getSetCookie().some((c) => /^_ga=;/.test(c) && /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)), JSON.stringify(stale.res.headers.getSetCookie()));
});

test("pages with Set-Cookie, private, no-store, no-cache or Vary: Cookie are fetched every time and never stored", async () => {
  for (const path of ["/cookie-page", "/private", "/no-store", "/no-cache", "/vary-cookie"]) {
    for (let i = 0; i < 3; i++) {
      const { res } = await visit(path);
      assertPrivate(res);
      assert.equal(res.headers.get("x-consent-edge-cache"), "miss", path);
    }
    assert.equal(fetches(path), 3, `${path}: fetched every time`);
    assert.equal(await stored(path), undefined, `${path}: nothing stored`);
  }
});

test("Authorization and session cookies: never answered from the cache, never stored", async () => {
  // Signed in first: the origin's answer (which it marks public) is not stored.
  const alice = await visit("/members", { headers: { authorization: "Basic YWxpY2U6cHc=" } });
  assert.match(alice.html, /Signed-in Alice/);
  assert.equal(alice.res.headers.get("x-consent-edge-cache"), "bypass");
  const bySession = await visit("/members", { headers: { cookie: "session=s3cr3t" } });
  assert.match(bySession.html, /Signed-in Alice/);
  assert.equal(bySession.res.headers.get("x-consent-edge-cache"), "bypass");
  assert.equal(await stored("/members"), undefined, "a signed-in page is never stored");
  // Anonymous: fetched (nothing stored), then stored.
  const anon = await visit("/members");
  assert.match(anon.html, /<p>Members body<\/p>/);
  assert.doesNotMatch(anon.html, /Alice/);
  assert.equal(fetches("/members"), 3);
  assert.doesNotMatch(await (await untilStored("/members")).text(), /Alice/);
  // Signed in again, with the anonymous copy stored: still the origin's own answer.
  for (const headers of [{ authorization: "Bearer t" }, { cookie: "a=1; session=s3cr3t" }]) {
    const again = await visit("/members", { headers });
    assert.match(again.html, /Signed-in Alice/, JSON.stringify(headers));
    assertPrivate(again.res);
  }
  assert.equal(fetches("/members"), 5);
  // And anonymous visitors keep getting the anonymous copy.
  const later = await visit("/members");
  assert.equal(later.res.headers.get("x-consent-edge-cache"), "hit");
  assert.doesNotMatch(later.html, /Alice/);
  assert.equal(fetches("/members"), 5);
});

/** Visits `path` until the cache answers "miss" again (the copy expired), up to ~15 s. */
async function untilExpired(path) {
  for (let i = 0; i < 150; i++) {
    const { res } = await visit(path);
    if (res.headers.get("x-consent-edge-cache") === "miss") return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${path} never expired`);
}

test("the copy expires when the origin said: max-age, less Age; then the origin is fetched again", async () => {
  for (const path of ["/short", "/aged"]) {
    await visit(path);
    const copy = await untilStored(path);
    assert.equal(copy.headers.get("cache-control"), "public, max-age=2", `${path}: the remaining lifetime`);
    const n = fetches(path);
    await untilExpired(path);
    assert.equal(fetches(path), n + 1, `${path}: refetched once expired`);
  }
});

test("a miss that is stored still streams: the visitor's first chunk leaves before the origin's last byte", async () => {
  const { status, headers, chunks } = await rawChunks(mf, "/slow-shared", NAV);
  assert.equal(status, 200);
  assert.equal(headers["x-consent-edge-cache"], "miss");
  assert.ok(chunks.length >= 2, `expected several chunks, got ${chunks.length}`);
  assert.match(chunks[0].text, /gtag\('consent','default'/, "the first chunk is already filtered");
  assert.ok(chunks[0].at < slowFinishedAt, `first chunk at ${chunks[0].at.toFixed(0)} ms, origin finished at ${slowFinishedAt.toFixed(0)} ms`);
  // The other branch of the tee became the stored copy, whole (keyed by
  // the URL the raw request reached: the worker's own socket).
  const url = new URL("/slow-shared", await mf.ready).href;
  assert.equal(await (await untilStored(url)).text(), `<!doctype html><html><head><title>slow</title>${GA_TAG}</head><body><p>late</p></body></html>`);
  const hit = await rawChunks(mf, "/slow-shared", NAV);
  assert.equal(hit.headers["x-consent-edge-cache"], "hit");
  const html = hit.chunks.map((c) => c.text).join("");
  assert.ok(html.includes("<p>late</p>"), "the whole page");
  assert.match(html, /^<!doctype html><html><head>(?:<script data-ce-guard[\s\S]*?<\/script>)?<script>[^<]*gtag\('consent','default'/, "filtered from the copy");
  assert.match(html, /<aside id="consent-edge"/, "with the banner");
  assert.equal(fetches("/slow-shared"), 1);
});

test("off by default: without EDGE_CACHE the shipped consent.toml keeps the cache off", async () => {
  const plain = await startWorker({ ORIGIN: origin.url });
  try {
    for (let i = 0; i < 2; i++) {
      const res = await plain.dispatchFetch("https://site.example/off", { cf: DE, headers: NAV });
      assert.equal(res.headers.get("x-consent-edge-cache"), null);
      assertPrivate(res);
      await res.text();
    }
    assert.equal(fetches("/off"), 2);
  } finally {
    await plain.dispose();
  }
});
