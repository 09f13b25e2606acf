// Test harness: a loopback origin serving fixture pages, and the built worker
// (src/entry.mjs + build/index.js + wasm) running inside workerd through Miniflare.
import http from "node:http";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

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
