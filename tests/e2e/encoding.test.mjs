// Issue 12, class 12: encodings and document types, through the built
// worker in workerd. What the browser would decode (BOM first, then the
// served charset) must never carry a live refused tracker; what cannot be
// read is refused with a clear 502. The pure decisions are in
// src/proxy/encoding.rs (tests: encoding_tests.rs, transcode_tests.rs,
// tests/oracle_encoding.rs); docs/SECURITY.md points at these tests.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { startOrigin, startWorker, bytes } from "./harness.mjs";

const DE = { country: "DE", regionCode: "BY", isEUCountry: "1", continent: "EU" };
const NAV = { accept: "text/html,application/xhtml+xml,*/*;q=0.8", "sec-fetch-dest": "document" };
const FB_SRC = "https://connect.facebook.net/en_US/fbevents.js";
const FB = `<script src="${FB_SRC}"></script>`;
const JP = "\u65e5\u672c\u8a9e";
const PAGE = `<!DOCTYPE html><html><head><title>${JP}</title>${FB}</head><body><p>caf\u00e9</p></body></html>`;
// A live tracker script: its `src` without the `type="text/plain"` that
// neutralising adds.
const LIVE = new RegExp(`<script src="${FB_SRC.replace(/[./]/g, "\\$&")}"(?![^>]*type="text/plain")[^>]*>`);

const utf16le = (s) => Buffer.from(s, "utf16le");
const utf16be = (s) => utf16le(s).swap16();
// ISO-2022-JP, hand-made: ASCII, with the kanji of the title in JIS X 0208
// (ESC $ B … ESC ( B), and the `<script` tag name split by an escape
// sequence that decodes to nothing (`<scr ESC ( B ipt`): the filter reading
// bytes as ASCII would see no script; the browser sees one.
const ISO_JP_TITLE = Buffer.from([0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x38, 0x6c, 0x1b, 0x28, 0x42]);
const isoPage = (head = "") => Buffer.concat([
  Buffer.from(`<!DOCTYPE html><html><head>${head}<title>`),
  ISO_JP_TITLE,
  Buffer.from(`</title><scr\x1b(Bipt src="${FB_SRC}"></script></head><body><p>ok</p></body></html>`),
]);

let origin, mf;

before(async () => {
  const send = (headers, body) => (req, res) => { res.writeHead(200, headers); res.end(body); };
  origin = await startOrigin({
    "/utf16-bom.html": send({ "content-type": "text/html; charset=utf-8" }, Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(PAGE)])),
    "/utf16be-bom.html": send({ "content-type": "text/html" }, Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(PAGE)])),
    "/utf16-label.html": send({ "content-type": "text/html; charset=utf-16" }, utf16le(PAGE)),
    "/utf16be-label.html": send({ "content-type": "text/html; charset=UTF-16BE" }, utf16be(PAGE)),
    "/iso-label.html": send({ "content-type": "text/html; charset=iso-2022-jp" }, isoPage()),
    "/iso-meta.html": send({ "content-type": "text/html" }, isoPage(`<meta charset="iso-2022-jp">`)),
    "/page.xhtml": send({ "content-type": "application/xhtml+xml; charset=utf-8" },
      `<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head>${FB}</head><body><p>x</p></body></html>`),
    "/zstd.html": send({ "content-type": "text/html", "content-encoding": "zstd" }, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0])),
    "/unknown-coding.html": send({ "content-type": "text/html", "content-encoding": "x-secret" }, PAGE),
    "/deflate.html": send({ "content-type": "text/html", "content-encoding": "deflate" }, zlib.deflateSync(PAGE)),
    "/x-gzip.html": send({ "content-type": "text/html", "content-encoding": "x-gzip" }, zlib.gzipSync(PAGE)),
    "/stacked-coding.html": send({ "content-type": "text/html", "content-encoding": "gzip, gzip" }, zlib.gzipSync(zlib.gzipSync(PAGE))),
    "/gzip.html": send({ "content-type": "text/html; charset=utf-8", "content-encoding": "gzip" }, zlib.gzipSync(PAGE)),
    "/br.html": send({ "content-type": "text/html; charset=utf-8", "content-encoding": "br" }, zlib.brotliCompressSync(PAGE)),
    "/untyped": send({}, PAGE),
    "/untyped-nosniff": send({ "x-content-type-options": "nosniff" }, PAGE),
    "/image.svg": send({ "content-type": "image/svg+xml" },
      `<svg xmlns="http://www.w3.org/2000/svg"><script href="${FB_SRC}"/></svg>`),
    "/two-types.html": send({ "content-type": "text/plain, text/html" }, PAGE),
  });
  mf = await startWorker({ ORIGIN: origin.url });
});

after(async () => {
  await mf?.dispose();
  await origin?.close();
});

async function get(path, headers = NAV) {
  const res = await mf.dispatchFetch(`https://site.example${path}`, { cf: DE, headers });
  return { res, body: await bytes(res) };
}

