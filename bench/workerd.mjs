// `make bench`: consent-edge in the real runtime (workerd, through Miniflare),
// side by side with a pass-through Worker (the floor) and a JavaScript Worker
// doing the same job on the runtime's native HTMLRewriter (bench/rewriter.js).
//
// One loopback origin (this process) serves the same pages to all three; a
// second Node process (bench/load.mjs) generates the load over raw HTTP to
// each Miniflare instance's own socket. Results go to docs/BENCHMARKS.md
// (section "## In workerd") and docs/bench-latency.svg.
//
// Environment knobs (all optional):
//   BENCH_QUICK=1          short run for harness development (few pages, 2 rounds)
//   BENCH_ROUNDS=n         measured rounds over the page set (default 10)
//   BENCH_CONCURRENCY=n    requests in flight per block (default 1)
//   BENCH_STREAM_MB=n      size of the generated streaming page (default 100)
//   BENCH_COLD=n           cold starts per worker (default 5)
//   TRACKERS_TOML=path     catalog to give the JS worker (default ./trackers.toml)
//   BENCH_SHARED="text"    note that the machine was shared while measuring
//   BENCH_DOC=path         where to write (default docs/BENCHMARKS.md)
//   BENCH_ONLY=cold        measure only the cold starts (each worker BENCH_COLD times,
//                          default 9 here, through Miniflare and in bare workerd:
//                          bench/bare.mjs), print them and stop; nothing is written
//   BENCH_CE_BUILD=dir     benchmark another consent-edge build inside the repo (workerd
//                          will not load modules above its cwd), e.g. one made
//                          with worker-build --out-dir and a different opt-level)
//   BENCH_CE_BUILDS=list   with BENCH_ONLY=cold: several consent-edge builds in one run,
//                          comma-separated `label=dir` (dir inside the repo), each
//                          optionally with extra bindings `label=dir?NAME=value&…`;
//                          every iteration starts each worker once, in turn (pass-through,
//                          JS, then the builds), so load drifts hit all rows alike
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fork, execFileSync } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { parseToml } from "./toml.mjs";
import { latencyChart } from "./svg.mjs";
import { wasmBreakdown } from "./wasmsize.mjs";
import { startBare } from "./bare.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const QUICK = process.env.BENCH_QUICK === "1";
const ROUNDS = Number(process.env.BENCH_ROUNDS || (QUICK ? 2 : 10));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 1);
const STREAM_MB = Number(process.env.BENCH_STREAM_MB || (QUICK ? 20 : 100));
const ONLY_COLD = process.env.BENCH_ONLY === "cold";
const COLD_N = Number(process.env.BENCH_COLD || (ONLY_COLD ? 9 : QUICK ? 2 : 5));
const CHUNK_PAGES = 16; // pages per A/B block: configs alternate every CHUNK_PAGES requests
const STALL_MS = 1500;
const DOC = path.resolve(ROOT, process.env.BENCH_DOC || "docs/BENCHMARKS.md");
const SVG = path.join(path.dirname(DOC), "bench-latency.svg");
const CE_BUILD = path.resolve(ROOT, process.env.BENCH_CE_BUILD || "build");
const SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
const COMPAT = "2026-04-01";
const ALL_GRANTED = "functional,analytics,advertising";
const BUCKETS = [
  { name: "< 16 KB", max: 16 * 1024 },
  { name: "16–64 KB", max: 64 * 1024 },
  { name: "64–256 KB", max: 256 * 1024 },
  { name: "> 256 KB", max: Infinity },
];

const log = (...a) => console.log("[bench]", ...a);
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;

// ---------------------------------------------------------------- inputs

function loadCatalog() {
  const file = process.env.TRACKERS_TOML || path.join(ROOT, "trackers.toml");
  if (!fs.existsSync(file)) {
    throw new Error(`no tracker catalog at ${file}: the JS HTMLRewriter worker needs the same hosts as consent-edge (set TRACKERS_TOML=path)`);
  }
  const doc = parseToml(fs.readFileSync(file, "utf8"));
  const vendors = (doc.vendor || []).map((v) => ({ id: v.id, category: v.category, hosts: v.hosts || [], scripts: v.scripts || [] }));
  if (!vendors.length) throw new Error(`${file} has no [[vendor]] entries`);
  const rel = path.relative(ROOT, file);
  return { file: rel.startsWith("..") ? `${file} (TRACKERS_TOML)` : rel, vendors };
}

function loadPages() {
  const dir = path.join(ROOT, "node_modules/htmlparser-benchmark/files");
  const pages = [];
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".html")).sort()) {
    pages.push({ path: `/corpus/${f}`, body: fs.readFileSync(path.join(dir, f)), source: "corpus" });
  }
  for (const f of fs.readdirSync(path.join(ROOT, "demo")).filter((f) => f.endsWith(".html")).sort()) {
    pages.push({ path: `/demo/${f}`, body: fs.readFileSync(path.join(ROOT, "demo", f)), source: "demo" });
  }
  for (const p of pages) {
    p.size = p.body.length;
    p.bucket = BUCKETS.findIndex((b) => p.size < b.max);
  }
  return pages;
}

function machine() {
  const cpu = fs.readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpu)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  const mhz = /^cpu MHz\s*:\s*(.+)$/m.exec(cpu)?.[1];
  let nproc = os.availableParallelism?.() ?? os.cpus().length;
  try {
    nproc = Number(execFileSync("nproc", { encoding: "utf8" }).trim());
  } catch {}
  const version = (p) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", p, "package.json"), "utf8")).version;
    } catch {
      return "?";
    }
  };
  return {
    nproc,
    model: mhz ? `${model} (${Number(mhz).toFixed(0)} MHz)` : model,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    miniflare: version("miniflare"),
    workerd: version("workerd"),
    load: os.loadavg().map((x) => x.toFixed(2)).join(" "),
  };
}

// ---------------------------------------------------------------- origin

/** A 100 MB-class HTML page, generated on the fly with backpressure. */
function bigBlock(i) {
  return (
    `<div class="item" id="i${i}"><h2>Item ${i}</h2>` +
    `<p>${"Parcel tracking and delivery windows for the region, updated every morning. ".repeat(6)}</p>` +
    `<img src="https://www.facebook.com/tr?id=${i}&amp;ev=PageView" width="1" height="1" alt="">` +
    `<script async src="https://www.googletagmanager.com/gtag/js?id=G-${i}"></script>` +
    `<script>gtag('config', 'G-${i}');</script>` +
    `<a href="/item/${i}" ping="https://www.google-analytics.com/collect?i=${i}">details</a>` +
    `<iframe src="https://www.youtube.com/embed/v${i}" title="video"></iframe>` +
    `<img src="/img/${i}.png" alt="item ${i}"><script src="/assets/item.js"></script></div>\n`
  );
}

