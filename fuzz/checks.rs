//! The properties every fuzz target checks, shared by the cargo-fuzz targets
//! (`fuzz/fuzz_targets/*.rs`) and by the native replay test
//! (`tests/fuzz_replay.rs`), which runs every committed corpus and
//! regression input through exactly these functions under `cargo test`.
//!
//! Each check takes raw bytes (no `arbitrary` dependency, so the main crate's
//! tests need nothing extra) and panics when a property is violated.

#![allow(dead_code)]

use consent_edge::banner;
use consent_edge::config::Config;
use consent_edge::consent::cookie::{self, Secrets};
use consent_edge::consent::endpoint::{self, EndpointRequest, EndpointSettings, MAX_BODY};
use consent_edge::consent::{enforce, Category, Decision, Grants, Method, State};
use consent_edge::filter::{Blocking, Config as FilterConfig, Filter, Page};
use consent_edge::jurisdiction::{Model, Regime};
use consent_edge::trackers::{Catalog, Vendor};

/// The time every check runs at.
pub const NOW: u64 = 1_750_000_000;
/// The signing key of every check (seed cookies in the corpora use it).
pub const SECRET: &[u8] = b"fuzz-secret-0123456789abcdef0123";
/// A rotated-out key that still verifies.
pub const PREVIOUS: &[u8] = b"fuzz-previous-0123456789abcdef01";

/// The secrets the checks sign and verify with.
pub fn secrets() -> Secrets {
    Secrets {
        current: SECRET.to_vec(),
        previous: Some(PREVIOUS.to_vec()),
        scope: cookie::Scope::default(),
    }
}

/// Splits `data` at 0x00 bytes into at most `n` fields (the last one keeps
/// any further zero bytes).
fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    data.splitn(n, |&b| b == 0).collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn no_ctl(s: &str) -> bool {
    !s.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
}

fn opt_out() -> Regime {
    Regime {
        id: "us-ca".into(),
        model: Model::OptOut,
        variant: "opt-out".into(),
        defaults: Grants::ALL,
        max_age_days: 365,
        honour_gpc: true,
    }
}

// ---------------------------------------------------------------------------
// consent::cookie

/// `cookie::decode` / `cookie::read` on arbitrary text, and
/// encode → decode round trips of decisions built from the bytes.
///
/// - never panics;
/// - a value `decode` accepts is exactly what `encode` issues for the
///   decoded decision (no malleability: one decision, one cookie value —
///   or a cookie signed with the previous key);
/// - `read` only returns a decision carried, byte for byte, by a cookie of
///   that name in the header;
/// - `encode(d)` fits in [`cookie::MAX_VALUE_LEN`], decodes back to `d`, and
///   any single-byte change to it no longer decodes to a valid decision.
pub fn check_cookie(data: &[u8]) {
    let s = secrets();
    let value = text(data);
    if let Ok(d) = cookie::decode(&value, &s, NOW) {
        let current = cookie::encode(&d, &s);
        let previous = cookie::encode(&d, &Secrets::new(PREVIOUS.to_vec()));
        assert!(
            current.as_deref() == Some(value.as_str())
                || previous.as_deref() == Some(value.as_str()),
            "decode accepted a non-canonical value {value:?} for {d:?}"
        );
        assert!(d.grants.has(Category::Necessary));
        assert!(d.decided_at <= NOW + cookie::MAX_CLOCK_SKEW);
    }
    // As a Cookie header (it may hold many cookies).
    if let Some(d) = cookie::read(&value, "consent", &s, 1, 395, NOW) {
        let v = cookie::encode(&d, &s).unwrap_or_default();
        let pv = cookie::encode(&d, &Secrets::new(PREVIOUS.to_vec())).unwrap_or_default();
        assert!(
            value.contains(&v) || value.contains(&pv),
            "read returned a decision no cookie in {value:?} carries"
        );
    }
    // Structured: a decision from the bytes.
    if data.len() >= 30 {
        let methods = Method::ALL;
        let grants = Grants::from_bits((data[0] & 0x0f) | 1).unwrap_or(Grants::NECESSARY_ONLY);
        let mut random = [0u8; 16];
        random.copy_from_slice(&data[1..17]);
        let decided_at = u64::from_le_bytes(data[17..25].try_into().unwrap_or([0; 8])) % (NOW + 1);
        let revision = u32::from(data[25]);
        let method = methods[usize::from(data[26]) % methods.len()];
        let gpc = data[27] & 1 == 1;
        let jurisdiction = text(&data[30..]);
        let d = Decision {
            grants,
            revision,
            decided_at,
            consent_id: cookie::new_consent_id(random),
            method,
            jurisdiction: jurisdiction.clone(),
            gpc,
        };
        let v = cookie::encode(&d, &s).expect("a usable key signs");
        assert!(v.len() <= cookie::MAX_VALUE_LEN, "{} bytes: {v}", v.len());
        assert!(v
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b';' && b != b','));
        let back = cookie::decode(&v, &s, NOW).expect("our own cookie decodes");
        assert_eq!(
            back,
            Decision {
                jurisdiction: cookie::stored_jurisdiction(&jurisdiction),
                ..d.clone()
            }
        );
        // Tamper with one byte: never a (different) valid decision.
        let pos = usize::from(data[28]) % v.len();
        let mut bytes = v.clone().into_bytes();
        let flip = data[29] | 1; // never 0: always a change
        bytes[pos] ^= flip;
        if let Ok(t) = std::str::from_utf8(&bytes) {
            assert!(
                cookie::decode(t, &s, NOW).is_err(),
                "tampered value {t:?} still verifies"
            );
        }
        // Signed with an unknown key: refused.
        let other = Secrets::new(b"some-other-key-0123456789abcdef".to_vec());
        assert!(cookie::decode(&v, &other, NOW).is_err());
    }
}

