// Faults in workerd: a refusing, hanging, breaking or huge origin, a
// broken record store and a panicking worker. In every case the visitor gets
// a clear answer, tracker markup never leaks, and the next request works.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { once } from "node:events";
import { startOrigin, startWorker } from "./harness.mjs";

const DE = { country: "DE", regionCode: "BY", isEUCountry: "1", continent: "EU" };
const PAGE = "<!doctype html><html><head><title>ok</title></head><body><p>fine</p></body></html>";
const FB = `<script src="https://connect.facebook.net/en_US/fbevents.js"></script>`;
const MB = 1 << 20;

let origin, mf;
const hung = new Set();

before(async () => {
  origin = await startOrigin({
    "/ok.html": (req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(PAGE);
    },
    // Accepts the request, never answers.
    "/hang": (req, res) => {
      hung.add(res);
    },
    // Headers and half a document, then the socket is destroyed.
    "/truncated.html": (req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.write(`<!doctype html><html><head>${FB}</head><body><p>first half</p><div>`);
      setTimeout(() => res.socket.destroy(), 100);
    },
    // Closes the connection before any response.
    "/reset": (req, res) => {
      req.socket.destroy();
    },
    // A 6 MiB start tag: lol_html must buffer it whole, past the 4 MiB limit.
    "/giant-tag.html": (req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.write("<!doctype html><html><head></head><body><p>before</p>");
      res.write(`<img alt="${"x".repeat(6 * MB)}" src="/local.png">`);
      res.end(`${FB}<img src="https://www.facebook.com/tr?id=1"><p>after</p></body></html>`);
    },
    // A 1 MiB inline script: the tracker signature comes first (found while
    // held), the rest is released as it streams.
    "/giant-script.html": (req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(
        `<!doctype html><html><head><script>fbq('init', '123');var pad='${"y".repeat(MB)}';</script></head><body><p>after</p></body></html>`,
      );
    },
  });
  mf = await startWorker({ ORIGIN: origin.url, ORIGIN_TIMEOUT_MS: "1000", DEV_FAULTS: "true" });
});

after(async () => {
  for (const res of hung) res.socket?.destroy();
  await mf?.dispose();
  await origin?.close();
});

async function stillWorks(w = mf) {
  const res = await w.dispatchFetch("https://site.example/ok.html", { cf: DE });
  assert.equal(res.status, 200, "the next request works");
  assert.match(await res.text(), /<p>fine<\/p>/);
}

test("origin refuses the connection → a clear 502 page, then the worker still answers", async () => {
  // A port that was just listening and is now closed: connection refused.
  const srv = net.createServer().listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  const w = await startWorker({ ORIGIN: `http://127.0.0.1:${port}` });
  try {
    for (let i = 0; i < 2; i++) {
      const res = await w.dispatchFetch("https://site.example/page.html", { cf: DE });
      assert.equal(res.status, 502);
      assert.match(res.headers.get("content-type"), /^text\/plain/);
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.match(await res.text(), /^consent-edge: the origin could not be reached/);
    }
    // The consent endpoint does not need the origin.
    const s = await w.dispatchFetch("https://site.example/__consent", { cf: DE });
    assert.equal(s.status, 200);
  } finally {
    await w.dispose();
  }
});

test("origin drops the connection before answering → 502, next request works", async () => {
  const res = await mf.dispatchFetch("https://site.example/reset", { cf: DE });
  assert.equal(res.status, 502);
  assert.match(await res.text(), /origin could not be reached/);
  await stillWorks();
});

test("origin never answers → 504 after ORIGIN_TIMEOUT_MS, not a hang", async () => {
  const t0 = performance.now();
  const res = await mf.dispatchFetch("https://site.example/hang", { cf: DE });
  const ms = performance.now() - t0;
  assert.equal(res.status, 504);
  assert.match(await res.text(), /did not answer within 1000 ms/);
  assert.ok(ms >= 950, `answered after ${ms} ms, before the timeout`);
  assert.ok(ms < 10_000, `answered after ${ms} ms`);
  await stillWorks();
});

