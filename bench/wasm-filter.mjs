// The filter alone in wasm, run by node's V8 (workerd's engine) without the
// worker: bench/wasm-filter/ built once per global allocator, then the corpus
// pages of 70-100 KB filtered by each build, alternated page by page (order
// rotated), after a warm-up pass (so V8 has tiered the hot code up).
//   node bench/wasm-filter.mjs [dlmalloc] [classes] [talc] [rlsf] [bump] [path/to/build.wasm]
// The first build is the baseline: prints each build's median page time, its
// sum over the pages, and the median over pages of its ratio to the baseline.
// ALL=1: a visitor who granted everything (default: nothing); INJECT=1: the
// worker's injection (banner, guard, declaration, status) built per page
// too; INJECT=2: also the worker's catalog and filter settings (consent.toml)
// and the response's charset, as `edge/proxy.rs` builds it; ROUNDS (10). PARTS=1: instead, `banner::page_with` and its pieces,
// each timed once right after a page was filtered (caches as cold as
// between two requests) and hot (500 in a row).
// FLOOR=1: instead, one build (the first named, default dlmalloc) run six
// ways on the same pages, alternated page by page: lol_html alone with no
// handler ("bare"), with a no-op element handler on `*` and text handler on
// `script` ("noop"), with no-op handlers on the filter's own registration
// ("noop-filter"), with bench/floor's two handlers ("floor (c)"), and the filter for a visitor who granted nothing and
// everything (INJECT as above, default 2 here: as the worker); REVERSE=1
// reverses the order the modes take turns in. Prints each mode's median
// page, and its median per-page difference from and ratio to "bare".
// Builds go to target/wasm-filter (release, the worker's profile and
// rustflags: SIMD).
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const ROUNDS = Number(process.env.ROUNDS || 10);
const ALL = Number(process.env.ALL || 0);
const FLOOR = Boolean(process.env.FLOOR);
const INJECT = Number(process.env.INJECT || (FLOOR ? 2 : 0));
const dir = path.join(ROOT, "node_modules/htmlparser-benchmark/files");
const pages = fs.readdirSync(dir).filter((f) => f.endsWith(".html")).sort()
  .map((f) => fs.readFileSync(path.join(dir, f)))
  .filter((b) => b.length >= 70 * 1024 && b.length <= 100 * 1024);

function build(variant) {
  // A path to a .wasm built earlier (e.g. kept in bench-builds/): as is.
  if (variant.endsWith(".wasm")) return variant;
  const target = path.join(ROOT, "target/wasm-filter");
  const args = ["build", "--release", "--quiet", "--target", "wasm32-unknown-unknown",
    "--manifest-path", path.join(HERE, "wasm-filter/Cargo.toml"), "--target-dir", target];
  if (variant !== "dlmalloc") args.push("--features", variant);
  execFileSync("cargo", args, { cwd: ROOT, stdio: "inherit" });
  const out = path.join(target, `${variant}.wasm`);
  fs.copyFileSync(path.join(target, "wasm32-unknown-unknown/release/consent_edge_wasm_filter_bench.wasm"), out);
  return out;
}

function load(file) {
  const mod = new WebAssembly.Module(fs.readFileSync(file));
  const imports = {};
  for (const i of WebAssembly.Module.imports(mod)) {
    imports[i.module] ??= {};
    imports[i.module][i.name] = i.kind === "function" ? () => { throw new Error(`import ${i.module}.${i.name} called`); } : undefined;
  }
  const e = new WebAssembly.Instance(mod, imports).exports;
  const put = (b) => {
    const p = e.buf(b.length);
    new Uint8Array(e.memory.buffer, p, b.length).set(b);
  };
  const run = (b) => { put(b); return e.run(b.length, ALL, INJECT); };
  return { e, run, put };
}

const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const variants = process.argv.slice(2).length ? process.argv.slice(2) : FLOOR ? ["dlmalloc"] : ["dlmalloc", "talc"];
const mods = variants.map((v) => load(build(v)));
const load1 = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

