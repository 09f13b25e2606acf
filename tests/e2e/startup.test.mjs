// The `start` event's warm-up (crates/edge/src/lib.rs, crates/edge/src/warm.rs,
// src/proxy/warm.rs), inside workerd: it runs while the worker starts,
// before any request, through the real fetch handler with the worker's real
// bindings (workerd's importable `env`), and the worker then serves as
// before.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, startWorker, bytes, eventually } from "./harness.mjs";

const PAGE = `<!doctype html><html><head><title>t</title><script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script></head><body><p>hi</p></body></html>`;
const DE = { country: "DE", regionCode: "HE", isEUCountry: "1", continent: "EU" };

let origin, mf;
after(async () => {
  await mf?.dispose();
  origin?.close();
});

test("start: the fetch handler runs once before any request, with the real bindings, and logs no warm-up error", async () => {
  origin = await startOrigin({
    "/page.html": (req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(PAGE);
    },
  });
  let log = "";
  const collect = (stream) => stream.on("data", (d) => (log += d));
  mf = await startWorker(
    // A too-short admin token: the handler says so once per isolate, the
    // first time it runs. Seeing it before any request shows the warm-up
    // ran the handler, and with this worker's `env` (not an empty one).
    { ORIGIN: origin.url, ADMIN_TOKEN: "short" },
    { handleRuntimeStdio: (out, err) => (collect(out), collect(err)) },
  );
  await eventually(() => log.includes("ADMIN_TOKEN is shorter than 32 bytes"), "the handler's once-per-isolate check at startup");
  assert.doesNotMatch(log, /warm-up/, "no warm-up step failed or was skipped");

  const res = await mf.dispatchFetch("https://site.example/page.html", { cf: DE, headers: { accept: "text/html" } });
  assert.equal(res.status, 200);
  const html = (await bytes(res)).toString();
  assert.match(html, /<p>hi<\/p>/);
  assert.match(html, /type="text\/plain"[^>]*data-consent-category="analytics"|data-consent-category="analytics"[^>]*type="text\/plain"/, "the tracker is held (nothing granted in Germany)");
  assert.equal(log.match(/ADMIN_TOKEN is shorter/g).length, 1, "the check ran once: the request reused the warm isolate's settings");
});
