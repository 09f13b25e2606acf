// Proof of consent: every decision written to D1 (migrations applied by
// wrangler, the local D1 Miniflare keeps on disk), exported, purged.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { startOrigin, startWorker, consentToken, migratedD1, eventually } from "./harness.mjs";

// At least 32 bytes: a shorter ADMIN_TOKEN is refused (records::admin).
const ADMIN = "admin-token-for-tests-0123456789abcdef";
// State-changing posts carry the banner's per-render token (issue 15), here
// minted with the e2e secret for site.example's home page.
const SAME = { "sec-fetch-site": "same-origin", "x-consent-token": consentToken() };
const DE = { country: "DE", regionCode: "BE", isEUCountry: "1", continent: "EU" };
let dir, d1, origin, mf, db;

async function decide(worker, body, headers = {}, cf = DE) {
  const res = await worker.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf, headers: { ...SAME, "content-type": "application/json", ...headers }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  const cookie = res.headers.getSetCookie().map((c) => /^__Host-consent=([^;]+)/.exec(c)).find(Boolean)?.[1];
  return { state: await res.json(), cookie };
}

async function rows(where = "1=1") {
  return (await db.prepare(`SELECT * FROM consent_records WHERE ${where} ORDER BY id`).all()).results;
}

before(async () => {
  ({ dir, options: d1 } = migratedD1());
  origin = await startOrigin({ "/": (req, res) => { res.writeHead(200, { "content-type": "text/html" }); res.end("<html><head></head><body>ok</body></html>"); } });
  mf = await startWorker({ ORIGIN: origin.url, ADMIN_TOKEN: ADMIN }, d1);
  db = await mf.getD1Database("DB");
});

after(async () => {
  await mf?.dispose();
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a decision writes exactly one correct row, IPv4 anonymised", async () => {
  const { state } = await decide(mf, { categories: { functional: true, analytics: false, advertising: false } }, {
    "cf-connecting-ip": "203.0.113.77", "user-agent": "Mozilla/5.0 " + "x".repeat(1000), referer: "https://site.example/about.html?secret=1", "accept-language": "de-DE,de;q=0.9",
    // the banner of /about.html
    "x-consent-token": consentToken({ path: "/about.html" }),
  });
  const r = await eventually(async () => (await rows(`consent_id = '${state.consent_id}'`)), "the record");
  assert.equal(r.length, 1);
  const row = r[0];
  assert.equal(row.action, "custom");
  assert.equal(row.grants, 3);
  assert.equal(row.functional, 1);
  assert.equal(row.analytics, 0);
  assert.equal(row.jurisdiction, "eu");
  assert.equal(row.country, "DE");
  assert.equal(row.region, "BE");
  assert.equal(row.gpc, 0);
  assert.equal(row.variant, "opt-in");
  assert.equal(row.lang, "de", "the banner language negotiated from de-DE");
  assert.equal(row.path, "/about.html");
  assert.equal(row.ip, "203.0.113.0");
  assert.equal(row.user_agent.length, 256);
  assert.equal(row.revision, state.revision);
  assert.ok(Math.abs(row.time - Date.now() / 1000) < 60);
});

test("IPv6 is cut to /48; the no-JS form records its return_to path", async () => {
  const res = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, redirect: "manual",
    headers: { ...SAME, "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": "2001:db8:abcd:12:3456::1" },
    body: `action=reject_all&return_to=%2Fcontact.html%3Fq%3D1&token=${consentToken({ path: "/contact.html" })}`,
  });
  assert.equal(res.status, 303);
  const row = await eventually(async () => (await rows("ip LIKE '2001:db8:abcd%'"))[0], "the v6 record");
  assert.equal(row.ip, "2001:db8:abcd::");
  assert.equal(row.action, "reject_all");
  assert.equal(row.path, "/contact.html");
});

