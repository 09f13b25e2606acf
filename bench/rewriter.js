// Benchmark reference: consent-edge's filtering job written as a plain
// JavaScript Worker on the runtime's native HTMLRewriter (lol_html in C++/Rust
// inside workerd). Same catalog hosts and script signatures (the harness passes
// trackers.toml as the CATALOG JSON binding), same element kinds, same
// neutralisation markup. What is granted comes from the `x-bench-grants`
// request header (comma-separated categories) — this worker does no cookie
// signing or jurisdiction lookup, so it is a lower bound for the same job.

const CATEGORIES = ["functional", "analytics", "advertising"];
let compiled = null;

/** Host table: host -> { bare: vendor | null, paths: [[prefix, vendor]] longest first }. */
function compile(catalog) {
  const hosts = new Map();
  const sigs = [];
  for (const v of catalog) {
    const vendor = { id: v.id, category: v.category };
    for (const h of v.hosts || []) {
      const slash = h.indexOf("/");
      const host = (slash < 0 ? h : h.slice(0, slash)).toLowerCase();
      let e = hosts.get(host);
      if (!e) hosts.set(host, (e = { bare: null, paths: [] }));
      if (slash < 0) e.bare = vendor;
      else e.paths.push([h.slice(slash), vendor]);
    }
    for (const s of v.scripts || []) sigs.push([s.toLowerCase(), vendor]);
  }
  for (const e of hosts.values()) e.paths.sort((a, b) => b[0].length - a[0].length);
  return { hosts, sigs };
}

