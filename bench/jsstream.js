// Benchmark floor for any worker that handles the body in JS (or wasm): the
// pass-through, but with the body re-streamed chunk by chunk through a
// JavaScript ReadableStream instead of handed back to the runtime untouched.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const target = new URL(url.pathname + url.search, env.ORIGIN);
    const headers = new Headers(request.headers);
    headers.delete("host");
    const resp = await fetch(target, { method: request.method, headers, redirect: "manual" });
    if (!resp.body) return resp;
    const reader = resp.body.getReader();
    const body = new ReadableStream({
      async pull(controller) {
        const { done, value } = await reader.read();
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
