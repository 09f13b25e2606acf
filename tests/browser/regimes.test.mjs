// The banner each legal regime gets, in real Chromium: which banner shows,
// which trackers may load before any choice, accessibility (axe-core) and
// layout stability (CLS = 0). Saves one screenshot per variant in docs/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  startStack, visitor, observeLayoutShifts, layoutShifts, axeViolations, settle,
  catalog, vendorOf, vendorsHit, SCREENSHOTS,
} from "./harness.mjs";

let stack;
const vendors = catalog();
before(async () => { stack = await startStack(); });
after(async () => { await stack?.close(); });
const T = { timeout: 30_000 };

const REGIMES = [
  {
    name: "Germany (opt-in)", geo: "DE", shot: "opt-in-de.png",
    variant: "opt-in", buttons: ["Accept all", "Reject all", "Customize"], before: [],
  },
  {
    name: "California (opt-out)", geo: "US-CA", shot: "opt-out-us-ca.png",
    variant: "opt-out", buttons: ["OK", "Customize", "Do Not Sell or Share My Personal Information"],
    before: ["functional", "analytics", "advertising"],
  },
  {
    name: "California + Global Privacy Control", geo: "US-CA", gpc: true, shot: "opt-out-us-ca-gpc.png",
    variant: "opt-out", buttons: ["OK", "Customize", "Do Not Sell or Share My Personal Information"],
    before: ["functional", "analytics"], gpcNote: true,
  },
  {
    name: "Japan (notice)", geo: "JP", shot: "notice-jp.png",
    variant: "notice", buttons: ["OK", "Customize"], before: ["functional", "analytics", "advertising"],
  },
  {
    name: "unknown location (strictest)", geo: "XX", shot: "opt-in-unknown.png",
    variant: "opt-in", buttons: ["Accept all", "Reject all", "Customize"], before: [],
  },
];

for (const r of REGIMES) {
  test(`${r.name}: the ${r.variant} banner, trackers before a choice, axe, CLS`, T, async () => {
    const { context, attempts } = await visitor(stack, { geo: r.geo, gpc: r.gpc });
    await observeLayoutShifts(context);
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(stack.base + "/");
    await settle(page, attempts);

    // The right banner, open, focused, with its first-layer buttons.
    const banner = page.locator("#consent-edge");
    assert.equal(await banner.getAttribute("data-variant"), r.variant);
    assert.equal(await banner.getAttribute("data-decided"), "0");
    assert.equal(await banner.getAttribute("data-gpc"), r.gpc ? "1" : "0");
    const dialog = page.getByRole("dialog", { name: "Your privacy choices" });
    assert.ok(await dialog.isVisible(), "the banner dialog is visible");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "ce-dialog", "focus moved into the banner");
    const labels = await dialog.locator(".ce-actions > button, .ce-actions > details > summary, .ce-dns button")
      .evaluateAll((els) => els.filter((e) => e.offsetParent !== null).map((e) => e.textContent.trim()));
    for (const b of r.buttons) assert.ok(labels.some((l) => l === b), `button "${b}" shown (got ${JSON.stringify(labels)})`);
    assert.equal(labels.length, r.buttons.length, `exactly the first-layer buttons: ${JSON.stringify(labels)}`);
    assert.equal(await page.locator(".ce-gpc").count(), r.gpcNote ? 1 : 0, "the GPC note only when GPC is honoured");

    // Trackers before a choice: exactly the categories the regime allows.
    const hits = attempts.map((a) => ({ ...a, vendor: vendorOf(a.url, vendors) }));
    const unknown = hits.filter((h) => !h.vendor).map((h) => h.url);
    assert.deepEqual(unknown, [], "every third-party request is a catalog vendor");
    const cats = [...new Set(hits.map((h) => h.vendor.category))].sort();
    assert.deepEqual(cats, [...r.before].sort(), `categories loaded before a choice: ${vendorsHit(attempts, vendors).join(", ")}`);
    if (r.before.length === 0) assert.deepEqual(attempts.map((a) => a.url), [], "no request reached any tracker host");

    // Accessibility of the page with the banner open, then with the preferences open.
    assert.deepEqual(await axeViolations(page), [], "axe: no violations with the banner open");
    await dialog.locator("summary").click();
    assert.ok(await page.locator("#ce-c-analytics").isVisible());
    assert.deepEqual(await axeViolations(page), [], "axe: no violations with the preferences open");
    await dialog.locator("summary").click();

    // No layout shift from the banner or the neutralised embeds.
    const cls = await layoutShifts(page);
    assert.equal(cls.error, undefined);
    assert.equal(cls.total, 0, `CLS must be 0: ${JSON.stringify(cls.entries)}`);

    await page.screenshot({ path: path.join(SCREENSHOTS, r.shot) });
    assert.deepEqual(errors, [], "no script errors");
    await context.close();
  });
}
