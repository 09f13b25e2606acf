//! The edge cache plan: whether a request may be answered from the shared
//! copy of the origin's page, whether the origin's answer may become that
//! copy, under which key, with which headers and for how long.
//!
//! The shared copy is the **origin's** response, before any consent
//! personalisation: the filter runs on every response the visitor gets,
//! hit or miss, so the copy holds no visitor's consent state. For that to
//! be true, the request that *fetched* the copy must not depend on a
//! visitor's consent either: a copy is stored only from an upstream request
//! that carries no `Cookie` at all (the cookies forwarded to the origin are
//! exactly the ones the visitor's consent allows, see
//! [`super::upstream_request`]) and no `Sec-GPC`. Any visitor may be
//! *served* the copy unless the origin would answer them differently by
//! its own rules: a signed-in request (`Authorization`, a
//! `[cache] session_cookies` cookie) or one whose upstream request tells
//! the origin the consent state (`[cookie] forward_to_origin`).
//!
//! What may be stored and for how long is the origin's word alone
//! (RFC 9111 as a shared cache reads it, stricter where it is ambiguous):
//! status 200, an HTML document, `Cache-Control` with `public` or
//! `s-maxage` and a freshness lifetime (`s-maxage`, else `max-age`) still
//! left after `Age`; never `private`, `no-store`, `no-cache` (with or
//! without field names), a `Set-Cookie`, or a `Vary` on anything but
//! `Accept-Encoding`. Redirects and 404s are not stored: their bodies are
//! small, a redirect's `Location` is often per request, and a transient
//! error page would be served for the whole lifetime.

use super::request::Visit;
use super::upstream::{HeaderEdit, Upstream};
use consent_edge_config::CacheSettings;
use percent_encoding::percent_decode_str;
use url::Url;

/// Response header naming what the cache did for a page (`hit`, `miss`,
/// `bypass`): for the site owner's debugging and the tests; it says
/// nothing about the visitor.
pub const CACHE_STATUS_HEADER: &str = "x-consent-edge-cache";

/// The query parameter of the dev geolocation override
/// ([`super::request`]): a consent-edge parameter, not part of the page.
const GEO_PARAM: &str = "__geo";

/// Hop-by-hop headers (RFC 9110 §7.6.1): about one connection, never stored.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Headers replaced by the stored copy's own freshness, or per response.
const NOT_STORED: [&str; 4] = ["cache-control", "age", "expires", "set-cookie"];

/// Headers the cache adds to what it returns, which are not the origin's.
const NOT_SERVED: [&str; 2] = ["age", "cf-cache-status"];

/// Everything [`lookup`] reads of one request.
#[derive(Debug, Clone, Copy)]
pub struct CacheRequest<'a> {
    /// The cache is on (`EDGE_CACHE`, else `[cache] enabled`).
    pub enabled: bool,
    /// `[cache]`.
    pub settings: &'a CacheSettings,
    /// The request.
    pub visit: &'a Visit<'a>,
    /// The visitor's request headers, names in lower case.
    pub headers: &'a [(String, String)],
    /// What the origin would be sent ([`super::upstream_request`]).
    pub upstream: &'a Upstream,
}

impl CacheRequest<'_> {
    fn has(&self, name: &str) -> bool {
        self.headers.iter().any(|(n, _)| n == name)
    }
}

/// Why a request does not use the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bypass {
    /// The cache is off.
    Off,
    /// Not exactly `GET` (HEAD, POST, PROPFIND …).
    Method,
    /// Not a document navigation: scripts' fetches, images and styles are
    /// the zone's ordinary cache's business.
    NotNavigation,
    /// The request carries `Authorization`.
    Authorization,
    /// The request carries a `[cache] session_cookies` cookie.
    SessionCookie,
    /// A `Range` request.
    Range,
    /// A protocol upgrade (WebSocket): a connection, not a page.
    Upgrade,
    /// The origin is sent the consent cookie (`forward_to_origin`) and may
    /// answer per consent state.
    ConsentForwarded,
}

/// The plan for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Fetch from the origin as usual; store nothing.
    Bypass(Bypass),
    /// Look `key` up; on a miss, fetch from the origin and, if `store`,
    /// keep its answer when [`store_plan`] allows.
    Use {
        /// The cache key: an absolute URL.
        key: String,
        /// The upstream request is consent-neutral (no `Cookie`, no
        /// `Sec-GPC`), so its answer may become the shared copy.
        store: bool,
    },
}

