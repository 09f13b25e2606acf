// Consent state over real requests in workerd: the signed cookie, the
// /__consent endpoint, cookie enforcement, GPC, geolocation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, startWorker, consentToken } from "./harness.mjs";

let origin, mf;
// State-changing posts carry the banner's per-render token (issue 15), here
// minted with the e2e secret for site.example's home page.
const SAME = { "sec-fetch-site": "same-origin", "x-consent-token": consentToken() };
const DE = { country: "DE", regionCode: "BY", isEUCountry: "1", continent: "EU" };
const CA = { country: "US", regionCode: "CA", continent: "NA" };

before(async () => {
  origin = await startOrigin({
    "/echo-cookies": (req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ cookie: req.headers.cookie ?? null }));
    },
    "/sets-cookies.html": (req, res) => {
      res.setHeader("content-type", "text/html");
      res.setHeader("set-cookie", [
        "session=abc; Path=/; HttpOnly",
        "_ga=GA1.1.123.456; Path=/; Max-Age=63072000",
        "_fbp=fb.1.123; Path=/",
        "lang=de; Path=/",
        "cart=3; Path=/; Secure",
      ]);
      res.end("<!doctype html><html><head></head><body>hi</body></html>");
    },
  });
  mf = await startWorker({ ORIGIN: origin.url });
});

after(async () => {
  await mf?.dispose();
  await origin?.close();
});

/** The `consent` cookie value from a response's Set-Cookie headers. */
function consentCookie(res) {
  for (const c of res.headers.getSetCookie()) {
    const m = /^__Host-consent=([^;]*)/.exec(c);
    if (m && m[1]) return { value: m[1], raw: c };
  }
  return null;
}

async function state(cf, headers = {}) {
  const res = await mf.dispatchFetch("https://site.example/__consent", { cf, headers });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "no-store");
  return res.json();
}

test("GET /__consent: opt-in in Germany, nothing decided, nothing optional granted", async () => {
  const s = await state(DE);
  assert.equal(s.jurisdiction, "eu");
  assert.equal(s.model, "opt-in");
  assert.equal(s.variant, "opt-in");
  assert.equal(s.decided, false);
  assert.deepEqual(s.categories, { necessary: true, functional: false, analytics: false, advertising: false });
  assert.equal(s.consent_id, null);
});

test("accept all → reject all → withdraw, each remembered by the signed cookie", async () => {
  let res = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, headers: { ...SAME, "content-type": "application/json" }, body: JSON.stringify({ action: "accept_all" }),
  });
  assert.equal(res.status, 200);
  const accepted = consentCookie(res);
  assert.ok(accepted, "a consent cookie is set");
  assert.match(accepted.raw, /Path=\//);
  assert.match(accepted.raw, /SameSite=Lax/i);
  assert.match(accepted.raw, /Secure/);
  assert.match(accepted.raw, /Max-Age=15724800/, "182 days in the EU");
  assert.ok(accepted.value.length <= 200);
  let s = await state(DE, { cookie: `__Host-consent=${accepted.value}` });
  assert.equal(s.decided, true);
  assert.equal(s.method, "accept_all");
  assert.deepEqual(s.categories, { necessary: true, functional: true, analytics: true, advertising: true });
  const id = s.consent_id;
  assert.match(id, /^[A-Za-z0-9_-]{22,}$/);

  // No-JS form: reject all, 303 back to the page.
  res = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, redirect: "manual",
    headers: { ...SAME, "content-type": "application/x-www-form-urlencoded", cookie: `__Host-consent=${accepted.value}; _ga=GA1.1.1.1` },
    body: `action=reject_all&return_to=%2Fabout.html%3Fx%3D1&token=${consentToken({ path: "/about.html" })}`,
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/about.html?x=1");
  const rejected = consentCookie(res);
  s = await state(DE, { cookie: `__Host-consent=${rejected.value}` });
  assert.equal(s.method, "reject_all");
  assert.equal(s.consent_id, id, "the consent id is kept across decisions");
  assert.deepEqual(s.categories, { necessary: true, functional: false, analytics: false, advertising: false });

  // Withdraw: DELETE.
  res = await mf.dispatchFetch("https://site.example/__consent", { method: "DELETE", cf: DE, headers: { ...SAME, cookie: `__Host-consent=${accepted.value}` } });
  assert.equal(res.status, 200);
  const withdrawn = await res.json();
  assert.equal(withdrawn.method, "withdrawn");
  assert.equal(withdrawn.categories.analytics, false);
});