async function startOrigin(pages) {
  const byPath = new Map(pages.map((p) => [p.path, p]));
  const stream = { sent: 0 };
  const cached = { fetches: 0 };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://origin");
    // `/cached/<page>`: the same page, marked cacheable for shared caches (the edge cache row).
    const isCached = url.pathname.startsWith("/cached/");
    const page = byPath.get(isCached ? url.pathname.slice("/cached".length) : url.pathname);
    if (page) {
      const cc = isCached ? { "cache-control": "public, max-age=3600" } : {};
      if (isCached) cached.fetches++;
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": page.size, ...cc });
      res.end(page.body);
      return;
    }
    if (url.pathname === "/big.html") {
      const total = Number(url.searchParams.get("mb") || 100) * 1024 * 1024;
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      stream.sent = 0;
      const head = "<!doctype html><html><head><meta charset=utf-8><title>big</title></head><body>\n";
      res.write(head);
      stream.sent += head.length;
      let i = 0;
      while (stream.sent < total) {
        let piece = "";
        while (piece.length < 64 * 1024) piece += bigBlock(i++);
        stream.sent += piece.length;
        if (!res.write(piece)) await once(res, "drain");
        if (res.destroyed) return;
      }
      res.end("</body></html>\n");
      return;
    }
    if (url.pathname === "/stall.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.write(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>stall</title>" +
          '<link rel="preconnect" href="https://www.google-analytics.com">' +
          '<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>' +
          "<link rel=stylesheet href=/site.css>\n",
      );
      const t = setTimeout(() => res.end("</head><body><h1>late body</h1></body></html>"), STALL_MS);
      res.on("close", () => clearTimeout(t));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stream,
    cached,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

// ---------------------------------------------------------------- workers

/** PIDs of this process's workerd children. */
function workerdChildren() {
  const out = new Set();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (ppid === process.pid && comm.includes("workerd")) out.add(Number(d));
    } catch {}
  }
  return out;
}

function rssMiB(pid) {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const KINDS = {
  pass: { label: "pass-through", options: () => ({ scriptPath: path.join(HERE, "passthrough.js"), modules: true }) },
  jss: { label: "JS-streamed pass-through", options: () => ({ scriptPath: path.join(HERE, "jsstream.js"), modules: true }) },
  jsb: { label: "JS-streamed pass-through, BYOB reads", options: () => ({ scriptPath: path.join(HERE, "jsstream-byob.js"), modules: true }) },
  js: {
    label: "JS HTMLRewriter",
    options: (ctx) => ({ scriptPath: path.join(HERE, "rewriter.js"), modules: true, bindings: { CATALOG: ctx.catalog.vendors } }),
  },
  ce: {
    label: "consent-edge",
    options: () => ({
      scriptPath: path.join(CE_BUILD, "index.js"),
      modules: true,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
      bindings: { COOKIE_DOMAIN: "", DEV_GEO_OVERRIDE: "true", CONSENT_SECRET: SECRET, ADMIN_TOKEN: "bench-admin-token" },
    }),
  },
};

// consent-edge is started the way the e2e tests start it (tests/e2e/harness.mjs
// startWorker), so bindings the lead adds there (D1, queues) apply here too.
let e2eStartWorker = null;
try {
  ({ startWorker: e2eStartWorker } = await import("../tests/e2e/harness.mjs"));
} catch {}

/** Starts one worker kind in its own workerd; returns { mf, url, pid, readyMs }. */
async function startKind(kind, ctx, extraBindings = {}, variant = kind) {
  const opts = KINDS[variant].options(ctx);
  const bindings = { ORIGIN: ctx.origin.url, ...(opts.bindings || {}), ...extraBindings };
  const before = workerdChildren();
  const t0 = performance.now();
  const mf = kind === "ce" && typeof e2eStartWorker === "function" ? await e2eStartWorker(bindings, { scriptPath: opts.scriptPath, modulesRoot: path.dirname(opts.scriptPath) }) : new Miniflare({ compatibilityDate: COMPAT, ...opts, bindings });
  const url = await mf.ready;
  const readyMs = performance.now() - t0;
  const pid = [...workerdChildren()].find((p) => !before.has(p)) ?? null;
  return { mf, url: url.href, pid, readyMs, t0 };
}

/** One raw HTTP request from this process; resolves with status, headers, body. */
function request(base, p, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(p, base), { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (d) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), at: performance.now() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A signed "accept all" consent cookie from consent-edge, or null when the endpoint is not there yet. */
async function acceptAllCookie(ce) {
  try {
    const body = JSON.stringify({ action: "accept_all" });
    // The per-render token, as a browser gets it: from the rendered banner.
    const page = (await request(ce.url, "/demo/index.html", { headers: { "x-consent-geo": "DE" } })).body.toString("utf8");
    const token = /<aside id="consent-edge"[^>]*\sdata-form-token="([^"]*)"/.exec(page)?.[1] ?? "";
    const res = await request(ce.url, "/__consent", {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "sec-fetch-site": "same-origin", "x-consent-geo": "DE", "x-consent-token": token, "content-length": Buffer.byteLength(body) },
    });
    const set = res.headers["set-cookie"] || [];
    if (res.status >= 300 || !set.length) return { cookie: null, why: `POST /__consent answered ${res.status} without Set-Cookie` };
    return { cookie: set.map((c) => c.split(";")[0].trim()).join("; "), why: null };
  } catch (e) {
    return { cookie: null, why: `POST /__consent failed: ${e.message}` };
  }
}

// ---------------------------------------------------------------- load process

function startLoad() {
  const child = fork(path.join(HERE, "load.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let seq = 0;
  const waiting = new Map();
  child.on("message", (m) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.out);
    else w.reject(new Error(m.error));
  });
  child.on("exit", (code) => {
    for (const w of waiting.values()) w.reject(new Error(`load process exited (${code})`));
  });
  return {
    call: (msg) => new Promise((resolve, reject) => {
      const id = ++seq;
      waiting.set(id, { resolve, reject });
      child.send({ ...msg, id });
    }),
    close: () => { child.send({ cmd: "close" }); },
  };
}

// ---------------------------------------------------------------- statistics

