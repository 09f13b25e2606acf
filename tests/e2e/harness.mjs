// Test harness: a loopback origin serving fixture pages, and the built worker
// (src/entry.mjs + build/index.js + wasm) running inside workerd through Miniflare.
import http from "node:http";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SECRET = "e2e-secret-0123456789abcdef0123456789abcdef";

/**
 * Starts a loopback HTTP origin. `routes` maps a path to a handler
 * (req, res) => void; unknown paths answer 404. Every request is recorded.
 */
export async function startOrigin(routes) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://origin");
    requests.push({ method: req.method, url: req.url, headers: req.headers });
    const handler = routes[url.pathname];
    if (!handler) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
      return;
    }
    handler(req, res, url);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

/** Runs the built worker in workerd with the given vars/secrets. */
export async function startWorker(bindings = {}, extra = {}) {
  const mf = new Miniflare({
    // The entry as deployed: src/entry.mjs importing the built build/index.js.
    scriptPath: path.join(ROOT, "src/entry.mjs"),
    modules: true,
    modulesRoot: ROOT,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-01",
    bindings: {
      ORIGIN: "",
      COOKIE_DOMAIN: "",
      DEV_GEO_OVERRIDE: "false",
      CONSENT_SECRET: SECRET,
      ...bindings,
    },
    // The consent-write rate limiter (wrangler.toml [[ratelimits]]), generous
    // here so tests that post many decisions are not limited; the flood
    // test passes its own small limit in `extra`.
    ratelimits: { CONSENT_WRITES: { simple: { limit: 1000, period: 60 } } },
    ...extra,
  });
  await mf.ready;
  return mf;
}

/** Reads a fetch Response body fully into a Buffer. */
export async function bytes(res) {
  return Buffer.from(await res.arrayBuffer());
}

/**
 * GETs `path` from the worker over a raw HTTP socket (Miniflare's
 * dispatchFetch coalesces body chunks, so streaming is observed here) and
 * returns each body chunk with its arrival time.
 */
export async function rawChunks(mf, path, headers = {}) {
  const base = await mf.ready;
  return new Promise((resolve, reject) => {
    http
      .get(new URL(path, base), { headers }, (res) => {
        const chunks = [];
        res.on("data", (d) => chunks.push({ at: performance.now(), text: d.toString("utf8") }));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, chunks }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/**
 * The per-render consent token (src/consent/token.rs) the worker would put
 * into its banner on `host` for `path`, minted here with the e2e secret —
 * for tests that post to /__consent without rendering a page first, and for
 * tokens no banner would carry (an old `iat`, another host or secret).
 * Format: `1.<iat>.<page>.<nonce>.<mac>`.
 */
export function consentToken({ host = "site.example", path = "/", iat = Math.floor(Date.now() / 1000), secret = SECRET, nonce = crypto.randomBytes(12) } = {}) {
  const b64 = (b) => Buffer.from(b).toString("base64url");
  const page = b64(crypto.createHash("sha256").update(path.split(/[?#]/)[0] || "/").digest().subarray(0, 12));
  const signed = `1.${iat}.${page}.${b64(nonce)}`;
  const mac = crypto.createHmac("sha256", secret).update("consent-edge.token.v1\0").update(host.toLowerCase().replace(/\.$/, "")).update("\n").update(signed).digest();
  return `${signed}.${b64(mac)}`;
}

/** The token of the banner in a rendered page (`data-form-token` on its root), as the banner's script reads it. */
export function tokenFromPage(html) {
  const m = /<aside id="consent-edge"[^>]*\sdata-form-token="([^"]*)"/.exec(html);
  return m ? m[1] : null;
}

/**
 * A fresh local D1 directory with `migrations/` applied by wrangler itself
 * (`wrangler d1 migrations apply --local`), and the Miniflare options that
 * bind it as `DB`. Remove `dir` with `rmSync(dir, { recursive: true, force: true })`.
 */
export function migratedD1() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "consent-d1-"));
  execFileSync(path.join(ROOT, "node_modules/.bin/wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], {
    cwd: ROOT, env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" }, stdio: "pipe",
  });
  return { dir, options: { d1Databases: { DB: "00000000-0000-0000-0000-000000000000" }, d1Persist: path.join(dir, "v3/d1") } };
}

/** Work the worker leaves to `waitUntil` ends after the response: polls `fn` until truthy (bounded), or fails naming `what`. */
export async function eventually(fn, what) {
  for (let i = 0; i < 100; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
