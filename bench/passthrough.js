// Benchmark floor: a Worker that fetches the page from ORIGIN and returns the
// origin's response untouched (same request forwarding as consent-edge).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const target = new URL(url.pathname + url.search, env.ORIGIN);
    const headers = new Headers(request.headers);
    headers.delete("host");
    return fetch(target, { method: request.method, headers, redirect: "manual" });
  },
};