const sorted = (xs) => Float64Array.from(xs).sort();
function pct(xs, p) {
  if (!xs.length) return NaN;
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const median = (xs) => pct(xs, 50);
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "n/a");
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffle(xs, rand) {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// ---------------------------------------------------------------- measurements

async function wasmSizes() {
  const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;
  const out = { rows: [], notes: [] };
  const shipped = path.join(CE_BUILD, "index_bg.wasm");
  const raw = path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, "target"), "wasm32-unknown-unknown/release/consent_edge.wasm");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ce-wasm-"));
  try {
    if (!fs.existsSync(raw)) throw new Error(`${raw} missing (run make build)`);
    const bindgen = process.env.WASM_BINDGEN_BIN || "wasm-bindgen";
    // Same wasm-bindgen step worker-build runs, without its wasm-opt pass.
    execFileSync(bindgen, ["--target", "module", "--no-typescript", "--out-name", "index", "--experimental-reset-state-function", "--force-enable-abort-handler", "--out-dir", tmp, raw], { stdio: "pipe", timeout: 120_000 });
    const unopt = fs.readFileSync(path.join(tmp, "index_bg.wasm"));
    out.rows.push({ what: "wasm-bindgen output, no wasm-opt", raw: unopt.length, gz: gz(unopt) });
  } catch (e) {
    out.notes.push(`un-optimised size not measured: ${String(e.message).split("\n")[0]}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (fs.existsSync(shipped)) {
    const b = fs.readFileSync(shipped);
    out.rows.push({ what: `shipped ${path.relative(ROOT, shipped)} (worker-build's wasm-opt -Oz, then the Makefile's --strip-debug --strip-producers)`, raw: b.length, gz: gz(b) });
    try {
      const bd = wasmBreakdown(b);
      // Each section gzipped on its own: roughly what it adds to the download.
      out.sections = bd.sections.map((sec) => ({ name: sec.name, raw: sec.end - sec.start, gz: gz(b.subarray(sec.start, sec.end)) })).filter((x) => x.raw >= 1024);
      out.crates = bd.named ? bd.crates.slice(0, 14) : null;
      const names = bd.sections.find((x) => x.name === "custom:name");
      if (names) {
        const rest = Buffer.concat([b.subarray(0, names.start), b.subarray(names.end)]);
        out.rows.push({ what: "shipped wasm without its name section (e.g. wasm-opt --strip-debug)", raw: rest.length, gz: gz(rest) });
      }
    } catch (e) {
      out.notes.push(`breakdown failed: ${e.message}`);
    }
  }
  const js = path.join(CE_BUILD, "index.js");
  if (fs.existsSync(js)) {
    const b = fs.readFileSync(js);
    out.rows.push({ what: `${path.relative(ROOT, js)} (JS glue)`, raw: b.length, gz: gz(b) });
  }
  return out;
}

/** The consent-edge builds of a cold-start-only run (BENCH_CE_BUILDS), else the one build. */
function coldBuilds() {
  const list = process.env.BENCH_CE_BUILDS;
  if (!list) return [{ kind: "ce", label: KINDS.ce.label, extra: {} }];
  return list.split(",").map((item) => {
    const eq = item.indexOf("=");
    const [label, rest] = eq < 0 ? [item, item] : [item.slice(0, eq), item.slice(eq + 1)];
    const [dir, query = ""] = rest.split("?");
    const build = path.resolve(ROOT, dir);
    if (!fs.existsSync(path.join(build, "index.js"))) throw new Error(`${build}/index.js missing`);
    const kind = `ce:${label}`;
    KINDS[kind] = { label: `consent-edge ${label}`, options: (ctx) => ({ ...KINDS.ce.options(ctx), scriptPath: path.join(build, "index.js") }) };
    return { kind, label, extra: Object.fromEntries(new URLSearchParams(query)) };
  });
}

/** The same worker in bare workerd (bench/bare.mjs): its modules and bindings. */
function startBareKind(kind, ctx, extraBindings, variant) {
  const opts = KINDS[variant].options(ctx);
  const dir = path.dirname(opts.scriptPath);
  const extra = kind === "ce" ? fs.readdirSync(dir).filter((f) => f.endsWith(".wasm")).map((f) => path.join(dir, f)) : [];
  const bindings = { ORIGIN: ctx.origin.url, ...(opts.bindings || {}), ...extraBindings };
  return startBare({ main: opts.scriptPath, extra, bindings, compatibilityDate: COMPAT });
}

/** `GET /demo/index.html` from Germany, timed to its last byte after `w.readyMs`. */
async function firstRequest(w, kind) {
  const res = await request(w.url, "/demo/index.html", { headers: { "x-consent-geo": "DE" } });
  if (res.status !== 200) throw new Error(`cold start ${kind}: status ${res.status}`);
  return res.at - w.t0 - w.readyMs;
}

async function coldStarts(ctx) {
  // Alternated: each iteration starts every worker once, in turn, through
  // Miniflare (its entry worker in front) and then in bare workerd.
  const kinds = [{ kind: "pass", extra: {} }, { kind: "js", extra: {} }, ...coldBuilds()];
  const runs = kinds.map(() => ({ ready: [], first: [], bareReady: [], bareFirst: [] }));
  for (let i = 0; i < COLD_N; i++) {
    for (const [k, { kind, extra }] of kinds.entries()) {
      const base = kind.startsWith("ce") ? "ce" : kind;
      const w = await startKind(base, ctx, extra, kind);
      runs[k].first.push(await firstRequest(w, kind));
      runs[k].ready.push(w.readyMs);
      await w.mf.dispose();
      const b = await startBareKind(base, ctx, extra, kind);
      runs[k].bareFirst.push(await firstRequest(b, kind));
      runs[k].bareReady.push(b.readyMs);
      await b.stop();
    }
  }
  const summary = (ready, first) => ({ ready: median(ready), first: median(first), total: median(ready.map((r, i) => r + first[i])) });
  return kinds.map(({ kind }, k) => {
    const { ready, first, bareReady, bareFirst } = runs[k];
    return { kind, ...summary(ready, first), bare: summary(bareReady, bareFirst) };
  });
}

/** The cold-start tables: through Miniflare, and in bare workerd. */
function coldTables(cold) {
  const head = ["worker", "ready ms", "first request ms", "total ms"];
  const row = (label, c) => [label, fmt(c.ready, 0), fmt(c.first, 1), fmt(c.total, 0)];
  return {
    miniflare: table(head, cold.map((c) => row(KINDS[c.kind].label, c))),
    bare: table(head, cold.map((c) => row(KINDS[c.kind].label, c.bare))),
  };
}

async function memory(ctx, load, configs) {
  const rows = [];
  for (const cfg of configs) {
    const w = ctx.workers[cfg.kind];
    const samples = [];
    const sample = () => samples.push({ sent: ctx.origin.stream.sent, rss: rssMiB(w.pid) });
    ctx.origin.stream.sent = 0;
    sample();
    const timer = setInterval(sample, 50);
    const res = await load.call({ cmd: "get", base: w.url, path: `/big.html?mb=${STREAM_MB}`, headers: cfg.headers });
    clearInterval(timer);
    sample();
    const total = STREAM_MB * 1024 * 1024;
    const base = samples[0].rss;
    const afterWarm = samples.find((s) => s.sent >= total * 0.1)?.rss ?? base;
    const peak = Math.max(...samples.map((s) => s.rss));
    const late = samples.filter((s) => s.sent >= total * 0.1).map((s) => s.rss);
    rows.push({
      label: cfg.label,
      status: res.status,
      outMiB: res.bytes / 2 ** 20,
      chunkKiB: res.bytes / 1024 / Math.max(1, res.chunks),
      mbps: res.bytes / 2 ** 20 / (res.ms / 1000),
      base,
      afterWarm,
      peak,
      growth: Math.max(...late, afterWarm) - afterWarm,
      curve: [0.1, 0.3, 0.5, 0.7, 0.9, 1].map((f) => samples.find((s) => s.sent >= total * f)?.rss ?? samples.at(-1).rss),
    });
  }
  return rows;
}

async function ttfb(ctx, load, configs) {
  const rows = [];
  for (const cfg of configs) {
    const w = ctx.workers[cfg.kind];
    const first = [];
    const head = [];
    const total = [];
    for (let i = 0; i < 3; i++) {
      const r = await load.call({ cmd: "get", base: w.url, path: "/stall.html", headers: cfg.headers });
      first.push(r.firstByteMs);
      head.push(r.headersMs);
      total.push(r.ms);
    }
    rows.push({ label: cfg.label, headers: median(head), first: median(first), total: median(total) });
  }
  return rows;
}

/** Demo index.html through each config: how many elements were neutralised. */
async function sanity(ctx, configs) {
  const rows = [];
  for (const cfg of configs) {
    const w = ctx.workers[cfg.kind];
    const res = await request(w.url, "/demo/index.html", { headers: cfg.headers });
    const html = res.body.toString("utf8");
    rows.push({
      label: cfg.label,
      status: res.status,
      neutralised: (html.match(/<[a-z][^>]*\sdata-consent-(?:vendor|category|src|href|ping)=[^>]*>/gi) || []).length,
      textPlain: (html.match(/type="text\/plain"/g) || []).length,
      bytes: res.body.length,
    });
  }
  return rows;
}

// ---------------------------------------------------------------- edge cache

/**
 * Issue 16 item 4: the same cacheable pages (`/cached/…`, `Cache-Control:
 * public, max-age=3600`) as page navigations (opt-in state, DE) through
 * consent-edge with the edge cache off (the `ce` instance: the shipped
 * default) and on (a second instance with `EDGE_CACHE=on`), chunks
 * alternated as in the main rounds; latency and how often the origin was
 * fetched.
 */
async function edgeCache(ctx, load, set) {
  const on = await startKind("ce", ctx, { EDGE_CACHE: "on" });
  const headers = { "x-consent-geo": "DE", accept: "text/html,application/xhtml+xml,*/*;q=0.8", "sec-fetch-dest": "document" };
  const modes = [
    { label: "consent-edge, edge cache off (opt-in, DE)", url: ctx.workers.ce.url, ms: [], requests: 0, fetches: 0 },
    { label: "consent-edge, edge cache on (opt-in, DE)", url: on.url, ms: [], requests: 0, fetches: 0 },
  ];
  const rand = rng(16);
  const paths = set.map((p) => `/cached${p.path}`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = shuffle(paths, rand);
    for (let c = 0; c < order.length; c += CHUNK_PAGES) {
      const chunk = order.slice(c, c + CHUNK_PAGES);
      const ms = (round + c / CHUNK_PAGES) % 2 ? [...modes].reverse() : modes;
      for (const m of ms) {
        const before = ctx.origin.cached.fetches;
        const r = await load.call({ cmd: "block", base: m.url, paths: chunk, headers, concurrency: CONCURRENCY });
        if (r.errors) throw new Error(`${m.label}: ${r.errors} failed requests (${r.firstError})`);
        m.fetches += ctx.origin.cached.fetches - before;
        m.requests += chunk.length;
        m.ms.push(...r.ms);
      }
    }
  }
  await on.mf.dispose();
  return modes.map((m) => ({ label: m.label, requests: m.requests, fetches: m.fetches, p50: median(m.ms), p99: pct(m.ms, 99) }));
}

// ---------------------------------------------------------------- main

async function main() {
  const mach = machine();
  log(`machine: ${mach.nproc} cores, ${mach.model}, ${mach.memGiB} GiB, load ${mach.load}`);
  const catalog = loadCatalog();
  const pages = loadPages();
  log(`catalog ${catalog.file}: ${catalog.vendors.length} vendors; ${pages.length} pages`);
  if (!process.env.BENCH_CE_BUILDS && !fs.existsSync(path.join(CE_BUILD, "index.js"))) throw new Error(`${CE_BUILD}/index.js missing: run \`make build\` first`);

  const origin = await startOrigin(pages);
  const ctx = { origin, catalog, workers: {} };
  if (ONLY_COLD) {
    // Startup only (issue 16 item 1): ready, first request and total per
    // worker, medians of COLD_N fresh workerd processes, kinds in turn.
    const cold = coldTables(await coldStarts(ctx));
    console.log(`Through Miniflare:\n\n${cold.miniflare}\n\nIn bare workerd:\n\n${cold.bare}`);
    await origin.close();
    return;
  }
  const wasm = await wasmSizes();
  log(`wasm sizes measured (${elapsed()})`);
  const cold = await coldStarts(ctx);
  log(`cold starts measured (${elapsed()})`);

  for (const kind of ["pass", "jss", "jsb", "js", "ce"]) ctx.workers[kind] = await startKind(kind, ctx);
  const load = startLoad();
  const notes = [];

  // Consent states. consent-edge picks its regime from `x-consent-geo`
  // (DEV_GEO_OVERRIDE="true"); the JS worker takes the grants directly.
  const accepted = await acceptAllCookie(ctx.workers.ce);
  // Does this build filter at all? (The demo home page carries a dozen trackers.)
  const probe = (await request(ctx.workers.ce.url, "/demo/index.html", { headers: { "x-consent-geo": "DE" } })).body.toString("utf8");
  const ceNoFilter = !/\sdata-consent-(?:vendor|category|src|href|ping)=/i.test(probe);
  const configs = [
    { id: "pass", kind: "pass", label: "pass-through", headers: { "x-consent-geo": "DE" } },
    { id: "jss", kind: "jss", label: "JS-streamed pass-through (body pumped through a JS ReadableStream)", headers: { "x-consent-geo": "DE" } },
    { id: "jsb", kind: "jsb", label: "JS-streamed pass-through, BYOB 64 KiB reads (consent-edge's pump, no wasm)", headers: { "x-consent-geo": "DE" } },
    { id: "ce-notice", kind: "ce", label: "consent-edge, notice (US-WY: all granted)", short: "CE notice", headers: { "x-consent-geo": "US-WY" } },
    { id: "ce-optin", kind: "ce", label: "consent-edge, opt-in (DE: nothing granted)", short: "CE opt-in", headers: { "x-consent-geo": "DE" } },
  ];
  if (accepted.cookie) {
    configs.push({ id: "ce-accepted", kind: "ce", label: "consent-edge, opt-in + accept_all cookie (DE)", short: "CE accepted", headers: { "x-consent-geo": "DE", cookie: accepted.cookie } });
  } else {
    notes.push(`State "opt-in + accept_all cookie" not measured: ${accepted.why} (the consent endpoint is not in this build).`);
  }
  configs.push(
    { id: "js-all", kind: "js", label: "JS HTMLRewriter, all granted", short: "JS all", headers: { "x-bench-grants": ALL_GRANTED } },
    { id: "js-none", kind: "js", label: "JS HTMLRewriter, nothing granted", short: "JS none", headers: { "x-bench-grants": "" } },
    { id: "js-none-noinline", kind: "js", label: "JS HTMLRewriter, nothing granted, no inline-script signatures", short: "JS none, no inline", headers: { "x-bench-grants": "", "x-bench-inline": "0" } },
  );
  if (ceNoFilter) {
    // The same work as a consent-edge build whose filter only marks <head>.
    configs.push({ id: "js-head", kind: "js", label: "JS HTMLRewriter, `<head>` marker only (what this consent-edge build does)", short: "JS head only", headers: { "x-bench-mode": "head-only" } });
  }

  const checks = await sanity(ctx, configs);
  const ceNone = checks.find((c) => c.label.startsWith("consent-edge, opt-in (")).neutralised;
  const jsNone = checks.find((c) => c.label === "JS HTMLRewriter, nothing granted").neutralised;
  if (ceNone === 0) notes.push("consent-edge neutralised **nothing** on demo/index.html in the opt-in state: this build's filter is not wired to the catalog yet, so its figures measure the streaming shell and lol_html pass, not the full filtering job. Rerun `make bench` once the filter is merged.");
  const ceNotice = checks.find((c) => c.label.startsWith("consent-edge, notice"));
  const ceOptin = checks.find((c) => c.label.startsWith("consent-edge, opt-in ("));
  if (ceNotice.bytes === ceOptin.bytes && ceNotice.neutralised === ceOptin.neutralised) notes.push("consent-edge produced the same output for the notice and opt-in states: consent states are not wired in this build.");
  log(`sanity: neutralised on demo/index.html — consent-edge opt-in ${ceNone}, JS none ${jsNone}`);

  // Page set: everything, or a subset in quick mode.
  const rand = rng(7);
  let set = pages;
  if (QUICK) set = BUCKETS.flatMap((_, b) => shuffle(pages.filter((p) => p.bucket === b), rand).slice(0, 6));

  // Warm-up: every config sees every page once.
  for (const cfg of configs) {
    const r = await load.call({ cmd: "block", base: ctx.workers[cfg.kind].url, paths: set.map((p) => p.path), headers: cfg.headers, concurrency: CONCURRENCY });
    if (r.errors) throw new Error(`${cfg.label}: ${r.errors} failed requests in warm-up (${r.firstError})`);
  }
  log(`warm-up done (${elapsed()})`);

  // Rounds: per bucket, pages shuffled and cut into chunks of CHUNK_PAGES; for
  // each chunk every config runs it, in an order rotated chunk by chunk, so
  // slow drift on a shared machine hits every config alike.
  const lat = new Map(configs.map((c) => [c.id, new Map()])); // id -> path -> [ms]
  const wall = new Map(configs.map((c) => [c.id, BUCKETS.map(() => ({ ms: 0, n: 0 }))]));
  let turn = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let b = 0; b < BUCKETS.length; b++) {
      const inBucket = shuffle(set.filter((p) => p.bucket === b), rand);
      for (let c = 0; c < inBucket.length; c += CHUNK_PAGES) {
        const chunk = inBucket.slice(c, c + CHUNK_PAGES);
        const order = configs.map((_, i) => configs[(i + turn) % configs.length]);
        if (turn % 2) order.reverse();
        turn++;
        for (const cfg of order) {
          const r = await load.call({ cmd: "block", base: ctx.workers[cfg.kind].url, paths: chunk.map((p) => p.path), headers: cfg.headers, concurrency: CONCURRENCY });
          if (r.errors) throw new Error(`${cfg.label}: ${r.errors} failed requests (${r.firstError})`);
          const w = wall.get(cfg.id)[b];
          w.ms += r.wallMs;
          w.n += chunk.length;
          chunk.forEach((p, i) => {
            const m = lat.get(cfg.id);
            if (!m.has(p.path)) m.set(p.path, []);
            m.get(p.path).push(r.ms[i]);
          });
        }
      }
    }
    log(`round ${round + 1}/${ROUNDS} done (${elapsed()})`);
  }

  const memConfigs = configs.filter((c) => ["pass", "jss", "jsb", "ce-optin", "ce-notice", "js-none"].includes(c.id));
  const mem = await memory(ctx, load, memConfigs);
  log(`memory measured (${elapsed()})`);
  const stall = await ttfb(ctx, load, memConfigs);
  log(`time to first byte measured (${elapsed()})`);
  const cache = await edgeCache(ctx, load, set);
  log(`edge cache measured (${elapsed()}): origin fetches ${cache.map((c) => `${c.fetches}/${c.requests}`).join(" off, ")} on`);

  load.close();
  for (const w of Object.values(ctx.workers)) await w.mf.dispose();
  await origin.close();

  const mach2 = machine();
  const results = summarise({ configs, set, lat, wall });
  const md = report({ mach, mach2, catalog, pages, set, configs, results, wasm, cold, mem, stall, checks, notes, cache });
  writeSection(DOC, md);
  fs.writeFileSync(SVG, latencyChart({ series: chartSeries({ configs, set, lat }), title: "Median latency per page, in workerd (log–log)" }));
  log(`wrote ${path.relative(ROOT, DOC)} and ${path.relative(ROOT, SVG)} in ${elapsed()}`);
  console.log(headline(results, wasm, mem));
}

