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
//! {"r":[2,3],"a":[1],"c":[["google-analytics",2,"google-analytics.com …"],…]}
//! ```
//!
//! * `r`: the refused categories at render time (1 functional,
//!   2 analytics, 3 advertising);
//! * `a`: indexes in `c` of the vendors the page allows outright (route
//!   `allow_vendors`, Consent Mode "advanced"): filed as necessary;
//! * `c`: the catalog table ([`table`]): every vendor with its category and
//!   host patterns, exactly the catalog's host table. The guard rebuilds
//!   the catalog's lookup from it (most specific host first, longer path
//!   prefixes first, prefixes at a segment boundary) and holds a URL when
//!   the winning vendor's category is refused. [`GuardConfig::vendor_for`]
//!   replays that lookup in Rust; a test checks it against the catalog for
//!   every host.
//!
//! `c` is the same for every page: for the shipped catalog it is made once
//! per isolate (by the `start` event's warm-up) and kept, escaped for the
//! attribute, so a page costs a copy, not a walk of the catalog. (It was
//! written by `build.rs` into the wasm until stop 14: 23,185 B of JSON,
//! ≈ 7.5 KB of the module's `gzip -9`, repeating the catalog's hosts;
//! docs/BENCHMARKS.md, "Wasm size, stop 14".) Measured (2026-11-30,
//! examples/startup.rs, native, shared machine): building the old
//! per-visitor JSON (refused vendors and the granted ones they shadow) took
//! 1.5–2.0 ms per undecided page; the tag is now a concatenation. On the
//! wire the whole table is sent even when one category is refused; sizes
//! are printed by the `sizes` test and recorded in docs/BENCHMARKS.md
//! ("Startup (stop 11)").
//!
//! Wired by `banner::page_with`: the tag opens `Page::head_start`, which the
//! filter puts right after `<head>` or before the first `<script>`/`<body>`.

pub mod table;

use crate::consent::{Category, Grants};
use crate::trackers::Catalog;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::OnceLock;
pub use table::attr_escape;

/// The guard's script, minified at build time by esbuild from the readable
/// `src/banner/guard.js` (`buildscript/minify.rs`, like `banner.js`). It is
/// injected inline with the page's CSP nonce.
pub const GUARD_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/guard.min.js"));

/// Name of the attribute carrying the configuration.
pub const CONFIG_ATTR: &str = "data-ce-guard";

/// The table of `catalog` ([`table::table_json`]), escaped for a
/// single-quoted attribute.
fn table_attr(catalog: &Catalog) -> String {
    attr_escape(&table::table_json(
        catalog.vendors(),
        catalog.host_entries(),
    ))
}

/// [`table_attr`] of the shipped catalog, made on first use and kept. Every
/// catalog compiled at build time is the shipped one (same vendors, same
/// host table: [`Catalog::compiled_at_build_time`]), so one table serves
/// them all.
fn shipped_table_attr(catalog: &Catalog) -> &'static str {
    static TABLE: OnceLock<String> = OnceLock::new();
    TABLE.get_or_init(|| table_attr(catalog))
}