// ---------------------------------------------------------------------------
// consent::endpoint

const CONTENT_TYPES: [&str; 6] = [
    "application/x-www-form-urlencoded",
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8",
    "text/plain",
    "",
];
const FETCH_SITES: [&str; 5] = [
    "same-origin",
    "none",
    "cross-site",
    "same-site",
    "SAME-ORIGIN",
];
const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "DELETE", "PUT", "post", "OPTIONS", "",
];

/// `consent::endpoint::handle` with an arbitrary method, headers and body.
///
/// Layout: byte 0 = method (bits 0-2), secure (3), body_too_large (4),
/// state (5-6: fresh / opt-out with GPC / prior decision); byte 1 = content
/// type (0-2), Sec-Fetch-Site present (3) and which (4-6), custom
/// content type (7); then 0x00-separated: custom method, host, content type,
/// origin, referer, cookie domain, body.
///
/// - never panics; only the documented statuses;
/// - every header is free of CR/LF/NUL and `cache-control: no-store` is set;
/// - a 303's `Location` is a safe same-site path ([`endpoint::safe_return_to`]
///   returns it unchanged) and never `//…` or `/\…`;
/// - a decision is only made by a POST/DELETE that passes the CSRF check,
///   with a body of at most [`MAX_BODY`] bytes, and its `Set-Cookie` decodes
///   back to that decision;
/// - JSON bodies parse.
pub fn check_endpoint(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let (b0, b1) = (data[0], data[1]);
    let f = fields(&data[2..], 7);
    let get = |i: usize| f.get(i).map(|b| text(b)).unwrap_or_default();
    let custom_method = get(0);
    let method = match b0 & 7 {
        7 => custom_method.as_str(),
        i => METHODS[usize::from(i)],
    };
    let host = {
        let h = get(1);
        if h.is_empty() {
            "site.example".to_string()
        } else {
            h
        }
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    let ct = if b1 & 0x80 != 0 {
        get(2)
    } else {
        CONTENT_TYPES[usize::from(b1 & 7) % CONTENT_TYPES.len()].to_string()
    };
    if !ct.is_empty() {
        headers.push(("content-type".into(), ct));
    }
    if b1 & 8 != 0 {
        let site = FETCH_SITES[usize::from((b1 >> 4) & 7) % FETCH_SITES.len()];
        headers.push(("sec-fetch-site".into(), site.into()));
    }
    let origin = get(3);
    if !origin.is_empty() {
        headers.push(("origin".into(), origin));
    }
    let referer = get(4);
    if !referer.is_empty() {
        headers.push(("referer".into(), referer));
    }
    let domain = get(5);
    let body: &[u8] = f.get(6).copied().unwrap_or(&[]);
    let s = secrets();
    // Half the inputs carry the banner's token for this host's home page
    // (else every change is 403 and the decision path goes unexplored).
    if b0 & 0x80 != 0 {
        if let Some(t) = consent_edge::consent::token::mint(&s, &host, "/", NOW, [9; 16]) {
            headers.push((consent_edge::consent::token::HEADER.into(), t));
        }
    }
    let cfg = Config::embedded();
    let state = match (b0 >> 5) & 3 {
        0 => State::with_decision(Regime::strictest(), None, false),
        1 => State::with_decision(opt_out(), None, true),
        _ => {
            let prior = Decision {
                grants: Grants::ALL,
                revision: cfg.policy.revision,
                decided_at: NOW - 100,
                consent_id: cookie::new_consent_id([7; 16]),
                method: Method::AcceptAll,
                jurisdiction: "eu".into(),
                gpc: false,
            };
            State::with_decision(Regime::strictest(), Some(prior), false)
        }
    };
    let req = EndpointRequest {
        method,
        host: &host,
        headers: &headers,
        body,
        body_too_large: b0 & 0x10 != 0,
        secure: b0 & 8 != 0,
        cookie_domain: (!domain.is_empty()).then_some(domain.as_str()),
    };
    let r = endpoint::handle(
        &req,
        &state,
        &EndpointSettings::of(cfg),
        &s,
        NOW,
        [0x42; 16],
    );
    assert!(
        [200, 303, 400, 403, 405, 413, 415].contains(&r.status),
        "unexpected status {}",
        r.status
    );
    for (n, v) in &r.headers {
        assert!(
            no_ctl(n) && no_ctl(v),
            "control character in header {n}: {v:?}"
        );
        assert!(!n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic()));
    }
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let upper = method.to_ascii_uppercase();
    let changing = upper == "POST" || upper == "DELETE";
    if r.status == 303 {
        let loc = r.header("location").expect("a 303 has a Location");
        assert_eq!(
            endpoint::safe_return_to(loc),
            loc,
            "unsafe Location {loc:?}"
        );
        assert!(loc.starts_with('/') && !loc.starts_with("//") && !loc.starts_with("/\\"));
        // `/pa://x` is a path on this site, not a scheme: no further check.
    }
    if let Some(d) = &r.decision {
        assert!(changing, "{method} made a decision");
        assert!(endpoint::csrf_ok(&req), "decision without passing CSRF");
        assert!(b0 & 0x80 != 0, "decision without the banner's token");
        assert!(!req.body_too_large && body.len() <= MAX_BODY);
        assert!(r.status == 200 || r.status == 303);
        let name = &cfg.cookie.name;
        let sc: Vec<&str> = r
            .headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect();
        let mine = sc
            .iter()
            .filter_map(|c| c.strip_prefix(&format!("{name}=")))
            .filter_map(|c| c.split(';').next())
            .find(|v| !v.is_empty())
            .expect("a decision sets the consent cookie");
        assert_eq!(
            &cookie::decode(mine, &s, NOW).expect("issued cookie verifies"),
            d
        );
        if let Some(prior) = &state.decision {
            assert_eq!(d.consent_id, prior.consent_id, "consent id kept");
        }
    } else {
        assert!(r.status != 303 && !r.headers.iter().any(|(n, _)| n == "set-cookie"));
    }
    if changing && !endpoint::csrf_ok(&req) {
        assert_eq!(r.status, 403);
    }
    if !r.body.is_empty() {
        let _: serde_json::Value =
            serde_json::from_slice(&r.body).expect("the endpoint answers JSON");
    }
}

