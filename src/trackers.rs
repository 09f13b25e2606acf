//! The tracker catalog (vendors, hosts, script signatures, cookies) and host matching.
//!
//! The catalog is the data file `trackers.toml` at the crate root, compiled
//! into the worker with `include_str!` and parsed once ([`Catalog::embedded`]).
//! `consent.toml` `[trackers]` can add vendors, re-categorise or allow one
//! outright, and decide what happens to unknown third-party scripts
//! ([`Catalog::with_config`]).
//!
//! Matching is done on precompiled structures, never on CSS selectors:
//!
//! * **URLs** ([`Catalog::match_url`]): the URL is normalised the way a
//!   browser would read it (entities decoded, whitespace and tab/newline
//!   removed, `\` read as `/`, protocol-relative `//host`, upper case, user
//!   info and port dropped, percent-encoded host decoded), then its host is
//!   looked up in a `HashMap` of domain suffixes, walking the labels from the
//!   full host to the registrable part (`a.b.example.com`, `b.example.com`,
//!   `example.com`, `com`). The most specific host wins; on one host, entries
//!   with a path prefix (`www.google.com/maps`) are tried before the bare host
//!   and only match at a path-segment boundary.
//! * **Inline scripts** ([`Catalog::match_script`]): one Aho–Corasick
//!   automaton over every vendor's snippet signatures (ASCII case-insensitive).
//! * **Cookies** ([`Catalog::cookie_category`]): exact names in a `HashMap`,
//!   then prefixes, longest first.

mod classify;
mod normalise;
mod self_hosted;
mod tag_ids;

use crate::model::Category;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use consent_edge_config::trackers::{canonical_host, check_vendors, merge};
use consent_edge_config::{Invalid, Path};
use std::borrow::Cow;
use std::collections::HashMap;

/// The catalog data file shipped with the worker.
pub const EMBEDDED: &str = include_str!("../trackers.toml");

/// `trackers.toml` as JSON, converted by `build.rs` so the worker carries no
/// TOML parser (the native build parses the TOML itself; a test proves both
/// give the same catalog).
#[cfg(target_arch = "wasm32")]
const EMBEDDED_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/trackers.json"));

/// The embedded catalog file, as data.
fn embedded_file() -> Result<CatalogFile, String> {
    #[cfg(target_arch = "wasm32")]
    return serde_json::from_str(EMBEDDED_JSON).map_err(|e| format!("trackers.toml: {e}"));
    #[cfg(not(target_arch = "wasm32"))]
    toml::from_str(EMBEDDED).map_err(|e| format!("trackers.toml: {}", e.message()))
}

/// `[trackers]` in `consent.toml`.
pub use consent_edge_config::TrackerSettings as Config;
pub use consent_edge_config::{CatalogFile, UnknownScripts, Vendor};

/// The compiled catalog.
#[derive(Debug)]
pub struct Catalog {
    vendors: Vec<Vendor>,
    /// host suffix → (lowercase path prefix or "", vendor index), longest prefix first.
    hosts: HashMap<String, Vec<(String, usize)>>,
    scripts: Option<AhoCorasick>,
    script_vendor: Vec<usize>,
    cookies: HashMap<String, usize>,
    cookie_prefixes: Vec<(String, usize)>,
    unknown_scripts: UnknownScripts,
    first_party: Vec<String>,
    unknown: Vendor,
    /// Tag IDs, self-hosted analytics, library CDNs (`trackers/classify.rs`).
    rules: classify::Rules,
}

impl Catalog {
    /// The embedded catalog with `[trackers]` settings `cfg` applied.
    pub fn with_config(cfg: &Config) -> Result<Catalog, String> {
        Catalog::from_file(&embedded_file()?, cfg).map_err(|e| e.to_string())
    }

