// Only real visitors write proof of consent, and not without bound (issue
// 15 item 2; security review A4/B4, A6), in workerd with a real local D1 and
// Miniflare's implementation of the Workers Rate Limiting binding:
// - the per-render token: missing, malformed, expired, for another page or
//   host, forged → 403 naming the problem, nothing set, nothing written;
//   the token of a rendered banner works for its JSON post and its form;
// - a flood beyond the rate limit: the table does not grow past the limit,
//   the choice still applies in the flooding browser (429 + Retry-After with
//   the cookie), another client's real decision still lands, /stats stays sane;
// - an identical repeated decision is written once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { startOrigin, startWorker, consentToken, tokenFromPage, migratedD1, eventually } from "./harness.mjs";

const ADMIN = "admin-token-for-tests-0123456789abcdef";
const DE = { country: "DE", regionCode: "BE", isEUCountry: "1", continent: "EU" };
const SAME = { "sec-fetch-site": "same-origin" };
const JSON_CT = { "content-type": "application/json" };
const FORM_CT = { "content-type": "application/x-www-form-urlencoded" };
// The limit the flood test runs with (wrangler.toml deploys 20 a minute).
const LIMIT = 5;
const PERIOD = 60;
let dir, origin, mf, db;

async function rows(where = "1=1") {
  return (await db.prepare(`SELECT * FROM consent_records WHERE ${where} ORDER BY id`).all()).results;
}

/** Lets pending `wait_until` writes finish before counting what was not written. */
const settle = () => new Promise((r) => setTimeout(r, 500));

function post(body, headers = {}, host = "site.example") {
  return mf.dispatchFetch(`https://${host}/__consent`, { method: "POST", cf: DE, redirect: "manual", headers: { ...SAME, ...headers }, body });
}

const consentSet = (res) => res.headers.getSetCookie().some((c) => /^(?:__Host-|__Secure-)?consent=[^;]+/.test(c));

before(async () => {
  let d1;
  ({ dir, options: d1 } = migratedD1());
  origin = await startOrigin({
    "/article": (req, res) => { res.writeHead(200, { "content-type": "text/html" }); res.end("<!doctype html><html><head></head><body><p>An article.</p></body></html>"); },
  });
  mf = await startWorker({ ORIGIN: origin.url, ADMIN_TOKEN: ADMIN }, {
    ...d1,
    ratelimits: { CONSENT_WRITES: { simple: { limit: LIMIT, period: PERIOD } } },
  });
  db = await mf.getD1Database("DB");
});

after(async () => {
  await mf?.dispose();
  await origin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the rendered banner's token lets its own JSON post and no-JS form through", async () => {
  const page = await mf.dispatchFetch("https://site.example/article?x=1", { cf: DE, headers: { "cf-connecting-ip": "192.0.2.10" } });
  const html = await page.text();
  const token = tokenFromPage(html);
  assert.match(token ?? "", /^1\.\d+\.[\w-]{16}\.[\w-]{16}\.[\w-]{43}$/, "the banner carries a token");
  const fields = html.match(/<input type="hidden" name="token" value="([^"]+)">/g) ?? [];
  assert.ok(fields.length >= 1 && fields.every((f) => f.includes(token)), "its forms carry the same token");
  const ip = { "cf-connecting-ip": "192.0.2.10" };
  // the script's post: header, Referer of the page
  let res = await post('{"action":"accept_all"}', { ...JSON_CT, ...ip, "x-consent-token": token, referer: "https://site.example/article?x=1" });
  assert.equal(res.status, 200, await res.clone().text());
  assert.ok(consentSet(res));
  // the no-JS form: field, return_to of the page
  res = await post(`action=reject_all&return_to=%2Farticle%3Fx%3D1&token=${token}`, { ...FORM_CT, ...ip });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/article?x=1");
  assert.equal(await eventually(async () => (await rows("ip = '192.0.2.0'")).length === 2, "both records"), true);
});

test("without a valid token: 403 naming the problem, no cookie, no record", async () => {
  const now = Math.floor(Date.now() / 1000);
  const ip = { "cf-connecting-ip": "192.0.2.77" };
  const cases = [
    ["missing", undefined, /missing consent token/],
    ["malformed", "1.2.3", /malformed consent token/],
    ["expired (rendered 2 h and 1 s ago)", consentToken({ path: "/article", iat: now - 7201 }), /expired consent token/],
    ["another page", consentToken({ path: "/other" }), /another page/],
    ["another host", consentToken({ host: "www.site.example", path: "/article" }), /forged, or issued for another host/],
    ["forged (another secret)", consentToken({ path: "/article", secret: "not-the-secret-0123456789abcdef" }), /forged/],
  ];
  for (const [what, token, want] of cases) {
    const json = await post('{"action":"accept_all"}', { ...JSON_CT, ...ip, referer: "https://site.example/article", ...(token ? { "x-consent-token": token } : {}) });
    assert.equal(json.status, 403, `JSON, ${what}`);
    assert.match((await json.json()).error, want, `JSON, ${what}`);
    assert.ok(!consentSet(json), `no cookie: ${what}`);
    const form = await post(`action=accept_all&return_to=%2Farticle${token ? `&token=${token}` : ""}`, { ...FORM_CT, ...ip });
    assert.equal(form.status, 403, `form, ${what}`);
    assert.match((await form.json()).error, want, `form, ${what}`);
  }
  // DELETE needs it too
  const del = await mf.dispatchFetch("https://site.example/__consent", { method: "DELETE", cf: DE, headers: { ...SAME, ...ip } });
  assert.equal(del.status, 403);
  // The security review's UGC form (B4): same-origin, plain, no token.
  const ugc = await post("action=accept_all&return_to=%2Fthread%2F42", { ...FORM_CT, ...ip, origin: "https://site.example" });
  assert.equal(ugc.status, 403);
  // The CSRF check still comes first, token or not.
  const cross = await post('{"action":"accept_all"}', { ...JSON_CT, ...ip, "sec-fetch-site": "cross-site", "x-consent-token": consentToken() });
  assert.equal(cross.status, 403);
  assert.match((await cross.json()).error, /cross-site/);
  await settle();
  assert.equal((await rows("ip = '192.0.2.0' AND user_agent IS NULL")).length, 0);
  assert.equal((await rows("ip = '192.0.2.0'")).length, 2, "only the first test's two records from this /24");
});

