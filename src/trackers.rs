//! The tracker catalog (vendors, hosts, script signatures, cookies) and host matching.
//!
//! The catalog is the data file `trackers.toml` at the crate root, compiled
//! into the worker by `build.rs` as static tables ([`Catalog::embedded`]).
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
//!   looked up in a hashed table of domain suffixes (FNV-1a buckets built
//!   at build time), walking the labels from the full host to the
//!   registrable part (`a.b.example.com`, `b.example.com`,
//!   `example.com`, `com`). The most specific host wins; on one host, entries
//!   with a path prefix (`www.google.com/maps`) are tried before the bare host
//!   and only match at a path-segment boundary.
//! * **Inline scripts** ([`Catalog::match_script`]): one Aho–Corasick
//!   automaton over every vendor's snippet signatures (ASCII
//!   case-insensitive), built on the first inline script, a contiguous NFA
//!   that becomes a DFA once the isolate is busy (`trackers/signatures.rs`).
//! * **Cookies** ([`Catalog::cookie_category`]): exact names in a sorted
//!   table (binary search), then prefixes, longest first.
//!
//! The shipped catalog's tables are `static` data compiled by `build.rs`
//! (`trackers/embedded.rs`, `trackers/tables.rs`), its vendors one packed
//! string read once per isolate (`trackers/packed.rs`): nothing is parsed
//! or sorted at request time. Another configuration is compiled at run time by
//! the same code ([`Catalog::from_file`]).

mod classify;
mod embedded;
#[cfg(test)]
mod inline_scan_tests;
mod normalise;
mod packed;
mod self_hosted;
mod signatures;
pub(crate) mod tables;
mod tag_ids;
mod url_parts;

use crate::model::Category;
use aho_corasick::AhoCorasickKind;
use consent_edge_config::trackers::{canonical_host, check_vendors, merge};
use consent_edge_config::{Invalid, Path};
use signatures::Signatures;
use std::borrow::Cow;

pub(crate) use embedded::{static_catalog, static_catalog_file, PLAIN_SETTINGS};
pub(crate) use url_parts::with_host_path;
pub use url_parts::{decode_entities, parse_url, UrlParts};

/// The catalog data file shipped with the worker.
pub const EMBEDDED: &str = include_str!("../trackers.toml");

/// `[trackers]` in `consent.toml`.
pub use consent_edge_config::TrackerSettings as Config;
pub use consent_edge_config::{CatalogFile, UnknownScripts, Vendor};

/// A table row: `(vendor index, index in one of its lists)` ([`tables::Ref`]).
type Row = (u16, u16);

/// The lookup tables ([`tables::Rows`]), either `static` data written by
/// `build.rs` for the shipped configuration or made at run time. Rows refer
/// to the strings of [`Catalog::vendors`].
#[derive(Debug)]
struct Tables {
    hosts: Cow<'static, [Row]>,
    /// Start of each bucket's rows in `hosts`, then the end ([`tables::host_bucket`]).
    host_buckets: Cow<'static, [u16]>,
    cookies: Cow<'static, [Row]>,
    cookie_prefixes: Cow<'static, [Row]>,
    signatures: Cow<'static, [Row]>,
}

/// Rows made at run time as a table.
fn row_table(v: Vec<tables::Ref>) -> Result<Cow<'static, [Row]>, Invalid> {
    v.into_iter()
        .map(|(i, k)| Some((u16::try_from(i).ok()?, u16::try_from(k).ok()?)))
        .collect::<Option<Vec<Row>>>()
        .map(Cow::Owned)
        .ok_or_else(|| Invalid::at(Path::key("vendor"), "more than 65,535 vendors or entries"))
}

impl Tables {
    fn from_rows(r: tables::Rows) -> Result<Tables, Invalid> {
        let buckets = r.host_buckets.iter().map(|&b| u16::try_from(b).ok());
        let host_buckets = buckets
            .collect::<Option<Vec<u16>>>()
            .ok_or_else(|| Invalid::at(Path::key("vendor"), "more than 65,535 host patterns"))?;
        Ok(Tables {
            hosts: row_table(r.hosts)?,
            host_buckets: Cow::Owned(host_buckets),
            cookies: row_table(r.cookies)?,
            cookie_prefixes: row_table(r.cookie_prefixes)?,
            signatures: row_table(r.signatures)?,
        })
    }
}