    /// Parses a catalog file (same format as `trackers.toml`) and applies `cfg`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn parse(toml_text: &str, cfg: &Config) -> Result<Catalog, String> {
        let file: CatalogFile =
            toml::from_str(toml_text).map_err(|e| format!("trackers.toml: {}", e.message()))?;
        Catalog::from_file(&file, cfg).map_err(|e| e.to_string())
    }

    /// The catalog of `file` with the `[trackers]` settings `cfg` applied.
    pub fn from_file(file: &CatalogFile, cfg: &Config) -> Result<Catalog, Invalid> {
        file.check()?;
        cfg.check(file)?;
        let mut catalog = Catalog::build(merge(file, cfg)?, cfg)?;
        catalog.rules = classify::Rules::new(file, &catalog.vendors, cfg);
        Ok(catalog)
    }

    fn build(vendors: Vec<Vendor>, cfg: &Config) -> Result<Catalog, Invalid> {
        let mut hosts: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        let mut patterns = Vec::new();
        let mut script_vendor = Vec::new();
        let mut cookies = HashMap::new();
        let mut cookie_prefixes = Vec::new();
        check_vendors(&vendors, &Path::key("vendor"))?;
        for (i, v) in vendors.iter().enumerate() {
            for h in &v.hosts {
                let h = h.to_ascii_lowercase();
                let (host, path) = match h.find('/') {
                    Some(p) => (h[..p].to_string(), h[p..].trim_end_matches('/').to_string()),
                    None => (h.clone(), String::new()),
                };
                let entries = hosts.entry(host).or_default();
                if !entries.iter().any(|(p, _)| *p == path) {
                    entries.push((path, i));
                }
            }
            for s in &v.scripts {
                patterns.push(s.clone());
                script_vendor.push(i);
            }
            for c in &v.cookies {
                cookies.entry(c.clone()).or_insert(i);
            }
            for p in &v.cookie_prefixes {
                cookie_prefixes.push((p.clone(), i));
            }
        }
        for entries in hosts.values_mut() {
            entries.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
        }
        cookie_prefixes.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
        let scripts = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns)
                    .map_err(|e| {
                        Invalid::at(Path::key("vendor"), format!("script signatures: {e}"))
                    })?,
            )
        };
        // Checked by `cfg.check`: every entry is a host.
        let first_party = cfg
            .first_party
            .iter()
            .filter_map(|h| canonical_host(h))
            .collect();
        let unknown_cat = match cfg.unknown_scripts {
            UnknownScripts::Allow => Category::Advertising,
            UnknownScripts::Category(c) => c,
        };
        Ok(Catalog {
            vendors,
            hosts,
            scripts,
            script_vendor,
            cookies,
            cookie_prefixes,
            unknown_scripts: cfg.unknown_scripts,
            first_party,
            unknown: unknown_vendor(unknown_cat),
            rules: classify::Rules::default(),
        })
    }

    /// Every vendor, in catalog order.
    pub fn vendors(&self) -> &[Vendor] {
        &self.vendors
    }

    /// The vendor with this id.
    pub fn vendor(&self, id: &str) -> Option<&Vendor> {
        self.vendors.iter().find(|v| v.id == id)
    }

    /// The policy for unknown third-party scripts.
    pub fn unknown_scripts(&self) -> UnknownScripts {
        self.unknown_scripts
    }

    /// The pseudo-vendor (`id = "unknown"`) used for unknown third-party
    /// scripts when [`UnknownScripts::Category`] is set.
    pub fn unknown_vendor(&self) -> &Vendor {
        &self.unknown
    }

    /// The vendor whose host (and path prefix) this URL points at. Accepts
    /// what a browser accepts in a `src`/`href` attribute: absolute and
    /// protocol-relative URLs, any case, padded with whitespace, with HTML
    /// entities still in it. Relative URLs (same site) never match.
    pub fn match_url(&self, url: &str) -> Option<&Vendor> {
        // By host, tag ID and self-hosted file name: `trackers/classify.rs`.
        self.classify_url(url, &|_| false)
    }

    /// The vendor for an already-normalised lowercase host and path.
    pub fn match_host_path(&self, host: &str, path: &str) -> Option<&Vendor> {
        let mut h = host;
        loop {
            if let Some(entries) = self.hosts.get(h) {
                for (prefix, i) in entries {
                    if prefix.is_empty() || path_has_prefix(path, prefix) {
                        return self.vendors.get(*i);
                    }
                }
            }
            match h.find('.') {
                Some(p) => h = &h[p + 1..],
                None => return None,
            }
        }
    }

    /// Whether `host` is one of the configured first-party hosts (or a
    /// subdomain of one) or of `site_host`.
    pub fn is_first_party(&self, host: &str, site_host: &str) -> bool {
        let site = site_host.trim_end_matches('.').to_ascii_lowercase();
        let site = site.split(':').next().unwrap_or("");
        let site = site.strip_prefix("www.").unwrap_or(site);
        (!site.is_empty() && domain_matches(host, site))
            || self.first_party.iter().any(|fp| domain_matches(host, fp))
    }

    /// The vendor whose snippet this inline script is (first signature in
    /// the text).
    pub fn match_script(&self, inline_js: &str) -> Option<&Vendor> {
        let ac = self.scripts.as_ref()?;
        let m = ac.find(inline_js)?;
        let i = *self.script_vendor.get(m.pattern().as_usize())?;
        self.vendors.get(i)
    }

    /// Every vendor whose signature occurs in `haystack` (bytes in any
    /// ASCII-compatible encoding), without duplicates, in order of discovery.
    pub fn match_script_all(&self, haystack: &[u8]) -> Vec<&Vendor> {
        let mut out: Vec<&Vendor> = Vec::new();
        if let Some(ac) = &self.scripts {
            // Most scripts hold no signature at all: an unanchored `is_match`
            // (stops at the first hit) is about twice as fast as the
            // overlapping search, which only runs when there is something to find.
            if !ac.is_match(haystack) {
                return out;
            }
            for m in ac.find_overlapping_iter(haystack) {
                if let Some(v) = self
                    .script_vendor
                    .get(m.pattern().as_usize())
                    .and_then(|i| self.vendors.get(*i))
                {
                    if !out.iter().any(|o| o.id == v.id) {
                        out.push(v);
                    }
                }
            }
        }
        out
    }

    /// The length of the longest script signature (for incremental scanning).
    pub fn max_signature_len(&self) -> usize {
        self.vendors
            .iter()
            .flat_map(|v| v.scripts.iter().map(|s| s.len()))
            .max()
            .unwrap_or(0)
    }

    /// The category and vendor of a cookie, by exact name first, then by
    /// the longest matching prefix (`_ga` exact, `_ga_XXXX` via `_ga_`).
    pub fn cookie_category(&self, cookie_name: &str) -> Option<(Category, &Vendor)> {
        let i = match self.cookies.get(cookie_name) {
            Some(i) => *i,
            None => {
                self.cookie_prefixes
                    .iter()
                    .find(|(p, _)| cookie_name.starts_with(p.as_str()))?
                    .1
            }
        };
        let v = self.vendors.get(i)?;
        Some((v.category, v))
    }
}

