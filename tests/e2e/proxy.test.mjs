// Foundation: the worker as a streaming proxy, inside workerd.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startOrigin, startWorker, bytes, rawChunks, consentToken } from "./harness.mjs";

const PAGE = `<!doctype html><html lang="en"><head><title>Fixture</title></head><body><h1>Hello</h1><p>caf\u00e9</p></body></html>`;
const BINARY = crypto.randomBytes(256 * 1024);
const JSON_BODY = JSON.stringify({ a: 1, b: [true, null, "x\u00fc"], nested: { deep: "value" } }, null, 2);

const GA = `<script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXXXXXXXX"></script>`;
const ARTICLE = `<!doctype html><html><head><title>Article</title>${GA}</head><body><p>text</p></body></html>`;
const LINK = `</site.css>; rel=preload; as=style, <https://www.googletagmanager.com/gtag/js?id=G-1>; rel=preload; as=script, <https://connect.facebook.net>; rel=preconnect, <//www.google-analytics.com>; rel=dns-prefetch, </next.html>; rel=prefetch`;
const DE = { country: "DE", regionCode: "HE", isEUCountry: "1", continent: "EU" };
// State-changing posts carry the banner's per-render token (issue 15), here
// minted with the e2e secret for site.example's home page.
const SAME = { "sec-fetch-site": "same-origin", "x-consent-token": consentToken() };
const NAV = { accept: "text/html,application/xhtml+xml,*/*;q=0.8", "sec-fetch-dest": "document" };

let origin, mf, slowFinishedAt;

before(async () => {
  origin = await startOrigin({
    "/page.html": (req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "x-origin-header": "kept", "content-length": Buffer.byteLength(PAGE) });
      res.end(PAGE);
    },
    "/slow.html": (req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.write("<!doctype html><html><head><title>slow</title></head>");
      setTimeout(() => {
        slowFinishedAt = performance.now();
        res.end("<body><p>late</p></body></html>");
      }, 1500); // generous: the first chunk must beat this on a busy machine too
    },
    "/blob.bin": (req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": BINARY.length });
      res.end(BINARY);
    },
    "/data.json": (req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON_BODY);
    },
    "/echo": (req, res, url) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ path: url.pathname, query: url.search, host: req.headers.host, method: req.method }));
    },
    "/redirect": (req, res) => {
      res.writeHead(302, { location: "/page.html", "content-type": "text/html" });
      res.end("<a href=/page.html>moved</a>");
    },
    "/cached.html": (req, res) => {
      if (req.headers["if-none-match"] === '"v1"') {
        res.writeHead(304, { etag: '"v1"' });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "text/html", etag: '"v1"' });
      res.end(PAGE);
    },
    // A cacheable page with a tracker and validators (issue 12.1).
    "/article": (req, res) => {
      if (req.headers["if-none-match"] === '"a1"' || req.headers["if-modified-since"]) {
        res.writeHead(304, { etag: '"a1"' });
        res.end();
        return;
      }
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        etag: '"a1"',
        "last-modified": "Mon, 30 Nov 2026 10:00:00 GMT",
        "cache-control": "public, max-age=600",
        vary: "Accept-Encoding",
      });
      res.end(ARTICLE);
    },
    // An origin that answers 304 whatever it is asked.
    "/stubborn.html": (req, res) => {
      res.writeHead(304, { etag: '"s"' });
      res.end();
    },
    // Response headers that fetch or navigate (issue 12.11).
    "/linked.html": (req, res) => {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        link: LINK,
        refresh: "5; url=https://www.facebook.com/tr?id=1&ev=PageView",
      });
      res.end(PAGE);
    },
    "/linked.json": (req, res) => {
      res.writeHead(200, { "content-type": "application/json", link: LINK, refresh: "0;URL='https://www.facebook.com/tr?id=1'" });
      res.end("{}");
    },
    // Echoes method and body (issue 15.6).
    "/dav/": (req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        res.writeHead(207, { "content-type": "application/json" });
        res.end(JSON.stringify({ method: req.method, body }));
      });
    },
    "/range.html": (req, res) => {
      const body = Buffer.from(PAGE);
      const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range || "");
      if (m) {
        const [s, e] = [Number(m[1]), Number(m[2])];
        res.writeHead(206, { "content-type": "text/html", "content-range": `bytes ${s}-${e}/${body.length}`, "content-length": e - s + 1 });
        res.end(body.subarray(s, e + 1));
        return;
      }
      res.writeHead(200, { "content-type": "text/html" });
      res.end(body);
    },
  });
  mf = await startWorker({ ORIGIN: origin.url });
});

after(async () => {
  await mf?.dispose();
  await origin?.close();
});

