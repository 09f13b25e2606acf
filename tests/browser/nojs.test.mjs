// JavaScript disabled: the banner is a plain form and works alone. The
// worker answers the POST with a redirect back to the page, now filtered
// for the new choice.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startStack, visitor, settle, consentCookie, catalog, vendorOf, vendorsHit, SCREENSHOTS } from "./harness.mjs";

let stack;
const vendors = catalog();
before(async () => { stack = await startStack(); });
after(async () => { await stack?.close(); });
const T = { timeout: 30_000 };

const categoriesOf = (attempts) =>
  [...new Set(attempts.map((a) => vendorOf(a.url, vendors)?.category ?? `?${a.host}`))].sort();

async function noJsVisitor(geo = "DE", pathname = "/") {
  const v = await visitor(stack, { geo, javaScriptEnabled: false });
  const page = await v.context.newPage();
  await page.goto(stack.base + pathname);
  await settle(page, v.attempts);
  return { ...v, page };
}

test("no JavaScript: the banner shows, <noscript> pixels and iframes stay blocked", T, async () => {
  const { context, attempts, page } = await noJsVisitor();
  assert.equal(await page.evaluate(() => 1).catch(() => "off"), 1, "evaluate runs in the utility world");
  assert.equal(await page.locator("#consent-edge").getAttribute("class"), "ce", "the script did not run (no ce-js)");
  assert.ok(await page.locator("#ce-dialog").isVisible());
  for (const name of ["Accept all", "Reject all"]) assert.ok(await page.getByRole("button", { name }).isVisible());
  assert.deepEqual(attempts, [], "no tracker request without JavaScript either");
  await page.screenshot({ path: path.join(SCREENSHOTS, "no-js-de.png") });
  await context.close();
});

test("no JavaScript: Reject all posts the form, returns to the page, nothing loads", T, async () => {
  const { context, attempts, page } = await noJsVisitor("DE", "/about.html");
  await page.getByRole("button", { name: "Reject all" }).click();
  await page.waitForURL(stack.base + "/about.html");
  await settle(page, attempts);
  assert.ok(await consentCookie(context), "consent cookie set by the form POST");
  assert.equal(await page.locator("#consent-edge").getAttribute("data-decided"), "1");
  assert.ok(await page.locator("#ce-dialog").isHidden(), "banner closed after the redirect");
  assert.deepEqual(attempts, []);
  // The floating control reopens the dialog without JavaScript (#ce-dialog:target).
  await page.locator(".ce-reopen").click();
  assert.ok(await page.locator("#ce-dialog").isVisible(), "reopened via :target");
  await context.close();
});

test("no JavaScript: the site's own <button data-consent-open> reopens the banner, the page's query kept", T, async () => {
  const { context, attempts, page } = await noJsVisitor("DE", "/about.html?ref=news&x=a%20b");
  await page.getByRole("button", { name: "Reject all" }).click();
  await page.waitForURL(stack.base + "/about.html?ref=news&x=a%20b");
  assert.ok(await page.locator("#ce-dialog").isHidden(), "decided: banner closed");
  // The demo footer's "Cookie settings" is a <button type="button" data-consent-open>.
  await page.locator("footer").getByRole("button", { name: "Cookie settings" }).click();
  await page.waitForURL((u) => u.hash === "#ce-dialog");
  const url = new URL(page.url());
  assert.equal(url.pathname, "/about.html");
  assert.deepEqual([...url.searchParams], [["ref", "news"], ["x", "a b"]], "the query survives");
  assert.ok(await page.locator("#ce-dialog").isVisible(), "reopened without JavaScript");
  // And a choice made there works as before.
  await page.getByRole("button", { name: "Accept all" }).click();
  await page.waitForURL((u) => u.pathname === "/about.html" && u.hash === "");
  await settle(page, attempts, { quiet: 500 });
  assert.equal(await page.locator("#consent-edge").getAttribute("data-grants"), "functional analytics advertising");
  await context.close();
});

test("no JavaScript: Accept all → images, iframes and <noscript> tags of every category load", T, async () => {
  const { context, attempts, page } = await noJsVisitor();
  await page.getByRole("button", { name: "Accept all" }).click();
  await page.waitForURL(stack.base + "/");
  await settle(page, attempts, { quiet: 500 });
  assert.ok(await page.locator("#ce-dialog").isHidden());
  assert.deepEqual(categoriesOf(attempts), ["advertising", "analytics", "functional"], vendorsHit(attempts, vendors).join(", "));
  const hit = vendorsHit(attempts, vendors);
  for (const id of ["google-tag-manager", "youtube", "doubleclick"]) assert.ok(hit.includes(id), `${id} loaded (got ${hit.join(", ")})`);
  await context.close();
});

test("no JavaScript: Customize (a <details>) → tick Functional → Save", T, async () => {
  const { context, attempts, page } = await noJsVisitor();
  await page.getByText("Customize").click();
  await page.getByRole("checkbox", { name: "Functional" }).check();
  await page.getByRole("button", { name: "Save choices" }).click();
  await page.waitForURL(stack.base + "/");
  await settle(page, attempts, { quiet: 500 });
  assert.deepEqual(categoriesOf(attempts), ["functional"], vendorsHit(attempts, vendors).join(", "));
  assert.ok(await page.locator('iframe[title*="YouTube"]').isVisible(), "the video is shown");
  await context.close();
});

test("no JavaScript: Withdraw from the cookie policy's status block", T, async () => {
  const { context, attempts, page } = await noJsVisitor("DE", "/cookie-policy.html");
  await page.getByRole("button", { name: "Accept all" }).click();
  await page.waitForURL(stack.base + "/cookie-policy.html");
  const status = page.locator("[data-consent-status]");
  assert.equal(await status.locator('[data-consent-state="analytics"]').innerText(), "Allowed");
  attempts.length = 0;
  await status.getByRole("button", { name: "Withdraw consent" }).click();
  await page.waitForURL(stack.base + "/cookie-policy.html");
  await settle(page, attempts);
  assert.equal(await status.locator('[data-consent-state="analytics"]').innerText(), "Refused");
  assert.equal(await status.locator('[data-consent-field="method"]').innerText(), "Consent withdrawn");
  assert.deepEqual(attempts, [], "nothing loads after withdrawal");
  await context.close();
});
