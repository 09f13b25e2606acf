// Ways to pump a body through JavaScript in workerd, chosen per request with
// `x-proto` (bench/proto.mjs measures them side by side): "pass" (untouched),
// "rs"/"rs-byob" (ReadableStream pulling with the default / a BYOB reader),
// "its"/"its-byob" (writing into a native IdentityTransformStream), "ts"
// (pipeThrough a JS TransformStream), "count"/"count-byob" (how many chunks
// each reader sees). Used to pick consent-edge's pump in src/edge.rs.
function pumpTo(writer, read, onEnd) {
  (async () => {
    try {
      for (;;) {
        const c = await read();
        if (!c) break;
        await writer.write(c);
      }
      await writer.close();
    } catch (e) {
      try { await writer.abort(e); } catch {}
    }
  })();
}
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const target = new URL(url.pathname + url.search, env.ORIGIN);
    const headers = new Headers(request.headers);
    headers.delete("host");
    const mode = request.headers.get("x-proto") || "pass";
    const resp = await fetch(target, { method: request.method, headers, redirect: "manual" });
    if (mode === "pass" || !resp.body) return resp;
    const out = new Headers(resp.headers);
    out.delete("content-length");
    const src = resp.body;
    const defRead = () => { const r = src.getReader(); return async () => { const { done, value } = await r.read(); return done ? null : value; }; };
    const byobRead = (n) => { const r = src.getReader({ mode: "byob" }); return async () => { const { done, value } = await r.read(new Uint8Array(n)); return done ? null : value; }; };
    if (mode === "count" || mode === "count-byob") {
      const read = mode === "count" ? defRead() : byobRead(65536);
      let n = 0, b = 0, c;
      while ((c = await read())) { n++; b += c.length; }
      return new Response(`${n} chunks ${b} bytes\n`);
    }
    let body;
    if (mode === "rs" || mode === "rs-byob") {
      const read = mode === "rs" ? defRead() : byobRead(65536);
      body = new ReadableStream({
        async pull(ctl) { const c = await read(); if (c) ctl.enqueue(c); else ctl.close(); },
        cancel(r) { return src.cancel(r); },
      });
    } else if (mode === "its" || mode === "its-byob") {
      const read = mode === "its" ? defRead() : byobRead(65536);
      const t = new IdentityTransformStream();
      pumpTo(t.writable.getWriter(), read);
      body = t.readable;
    } else if (mode === "ts") {
      body = src.pipeThrough(new TransformStream({ transform(c, ctl) { ctl.enqueue(c); } }));
    } else if (mode === "ts-copy") {
      body = src.pipeThrough(new TransformStream({ transform(c, ctl) { ctl.enqueue(c.slice()); } }));
    } else throw new Error("mode " + mode);
    return new Response(body, { status: resp.status, headers: out });
  },
};
