// The [csp] backstop and tracker discovery, in workerd: the worker's policy
// per mode and consent state (the origin's own policy always kept), the
// report endpoint's limits, and reports / unknown Set-Cookie names reaching
// /__consent/discovery through D1 (migrations applied by wrangler).
// One build serves every mode: CSP_MODE overrides [csp] mode.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { startOrigin, startWorker, consentToken, migratedD1, eventually } from "./harness.mjs";

const ADMIN = "admin-token-for-tests-0123456789abcdef";
const SAME = { "sec-fetch-site": "same-origin" };
const DE = { country: "DE", regionCode: "BE", isEUCountry: "1", continent: "EU" };
const ORIGIN_CSP = "script-src 'nonce-abc123' 'strict-dynamic'; object-src 'none'";
const PAGE = "<html><head><script nonce=abc123>1</script></head><body>ok</body></html>";
let dir, origin;
const workers = {};

before(async () => {
  let d1;
  ({ dir, options: d1 } = migratedD1());
  origin = await startOrigin({
    "/": (req, res) => {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": ORIGIN_CSP,
        "set-cookie": ["mystery_e2e_id=secret-value; Path=/", "_ga=GA1.1.1; Path=/"],
      });
      res.end(PAGE);
    },
    "/img.png": (req, res) => { res.writeHead(200, { "content-type": "image/png" }); res.end("png"); },
  });
  for (const mode of ["off", "report", "enforce"]) {
    workers[mode] = await startWorker({ ORIGIN: origin.url, ADMIN_TOKEN: ADMIN, CSP_MODE: mode }, d1);
  }
});

after(async () => {
  for (const w of Object.values(workers)) await w.dispose();
  await origin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The consent cookie of a decision. */
async function decide(w, categories) {
  const res = await w.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, headers: { ...SAME, "content-type": "application/json", "x-consent-token": consentToken() }, body: JSON.stringify({ categories }),
  });
  assert.equal(res.status, 200);
  return res.headers.getSetCookie().map((c) => /^((?:__Host-|__Secure-)?consent=[^;]+)/.exec(c)).find(Boolean)[1];
}

async function page(w, cookie) {
  const res = await w.dispatchFetch("https://site.example/", {
    cf: DE, headers: { accept: "text/html", ...(cookie ? { cookie } : {}) },
  });
  await res.text();
  return res;
}

/** The values of a header (the Fetch API joins repeats with ", "; no policy here has a comma). */
const values = (res, name) => (res.headers.get(name) ?? "").split(", ").filter(Boolean);

function report(doc, blocked, directive = "img-src") {
  return JSON.stringify({ "csp-report": { "document-uri": doc, "blocked-uri": blocked, "effective-directive": directive, "violated-directive": directive } });
}

async function post(w, body, type = "application/csp-report", extra = {}) {
  return w.dispatchFetch("https://site.example/__consent/csp-report", { method: "POST", headers: { "content-type": type, ...extra }, body });
}

async function discovery(w, auth = `Bearer ${ADMIN}`) {
  return w.dispatchFetch("https://site.example/__consent/discovery", { headers: auth ? { authorization: auth } : {} });
}

