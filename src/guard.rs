//! The client guard's configuration: which hosts the in-page guard
//! (`src/banner/guard.js`) must hold back for this visitor.
//!
//! The server filter only sees the HTML; what allowed scripts inject at run
//! time (a tag manager's Custom HTML tags, `new Image().src`, lazy-load
//! plugins) is judged in the page by the guard, injected first in `<head>`.
//! It gets only the host data that the visitor's *refused* categories need,
//! so a visitor who accepted everything gets no guard at all, and one who
//! refused advertising only carries the advertising hosts.
//!
//! # The format (read by `guard.js`, documented there too)
//!
//! A JSON object in the `data-ce-guard` attribute of the guard's own
//! `<script>` (the guard reads it through `document.currentScript`, so no
//! other page element can steer it):
//!
//! ```json
//! {"r":["analytics","advertising"],
//!  "h":{"advertising":{"meta-pixel":["connect.facebook.net","facebook.com/tr"]},
//!       "functional":{"google-maps":["www.google.com/maps"]}}}
//! ```
//!
//! * `r`: the refused categories at render time.
//! * `h`: category → vendor id → host patterns (`domain` or
//!   `domain/path-prefix`, lowercase, no trailing `/`), exactly as the
//!   catalog matches them ([`Catalog::match_host_path`]: most specific host
//!   first, longer path prefixes first, prefixes at a segment boundary).
//!
//! Besides the refused vendors, `h` carries the entries of *granted* vendors
//! (and `necessary` for vendors allowed outright) that sit on a refused
//! vendor's host or a subdomain of it: in the catalog they win over the
//! refused entry (more specific), so without them the guard would block a
//! URL the server lets through (e.g. a refused `google.com` and a granted
//! `www.google.com/maps`). [`GuardConfig::vendor_for`] replays the guard's
//! lookup in Rust; a test checks it against the catalog for every host.
//!
//! Measured (2026-11-30, the shipped `trackers.toml`, 487 vendors; the
//! `sizes` test prints them): nothing granted 23,169 bytes of JSON, only
//! analytics refused 6,429, only advertising refused 10,662; the whole tag
//! with the minified script, nothing granted, 11.2 KB gzip (docs/BENCHMARKS.md,
//! "Client guard").
//!
//! Wired by `banner::page_with`: the tag opens `Page::head_start`, which the
//! filter puts right after `<head>` or before the first `<script>`/`<body>`.

use crate::consent::{Category, Grants};
use crate::trackers::Catalog;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The guard's script, minified at build time by esbuild from the readable
/// `src/banner/guard.js` (`buildscript/minify.rs`, like `banner.js`). It is
/// injected inline with the page's CSP nonce.
pub const GUARD_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/guard.min.js"));

/// Name of the attribute carrying the configuration.
pub const CONFIG_ATTR: &str = "data-ce-guard";

/// One host pattern: lowercase domain and path prefix (`""` or `/…`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: String,
    prefix: String,
    vendor: usize,
}

/// The host data the guard needs for one visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardConfig {
    /// Refused categories, in [`Category::ALL`] order.
    refused: Vec<Category>,
    /// category → vendor id → patterns (`domain` or `domain/prefix`).
    hosts: BTreeMap<Category, BTreeMap<String, Vec<String>>>,
}

/// The catalog's host entries, normalised and deduplicated the way
/// [`Catalog`] compiles them (first vendor wins a duplicate host+path).
fn entries(catalog: &Catalog) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for (i, v) in catalog.vendors().iter().enumerate() {
        for h in &v.hosts {
            let h = h.to_ascii_lowercase();
            let (host, prefix) = match h.find('/') {
                Some(p) => (h[..p].to_string(), h[p..].trim_end_matches('/').to_string()),
                None => (h.clone(), String::new()),
            };
            if !out.iter().any(|e| e.host == host && e.prefix == prefix) {
                out.push(Entry {
                    host,
                    prefix,
                    vendor: i,
                });
            }
        }
    }
    out
}

