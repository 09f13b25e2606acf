// `node bench/guard-browser.mjs`: what the client guard (src/banner/guard.js)
// costs a page in real Chromium, and how big it is.
//
// Size: guard.js minified with esbuild (as the build ships it), raw and
// gzip -9; the configuration for a visitor who refused everything (the
// largest), from `cargo run --example guard_script`.
//
// Cost: one loopback server serves the same page twice, without the guard
// and with it (minified, nothing granted, so every hook is live and every
// URL is looked up). The page times, with performance.now():
//   init    the guard's own start-up (an inline mark before and after it)
//   insert  1,000 DOM insertions: 250 each of appendChild, append (a div
//           with a child), insertBefore and insertAdjacentHTML (markup
//           without URL attributes)
//   imagesJs  200 images created: new Image(), .src = a first-party 1x1 GIF
//           (no-store, distinct URLs), appendChild (the script's own time)
//   images  from there until all 200 have loaded (network included)
// Runs alternate (without, with, without, …) in fresh pages of one browser,
// so drift hits both alike; the report is the median of each.
//   GUARD_RUNS=n   runs per variant (default 15)
import http from "node:http";
import { once } from "node:events";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.env.GUARD_RUNS || 15);
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

const source = readFileSync(path.join(ROOT, "src/banner/guard.js"), "utf8");
const minified = execFileSync(path.join(ROOT, "node_modules/.bin/esbuild"), ["--minify", "--target=es2020"], {
  input: source, encoding: "utf8",
}).trim();
// The tag as the worker builds it, with the minified script in it.
const tag = execFileSync("cargo", ["run", "--quiet", "--example", "guard_script"], { cwd: ROOT, encoding: "utf8" }).trim();
const open = tag.slice(0, tag.indexOf(">") + 1);
const config = /data-ce-guard='([^']*)'/.exec(open)[1];
const guardTag = `${open}${minified}</script>`;

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");
const page = (guard) => `<!doctype html><html><head><meta charset="utf-8">
<script>window.__t0 = performance.now();</script>${guard ? guardTag : ""}<script>window.__t1 = performance.now();</script>
<title>guard bench</title></head><body><div id="box"></div><script>
window.__run = function (run) {
  const box = document.getElementById("box");
  const t0 = performance.now();
  for (let i = 0; i < 250; i++) {
    const a = document.createElement("div"); a.className = "a"; a.textContent = "a" + i; box.appendChild(a);
    const b = document.createElement("div"); b.appendChild(document.createElement("span")); box.append(b);
    const c = document.createElement("p"); c.textContent = "c"; box.insertBefore(c, box.firstChild);
    box.insertAdjacentHTML("beforeend", '<p class="d"><em>d' + i + '</em></p>');
  }
  const t1 = performance.now();
  return new Promise((resolve) => {
    let left = 200;
    let t2 = 0;
    const done = () => { if (--left === 0) resolve({ init: window.__t1 - window.__t0, insert: t1 - t0, imagesJs: t2 - t1, images: performance.now() - t1 }); };
    for (let i = 0; i < 200; i++) {
      const img = new Image(); img.onload = img.onerror = done;
      img.src = "/px.gif?run=" + run + "&i=" + i; box.appendChild(img);
    }
    t2 = performance.now();
  });
};
</script></body></html>`;

const server = http.createServer((req, res) => {
  const u = new URL(req.url, "http://bench");
  if (u.pathname === "/px.gif") {
    res.writeHead(200, { "content-type": "image/gif", "cache-control": "no-store" }).end(GIF);
  } else {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" })
      .end(page(u.pathname === "/with"));
  }
});
server.listen(0, "127.0.0.1");
await once(server, "listening");
const base = `http://127.0.0.1:${server.address().port}`;

const userDataDir = mkdtempSync(path.join(tmpdir(), "ce-guard-bench-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM, headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-dev-shm-usage"],
});
const results = { without: [], with: [] };
try {
  for (let r = 0; r < RUNS * 2; r++) {
    const variant = r % 2 ? "with" : "without";
    const p = await context.newPage();
    await p.goto(`${base}/${variant}`, { waitUntil: "load" });
    if (variant === "with") {
      const ok = await p.evaluate(() => typeof window.consentEdgeGuard?.grant === "function");
      if (!ok) throw new Error("the guard did not start");
    }
    results[variant].push(await p.evaluate((run) => window.__run(run), r));
    await p.close();
  }
} finally {
  await context.close();
  server.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const fmt = (x) => x.toFixed(2);
const version = execFileSync(CHROMIUM, ["--version"], { encoding: "utf8" }).trim();
console.log(`guard.js: source ${source.length} B; esbuild --minify ${minified.length} B, gzip -9 ${gzipSync(minified, { level: 9 }).length} B`);
console.log(`config (nothing granted): ${config.length} B in the attribute, gzip -9 ${gzipSync(config, { level: 9 }).length} B; whole tag gzip -9 ${gzipSync(guardTag, { level: 9 }).length} B`);
console.log(`${version}, ${RUNS} runs each, medians (ms):`);
console.log("| phase | without guard | with guard | difference |");
console.log("|---|---|---|---|");
for (const k of ["init", "insert", "imagesJs", "images"]) {
  const a = median(results.without.map((x) => x[k])), b = median(results.with.map((x) => x[k]));
  console.log(`| ${k} | ${fmt(a)} | ${fmt(b)} | ${fmt(b - a)} |`);
}