// ---------------------------------------------------------------------------
// consent::enforce

fn classify(name: &str) -> Option<Category> {
    enforce::classify_cookie(&Config::embedded().cookies, Catalog::configured(), name)
}

/// `enforce::request_cookie_header`, `keep_set_cookie` and `expire_refused`
/// on arbitrary headers.
///
/// Layout: byte 0 = grants (bits 0-3, necessary forced), forward the consent
/// cookie (4), secure (5); then 0x00-separated: Cookie header, Set-Cookie
/// value, request host and path (`host/path`).
///
/// - never panics;
/// - the forwarded header consists only of pieces of the input, in order,
///   none of them a refused category's cookie, and not the consent cookie
///   unless asked; filtering it again changes nothing;
/// - a kept `Set-Cookie` never sets a refused category's cookie (RFC 6265:
///   `Max-Age` wins; nameless values read as a browser would);
/// - expiries are bounded, well-formed, header-safe, one name at most once
///   per (domain, path), on the request's reach, and only for refused cookies.
pub fn check_enforce(data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let b0 = data[0];
    let grants = Grants::from_bits((b0 & 0x0f) | 1).unwrap_or(Grants::NECESSARY_ONLY);
    let forward = b0 & 0x10 != 0;
    let secure = b0 & 0x20 != 0;
    let f = fields(&data[1..], 3);
    let get = |i: usize| f.get(i).map(|b| text(b)).unwrap_or_default();
    let (header, set_cookie, domain) = (get(0), get(1), get(2));
    let name = &Config::embedded().cookie.name;

    let out = enforce::request_cookie_header(&header, grants, name, forward, &classify);
    if let Some(out) = &out {
        let input: Vec<&str> = header
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let mut at = 0;
        for piece in out.split("; ") {
            let found = input[at..].iter().position(|p| *p == piece);
            assert!(
                found.is_some(),
                "forwarded piece {piece:?} not in the input (in order)"
            );
            at += found.unwrap_or(0) + 1;
        }
        for c in ::cookie::Cookie::split_parse(out.as_str()).flatten() {
            if c.name() == name {
                assert!(forward, "consent cookie forwarded");
            } else if let Some(cat) = classify(c.name()) {
                assert!(grants.has(cat), "refused cookie {} forwarded", c.name());
            }
        }
        let again = enforce::request_cookie_header(out, grants, name, forward, &classify);
        assert_eq!(again.as_deref(), Some(out.as_str()), "not idempotent");
    }

    const NOW: u64 = 1_750_000_000;
    let keep = enforce::keep_set_cookie(&set_cookie, grants, &classify, NOW);
    if keep {
        match ::cookie::Cookie::parse(set_cookie.as_str()) {
            Ok(c) if !c.name().trim().is_empty() => {
                if let Some(cat) = classify(c.name()) {
                    let deletes = match c.max_age() {
                        Some(a) => a.whole_seconds() <= 0,
                        None => c.expires_datetime().is_some_and(|t| {
                            t.year() >= 1601
                                && t.unix_timestamp() < NOW as i64
                                && c.value().is_empty()
                        }),
                    };
                    assert!(
                        grants.has(cat) || deletes,
                        "kept refused Set-Cookie {set_cookie:?}"
                    );
                }
            }
            _ => {
                for n in enforce::names_in(&set_cookie) {
                    assert!(
                        classify(n).is_none_or(|cat| grants.has(cat)),
                        "kept unparseable refused Set-Cookie {set_cookie:?}"
                    );
                }
            }
        }
    }

    let (host, path) = domain
        .split_once('/')
        .map_or((domain.as_str(), String::from("/")), |(h, p)| {
            (h, format!("/{p}"))
        });
    let reach = consent_edge::consent::reach::Reach::of(host, &path);
    let exp = enforce::expire_refused(&header, grants, &classify, &reach, secure);
    assert!(exp.len() <= enforce::MAX_EXPIRIES, "{} expiries", exp.len());
    assert!(exp.iter().map(String::len).sum::<usize>() <= enforce::MAX_EXPIRY_BYTES);
    let mut seen = std::collections::HashSet::new();
    for e in &exp {
        assert!(no_ctl(e), "control character in {e:?}");
        let c = ::cookie::Cookie::parse(e.as_str()).expect("an expiry parses");
        assert!(c.max_age().is_some_and(|a| a.whole_seconds() == 0), "{e}");
        assert!(
            c.path().is_some_and(|p| reach.paths.iter().any(|r| r == p)),
            "{e}"
        );
        assert!(
            c.domain()
                .is_none_or(|d| reach.domains.iter().any(|r| r == d)),
            "{e}"
        );
        assert_eq!(c.secure().unwrap_or(false), secure);
        let cat = classify(c.name()).expect("only classified cookies are expired");
        assert!(!grants.has(cat), "expired a granted cookie {e}");
        assert!(
            seen.insert((
                c.name().to_string(),
                c.domain().map(str::to_string),
                c.path().map(str::to_string)
            )),
            "twice: {e}"
        );
    }
}