/// `lookup`: may this request be answered from the cache, and may the
/// origin's answer to it be stored?
pub fn lookup(req: &CacheRequest<'_>) -> Lookup {
    let visit = req.visit;
    let bypass = if !req.enabled {
        Some(Bypass::Off)
    } else if visit.method != "GET" {
        Some(Bypass::Method)
    } else if !visit.navigation {
        Some(Bypass::NotNavigation)
    } else if req.has("authorization") {
        Some(Bypass::Authorization)
    } else if req.has("range") {
        Some(Bypass::Range)
    } else if req.has("upgrade") {
        Some(Bypass::Upgrade)
    } else if cookie_names(visit.cookie_header.as_deref())
        .any(|n| req.settings.is_session_cookie(n))
    {
        Some(Bypass::SessionCookie)
    } else if cookie_names(upstream_cookie(req.upstream)).any(|n| n == visit.cookie_name) {
        Some(Bypass::ConsentForwarded)
    } else {
        None
    };
    if let Some(b) = bypass {
        return Lookup::Bypass(b);
    }
    let neutral = upstream_cookie(req.upstream).is_none() && !req.has("sec-gpc");
    Lookup::Use {
        key: cache_key(&visit.url),
        store: neutral,
    }
}

/// The `Cookie` header the origin will be sent, if any: the visitor's,
/// as [`super::upstream_request`] edited it.
fn upstream_cookie(up: &Upstream) -> Option<&str> {
    up.edits.iter().rev().find_map(|e| match e {
        HeaderEdit::Set("cookie", v) => Some(Some(v.as_str())),
        HeaderEdit::Remove("cookie") => Some(None),
        _ => None,
    })?
}

/// The cookie names in a `Cookie` header. A piece without `=` counts by
/// its whole text too (RFC 6265bis reads it as a value, some servers as a
/// name: whichever the origin does, a session cookie is caught).
fn cookie_names(header: Option<&str>) -> impl Iterator<Item = &str> {
    header
        .unwrap_or_default()
        .split(';')
        .map(|p| p.split_once('=').map_or(p, |(n, _)| n).trim())
        .filter(|n| !n.is_empty())
}

/// The cache key of a page: its URL without fragment and without
/// consent-edge's own `__geo` parameter; the rest of the query is kept
/// byte for byte (an origin may serve another page for `?a=1&b=2` than
/// for `?b=2&a=1`, so nothing is reordered or merged).
pub fn cache_key(url: &Url) -> String {
    let mut key = url.clone();
    key.set_fragment(None);
    if let Some(q) = url.query() {
        let ours = |p: &&str| {
            let name = p.split_once('=').map_or(*p, |(n, _)| n);
            percent_decode_str(&name.replace('+', " ")).decode_utf8_lossy() == GEO_PARAM
        };
        if q.split('&').any(|p| ours(&p)) {
            let kept: Vec<&str> = q.split('&').filter(|p| !ours(p)).collect();
            key.set_query((!kept.is_empty()).then(|| kept.join("&")).as_deref());
        }
    }
    key.into()
}

/// Why an origin response is not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotStored {
    /// Not 200.
    Status(u16),
    /// Not an HTML document.
    NotHtml,
    /// `Set-Cookie` present: the response is someone's.
    SetCookie,
    /// `private`, `no-store` or `no-cache`.
    Forbidden(&'static str),
    /// Neither `public` nor `s-maxage`: not meant for shared caches.
    NotPublic,
    /// No `s-maxage` or `max-age`.
    NoLifetime,
    /// Its lifetime is used up (`Age` ≥ lifetime, or 0).
    Stale,
    /// A `Vary` on more than `Accept-Encoding`.
    Vary(String),
    /// A malformed, duplicated or conflicting directive or `Age`.
    Malformed(String),
}

/// What to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    /// The stored copy's headers: the origin's, without hop-by-hop headers
    /// and with its remaining lifetime as `Cache-Control`.
    pub headers: Vec<(String, String)>,
    /// Seconds the copy stays fresh: `s-maxage`, else `max-age`, minus `Age`.
    pub ttl: u64,
}