fn unknown_vendor(category: Category) -> Vendor {
    Vendor {
        id: "unknown".into(),
        name: "Third-party script".into(),
        category,
        hosts: Vec::new(),
        scripts: Vec::new(),
        cookies: Vec::new(),
        cookie_prefixes: Vec::new(),
        source: "consent.toml [trackers] unknown_scripts".into(),
        self_hosted: Vec::new(),
        allowed: false,
    }
}

/// `host` is `domain` or a subdomain of it.
fn domain_matches(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// `path` starts with `prefix` (ASCII case-insensitively) at a segment boundary.
fn path_has_prefix(path: &str, prefix: &str) -> bool {
    let (p, x) = (path.as_bytes(), prefix.as_bytes());
    p.len() >= x.len()
        && p[..x.len()].eq_ignore_ascii_case(x)
        && (p.len() == x.len() || p[x.len()] == b'/' || x.last() == Some(&b'/'))
}

/// The host and path of an absolute URL, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// Lowercase host, no port, no trailing dot.
    pub host: String,
    /// The path (no query or fragment), `/` when empty.
    pub path: String,
}

/// Parses a URL as found in an attribute value (entities not yet decoded).
/// `None` for relative URLs and non-network schemes (`data:`, `javascript:` …).
pub fn parse_url(raw: &str) -> Option<UrlParts> {
    with_host_path(raw, |host, path| UrlParts {
        host: host.to_string(),
        path: path.to_string(),
    })
}

