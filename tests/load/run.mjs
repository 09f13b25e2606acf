// Load test: wrk against the built worker (workerd via Miniflare, on its
// loopback port) proxying the demo site from a loopback origin, with a mix of
// consent states (no cookie, a signed accept-all cookie, a signed reject-all
// cookie — both obtained by POSTing to /__consent first).
//
//   node tests/load/run.mjs --duration 60 --connections 64 [--threads 2] [--path /]
//
// Fails (exit 1) on any socket error, any non-2xx response, workerd exiting
// during the run, or unstable workerd memory: RSS growing by more than
// --max-growth-mb (default 256; a plain JS pass-through worker grows ~185 MB
// under the same 60 s load — V8 heap sizing, see docs/SECURITY.md) from after
// a warm-up run to after the measured run, or — for runs of 120 s or more —
// the peak RSS of the run's second half exceeding that of its first half by
// more than --max-drift-mb (default 64; RSS sampled every 500 ms). Prints a summary and writes
// it as JSON to target/load-<duration>s.json.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { once } from "node:events";
import { Log, LogLevel } from "miniflare";
import { startWorker, ROOT } from "../e2e/harness.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const DURATION = Number(args.duration ?? 60);
const CONNECTIONS = Number(args.connections ?? 64);
const THREADS = Number(args.threads ?? 2);
const PAGE = args.path ?? "/";
const MAX_GROWTH_MB = Number(args["max-growth-mb"] ?? 256);
const MAX_DRIFT_MB = Number(args["max-drift-mb"] ?? 64);
const DEMO = path.join(ROOT, "demo");
const TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".json": "application/json" };

// The demo site as a plain loopback origin.
const origin = http.createServer((req, res) => {
  let p = decodeURIComponent(new URL(req.url, "http://o").pathname);
  if (p.endsWith("/")) p += "index.html";
  const file = path.join(DEMO, path.normalize(p));
  if (!file.startsWith(DEMO) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    res.writeHead(404, { "content-type": "text/plain" });
    return res.end("not found");
  }
  res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
  fs.createReadStream(file).pipe(res);
});
origin.keepAliveTimeout = 60_000;
origin.listen(0, "127.0.0.1");
await once(origin, "listening");
const ORIGIN = `http://127.0.0.1:${origin.address().port}`;

// --baseline FILE: the same load against a plain JS worker (e.g.
// bench/jsstream.js) instead of consent-edge, for comparison (no consent mix).
const BASELINE = args.baseline ? path.resolve(ROOT, args.baseline) : null;
const mf = await startWorker({ ORIGIN }, {
  ...(BASELINE ? { scriptPath: BASELINE, modulesRules: [] } : {}),
  // workerd's own messages (e.g. why it stopped) on stderr.
  log: new Log(LogLevel.WARN),
});
const base = (await mf.ready).toString().replace(/\/$/, "");
let failed = false;

function workerdPids() {
  // Miniflare's workerd is a descendant of this process.
  const out = execFileSync("ps", ["-e", "-o", "pid=,ppid=,comm="], { encoding: "utf8" });
  const rows = out.trim().split("\n").map((l) => l.trim().split(/\s+/));
  const kids = new Map();
  for (const [pid, ppid] of rows) kids.set(ppid, [...(kids.get(ppid) ?? []), pid]);
  const mine = [];
  const walk = (p) => (kids.get(p) ?? []).forEach((c) => { mine.push(c); walk(c); });
  walk(String(process.pid));
  return rows.filter(([pid, , comm]) => mine.includes(pid) && /workerd/.test(comm)).map(([pid]) => pid);
}
function rssMb() {
  let kb = 0;
  for (const pid of workerdPids()) {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    if (m) kb += Number(m[1]);
  }
  return kb / 1024;
}

async function decide(action) {
  // The per-render token, as a browser gets it: from the rendered banner.
  const page = await (await fetch(`${base}${PAGE}`, { headers: { "cf-ipcountry": "DE" } })).text();
  const token = /<aside id="consent-edge"[^>]*\sdata-form-token="([^"]*)"/.exec(page)?.[1];
  if (!token) throw new Error(`GET ${PAGE}: no banner token`);
  const res = await fetch(`${base}/__consent`, {
    method: "POST",
    headers: { "content-type": "application/json", "sec-fetch-site": "same-origin", "cf-ipcountry": "DE", "x-consent-token": token },
    body: JSON.stringify({ action }),
  });
  if (res.status !== 200) throw new Error(`POST /__consent ${action}: ${res.status} ${await res.text()}`);
  const c = res.headers.getSetCookie().map((s) => /^((?:__Host-|__Secure-)?consent)=([^;]+)/.exec(s)).find(Boolean);
  if (!c) throw new Error(`POST /__consent ${action}: no consent cookie`);
  return `${c[1]}=${c[2]}`;
}