function summarise({ configs, set, lat, wall }) {
  const perBucket = BUCKETS.map((bucket, b) => {
    const pagesB = set.filter((p) => p.bucket === b);
    const row = { bucket: bucket.name, pages: pagesB.length, kb: median(pagesB.map((p) => p.size / 1024)), by: {} };
    for (const cfg of configs) {
      const all = pagesB.flatMap((p) => lat.get(cfg.id).get(p.path) || []);
      const w = wall.get(cfg.id)[b];
      row.by[cfg.id] = { p50: median(all), p99: pct(all, 99), rps: w.n / (w.ms / 1000), n: all.length };
    }
    return row;
  });
  // Per-page medians, then the median over pages of the difference/ratio.
  const pageMed = (id, p) => median(lat.get(id).get(p.path) || []);
  const added = (id, base, filter) => {
    const ps = set.filter(filter);
    return { n: ps.length, ms: median(ps.map((p) => pageMed(id, p) - pageMed(base, p))), ratio: median(ps.map((p) => pageMed(id, p) / pageMed(base, p))) };
  };
  const near84 = (p) => p.size >= 70 * 1024 && p.size <= 100 * 1024;
  const all = () => true;
  const has = (id) => configs.some((c) => c.id === id);
  const ceIds = configs.filter((c) => c.kind === "ce").map((c) => c.id);
  const pairs = {};
  for (const id of ceIds) {
    pairs[id] = {
      vsPass: added(id, "pass", all),
      vsPass84: added(id, "pass", near84),
      vsJs: added(id, id === "ce-notice" || id === "ce-accepted" ? "js-all" : "js-none", all),
      vsJs84: added(id, id === "ce-notice" || id === "ce-accepted" ? "js-all" : "js-none", near84),
    };
  }
  if (pairs["ce-optin"]) {
    pairs["ce-optin"].vsJsNoInline = added("ce-optin", "js-none-noinline", all);
    pairs["ce-optin"].vsJsNoInline84 = added("ce-optin", "js-none-noinline", near84);
  }
  if (pairs["ce-optin"] && has("jss")) pairs["ce-optin"].jssFloor = added("jss", "pass", near84);
  if (pairs["ce-optin"] && has("jsb")) pairs["ce-optin"].jsbFloor = added("jsb", "pass", near84);
  if (has("js-head")) {
    for (const id of ceIds) {
      pairs[id].vsJsHead = added(id, "js-head", all);
      pairs[id].vsJsHead84 = added(id, "js-head", near84);
    }
  }
  for (const id of ["jss", "jsb", "js-none", "js-none-noinline", "js-head"].filter(has)) pairs[id] = { vsPass: added(id, "pass", all), vsPass84: added(id, "pass", near84) };
  return { perBucket, pairs, ceIds, has };
}

