// The client guard (src/banner/guard.js) in real Chromium, alone: no worker,
// no banner. The pages are static fixtures (tests/browser/fixtures/guard/)
// served by this test, with the guard's <script> tag exactly as src/guard.rs
// builds it from the shipped catalog (`cargo run --example guard_script`)
// put where the fixture says <!--GUARD-->, and a strict CSP
// (`script-src 'nonce-…' 'strict-dynamic'`) so the nonce path is real.
// Every third-party request is intercepted and recorded (harness.mjs).
//
// For each injection API: a refused vendor's URL makes 0 requests, and
// `consentEdgeGuard.grant([...])` (what the banner calls after a choice)
// makes it load, without a reload.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { once } from "node:events";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { ROOT, FIXTURES, launch, visitor, settle, catalog, vendorsHit, stubTagManager, openPage } from "./harness.mjs";

const vendors = catalog();
const NONCE = randomBytes(12).toString("base64");
const T = { timeout: 60_000 };
const ALL = ["functional", "analytics", "advertising"];

/** The guard tag for these granted categories, from the Rust side (cached). */
const tags = new Map();
function guardTag(granted, allow = []) {
  const key = [...granted, "/", ...allow].join(" ");
  if (!tags.has(key)) {
    const allowArgs = allow.flatMap((id) => ["--allow", id]);
    const out = execFileSync("cargo", ["run", "--quiet", "--example", "guard_script", "--", "--nonce", NONCE, ...allowArgs, ...granted], {
      cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"],
    });
    let tag = out.trim();
    // GUARD_MINIFY=1: the same tag with esbuild's minified guard, as shipped.
    if (process.env.GUARD_MINIFY === "1") {
      const min = execFileSync(path.join(ROOT, "node_modules/.bin/esbuild"), ["--minify"], {
        input: readFileSync(path.join(ROOT, "src/banner/guard.js"), "utf8"), encoding: "utf8",
      }).trim();
      tag = `${tag.slice(0, tag.indexOf(">") + 1)}${min}</script>`;
    }
    tags.set(key, tag);
  }
  return tags.get(key);
}

/** Serves fixtures/guard/<page>?grant=a,b with the guard for those grants. */
async function startFixtures() {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, "http://fixtures");
    const name = path.basename(u.pathname);
    let html;
    try {
      html = readFileSync(path.join(FIXTURES, "guard", name), "utf8");
    } catch {
      res.writeHead(404).end();
      return;
    }
    const granted = (u.searchParams.get("grant") || "").split(",").filter(Boolean);
    const allow = (u.searchParams.get("allow") || "").split(",").filter(Boolean);
    // GUARD=off serves the pages without the guard: every case must then fail.
    const tag = process.env.GUARD === "off" ? "" : guardTag(granted, allow);
    html = html.replace("<!--GUARD-->", () => tag).replaceAll("{{NONCE}}", NONCE);
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": `script-src 'nonce-${NONCE}' 'strict-dynamic'; object-src 'none'` +
        (u.searchParams.has("tt") ? "; require-trusted-types-for 'script'; trusted-types app" : ""),
    });
    res.end(html);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