/// `store_plan`: may the origin's response (to a request [`lookup`] let
/// store) become the shared copy, and as what?
pub fn store_plan(status: u16, headers: &[(String, String)]) -> Result<Store, NotStored> {
    if status != 200 {
        return Err(NotStored::Status(status));
    }
    let get = |name: &'static str| headers.iter().filter(move |(n, _)| n == name);
    let content_type = get("content-type").next().map_or("", |(_, v)| v.as_str());
    if !super::is_document(status, content_type) {
        return Err(NotStored::NotHtml);
    }
    if get("set-cookie").next().is_some() {
        return Err(NotStored::SetCookie);
    }
    for (_, v) in get("vary") {
        for token in v.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !token.eq_ignore_ascii_case("accept-encoding") {
                return Err(NotStored::Vary(token.to_string()));
            }
        }
    }
    let cc: Vec<&str> = get("cache-control").map(|(_, v)| v.as_str()).collect();
    let lifetime = freshness(&Directives::parse(&cc.join(","))?)?;
    let age = match get("age").map(|(_, v)| v.trim()).collect::<Vec<_>>()[..] {
        [] => 0,
        [a] => delta_seconds(a).ok_or_else(|| NotStored::Malformed(format!("Age: {a:?}")))?,
        _ => return Err(NotStored::Malformed("several Age headers".into())),
    };
    let ttl = lifetime.saturating_sub(age);
    if ttl == 0 {
        return Err(NotStored::Stale);
    }
    Ok(Store {
        headers: stored_headers(headers, ttl),
        ttl,
    })
}

/// The freshness lifetime the directives give a shared cache.
fn freshness(d: &Directives) -> Result<u64, NotStored> {
    for forbidden in ["private", "no-store", "no-cache"] {
        if d.has(forbidden) {
            return Err(NotStored::Forbidden(forbidden));
        }
    }
    let s_maxage = d.seconds("s-maxage")?;
    if !d.has("public") && s_maxage.is_none() {
        return Err(NotStored::NotPublic);
    }
    match s_maxage {
        Some(s) => Ok(s),
        None => d.seconds("max-age")?.ok_or(NotStored::NoLifetime),
    }
}

/// The origin's headers as stored: no hop-by-hop headers (nor those the
/// origin's `Connection` names), no `Set-Cookie`, and the remaining
/// lifetime as the only freshness information, so the cache drops the copy
/// exactly when the origin said (the Cache API reads `Cache-Control` on
/// put; an `Age` or `Expires` left in might be read differently).
fn stored_headers(headers: &[(String, String)], ttl: u64) -> Vec<(String, String)> {
    let named_by_connection: Vec<String> = headers
        .iter()
        .filter(|(n, _)| n == "connection")
        .flat_map(|(_, v)| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| {
            !HOP_BY_HOP.contains(&n.as_str())
                && !NOT_STORED.contains(&n.as_str())
                && !named_by_connection.contains(n)
        })
        .cloned()
        .collect();
    out.push(("cache-control".into(), format!("public, max-age={ttl}")));
    out
}

/// The stored copy's headers as the filter should see them: without what
/// the cache added.
pub fn hit_headers(mut headers: Vec<(String, String)>) -> Vec<(String, String)> {
    headers.retain(|(n, _)| !NOT_SERVED.contains(&n.as_str()));
    headers
}

/// RFC 9111 §1.2.2 delta-seconds; values past 2^31 count as 2^31.
fn delta_seconds(v: &str) -> Option<u64> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(v.parse::<u64>().unwrap_or(u64::MAX).min(1 << 31))
}

/// `Cache-Control` directives: names in lower case, values unquoted.
struct Directives(Vec<(String, Option<String>)>);

impl Directives {
    /// Splits on commas outside quoted strings (`private="Set-Cookie, X"`
    /// is one directive).
    fn parse(text: &str) -> Result<Directives, NotStored> {
        let mut parts = Vec::new();
        let (mut start, mut quoted, mut escaped) = (0, false, false);
        for (i, c) in text.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                ',' if !quoted => {
                    parts.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        if quoted {
            return Err(NotStored::Malformed(format!(
                "Cache-Control: unclosed quote in {text:?}"
            )));
        }
        parts.push(&text[start..]);
        let list = parts
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((n, v)) => (
                    n.trim().to_ascii_lowercase(),
                    Some(v.trim().trim_matches('"').to_string()),
                ),
                None => (p.to_ascii_lowercase(), None),
            })
            .collect();
        Ok(Directives(list))
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// The delta-seconds of `name`; a malformed value, or two different
    /// ones (RFC 9111 §4.2.1: then the directive is invalid), is an error.
    fn seconds(&self, name: &str) -> Result<Option<u64>, NotStored> {
        let mut found: Option<u64> = None;
        for (_, v) in self.0.iter().filter(|(n, _)| n == name) {
            let shown = v.as_deref().unwrap_or_default();
            let bad = || NotStored::Malformed(format!("Cache-Control: {name}={shown:?}"));
            let s = v.as_deref().and_then(delta_seconds).ok_or_else(bad)?;
            if found.is_some_and(|f| f != s) {
                return Err(bad());
            }
            found = Some(s);
        }
        Ok(found)
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
