// Choices in a real browser (Germany, opt-in): Reject keeps every tracker
// out, Accept all loads them without a reload, the choice survives a reload,
// Customize grants exactly what was ticked, the embed placeholder's Allow
// button grants its category.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  startStack, visitor, observeLayoutShifts, layoutShifts, settle, consentCookie,
  catalog, vendorOf, vendorsHit, axeViolations, SCREENSHOTS,
} from "./harness.mjs";

let stack;
const vendors = catalog();
before(async () => { stack = await startStack(); });
after(async () => { await stack?.close(); });
const T = { timeout: 30_000 };

const categoriesOf = (attempts) =>
  [...new Set(attempts.map((a) => vendorOf(a.url, vendors)?.category ?? `?${a.host}`))].sort();

/** A page of a fresh German visitor, with a marker that a reload would lose. */
async function germanVisitor(pathname = "/") {
  const v = await visitor(stack, { geo: "DE" });
  await observeLayoutShifts(v.context);
  const page = await v.context.newPage();
  v.errors = [];
  page.on("pageerror", (e) => v.errors.push(e.message));
  v.navigations = 0;
  page.on("framenavigated", (f) => { if (f === page.mainFrame()) v.navigations++; });
  await page.goto(stack.base + pathname);
  await settle(page, v.attempts);
  await page.evaluate(() => { window.__sameDocument = true; });
  assert.deepEqual(v.attempts, [], "nothing before a choice");
  return { ...v, page };
}