test("HTML streams through the rewriter; status and headers kept, Content-Length dropped", async () => {
  const res = await mf.dispatchFetch("https://site.example/page.html");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-origin-header"), "kept");
  assert.equal(res.headers.get("content-length"), null);
  const html = await res.text();
  // First the client guard (when something is refused), then the consent signals.
  assert.match(html, /<head>(?:<script data-ce-guard='[^']*'>[\s\S]*?<\/script>)?<script>[^<]*gtag\('consent','default'[^<]*<\/script><title>Fixture<\/title>/, "guard and consent signals at the very start of <head>");
  assert.match(html, /<aside id="consent-edge"/, "the banner before </body>");
  assert.ok(html.includes("<h1>Hello</h1><p>caf\u00e9</p>"));
});

test("the first transformed chunk leaves before the origin sends its last byte", async () => {
  const { status, chunks } = await rawChunks(mf, "/slow.html");
  assert.equal(status, 200);
  assert.ok(chunks.length >= 2, `expected several chunks, got ${chunks.length}`);
  assert.match(chunks[0].text, /gtag\('consent','default'/, "the first chunk is already rewritten");
  assert.ok(slowFinishedAt !== undefined, "origin finished");
  assert.ok(chunks[0].at < slowFinishedAt, `first chunk at ${chunks[0].at.toFixed(0)} ms, origin finished at ${slowFinishedAt.toFixed(0)} ms`);
  assert.ok(chunks.map((c) => c.text).join("").includes("<p>late</p>"));
});

test("a binary response is byte-identical", async () => {
  const res = await mf.dispatchFetch("https://site.example/blob.bin");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), String(BINARY.length));
  assert.ok((await bytes(res)).equals(BINARY));
});

test("a JSON response is byte-identical", async () => {
  const res = await mf.dispatchFetch("https://site.example/data.json");
  assert.equal(await res.text(), JSON_BODY);
});

test("path and query are kept and Host is the origin's", async () => {
  const res = await mf.dispatchFetch("https://site.example/echo?a=1&b=%20x");
  const echo = await res.json();
  assert.equal(echo.path, "/echo");
  assert.equal(echo.query, "?a=1&b=%20x");
  assert.equal(echo.host, new URL(origin.url).host);
});

test("HEAD passes through untouched", async () => {
  const res = await mf.dispatchFetch("https://site.example/page.html", { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), String(Buffer.byteLength(PAGE)));
  assert.equal((await bytes(res)).length, 0);
});

test("redirects are returned, not followed", async () => {
  const res = await mf.dispatchFetch("https://site.example/redirect", { redirect: "manual" });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), "/page.html");
  assert.equal(await res.text(), "<a href=/page.html>moved</a>");
});

test("304 passes through", async () => {
  const res = await mf.dispatchFetch("https://site.example/cached.html", { headers: { "if-none-match": '"v1"' } });
  assert.equal(res.status, 304);
  assert.equal(res.headers.get("etag"), '"v1"');
});

test("206 ranges pass through untouched", async () => {
  const res = await mf.dispatchFetch("https://site.example/range.html", { headers: { range: "bytes=0-14" } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get("content-range"), `bytes 0-14/${Buffer.byteLength(PAGE)}`);
  assert.equal(await res.text(), PAGE.slice(0, 15));
});

test("an unreachable origin is a clear 502 from us", async () => {
  const dead = await startWorker({ ORIGIN: "http://127.0.0.1:9" });
  try {
    const res = await dead.dispatchFetch("https://site.example/");
    assert.equal(res.status, 502);
    assert.match(await res.text(), /origin could not be reached/);
  } finally {
    await dead.dispose();
  }
});

test("a malformed ORIGIN is a clear 502 naming the problem", async () => {
  const bad = await startWorker({ ORIGIN: "ftp://nope" });
  try {
    const res = await bad.dispatchFetch("https://site.example/");
    assert.equal(res.status, 502);
    assert.match(await res.text(), /ORIGIN "ftp:\/\/nope" must be an http\(s\) URL/);
  } finally {
    await bad.dispose();
  }
});

test("no ORIGIN and the zone's origin is the worker itself (plain `wrangler dev`): a clear 508, not a loop", async () => {
  const alone = await startWorker({ ORIGIN: "" });
  try {
    const self = await alone.ready;
    const res = await alone.dispatchFetch(new URL("/about.html?x=1", self));
    assert.equal(res.status, 508);
    assert.match(await res.text(), /came back to the worker.*Set ORIGIN, or run the dev environment/s);
    // The marker is the worker's own: a visitor sending it only gets the same clear answer.
    const forged = await alone.dispatchFetch("https://site.example/", { headers: { "x-consent-edge-hop": "1" } });
    assert.equal(forged.status, 508);
    await forged.arrayBuffer();
  } finally {
    await alone.dispose();
  }
});

/** The `consent` cookie value a response sets. */
function consentCookie(res) {
  const c = res.headers.getSetCookie().find((v) => /^__Host-consent=[^;]+;/.test(v));
  assert.ok(c, JSON.stringify(res.headers.getSetCookie()));
  return /^__Host-consent=([^;]+)/.exec(c)[1];
}

const liveGA = (html) => /<script async src="https:\/\/www\.googletagmanager\.com\/gtag\/js\?id=G-XXXXXXXXXX"><\/script>/.test(html);

test("caching: a personalised page is private, without the origin's validators, and varies on consent", async () => {
  const res = await mf.dispatchFetch("https://site.example/article", { cf: DE, headers: NAV });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "private, no-store");
  assert.equal(res.headers.get("etag"), null);
  assert.equal(res.headers.get("last-modified"), null);
  assert.equal(res.headers.get("vary"), "Accept-Encoding, Cookie, Sec-GPC, Accept-Language");
  await res.text();
});

