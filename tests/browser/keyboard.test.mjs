// Keyboard only, and the cookie-policy page: Tab reaches the first-layer
// buttons, Enter/Space activate, focus moves into the banner and back, the
// footer's [data-consent-open] reopens the preferences, Withdraw works from
// the status block, the cookie declaration is rendered.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startStack, visitor, settle, consentCookie, axeViolations, SCREENSHOTS } from "./harness.mjs";

let stack;
before(async () => { stack = await startStack(); });
after(async () => { await stack?.close(); });
const T = { timeout: 30_000 };

/** What has focus: `tag#id "label"` (label = aria-label, text or value, trimmed). */
const focused = (page) => page.evaluate(() => {
  const e = document.activeElement;
  if (!e || e === document.body) return "body";
  const label = (e.getAttribute("aria-label") || e.textContent || e.value || "").trim().replace(/\s+/g, " ").slice(0, 40);
  return `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""} "${label}"`;
});
const inBanner = (page) => page.evaluate(() => !!document.activeElement?.closest("#ce-dialog"));

/** Presses Tab until `match(focusedLabel)` (at most `max` times); returns the labels passed. */
async function tabTo(page, match, { max = 80, shift = false } = {}) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(shift ? "Shift+Tab" : "Tab");
    const f = await focused(page);
    seen.push(f);
    if (match(f)) return seen;
  }
  assert.fail(`not reached by Tab: ${seen.join(" → ")}`);
}

async function newPage(geo, pathname) {
  const v = await visitor(stack, { geo });
  const page = await v.context.newPage();
  v.errors = [];
  page.on("pageerror", (e) => v.errors.push(e.message));
  await page.goto(stack.base + pathname);
  await settle(page, v.attempts);
  return { ...v, page };
}

