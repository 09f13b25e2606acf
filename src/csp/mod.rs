//! The Content-Security-Policy backstop (`[csp]`): a second policy, added
//! next to the origin's own, that lets a decided visitor's page load only
//! from the site itself, the site's declared third parties (`[csp] allow`)
//! and the catalog hosts of the categories they granted. A refused vendor
//! injected by code neither the filter nor the guard sees is then blocked
//! by the browser (`enforce`) or reported (`report`, for discovery).
//!
//! Pure: the edge hands the plan's headers to the browser as they are.
//!
//! ## The shape of the policy
//!
//! One `default-src` list, which every fetch directive (`script-src`,
//! `style-src`, `img-src`, `font-src`, `connect-src`, `media-src`,
//! `frame-src`, `object-src`, `worker-src`, `manifest-src`) falls back to.
//! Spelling each directive out would repeat the same host list ten times:
//! with every category granted the list is about 31 KB (see
//! `tests::every_category_granted_stays_under_the_size_budget`), ten times
//! that is beyond what proxies and browsers accept in one header.
//!
//! It also carries `'unsafe-inline' 'unsafe-eval' data: blob:` on purpose.
//! The backstop is about *where* a page loads from, not *which* inline code
//! runs: an inline script cannot reach a refused vendor without a request,
//! and that request is what the host list refuses. A nonce (even one for the
//! worker's own scripts) would make CSP3 ignore `'unsafe-inline'` and block
//! every inline script of the site, so the worker adds none; the worker's
//! own inline scripts pass through `'unsafe-inline'` here and through the
//! origin's nonce (which they carry, see [`crate::banner::csp_nonce`]) in
//! the origin's policy. Both policies apply, so nothing the origin's policy
//! forbids becomes allowed.

use crate::consent::Grants;
use crate::trackers::Catalog;
use consent_edge_config::CspMode;
use std::collections::BTreeSet;

/// The path of the report endpoint below the consent endpoint.
pub const REPORT_SUB: &str = "csp-report";

/// Sources every policy starts with (see the module documentation).
const BASE_SOURCES: &str = "'self' 'unsafe-inline' 'unsafe-eval' data: blob:";

/// Everything the policy depends on.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    /// `[csp] mode`.
    pub mode: CspMode,
    /// `[csp] allow`: the site's declared third parties (validated host sources).
    pub site_allow: &'a [String],
    /// `[csp] vendors`: the catalog vendors the site uses (empty: all).
    pub site_vendors: &'a [String],
    /// The tracker catalog.
    pub catalog: &'a Catalog,
    /// What the visitor granted.
    pub grants: Grants,
    /// Vendor ids allowed outright on this response (route, Consent Mode advanced).
    pub allow_vendors: &'a [String],
    /// `scheme://host[:port]` of the page, for the absolute report URL.
    pub origin: &'a str,
    /// The consent endpoint (`/__consent`).
    pub endpoint: &'a str,
}

/// The headers to add to a rewritten page of a visitor who decided; empty
/// when `mode = "off"`. They are appended, never replacing the origin's.
///
/// Reports go to `report-uri` only. With `report-to` and
/// `Reporting-Endpoints` present, Chromium ignores `report-uri` and queues
/// the reports for the Reporting API, which batches them (up to a minute)
/// — in our Chromium test (headless, loopback) none arrived within 120 s,
/// while `report-uri` reports arrive at once; `report-uri` is also the one
/// Firefox and Safari send. The endpoint still reads the Reporting API's
/// `application/reports+json` for a site that adds `report-to` itself.
pub fn headers(input: &PolicyInput<'_>) -> Vec<(String, String)> {
    let name = match input.mode {
        CspMode::Off => return Vec::new(),
        CspMode::Report => "content-security-policy-report-only",
        CspMode::Enforce => "content-security-policy",
    };
    let report = report_url(input.origin, input.endpoint);
    vec![(
        name.into(),
        format!("{}; report-uri {report}", default_src(input)),
    )]
}

/// The absolute URL of the report endpoint.
pub fn report_url(origin: &str, endpoint: &str) -> String {
    format!("{origin}{endpoint}/{REPORT_SUB}")
}

/// `default-src` with the base sources, the site's and the granted hosts.
pub fn default_src(input: &PolicyInput<'_>) -> String {
    let mut patterns: BTreeSet<String> = BTreeSet::new();
    for v in input.catalog.vendors() {
        let used = input.site_vendors.is_empty() || input.site_vendors.contains(&v.id);
        let granted = (used && input.grants.has(v.category))
            || v.allowed
            || input.allow_vendors.contains(&v.id);
        if granted {
            patterns.extend(v.hosts.iter().map(|h| h.trim().to_ascii_lowercase()));
        }
    }
    // Inserted one by one: `collect` into a B-tree sorts first, and that
    // sort was one more instantiation in the wasm (1,488 B raw, 969 B gzip;
    // docs/BENCHMARKS.md, "Wasm size, stop 14"). Same set.
    let mut hosts: BTreeSet<String> = BTreeSet::new();
    for h in input.site_allow {
        hosts.insert(h.clone());
    }
    for p in patterns.iter().filter(|p| !covered(p, &patterns)) {
        hosts.extend(host_sources(p));
    }
    let mut out = format!("default-src {BASE_SOURCES}");
    for h in hosts {
        out.push(' ');
        out.push_str(&h);
    }
    out
}

/// Whether another granted pattern already allows everything `pattern`
/// does: a bare domain covers its subdomains and their paths. Leaving the
/// covered ones out keeps the header about a third smaller with every
/// category granted (34,108 → see the size test).
fn covered(pattern: &str, all: &BTreeSet<String>) -> bool {
    let (host, path) = match pattern.find('/') {
        Some(p) => pattern.split_at(p),
        None => (pattern, ""),
    };
    let mut h = host;
    if path.is_empty() {
        // Only a parent domain can cover a bare domain.
        match h.find('.') {
            Some(i) => h = &h[i + 1..],
            None => return false,
        }
    }
    loop {
        if all.contains(h) {
            return true;
        }
        match h.find('.') {
            Some(i) => h = &h[i + 1..],
            None => return false,
        }
    }
}

/// The CSP host sources for one catalog host pattern. The catalog's
/// `domain` means the domain and its subdomains (`domain`, `*.domain`);
/// `domain/path` means paths starting with `/path` at a segment boundary,
/// which CSP spells as the exact path plus the `path/` prefix. A pattern
/// with a character CSP would read as a separator is left out: its hosts
/// are then blocked, never widened.
pub fn host_sources(pattern: &str) -> Vec<String> {
    let pattern = pattern.trim().to_ascii_lowercase();
    let safe = !pattern.is_empty()
        && pattern
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/!$&()+=:@%".contains(&b));
    let (host, path) = match pattern.find('/') {
        Some(p) => pattern.split_at(p),
        None => (pattern.as_str(), ""),
    };
    if !safe || host.is_empty() || host.contains(':') {
        return Vec::new();
    }
    let path = path.trim_end_matches('/');
    let mut out = Vec::with_capacity(4);
    for h in [host.to_string(), format!("*.{host}")] {
        if path.is_empty() {
            out.push(h);
        } else {
            out.push(format!("{h}{path}"));
            out.push(format!("{h}{path}/"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