test("admin export: auth matrix, bad parameter named, ndjson and csv with cursor pagination", async () => {
  for (let i = 0; i < 5; i++) await decide(mf, { action: i % 2 ? "accept_all" : "reject_all" }, { "cf-connecting-ip": "198.51.100." + i });
  const total = await eventually(async () => { const n = (await rows()).length; return n >= 7 ? n : 0; }, "seven records");

  const get = (q, auth) => mf.dispatchFetch(`https://site.example/__consent/records${q}`, { headers: auth ? { authorization: auth } : {} });
  assert.equal((await get("", null)).status, 401);
  assert.equal((await get("", "Bearer wrong")).status, 401);
  assert.equal((await get("", `Basic ${ADMIN}`)).status, 401);
  const bad = await get("?since=yesterday", `Bearer ${ADMIN}`);
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /since/);

  const seen = [];
  let cursor = "";
  for (let page = 0; page < 10; page++) {
    const res = await get(`?limit=3${cursor ? `&cursor=${cursor}` : ""}`, `Bearer ${ADMIN}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /ndjson/);
    const lines = (await res.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(lines.length <= 3);
    seen.push(...lines);
    cursor = res.headers.get("consent-next-cursor");
    if (!cursor) break;
  }
  assert.equal(seen.length, total, "every record once across pages");
  assert.equal(new Set(seen.map((r) => r.id)).size, total);

  const csv = await get("?format=csv&action=accept_all", `Bearer ${ADMIN}`);
  assert.match(csv.headers.get("content-type"), /text\/csv/);
  const lines = (await csv.text()).trim().split(/\r\n/);
  assert.match(lines[0], /^"id","time","datetime","consent_id",/, "every cell quoted");
  assert.ok(lines.length - 1 >= 2);
  assert.ok(lines.slice(1).every((l) => l.includes("accept_all")));
});

test("stats: counts per day and jurisdiction with acceptance rates", async () => {
  const res = await mf.dispatchFetch("https://site.example/__consent/stats", { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200);
  const s = await res.json();
  assert.ok(Array.isArray(s.rows) && s.rows.length >= 1, JSON.stringify(s));
  const eu = s.rows.find((r) => r.jurisdiction === "eu");
  assert.ok(eu, JSON.stringify(s));
  assert.equal(typeof s.write_failures_this_isolate, "number");
});

test("history shows only the caller's own records", async () => {
  const a = await decide(mf, { action: "accept_all" });
  const b = await decide(mf, { action: "reject_all" });
  await eventually(async () => (await rows(`consent_id IN ('${a.state.consent_id}','${b.state.consent_id}')`)).length === 2, "both records");
  const res = await mf.dispatchFetch("https://site.example/__consent/history", { cf: DE, headers: { cookie: `__Host-consent=${a.cookie}` } });
  assert.equal(res.status, 200);
  const h = await res.json();
  assert.equal(h.consent_id, a.state.consent_id);
  assert.ok(h.records.length >= 1);
  assert.ok(h.records.every((r) => r.consent_id === a.state.consent_id));
  // No IP, user agent or row id in the visitor's history (security review C2).
  assert.ok(h.records.every((r) => !("ip" in r) && !("user_agent" in r) && !("id" in r)), JSON.stringify(h));
  assert.equal(h.residual, 0, "no refused cookie arrived");
  // The residual audit: b refused everything, yet the browser still sends _ga and _fbp.
  const rb = await mf.dispatchFetch("https://site.example/__consent/history", { cf: DE, headers: { cookie: `__Host-consent=${b.cookie}; _ga=GA1.1.1.1; _fbp=fb.1` } });
  assert.equal((await rb.json()).residual, 2);
  const none = await mf.dispatchFetch("https://site.example/__consent/history", { cf: DE });
  assert.equal(none.status, 404);
});

test("without ADMIN_TOKEN the admin endpoints answer 401, exactly as for a wrong token", async () => {
  const w = await startWorker({ ORIGIN: origin.url }, d1);
  try {
    for (const sub of ["records", "stats"]) {
      const res = await w.dispatchFetch(`https://site.example/__consent/${sub}`, { headers: { authorization: "Bearer anything" } });
      const wrong = await mf.dispatchFetch(`https://site.example/__consent/${sub}`, { headers: { authorization: "Bearer anything" } });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), "Bearer");
      assert.equal(await res.text(), await wrong.text(), "configuration not revealed");
    }
  } finally {
    await w.dispose();
  }
});

