// Tracker markup in unusual shapes (tests/browser/fixtures/, served by the
// loopback origin under /__fixtures/): module scripts, protocol-relative and
// upper-case URLs, padded src, preload/prefetch/modulepreload, document.write,
// <picture>/srcset, lazy images, video poster/src, object/embed, a[ping],
// Maps iframe, <noscript>; a document.write loader. Opt-in (Germany): nothing may reach a catalog
// vendor before consent, with JavaScript on or off.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, visitor, settle, catalog, vendorOf, vendorsHit } from "./harness.mjs";

let stack;
const vendors = catalog();
before(async () => { stack = await startStack(); });
after(async () => { await stack?.close(); });
const T = { timeout: 30_000 };

async function load(pathname, opts) {
  const v = await visitor(stack, { geo: "DE", ...opts });
  const page = await v.context.newPage();
  await page.goto(stack.base + pathname);
  await settle(page, v.attempts, { quiet: 500 });
  return { ...v, page };
}

for (const [fixture, javaScriptEnabled] of [["tricky", true], ["tricky", false], ["document-write", true]]) {
  test(`${fixture}.html, JavaScript ${javaScriptEnabled ? "on" : "off"}: no request before consent`, T, async () => {
    const { context, attempts } = await load(`/__fixtures/${fixture}.html`, { javaScriptEnabled });
    assert.deepEqual(attempts.map((a) => `${a.type} ${a.url}`), [], "no third-party request at all");
    await context.close();
  });
}

test("unusual tracker markup: Accept all activates them without a reload", T, async () => {
  const { context, attempts, page } = await load("/__fixtures/tricky.html");
  await page.getByRole("button", { name: "Accept all" }).click();
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  await settle(page, attempts, { quiet: 600 });
  const hit = vendorsHit(attempts, vendors);
  for (const id of ["google-analytics", "meta-pixel", "hotjar", "microsoft-clarity", "doubleclick", "youtube", "google-maps"]) {
    assert.ok(hit.includes(id), `${id} loaded after Accept all (got ${hit.join(", ")})`);
  }
  const module = attempts.find((a) => a.url.includes("G-MODULE"));
  assert.ok(module, "the module script was activated");
  await context.close();
});

test("a document.write loader activated after load writes in place: the page stays", T, async () => {
  const { context, attempts, page } = await load("/__fixtures/document-write.html");
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.getByRole("button", { name: "Accept all" }).click();
  await page.waitForFunction(() => document.getElementById("consent-edge")?.dataset.decided === "1");
  await settle(page, attempts, { quiet: 600 });
  // The written <script src> ran (GTM requested) and nothing was wiped.
  assert.deepEqual(vendorsHit(attempts, vendors), ["google-tag-manager"]);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "same document");
  assert.equal(await page.locator("h1").textContent(), "document.write");
  assert.equal(await page.locator("#consent-edge").count(), 1, "the banner is still in the page");
  // The written markup sits where the script was, in order.
  const written = await page.evaluate(() => [...document.head.querySelectorAll("script[src]")].map((s) => s.src));
  assert.deepEqual(written, ["https://www.googletagmanager.com/gtm.js?id=GTM-DW"]);
  await context.close();
});

for (const javaScriptEnabled of [true, false]) {
  test(`a tracker inside <iframe srcdoc> is blocked before consent, JavaScript ${javaScriptEnabled ? "on" : "off"}`, T, async () => {
    const { context, attempts } = await load("/__fixtures/srcdoc.html", { javaScriptEnabled });
    const trackers = attempts.filter((a) => vendorOf(a.url, vendors)).map((a) => a.url);
    assert.deepEqual(trackers, []);
    await context.close();
  });
}

test("<iframe srcdoc>: Accept all restores the inline document without a reload", T, async () => {
  const { context, attempts, page } = await load("/__fixtures/srcdoc.html");
  assert.deepEqual(vendorsHit(attempts, vendors), []);
  await page.getByRole("button", { name: "Accept all" }).click();
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  await settle(page, attempts, { quiet: 600 });
  const hit = vendorsHit(attempts, vendors);
  for (const id of ["bing-uet", "meta-pixel"]) {
    assert.ok(hit.includes(id), `${id} loaded after Accept all (got ${hit.join(", ")})`);
  }
  const restored = await page.locator("iframe").evaluate((f) => !f.hasAttribute("data-consent-srcdoc") && f.srcdoc.includes("fbevents.js"));
  assert.ok(restored, "srcdoc swapped back");
  await context.close();
});

test("a YouTube thumbnail (i.ytimg.com) waits for functional consent", T, async () => {
  const { context, attempts } = await load("/__fixtures/youtube-thumbnail.html");
  assert.deepEqual(attempts.map((a) => a.url), []);
  await context.close();
});