/// The schemes whose URLs have a host worth matching.
const NETWORK_SCHEMES: &[&str] = &["http", "https", "ws", "wss", "ftp"];

/// [`parse_url`] without building a [`UrlParts`]: calls `f` with the
/// normalised host and path and returns its result (`None` when the URL has
/// no host: relative, `data:`, …).
///
/// This is the hot path of the filter (every `src`, `href`, `srcset` and
/// `ping` candidate), so it works on bytes and borrows from `raw` unless the
/// URL really needs rewriting: entities before the query, tabs/newlines or
/// backslashes, percent escapes, upper case in the host. Every delimiter
/// involved is ASCII, so byte offsets are always char boundaries.
pub(crate) fn with_host_path<R>(raw: &str, f: impl FnOnce(&str, &str) -> R) -> Option<R> {
    // The host and path end at the first `?` or `#` (see below), and entity
    // decoding leaves the text before the first `&` unchanged, so entities
    // only in the query or fragment need no decoding.
    let before_query = raw
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(raw.len());
    let decoded;
    let s = if raw.as_bytes()[..before_query].contains(&b'&') {
        decoded = crate::html::decode_attribute(raw);
        decoded.as_ref()
    } else {
        raw
    };
    // The URL parser strips leading/trailing C0 controls and spaces, and
    // removes every tab and newline.
    let s = trim_c0_space(s);
    let cleaned: String;
    let s = if s
        .bytes()
        .any(|b| matches!(b, b'\t' | b'\n' | b'\r' | b'\\'))
    {
        cleaned = s
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .map(|c| if c == '\\' { '/' } else { c })
            .collect();
        cleaned.as_str()
    } else {
        s
    };
    let rest = match s.strip_prefix("//") {
        Some(r) => r,
        None => {
            // The scheme runs up to the first `:`; a `/`, `?` or `#` before
            // it (or no `:` at all) makes the URL relative. For the usual
            // `/path` that is decided on the first byte.
            let colon = s
                .bytes()
                .position(|b| matches!(b, b':' | b'/' | b'?' | b'#'))
                .filter(|&i| s.as_bytes()[i] == b':')?;
            let scheme = &s[..colon];
            if scheme.is_empty()
                || !NETWORK_SCHEMES
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(scheme))
            {
                return None;
            }
            s[colon + 1..].trim_start_matches('/')
        }
    };
    let end = find_byte(rest, |b| matches!(b, b'/' | b'?' | b'#'));
    let (authority, after) = rest.split_at(end);
    let hostport = match authority.bytes().rposition(|b| b == b'@') {
        Some(i) => &authority[i + 1..],
        None => authority,
    };
    let host = if hostport.starts_with('[') {
        hostport
    } else {
        &hostport[..find_byte(hostport, |b| b == b':')]
    };
    let host: Cow<'_, str> = if host.bytes().any(|b| b == b'%') {
        percent_decode(host)
    } else {
        Cow::Borrowed(host)
    };
    let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        host
    };
    // A host with non-ASCII characters goes through IDNA, as the URL
    // parser's "domain to ASCII" does: `goo\u{AD}gle` (from `&shy;`) is
    // `google`, full-width letters and dots are ASCII ones. A host IDNA
    // rejects cannot be loaded at all. (Rare: ASCII hosts skip this.)
    let host: Cow<'_, str> = if host.is_ascii() {
        host
    } else {
        let ascii = idna::domain_to_ascii_cow(host.as_bytes(), idna::AsciiDenyList::URL).ok()?;
        Cow::Owned(ascii.into_owned())
    };
    let host = host.trim_end_matches('.');
    if host.is_empty() {
        return None;
    }
    let path = &after[..find_byte(after, |b| b == b'?' || b == b'#')];
    let path: Cow<'_, str> = if path.is_empty() {
        Cow::Borrowed("/")
    } else if has_dot_segment(path) {
        // `/a/../pagead/x` is `/pagead/x` to the URL parser (`%2e` counts
        // as a dot): resolve the segments the way it does before matching
        // path prefixes. Rare, so the `url` crate does it.
        match url::Url::parse(&format!("http://h{path}")) {
            Ok(u) => Cow::Owned(percent_decode(u.path()).into_owned()),
            Err(_) => percent_decode(path),
        }
    } else if path.bytes().any(|b| b == b'%') {
        percent_decode(path)
    } else {
        Cow::Borrowed(path)
    };
    Some(f(host, &path))
}

