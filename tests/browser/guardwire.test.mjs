// The client guard as the worker serves it (issue 13, items 1, 2, 5, 6):
// injected first in <head> of every page that refuses something, released
// by the banner on a choice; tag managers as loaders judged tag by tag;
// same-origin frames without a second banner, activated from the top page;
// markup forging the filter's inert form never activated.
// Opt-in (Germany), JavaScript on; every third party is a local stub
// (harness.mjs) and every attempt is recorded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, visitor, settle, consentCookie, stubTagManager, openPage } from "./harness.mjs";

let stack;
before(async () => { stack = await startStack(); });
after(async () => { await stack?.close(); });
const T = { timeout: 60_000 };

async function open(fixture, { container = false } = {}) {
  const v = await visitor(stack, { geo: "DE" });
  if (container) await stubTagManager(v);
  const { page, errors } = await openPage(v.context);
  await page.goto(`${stack.base}/__fixtures/guardwire/${fixture}`);
  await settle(page, v.attempts, { quiet: 400 });
  return { ...v, page, errors };
}

const meta = (attempts) => attempts.filter((a) => /(^|\.)facebook\.(com|net)$/.test(a.host));
const evil = (attempts) => attempts.filter((a) => a.host === "evil.example");
const caseOf = (a) => new URL(a.url).searchParams.get("case");

async function acceptAll(page, attempts) {
  await page.getByRole("button", { name: "Accept all" }).click();
  await page.waitForFunction(() => document.querySelector("aside#consent-edge")?.dataset.decided === "1");
  await settle(page, attempts, { quiet: 600 });
}

test("the guard is first in <head> of a worker-served page and holds what an allowed loader injects; Accept activates it without reload", T, async () => {
  const { context, attempts, page, errors } = await open("loader.html");
  const head = await page.evaluate(() => ({
    first: document.head.firstElementChild?.hasAttribute("data-ce-guard") ?? false,
    guard: typeof window.consentEdgeGuard?.grant === "function",
    refused: window.consentEdgeGuard?.refused().sort(),
  }));
  assert.ok(head.first, "the guard's script is the first element of <head>");
  assert.ok(head.guard, "the guard runs (its nonce'd inline script)");
  assert.deepEqual(head.refused, ["advertising", "analytics", "functional"]);
  assert.deepEqual(meta(attempts), [], "0 requests to Meta before a choice");
  await page.evaluate(() => { window.__sameView = 1; });
  await acceptAll(page, attempts);
  assert.equal(await page.evaluate(() => window.__sameView), 1, "no reload");
  const cases = new Set(meta(attempts).map(caseOf));
  for (const c of ["loader-img", "loader-js", "loader-html"]) assert.ok(cases.has(c), `${c} activated on Accept: ${[...cases]}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a tag manager allowed for analytics: GA4 runs, the Meta pixel it injects makes 0 requests, before and after reload", T, async () => {
  const { context, attempts, page, errors } = await open("gtm.html", { container: true });
  assert.deepEqual(attempts.filter((a) => a.host.includes("google")), [], "nothing Google before a choice (opt-in)");
  await page.getByText("Customize").click();
  await page.getByRole("checkbox", { name: "Analytics" }).check();
  await page.getByRole("button", { name: "Save choices" }).click();
  await page.waitForFunction(() => document.getElementById("consent-edge").dataset.decided === "1");
  await settle(page, attempts, { quiet: 800 });
  const hosts = (list) => list.map((a) => `${a.host}${new URL(a.url).pathname}`);
  assert.ok(hosts(attempts).includes("www.googletagmanager.com/gtm.js"), `the container loads: ${hosts(attempts)}`);
  assert.ok(hosts(attempts).includes("www.googletagmanager.com/gtag/js"), "GA4 loads");
  assert.ok(hosts(attempts).includes("www.google-analytics.com/g/collect"), "GA4 sends its hit");
  assert.deepEqual(hosts(meta(attempts)), [], "0 requests to Meta");
  const held = await page.evaluate(() =>
    [...document.querySelectorAll("[data-consent-guard]")].map((e) => e.getAttribute("data-consent-vendor")).sort());
  assert.ok(held.includes("meta-pixel"), `the pixel is held, inert: ${held}`);

  attempts.length = 0;
  await page.reload();
  await settle(page, attempts, { quiet: 800 });
  assert.ok(hosts(attempts).includes("www.google-analytics.com/g/collect"), `GA4 after reload: ${hosts(attempts)}`);
  assert.deepEqual(hosts(meta(attempts)), [], "0 requests to Meta after reload");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a same-origin frame gets the guard but no second banner, and Accept in the top page activates it without reload", T, async () => {
  const { context, attempts, page, errors } = await open("frame-top.html");
  const frame = page.frame({ url: /frame-inner\.html/ });
  assert.ok(frame, "the frame loaded");
  const inner = await frame.evaluate(() => ({
    guard: document.head.firstElementChild?.hasAttribute("data-ce-guard") ?? false,
    root: document.querySelector("aside#consent-edge")?.dataset.frame ?? null,
    dialogs: document.querySelectorAll("#ce-dialog, .ce-dialog").length,
    visible: (() => {
      const r = document.querySelector("aside#consent-edge");
      return !!r && getComputedStyle(r).display !== "none";
    })(),
  }));
  assert.equal(inner.guard, true, "the frame's document has the guard first");
  assert.equal(inner.root, "1", "the frame's root is in frame mode");
  assert.equal(inner.dialogs, 0, "no second banner in the frame");
  assert.equal(inner.visible, false);
  assert.equal(await page.locator("#ce-dialog").count(), 1, "one banner, the top page's");
  assert.deepEqual(meta(attempts), [], "nothing in the frame reaches Meta before a choice");
  await frame.evaluate(() => { window.__sameView = 1; });
  await acceptAll(page, attempts);
  await settle(page, attempts, { quiet: 600 });
  assert.equal(await frame.evaluate(() => window.__sameView), 1, "the frame was not reloaded");
  const cases = new Set(meta(attempts).map(caseOf));
  assert.ok(cases.has("frame-img"), `the filter's inert image in the frame is activated: ${[...cases]}`);
  assert.ok(cases.has("frame-loader"), `what the guard held in the frame is released: ${[...cases]}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("markup forging the filter's inert form or a placeholder is never activated", T, async () => {
  const { context, attempts, page, errors } = await open("forged.html");
  // A forged placeholder's "Allow" grants nothing.
  await page.locator("#forged-allow").click();
  await settle(page, attempts, { quiet: 500 });
  assert.equal(await consentCookie(context), undefined, "no decision from a forged placeholder");
  assert.equal(await page.locator("aside#consent-edge").getAttribute("data-decided"), "0");
  await acceptAll(page, attempts);
  assert.ok(await consentCookie(context), "the real banner decides");
  assert.deepEqual(evil(attempts).map((a) => a.url), [], "no forged element loaded");
  const state = await page.evaluate(() => ({
    pwned: window.__pwned ?? null,
    forgedScript: document.querySelector('script[src="https://evil.example/necessary.js"]')?.type ?? null,
  }));
  assert.equal(state.pwned, null, "a forged token does not activate a script");
  assert.equal(state.forgedScript, "text/plain", "the forged script stays inert");
  assert.ok(meta(attempts).some((a) => caseOf(a) === "real-img"), "the worker's own inert image is activated");
  assert.deepEqual(errors, []);
  await context.close();
});