test("a tampered cookie is no decision, not an error", async () => {
  const res = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, headers: { ...SAME, "content-type": "application/json" }, body: '{"action":"accept_all"}',
  });
  const c = consentCookie(res).value;
  const tampered = c.slice(0, 2) + (c[2] === "f" ? "e" : "f") + c.slice(3);
  for (const bad of [tampered, c.slice(0, -5), "garbage", "%%%", "x".repeat(5000)]) {
    const s = await state(DE, { cookie: `__Host-consent=${bad}` });
    assert.equal(s.decided, false, bad.slice(0, 20));
  }
});

test("CSRF: a cross-site POST is refused with 403 JSON", async () => {
  const res = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, headers: { "sec-fetch-site": "cross-site", "content-type": "application/json" }, body: '{"action":"accept_all"}',
  });
  assert.equal(res.status, 403);
  assert.ok((await res.json()).error);
  assert.equal(consentCookie(res), null);
  const res2 = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, headers: { origin: "https://evil.example", "content-type": "application/json" }, body: '{"action":"accept_all"}',
  });
  assert.equal(res2.status, 403);
});

test("bad requests: 413, 400 naming the problem, 405 with Allow", async () => {
  let res = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, headers: { ...SAME, "content-type": "application/x-www-form-urlencoded" }, body: "action=accept_all&pad=" + "x".repeat(5000),
  });
  assert.equal(res.status, 413);
  res = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, headers: { ...SAME, "content-type": "application/json" }, body: '{"action":"sell_everything"}',
  });
  assert.equal(res.status, 400);
  assert.match((await res.json()).error, /sell_everything/);
  res = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, headers: { ...SAME, "content-type": "application/json" }, body: '{"action":',
  });
  assert.equal(res.status, 400);
  res = await mf.dispatchFetch("https://site.example/__consent", { method: "PUT", cf: DE, headers: SAME, body: "x" });
  assert.equal(res.status, 405);
  assert.match(res.headers.get("allow"), /POST/);
});

test("GPC in California refuses advertising before any choice; in Germany nothing changes", async () => {
  const ca = await state(CA, { "sec-gpc": "1" });
  assert.equal(ca.model, "opt-out");
  assert.equal(ca.method, "gpc");
  assert.equal(ca.categories.advertising, false);
  assert.equal(ca.categories.analytics, true);
  const caNoGpc = await state(CA);
  assert.equal(caNoGpc.categories.advertising, true);
  const de = await state(DE, { "sec-gpc": "1" });
  assert.equal(de.categories.advertising, false);
  assert.equal(de.method, null);
  // An explicit choice wins and remembers GPC.
  const res = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: CA, headers: { ...SAME, "sec-gpc": "1", "content-type": "application/json" }, body: '{"action":"accept_all"}',
  });
  const s = await state(CA, { "sec-gpc": "1", cookie: `__Host-consent=${consentCookie(res).value}` });
  assert.equal(s.method, "accept_all");
  assert.equal(s.categories.advertising, true);
});

test("refused categories' cookies never reach the origin; the consent cookie is not forwarded", async () => {
  const res = await mf.dispatchFetch("https://site.example/echo-cookies", {
    cf: DE, headers: { cookie: "session=abc; _ga=GA1.1.1.1; _ga_ABC123=GS1.1; _fbp=fb.1.2; __Host-consent=whatever" },
  });
  const { cookie } = await res.json();
  assert.equal(cookie, "session=abc");
  // Cookies known only to the tracker catalog (not in [[cookies]]) too.
  const res2 = await mf.dispatchFetch("https://site.example/echo-cookies", {
    cf: DE, headers: { cookie: "_gid=GA1.2.3; session=abc; _uetsid=x1" },
  });
  assert.equal((await res2.json()).cookie, "session=abc");
});

