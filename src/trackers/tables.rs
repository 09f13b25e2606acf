//! The catalog's lookup tables as plain sorted rows, made from the merged
//! vendor list.
//!
//! One function, two callers: `build.rs` (through `buildscript/catalog.rs`,
//! which includes this file with `#[path]`) writes the rows of the shipped
//! configuration out as `static` Rust data, and [`super::Catalog::from_file`]
//! makes the same rows at run time for any other configuration (tests, a
//! catalog given by hand). So the two can never disagree on matching
//! semantics. It depends on nothing but the config crate's [`Vendor`].

use consent_edge_config::Vendor;
use std::collections::HashSet;

/// The rows of one catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    /// `(host, lowercase path prefix or "", vendor index)`, sorted by host
    /// (bytewise); on one host the longer prefix first, then catalog order.
    /// A host and prefix listed twice keeps the first vendor.
    pub hosts: Vec<(String, String, usize)>,
    /// `(exact cookie name, vendor index)`, sorted by name; a name listed
    /// twice keeps the first vendor.
    pub cookies: Vec<(String, usize)>,
    /// `(cookie name prefix, vendor index)`, longest first, then catalog order.
    pub cookie_prefixes: Vec<(String, usize)>,
    /// `(inline-script signature, vendor index)`, in catalog order (the
    /// automaton's pattern ids are these indexes).
    pub signatures: Vec<(String, usize)>,
}

/// A host pattern (`domain` or `domain/path-prefix`) split into its
/// lowercase host and its path prefix without a trailing `/` (`""` for none).
pub fn split_host_pattern(pattern: &str) -> (String, String) {
    let h = pattern.to_ascii_lowercase();
    match h.find('/') {
        Some(p) => (h[..p].to_string(), h[p..].trim_end_matches('/').to_string()),
        None => (h, String::new()),
    }
}

/// The rows of `vendors` (already merged with `[trackers]`).
pub fn rows(vendors: &[Vendor]) -> Rows {
    let mut r = Rows::default();
    let mut seen_hosts = HashSet::new();
    let mut seen_cookies = HashSet::new();
    for (i, v) in vendors.iter().enumerate() {
        for h in &v.hosts {
            let (host, prefix) = split_host_pattern(h);
            if seen_hosts.insert((host.clone(), prefix.clone())) {
                r.hosts.push((host, prefix, i));
            }
        }
        for c in &v.cookies {
            if seen_cookies.insert(c.as_str()) {
                r.cookies.push((c.clone(), i));
            }
        }
        r.cookie_prefixes
            .extend(v.cookie_prefixes.iter().map(|p| (p.clone(), i)));
        r.signatures
            .extend(v.scripts.iter().map(|s| (s.clone(), i)));
    }
    // Stable sorts: equal keys keep catalog order.
    r.hosts
        .sort_by(|a, b| a.0.cmp(&b.0).then(b.1.len().cmp(&a.1.len())));
    r.cookies.sort_by(|a, b| a.0.cmp(&b.0));
    r.cookie_prefixes
        .sort_by_key(|e| std::cmp::Reverse(e.0.len()));
    r
}

/// An automaton over the inline-script signatures (ASCII
/// case-insensitive, every match reported), of `kind`: the one
/// configuration the worker and `build.rs` (which proves the shipped
/// signatures build in both kinds) share. Pattern ids are the signatures'
/// indexes, whatever the kind, and every kind finds the same matches (see
/// `trackers/signatures.rs` for which kind is used when).
pub fn signature_automaton<'a>(
    kind: aho_corasick::AhoCorasickKind,
    signatures: impl IntoIterator<Item = &'a str>,
) -> Result<aho_corasick::AhoCorasick, aho_corasick::BuildError> {
    aho_corasick::AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(aho_corasick::MatchKind::Standard)
        .kind(Some(kind))
        .build(signatures)
}