/// Whether a path may hold a `.` or `..` segment (`%2e` included): a
/// segment that starts with a dot or an encoded dot.
fn has_dot_segment(path: &str) -> bool {
    path.split('/').skip(1).any(|seg| {
        let seg = seg.as_bytes();
        seg.first() == Some(&b'.') || (seg.len() >= 3 && seg[..3].eq_ignore_ascii_case(b"%2e"))
    })
}

/// Index of the first byte of `s` matching `pred` (`s.len()` if none).
fn find_byte(s: &str, pred: impl Fn(u8) -> bool) -> usize {
    s.bytes().position(pred).unwrap_or(s.len())
}

/// `s` without leading and trailing C0 controls and spaces (all of them
/// single bytes ≤ 0x20 in UTF-8).
fn trim_c0_space(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| c > b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c > b' ').map_or(start, |i| i + 1);
    &s[start..end]
}

/// `%XX` escapes decoded (invalid ones kept as written), then read as
/// UTF-8 with U+FFFD for what is not, as the URL parser's host step does.
fn percent_decode(s: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy()
}

/// The HTML character references of an attribute value decoded as the
/// browser does (see [`crate::html::decode_attribute`], which this is).
pub fn decode_entities(s: &str) -> String {
    crate::html::decode_attribute(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(url: &str) -> Option<String> {
        Catalog::embedded().match_url(url).map(|v| v.id.clone())
    }

    #[test]
    fn embedded_json_matches_the_toml() {
        let json = include_str!(concat!(env!("OUT_DIR"), "/trackers.json"));
        let from_json: CatalogFile = serde_json::from_str(json).unwrap();
        let from_toml: CatalogFile = toml::from_str(EMBEDDED).unwrap();
        assert_eq!(from_json, from_toml);
        assert!(!from_json.tag_ids.is_empty() && !from_json.library.is_empty());
    }

    #[test]
    fn embedded_catalog_is_valid_and_broad() {
        let cat = Catalog::parse(EMBEDDED, &Config::default()).unwrap();
        assert!(cat.vendors().len() >= 60, "{}", cat.vendors().len());
        for v in cat.vendors() {
            assert!(!v.source.is_empty(), "{} has no source", v.id);
            assert_ne!(v.category, Category::Necessary, "{}", v.id);
            assert!(!v.hosts.is_empty(), "{} has no hosts", v.id);
        }
        for required in [
            "google-analytics",
            "google-tag-manager",
            "google-ads",
            "doubleclick",
            "google-adsense",
            "meta-pixel",
            "microsoft-clarity",
            "bing-uet",
            "hotjar",
            "linkedin-insight",
            "tiktok-pixel",
            "x-pixel",
            "pinterest-tag",
            "snap-pixel",
            "reddit-pixel",
            "criteo",
            "taboola",
            "outbrain",
            "amazon-ads",
            "quantcast",
            "hubspot",
            "segment",
            "mixpanel",
            "amplitude",
            "heap",
            "fullstory",
            "adobe-analytics",
            "matomo-cloud",
            "plausible",
            "yandex-metrica",
            "baidu-tongji",
            "comscore",
            "cloudflare-web-analytics",
            "intercom",
            "drift",
            "crisp",
            "zendesk-chat",
            "youtube",
            "vimeo",
            "google-maps",
            "disqus",
            "addthis",
            "sharethis",
        ] {
            assert!(cat.vendor(required).is_some(), "{required} missing");
        }
    }

    #[test]
    fn hosts_and_subdomains() {
        assert_eq!(
            id("https://www.google-analytics.com/analytics.js").as_deref(),
            Some("google-analytics")
        );
        assert_eq!(
            id("https://google-analytics.com/g/collect").as_deref(),
            Some("google-analytics")
        );
        assert_eq!(
            id("https://region1.google-analytics.com/g/collect").as_deref(),
            Some("google-analytics")
        );
        assert_eq!(
            id("https://static.hotjar.com/c/hotjar-1.js?sv=6").as_deref(),
            Some("hotjar")
        );
        assert_eq!(
            id("https://www.youtube-nocookie.com/embed/xyz").as_deref(),
            Some("youtube")
        );
        assert_eq!(
            id("https://connect.facebook.net/en_US/fbevents.js").as_deref(),
            Some("meta-pixel")
        );
        assert_eq!(
            id("https://www.facebook.com/tr?id=1&ev=PageView&noscript=1").as_deref(),
            Some("meta-pixel")
        );
        // lookalike domains do not match
        assert_eq!(id("https://notgoogle-analytics.com/x.js"), None);
        assert_eq!(id("https://google-analytics.com.evil.example/x.js"), None);
        assert_eq!(id("https://www.facebook.com/trending"), None);
        assert_eq!(id("https://example.com/"), None);
    }

    #[test]
    fn path_prefixes() {
        assert_eq!(
            id("https://www.google.com/maps/embed?pb=1").as_deref(),
            Some("google-maps")
        );
        assert_eq!(
            id("https://www.google.com/maps").as_deref(),
            Some("google-maps")
        );
        assert_eq!(id("https://www.google.com/mapsfoo"), None);
        assert_eq!(id("https://www.google.com/search?q=x"), None);
        assert_eq!(id("https://www.google.com/recaptcha/api.js"), None);
        assert_eq!(
            id("https://www.googletagmanager.com/gtag/js?id=G-1").as_deref(),
            Some("google-analytics")
        );
        assert_eq!(
            id("https://www.googletagmanager.com/gtm.js?id=GTM-1").as_deref(),
            Some("google-tag-manager")
        );
        assert_eq!(
            id("https://www.googletagmanager.com/ns.html?id=GTM-1").as_deref(),
            Some("google-tag-manager")
        );
        assert_eq!(
            id("https://s.pinimg.com/ct/core.js").as_deref(),
            Some("pinterest-tag")
        );
        assert_eq!(id("https://s.pinimg.com/images/x.png"), None);
        // `/images/../ct/` is `/ct/` to the browser
        assert_eq!(
            id("https://s.pinimg.com/images/../ct/core.js").as_deref(),
            Some("pinterest-tag")
        );
        assert_eq!(
            id("https://s.pinimg.com/images/%2E%2e/ct/core.js").as_deref(),
            Some("pinterest-tag")
        );
        assert_eq!(id("https://s.pinimg.com/ct/../images/x.png"), None);
    }

    #[test]
    fn url_quirks() {
        for u in [
            "//www.google-analytics.com/analytics.js",
            "HTTPS://WWW.GOOGLE-ANALYTICS.COM/ANALYTICS.JS",
            "  \n https://www.google-analytics.com/analytics.js \t",
            "https&#58;//www.google-analytics.com/analytics.js",
            "https&colon;&sol;&sol;www&period;google-analytics&period;com/analytics.js",
            "&#x68;ttps://www.google-analytics.com/analytics.js",
            "https://www.google-analytics.com:443/analytics.js",
            "https://user@www.google-analytics.com/analytics.js",
            "https://www.google-analytics.com./analytics.js",
            "https:\\\\www.google-analytics.com\\analytics.js",
            "ht\ntps://www.goo\tgle-analytics.com/analytics.js",
            "https://www%2Egoogle-analytics%2Ecom/analytics.js",
            "https://www.google-analytics.com?x=1",
            // leading zeros, soft hyphen (IDNA ignores it), full-width letters
            "https://www.&#0000000103;oogle-analytics.com/analytics.js",
            "https://www.goo&shy;gle-analytics.com/analytics.js",
            "https://www.goo&#173;gle-analytics&#x3002;com/analytics.js",
            "https://ｗｗｗ.google-analytics.com/analytics.js",
            // dot segments are resolved before the path is matched
            "https://www.google-analytics.com/a/../analytics.js",
            "https://www.google-analytics.com/./%2e%2E/analytics.js",
        ] {
            assert_eq!(id(u).as_deref(), Some("google-analytics"), "{u:?}");
        }
        for u in [
            "/analytics.js",
            "analytics.js",
            "www.google-analytics.com/analytics.js",
            "data:text/javascript,1",
            "javascript:void(0)",
            "",
            "   ",
            "https://",
            "//",
            // `&Colon;` is U+2237, not `:`: a relative URL to the browser
            "https&Colon;&sol;&sol;www.google-analytics.com/analytics.js",
            "https&COLON;//www.google-analytics.com/analytics.js",
        ] {
            assert_eq!(id(u), None, "{u:?}");
        }
    }

    #[test]
    fn scripts_and_cookies() {
        let cat = Catalog::embedded();
        let gtm = "(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src='https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);})(window,document,'script','dataLayer','GTM-XXXX');";
        assert_eq!(cat.match_script(gtm).unwrap().id, "google-tag-manager");
        assert_eq!(cat.match_script("console.log('hello')"), None);
        let (c, v) = cat.cookie_category("_ga").unwrap();
        assert_eq!(
            (c, v.id.as_str()),
            (Category::Analytics, "google-analytics")
        );
        assert_eq!(
            cat.cookie_category("_ga_ABC123").unwrap().1.id,
            "google-analytics"
        );
        assert_eq!(
            cat.cookie_category("_fbp").unwrap().0,
            Category::Advertising
        );
        assert_eq!(
            cat.cookie_category("_clck").unwrap().1.id,
            "microsoft-clarity"
        );
        assert_eq!(
            cat.cookie_category("_hjSessionUser_123").unwrap().1.id,
            "hotjar"
        );
        assert_eq!(cat.cookie_category("_gcl_au").unwrap().1.id, "google-ads");
        assert_eq!(cat.cookie_category("session"), None);
        assert_eq!(cat.cookie_category("_gax"), None);
    }

    #[test]
    fn config_overrides() {
        let cfg: Config = toml::from_str(
            r#"
            allow = ["plausible"]
            unknown_scripts = "analytics"
            first_party = ["cdn.example.com"]
            [recategorize]
            youtube = "advertising"
            [[vendors]]
            id = "acme-ab"
            name = "Acme A/B"
            category = "analytics"
            hosts = ["ab.acme.test/js"]
            scripts = ["acmeAB.start("]
            cookies = ["acme_ab"]
            source = "site owner"
            "#,
        )
        .unwrap();
        let cat = Catalog::with_config(&cfg).unwrap();
        assert!(cat.vendor("plausible").unwrap().allowed);
        assert_eq!(
            cat.vendor("youtube").unwrap().category,
            Category::Advertising
        );
        assert_eq!(
            cat.match_url("https://ab.acme.test/js/x.js").unwrap().id,
            "acme-ab"
        );
        assert_eq!(cat.match_url("https://ab.acme.test/other"), None);
        assert_eq!(cat.match_script("acmeab.start(1)").unwrap().id, "acme-ab");
        assert_eq!(
            cat.unknown_scripts(),
            UnknownScripts::Category(Category::Analytics)
        );
        assert!(cat.is_first_party("static.cdn.example.com", ""));
        assert!(cat.is_first_party("www.shop.test", "shop.test"));
        assert!(!cat.is_first_party("evil.test", "shop.test"));

        let bad: Config = toml::from_str("allow = [\"nope\"]").unwrap();
        assert!(Catalog::with_config(&bad).unwrap_err().contains("nope"));
        assert!(toml::from_str::<Config>("unknown_scripts = \"necessary\"").is_err());
        let bad: Config = toml::from_str(
            "[[vendors]]\nid = \"X\"\nname = \"x\"\ncategory = \"analytics\"\nsource = \"s\"",
        )
        .unwrap();
        assert!(Catalog::with_config(&bad).is_err());
    }
}
