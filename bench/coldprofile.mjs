// CPU profile of consent-edge's first request after `ready` (issue 16
// item 1): `node bench/coldprofile.mjs [build-dir]` (default build/; the
// directory must be inside the repo). Starts one workerd through Miniflare
// with its inspector on, starts V8's sampling profiler after `ready`, sends
// `GET /demo/index.html` (x-consent-geo: DE) against a loopback origin
// serving demo/index.html, and prints the self time per function. For wasm
// function names, profile a build that keeps the name section
// (`worker-build --release --out-dir bench-builds/named`, without the
// Makefile's wasm-opt --strip-debug). The profiler slows the request down:
// compare shares, not milliseconds. Results: docs/BENCHMARKS.md "Startup
// (stop 12)".
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import WebSocket from "ws";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const build = path.resolve(ROOT, process.argv[2] || "build");
const INSPECTOR = 9239;

const page = fs.readFileSync(path.join(ROOT, "demo/index.html"));
const origin = http.createServer((_, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(page);
});
await new Promise((r) => origin.listen(0, "127.0.0.1", r));
const mf = new Miniflare({
  compatibilityDate: "2026-04-01",
  scriptPath: path.join(build, "index.js"),
  modules: true,
  modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
  bindings: {
    ORIGIN: `http://127.0.0.1:${origin.address().port}`,
    COOKIE_DOMAIN: "",
    DEV_GEO_OVERRIDE: "true",
    CONSENT_SECRET: "bench-secret-0123456789abcdef0123456789abcdef",
  },
  inspectorPort: INSPECTOR,
});
const url = await mf.ready;
const [target] = await (await fetch(`http://127.0.0.1:${INSPECTOR}/json/list`)).json();
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((r) => ws.on("open", r));
let seq = 0;
const waiting = new Map();
ws.on("message", (m) => {
  const d = JSON.parse(m);
  waiting.get(d.id)?.(d);
  waiting.delete(d.id);
});
const send = (method, params = {}) =>
  new Promise((r) => {
    waiting.set(++seq, r);
    ws.send(JSON.stringify({ id: seq, method, params }));
  });

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
const t0 = performance.now();
const res = await fetch(new URL("/demo/index.html", url), { headers: { "x-consent-geo": "DE" } });
await res.arrayBuffer();
const ms = performance.now() - t0;
const { profile } = (await send("Profiler.stop")).result;

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const f = nodes.get(id).callFrame;
  const name = f.functionName || `(${path.basename(f.url) || "anonymous"})`;
  const dt = profile.timeDeltas[i] || 0;
  self.set(name, (self.get(name) || 0) + dt);
  total += dt;
});
console.log(`first request: ${res.status} in ${ms.toFixed(1)} ms (profiled); ${(total / 1000).toFixed(1)} ms sampled\n`);
console.log("| self ms | function |\n|---:|---|");
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`| ${(us / 1000).toFixed(1)} | ${name.slice(0, 120)} |`);
}
ws.close();
await mf.dispose();
origin.close();