test("origin body cut mid-HTML → the stream ends cleanly, no tracker, next request works", async () => {
  const res = await mf.dispatchFetch("https://site.example/truncated.html", { cf: DE });
  assert.equal(res.status, 200);
  const body = await res.text(); // resolves: the body ends
  assert.match(body, /<p>first half<\/p>/);
  assert.doesNotMatch(body, /<script src="https:\/\/connect\.facebook\.net\/en_US\/fbevents\.js"><\/script>/, "tracker neutralised");
  assert.match(body, /data-consent-vendor="meta-pixel"/);
  assert.match(body, /id="consent-edge"/, "the banner is still appended at the end");
  await stillWorks();
});

test("memory limit trips on a 6 MiB start tag → the documented fail-safe: cut, closed, banner, no tracker", async () => {
  const res = await mf.dispatchFetch("https://site.example/giant-tag.html", { cf: DE });
  assert.equal(res.status, 200);
  const body = await res.text();
  assert.match(body, /^<!doctype html><html><head>/);
  assert.match(body, /<p>before<\/p>/);
  const cut = body.indexOf("<!--consent-edge: document truncated-->");
  assert.ok(cut > 0, "the truncation comment is there");
  assert.match(body.slice(cut), /^<!--consent-edge: document truncated-->[^]*id="consent-edge"/, "the banner follows the cut");
  // (The client guard's configuration names the refused hosts: not markup.)
  assert.doesNotMatch(body.replace(/ data-ce-guard='[^']*'/, ""), /facebook/, "no tracker markup after the cut");
  assert.doesNotMatch(body, /<p>after<\/p>/, "the rest of the document is not sent");
  assert.ok(body.length < 6 * MB, `${body.length} bytes: the giant tag was not passed through`);
  await stillWorks();
});

test("a 1 MiB inline tracker script is neutralised and the page completes", async () => {
  const res = await mf.dispatchFetch("https://site.example/giant-script.html", { cf: DE });
  assert.equal(res.status, 200);
  const body = await res.text();
  assert.match(body, /<script type="text\/plain" data-consent-category="advertising" data-consent-vendor="meta-pixel"[^>]*>fbq\('init'/);
  assert.ok(body.includes("y".repeat(MB)), "the script's text passes whole");
  assert.match(body, /<p>after<\/p>/);
  await stillWorks();
});

test("an error of ours → 500 with a body that says so (not a 502 blaming the origin)", async () => {
  const res = await mf.dispatchFetch("https://site.example/__consent/fault/error", { cf: DE });
  assert.equal(res.status, 500);
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.match(await res.text(), /^consent-edge: internal error while handling this request \(.*deliberate error \(DEV_FAULTS\)\); this is a bug in consent-edge, not in the site\n$/);
  await stillWorks();
});

test("D1 down: consent still works — see records.test.mjs 'D1 missing or broken: consent is still set, the page still served'", () => {
  // Covered there (no DB binding, and an unmigrated DB where every write fails).
});

test("a panic inside the worker → a clear 503 at once (not the runtime's 500), the next request works", async () => {
  const res = await mf.dispatchFetch("https://site.example/__consent/fault/panic", { cf: DE });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "1");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.match(res.headers.get("content-type"), /^text\/plain/);
  assert.match(await res.text(), /^consent-edge: internal error while handling this request/);
  for (let i = 0; i < 3; i++) await stillWorks();
  const s = await mf.dispatchFetch("https://site.example/__consent", { cf: DE });
  assert.equal(s.status, 200);
  assert.equal((await s.json()).jurisdiction, "eu");
  // Without DEV_FAULTS the hook does not exist.
  const prod = await startWorker({ ORIGIN: origin.url });
  try {
    const r = await prod.dispatchFetch("https://site.example/__consent/fault/panic", { cf: DE });
    assert.equal(r.status, 404);
    await r.arrayBuffer();
  } finally {
    await prod.dispose();
  }
});
