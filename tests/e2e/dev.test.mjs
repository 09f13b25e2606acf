// `make dev`: wrangler dev serves the demo site (Workers Static Assets) through
// the worker, offline, with no configuration.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { ROOT } from "./harness.mjs";

let proc, base, log = "";

async function freePort() {
  const srv = net.createServer().listen(0, "127.0.0.1");
  await new Promise((r) => srv.once("listening", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  proc = spawn(path.join(ROOT, "node_modules/.bin/wrangler"), ["dev", "--env", "dev", "--port", String(port), "--ip", "127.0.0.1", "--var", "CONSENT_SECRET:dev-test-secret-0123456789abcdef"], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_DISABLE_UPDATE_CHECK: "true", BROWSER: "none", CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  proc.stdout.on("data", (d) => (log += d));
  proc.stderr.on("data", (d) => (log += d));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/assets/site.css`);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not come up:\n${log}`);
});

after(() => {
  try { process.kill(-proc.pid, "SIGTERM"); } catch {}
});

test("the demo home page is served through the worker", async () => {
  const res = await fetch(`${base}/index.html`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<head>(?:<script data-ce-guard='[^']*'>[\s\S]*?<\/script>)?<script>[^<]*gtag\('consent','default'/, "rewritten by the worker");
  assert.match(html, /Northwind Parcel/);
});

test("the demo's own CSS passes through byte-identical", async () => {
  const res = await fetch(`${base}/assets/site.css`);
  const body = Buffer.from(await res.arrayBuffer());
  assert.ok(body.equals(readFileSync(path.join(ROOT, "demo/assets/site.css"))));
});

test("every demo page is reachable", async () => {
  for (const page of ["/", "/about.html", "/contact.html", "/cookie-policy.html"]) {
    const res = await fetch(`${base}${page}`);
    assert.equal(res.status, 200, page);
    await res.arrayBuffer();
  }
});