// ---------------------------------------------------------------------------
// banner::negotiate

/// `banner::negotiate` on an arbitrary `Accept-Language`.
///
/// - never panics; deterministic;
/// - the result is the default language or a tag (or a tag's primary
///   subtag) that appears in the header, lower case, and has texts.
pub fn check_negotiate(data: &[u8]) {
    let cfg = &Config::embedded().banner;
    let header = text(data);
    let lang = banner::negotiate(Some(&header), cfg);
    assert_eq!(lang, banner::negotiate(Some(&header), cfg));
    let default = banner::negotiate(None, cfg);
    assert!(
        !lang.is_empty()
            && lang
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    );
    if lang != default {
        assert!(
            header.to_ascii_lowercase().contains(&lang),
            "{lang:?} is not in {header:?}"
        );
    }
    let t = banner::texts(&lang, cfg);
    assert!(!t.category(Category::Necessary).is_empty());
}

// ---------------------------------------------------------------------------
// filter::Filter

const CHARSETS: [Option<&str>; 6] = [
    Some("utf-8"),
    None,
    Some("windows-1252"),
    Some("shift_jis"),
    Some("x-no-such-charset"),
    Some("UTF-8"),
];

/// Runs the filter over `html` cut into pieces of the given sizes (cycled).
pub fn filter_run(
    html: &[u8],
    cfg: &FilterConfig,
    page: &Page,
    charset: Option<&str>,
    sizes: &[usize],
) -> (Vec<u8>, bool) {
    let mut f = Filter::new(Catalog::configured(), cfg, page.clone(), charset);
    let mut out = Vec::new();
    let mut rest = html;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        out.extend(f.write(&rest[..n]));
        rest = &rest[n..];
        i += 1;
    }
    let failed = f.failed();
    out.extend(f.end());
    (out, failed)
}