function wrk(seconds, cookies) {
  return new Promise((resolve, reject) => {
    const p = spawn("wrk", ["-t", String(THREADS), "-c", String(CONNECTIONS), "-d", `${seconds}s`, "--timeout", "10s", "--latency",
      "-s", path.join(ROOT, "tests/load/mix.lua"), `${base}${PAGE}`], {
      env: { ...process.env, COOKIES: cookies.join("|"), LOAD_PATH: PAGE },
    });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("error", reject);
    p.on("close", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("LOAD-RESULT "));
      if (code !== 0 || !line) return reject(new Error(`wrk failed (${code}):\n${out}`));
      resolve({ result: JSON.parse(line.slice("LOAD-RESULT ".length)), text: out });
    });
  });
}

try {
  const accept = BASELINE ? "consent=x" : await decide("accept_all");
  const reject = BASELINE ? "consent=y" : await decide("reject_all");
  const cookies = ["", accept, reject];
  // Each state renders as expected before the load starts.
  for (const [c, want] of BASELINE ? [] : [["", /id="consent-edge"/], [accept, /googletagmanager|<\/html>/], [reject, /data-consent-category/]]) {
    const r = await fetch(`${base}${PAGE}`, { headers: c ? { cookie: c, "cf-ipcountry": "DE" } : { "cf-ipcountry": "DE" } });
    const t = await r.text();
    if (r.status !== 200 || !want.test(t)) throw new Error(`${PAGE} with cookie ${c || "(none)"}: ${r.status}, expected ${want}`);
  }
  const warm = Math.min(10, Math.max(5, Math.round(DURATION / 6)));
  await wrk(warm, cookies); // warm-up: JIT, isolate, heap, connection pools
  const rssBefore = rssMb();
  const samples = [];
  const sampler = setInterval(() => samples.push(rssMb()), 500);
  const { result, text } = await wrk(DURATION, cookies);
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 1000));
  const rssAfter = rssMb();
  // Drift: the peak of the second half of the run over the peak of the first.
  const half = Math.floor(samples.length / 2);
  const peak = (xs) => Math.max(0, ...xs);
  const drift = samples.length >= 4 ? peak(samples.slice(half)) - peak(samples.slice(0, half)) : 0;
  const e = result.errors;
  const socketErrors = e.connect + e.read + e.write + e.timeout;
  const summary = {
    when: new Date().toISOString(),
    worker: BASELINE ? path.relative(ROOT, BASELINE) : "consent-edge (build/)",
    duration_s: DURATION, connections: CONNECTIONS, threads: THREADS, path: PAGE,
    requests: result.requests,
    rps: +(result.requests / (result.duration_us / 1e6)).toFixed(1),
    mb_per_s: +(result.bytes / (result.duration_us / 1e6) / 1e6).toFixed(2),
    ok: result.ok, non2xx: result.non2xx, socket_errors: socketErrors, errors: e,
    latency_ms: Object.fromEntries(Object.entries(result.latency_us).map(([k, v]) => [k, +(v / 1000).toFixed(2)])),
    workerd_rss_mb: { before: +rssBefore.toFixed(1), after: +rssAfter.toFixed(1), growth: +(rssAfter - rssBefore).toFixed(1),
      peak: +peak(samples).toFixed(1), second_half_drift: +drift.toFixed(1), samples: samples.length,
      trace_5s: samples.filter((_, i) => i % 10 === 9).map((x) => +x.toFixed(0)) },
  };
  console.log(text.split("\n").filter((l) => !l.startsWith("LOAD-RESULT")).join("\n"));
  console.log(JSON.stringify(summary, null, 2));
  fs.mkdirSync(path.join(ROOT, "target"), { recursive: true });
  fs.writeFileSync(path.join(ROOT, `target/load-${BASELINE ? "baseline-" : ""}${DURATION}s.json`), JSON.stringify(summary, null, 2) + "\n");
  const problems = [];
  if (result.requests === 0) problems.push("no requests completed");
  if (socketErrors > 0) problems.push(`${socketErrors} socket errors`);
  if (result.non2xx > 0 || e.status > 0) problems.push(`${result.non2xx} non-2xx responses`);
  if (result.ok !== result.requests) problems.push(`${result.requests - result.ok} requests not answered 2xx`);
  if (rssBefore === 0) problems.push("workerd RSS could not be sampled");
  if (rssAfter - rssBefore > MAX_GROWTH_MB) problems.push(`workerd RSS grew ${summary.workerd_rss_mb.growth} MB (limit ${MAX_GROWTH_MB})`);
  if (samples.some((x) => x === 0) || rssAfter === 0) problems.push("workerd exited during the run");
  if (DURATION >= 120 && drift > MAX_DRIFT_MB) problems.push(`workerd RSS still climbing: second-half peak ${drift.toFixed(1)} MB over the first (limit ${MAX_DRIFT_MB})`);
  if (problems.length) {
    failed = true;
    console.error(`LOAD FAILED: ${problems.join("; ")}`);
  } else {
    console.log(`LOAD OK: ${summary.requests} requests, ${summary.rps} req/s, 0 errors, 0 non-2xx, RSS ${summary.workerd_rss_mb.before} → ${summary.workerd_rss_mb.after} MB`);
  }
} catch (e) {
  failed = true;
  console.error(`LOAD FAILED: ${e.stack ?? e}`);
} finally {
  await mf.dispose();
  origin.closeAllConnections?.();
  origin.close();
}
process.exit(failed ? 1 : 0);