test("enforce: a decided visitor gets a second policy next to the origin's, for granted hosts only", async () => {
  const w = workers.enforce;
  const cookie = await decide(w, { functional: false, analytics: true, advertising: false });
  const res = await page(w, cookie);
  const csp = values(res, "content-security-policy");
  assert.equal(csp.length, 2, csp.join(" | "));
  assert.equal(csp[0], ORIGIN_CSP, "the origin's policy is kept as it was");
  const ours = csp[1];
  assert.match(ours, /^default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob: /);
  assert.ok(ours.includes(" google-analytics.com ") && ours.includes(" *.google-analytics.com "), "analytics granted");
  assert.ok(!ours.includes("connect.facebook.net"), "advertising refused");
  assert.ok(!/'nonce-/.test(ours), "no nonce: it would void 'unsafe-inline' for the site's inline scripts");
  assert.match(ours, /; report-uri https:\/\/site\.example\/__consent\/csp-report$/);
  assert.ok(!ours.includes("report-to"), "Chromium ignores report-uri when report-to is present");
  assert.equal(res.headers.get("content-security-policy-report-only"), null);
  // Undecided: the filter and the guard act; no second policy.
  const undecided = await page(w);
  assert.deepEqual(values(undecided, "content-security-policy"), [ORIGIN_CSP]);
  // Not a document: untouched.
  const img = await w.dispatchFetch("https://site.example/img.png", { headers: { cookie } });
  assert.equal(img.headers.get("content-security-policy"), null);
});

test("report: the policy is report-only and the origin's enforced policy stays; off: nothing", async () => {
  // Advertising only: with every category granted and no [csp] vendors the
  // header is ~31 KB, beyond the 16 KiB Node's HTTP client accepts (README).
  const cookie = await decide(workers.report, { functional: false, analytics: false, advertising: true });
  const res = await page(workers.report, cookie);
  assert.deepEqual(values(res, "content-security-policy"), [ORIGIN_CSP]);
  const ro = res.headers.get("content-security-policy-report-only");
  assert.ok(ro?.includes("connect.facebook.net"), "advertising granted");
  assert.ok(!ro.includes("google-analytics.com"), "analytics refused");
  const off = await page(workers.off, await decide(workers.off, { functional: false, analytics: true, advertising: false }));
  assert.deepEqual(values(off, "content-security-policy"), [ORIGIN_CSP]);
  assert.equal(off.headers.get("content-security-policy-report-only"), null);
  assert.equal((await post(workers.off, report("https://site.example/", "https://x.example/"))).status, 404);
  assert.equal((await discovery(workers.off)).status, 404);
});

test("the report endpoint answers 405/415/413/400 naming the problem, 204 for a report", async () => {
  const w = workers.report;
  const get = await w.dispatchFetch("https://site.example/__consent/csp-report");
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  const r415 = await post(w, report("https://site.example/", "https://a.example/"), "text/plain");
  assert.equal(r415.status, 415);
  assert.match((await r415.json()).error, /application\/csp-report/);
  const r413 = await post(w, "x".repeat(17 * 1024));
  assert.equal(r413.status, 413);
  assert.match((await r413.json()).error, /at most 16384 bytes/);
  // A body without Content-Length is cut while it is read.
  const chunked = new ReadableStream({
    start(c) { for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode("y".repeat(1024))); c.close(); },
  });
  const r413b = await w.dispatchFetch("https://site.example/__consent/csp-report", {
    method: "POST", headers: { "content-type": "application/csp-report" }, body: chunked, duplex: "half",
  });
  assert.equal(r413b.status, 413);
  const r400 = await post(w, "{not json");
  assert.equal(r400.status, 400);
  assert.match((await r400.json()).error, /not JSON/);
  assert.equal((await post(w, "{}")).status, 400);
  assert.equal((await post(w, report("https://site.example/a", "https://www.google-analytics.com/g/collect"))).status, 204);
});

test("a posted report and an unknown Set-Cookie show up in /__consent/discovery, nothing known or personal", async () => {
  const w = workers.report;
  const doc = "https://site.example/checkout?order=123";
  assert.equal((await post(w, report(doc, "https://pixel.unknown-e2e.example/p.gif?uid=42"))).status, 204);
  const batch = JSON.stringify([{ type: "csp-violation", url: doc, body: { documentURL: doc, blockedURL: "https://cdn.batch-e2e.example/x.js", effectiveDirective: "script-src-elem" } }]);
  assert.equal((await post(w, batch, "application/reports+json")).status, 204);
  await page(w); // the origin sets mystery_e2e_id and _ga (known: catalog)
  assert.equal((await discovery(w, null)).status, 401);
  assert.equal((await discovery(w, "Bearer wrong")).status, 401);
  const list = await eventually(async () => {
    const v = await (await discovery(w)).json();
    return v.cookies.some((c) => c.name === "mystery_e2e_id") ? v : null;
  }, "the cookie sighting");
  const host = list.hosts.find((h) => h.name === "pixel.unknown-e2e.example");
  assert.ok(host, JSON.stringify(list));
  assert.deepEqual(host.paths, ["/checkout"]);
  assert.deepEqual(host.directives, ["img-src"]);
  assert.match(host.suggestion.trackers_toml, /hosts = \["pixel\.unknown-e2e\.example"\]/);
  assert.ok(list.hosts.find((h) => h.name === "cdn.batch-e2e.example"));
  assert.ok(!list.hosts.some((h) => h.name.includes("google-analytics")), "catalog hosts are not discoveries");
  assert.ok(!list.cookies.some((c) => c.name === "_ga"), "catalog cookies are not discoveries");
  const cookie = list.cookies.find((c) => c.name === "mystery_e2e_id");
  assert.match(cookie.suggestion.consent_toml, /\[\[cookies\]\]\nname = "mystery_e2e_id"/);
  const text = JSON.stringify(list);
  for (const secret of ["secret-value", "uid=42", "order=123"]) assert.ok(!text.includes(secret), secret);
});

test("reports are rate-limited per isolate: 429 with Retry-After after the burst", async () => {
  const w = workers.enforce;
  const body = report("https://site.example/", "https://www.google-analytics.com/");
  const statuses = await Promise.all(Array.from({ length: 90 }, () => post(w, body).then((r) => r.status)));
  assert.ok(statuses.includes(429), statuses.join(","));
  assert.ok(statuses.filter((s) => s === 204).length >= 60, "the burst passes");
  const res = await post(w, body);
  if (res.status === 429) assert.equal(res.headers.get("retry-after"), "1");
});