test("an ADMIN_TOKEN shorter than 32 bytes is refused: 503 naming the problem", async () => {
  const w = await startWorker({ ORIGIN: origin.url, ADMIN_TOKEN: "short-token" }, d1);
  try {
    const res = await w.dispatchFetch("https://site.example/__consent/records", { headers: { authorization: "Bearer short-token" } });
    assert.equal(res.status, 503);
    assert.match(await res.text(), /ADMIN_TOKEN is shorter than 32 bytes/);
  } finally {
    await w.dispose();
  }
});

test("retention: the cron deletes only records older than retention_days", async () => {
  const now = Math.floor(Date.now() / 1000);
  const old = now - 3000 * 86400;
  for (let i = 0; i < 7; i++) {
    await db.prepare("INSERT INTO consent_records (consent_id, time, action, grants, revision, jurisdiction, gpc, variant, lang, path) VALUES (?, ?, 'accept_all', 15, 1, 'eu', 0, 'opt-in', 'en', '/')")
      .bind(`old-${i}`, old + i).run();
  }
  const before = (await rows()).length;
  const worker = await mf.getWorker();
  await worker.scheduled({ cron: "17 3 * * *", scheduledTime: new Date() });
  const after = await rows();
  assert.equal(after.filter((r) => r.consent_id.startsWith("old-")).length, 0, "old rows purged");
  assert.equal(after.length, before - 7, "recent rows kept");
});

test("queue path: records batched through Queues into D1", async () => {
  const { dir: qdir, options: qd1 } = migratedD1();
  const w = await startWorker({ ORIGIN: origin.url, RECORDS_QUEUE: "true" }, {
    ...qd1,
    queueProducers: { RECORDS: "consent-records" },
    queueConsumers: { "consent-records": { maxBatchSize: 10, maxBatchTimeout: 1 } },
  });
  try {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await decide(w, { action: "accept_all" })).state.consent_id);
    const qdb = await w.getD1Database("DB");
    const got = await eventually(async () => {
      const r = (await qdb.prepare("SELECT consent_id FROM consent_records").all()).results;
      return r.length === 3 ? r : null;
    }, "queued records");
    assert.deepEqual(got.map((r) => r.consent_id).sort(), ids.sort());
  } finally {
    await w.dispose();
    rmSync(qdir, { recursive: true, force: true });
  }
});

test("D1 missing or broken: consent is still set, the page still served", async () => {
  // No DB binding at all.
  const nodb = await startWorker({ ORIGIN: origin.url });
  // A DB without the table (migrations never applied): every write fails.
  const broken = await startWorker({ ORIGIN: origin.url, ADMIN_TOKEN: ADMIN }, { d1Databases: { DB: "unmigrated" } });
  try {
    for (const w of [nodb, broken]) {
      const { state, cookie } = await decide(w, { action: "accept_all" });
      assert.equal(state.method, "accept_all");
      assert.ok(cookie);
      const page = await w.dispatchFetch("https://site.example/", { cf: DE, headers: { cookie: `__Host-consent=${cookie}` } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /ok/);
    }
    const stats = await eventually(async () => {
      const res = await broken.dispatchFetch("https://site.example/__consent/stats", { headers: { authorization: `Bearer ${ADMIN}` } });
      return res.status === 503 ? res : null;
    }, "stats to report the store unavailable");
    assert.match(await stats.text(), /unavailable/);
  } finally {
    await nodb.dispose();
    await broken.dispose();
  }
});