/** The vendor a URL belongs to, or null. Relative URLs are first-party. */
function matchUrl(raw, base) {
  if (!raw || !raw.includes("//")) return null;
  let u;
  try {
    u = new URL(raw.trim(), base);
  } catch {
    return null;
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return null;
  let host = u.hostname;
  const path = u.pathname;
  for (;;) {
    const e = compiled.hosts.get(host);
    if (e) {
      for (const [prefix, v] of e.paths) {
        if (path === prefix || path.startsWith(prefix.endsWith("/") ? prefix : prefix + "/")) return v;
      }
      if (e.bare) return e.bare;
    }
    const dot = host.indexOf(".");
    if (dot < 0) return null;
    host = host.slice(dot + 1);
  }
}

function matchScript(text) {
  const lower = text.toLowerCase();
  for (const [sig, v] of compiled.sigs) if (lower.includes(sig)) return v;
  return null;
}

function mark(el, v) {
  el.setAttribute("data-consent-category", v.category);
  el.setAttribute("data-consent-vendor", v.id);
}

/** Moves `attr` to `data-consent-<attr>` when it points at a refused vendor. */
function neutraliseAttr(el, attr, ctx) {
  const v = matchUrl(el.getAttribute(attr), ctx.base);
  if (!v || ctx.granted.has(v.category)) return false;
  el.setAttribute(`data-consent-${attr}`, el.getAttribute(attr));
  el.removeAttribute(attr);
  mark(el, v);
  return true;
}

const ATTR_ESCAPE = { "&": "&amp;", '"': "&quot;", "<": "&lt;", ">": "&gt;" };
const escapeAttr = (s) => s.replace(/[&"<>]/g, (c) => ATTR_ESCAPE[c]);

/** Only the `<head>` marker: the work of a consent-edge build without the filter. */
function headOnly() {
  return new HTMLRewriter().on("head", {
    element(el) {
      el.prepend('<meta name="consent-edge" content="1">', { html: true });
    },
  });
}

function rewriter(ctx) {
  const resourceHandler = (attrs) => ({
    element(el) {
      for (const a of attrs) if (el.hasAttribute(a)) neutraliseAttr(el, a, ctx);
    },
  });
  return (
    new HTMLRewriter()
      .on("head", {
        element(el) {
          el.prepend('<meta name="consent-edge" content="1">', { html: true });
        },
      })
      .on("script[src]", {
        element(el) {
          const v = matchUrl(el.getAttribute("src"), ctx.base);
          if (!v || ctx.granted.has(v.category)) return;
          if (el.hasAttribute("type")) el.setAttribute("data-consent-type", el.getAttribute("type"));
          el.setAttribute("type", "text/plain");
          el.setAttribute("data-consent-src", el.getAttribute("src"));
          el.removeAttribute("src");
          mark(el, v);
        },
      })
      // Inline scripts: the start tag is already decided when the text
      // arrives, so hold the whole element back (tags removed, text chunks
      // buffered) and write it out again at the end tag, neutralised or not.
      .on("script:not([src])", {
        element(el) {
          if (!ctx.inlineScripts) return;
          const type = (el.getAttribute("type") || "").trim().toLowerCase();
          if (type && type !== "text/javascript" && type !== "module" && type !== "application/javascript") return;
          let attrs = "";
          for (const [name, value] of el.attributes) attrs += ` ${name}="${escapeAttr(value)}"`;
          const state = { attrs, text: "" };
          ctx.inline = state;
          el.removeAndKeepContent();
          el.onEndTag((end) => {
            ctx.inline = null;
            const v = matchScript(state.text);
            let open = `<script${state.attrs}>`;
            if (v && !ctx.granted.has(v.category)) {
              const kept = state.attrs.replace(/ type="[^"]*"/, "");
              open = `<script${kept} type="text/plain" data-consent-category="${v.category}" data-consent-vendor="${v.id}">`;
            }
            end.before(`${open}${state.text}</script>`, { html: true });
          });
        },
        text(chunk) {
          if (!ctx.inline) return;
          ctx.inline.text += chunk.text;
          chunk.remove();
        },
      })
      .on("img", resourceHandler(["src", "srcset"]))
      .on("source", resourceHandler(["src", "srcset"]))
      .on("iframe[src]", resourceHandler(["src"]))
      .on("embed[src]", resourceHandler(["src"]))
      .on("object[data]", resourceHandler(["data"]))
      .on("video", resourceHandler(["src", "poster"]))
      .on("audio[src]", resourceHandler(["src"]))
      .on("link[href][rel]", {
        element(el) {
          const rel = el.getAttribute("rel").toLowerCase().split(/\s+/);
          if (rel.some((r) => r === "preconnect" || r === "dns-prefetch" || r === "preload" || r === "prefetch" || r === "modulepreload")) {
            neutraliseAttr(el, "href", ctx);
          }
        },
      })
      .on("a[ping]", {
        element(el) {
          const urls = el.getAttribute("ping").split(/\s+/).filter(Boolean);
          for (const u of urls) {
            const v = matchUrl(u, ctx.base);
            if (v && !ctx.granted.has(v.category)) {
              el.setAttribute("data-consent-ping", el.getAttribute("ping"));
              el.removeAttribute("ping");
              mark(el, v);
              return;
            }
          }
        },
      })
  );
}

export default {
  async fetch(request, env) {
    compiled ??= compile(env.CATALOG || []);
    const url = new URL(request.url);
    const target = new URL(url.pathname + url.search, env.ORIGIN);
    const headers = new Headers(request.headers);
    headers.delete("host");
    const grantsHeader = request.headers.get("x-bench-grants") || "";
    headers.delete("x-bench-grants");
    headers.delete("x-bench-inline");
    const mode = request.headers.get("x-bench-mode");
    headers.delete("x-bench-mode");
    const resp = await fetch(target, { method: request.method, headers, redirect: "manual" });
    const mime = (resp.headers.get("content-type") || "").split(";")[0].trim().toLowerCase();
    if (request.method === "HEAD" || (mime !== "text/html" && mime !== "application/xhtml+xml")) return resp;
    if ([101, 204, 205, 206, 304].includes(resp.status) || (resp.status >= 300 && resp.status < 400)) return resp;
    const granted = new Set(grantsHeader.split(",").map((s) => s.trim()).filter((s) => CATEGORIES.includes(s)));
    // `x-bench-inline: 0` turns inline-script signatures off (to show their cost).
    const ctx = { granted, base: url.href, inline: null, inlineScripts: request.headers.get("x-bench-inline") !== "0" };
    // transform() streams and drops Content-Length itself.
    return (mode === "head-only" ? headOnly() : rewriter(ctx)).transform(resp);
  },
};