/// `host` is `domain` or one of its subdomains.
fn within(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

impl GuardConfig {
    /// The configuration for a visitor with these grants, or `None` when
    /// the guard has nothing to hold back (every category granted, or no
    /// catalog vendor in a refused category).
    pub fn new(catalog: &Catalog, grants: Grants) -> Option<GuardConfig> {
        GuardConfig::for_page(catalog, grants, &[])
    }

    /// As [`GuardConfig::new`], for a page whose route (or Google Consent
    /// Mode "advanced") allows some vendors outright (`Page::allow_vendors`):
    /// the guard lets them through like the filter does. What they inject is
    /// still judged by its own vendor (a tag manager is a loader, not a
    /// pass for the tags in its container).
    pub fn for_page(
        catalog: &Catalog,
        grants: Grants,
        allow_vendors: &[String],
    ) -> Option<GuardConfig> {
        let refused: Vec<Category> = grants.refused().collect();
        let vendors = catalog.vendors();
        // The category the guard files a vendor under: vendors allowed
        // outright are never blocked, like `necessary`.
        let cat = |i: usize| match &vendors[i] {
            v if v.allowed || allow_vendors.contains(&v.id) => Category::Necessary,
            v => v.category,
        };
        let all = entries(catalog);
        let blocked: Vec<&Entry> = all
            .iter()
            .filter(|e| refused.contains(&cat(e.vendor)))
            .collect();
        if blocked.is_empty() {
            return None;
        }
        let mut hosts: BTreeMap<Category, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for e in &all {
            let needed = refused.contains(&cat(e.vendor))
                || blocked.iter().any(|b| within(&e.host, &b.host));
            if needed {
                hosts
                    .entry(cat(e.vendor))
                    .or_default()
                    .entry(vendors[e.vendor].id.clone())
                    .or_default()
                    .push(format!("{}{}", e.host, e.prefix));
            }
        }
        Some(GuardConfig { refused, hosts })
    }

    /// The compact JSON the guard reads (see the module docs).
    pub fn to_json(&self) -> String {
        let refused: Vec<&str> = self.refused.iter().map(|c| c.id()).collect();
        let hosts: serde_json::Map<String, serde_json::Value> = self
            .hosts
            .iter()
            .map(|(c, vs)| (c.id().to_string(), serde_json::json!(vs)))
            .collect();
        serde_json::json!({ "r": refused, "h": hosts }).to_string()
    }

    /// The vendor id the guard blocks for a normalised lowercase host and
    /// decoded path, replaying `guard.js`'s lookup on this configuration.
    pub fn vendor_for(&self, host: &str, path: &str) -> Option<&str> {
        let mut h = host;
        loop {
            // Entries on this host, longest prefix first (as the guard sorts).
            let mut here: Vec<(&str, &str, Category)> = Vec::new();
            for (c, vs) in &self.hosts {
                for (id, pats) in vs {
                    for p in pats {
                        let (dom, prefix) = p.split_at(p.find('/').unwrap_or(p.len()));
                        if dom == h {
                            here.push((prefix, id, *c));
                        }
                    }
                }
            }
            here.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
            if let Some((_, id, c)) = here.iter().find(|(p, _, _)| has_prefix(path, p)) {
                return self.refused.contains(c).then_some(*id);
            }
            h = &h[h.find('.')? + 1..];
        }
    }
}

/// `path` starts with `prefix` (ASCII case-insensitively) at a segment
/// boundary, as [`Catalog`] matches path prefixes.
fn has_prefix(path: &str, prefix: &str) -> bool {
    let (p, x) = (path.as_bytes(), prefix.as_bytes());
    p.len() >= x.len()
        && p[..x.len()].eq_ignore_ascii_case(x)
        && (p.len() == x.len() || p[x.len()] == b'/' || x.is_empty())
}

/// Escapes text for a *single*-quoted HTML attribute value. The JSON's many
/// `"` stay as they are (a double-quoted attribute would turn each into
/// `&quot;` and grow the configuration by about a third).
fn attr_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The `<script>` to inject first in `<head>`, or `None` when everything is
/// granted. The nonce (already validated base64 by `banner::csp_nonce`) is
/// escaped anyway; the configuration goes in an attribute, never in the
/// script text, so no value can end the script element.
pub fn guard_script(catalog: &Catalog, grants: Grants, nonce: Option<&str>) -> Option<String> {
    guard_script_for_page(catalog, grants, &[], nonce)
}

/// [`guard_script`] for a page with `allow_vendors` (see [`GuardConfig::for_page`]).
pub fn guard_script_for_page(
    catalog: &Catalog,
    grants: Grants,
    allow_vendors: &[String],
    nonce: Option<&str>,
) -> Option<String> {
    let cfg = GuardConfig::for_page(catalog, grants, allow_vendors)?;
    let json = cfg.to_json();
    let mut tag = String::with_capacity(GUARD_JS.len() + json.len() + 64);
    tag.push_str("<script");
    if let Some(n) = nonce.filter(|n| !n.is_empty()) {
        let _ = write!(tag, " nonce='{}'", attr_escape(n));
    }
    let _ = write!(tag, " {CONFIG_ATTR}='{}'>", attr_escape(&json));
    tag.push_str(GUARD_JS);
    tag.push_str("</script>");
    Some(tag)
}

#[cfg(test)]
mod tests;