async function waitForRecords(consentId, n) {
  for (let i = 0; i < 50; i++) {
    const { results } = await stack.db.prepare("SELECT * FROM consent_records WHERE consent_id = ? ORDER BY id").bind(consentId).all();
    if (results.length >= n) return results;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no ${n} consent record(s) for ${consentId}`);
}

async function consentState(page) {
  return page.evaluate(async () => (await fetch("/__consent", { headers: { accept: "application/json" } })).json());
}

test("Reject all: the banner closes, no tracker ever loads, the choice survives a reload", T, async () => {
  const { context, attempts, page, errors } = await germanVisitor();
  await page.getByRole("button", { name: "Reject all" }).click();
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  assert.ok(await page.locator("#ce-dialog").isHidden(), "the banner closed");
  await settle(page, attempts, { quiet: 500 });
  assert.deepEqual(attempts, [], "still no tracker request after Reject all");
  const cookie = await consentCookie(context);
  assert.ok(cookie, "the consent cookie is set");
  assert.equal(cookie.secure, false, "http://127.0.0.1 gets a non-Secure cookie");
  const s = await consentState(page);
  assert.equal(s.method, "reject_all");
  assert.deepEqual(s.categories, { necessary: true, functional: false, analytics: false, advertising: false });
  // The proof-of-consent record of this click.
  const rows = await waitForRecords(s.consent_id, 1);
  assert.equal(rows[0].action, "reject_all");
  assert.equal(rows[0].grants, 1);
  assert.equal(rows[0].country, "DE");
  assert.equal(rows[0].variant, "opt-in");
  assert.equal(rows[0].path, "/");

  await page.reload();
  await settle(page, attempts, { quiet: 500 });
  assert.equal(await page.locator("#consent-edge").getAttribute("data-decided"), "1");
  assert.ok(await page.locator("#ce-dialog").isHidden(), "no banner after the reload");
  assert.ok(await page.locator(".ce-reopen").isVisible(), "the floating reopen control is there");
  assert.deepEqual(attempts, [], "no tracker after the reload either");
  assert.deepEqual(await axeViolations(page), [], "axe: no violations once decided");
  assert.equal((await layoutShifts(page)).total, 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test("Accept all: every tracker loads without a reload; after a reload they come from the server", T, async () => {
  const { context, attempts, page, errors, navigations } = await germanVisitor();
  const before = navigations;
  await page.getByRole("button", { name: "Accept all" }).click();
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  await settle(page, attempts, { quiet: 500 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload happened");
  assert.equal(navigations, before);
  assert.ok(await page.locator("#ce-dialog").isHidden());
  assert.deepEqual(categoriesOf(attempts), ["advertising", "analytics", "functional"], vendorsHit(attempts, vendors).join(", "));
  const hit = vendorsHit(attempts, vendors);
  for (const id of ["google-tag-manager", "google-analytics", "microsoft-clarity", "hotjar", "meta-pixel", "tiktok-pixel", "linkedin-insight", "youtube", "doubleclick"]) {
    assert.ok(hit.some((h) => h === id), `${id} loaded after Accept all (got ${hit.join(", ")})`);
  }
  // The YouTube placeholder gave way to the real iframe.
  assert.equal(await page.locator(".consent-edge-placeholder").count(), 0);
  const yt = page.locator('iframe[title*="YouTube"]');
  assert.ok(await yt.isVisible());
  assert.match(await yt.getAttribute("src"), /^https:\/\/www\.youtube\.com\/embed\//);
  // Consent-mode signals were updated in the page.
  const consentCalls = await page.evaluate(() =>
    (window.dataLayer || []).filter((a) => a && a[0] === "consent").map((a) => [a[1], a[2].analytics_storage, a[2].ad_storage]));
  assert.deepEqual(consentCalls.at(0), ["default", "denied", "denied"]);
  assert.deepEqual(consentCalls.at(-1), ["update", "granted", "granted"]);
  const shifts = await layoutShifts(page);
  assert.equal(shifts.total, 0, `CLS must be 0: ${JSON.stringify(shifts.entries)}`);
  await page.screenshot({ path: path.join(SCREENSHOTS, "accepted-de.png") });

  // Reload: no banner, the trackers are live in the served HTML.
  attempts.length = 0;
  await page.reload();
  await settle(page, attempts, { quiet: 500 });
  assert.equal(await page.locator("#consent-edge").getAttribute("data-decided"), "1");
  assert.ok(await page.locator("#ce-dialog").isHidden(), "no banner after the reload");
  assert.equal(await page.locator('script[type="text/plain"][data-consent-category]').count(), 0, "nothing neutralised");
  assert.deepEqual(categoriesOf(attempts), ["advertising", "analytics", "functional"]);
  assert.equal((await layoutShifts(page)).total, 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test("Customize: only analytics ticked → only analytics vendors load", T, async () => {
  const { context, attempts, page, errors } = await germanVisitor();
  await page.getByText("Customize").click();
  const analytics = page.getByRole("checkbox", { name: "Analytics" });
  assert.equal(await analytics.isChecked(), false, "nothing pre-ticked under opt-in");
  assert.equal(await page.getByRole("checkbox", { name: "Advertising" }).isChecked(), false);
  await analytics.check();
  await page.getByRole("button", { name: "Save choices" }).click();
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  await settle(page, attempts, { quiet: 500 });
  assert.deepEqual(categoriesOf(attempts), ["analytics"], vendorsHit(attempts, vendors).join(", "));
  assert.equal(await page.locator(".consent-edge-placeholder").count(), 1, "the video stays a placeholder");
  const s = await consentState(page);
  assert.deepEqual(s.categories, { necessary: true, functional: false, analytics: true, advertising: false });

  attempts.length = 0;
  await page.reload();
  await settle(page, attempts, { quiet: 500 });
  assert.deepEqual(categoriesOf(attempts), ["analytics"]);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the embed placeholder's Allow button grants functional only and shows the video", T, async () => {
  const { context, attempts, page, errors } = await germanVisitor();
  const placeholder = page.locator(".consent-edge-placeholder");
  assert.match(await placeholder.innerText(), /YouTube/);
  await placeholder.getByRole("button").click();
  await page.waitForFunction(() => document.querySelectorAll(".consent-edge-placeholder").length === 0);
  await settle(page, attempts, { quiet: 500 });
  assert.deepEqual(categoriesOf(attempts), ["functional"], vendorsHit(attempts, vendors).join(", "));
  assert.ok(await page.locator('iframe[title*="YouTube"]').isVisible());
  const s = await consentState(page);
  assert.deepEqual(s.categories, { necessary: true, functional: true, analytics: false, advertising: false });
  assert.deepEqual(errors, []);
  await context.close();
});

test("California: Do Not Sell or Share refuses advertising only, without and after a reload", T, async () => {
  const { context, attempts } = await visitor(stack, { geo: "US-CA" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(stack.base + "/");
  await settle(page, attempts);
  assert.deepEqual(categoriesOf(attempts), ["advertising", "analytics", "functional"], "opt-out: everything runs before a choice");
  await page.getByRole("button", { name: "Do Not Sell or Share My Personal Information" }).click();
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  assert.equal(await page.locator("#consent-edge").getAttribute("data-grants"), "functional analytics");
  const s = await consentState(page);
  assert.deepEqual(s.categories, { necessary: true, functional: true, analytics: true, advertising: false });
  const rows = await waitForRecords(s.consent_id, 1);
  assert.equal(rows[0].jurisdiction, "us-ca");
  assert.equal(rows[0].variant, "opt-out");

  attempts.length = 0;
  await page.reload();
  await settle(page, attempts, { quiet: 500 });
  assert.ok(await page.locator("#ce-dialog").isHidden());
  assert.deepEqual(categoriesOf(attempts), ["analytics", "functional"], vendorsHit(attempts, vendors).join(", "));
  assert.deepEqual(errors, []);
  await context.close();
});
