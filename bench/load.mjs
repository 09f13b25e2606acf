// Load generator, run as a separate Node process (child_process.fork) so its
// CPU does not share an event loop with the origin. The parent sends jobs over
// IPC; each job reports per-request latencies measured here with raw HTTP
// (keep-alive agent, bounded concurrency, closed loop).
import http from "node:http";

const agents = new Map();
function agentFor(base, concurrency) {
  const key = `${base} ${concurrency}`;
  let a = agents.get(key);
  if (!a) agents.set(key, (a = new http.Agent({ keepAlive: true, maxSockets: concurrency })));
  return a;
}

/** One GET; resolves with timing and byte count. Body is consumed and dropped. */
function get(url, headers, agent) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let headersAt = 0;
    let firstByteAt = 0;
    let bytes = 0;
    let chunks = 0;
    const req = http.get(url, { headers, agent }, (res) => {
      headersAt = performance.now();
      res.on("data", (d) => {
        if (!firstByteAt) firstByteAt = performance.now();
        bytes += d.length;
        chunks++;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode, ms: performance.now() - t0, headersMs: headersAt - t0, firstByteMs: (firstByteAt || performance.now()) - t0, bytes, chunks }),
      );
      res.on("error", (e) => resolve({ status: 0, error: String(e), ms: performance.now() - t0, bytes }));
    });
    req.on("error", (e) => resolve({ status: 0, error: String(e), ms: performance.now() - t0, bytes }));
  });
}

/** Runs `paths` against `base` with `concurrency` requests in flight. */
async function block({ base, paths, headers, concurrency }) {
  const agent = agentFor(base, concurrency);
  const results = new Array(paths.length);
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < paths.length) {
      const i = next++;
      results[i] = await get(new URL(paths[i], base), headers, agent);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, lane));
  const wallMs = performance.now() - t0;
  const bad = results.filter((r) => r.status !== 200);
  return {
    wallMs,
    ms: results.map((r) => r.ms),
    bytes: results.map((r) => r.bytes),
    errors: bad.length,
    firstError: bad[0] ? `${bad[0].status} ${bad[0].error || ""}` : null,
  };
}

process.on("message", async (msg) => {
  try {
    let out;
    if (msg.cmd === "block") out = await block(msg);
    else if (msg.cmd === "get") out = await get(new URL(msg.path, msg.base), msg.headers || {}, undefined);
    else if (msg.cmd === "close") {
      for (const a of agents.values()) a.destroy();
      process.exit(0);
    } else throw new Error(`unknown command ${msg.cmd}`);
    process.send({ id: msg.id, ok: true, out });
  } catch (e) {
    process.send({ id: msg.id, ok: false, error: String(e && e.stack || e) });
  }
});
