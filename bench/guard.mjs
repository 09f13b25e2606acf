// `make bench-guard`: what the crash guard in src/entry.mjs costs per request.
//
// Two workerd instances run the same release build: one loads build/index.js
// directly (as bench/workerd.mjs does), the other through src/entry.mjs (as
// deployed). Both proxy the same loopback origin. Requests go one at a time,
// in blocks that alternate between the two (ABBA order) so drift hits both
// alike; the report is the median latency of each and their difference and
// ratio, per page.
//   GUARD_ROUNDS=n   blocks per worker and page (default 40)
//   GUARD_BLOCK=n    requests per block (default 25)
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { startOrigin, startWorker, ROOT } from "../tests/e2e/harness.mjs";

const ROUNDS = Number(process.env.GUARD_ROUNDS || 40);
const BLOCK = Number(process.env.GUARD_BLOCK || 25);

/** The demo home page and the corpus page closest to 84 KB. */
function pages() {
  const dir = path.join(ROOT, "node_modules/htmlparser-benchmark/files");
  const corpus = fs.readdirSync(dir).map((f) => path.join(dir, f));
  const near84 = corpus.reduce((best, f) =>
    Math.abs(fs.statSync(f).size - 84 * 1024) < Math.abs(fs.statSync(best).size - 84 * 1024) ? f : best);
  return { "/demo.html": fs.readFileSync(path.join(ROOT, "demo/index.html")), "/page84.html": fs.readFileSync(near84) };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One GET over keep-alive; resolves with the time to the last body byte (ms). */
function get(url) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http.get(url, { agent, headers: { "x-consent-geo": "DE" } }, (res) => {
      res.on("data", () => {});
      res.on("end", () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${url}: ${res.statusCode}`))));
    }).on("error", reject);
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const body = pages();
const origin = await startOrigin(Object.fromEntries(Object.entries(body).map(([p, b]) => [p, (req, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": b.length });
  res.end(b);
}])));
const vars = { ORIGIN: origin.url, DEV_GEO_OVERRIDE: "true" };
const workers = {
  direct: await startWorker(vars, { scriptPath: path.join(ROOT, "build/index.js") }),
  guarded: await startWorker(vars),
};
const urls = {};
for (const [k, mf] of Object.entries(workers)) urls[k] = String(await mf.ready).replace(/\/$/, "");

console.log(`crash guard A/B: ${ROUNDS} blocks of ${BLOCK} requests per worker and page, 1 in flight, geo DE (opt-in, nothing granted)`);
console.log("| page | bytes | build/index.js p50 | src/entry.mjs p50 | difference | ratio |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const p of Object.keys(body)) {
  const t = { direct: [], guarded: [] };
  for (const k of Object.keys(t)) for (let i = 0; i < 50; i++) await get(urls[k] + p); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? ["guarded", "direct"] : ["direct", "guarded"];
    for (const k of order) for (let i = 0; i < BLOCK; i++) t[k].push(await get(urls[k] + p));
  }
  const a = median(t.direct), b = median(t.guarded);
  console.log(`| ${p} | ${body[p].length} | ${a.toFixed(3)} ms | ${b.toFixed(3)} ms | ${(b - a >= 0 ? "+" : "")}${(b - a).toFixed(3)} ms | ${(b / a).toFixed(3)} |`);
}
agent.destroy();
for (const mf of Object.values(workers)) await mf.dispose();
await origin.close();
