// Quick A/B of streaming shells on the corpus pages of 70-100 KB:
//   node bench/proto.mjs pass rs-byob ce:build ce:.var/other:US-WY
// Modes are bench/proto.js's, or "ce:<dir>[:geo]" for a consent-edge build
// directory inside the repo (workerd loads no module above its cwd). The
// first mode is the baseline; prints each one's median latency and the median
// over pages of its difference to the baseline. ROUNDS (5), NPAGES (40),
// COUNT=1 (also print how many chunks each reader sees).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const ROUNDS = Number(process.env.ROUNDS || 5);
const dir = path.join(ROOT, "node_modules/htmlparser-benchmark/files");
const pages = fs.readdirSync(dir).filter((f) => f.endsWith(".html")).sort().map((f) => ({ p: `/corpus/${f}`, b: fs.readFileSync(path.join(dir, f)) })).filter((x) => x.b.length >= 70 * 1024 && x.b.length <= 100 * 1024).slice(0, Number(process.env.NPAGES || 40));
const by = new Map(pages.map((x) => [x.p, x.b]));
const server = http.createServer((req, res) => {
  const b = by.get(new URL(req.url, "http://o").pathname);
  if (!b) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": b.length });
  res.end(b);
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1");
await once(server, "listening");
const ORIGIN = `http://127.0.0.1:${server.address().port}`;
const modes = process.argv.slice(2);
const inst = new Map();
async function start(mode) {
  if (mode.startsWith("ce:")) {
    const [, d] = mode.split(":");
    const mf = new Miniflare({ scriptPath: path.join(ROOT, d, "index.js"), modules: true, modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }], compatibilityDate: "2026-04-01", bindings: { ORIGIN, COOKIE_DOMAIN: "", DEV_GEO_OVERRIDE: "true", CONSENT_SECRET: "bench-secret-0123456789abcdef0123456789abcdef" } });
    return { mf, url: (await mf.ready).href, headers: { "x-consent-geo": mode.split(":")[2] || "DE" } };
  }
  const key = "proto";
  if (!inst.has(key)) {
    const mf = new Miniflare({ scriptPath: path.join(HERE, "proto.js"), modules: true, compatibilityDate: "2026-04-01", bindings: { ORIGIN } });
    inst.set(key, { mf, url: (await mf.ready).href });
  }
  return { ...inst.get(key), headers: { "x-proto": mode } };
}
// BROWSER=1: the request headers of a desktop Chrome navigation (13 more
// headers) instead of the bare minimum.
const BROWSER = process.env.BROWSER ? {
  accept: "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
  "accept-encoding": "gzip, deflate, br, zstd",
  "accept-language": "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
  "cache-control": "max-age=0",
  "sec-ch-ua": '"Chromium";v="131", "Not_A Brand";v="24"',
  "sec-ch-ua-mobile": "?0",
  "sec-ch-ua-platform": '"Linux"',
  "sec-fetch-dest": "document",
  "sec-fetch-mode": "navigate",
  "sec-fetch-site": "none",
  "sec-fetch-user": "?1",
  "upgrade-insecure-requests": "1",
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
} : {};
const ws = [];
for (const m of modes) { const w = await start(m); ws.push({ ...w, headers: { ...BROWSER, ...w.headers } }); }
const child = fork(path.join(HERE, "load.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
let seq = 0; const wait = new Map();
child.on("message", (m) => { const w = wait.get(m.id); wait.delete(m.id); m.ok ? w.res(m.out) : w.rej(new Error(m.error)); });
const call = (msg) => new Promise((res, rej) => { const id = ++seq; wait.set(id, { res, rej }); child.send({ ...msg, id }); });
if (process.env.COUNT) {
  for (const m of ["count", "count-byob"]) {
    const r = await new Promise((res) => http.get(new URL(pages[0].p, ws[0].url), { headers: { "x-proto": m } }, (rs) => { let s = ""; rs.on("data", (d) => (s += d)); rs.on("end", () => res(s)); }));
    console.log(m, pages[0].b.length, r.trim());
  }
}
const paths = pages.map((x) => x.p);
const lat = modes.map(() => new Map());
for (let i = 0; i < modes.length; i++) await call({ cmd: "block", base: ws[i].url, paths, headers: ws[i].headers, concurrency: 1 });
// SPLIT=1: the builds are instrumented ones answering `/__split` with their
// per-step time sums (reset on each read): drop the warm-up's.
const split = async (w) => {
  const r = await fetch(new URL("/__split", w.url), { headers: w.headers });
  const t = await r.text();
  return r.ok && t.startsWith("[") ? JSON.parse(t) : null;
};
if (process.env.SPLIT) for (const [i, m] of modes.entries()) if (m.startsWith("ce:")) { await split(ws[i]); await fetch(new URL("/__jsplit", ws[i].url)).catch(() => {}); }
for (let r = 0; r < ROUNDS; r++) {
  for (let c = 0; c < paths.length; c += 8) {
    const chunk = paths.slice(c, c + 8);
    const order = modes.map((_, i) => (i + r + c / 8) % modes.length);
    if ((r + c / 8) % 2) order.reverse();
    for (const i of order) {
      const o = await call({ cmd: "block", base: ws[i].url, paths: chunk, headers: ws[i].headers, concurrency: 1 });
      if (o.errors) throw new Error(`${modes[i]}: ${o.firstError}`);
      chunk.forEach((p, k) => { if (!lat[i].has(p)) lat[i].set(p, []); lat[i].get(p).push(o.ms[k]); });
    }
  }
}
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const pm = (i, p) => med(lat[i].get(p));
for (let i = 0; i < modes.length; i++) {
  const d = med(paths.map((p) => pm(i, p) - pm(0, p)));
  console.log(`${modes[i].padEnd(24)} p50 ${med(paths.map((p) => pm(i, p))).toFixed(2)} ms   vs ${modes[0]}: +${d.toFixed(2)} ms`);
}
// PAIRS="1:2,3:4": also the median over pages of mode 2's latency minus
// mode 1's (same pages, same rounds: an A/B that does not go through the
// baseline), with its ratio.
for (const pair of (process.env.PAIRS || "").split(",").filter(Boolean)) {
  const [a, b] = pair.split(":").map(Number);
  const d = med(paths.map((p) => pm(b, p) - pm(a, p)));
  const r = med(paths.map((p) => pm(b, p) / pm(a, p)));
  console.log(`${modes[b]} vs ${modes[a]}: ${d >= 0 ? "+" : ""}${d.toFixed(2)} ms per page (${r.toFixed(3)}×)`);
}
if (process.env.SPLIT) {
  const n = ROUNDS * paths.length;
  for (const [i, m] of modes.entries()) {
    if (!m.startsWith("ce:")) continue;
    console.log(`\n${m}: ms per request (${n} requests; Date.now() sums, 1 ms resolution, dithered) and calls`);
    const rows = await split(ws[i]);
    if (!rows) continue;
    const js = await fetch(new URL("/__jsplit", ws[i].url)).then((r) => r.json()).catch(() => null);
    if (js && js.n) console.log(`  JS fetch handler (entry → Response) ${(js.h / js.n).toFixed(3)} ms over ${js.n}`);
    for (const [name, sum, count] of rows) console.log(`  ${name.padEnd(26)} ${(sum / n).toFixed(3)}  ${count}`);
  }
}
child.send({ cmd: "close" });
for (const w of [...ws.map((w) => w.mf), ...[...inst.values()].map((x) => x.mf)]) await w.dispose().catch(() => {});
server.close(); server.closeAllConnections?.();