/// The page (injections) the filter checks use: `with` chooses whether
/// anything is injected.
pub fn filter_page(grants: Grants, with: bool) -> Page {
    let mut p = Page {
        grants,
        site_host: "www.site.example".into(),
        ..Page::default()
    };
    if with {
        p.head_start = "<meta name=consent-edge content=\"\u{e9}\">".into();
        p.body_end = "<div id=consent-edge-banner>B\u{e4}nner \u{2713}</div>".into();
        p.declaration_html = Some("<table><tr><td>_ga</td></tr></table>".into());
        p.status_html = Some("<p>Status \u{1f36a}</p>".into());
        p.reopen_form = Some("ce-open");
    }
    p
}

/// The HTML filter on arbitrary bytes in arbitrary chunkings.
///
/// Layout: byte 0 = grants (bits 0-3), blocking = remove (4), inject (5);
/// byte 1 = charset (bits 0-2); bytes 2..6 = chunk sizes; the rest is the body.
///
/// - never panics;
/// - the output is the same for one write, byte-by-byte writes and the
///   chunk sizes from the input;
/// - with a UTF-8 charset and a UTF-8 body, the output is UTF-8;
/// - everything granted, nothing injected and no `data-consent` markup:
///   the output is the input, byte for byte.
pub fn check_filter(data: &[u8]) {
    if data.len() < 6 {
        return;
    }
    let grants = Grants::from_bits((data[0] & 0x0f) | 1).unwrap_or(Grants::NECESSARY_ONLY);
    let cfg = FilterConfig {
        blocking: if data[0] & 0x10 != 0 {
            Blocking::Remove
        } else {
            Blocking::Neutralize
        },
        ..FilterConfig::default()
    };
    let inject = data[0] & 0x20 != 0;
    let charset = CHARSETS[usize::from(data[1] & 7) % CHARSETS.len()];
    let sizes: Vec<usize> = data[2..6].iter().map(|&b| usize::from(b) + 1).collect();
    let html = &data[6..];
    let page = filter_page(grants, inject);

    let (whole, failed) = filter_run(html, &cfg, &page, charset, &[usize::MAX]);
    let (chunked, failed2) = filter_run(html, &cfg, &page, charset, &sizes);
    assert_eq!(failed, failed2, "fail-safe depends on the chunking");
    assert!(
        whole == chunked,
        "chunking {sizes:?} changed the output:\n{}\n---\n{}",
        String::from_utf8_lossy(&whole),
        String::from_utf8_lossy(&chunked)
    );
    if html.len() <= 1024 {
        let (bytewise, _) = filter_run(html, &cfg, &page, charset, &[1]);
        assert!(
            whole == bytewise,
            "byte-by-byte writes changed the output:\n{}\n---\n{}",
            String::from_utf8_lossy(&whole),
            String::from_utf8_lossy(&bytewise)
        );
    }
    let utf8_charset = charset.is_some_and(|c| c.eq_ignore_ascii_case("utf-8"));
    if utf8_charset && std::str::from_utf8(html).is_ok() {
        assert!(
            std::str::from_utf8(&whole).is_ok(),
            "UTF-8 in, not UTF-8 out: {}",
            String::from_utf8_lossy(&whole)
        );
    }
    let lower = html.to_ascii_lowercase();
    let tagged = lower.windows(12).any(|w| w == b"data-consent");
    if grants == Grants::ALL && !inject && !tagged && !failed {
        assert!(
            whole == html,
            "everything granted, yet the page changed:\n{}\n---\n{}",
            String::from_utf8_lossy(html),
            String::from_utf8_lossy(&whole)
        );
    }
}

