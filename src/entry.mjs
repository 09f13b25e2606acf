// The worker's entry point: the Rust edge (`crates/edge`, built by
// worker-build into build/index.js) behind one guard.
//
// A panic or a trap in the wasm module (a bug, or running out of memory)
// leaves the request's promise pending for ever; the runtime then cancels it
// with its own 500 after a while. The module reports such traps as a global
// `error` event carrying a `WebAssembly.RuntimeError` (and reinitialises
// itself for the next request). The guard answers every request still
// waiting for its response at that moment at once, with a 503 that says what
// happened. A response already streaming cannot be changed: its body ends
// early instead, which the browser treats as a failed load.

import RustEdge from "../build/index.js";

/** Rejecters of the requests that have no response yet. */
const waiting = new Set();

addEventListener("error", (event) => {
  if (event.error instanceof WebAssembly.RuntimeError) {
    for (const fail of waiting) fail(event.error);
  }
});

/** The answer to a request the edge crashed on. */
function crashResponse() {
  return new Response(
    "consent-edge: internal error while handling this request. Please retry.\n",
    {
      status: 503,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
        "retry-after": "1",
      },
    },
  );
}

export default class ConsentEdge extends RustEdge {
  async fetch(request) {
    let fail;
    const crashed = new Promise((_, reject) => {
      fail = reject;
    });
    waiting.add(fail);
    try {
      return await Promise.race([super.fetch(request), crashed]);
    } catch (err) {
      console.error("consent-edge: crashed before answering:", String(err));
      return crashResponse();
    } finally {
      waiting.delete(fail);
    }
  }
}
