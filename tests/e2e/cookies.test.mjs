// Issue 15 items 1, 3 and 4 over real requests in workerd: the consent
// cookie bound to its site and environment, RFC 6265 Set-Cookie
// enforcement, expiry on every parent domain and path, the residual audit.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startOrigin, startWorker, SECRET, consentToken } from "./harness.mjs";

let origin, prod, staging;
const SAME = { "sec-fetch-site": "same-origin", "content-type": "application/json" };
const DE = { country: "DE", regionCode: "BY", isEUCountry: "1", continent: "EU" };
const PAGE = "<!doctype html><html><head></head><body><div data-consent-status></div></body></html>";

before(async () => {
  const html = (req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(PAGE);
  };
  origin = await startOrigin({
    "/": html,
    "/shop/cart": html,
    "/rfc6265.html": (req, res) => {
      res.setHeader("content-type", "text/html");
      res.setHeader("set-cookie", [
        "session=abc; Path=/",
        // review B7: Max-Age wins over an Expires in the past
        "_ga=GA1.1.111.222; Path=/; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=63072000",
        "_gid=; Max-Age=0; Path=/",
        "_fbp=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "_fbp=; Path=/; Expires=Mon, 01 Jan 1000 00:00:00 GMT",
        "=_ga=GA1.1.1.1; Path=/",
        "_gid=GA1.2; Path=/; Expires=Fri, 01 Jan 2049 00:00:00 GMT",
      ]);
      res.end(PAGE);
    },
  });
  prod = await startWorker({ ORIGIN: origin.url });
  staging = await startWorker({ ORIGIN: origin.url, CONSENT_ENV: "staging" });
});

after(async () => {
  await prod?.dispose();
  await staging?.dispose();
  await origin?.close();
});