test("opt-in banner by keyboard: focus on show, Tab order, Space opens Customize, Enter saves", T, async () => {
  const { context, attempts, page, errors } = await newPage("DE", "/");
  assert.match(await focused(page), /^section#ce-dialog /, "focus moved into the banner");
  const order = [];
  for (let i = 0; i < 4; i++) { await page.keyboard.press("Tab"); order.push(await focused(page)); }
  assert.deepEqual(order, ['a "Cookie policy"', 'button "Accept all"', 'button "Reject all"', 'summary "Customize"'],
    "Tab reaches the policy link and the three first-layer buttons, in order");
  await page.screenshot({ path: path.join(SCREENSHOTS, "keyboard-focus-customize.png") });

  await page.keyboard.press("Space");
  assert.ok(await page.locator("#ce-c-analytics").isVisible(), "Space opened the preferences");
  await tabTo(page, (f) => f.startsWith("input#ce-c-analytics"), { max: 5 });
  await page.keyboard.press("Space");
  assert.ok(await page.locator("#ce-c-analytics").isChecked(), "Space ticks the checkbox");
  await page.screenshot({ path: path.join(SCREENSHOTS, "preferences-de.png") });
  await tabTo(page, (f) => f === 'button "Save choices"', { max: 5 });
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  assert.ok(await page.locator("#ce-dialog").isHidden());
  assert.equal(await inBanner(page), false, "focus left the closed banner");
  assert.equal(await page.locator("#consent-edge").getAttribute("data-grants"), "analytics");
  await settle(page, attempts);
  assert.ok(await consentCookie(context));
  assert.deepEqual(errors, []);
  await context.close();
});

test("Enter on Reject all; the footer's Cookie settings reopens, Escape closes, focus returns to it", T, async () => {
  const { context, attempts, page, errors } = await newPage("DE", "/");
  await tabTo(page, (f) => f === 'button "Reject all"', { max: 4 });
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  assert.ok(await page.locator("#ce-dialog").isHidden());

  // Keyboard to the footer control (data-consent-open), open with Enter.
  await tabTo(page, (f) => f === 'button "Cookie settings"');
  await page.keyboard.press("Enter");
  assert.ok(await page.locator("#ce-dialog").isVisible(), "Enter on [data-consent-open] reopened the preferences");
  assert.match(await focused(page), /^section#ce-dialog /, "focus moved into the reopened banner");
  assert.equal(await page.locator(".ce-reopen").isVisible(), false, "the floating control hides while the dialog is open");
  await page.keyboard.press("Escape");
  assert.ok(await page.locator("#ce-dialog").isHidden(), "Escape closes a decided banner");
  assert.equal(await focused(page), 'button "Cookie settings"', "focus returned to the control that opened it");

  // Space opens it too; change the choice to Accept all, focus comes back.
  await page.keyboard.press("Space");
  assert.ok(await page.locator("#ce-dialog").isVisible(), "Space on [data-consent-open] reopened the preferences");
  await tabTo(page, (f) => f === 'button "Accept all"', { max: 4 });
  await page.keyboard.press("Space");
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.grants === "functional analytics advertising");
  assert.ok(await page.locator("#ce-dialog").isHidden());
  assert.equal(await focused(page), 'button "Cookie settings"', "focus returned after the choice");
  await settle(page, attempts);
  assert.ok(attempts.length > 0, "trackers load after Accept all");
  assert.deepEqual(errors, []);
  await context.close();
});

test("the floating reopen control (keyboard) reopens the preferences", T, async () => {
  const { context, page, errors } = await newPage("DE", "/about.html");
  await page.getByRole("button", { name: "Reject all" }).click();
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  await tabTo(page, (f) => f.startsWith('a "Cookie settings"'));
  await page.keyboard.press("Enter");
  assert.ok(await page.locator("#ce-dialog").isVisible());
  assert.equal(await inBanner(page) || (await focused(page)).startsWith("section#ce-dialog"), true);
  await page.keyboard.press("Escape");
  assert.equal(await focused(page), 'a "Cookie settings"');
  assert.deepEqual(errors, []);
  await context.close();
});

test("cookie policy: the declaration table is rendered, Withdraw in the status block works", T, async () => {
  const { context, attempts, page, errors } = await newPage("DE", "/cookie-policy.html");
  // The declaration: one table per category, the consent cookie listed as necessary.
  const decl = page.locator("[data-consent-declaration]");
  assert.equal(await decl.locator("p.placeholder").count(), 0, "the placeholder text was replaced");
  const tables = decl.locator("table");
  assert.ok(await tables.count() >= 2, "tables per category");
  const necessary = decl.locator('[data-category="necessary"] tbody th code');
  assert.ok((await necessary.allInnerTexts()).includes("consent"), "the consent cookie is declared");
  const analytics = await decl.locator('[data-category="analytics"] tbody th code').allInnerTexts();
  assert.ok(analytics.some((n) => n.startsWith("_ga")), `Google Analytics cookies declared: ${analytics}`);
  assert.equal(await decl.locator("thead th").first().innerText(), "Name");

  // Accept all through the banner, then withdraw from the status block (keyboard).
  await page.getByRole("button", { name: "Accept all" }).click();
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  const status = page.locator("[data-consent-status]");
  assert.equal(await status.locator('[data-consent-state="advertising"]').innerText(), "Allowed");
  // The status block shows the new decision without a reload.
  const accepted = await page.evaluate(async () => (await fetch("/__consent")).json());
  assert.ok(await status.locator('[data-consent-field="undecided"]').isHidden(), "no more 'no choice yet'");
  assert.ok(await status.locator('[data-consent-field="meta"]').isVisible());
  assert.equal(await status.locator('[data-consent-field="id"]').innerText(), accepted.consent_id);
  assert.equal(await status.locator('[data-consent-field="method"]').innerText(), "Accepted all");
  assert.match(await status.locator('[data-consent-field="date"]').getAttribute("datetime"), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await page.locator("#consent-edge").scrollIntoViewIfNeeded();
  await tabTo(page, (f) => f === 'button "Withdraw consent"');
  await status.scrollIntoViewIfNeeded();
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.grants === "");
  for (const c of ["functional", "analytics", "advertising"]) {
    assert.equal(await status.locator(`[data-consent-state="${c}"]`).innerText(), "Refused", `${c} shown refused`);
  }
  const s = await page.evaluate(async () => (await fetch("/__consent")).json());
  assert.equal(s.method, "withdrawn");
  assert.equal(await status.locator('[data-consent-field="method"]').innerText(), "Consent withdrawn");
  assert.equal(s.consent_id, accepted.consent_id, "withdrawal keeps the consent id");
  assert.deepEqual(s.categories, { necessary: true, functional: false, analytics: false, advertising: false });
  assert.deepEqual(await axeViolations(page), [], "axe: the cookie policy with declaration and status");
  await page.screenshot({ path: path.join(SCREENSHOTS, "cookie-policy-status.png"), fullPage: false });

  // After a reload nothing loads.
  attempts.length = 0;
  await page.reload();
  await settle(page, attempts, { quiet: 500 });
  assert.deepEqual(attempts, [], "nothing loads after withdrawal");
  assert.ok(await page.locator("#ce-dialog").isHidden());
  assert.deepEqual(errors, []);
  await context.close();
});
