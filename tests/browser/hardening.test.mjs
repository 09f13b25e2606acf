// The banner script cannot be steered by page markup (issue 13, item 6, the
// parts done): its root is its own parent element, not whatever has
// id="consent-edge" first; it puts back only http(s) or relative URLs and
// never an author's srcdoc; it posts to its own origin whatever <base> says.
// Opt-in (Germany), JavaScript on.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, visitor, settle, consentCookie } from "./harness.mjs";

let stack;
before(async () => { stack = await startStack(); });
after(async () => { await stack?.close(); });
const T = { timeout: 30_000 };

async function open(fixture) {
  const v = await visitor(stack, { geo: "DE" });
  const page = await v.context.newPage();
  await page.goto(`${stack.base}/__fixtures/${fixture}`);
  await settle(page, v.attempts, { quiet: 400 });
  return { ...v, page };
}

async function acceptAll(page, attempts) {
  await page.getByRole("button", { name: "Accept all" }).click();
  await page.waitForFunction(() => document.querySelector("aside#consent-edge")?.dataset.decided === "1");
  await settle(page, attempts, { quiet: 500 });
}

test("an earlier element with id=consent-edge does not take the script over", T, async () => {
  const { context, attempts, page } = await open("decoy-root.html");
  const state = await page.evaluate(() => ({
    decoyInit: document.querySelector("div#consent-edge").classList.contains("ce-js"),
    bannerInit: document.querySelector("aside#consent-edge").classList.contains("ce-js"),
    gtag: window.__gtagCalls.filter((c) => c[0] === "consent" && c[1] === "update"),
  }));
  assert.equal(state.decoyInit, false, "the decoy is not the root");
  assert.equal(state.bannerInit, true, "the worker's banner is");
  assert.deepEqual(state.gtag, [], "no consent update forged from the decoy's grants");
  // Deciding works through the real banner, posting to the real endpoint.
  await acceptAll(page, attempts);
  assert.ok(await consentCookie(context), "decision stored");
  assert.deepEqual(attempts.filter((a) => a.host === "evil.example"), []);
  await context.close();
});

test("only web URLs are put back; an author's srcdoc and javascript: URLs stay inert", T, async () => {
  const { context, attempts, page } = await open("author-urls.html");
  await acceptAll(page, attempts);
  const after = await page.evaluate(() => {
    const a = (id, n) => document.getElementById(id).getAttribute(n);
    return {
      js: a("js", "href"),
      ping: a("ping", "ping"),
      srcdoc: a("doc", "srcdoc"),
      web: a("web", "src"),
      rel: a("rel", "src"),
      pwned: window.__pwned ?? null,
    };
  });
  assert.equal(after.js, null, "javascript: href not restored");
  assert.equal(after.ping, null, "a ping list with a javascript: URL not restored");
  assert.equal(after.srcdoc, null, "author srcdoc not restored");
  assert.equal(after.web, "https://www.google-analytics.com/collect?v=AUTHOR", "https URL restored");
  assert.equal(after.rel, "/pixel.gif", "relative URL restored");
  assert.equal(after.pwned, null);
  await page.locator("#js").click();
  assert.equal(await page.evaluate(() => window.__pwned ?? null), null, "clicking the link runs nothing");
  await context.close();
});

test("a third-party <base href> cannot redirect the decision", T, async () => {
  const { context, attempts, page } = await open("base-href.html");
  await acceptAll(page, attempts);
  assert.ok(await consentCookie(context), "the decision reached the worker and was stored");
  const posted = attempts.filter((a) => a.host === "evil.example" && a.url.includes("__consent"));
  assert.deepEqual(posted, [], "nothing posted to the <base> host");
  await context.close();
});

test("consent UI in page markup (an allow button outside a placeholder, a data-consent-form outside the status block) is ignored", T, async () => {
  const { context, attempts, page } = await open("page-consent-ui.html");
  const posts = [];
  page.on("request", (r) => { if (r.url().includes("/__consent")) posts.push(`${r.method()} ${r.url()}`); });
  await page.locator("#allow").click();
  await settle(page, attempts, { quiet: 400 });
  assert.deepEqual(posts, [], "the page's allow button posts nothing");
  assert.equal(await page.evaluate(() => document.querySelector("aside#consent-edge").dataset.decided), "0");
  // The page's own form is submitted the plain way (a GET of the page), not as a decision.
  await Promise.all([page.waitForURL(/action=accept_all/), page.locator("#form button").click()]);
  await settle(page, attempts, { quiet: 400 });
  assert.deepEqual(posts, [], "no decision posted");
  assert.equal(await consentCookie(context), undefined, "no consent stored");
  assert.deepEqual(attempts.map((a) => a.host), [], "nothing third-party loaded");
  await context.close();
});