// ---------------------------------------------------------------------------
// trackers: the hot-path URL host matcher against url::Url

/// The pages the URL check resolves attribute values against: the oracle's
/// page (`tests/oracle`, `PAGE_URL`), and the same page over plain http
/// (`http:host` is relative on an http page and absolute on an https one).
pub const URL_PAGES: [&str; 2] = [
    "https://site.example/blog/post.html",
    "http://site.example/blog/post.html",
];

/// The schemes that reach a host (those the catalog matches).
const NETWORK_SCHEMES: [&str; 5] = ["http", "https", "ws", "wss", "ftp"];

/// An attribute value as the page's source writes it, for a value that is
/// `value` once the HTML tokenizer has decoded its character references:
/// every `&` written `&amp;`, which decodes to exactly `&` (one pass).
pub fn as_written(value: &str) -> String {
    value.replace('&', "&amp;")
}

/// The catalog's matcher for an attribute value as written (the filter's
/// hot path: `Catalog::match_url`).
pub fn catalog_matcher(written: &str) -> Option<&'static Vendor> {
    Catalog::configured().match_url(written)
}

/// The URL check with the filter's own matcher: see [`check_url_host_with`].
pub fn check_url_host(data: &[u8]) {
    check_url_host_with(data, &catalog_matcher);
}