/// The compiled catalog.
#[derive(Debug)]
pub struct Catalog {
    vendors: Vec<Vendor>,
    tables: Tables,
    /// The signature automaton, built on the first inline script
    /// (`trackers/signatures.rs`: which kind when, and what each costs).
    scripts: Signatures,
    unknown_scripts: UnknownScripts,
    first_party: Vec<String>,
    unknown: Vendor,
    /// Tag IDs, self-hosted analytics, library CDNs (`trackers/classify.rs`).
    rules: classify::Rules,
}

impl Catalog {
    /// The embedded catalog with `[trackers]` settings `cfg` applied.
    pub fn with_config(cfg: &Config) -> Result<Catalog, String> {
        Catalog::from_file(&static_catalog_file(), cfg).map_err(|e| e.to_string())
    }

    /// Parses a catalog file (same format as `trackers.toml`) and applies `cfg`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn parse(toml_text: &str, cfg: &Config) -> Result<Catalog, String> {
        let file: CatalogFile =
            toml::from_str(toml_text).map_err(|e| format!("trackers.toml: {}", e.message()))?;
        Catalog::from_file(&file, cfg).map_err(|e| e.to_string())
    }

    /// The catalog of `file` with the `[trackers]` settings `cfg` applied,
    /// validated and compiled at run time (the shipped configuration's is
    /// compiled at build time: [`Catalog::configured`]).
    pub fn from_file(file: &CatalogFile, cfg: &Config) -> Result<Catalog, Invalid> {
        file.check()?;
        cfg.check(file)?;
        let vendors = merge(file, cfg)?;
        check_vendors(&vendors, &Path::key("vendor"))?;
        let tables = Tables::from_rows(tables::rows(&vendors))?;
        let mut scripts = Signatures::default();
        if !tables.signatures.is_empty() {
            let sigs = vendors
                .iter()
                .flat_map(|v| v.scripts.iter().map(String::as_str));
            let ac = tables::signature_automaton(AhoCorasickKind::ContiguousNFA, sigs)
                .map_err(|e| Invalid::at(Path::key("vendor"), format!("script signatures: {e}")))?;
            scripts = Signatures::with_nfa(ac);
        }
        Ok(Catalog::assemble(file, vendors, tables, scripts, cfg))
    }

    /// The catalog from its parts; `vendors` are `file`'s merged with `cfg`.
    fn assemble(
        file: &CatalogFile,
        vendors: Vec<Vendor>,
        tables: Tables,
        scripts: Signatures,
        cfg: &Config,
    ) -> Catalog {
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
        let rules = classify::Rules::new(file, &vendors, cfg);
        Catalog {
            vendors,
            tables,
            scripts,
            unknown_scripts: cfg.unknown_scripts,
            first_party,
            unknown: unknown_vendor(unknown_cat),
            rules,
        }
    }

    /// The host patterns as the catalog matches them: `(host, path prefix
    /// or "" (matched ASCII case-insensitively), index in
    /// [`Catalog::vendors`])`, grouped by host, on one host the longer
    /// prefix first; a pattern listed twice belongs to its first vendor.
    pub fn host_entries(&self) -> impl Iterator<Item = (&str, &str, usize)> + '_ {
        self.tables.hosts.iter().map(|r| {
            let (h, p) = self.host_of(r);
            (h, p, usize::from(r.0))
        })
    }

    /// The string a row refers to in the list `list` of its vendor (`""`
    /// if none: impossible for tables made from these vendors).
    fn text(&self, r: &Row, list: fn(&Vendor) -> &[String]) -> &str {
        self.vendors
            .get(usize::from(r.0))
            .and_then(|v| list(v).get(usize::from(r.1)))
            .map_or("", String::as_str)
    }

    /// The host and path prefix of a host row.
    fn host_of(&self, r: &Row) -> (&str, &str) {
        tables::split_host_pattern(self.text(r, |v| &v.hosts))
    }

    /// The signatures, in pattern-id order.
    fn signature_texts(&self) -> Vec<&str> {
        let sigs = self.tables.signatures.iter();
        sigs.map(|r| self.text(r, |v| &v.scripts)).collect()
    }

    /// Whether this is the shipped catalog on the tables `build.rs`
    /// compiled (then data derived from it at build time, like the client
    /// guard's table, is this catalog's).
    pub fn compiled_at_build_time(&self) -> bool {
        matches!(self.tables.hosts, Cow::Borrowed(_))
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

    /// The vendor for an already-normalised lowercase host and path: the
    /// most specific listed host (the full host, then each parent domain),
    /// on it the longest matching path prefix. Each suffix is one bucket of
    /// the hashed host table (as fast as the former `HashMap`, measured in
    /// docs/BENCHMARKS.md "Startup (stop 11)"; a binary search was 7.5×
    /// slower).
    pub fn match_host_path(&self, host: &str, path: &str) -> Option<&Vendor> {
        let (rows, buckets) = (&self.tables.hosts, &self.tables.host_buckets);
        let n = buckets.len().saturating_sub(1);
        let mut h = host;
        loop {
            let b = tables::host_bucket(h, n);
            let (start, end) = match (buckets.get(b), buckets.get(b + 1)) {
                (Some(s), Some(e)) => (usize::from(*s), usize::from(*e)),
                _ => (0, 0),
            };
            for r in rows.get(start..end).unwrap_or_default() {
                let (host, prefix) = self.host_of(r);
                if host == h && (prefix.is_empty() || path_has_prefix(path, prefix)) {
                    return self.vendors.get(usize::from(r.0));
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
        let sigs = || self.signature_texts();
        let m = self
            .scripts
            .for_scan(sigs, inline_js.len())?
            .find(inline_js)?;
        let i = self.tables.signatures.get(m.pattern().as_usize())?.0;
        self.vendors.get(usize::from(i))
    }

    /// Every vendor whose signature occurs in `haystack` (bytes in any
    /// ASCII-compatible encoding), without duplicates, in order of discovery.
    pub fn match_script_all(&self, haystack: &[u8]) -> Vec<&Vendor> {
        let mut out: Vec<&Vendor> = Vec::new();
        if let Some(ac) = self
            .scripts
            .for_scan(|| self.signature_texts(), haystack.len())
        {
            // Most scripts hold no signature at all: an unanchored `is_match`
            // (stops at the first hit) is about twice as fast as the
            // overlapping search, which only runs when there is something to find.
            if !ac.is_match(haystack) {
                return out;
            }
            self.push_signature_vendors(ac, haystack, &mut out);
        }
        out
    }

    /// The vendors of the signatures in `text` that overlap one of the
    /// `changed` ranges or cross an empty one (see
    /// [`normalise::Normalised::changed`]), pushed to `out` in order of
    /// discovery unless already there. Only the windows reaching one
    /// signature length short of each side of a range are scanned (merged
    /// where they overlap, so every match is reported once and in the
    /// order of a scan of the whole text).
    pub(crate) fn match_script_around<'a>(
        &'a self,
        text: &[u8],
        changed: &[std::ops::Range<usize>],
        out: &mut Vec<&'a Vendor>,
    ) {
        let reach = self.max_signature_len().saturating_sub(1);
        let mut windows: Vec<std::ops::Range<usize>> = Vec::new();
        for r in changed {
            let w = r.start.saturating_sub(reach)..r.end.saturating_add(reach).min(text.len());
            match windows.last_mut() {
                Some(last) if w.start <= last.end => last.end = last.end.max(w.end),
                _ => windows.push(w),
            }
        }
        let len = windows.iter().map(|w| w.len()).sum();
        let Some(ac) = self.scripts.for_scan(|| self.signature_texts(), len) else {
            return;
        };
        for w in windows {
            let Some(window) = text.get(w) else { continue };
            if !ac.is_match(window) {
                continue;
            }
            self.push_signature_vendors(ac, window, out);
        }
    }

    /// The vendor of every signature `ac` finds in `text` (overlapping),
    /// pushed to `out` in order of discovery unless already there.
    fn push_signature_vendors<'a>(
        &'a self,
        ac: &aho_corasick::AhoCorasick,
        text: &[u8],
        out: &mut Vec<&'a Vendor>,
    ) {
        for m in ac.find_overlapping_iter(text) {
            let sig = self.tables.signatures.get(m.pattern().as_usize());
            if let Some(v) = sig.and_then(|s| self.vendors.get(usize::from(s.0))) {
                if !out.iter().any(|o| o.id == v.id) {
                    out.push(v);
                }
            }
        }
    }

    /// The length of the longest script signature (0 without any): the
    /// automaton's, built on first need and kept, so asking costs nothing
    /// after the first inline script (it is asked for every script the
    /// windowed scan looks at again).
    pub fn max_signature_len(&self) -> usize {
        self.scripts
            .for_scan(|| self.signature_texts(), 0)
            .map_or(0, |ac| ac.max_pattern_len())
    }

    /// The category and vendor of a cookie, by exact name first, then by
    /// the longest matching prefix (`_ga` exact, `_ga_XXXX` via `_ga_`).
    pub fn cookie_category(&self, cookie_name: &str) -> Option<(Category, &Vendor)> {
        let exact = &self.tables.cookies;
        let name = |r: &Row| self.text(r, |v| &v.cookies);
        let row = match exact.binary_search_by(|r| name(r).cmp(cookie_name)) {
            Ok(at) => exact[at],
            Err(_) => *self.tables.cookie_prefixes.iter().find(|r| {
                let p = self.text(r, |v| &v.cookie_prefixes);
                cookie_name.starts_with(p)
            })?,
        };
        let v = self.vendors.get(usize::from(row.0))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn id(url: &str) -> Option<String> {
        Catalog::embedded().match_url(url).map(|v| v.id.clone())
    }

    #[test]
    fn static_catalog_is_the_toml_compiled_at_run_time() {
        let from_toml: CatalogFile = toml::from_str(EMBEDDED).unwrap();
        assert_eq!(static_catalog_file(), from_toml);
        assert!(!from_toml.tag_ids.is_empty() && !from_toml.library.is_empty());
        let settings = &crate::config::Config::embedded().trackers;
        let built = Catalog::from_file(&from_toml, settings).unwrap();
        let shipped = Catalog::configured();
        assert_eq!(built.vendors(), shipped.vendors());
        let rows = |c: &Catalog| {
            let t = &c.tables;
            let refs = |r: &[Row]| -> Vec<tables::Ref> {
                r.iter()
                    .map(|(i, k)| (usize::from(*i), usize::from(*k)))
                    .collect()
            };
            tables::Rows {
                hosts: refs(&t.hosts),
                host_buckets: t.host_buckets.iter().map(|b| usize::from(*b)).collect(),
                cookies: refs(&t.cookies),
                cookie_prefixes: refs(&t.cookie_prefixes),
                signatures: refs(&t.signatures),
            }
        };
        let (b, s) = (rows(&built), rows(shipped));
        assert_eq!(b, s);
        assert!(
            s.hosts.len() > 900 && s.signatures.len() > 700,
            "{}",
            s.hosts.len()
        );
        let host = |r: &tables::Ref| shipped.vendors()[r.0].hosts[r.1].split('/').next();
        let n = s.host_buckets.len() - 1;
        assert!(n.is_power_of_two() && n >= s.hosts.len(), "{n}");
        for b in 0..n {
            let rows = &s.hosts[s.host_buckets[b]..s.host_buckets[b + 1]];
            for r in rows {
                let h = host(r).expect("host");
                assert_eq!(tables::host_bucket(h, n), b, "{h}");
            }
            assert!(
                rows.windows(2).all(|w| host(&w[0]) <= host(&w[1])),
                "sorted by host"
            );
        }
        let cookie = |r: &tables::Ref| &shipped.vendors()[r.0].cookies[r.1];
        let unique = s.cookies.windows(2).all(|w| cookie(&w[0]) < cookie(&w[1]));
        assert!(unique, "unique, sorted");
        if PLAIN_SETTINGS {
            assert!(std::ptr::eq(Catalog::embedded(), Catalog::configured()));
        }
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
