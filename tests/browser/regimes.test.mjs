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

    await page.screenshot({ path: path.join(SCREENSHOTS, r.shot) });

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

    assert.deepEqual(errors, [], "no script errors");
    await context.close();
  });
}

/** Live URLs in the DOM (src, href of resource links, srcset, data, poster, ping) that leave the worker's host. */
async function liveThirdPartyRefs(page) {
  return page.evaluate(() => {
    const out = [];
    const add = (el, attr, v) => {
      for (const part of String(v).split(",")) {
        const u = part.trim().split(/\s+/)[0];
        if (!u) continue;
        try {
          const url = new URL(u, location.href);
          if ((url.protocol === "http:" || url.protocol === "https:") && url.host !== location.host) out.push(`${el.tagName.toLowerCase()}[${attr}]=${url.href}`);
        } catch {}
      }
    };
    for (const el of document.querySelectorAll("script[src], img[src], img[srcset], iframe[src], source[src], source[srcset], video[src], video[poster], audio[src], embed[src], object[data], a[ping]")) {
      if (el.tagName === "SCRIPT" && el.type === "text/plain") continue;
      for (const a of ["src", "srcset", "data", "poster", "ping"]) if (el.hasAttribute(a)) add(el, a, el.getAttribute(a));
    }
    for (const el of document.querySelectorAll("link[href]")) {
      const rel = (el.getAttribute("rel") || "").toLowerCase();
      if (/\b(preconnect|dns-prefetch|preload|prefetch|modulepreload|prerender|stylesheet)\b/.test(rel)) add(el, "href", el.getAttribute("href"));
    }
    // <noscript> content is inert with JavaScript on; the no-JS tests cover it.
    return out;
  });
}

for (const pathname of ["/", "/about.html", "/contact.html", "/cookie-policy.html"]) {
  test(`opt-in (DE) ${pathname}: no tracker request, no live third-party URL (preconnects included), axe clean`, T, async () => {
    const { context, attempts } = await visitor(stack, { geo: "DE" });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(stack.base + pathname);
    await settle(page, attempts);
    assert.deepEqual(attempts.map((a) => a.url), [], "no request reached any tracker host");
    assert.deepEqual(await liveThirdPartyRefs(page), [], "nothing in the DOM can reach a third party");
    assert.ok(await page.locator("#ce-dialog").isVisible());
    assert.deepEqual(await axeViolations(page), [], `axe: ${pathname}`);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test("Japan (notice) keeps trackers live in the DOM: the reference check can fail", T, async () => {
  const { context, attempts } = await visitor(stack, { geo: "JP" });
  const page = await context.newPage();
  await page.goto(stack.base + "/");
  await settle(page, attempts);
  const refs = await liveThirdPartyRefs(page);
  assert.ok(refs.some((r) => r.startsWith("link[href]=https://www.googletagmanager.com")), refs.join("\n"));
  assert.ok(refs.some((r) => r.startsWith("iframe[src]=https://www.youtube.com/embed/")), refs.join("\n"));
  await context.close();
});

// A browser may paint while the parser is still inside the banner (a slow
// device, a busy machine). A half-built dialog anchored to the bottom would
// then grow upwards, a layout shift; the banner is hidden until complete.
test("a half-parsed banner is never painted; complete, it shows", T, async () => {
  const { context } = await visitor(stack, { geo: "DE" });
  const res = await context.request.get(stack.base + "/");
  const html = await res.text();
  const page = await context.newPage();
  const start = html.indexOf('id="ce-dialog"');
  assert.ok(start > 0, "the banner is in the page");
  // Cut inside the dialog: before its buttons, inside its preferences, right after it.
  const cuts = ['class="ce-actions"', 'id="ce-c-analytics"', "</section>"].map((needle) => html.indexOf(needle, start));
  assert.ok(cuts.every((i) => i > start), "every cut is inside the banner");
  for (const cut of cuts) {
    await page.route(stack.base + "/partial", (route) => route.fulfill({ contentType: "text/html", body: html.slice(0, cut) }));
    await page.goto(stack.base + "/partial");
    assert.equal(await page.locator("#ce-dialog").count(), 1, "the dialog is in the DOM");
    assert.equal(await page.locator("#ce-dialog").boundingBox(), null, `not painted when cut at ${html.slice(cut, cut + 24)}`);
    await page.unroute(stack.base + "/partial");
  }
  await page.goto(stack.base + "/");
  assert.ok(await page.locator("#ce-dialog").isVisible(), "the complete banner shows");
  await context.close();
});

test("slow CPU (8x throttled): no layout shift of the banner in any regime", { timeout: 90_000 }, async () => {
  for (const geo of ["DE", "US-CA", "JP", "DE", "US-CA", "JP"]) {
    const { context, attempts } = await visitor(stack, { geo });
    await observeLayoutShifts(context);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 8 });
    await page.goto(stack.base + "/");
    await settle(page, attempts);
    assert.ok(await page.locator("#ce-dialog").isVisible());
    const ours = (await layoutShifts(page)).entries.filter((e) => e.ours);
    assert.deepEqual(ours, [], `${geo}: shifts of the banner`);
    await context.close();
  }
});

test("phone-sized viewport (opt-in): the banner fits, axe clean, CLS 0", T, async () => {
  const { context, attempts } = await visitor(stack, { geo: "DE", viewport: { width: 390, height: 844 } });
  await observeLayoutShifts(context);
  const page = await context.newPage();
  await page.goto(stack.base + "/");
  await settle(page, attempts);
  const box = await page.locator("#ce-dialog").boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390, `fits horizontally: ${JSON.stringify(box)}`);
  assert.ok(box.y >= 0 && box.y + box.height <= 844, `fits vertically: ${JSON.stringify(box)}`);
  for (const name of ["Accept all", "Reject all"]) assert.ok(await page.getByRole("button", { name }).isVisible());
  assert.deepEqual(await axeViolations(page), []);
  assert.equal((await layoutShifts(page)).total, 0);
  assert.deepEqual(attempts, []);
  await page.screenshot({ path: path.join(SCREENSHOTS, "opt-in-de-phone.png") });
  await context.close();
});
