// Benchmark floor for consent-edge's streaming shell: the pass-through, with
// the body pumped through a JavaScript ReadableStream the way src/edge.rs
// pumps it into wasm, i.e. read with a BYOB reader into 64 KiB buffers (one
// read returns whatever the origin has delivered, so an 84 KB page is ~3
// reads instead of ~20 with the default reader).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const target = new URL(url.pathname + url.search, env.ORIGIN);
    const headers = new Headers(request.headers);
    headers.delete("host");
    const resp = await fetch(target, { method: request.method, headers, redirect: "manual" });
    if (!resp.body) return resp;
    const reader = resp.body.getReader({ mode: "byob" });
    const body = new ReadableStream({
      async pull(controller) {
        const { done, value } = await reader.read(new Uint8Array(64 * 1024));
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    const out = new Headers(resp.headers);
    out.delete("content-length");
    return new Response(body, { status: resp.status, headers: out });
  },
};