let browser, context0, userDataDir, fixtures;
before(async () => {
  guardTag([]); // builds the example once, before any timed step
  fixtures = await startFixtures();
  ({ browser, context0, userDataDir } = await launch());
}, { timeout: 600_000 });
after(async () => {
  await context0?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await new Promise((r) => (fixtures ? fixtures.server.close(r) : r()));
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/** A fresh visitor with the tag manager stubs on top of harness.mjs's. */
async function open(page, granted = [], { errors, allow = [], query = "" } = {}) {
  const v = await visitor({ browser, base: fixtures.base });
  await stubTagManager(v);
  const { page: p, errors: pageErrors } = await openPage(v.context, { consoleErrors: true });
  await p.goto(`${fixtures.base}/${page}?grant=${granted.join(",")}&allow=${allow.join(",")}${query}`);
  await settle(p, v.attempts);
  if (errors) errors.push(...pageErrors);
  return { ...v, page: p, pageErrors };
}

/** Attempts carrying exactly this case marker (`case=write` is not `case=write-img`). */
const hits = (attempts, marker) => attempts.filter((a) => new URL(a.url).searchParams.get("case") === marker);

/** Grants through the guard's API, as the banner will, and lets the network settle. */
async function grant(page, attempts, cats = ALL) {
  await page.evaluate((c) => window.consentEdgeGuard.grant(c), cats);
  await settle(page, attempts);
}

// Each case runs in the page with `u` = URLs of refused vendors carrying
// its marker: js (Meta pixel script), img (Meta pixel image, a path-prefix
// host), frame and css (YouTube, functional).
const CASES = {
  "script.src + appendChild": (u) => {
    const s = document.createElement("script"); s.src = u.js; document.head.appendChild(s);
  },
  "script setAttribute + insertBefore": (u) => {
    const s = document.createElement("script"); s.setAttribute("src", u.js);
    document.head.insertBefore(s, document.head.firstChild);
  },
  "new Image().src (never inserted)": (u) => { window.__img = new Image(); window.__img.src = u.img; },
  "img.srcset + prepend": (u) => {
    const i = document.createElement("img"); i.alt = ""; i.srcset = `${u.img} 1x`; document.body.prepend(i);
  },
  "iframe.src + after": (u) => {
    const f = document.createElement("iframe"); f.src = u.frame; document.getElementById("box").after(f);
  },
  "link rel=preload + before": (u) => {
    const l = document.createElement("link"); l.rel = "preload"; l.as = "image"; l.href = u.img;
    document.getElementById("box").before(l);
  },
  "link rel=stylesheet setAttribute + replaceChild": (u) => {
    const box = document.getElementById("box"), old = box.appendChild(document.createElement("span"));
    const l = document.createElement("link"); l.setAttribute("rel", "stylesheet"); l.setAttribute("href", u.css);
    box.replaceChild(l, old);
  },
  "video poster + src + replaceWith": (u) => {
    const box = document.getElementById("box"), old = box.appendChild(document.createElement("span"));
    const v = document.createElement("video"); v.poster = u.img; v.src = u.media; v.preload = "auto";
    old.replaceWith(v);
  },
  "picture source.srcset + insertAdjacentElement": (u) => {
    const p = document.createElement("picture"), s = document.createElement("source"), i = document.createElement("img");
    s.srcset = u.img; i.alt = ""; p.append(s, i);
    document.getElementById("box").insertAdjacentElement("beforeend", p);
  },
  "innerHTML (attached)": (u) => {
    document.getElementById("box").innerHTML = `<p>ad</p><img alt="" src="${u.img.replaceAll("&", "&amp;")}">`;
  },
  "innerHTML on a detached element, appended later": (u) => {
    const d = document.createElement("div"); d.innerHTML = `<iframe src="${u.frame}"></iframe>`;
    window.__later = () => document.body.append(d); window.__later();
  },
  "outerHTML": (u) => {
    const d = document.getElementById("box").appendChild(document.createElement("div"));
    d.outerHTML = `<iframe title="x" src="${u.frame}"></iframe>`;
  },
  "insertAdjacentHTML": (u) => {
    document.getElementById("box").insertAdjacentHTML("afterend", `<img alt="" srcset="${u.img} 2x">`);
  },
  "setHTMLUnsafe": (u) => {
    document.getElementById("box").setHTMLUnsafe(`<iframe title="x" src="${u.frame}"></iframe>`);
  },
  "Range#createContextualFragment": (u) => {
    const r = document.createRange(); r.selectNode(document.body);
    document.body.append(r.createContextualFragment(`<script src="${u.js}"></script>`));
  },
};

function urls(marker) {
  return {
    js: `https://connect.facebook.net/en_US/fbevents.js?case=${marker}`,
    img: `https://www.facebook.com/tr?id=1&case=${marker}`,
    frame: `https://www.youtube.com/embed/abc?case=${marker}`,
    css: `https://www.youtube.com/s/player.css?case=${marker}`,
    media: `https://www.youtube.com/v.mp4?case=${marker}`,
  };
}

let caseNo = 0;
for (const [name, run] of Object.entries(CASES)) {
  test(`${name}: held while refused, loads after grant() without reload`, T, async () => {
    const marker = `c${++caseNo}`;
    const { context, attempts, page, pageErrors } = await open("apis.html");
    const inert = () => page.evaluate(() => document.querySelectorAll("[data-consent-guard][data-consent-category][data-consent-vendor]").length);
    const before = await inert();
    await page.evaluate(run, urls(marker));
    await settle(page, attempts);
    assert.deepEqual(hits(attempts, marker).map((a) => a.url), [], "no request while refused");
    // The element now in the page carries the filter's inert form.
    if (!name.startsWith("new Image")) assert.ok((await inert()) > before, "inert markup in the page");
    await grant(page, attempts);
    assert.ok(hits(attempts, marker).length >= 1, `loaded after grant (${attempts.map((a) => a.url).join(", ")})`);
    assert.deepEqual(pageErrors, []);
    await context.close();
  });
}

test("a script made inert keeps its identity: type set after src, onload fires after grant", T, async () => {
  const { context, attempts, page } = await open("apis.html");
  await page.evaluate((u) => {
    const s = document.createElement("script");
    s.src = u.js; s.type = "text/javascript"; s.setAttribute("type", "text/javascript");
    s.onload = () => { window.__loaded = (window.__loaded || 0) + 1; };
    document.body.append(s);
    window.__s = s;
  }, urls("ident"));
  await settle(page, attempts);
  assert.equal(hits(attempts, "ident").length, 0);
  assert.deepEqual(await page.evaluate(() => [window.__s.type, window.__s.dataset.consentType]), ["text/plain", "text/javascript"]);
  await grant(page, attempts);
  assert.equal(hits(attempts, "ident").length, 1);
  await page.waitForFunction(() => window.__loaded === 1);
  assert.equal(await page.evaluate(() => window.__s.type), "text/javascript");
  await context.close();
});

test("document.write during parsing: held, then activated by grant()", T, async () => {
  const { context, attempts, page } = await open("apis.html");
  assert.deepEqual([...hits(attempts, "write"), ...hits(attempts, "write-img")], []);
  assert.equal(await page.locator("#written[data-consent-src]").count(), 1, "the written image is inert");
  await grant(page, attempts);
  assert.equal(hits(attempts, "write").length, 1, "written script loaded");
  assert.equal(hits(attempts, "write-img").length, 1, "written image loaded");
  await context.close();
});

test("lazy-load plugin copying data-src/data-srcset into src: held, activated by grant()", T, async () => {
  const { context, attempts, page } = await open("apis.html");
  for (const m of ["lazy-img", "lazy-srcset", "lazy-iframe"]) assert.equal(hits(attempts, m).length, 0, m);
  assert.equal(await page.locator("iframe.lazy[hidden][data-consent-hidden]").count(), 1, "the frame is hidden");
  await grant(page, attempts, ["functional"]);
  assert.equal(hits(attempts, "lazy-iframe").length, 1, "functional granted: the frame loads");
  assert.equal(await page.locator("iframe.lazy[hidden]").count(), 0, "and is shown");
  assert.equal(hits(attempts, "lazy-img").length + hits(attempts, "lazy-srcset").length, 0, "advertising still refused");
  await grant(page, attempts, ["advertising"]);
  assert.equal(hits(attempts, "lazy-img").length, 1);
  assert.equal(hits(attempts, "lazy-srcset").length, 1);
  await context.close();
});

test("sendBeacon, fetch and XHR to a refused host are dropped quietly (not replayed on grant)", T, async () => {
  const { context, attempts, page, pageErrors } = await open("apis.html");
  const res = await page.evaluate(async (u) => {
    const beacon = navigator.sendBeacon(u.img, "x");
    const status = await fetch(u.img, { method: "POST", body: "x" }).then((r) => r.status);
    const viaRequest = await fetch(new Request(u.js)).then((r) => r.status);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", u.img.replace("case=", "case=x"));
    xhr.send("x");
    return { beacon, status, viaRequest };
  }, urls("req"));
  await settle(page, attempts);
  assert.deepEqual(res, { beacon: true, status: 204, viaRequest: 204 });
  assert.equal(hits(attempts, "req").length + hits(attempts, "xreq").length, 0);
  await grant(page, attempts);
  assert.equal(hits(attempts, "req").length + hits(attempts, "xreq").length, 0, "dropped, not queued");
  // Once granted, the same calls go out.
  await page.evaluate(async (u) => {
    navigator.sendBeacon(u.img, "x");
    await fetch(u.img, { mode: "no-cors" }).catch(() => {});
  }, urls("req2"));
  await settle(page, attempts);
  assert.equal(hits(attempts, "req2").length, 2);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test("a GTM-like container with analytics granted: GA4 loads, the Meta pixel it injects makes 0 requests, before and after reload", T, async () => {
  const { context, attempts, page, pageErrors } = await open("gtm.html", ["analytics"]);
  const check = () => {
    const hit = vendorsHit(attempts, vendors);
    assert.ok(hit.includes("google-tag-manager"), `container loaded (${hit})`);
    assert.ok(hit.includes("google-analytics"), `GA4 loaded (${hit})`);
    assert.ok(attempts.some((a) => a.url.startsWith("https://region1.google-analytics.com/g/collect")), "GA4 beacon sent");
    assert.ok(!hit.includes("meta-pixel"), `no Meta request (${hit})`);
    assert.deepEqual(hit.filter((id) => !["google-tag-manager", "google-analytics"].includes(id)), []);
  };
  check();
  await page.reload();
  await settle(page, attempts);
  check();
  assert.equal(attempts.filter((a) => a.url.includes("gtm.js")).length, 2, "two page views");
  // Accepting advertising later activates the pixel without a reload.
  await grant(page, attempts, ["advertising"]);
  assert.ok(attempts.some((a) => a.url.startsWith("https://connect.facebook.net/en_US/fbevents.js")), "fbevents.js after grant");
  assert.ok(attempts.some((a) => a.url.includes("facebook.com/tr?id=123&ev=PageView")), "pixel image after grant");
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test("elements the guard has no rule for pass untouched (unknown, custom, SVG, text)", T, async () => {
  const { context, page, pageErrors } = await open("apis.html");
  const out = await page.evaluate(() => {
    const box = document.getElementById("box");
    for (const name of ["constructor", "toString", "__proto__", "x-widget"]) box.appendChild(document.createElement(name));
    box.append("text", document.createComment("c"), document.createElementNS("http://www.w3.org/2000/svg", "svg"));
    box.insertAdjacentHTML("beforeend", '<img alt="" src="/local.gif"><a href="https://www.facebook.com/page">link</a>');
    return [box.childElementCount, box.querySelector("img").getAttribute("src"), box.querySelector("a").getAttribute("href")];
  });
  assert.deepEqual(out, [7, "/local.gif", "https://www.facebook.com/page"]);
  assert.deepEqual(pageErrors.filter((e) => !e.includes("local.gif")), []);
  await context.close();
});

test("Consent Mode advanced (GTM allowed for everyone), nothing granted: the container loads, GA4 and the Meta pixel it injects do not", T, async () => {
  const { context, attempts, pageErrors } = await open("gtm.html", [], { allow: ["google-tag-manager"] });
  assert.deepEqual(vendorsHit(attempts, vendors), ["google-tag-manager"]);
  assert.equal(attempts.length, 1, attempts.map((a) => a.url).join(", "));
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test("relative URLs resolve against <base>: a base on a refused host is held too", T, async () => {
  const { context, attempts, page } = await open("apis.html");
  await page.evaluate(() => {
    new Image().src = "/local.gif?case=rel-before";
    const b = document.createElement("base"); b.href = "https://www.facebook.com/"; document.head.prepend(b);
    window.__i = new Image(); window.__i.src = "tr?id=1&case=rel-base";
  });
  await settle(page, attempts);
  assert.equal(hits(attempts, "rel-base").length, 0);
  await grant(page, attempts);
  assert.equal(hits(attempts, "rel-base").length, 1);
  await context.close();
});

test("Trusted Types pages: TrustedHTML through innerHTML is still held, and nothing throws", T, async () => {
  const { context, attempts, page, pageErrors } = await open("apis.html", [], { query: "&tt=1" });
  const out = await page.evaluate((u) => {
    const policy = trustedTypes.createPolicy("app", { createHTML: (s) => s });
    const box = document.getElementById("box");
    box.innerHTML = policy.createHTML(`<img alt="" src="${u.img.replaceAll("&", "&amp;")}"><b>kept</b>`);
    let plain = "no error";
    try { box.innerHTML = "<i>plain string</i>"; } catch (e) { plain = e.name; }
    return { b: box.querySelector("b")?.textContent, plain };
  }, urls("tt"));
  // The page's own policy still decides: a plain string is refused as without the guard.
  assert.deepEqual(out, { b: "kept", plain: "TypeError" });
  await settle(page, attempts);
  assert.equal(hits(attempts, "tt").length, 0);
  await grant(page, attempts);
  assert.equal(hits(attempts, "tt").length, 1);
  assert.deepEqual(pageErrors.filter((e) => !/TrustedHTML|Trusted Type/i.test(e)), []);
  await context.close();
});

test("nothing refused in the config: a granted vendor loads at once", T, async () => {
  const { context, attempts, page } = await open("apis.html", ["advertising"]);
  await page.evaluate((u) => { new Image().src = u.img; }, urls("granted"));
  await settle(page, attempts);
  assert.equal(hits(attempts, "granted").length, 1);
  await context.close();
});

test("page markup cannot steer the guard: clobbering, look-alike inert markup, API replacement", T, async () => {
  const { context, attempts, page } = await open("steer.html");
  const state = await page.evaluate(() => {
    const g = window.consentEdgeGuard;
    const before = { frozen: Object.isFrozen(g), hasGrant: typeof g.grant, refused: g.refused().sort() };
    try { window.consentEdgeGuard = { grant() {} }; } catch {}
    try { delete window.consentEdgeGuard; } catch {}
    try { g.grant = () => {}; } catch {}
    g.grant("advertising"); // a string is not a list of categories
    return { ...before, same: window.consentEdgeGuard === g, stillRefused: g.refused().sort() };
  });
  assert.deepEqual(state, {
    frozen: true, hasGrant: "function", refused: ALL.slice().sort(), same: true, stillRefused: ALL.slice().sort(),
  });
  await grant(page, attempts);
  assert.equal(hits(attempts, "forged").length + hits(attempts, "forged-img").length, 0, "look-alikes stay inert");
  assert.equal(await page.locator('script[type="text/plain"][data-consent-guard="guess"]').count(), 1);
  await context.close();
});