test("with everything accepted, the origin gets its cookies", async () => {
  const acc = await mf.dispatchFetch("https://site.example/__consent", {
    method: "POST", cf: DE, headers: { ...SAME, "content-type": "application/json" }, body: '{"action":"accept_all"}',
  });
  const c = consentCookie(acc).value;
  const res = await mf.dispatchFetch("https://site.example/echo-cookies", { cf: DE, headers: { cookie: `session=abc; _ga=GA1.1.1.1; __Host-consent=${c}` } });
  assert.equal((await res.json()).cookie, "session=abc; _ga=GA1.1.1.1");
});

test("origin Set-Cookies of refused categories are dropped, the rest arrive intact; refused cookies are expired", async () => {
  const res = await mf.dispatchFetch("https://site.example/sets-cookies.html", { cf: DE, headers: { cookie: "_ga=GA1.1.1.1; _clck=abc" } });
  const set = res.headers.getSetCookie();
  assert.ok(set.includes("session=abc; Path=/; HttpOnly"), JSON.stringify(set));
  assert.ok(set.includes("cart=3; Path=/; Secure"), "an unclassified cookie is kept: " + JSON.stringify(set));
  assert.ok(!set.includes("lang=de; Path=/"), "lang is functional (consent.toml inventory): dropped in opt-in");
  assert.ok(!set.some((c) => c.startsWith("_ga=GA1.1.123")), "the origin's _ga is dropped");
  assert.ok(!set.some((c) => c.startsWith("_fbp=fb")), "the origin's _fbp is dropped");
  const expired = set.filter((c) => /Max-Age=0/.test(c)).map((c) => c.split("=")[0]);
  assert.ok(expired.includes("_ga"), `expires _ga: ${JSON.stringify(set)}`);
  assert.ok(expired.includes("_clck"), `expires _clck: ${JSON.stringify(set)}`);
  await res.text();
});

test("withdrawal expires the cookies the visitor still carries (HttpOnly ones too)", async () => {
  const res = await mf.dispatchFetch("https://site.example/__consent", {
    method: "DELETE", cf: DE, headers: { ...SAME, cookie: "_ga=GA1.1.1.1; _fbp=fb.1.2; session=abc" },
  });
  const set = res.headers.getSetCookie();
  const expired = set.filter((c) => /Max-Age=0/.test(c)).map((c) => c.split("=")[0]);
  assert.ok(expired.includes("_ga") && expired.includes("_fbp"), JSON.stringify(set));
  assert.ok(!expired.includes("session"));
});

test("the dev geo override works only with DEV_GEO_OVERRIDE=true", async () => {
  let s = await state(DE, { "x-consent-geo": "US-CA" });
  assert.equal(s.jurisdiction, "eu", "ignored without the var");
  const dev = await startWorker({ ORIGIN: origin.url, DEV_GEO_OVERRIDE: "true" });
  try {
    let res = await dev.dispatchFetch("https://site.example/__consent", { cf: DE, headers: { "x-consent-geo": "US-CA" } });
    assert.equal((await res.json()).jurisdiction, "us-ca");
    res = await dev.dispatchFetch("https://site.example/__consent?__geo=JP", { cf: DE });
    const jp = await res.json();
    assert.equal(jp.model, "notice");
  } finally {
    await dev.dispose();
  }
});

test("unknown location is the strictest regime", async () => {
  // (a request without cf at all is covered natively: Miniflare always fills in a placeholder cf)
  for (const cf of [{ country: "XX" }, { country: "T1" }]) {
    const s = await state(cf);
    assert.equal(s.model, "opt-in", JSON.stringify(cf));
  }
});