function chartSeries({ configs, set, lat }) {
  const pick = [
    ["pass", "pass-through", "#6b7280"],
    ["js-none", "JS HTMLRewriter (nothing granted)", "#d97706"],
    ["ce-optin", "consent-edge (opt-in, nothing granted)", "#2563eb"],
    ["jsb", "JS-streamed pass-through, BYOB (consent-edge's pump, no wasm)", "#059669"],
    ["js-head", "JS HTMLRewriter, <head> marker only", "#7c3aed"],
  ];
  return pick
    .filter(([id]) => configs.some((c) => c.id === id))
    .map(([id, name, color]) => ({
      name,
      color,
      points: set.map((p) => [p.size / 1024, median(lat.get(id).get(p.path) || [])]).filter(([, y]) => Number.isFinite(y)),
    }));
}

function headline(results, wasm, mem) {
  const o = results.pairs["ce-optin"];
  const shipped = wasm.rows.find((r) => r.what.startsWith("shipped"));
  const ceMem = mem.find((m) => m.label.startsWith("consent-edge, opt-in"));
  return [
    "headline:",
    `  consent-edge (opt-in) ÷ pass-through, median per-page latency ratio: ${fmtRatio(o.vsPass.ratio)} (added ${fmt(o.vsPass.ms)} ms; 70–100 KB pages: +${fmt(o.vsPass84.ms)} ms)`,
    `  consent-edge (opt-in) ÷ JS HTMLRewriter (nothing granted): ${fmtRatio(o.vsJs.ratio)} (70–100 KB pages: ${fmtRatio(o.vsJs84.ratio)}); ÷ JS without inline-script signatures: ${fmtRatio(o.vsJsNoInline.ratio)} (70–100 KB: ${fmtRatio(o.vsJsNoInline84.ratio)})`,
    `  JS HTMLRewriter (nothing granted) ÷ pass-through: ${fmtRatio(results.pairs["js-none"].vsPass.ratio)}`,
    o.vsJsHead ? `  consent-edge (opt-in) ÷ JS HTMLRewriter doing the same <head>-only work as this build: ${fmtRatio(o.vsJsHead.ratio)} (+${fmt(o.vsJsHead.ms)} ms; 70–100 KB: ${fmtRatio(o.vsJsHead84.ratio)}, +${fmt(o.vsJsHead84.ms)} ms)` : "",
    shipped ? `  wasm: ${kib(shipped.raw)} raw, ${kib(shipped.gz)} gzip` : "  wasm: n/a",
    ceMem ? `  100 MB stream: RSS growth after the first 10%: ${fmt(ceMem.growth, 1)} MiB (peak ${fmt(ceMem.peak, 0)} MiB)` : "",
  ].join("\n");
}