/// What the guard needs for one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardConfig {
    /// Refused categories, in [`Category::ALL`] order.
    refused: Vec<Category>,
    /// Indexes of the vendors the page allows outright.
    allowed: Vec<usize>,
    /// The catalog table, escaped for the attribute.
    table: Cow<'static, str>,
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
        // Everything granted: nothing can block, and the walk over every
        // host entry below cost a notice-state visitor ≈ 0.09 ms per
        // page in workerd (docs/BENCHMARKS.md, "stop 12").
        if refused.is_empty() {
            return None;
        }
        let vendors = catalog.vendors();
        let allowed: Vec<usize> = (0..vendors.len())
            .filter(|&i| !vendors[i].allowed && allow_vendors.contains(&vendors[i].id))
            .collect();
        let blocks = |i: usize| {
            let v = &vendors[i];
            !v.allowed && !allowed.contains(&i) && refused.contains(&v.category)
        };
        if !catalog.host_entries().any(|(_, _, i)| blocks(i)) {
            return None;
        }
        let table = if catalog.compiled_at_build_time() {
            Cow::Borrowed(shipped_table_attr(catalog))
        } else {
            Cow::Owned(table_attr(catalog))
        };
        Some(GuardConfig {
            refused,
            allowed,
            table,
        })
    }

    /// The attribute value (escaped for single quotes; see the module docs).
    fn attr_value(&self) -> String {
        let list = |v: &mut dyn Iterator<Item = String>| v.collect::<Vec<_>>().join(",");
        let r = list(
            &mut self
                .refused
                .iter()
                .map(|c| table::category_index(*c).to_string()),
        );
        let a = list(&mut self.allowed.iter().map(|i| i.to_string()));
        let mut out = String::with_capacity(self.table.len() + r.len() + a.len() + 24);
        let _ = write!(out, "{{\"r\":[{r}],\"a\":[{a}],\"c\":{}}}", self.table);
        out
    }

    /// The JSON the guard reads (see the module docs).
    pub fn to_json(&self) -> String {
        self.attr_value()
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    /// The guard's lookup, rebuilt from the JSON it reads, to replay its
    /// decisions in Rust ([`Lookup::vendor_for`]).
    pub fn lookup(&self) -> Lookup {
        let json: serde_json::Value = serde_json::from_str(&self.to_json()).unwrap_or_default();
        let list = |k: &str| -> Vec<u64> {
            json[k]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_u64()).collect())
                .unwrap_or_default()
        };
        let (refused, allowed) = (list("r"), list("a"));
        let mut hosts: HashMap<String, Vec<(String, String, u64)>> = HashMap::new();
        let table = json["c"].as_array().cloned().unwrap_or_default();
        for (i, v) in table.iter().enumerate() {
            let id = v[0].as_str().unwrap_or_default().to_string();
            let cat = match allowed.contains(&(i as u64)) {
                true => 0,
                false => v[1].as_u64().unwrap_or(0),
            };
            for pat in v[2].as_str().unwrap_or_default().split(' ') {
                if pat.is_empty() {
                    continue;
                }
                let (dom, prefix) = pat.split_at(pat.find('/').unwrap_or(pat.len()));
                let here = hosts.entry(dom.to_string()).or_default();
                here.push((prefix.to_string(), id.clone(), cat));
            }
        }
        for here in hosts.values_mut() {
            // Longest prefix first, as the guard sorts (stable).
            here.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
        }
        Lookup { refused, hosts }
    }

    /// [`Lookup::vendor_for`] on a lookup made for this one call.
    pub fn vendor_for(&self, host: &str, path: &str) -> Option<String> {
        self.lookup().vendor_for(host, path).map(str::to_string)
    }
}

/// `guard.js`'s lookup table, replayed in Rust (tests, diagnostics).
#[derive(Debug, Clone)]
pub struct Lookup {
    refused: Vec<u64>,
    /// host → `(path prefix, vendor id, category)`, longest prefix first.
    hosts: HashMap<String, Vec<(String, String, u64)>>,
}

impl Lookup {
    /// The vendor id the guard blocks for a normalised lowercase host and
    /// decoded path.
    pub fn vendor_for(&self, host: &str, path: &str) -> Option<&str> {
        let mut h = host;
        loop {
            if let Some(here) = self.hosts.get(h) {
                if let Some(e) = here.iter().find(|e| has_prefix(path, &e.0)) {
                    return self.refused.contains(&e.2).then_some(e.1.as_str());
                }
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
    let value = cfg.attr_value();
    let mut tag = String::with_capacity(GUARD_JS.len() + value.len() + 64);
    tag.push_str("<script");
    if let Some(n) = nonce.filter(|n| !n.is_empty()) {
        let _ = write!(tag, " nonce='{}'", attr_escape(n));
    }
    let _ = write!(tag, " {CONFIG_ATTR}='{value}'>");
    tag.push_str(GUARD_JS);
    tag.push_str("</script>");
    Some(tag)
}

#[cfg(test)]
mod tests;