test("caching: accept → page with validators → withdraw → the next view has no live tracker and no 304", async () => {
  const accepted = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, headers: { ...SAME, "content-type": "application/json" }, body: '{"action":"accept_all"}',
  });
  const yes = consentCookie(accepted);
  // The browser's first view: GA live. (A cache upstream of an older worker
  // version, or the browser's own copy, still holds it with ETag "a1".)
  const first = await mf.dispatchFetch("https://site.example/article", { cf: DE, headers: { ...NAV, cookie: `__Host-consent=${yes}` } });
  assert.equal(first.status, 200);
  assert.ok(liveGA(await first.text()), "GA live after accepting");
  const withdrawn = await mf.dispatchFetch("https://site.example/__consent", {
    method: "DELETE", cf: DE, headers: { ...SAME, cookie: `__Host-consent=${yes}` },
  });
  assert.equal(withdrawn.status, 200);
  const no = consentCookie(withdrawn);
  // The next view revalidates the copy it holds: the worker must not let a 304 confirm it.
  const seen = origin.requests.length;
  const next = await mf.dispatchFetch("https://site.example/article", {
    cf: DE,
    headers: { ...NAV, cookie: `__Host-consent=${no}`, "if-none-match": '"a1"', "if-modified-since": "Mon, 30 Nov 2026 10:00:00 GMT" },
  });
  assert.equal(next.status, 200, "not 304");
  const html = await next.text();
  assert.ok(!liveGA(html), "GA not live after withdrawing");
  assert.match(html, /googletagmanager\.com[^>]*type="text\/plain"/);
  const sent = origin.requests.slice(seen).find((r) => r.url === "/article");
  assert.equal(sent.headers["if-none-match"], undefined, "validators not forwarded for a navigation");
  assert.equal(sent.headers["if-modified-since"], undefined);
});

test("caching: an origin that answers a navigation 304 anyway gets a clear 502, never a 304 to the browser", async () => {
  const res = await mf.dispatchFetch("https://site.example/stubborn.html", { cf: DE, headers: { ...NAV, "if-none-match": '"s"' } });
  assert.equal(res.status, 502);
  assert.match(await res.text(), /^consent-edge: the origin answered 304 Not Modified to a page request sent without validators/);
});

test("response headers: Link entries and a Refresh to refused vendors are removed, the others kept", async () => {
  for (const path of ["/linked.html", "/linked.json"]) {
    const res = await mf.dispatchFetch(`https://site.example${path}`, { cf: DE });
    assert.equal(res.headers.get("link"), "</site.css>; rel=preload; as=style, </next.html>; rel=prefetch", path);
    assert.equal(res.headers.get("refresh"), null, path);
    await res.arrayBuffer();
  }
  // With consent, as the origin sent them.
  const ok = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, headers: { ...SAME, "content-type": "application/json" }, body: '{"action":"accept_all"}',
  });
  const res = await mf.dispatchFetch("https://site.example/linked.html", { cf: DE, headers: { cookie: `__Host-consent=${consentCookie(ok)}` } });
  assert.equal(res.headers.get("link"), LINK);
  assert.match(res.headers.get("refresh"), /facebook/);
  await res.text();
});

test("methods: unknown ones reach the origin unchanged (body kept); /__consent answers 405 with Allow", async () => {
  for (const method of ["PROPFIND", "PURGE", "QUERY", "MKCOL", "PUT", "PATCH", "OPTIONS"]) {
    const res = await mf.dispatchFetch("https://site.example/dav/", { method, body: `<x m="${method}"/>`, headers: { "content-type": "application/xml" } });
    assert.equal(res.status, 207, method);
    assert.deepEqual(await res.json(), { method, body: `<x m="${method}"/>` }, method);
  }
  for (const method of ["PROPFIND", "PURGE", "QUERY", "PUT"]) {
    const res = await mf.dispatchFetch("https://site.example/__consent", { method, cf: DE, headers: SAME });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "GET, HEAD, POST, DELETE", method);
    assert.match((await res.json()).error, new RegExp(`method ${method} not allowed`));
    const admin = await mf.dispatchFetch("https://site.example/__consent/stats", { method, cf: DE });
    assert.equal(admin.status, 405, `${method} /__consent/stats`);
    assert.equal(admin.headers.get("allow"), "GET");
    await admin.arrayBuffer();
  }
});
