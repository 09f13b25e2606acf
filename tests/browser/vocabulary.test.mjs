// The Rust ↔ banner-script vocabulary in a real browser: the banner script
// restores every URL attribute the filter stashes, from the list the banner
// hands it (`data-attrs`, crate::markup::URL_ATTRS). The case that drifted
// before: a refused <video poster> moved to data-consent-poster and never
// restored. Opt-in (Germany).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, visitor, settle, catalog, vendorsHit } from "./harness.mjs";

let stack;
const vendors = catalog();
before(async () => { stack = await startStack(); });
after(async () => { await stack?.close(); });
const T = { timeout: 30_000 };

test("a refused <video poster> is inert before consent and restored by Accept all without a reload", T, async () => {
  const { context, attempts } = await visitor(stack, { geo: "DE" });
  const page = await context.newPage();
  await page.goto(stack.base + "/__fixtures/poster.html");
  await settle(page, attempts, { quiet: 500 });
  assert.deepEqual(vendorsHit(attempts, vendors), [], "nothing loaded before consent");
  const before = await page.evaluate(() => {
    const v = document.getElementById("v");
    return { poster: v.getAttribute("poster"), stashed: v.getAttribute("data-consent-poster") };
  });
  assert.equal(before.poster, null);
  assert.equal(before.stashed, "https://www.facebook.com/tr?id=POSTER");
  const handed = await page.evaluate(() => document.getElementById("consent-edge").dataset.attrs);
  assert.ok(handed.split(" ").includes("poster"), `data-attrs lists poster: ${handed}`);

  await page.getByRole("button", { name: "Accept all" }).click();
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  await settle(page, attempts, { quiet: 600 });
  const after = await page.evaluate(() => {
    const v = document.getElementById("v");
    return { poster: v.getAttribute("poster"), stashed: v.getAttribute("data-consent-poster") };
  });
  assert.deepEqual(after, { poster: "https://www.facebook.com/tr?id=POSTER", stashed: null });
  assert.ok(attempts.some((a) => a.url.includes("id=POSTER")), "the browser fetched the restored poster");
  await context.close();
});
