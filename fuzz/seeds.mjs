// Writes the small committed seed corpora (fuzz/corpus/<target>/seed-*).
// Run: node fuzz/seeds.mjs. libFuzzer adds its findings next to them in
// fuzz/corpus/<target>/ — those are not committed (see fuzz/README.md).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "corpus");
const SECRET = "fuzz-secret-0123456789abcdef0123"; // = checks::SECRET
const PREVIOUS = "fuzz-previous-0123456789abcdef01"; // = checks::PREVIOUS
const NOW = 1_750_000_000;

function sign(payload, key = SECRET) {
  const sig = crypto.createHmac("sha256", key).update("consent-edge.v1." + payload).digest("base64url");
  return `${payload}.${sig}`;
}
const id = Buffer.alloc(16, 7).toString("base64url");
const cookie = (g, m, j = "eu", key = SECRET, at = NOW - 1000, rev = 1, gpc = 0) =>
  sign(`1.${g}.${rev}.${at}.${id}.${m}.${j}.${gpc}`, key);

const seeds = {
  cookie: [
    cookie("f", "a"),
    cookie("1", "r"),
    cookie("7", "c", "us-ca", SECRET, NOW - 5, 3, 1),
    cookie("1", "w", "unknown", PREVIOUS),
    `consent=${cookie("f", "a")}; consent=${cookie("1", "r", "eu", SECRET, NOW - 10)}; _ga=GA1.1.1.1`,
    `consent=${cookie("f", "a", "eu", SECRET, NOW + 10_000)}`,
    "1.f.1.1749999000.BwcHBwcHBwcHBwcHBwcHBw.a.eu.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "2.f.1.0.x.a.eu.0.sig",
    "",
    ".".repeat(300),
    Buffer.concat([Buffer.alloc(30, 0x41), Buffer.from("eu-\u00e9\u0000x", "utf8")]),
  ],
  endpoint: [
    // b0: method idx | secure<<3 | too_large<<4 | state<<5; b1: ct | fetch-site flags
    [2, 0x08, "", "site.example", "", "", "", "", "action=accept_all&return_to=/page%3Fa%3D1"],
    [2 | 8, 0x09, "", "site.example", "", "", "", "", '{"action":"reject_all"}'],
    [2, 0x00, "", "site.example", "", "https://site.example", "", "", "action=save&functional=on&return_to=//evil.example"],
    [2, 0x00, "", "site.example", "", "", "http://site.example/x", "example", "action=save&analytics=1&return_to=/%5Cevil"],
    [2, 0x28, "", "site.example", "", "", "", "", "action=accept_all&return_to=https:evil.example"],
    [3 | (2 << 5), 0x08, "", "www.site.example", "", "", "", "site.example", ""],
    [2, 0x09, "", "site.example", "", "", "", "", '{"categories":{"functional":true,"necessary":false}}'],
    [2 | 0x10, 0x08, "", "site.example", "", "", "", "", "x".repeat(100)],
    [7, 0x08, "PATCH\r\nX: y", "site.example", "", "", "", "", ""],
    [2, 0x88, "", "site.example", "multipart/form-data; boundary=x", "", "", "", "--x--"],
    [0, 0, "", "", "", "", "", "", ""],
  ].map(([b0, b1, ...f]) => Buffer.concat([Buffer.from([b0, b1]), Buffer.from(f.join("\0"))])),
  enforce: [
    [0x01, "session=1; _ga=GA1.1.1.1; _fbp=fb.1; consent=abc; lang=de", "_ga=GA1.2.3.4; Path=/; Max-Age=63072000", "site.example"],
    [0x0f | 0x10, "a=1;;; _gid=2 ; =x; _ga", "_gid=1; Max-Age=0", ""],
    [0x01 | 0x20, Array.from({ length: 100 }, (_, i) => `_ga_${i}=x`).join("; "), "_fbp=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT", ".site.example"],
    [0x03, "__Host-x=1; _hjSession_1=2; \"_ga\"=3", "not a cookie", "bad domain\r\n"],
  ].map(([b0, ...f]) => Buffer.concat([Buffer.from([b0]), Buffer.from(f.join("\0"))])),
  negotiate: [
    "de-DE,de;q=0.9,en;q=0.8",
    "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5",
    "*",
    "pt-BR;q=0.1,xx;q=1",
    "en;q=2, de;q=0.0001, es;q=abc",
    ",".repeat(100),
  ],
  filter: [
    // b0: grants | remove<<4 | inject<<5; b1: charset; b2..5: chunk sizes
    [0x01 | 0x20, 0, [1, 7, 3, 64], `<!doctype html><html><head><script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script><script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}gtag('config','G-1');</script></head><body><iframe src="https://www.youtube.com/embed/x"></iframe><noscript><img src="https://www.facebook.com/tr?id=1"></noscript><p>h\u00e9llo \u2603</p></body></html>`],
    [0x0f, 0, [2, 2, 2, 2], `<html><head><title>t</title></head><body><img src="/a.png"><a href="/x">x</a></body></html>`],
    [0x01 | 0x10, 1, [5, 1, 9, 200], `<meta charset="windows-1252"><script src="https://connect.facebook.net/en_US/fbevents.js"></script><img data-consent="analytics" data-consent-src="https://x.test/p.gif">`],
    [0x03, 2, [3, 3, 3, 3], Buffer.from([0x3c, 0x70, 0x3e, 0xe9, 0xe8, 0x3c, 0x2f, 0x70, 0x3e])],
    [0x01 | 0x20, 3, [0, 0, 0, 0], "<script>var a = '\u3042'; hj('x')</script><noscript><iframe src=\"https://www.googletagmanager.com/ns.html?id=GTM-1\"></iframe></noscript>"],
    [0x01, 0, [10, 20, 30, 40], "<a></b>".repeat(50) + "<div>".repeat(50) + "<script>unclosed"],
    [0x05 | 0x20, 0, [4, 4, 4, 4], "<style>body{}</style><textarea><script src=https://www.google-analytics.com/analytics.js></script></textarea><svg><script>gtag('config')</script></svg>"],
  ].map(([b0, b1, sizes, html]) => Buffer.concat([Buffer.from([b0, b1, ...sizes]), Buffer.isBuffer(html) ? html : Buffer.from(html)])),
  // An attribute value after entity decoding (checks::check_url_host):
  // the spellings a browser's URL parser reads differently from a naive one.
  url_host: [
    "https://www.google-analytics.com/analytics.js",
    "//connect.facebook.net/en_US/fbevents.js",
    "https:\\\\www.googletagmanager.com\\gtm.js?id=GTM-X1",
    "https:/\\www.google-analytics.com/g/collect",
    "https://www.google-analytics.com\\@site.example/",
    " \n\thttps://www.goo\tgle-analy\ntics.com/x.js\u0001 ",
    "ht\ntps:/\r/connect.face\rbook.net/x",
    "https://user:pass@www.facebook.com/tr?id=1",
    "https://site.example:x@connect.facebook.net/",
    "https://a@b@static.hotjar.com/c/hotjar-1.js",
    "//site.example@www.google-analytics.com/collect",
    "https://evil.example%2F@www.google-analytics.com/",
    "https://www.google-analytics.com%2F@site.example/",
    "https://site.example#@www.google-analytics.com/",
    "https://site.example?@www.google-analytics.com/",
    "https://www.\uff47oogle-analytics.com/x",
    "https://WWW.\uff27OOGLE-ANALYTICS.COM/x",
    "https://www.google-analytics\u3002com/x",
    "https://www\uff0egoogle-analytics\uff61com/x",
    "https://goo\u00adgle-analytics.com/",
    "https://\u24d6oogle-analytics.com/",
    "https://xn--ggle-analytics-ejb.com/",
    "https://xn--/x",
    "https://%77ww.google-analytics.com/x",
    "https://www.google-analytics%2Ecom/x",
    "https://www%2egoogle-analytics%E3%80%82com/x",
    "https://www.google-analytics.com%00.site.example/",
    "https://www.google-analytics.com:443/x",
    "https://www.google-analytics.com:00443/x",
    "https://www.google-analytics.com:/x",
    "https://www.google-analytics.com:99999/x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]:8443/x",
    "https://[fe80::1%25eth0]/",
    "http://0x7f.1/x",
    "http://2130706433/",
    "https://www.google-analytics.com./x",
    "https://www.google-analytics.com../x",
    "https://.www.google-analytics.com/x",
    "HTTPS://WWW.GOOGLE-ANALYTICS.COM/X.JS",
    "hTtPs://WwW.FaceBook.Com/TR/?x=1",
    "https:www.google-analytics.com/x",
    "http:connect.facebook.net/x",
    "https:///www.google-analytics.com/x",
    "wss://www.facebook.com/ws",
    "ftp://user@www.facebook.com/",
    "blob:https://www.google-analytics.com/x",
    "javascript:'//www.google-analytics.com'",
    "data:text/html,<script src=//www.google-analytics.com/x.js></script>",
    "https://www.googletagmanager.com/gtag/js?id=AW-123&l=dataLayer",
    "https://www.googletagmanager.com/gtag/js?id=G-1#x",
    "//www.googletagmanager.com/gtag/js?id=DC-9",
    "/gtag/js?id=G-ABC",
    "https://www.google.com/a/../pagead/1p-user-list/1",
    "https://www.google.com/%2e%2E/pagead/x",
    "https://www.google.com/PAGEAD%2Fx",
    "https://www.google.com/pagead\\x",
    "/relative/path.js",
    "?q=//www.google-analytics.com/",
    "#//www.google-analytics.com/",
    "",
    "https://www.google-analytics.com/" + "a/".repeat(300),
    "&amp;https://www.google-analytics.com/",
    "https&colon;//www.google-analytics.com/",
  ],
};

for (const [target, list] of Object.entries(seeds)) {
  const dir = path.join(DIR, target);
  fs.mkdirSync(dir, { recursive: true });
  list.forEach((s, i) => fs.writeFileSync(path.join(dir, `seed-${String(i).padStart(2, "0")}`), s));
}
console.log("seeds written to", DIR);