/** POSTs a decision on `host`; returns { name, value, id }. */
async function decide(w, host, action = "accept_all", cookie) {
  const res = await w.dispatchFetch(`https://${host}/__consent`, {
    method: "POST", cf: DE, headers: { ...SAME, "x-consent-token": consentToken({ host }), ...(cookie ? { cookie } : {}) }, body: JSON.stringify({ action }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  for (const c of res.headers.getSetCookie()) {
    const m = /^((?:__Host-|__Secure-)?consent)=([^;]+)/.exec(c);
    if (m) return { name: m[1], value: m[2], id: body.consent_id, set: res.headers.getSetCookie() };
  }
  throw new Error("no consent cookie");
}

async function state(w, host, cookie) {
  const res = await w.dispatchFetch(`https://${host}/__consent`, { cf: DE, headers: { cookie } });
  assert.equal(res.status, 200);
  return res.json();
}

/** A value signed as the module docs of src/consent/cookie.rs describe it (independent of the worker). */
function sign(payload, env, site, label = "consent-edge.v2.") {
  const len = (s) => { const b = Buffer.alloc(4); b.writeUInt32BE(Buffer.byteLength(s)); return b; };
  const h = createHmac("sha256", SECRET).update(label);
  if (label.endsWith("v2.")) h.update(len(env)).update(env).update(len(site)).update(site);
  return `${payload}.${h.update(payload).digest("base64url")}`;
}

test("the consent cookie is __Host- prefixed and counts only on the host that issued it", async () => {
  const c = await decide(prod, "www.example.com");
  assert.equal(c.name, "__Host-consent");
  const set = c.set.find((s) => s.startsWith("__Host-consent="));
  assert.match(set, /; Secure/);
  assert.match(set, /Path=\//);
  assert.doesNotMatch(set, /Domain=/i);
  assert.equal((await state(prod, "www.example.com", `__Host-consent=${c.value}`)).decided, true);
  // another host and a sibling subdomain: shown as undecided (no decision)
  for (const host of ["other.test", "shop.example.com"]) {
    const s = await state(prod, host, `__Host-consent=${c.value}`);
    assert.equal(s.decided, false, host);
    assert.equal(s.consent_id, null);
    // the banner is shown as for a first visit
    const page = await (await prod.dispatchFetch(`https://${host}/`, { cf: DE, headers: { cookie: `__Host-consent=${c.value}` } })).text();
    assert.match(page, /<p data-consent-field="undecided">/, host);
  }
  // a decision made there mints a new consent id: the tossed cookie's id is not inherited
  const there = await decide(prod, "shop.example.com", "reject_all", `__Host-consent=${c.value}`);
  assert.notEqual(there.id, c.id);
  const again = await decide(prod, "www.example.com", "reject_all", `__Host-consent=${c.value}`);
  assert.equal(again.id, c.id, "on its own host the id is kept");
});

test("a cookie of another environment sharing the secret is no decision, both ways", async () => {
  const p = await decide(prod, "www.example.com");
  const s = await decide(staging, "www.example.com");
  assert.equal((await state(staging, "www.example.com", `__Host-consent=${s.value}`)).decided, true);
  assert.equal((await state(staging, "www.example.com", `__Host-consent=${p.value}`)).decided, false);
  assert.equal((await state(prod, "www.example.com", `__Host-consent=${s.value}`)).decided, false);
});

test("the binding as documented: env and site in the MAC; version 1 values are no decision", async () => {
  const now = Math.floor(Date.now() / 1000) - 5;
  const payload = `2.f.1.${now}.AAAAAAAAAAAAAAAAAAAAAA.a.eu.0`;
  const ok = await state(prod, "www.example.com", `__Host-consent=${sign(payload, "production", "h:www.example.com")}`);
  assert.equal(ok.decided, true, "the documented MAC input verifies");
  assert.equal(ok.consent_id, "AAAAAAAAAAAAAAAAAAAAAA");
  for (const [env, site] of [["production", "h:shop.example.com"], ["staging", "h:www.example.com"], ["production", "d:example.com"]]) {
    const s = await state(prod, "www.example.com", `__Host-consent=${sign(payload, env, site)}`);
    assert.equal(s.decided, false, `${env} ${site}`);
  }
  const v1 = sign(`1.f.1.${now}.AAAAAAAAAAAAAAAAAAAAAA.a.eu.0`, "", "", "consent-edge.v1.");
  assert.equal((await state(prod, "www.example.com", `__Host-consent=${v1}`)).decided, false);
  assert.equal((await state(prod, "www.example.com", `consent=${v1}`)).decided, false);
});

test("COOKIE_DOMAIN: __Secure- prefixed, shared under the domain, not elsewhere", async () => {
  const w = await startWorker({ ORIGIN: origin.url, COOKIE_DOMAIN: "example.com" });
  try {
    const c = await decide(w, "www.example.com");
    assert.equal(c.name, "__Secure-consent");
    assert.equal((await state(w, "shop.example.com", `__Secure-consent=${c.value}`)).decided, true);
    // the same value on another deployment's host-only name: no decision
    assert.equal((await state(prod, "www.example.com", `__Host-consent=${c.value}`)).decided, false);
  } finally {
    await w.dispose();
  }
});

test("Set-Cookie enforcement follows RFC 6265", async () => {
  const res = await prod.dispatchFetch("https://www.example.com/rfc6265.html", { cf: DE });
  const set = res.headers.getSetCookie();
  const show = JSON.stringify(set);
  assert.ok(set.includes("session=abc; Path=/"), show);
  assert.ok(!set.some((c) => c.startsWith("_ga=GA1.1.111")), "Max-Age wins over a past Expires: " + show);
  assert.ok(set.includes("_gid=; Max-Age=0; Path=/"), "a Max-Age=0 deletion passes: " + show);
  assert.ok(set.includes("_fbp=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"), "an Expires deletion passes: " + show);
  assert.ok(!set.some((c) => c.includes("01 Jan 1000")), "a year before 1601 is a session cookie: " + show);
  assert.ok(!set.some((c) => c.startsWith("=_ga")), "nameless: " + show);
  assert.ok(!set.some((c) => c.startsWith("_gid=GA1.2")), "a future Expires: " + show);
});

test("refused cookies are expired host-only and on every parent domain, on the URL's path prefixes", async () => {
  for (const host of ["www.example.com", "shop.example.com"]) {
    const res = await prod.dispatchFetch(`https://${host}/shop/cart`, { cf: DE, headers: { cookie: "_ga=GA1.1.1.1; session=1" } });
    const set = res.headers.getSetCookie().filter((c) => c.startsWith("_ga=;"));
    const places = new Set(set.map((c) => `${/Domain=([^;]+)/i.exec(c)?.[1] ?? "host-only"} ${/Path=([^;]+)/.exec(c)[1]}`));
    for (const d of ["host-only", host, "example.com"]) {
      for (const p of ["/", "/shop", "/shop/", "/shop/cart"]) assert.ok(places.has(`${d} ${p}`), `${host}: ${d} ${p} in ${[...places]}`);
    }
    assert.ok(set.every((c) => /Max-Age=0/.test(c) && /HttpOnly/.test(c) && /Secure/.test(c)));
    assert.ok(!res.headers.getSetCookie().some((c) => c.startsWith("session=")), "unknown cookies untouched");
  }
  // a multi-label public suffix: down to example.co.uk, never co.uk
  const res = await prod.dispatchFetch("https://shop.example.co.uk/", { cf: DE, headers: { cookie: "_fbp=fb.1" } });
  const domains = res.headers.getSetCookie().filter((c) => c.startsWith("_fbp=;")).map((c) => /Domain=([^;]+)/i.exec(c)?.[1] ?? "host-only");
  assert.deepEqual([...new Set(domains)].sort(), ["example.co.uk", "host-only", "shop.example.co.uk"]);
});

test("withdrawal expires refused cookies on the parent domain at once", async () => {
  const c = await decide(prod, "www.example.com");
  const res = await prod.dispatchFetch("https://www.example.com/__consent", {
    method: "DELETE", cf: DE, headers: { ...SAME, "x-consent-token": consentToken({ host: "www.example.com" }), cookie: `__Host-consent=${c.value}; _ga=GA1.1.1.1` },
  });
  const set = res.headers.getSetCookie();
  assert.ok(set.some((c) => c.startsWith("_ga=;") && /Domain=example\.com/i.test(c)), JSON.stringify(set));
  assert.ok(set.some((c) => c.startsWith("_ga=;") && !/Domain=/i.test(c)), JSON.stringify(set));
});

test("residual: refused cookies that still arrive after a refusal are expired again and shown", async () => {
  const c = await decide(prod, "www.example.com", "reject_all", "_ga=GA1.1.1.1");
  const cookie = `__Host-consent=${c.value}; _ga=GA1.1.1.1; _fbp=fb.1; session=1`;
  const s = await state(prod, "www.example.com", cookie);
  assert.equal(s.decided, true);
  assert.equal(s.residual, 2);
  const res = await prod.dispatchFetch("https://www.example.com/", { cf: DE, headers: { cookie } });
  assert.ok(res.headers.getSetCookie().some((c) => c.startsWith("_ga=;") && /Domain=example\.com/i.test(c)), "expired again");
  const html = await res.text();
  assert.match(html, /data-consent-field="residual" data-count="2">[^<]*2<\/p>/);
  // once they are gone, nothing is shown
  const clean = await prod.dispatchFetch("https://www.example.com/", { cf: DE, headers: { cookie: `__Host-consent=${c.value}; session=1` } });
  assert.doesNotMatch(await clean.text(), /data-consent-field="residual"/);
  assert.equal((await state(prod, "www.example.com", `__Host-consent=${c.value}`)).residual, 0);
});
