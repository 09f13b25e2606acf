// The floor builds answer as they should: one corpus page of 70-100 KB
// through each build in bench/floor/out/ (Miniflare, workerd), bytes out
// against bytes in. (b), (e) must return the page unchanged; the lol_html
// builds set `data-floor="1"` on each `<script src>`, and all return the
// same bytes.
//   node bench/floor/check.mjs [b c d e f g …]
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(HERE, "../../node_modules/htmlparser-benchmark/files");
const name = fs.readdirSync(dir).filter((f) => f.endsWith(".html")).sort()
  .find((f) => { const n = fs.statSync(path.join(dir, f)).size; return n >= 70 * 1024 && n <= 100 * 1024; });
const page = fs.readFileSync(path.join(dir, name));
const server = http.createServer((_, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": page.length });
  res.end(page);
});
server.listen(0, "127.0.0.1");
await once(server, "listening");
const ORIGIN = `http://127.0.0.1:${server.address().port}`;
const builds = process.argv.slice(2).length ? process.argv.slice(2) : ["b", "c", "d", "e", "f", "g"];
let failed = 0;
let rewritten = null;
for (const b of builds) {
  const mf = new Miniflare({
    scriptPath: path.join(HERE, "out", b, "index.js"), modules: true,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-04-01", bindings: { ORIGIN },
  });
  const r = await mf.dispatchFetch(`http://floor/corpus/${name}`);
  const out = Buffer.from(await r.arrayBuffer());
  const set = (out.toString("utf8").match(/data-floor="1"/g) || []).length;
  const same = out.equals(page);
  const plain = ["b", "e"].includes(b);
  if (!plain) rewritten ??= out;
  const ok = r.status === 200 && (plain ? same : !same && set > 0 && out.equals(rewritten));
  if (!ok) failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${b}: ${r.status}, ${page.length} B in, ${out.length} B out, ${same ? "unchanged" : `${set} data-floor set`}`);
  await mf.dispose();
}
server.close();
process.exit(failed ? 1 : 0);