/** The body as the browser decodes it: a BOM wins, then the served charset. */
function browserText(res, body) {
  if (body.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))) return new TextDecoder("utf-8").decode(body.subarray(3));
  if (body.subarray(0, 2).equals(Buffer.from([0xff, 0xfe]))) return new TextDecoder("utf-16le").decode(body.subarray(2));
  if (body.subarray(0, 2).equals(Buffer.from([0xfe, 0xff]))) return new TextDecoder("utf-16be").decode(body.subarray(2));
  const cs = /charset=([^;]+)/i.exec(res.headers.get("content-type") ?? "")?.[1] ?? "windows-1252";
  return new TextDecoder(cs.trim()).decode(body);
}

function assertFiltered(path, res, body) {
  assert.equal(res.status, 200, path);
  const text = browserText(res, body);
  assert.ok(!LIVE.test(text), `${path}: a live tracker in what the browser decodes`);
  assert.ok(/data-consent-vendor="meta-pixel"/.test(text), `${path}: the tracker is neutralised`);
  assert.ok(/id="consent-edge"/.test(text), `${path}: the banner is there`);
  return text;
}

test("UTF-16 by BOM (contradicting or completing the header): transcoded to UTF-8 with a BOM, trackers neutralised", async () => {
  for (const path of ["/utf16-bom.html", "/utf16be-bom.html"]) {
    const { res, body } = await get(path);
    assert.deepEqual([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf], `${path}: UTF-8 BOM first`);
    const text = assertFiltered(path, res, body);
    assert.match(text, new RegExp(`<title>${JP}</title>`), path);
    assert.match(text, /caf\u00e9/, path);
  }
});

test("UTF-16 and ISO-2022-JP by label: relabelled utf-8, transcoded, trackers neutralised", async () => {
  for (const path of ["/utf16-label.html", "/utf16be-label.html", "/iso-label.html"]) {
    const { res, body } = await get(path);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
    assert.deepEqual([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf], `${path}: UTF-8 BOM first`);
    const text = assertFiltered(path, res, body);
    assert.match(text, new RegExp(`<title>${JP}</title>`), path);
  }
});

test("ISO-2022-JP declared only by <meta>, escape hidden in a tag name: transcoded, tracker neutralised", async () => {
  const { res, body } = await get("/iso-meta.html");
  assert.deepEqual([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf], "the UTF-8 BOM overrides the <meta>");
  const text = assertFiltered("/iso-meta.html", res, body);
  assert.match(text, new RegExp(`<title>${JP}</title>`));
});

test("application/xhtml+xml is filtered and served as text/html", async () => {
  const { res, body } = await get("/page.xhtml");
  assert.equal(res.headers.get("content-type"), "text/html; charset=UTF-8");
  assertFiltered("/page.xhtml", res, body);
});

test("an undecoded Content-Encoding (zstd, deflate, x-gzip, unknown, stacked) is refused with a 502 naming it, never the page", async () => {
  // workerd decodes gzip and br only: x-gzip, deflate and zstd arrive encoded.
  const cases = [["/zstd.html", "zstd"], ["/deflate.html", "deflate"], ["/x-gzip.html", "x-gzip"], ["/unknown-coding.html", "x-secret"], ["/stacked-coding.html", "gzip"]];
  for (const [path, coding] of cases) {
    const { res, body } = await get(path);
    assert.equal(res.status, 502, path);
    assert.match(res.headers.get("content-type"), /^text\/plain/, path);
    const text = body.toString("utf8");
    assert.match(text, new RegExp(`^consent-edge: .*Content-Encoding \`${coding}\`.*not served`), path);
    assert.doesNotMatch(text, /facebook/, path);
  }
  // The next request is served normally.
  const { res, body } = await get("/utf16-label.html");
  assertFiltered("/utf16-label.html", res, body);
});

test("gzip and br from the origin are decoded by the runtime and filtered; a navigation asks for those only", async () => {
  for (const path of ["/gzip.html", "/br.html"]) {
    const { res, body } = await get(path, { ...NAV, "accept-encoding": "gzip, deflate, br, zstd" });
    assertFiltered(path, res, body);
    const seen = origin.requests.findLast((r) => r.url === path);
    assert.equal(seen.headers["accept-encoding"], "gzip, br", path);
  }
});

test("missing Content-Type: a navigation is filtered as text/html; otherwise passed with nosniff", async () => {
  const nav = await get("/untyped");
  assert.equal(nav.res.headers.get("content-type"), "text/html");
  assertFiltered("/untyped", nav.res, nav.body);
  const sub = await get("/untyped", { accept: "*/*", "sec-fetch-dest": "empty" });
  assert.equal(sub.res.headers.get("x-content-type-options"), "nosniff");
  // With nosniff from the origin the browser never renders it as HTML.
  const ns = await get("/untyped-nosniff");
  assert.equal(ns.res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(ns.res.headers.get("content-type"), null);
});

test("several Content-Type values: the last one wins, as in the browser (text/html is filtered)", async () => {
  const { res, body } = await get("/two-types.html");
  assertFiltered("/two-types.html", res, body);
});

test("an SVG or XML document passes with a CSP that runs no script and loads nothing third-party", async () => {
  const { res, body } = await get("/image.svg");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-security-policy"), /script-src 'none'/);
  assert.match(res.headers.get("content-security-policy"), /default-src 'self'/);
  assert.match(body.toString(), /<svg/);
});