// ---------------------------------------------------------------- report

/** The release profile the worker was built with, as Cargo.toml states it. */
function releaseProfile() {
  if (process.env.BENCH_CE_BUILD) return `a variant build from BENCH_CE_BUILD=${process.env.BENCH_CE_BUILD}`;
  const toml = fs.readFileSync(path.join(ROOT, "Cargo.toml"), "utf8");
  const sec = /\[profile\.release\]([^[]*)/.exec(toml)?.[1] || "";
  const opt = /opt-level\s*=\s*("?[\w]+"?)/.exec(sec)?.[1];
  const per = [...toml.matchAll(/\[profile\.release\.package\.([\w-]+)\]([^[]*)/g)]
    .map(([, pkg, body]) => [pkg, /opt-level\s*=\s*("?[\w]+"?)/.exec(body)?.[1]])
    .filter(([, o]) => o)
    .map(([pkg, o]) => `${pkg} ${o}`);
  return `release build${opt ? `, Cargo \`opt-level = ${opt}\`` : ""}${per.length ? ` except ${per.join(", ")} (per-package overrides)` : ""}`;
}

function table(head, rows) {
  return [`| ${head.join(" | ")} |`, `|${head.map((h, i) => (i ? " ---: " : " --- ")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

function report({ mach, mach2, catalog, pages, set, configs, results, wasm, cold, mem, stall, checks, notes, cache }) {
  const { perBucket, pairs, ceIds } = results;
  const L = [];
  const shared = process.env.BENCH_SHARED;
  L.push("## In workerd", "");
  L.push(`_Generated by \`make bench\` (\`bench/workerd.mjs\`) on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC${QUICK ? " — **quick run (BENCH_QUICK=1), not a final measurement**" : ""}. Rerun to refresh; edits by hand are overwritten._`, "");
  const envs = Object.entries(process.env).filter(([k]) => /^BENCH_|^TRACKERS_TOML$/.test(k)).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  L.push(`**Command:** \`${[...envs, "make bench"].join(" ")}\` (builds the release worker with \`make build\`, then runs \`node bench/workerd.mjs\`; the native filter benchmark is \`make bench-native\`). It takes 3–5 minutes after the build on this machine.`, "");
  L.push(`**Machine:** ${mach.nproc} cores, ${mach.model}, ${mach.memGiB} GiB RAM, ${mach.kernel}; Node ${mach.node}, Miniflare ${mach.miniflare}, workerd ${mach.workerd}. Load average at start ${mach.load}, at end ${mach2.load}.${shared ? ` **Shared machine:** ${shared}` : ""}`, "");
  L.push("### Setup", "");
  L.push(
    `- One loopback origin (Node, in the harness process) serves every page from memory with \`Content-Length\`. Each worker runs in its own workerd (a Miniflare instance, compatibility date ${COMPAT}); load comes from a second Node process over raw HTTP keep-alive to the instance's socket (Miniflare's entry worker is in front of all three alike).`,
    `- Workers: **pass-through** (\`bench/passthrough.js\`: fetch the origin, return it — the floor); **JS-streamed pass-through** (\`bench/jsstream.js\`: the same, but the body pumped chunk by chunk through a JS \`ReadableStream\` — the floor for any worker that handles the body outside the runtime's native streams); **JS-streamed pass-through, BYOB reads** (\`bench/jsstream-byob.js\`: the pump consent-edge uses in \`crates/edge/src/stream.rs\` — a BYOB reader with 64 KiB buffers, so a read returns everything the origin has delivered so far — without the wasm call); **consent-edge** (\`${path.relative(ROOT, CE_BUILD)}/index.js\` + wasm, ${releaseProfile()}) in each consent state, chosen with \`x-consent-geo\` and \`DEV_GEO_OVERRIDE="true"\`; **JS HTMLRewriter** (\`bench/rewriter.js\`): the same job on the runtime's native \`HTMLRewriter\` — ${catalog.vendors.length} vendors / ${catalog.vendors.reduce((n, v) => n + v.hosts.length, 0)} hosts / ${catalog.vendors.reduce((n, v) => n + v.scripts.length, 0)} inline-script signatures read from \`${catalog.file}\` at bench time; script src, inline scripts, img/source srcset, iframe/embed/object/video/audio, link preconnect/dns-prefetch/preload/prefetch, a[ping]; \`type="text/plain"\` + \`data-consent-category/vendor\`, \`src\`→\`data-consent-src\`. Grants come from a request header (no cookie signature, no jurisdiction table), so it is a lower bound for the same job.`,
    `- Pages: ${pages.length} = the ${pages.filter((p) => p.source === "corpus").length} pages of the \`htmlparser-benchmark\` corpus + ${pages.filter((p) => p.source === "demo").length} demo pages${set.length !== pages.length ? `; this run used a subset of ${set.length}` : ""}. Warm-up: every config sees every page once. Then ${ROUNDS} rounds; in each, the pages of a size bucket are shuffled and cut into blocks of ${CHUNK_PAGES}, and every config runs each block in an order rotated (and reversed every other block) block by block, so drift hits all alike. ${CONCURRENCY} request${CONCURRENCY > 1 ? "s" : ""} in flight; latency = request sent → last body byte received.`,
    "",
  );
  L.push("Sanity check on `demo/index.html` (tags carrying a `data-consent-vendor`/`-category`/`-src`/`-href`/`-ping` attribute in the output):", "");
  L.push(table(["config", "status", "neutralised elements", "bytes out"], checks.map((c) => [c.label, c.status, c.neutralised, c.bytes])), "");
  if (notes.length) L.push(notes.map((n) => `> **Note.** ${n}`).join("\n>\n"), "");

  L.push("### Latency and throughput per page size", "");
  const rows = [];
  for (const b of perBucket) {
    if (!b.pages) continue;
    for (const cfg of configs) {
      const r = b.by[cfg.id];
      rows.push([`${b.bucket} (${b.pages} pages, median ${b.kb.toFixed(0)} KB)`, cfg.label, fmt(r.rps, 0), fmt(r.p50), fmt(r.p99)]);
    }
  }
  L.push(table(["page size", "worker / state", "req/s", "p50 ms", "p99 ms"], rows), "");

  L.push("### Ratios", "");
  L.push("p50 and req/s ratios per bucket (consent-edge ÷ pass-through; consent-edge ÷ JS HTMLRewriter in the matching state: notice/accepted vs. all granted, opt-in vs. nothing granted). Below 1.00× for p50 is faster; above 1.00× for req/s is faster.", "");
  const rrows = [];
  for (const b of perBucket) {
    if (!b.pages) continue;
    for (const id of ceIds) {
      const js = id === "ce-optin" ? "js-none" : "js-all";
      const c = b.by[id];
      rrows.push([b.bucket, configs.find((x) => x.id === id).label, fmtRatio(c.p50 / b.by.pass.p50), fmtRatio(c.rps / b.by.pass.rps), fmtRatio(c.p50 / b.by[js].p50), fmtRatio(c.rps / b.by[js].rps)]);
    }
    for (const id of ["jss", "jsb", "js-none", "js-none-noinline", "js-head"].filter((i) => b.by[i])) {
      rrows.push([b.bucket, configs.find((x) => x.id === id).label, fmtRatio(b.by[id].p50 / b.by.pass.p50), fmtRatio(b.by[id].rps / b.by.pass.rps), "", ""]);
    }
  }
  L.push(table(["page size", "worker / state", "p50 ÷ pass", "req/s ÷ pass", "p50 ÷ JS", "req/s ÷ JS"], rrows), "");
  L.push("Over all pages (median over pages of each page's median latency difference / ratio):", "");
  const prow = [];
  for (const id of [...ceIds, "jss", "jsb", "js-none", "js-none-noinline", "js-head"].filter((i) => pairs[i])) {
    const p = pairs[id];
    prow.push([configs.find((x) => x.id === id).label, `+${fmt(p.vsPass.ms)} ms (${fmtRatio(p.vsPass.ratio)})`, `+${fmt(p.vsPass84.ms)} ms (${fmtRatio(p.vsPass84.ratio)}, ${p.vsPass84.n} pages)`, p.vsJs ? `${fmt(p.vsJs.ms)} ms (${fmtRatio(p.vsJs.ratio)})` : "", p.vsJs84 ? `${fmt(p.vsJs84.ms)} ms (${fmtRatio(p.vsJs84.ratio)})` : ""]);
  }
  L.push(table(["worker / state", "vs pass-through, all pages", "vs pass-through, 70–100 KB pages", "vs JS, all pages", "vs JS, 70–100 KB"], prow), "");
  L.push(`![Median latency per page size, per worker](${path.relative(path.dirname(DOC), SVG)})`, "");

  L.push("### Wasm size", "");
  L.push(table(["artifact", "raw", "gzip -9"], wasm.rows.map((r) => [r.what, `${kib(r.raw)} (${r.raw} B)`, `${kib(r.gz)} (${r.gz} B)`])), "");
  if (wasm.notes.length) L.push(...wasm.notes.map((n) => `> ${n}`), "");
  if (wasm.sections) {
    L.push("Shipped wasm by section (each section gzipped alone, ≈ its share of the download):", "");
    L.push(table(["section", "raw", "gzip -9"], wasm.sections.map((x) => [x.name, kib(x.raw), kib(x.gz)])), "");
  }
  if (wasm.crates) {
    L.push("Function-body bytes by crate (from the name section; `core`/`alloc` include generic code instantiated for other crates):", "");
    L.push(table(["crate", "code bytes"], wasm.crates.map(([c, n]) => [c, kib(n)])), "");
  }

  L.push("### Cold start", "");
  L.push(`New Miniflare instance (a new workerd process) → \`mf.ready\` → first response to \`GET /demo/index.html\` (Germany) fully read; median of ${COLD_N}. "ready" includes spawning workerd, compiling the script and the wasm module, and the module's \`start\` event; "first request" includes the first origin fetch. Miniflare puts its entry worker in front and hands the request over a service binding.`, "");
  const coldRows = coldTables(cold);
  L.push(coldRows.miniflare, "");
  L.push(`The same workers in bare workerd (\`bench/bare.mjs\`: the same binary from a text config, the worker serving its own socket, no entry worker), started alternately with the rows above; "ready" is from spawning workerd to its \`listen\` message. Alone in its process the worker's first request runs on the code its \`start\` event compiled; beside Miniflare's own workers V8 compiles it again (docs/BENCHMARKS.md, "Startup (stop 15)").`, "");
  L.push(coldRows.bare, "");

  L.push("### Memory while streaming a generated page", "");
  L.push(`The origin generates a ${STREAM_MB} MiB HTML page on the fly (blocks of text with tracker script/img/iframe/ping elements), honouring backpressure. RSS of the worker's workerd process is sampled every 50 ms; "growth" is the highest RSS after the first 10 % of the page minus the RSS at the 10 % mark. RSS at 10/30/50/70/90/100 % of the page in MiB:`, "");
  L.push(table(["worker / state", "MiB out", "mean chunk read", "MiB/s", "RSS before", "RSS curve", "peak", "growth after 10 %"], mem.map((m) => [m.label, fmt(m.outMiB, 1), `${fmt(m.chunkKiB, 1)} KiB`, fmt(m.mbps, 1), fmt(m.base, 0), m.curve.map((x) => fmt(x, 0)).join(" → "), fmt(m.peak, 0), `${fmt(m.growth, 1)} MiB`])), "");

  L.push("### Time to first byte, origin stalling after `<head>`", "");
  L.push(`The origin sends the doctype and the start of \`<head>\` (a preconnect, a tracker script, a stylesheet) and then stalls ${STALL_MS} ms before the rest. Median of 3.`, "");
  L.push(table(["worker / state", "response headers ms", "first body byte ms", "complete ms"], stall.map((s) => [s.label, fmt(s.headers, 1), fmt(s.first, 1), fmt(s.total, 0)])), "");

  L.push("### Edge cache (issue 16 item 4)", "");
  L.push(`The page set again, at \`/cached/…\` where the origin adds \`Cache-Control: public, max-age=3600\`, requested as navigations (opt-in state, DE: everything filtered) through consent-edge with the edge cache off (the shipped default) and on (\`EDGE_CACHE=on\`), ${ROUNDS} rounds, chunks alternated; "origin fetches" counts the requests the origin received. Every response is still filtered per visitor; only the origin fetch is saved. The loopback origin answers at once, so the saving here is the origin's load, not its latency; and Miniflare's Cache API is a local emulation (a loopback cache service storing each body as a blob), so the latency with the cache on is Miniflare's lookup and store cost, not Cloudflare's edge cache.`, "");
  L.push(table(["worker / state", "requests", "origin fetches", "p50 ms", "p99 ms"], cache.map((c) => [c.label, c.requests, c.fetches, fmt(c.p50), fmt(c.p99)])), "");

  L.push("### Goals", "");
  L.push(...goals({ results, wasm, mem, stall, cold }), "");
  return L.join("\n");
}

function goals({ results, wasm, mem, stall, cold }) {
  const out = [];
  const o = results.pairs["ce-optin"];
  const shipped = wasm.rows.find((r) => r.what.startsWith("shipped"));
  const ceMem = mem.filter((m) => m.label.startsWith("consent-edge"));
  const ceStall = stall.filter((s) => s.label.startsWith("consent-edge"));
  const ok = (b) => (b ? "**met**" : "**missed**");
  const ceRate = mem.find((m) => m.label.startsWith("consent-edge, opt-in"))?.mbps ?? NaN;
  const passRate = mem.find((m) => m.label === "pass-through")?.mbps ?? NaN;
  const secGz = (n) => wasm.sections?.find((x) => x.name === n)?.gz;
  const topCrates = (wasm.crates || []).slice(0, 6).map(([c, n]) => `${c} ${kib(n)}`).join(", ");
  out.push(
    `- consent-edge no slower than the JS HTMLRewriter worker: ${o.vsJsHead ? "**not measurable yet** (this build does not filter)" : ok(o.vsJs.ratio <= 1)} — per-page median ratio ${fmtRatio(o.vsJs.ratio)} (opt-in vs. nothing granted), ${fmtRatio(o.vsJs84.ratio)} on 70–100 KB pages; against the JS worker without inline-script signatures ${fmtRatio(o.vsJsNoInline.ratio)} (${fmtRatio(o.vsJsNoInline84.ratio)} on 70–100 KB pages).` +
      (o.vsJsHead ? ` Those ratios compare a build that only marks \`<head>\` with the full JS job; like for like, against a JS worker doing the same \`<head>\`-only work, consent-edge is ${fmtRatio(o.vsJsHead.ratio)} (+${fmt(o.vsJsHead.ms)} ms per page; ${fmtRatio(o.vsJsHead84.ratio)} on 70–100 KB pages).` : "") +
      (o.vsJs.ratio > 1 ? " What limits it: the JS worker's HTMLRewriter is lol_html compiled natively into workerd, while consent-edge runs lol_html as wasm (no SIMD in the tokenizer's memchr paths, bounds-checked memory) and copies every chunk into wasm memory and its output back out." : ""),
    `- ≤ 1 ms added median over pass-through on ~84 KB pages: ${ok(o.vsPass84.ms <= 1)} — +${fmt(o.vsPass84.ms)} ms on the ${o.vsPass84.n} pages of 70–100 KB.` +
      (o.vsPass84.ms > 1 ? ` What limits it: the body is filtered in wasm, outside workerd's native streams, on the critical path (the last chunk leaves only after the origin's last chunk went through lol_html). consent-edge streamed the generated page at ${fmt(ceRate, 1)} MiB/s against ${fmt(passRate, 1)} MiB/s for the pass-through, i.e. ≈ ${fmt((84 / 1024 / ceRate) * 1000)} ms per 84 KB.${o.jsbFloor ? ` consent-edge's JS pump alone (BYOB reads, no wasm) adds +${fmt(o.jsbFloor.ms)} ms on these pages${o.jssFloor ? ` (+${fmt(o.jssFloor.ms)} ms with the default reader's ≈ 4 KiB chunks)` : ""}.` : ""} A Worker with no consent logic that streams through lol_html with a \`*\` handler already adds more than 1 ms (\`bench/floor\`, "Floors, stop 15" below). The hand-written notes below split the rest between the pump, the per-request work and the filter.` : ""),
    shipped ? `- wasm ≤ 400 KiB gzip (issue 16; 300 KiB the next step): ${ok(shipped.gz <= 400 * 1024)} — ${kib(shipped.gz)} gzip (${kib(shipped.raw)} raw).` + (shipped.gz > 400 * 1024 ? ` What limits it: the data segment (${secGz("data") ? kib(secGz("data")) : "?"} gzip alone: encoding_rs's legacy-charset tables, which lol_html links whatever the charset, the Public Suffix table, the catalog, the page assets), ${secGz("custom:name") ? `the name section kept by wasm-opt (${kib(secGz("custom:name"))} gzip, removable with \`--strip-debug\`), ` : ""}and code (${secGz("code") ? kib(secGz("code")) : "?"} gzip${topCrates ? `; largest crates: ${topCrates}` : ""}). A Worker of the \`worker\` crate and lol_html alone ships ≈ 250 KiB gzip (\`bench/floor\`, "Floors, stop 15").` : "") : "- wasm size: not measured.",
    ...coldGoals(cold, ok),
    `- Memory flat on ${STREAM_MB} MiB (growth under 32 MiB): ${ok(ceMem.every((m) => m.growth < 32))} — RSS growth after the first 10 %: ${ceMem.map((m) => `${fmt(m.growth, 1)} MiB (${m.label})`).join("; ")}.`,
    `- Streaming (first body byte before the stalling origin resumes): ${ok(ceStall.every((s) => s.first < STALL_MS / 2))} — first body byte after ${ceStall.map((s) => `${fmt(s.first, 1)} ms`).join(" / ")} while the origin stalls ${STALL_MS} ms.`,
  );
  return out;
}

/** Issue 16 item 1, against the JS HTMLRewriter worker, in both harnesses. */
function coldGoals(cold, ok) {
  const ce = cold.find((c) => c.kind.startsWith("ce"));
  const js = cold.find((c) => c.kind === "js");
  if (!ce || !js) return [];
  const both = (f) => `Miniflare ${f(ce)} against ${f(js)} ms, bare workerd ${f(ce.bare)} against ${f(js.bare)} ms`;
  return [
    `- Cold start, first request after \`ready\` no slower than the JS worker's: Miniflare ${ok(ce.first <= js.first)}, bare workerd ${ok(ce.bare.first <= js.bare.first)} — ${both((c) => fmt(c.first, 1))}. Beside Miniflare's own workers V8 compiles the \`start\` event's code again on the first request ("Startup (stop 15)").`,
    `- Cold start, ready + first response ≤ the JS worker's: Miniflare ${ok(ce.total <= js.total)}, bare workerd ${ok(ce.bare.total <= js.bare.total)} — ${both((c) => fmt(c.total, 0))}. In bare workerd loading the wasm module alone takes longer than the JS worker's whole ready + first.`,
  ];
}

const KEEP = "<!-- Hand-written notes below this line are kept when bench/workerd.mjs rewrites the section. -->";

/**
 * Replaces (or appends) the `## In workerd` section of `file`, keeping the
 * rest of the file and any hand-written notes after the KEEP marker.
 */
function writeSection(file, md) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === "## In workerd");
  if (start < 0) {
    text = `${text.replace(/\n*$/, "\n\n")}${md.trimEnd()}\n\n${KEEP}\n`;
  } else {
    let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
    if (end < 0) end = lines.length;
    const keep = lines.findIndex((l, i) => i > start && i < end && l.trim() === KEEP);
    const kept = keep < 0 ? [] : lines.slice(keep + 1, end);
    while (kept.length && !kept.at(-1).trim()) kept.pop();
    const body = [...md.trimEnd().split("\n"), "", KEEP, ...kept];
    text = [...lines.slice(0, start), ...body, ...(end < lines.length ? ["", ...lines.slice(end)] : [])].join("\n");
    if (!text.endsWith("\n")) text += "\n";
  }
  fs.writeFileSync(file, text);
}

main().catch((e) => {
  console.error(`[bench] failed: ${e.stack || e}`);
  process.exit(1);
});