/// The filter's hand-written URL host matcher against the WHATWG URL parser
/// (`url::Url`), on arbitrary text.
///
/// Input: the whole of `data` (lossy UTF-8) is an attribute value after
/// entity decoding (`src`, `href`, …); the matcher gets it as written
/// ([`as_written`]), `url` resolves it against each of [`URL_PAGES`]
/// ([`whatwg_join`]: `url::Url`, with one known deviation of it undone).
///
/// Truth: where `url` reads a network URL with a domain host, the vendor is
/// what the catalog's rules (host suffix, path prefix, tag ID, self-hosted
/// file name) say about `url`'s canonical serialisation — one plain,
/// unambiguous spelling of what the browser will fetch. The catalog's
/// lookup on `url`'s own host and decoded path anchors that truth: when it
/// names a vendor, the serialisation must be classified too (a tag ID may
/// refine which vendor).
///
/// Property:
/// - never panics (the matcher also gets the raw text, entities and all);
/// - where the truth is a vendor the visitor can refuse (not `necessary`,
///   not allowed for everyone), the matcher names that same vendor for the
///   value as written: same id, so the same category and the same per-route
///   and Consent Mode allowances;
/// - nothing is required where the truth is no vendor, a necessary one or
///   an allowed one: `url` rejects the text, reads no host (relative, `data:`,
///   `blob:`…), reads an IP address, or reads `https:host` as a path on an
///   https page. The matcher naming a vendor there is over-blocking
///   (stricter than the browser) and acceptable: the fail-closed direction.
pub fn check_url_host_with(data: &[u8], matcher: &dyn Fn(&str) -> Option<&'static Vendor>) {
    if let Some(v) = url_host_violation(data, matcher) {
        panic!("{v}");
    }
}

/// What [`check_url_host_with`] asserts, as a value: the first violation,
/// described, or `None`.
pub fn url_host_violation(
    data: &[u8],
    matcher: &dyn Fn(&str) -> Option<&'static Vendor>,
) -> Option<String> {
    let value = text(data);
    let written = as_written(&value);
    let _ = matcher(&value);
    let _ = consent_edge::trackers::parse_url(&value);
    let found = matcher(&written);
    for page in URL_PAGES {
        let Some(truth) = vendor_by_url(&value, page) else {
            continue;
        };
        if truth.category == Category::Necessary || truth.allowed {
            continue;
        }
        let found_id = found.map(|v| v.id.as_str());
        if found_id != Some(truth.id.as_str()) {
            let read = whatwg_join(page, &value)
                .map(|u| u.to_string())
                .unwrap_or_default();
            return Some(format!(
                "url::Url reads {value:?} on {page} as {read} ({}, {}); the matcher says {found_id:?} for {written:?}",
                truth.id,
                truth.category.id(),
            ));
        }
    }
    None
}

/// The vendor `url::Url` says `value` reaches from `page`: the catalog's
/// classification of the canonical serialisation, for a network URL with a
/// domain host; `None` for anything else.
pub fn vendor_by_url(value: &str, page: &str) -> Option<&'static Vendor> {
    let cat = Catalog::configured();
    let u = whatwg_join(page, value)?;
    if !NETWORK_SCHEMES.contains(&u.scheme()) {
        return None;
    }
    let url::Host::Domain(host) = u.host()? else {
        return None;
    };
    let host = host.trim_end_matches('.');
    let path = percent_encoding::percent_decode_str(u.path()).decode_utf8_lossy();
    let by_host = cat.match_host_path(host, &path);
    let by_rules = cat.match_url(&as_written(u.as_str()));
    assert!(
        by_host.is_none() || by_rules.is_some(),
        "{u}: the catalog names {:?} for host {host:?} and path {path:?}, but nothing for the URL",
        by_host.map(|v| &v.id)
    );
    by_rules
}

/// `value` resolved against `page` as the WHATWG URL standard does it, by
/// `url::Url` — but for one known deviation of rust-url (2.5.8): a
/// scheme-relative reference with three or more leading slashes
/// (`///host/x`) is an `EmptyHost` error there, while the standard's
/// "special authority ignore slashes state" skips every leading `/` and `\`
/// on a special base, so browsers (Chromium, Firefox, Node's `URL`) fetch
/// `host` (WPT urltestdata `///test`; servo/rust-url PR #1136, not merged).
/// On an http(s) page a leading run of two or more slashes and backslashes
/// is therefore the same as `//`, and is collapsed to it first (after the
/// C0/space trim and the tab/newline removal the standard also makes).
pub fn whatwg_join(page: &str, value: &str) -> Option<url::Url> {
    let cleaned: String = value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let rest = cleaned.trim_start_matches(['/', '\\']);
    let value = if cleaned.len() - rest.len() >= 2 {
        format!("//{rest}")
    } else {
        cleaned
    };
    url::Url::parse(page).ok()?.join(&value).ok()
}
