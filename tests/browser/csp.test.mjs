// The CSP backstop in real Chromium (`make build` first). A first-party
// loader assembles a Meta pixel URL and an unknown host's pixel at run time:
// the server filter cannot see them and the guard is absent, so only the
// worker's policy stands in the way.
// - enforce: a visitor who refused everything makes 0 requests to either
//   host; without a decision (no policy) the same page leaks (the control);
// - report: nothing is blocked, the violations are reported to
//   /__consent/csp-report and the unknown host is listed at
//   /__consent/discovery (the catalog's Meta pixel is not a discovery).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { ROOT, startDemoOrigin, launch, visitor, settle } from "./harness.mjs";
import { startWorker } from "../e2e/harness.mjs";

const ADMIN = "admin-token-for-tests-0123456789abcdef";
const T = { timeout: 90_000 };
let origin, chromium;
const stacks = {};

async function startMode(mode) {
  const mf = await startWorker(
    { ORIGIN: origin.url, DEV_GEO_OVERRIDE: "true", ADMIN_TOKEN: ADMIN, CSP_MODE: mode },
    { d1Databases: { DB: `browser-csp-${mode}` } },
  );
  const url = await mf.ready;
  const db = await mf.getD1Database("DB");
  for (const f of readdirSync(path.join(ROOT, "migrations")).filter((f) => f.endsWith(".sql")).sort()) {
    const sql = readFileSync(path.join(ROOT, "migrations", f), "utf8").replace(/--[^\n]*/g, "");
    const statements = sql.split(";").map((s) => s.trim()).filter(Boolean);
    await db.batch(statements.map((s) => db.prepare(s)));
  }
  return { mf, base: `http://127.0.0.1:${url.port}`, browser: chromium.browser };
}

before(async () => {
  origin = await startDemoOrigin();
  chromium = await launch();
  stacks.enforce = await startMode("enforce");
  stacks.report = await startMode("report");
});

after(async () => {
  await chromium?.context0?.close().catch(() => {});
  await chromium?.browser?.close().catch(() => {});
  for (const s of Object.values(stacks)) await s.mf.dispose().catch(() => {});
  await origin?.close();
  if (chromium) rmSync(chromium.userDataDir, { recursive: true, force: true });
});

const META = (a) => a.host === "www.facebook.com";
const UNKNOWN = (a) => a.host === "pixel.unknown-csp.example";

/** A visitor on the fixture; `decide`: click Reject all, then reload (the decided page carries the policy). */
async function visit(stack, decide) {
  const v = await visitor(stack, { geo: "DE" });
  const page = await v.context.newPage();
  await page.goto(stack.base + "/__fixtures/csp.html");
  await settle(page, v.attempts, { quiet: 500 });
  if (decide) {
    await page.getByRole("button", { name: "Reject all" }).click();
    await page.waitForFunction(() => document.getElementById("consent-edge")?.dataset.decided === "1");
    v.attempts.length = 0;
    await page.reload();
    await settle(page, v.attempts, { quiet: 500 });
  }
  const violations = await page.evaluate(() => window.__violations);
  return { ...v, page, violations };
}

async function discovered(stack, host) {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    const res = await fetch(stack.base + "/__consent/discovery", { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200);
    const list = await res.json();
    const hit = list.hosts.find((h) => h.name === host);
    if (hit) return { hit, list };
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`${host} never reached /__consent/discovery`);
}

test("enforce: a refused vendor injected where the filter cannot see is blocked; undecided visitors are the control", T, async () => {
  const stack = stacks.enforce;
  const control = await visit(stack, false);
  assert.ok(control.attempts.some(META), "without a decision there is no policy, and the guard does not watch CSS: the pixel leaks");
  await control.context.close();

  const { context, attempts, violations, page } = await visit(stack, true);
  const csp = await page.evaluate(async () => (await fetch(location.href, { headers: { accept: "text/html" } })).headers.get("content-security-policy"));
  assert.match(csp ?? "", /default-src 'self'/);
  assert.deepEqual(attempts.filter((a) => META(a) || UNKNOWN(a)).map((a) => a.url), [], "blocked by the policy");
  const blocked = violations.filter((v) => v.disposition === "enforce").map((v) => new URL(v.blocked).host).sort();
  assert.deepEqual(blocked, ["pixel.unknown-csp.example", "www.facebook.com"]);
  // The enforced policy reports too: the unknown host reaches discovery.
  const { list } = await discovered(stack, "pixel.unknown-csp.example");
  assert.ok(!list.hosts.some((h) => h.name.includes("facebook")), "catalog vendors are not discoveries");
  await context.close();
});

test("report: nothing is blocked, the violation report arrives and the unknown host is listed", T, async () => {
  const stack = stacks.report;
  const { context, attempts, violations } = await visit(stack, true);
  assert.ok(attempts.some(UNKNOWN), "report-only blocks nothing");
  assert.ok(violations.some((v) => v.disposition === "report" && v.blocked.includes("unknown-csp")));
  const { hit } = await discovered(stack, "pixel.unknown-csp.example");
  assert.deepEqual(hit.paths, ["/__fixtures/csp.html"]);
  assert.ok(hit.directives.includes("img-src"), hit.directives.join(","));
  assert.ok(!JSON.stringify(hit).includes("uid=7"), "no query string is stored");
  await context.close();
});