test("a flood beyond the rate limit: the table stays bounded, the choice still applies, another client still lands, /stats is sane", async () => {
  const flood = { "cf-connecting-ip": "203.0.113.9", "user-agent": "flood-bot/1.0" };
  const N = LIMIT + 15;
  const window = () => Math.floor(Date.now() / 1000 / PERIOD);
  const first = window();
  const statuses = [];
  for (let i = 0; i < N; i++) {
    // a fresh token each time (as if the page were fetched), no cookie: a new consent id per request
    const res = await post('{"action":"accept_all"}', { ...JSON_CT, ...flood, "x-consent-token": consentToken({ path: "/" }) });
    statuses.push(res.status);
    if (res.status === 429) {
      assert.equal(res.headers.get("retry-after"), String(PERIOD));
      const body = await res.json();
      assert.match(body.error, /not recorded/);
      assert.equal(body.recorded, false);
      assert.equal(body.categories.analytics, true, "the answer still carries the choice");
      assert.ok(consentSet(res), "the choice still applies in this browser");
    } else {
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
  }
  // Miniflare's limiter counts in fixed windows of PERIOD seconds; a run that
  // straddles a boundary gets a second budget.
  const windows = window() - first + 1;
  const written = statuses.filter((s) => s === 200).length;
  assert.ok(written <= LIMIT * windows, `${written} writes in ${windows} window(s): ${statuses}`);
  assert.ok(statuses.filter((s) => s === 429).length >= N - LIMIT * windows, `${statuses}`);
  // The no-JS form over the limit: back to the page with the cookie, not recorded.
  const form = await post(`action=reject_all&return_to=%2Farticle&token=${consentToken({ path: "/article" })}`, { ...FORM_CT, ...flood });
  if (window() === first) {
    assert.equal(form.status, 303);
    assert.equal(form.headers.get("x-consent-recorded"), "false");
    assert.equal(form.headers.get("retry-after"), String(PERIOD));
    assert.ok(consentSet(form));
  }
  await settle();
  const flooded = await rows("user_agent = 'flood-bot/1.0'");
  assert.ok(flooded.length <= LIMIT * windows, `the table grew by ${flooded.length}`);
  assert.equal(flooded.length, written, "every answered write, and nothing else, was recorded");

  // A real visitor on another network still lands.
  const real = await post('{"action":"reject_all"}', { ...JSON_CT, "cf-connecting-ip": "198.51.100.20", "user-agent": "Mozilla/5.0 real", "x-consent-token": consentToken({ path: "/" }) });
  assert.equal(real.status, 200);
  const { consent_id } = await real.json();
  const row = await eventually(async () => (await rows(`consent_id = '${consent_id}'`))[0], "the real visitor's record");
  assert.equal(row.action, "reject_all");

  // /stats counts exactly what is in the table, and nothing failed to write.
  const stats = await (await mf.dispatchFetch("https://site.example/__consent/stats", { headers: { authorization: `Bearer ${ADMIN}` } })).json();
  const total = (await rows()).length;
  assert.equal(stats.total.decisions, total, JSON.stringify(stats.total));
  assert.equal(stats.write_failures_this_isolate, 0);
  for (const r of stats.rows) for (const v of Object.values(r.acceptance)) assert.ok(v >= 0 && v <= 1, JSON.stringify(r));
});

test("an identical decision repeated within minutes is written once", async () => {
  const who = { "cf-connecting-ip": "192.0.2.200", "user-agent": "repeat-clicker" };
  const first = await post('{"action":"accept_all"}', { ...JSON_CT, ...who, "x-consent-token": consentToken() });
  assert.equal(first.status, 200);
  const cookie = first.headers.getSetCookie().map((c) => /^(?:__Host-|__Secure-)?consent=([^;]+)/.exec(c)).find(Boolean)[1];
  const { consent_id } = await first.json();
  for (let i = 0; i < 4; i++) {
    const again = await post('{"action":"accept_all"}', { ...JSON_CT, ...who, cookie: `__Host-consent=${cookie}`, "x-consent-token": consentToken() });
    assert.equal(again.status, 200);
    assert.equal((await again.json()).consent_id, consent_id);
  }
  // a different choice is recorded
  const changed = await post('{"action":"reject_all"}', { ...JSON_CT, ...who, cookie: `__Host-consent=${cookie}`, "x-consent-token": consentToken() });
  assert.equal(changed.status, 200);
  await eventually(async () => (await rows(`consent_id = '${consent_id}'`)).length === 2, "two records");
  await settle();
  const recs = await rows(`consent_id = '${consent_id}'`);
  assert.deepEqual(recs.map((r) => r.action), ["accept_all", "reject_all"]);
});