if (process.env.PARTS) {
  const names = ["page_with", "texts", "banner_html", "declaration_html", "status_html", "head_signals", "negotiate", "guard tag"];
  const { e, run } = mods[0];
  for (let r = 0; r < 2; r++) for (const b of pages) { run(b); for (let k = 0; k < names.length; k++) e.parts(1, ALL, k); }
  const cold = names.map(() => []);
  for (let r = 0; r < ROUNDS; r++) for (const b of pages) for (let k = 0; k < names.length; k++) {
    run(b);
    const s = performance.now(); e.parts(1, ALL, k); cold[k].push((performance.now() - s) * 1000);
  }
  console.log(`${variants[0]}, ${ALL ? "everything" : "nothing"} granted, load ${load1}: µs per call (1–5 include negotiate)`);
  for (let k = 0; k < names.length; k++) {
    const hot = [];
    for (let r = 0; r < 7; r++) { const s = performance.now(); e.parts(500, ALL, k); hot.push((performance.now() - s) * 2); }
    console.log(`  ${names[k].padEnd(18)} after a page ${med(cold[k]).toFixed(1).padStart(6)}   hot ${med(hot).toFixed(1).padStart(6)}`);
  }
  process.exit(0);
}

if (FLOOR) {
  const { e, put } = mods[0];
  const modes = [
    ["bare", (n) => e.lol(n, 0)],
    ["noop", (n) => e.lol(n, 1)],
    ["noop-filter", (n) => e.lol(n, 2)],
    ["floor (c)", (n) => e.lol(n, 3)],
    ["filter none", (n) => e.run(n, 0, INJECT)],
    ["filter all", (n) => e.run(n, 1, INJECT)],
  ];
  if (process.env.REVERSE) modes.reverse();
  for (const b of pages) for (const [, f] of modes) { put(b); f(b.length); }
  e.mark();
  const t = modes.map(() => pages.map(() => []));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < pages.length; k++) {
      for (let j = 0; j < modes.length; j++) {
        const i = (j + r + k) % modes.length;
        put(pages[k]);
        const s = performance.now(); modes[i][1](pages[k].length); t[i][k].push(performance.now() - s);
      }
    }
  }
  const load2 = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const pm = t.map((pp) => pp.map(med));
  const b = modes.findIndex(([name]) => name === "bare");
  console.log(`${path.basename(variants[0])}: ${pages.length} pages of 70-100 KB, filter ${["without injection", "with injection", "as the worker"][INJECT]}, ${ROUNDS} rounds, order ${modes.map(([n]) => n).join(", ")}, load ${load1} → ${load2}`);
  for (let i = 0; i < modes.length; i++) {
    const diff = med(pm[i].map((x, k) => x - pm[b][k]));
    const ratio = med(pm[i].map((x, k) => x / pm[b][k]));
    console.log(`  ${modes[i][0].padEnd(12)} median page ${med(pm[i]).toFixed(3)} ms   sum ${pm[i].reduce((a, c) => a + c, 0).toFixed(1)} ms   ${diff >= 0 ? "+" : ""}${diff.toFixed(3)} ms ×${ratio.toFixed(3)} vs bare`);
  }
  process.exit(0);
}

for (const m of mods) { for (const b of pages) m.run(b); m.e.mark(); }
const t = mods.map(() => pages.map(() => []));
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < pages.length; k++) {
    for (let j = 0; j < mods.length; j++) {
      const i = (j + r + k) % mods.length;
      const s = performance.now(); mods[i].run(pages[k]); t[i][k].push(performance.now() - s);
    }
  }
}
const pm = t.map((pp) => pp.map(med));
console.log(`${pages.length} pages of 70-100 KB, ${ALL ? "everything" : "nothing"} granted, ${["no injection", "injection", "as the worker"][INJECT]}, ${ROUNDS} rounds, load ${load1}`);
for (let i = 0; i < mods.length; i++) {
  const ratio = med(pm[i].map((x, k) => x / pm[0][k]));
  console.log(`  ${path.basename(variants[i]).padEnd(9)} median page ${med(pm[i]).toFixed(3)} ms   sum ${pm[i].reduce((a, b) => a + b, 0).toFixed(1)} ms   ×${ratio.toFixed(3)} vs ${path.basename(variants[0])}`);
}
