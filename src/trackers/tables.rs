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

/// A reference to one string of the merged vendor list: `(vendor index,
/// index in that vendor's list)`. Rows are references, not copies: the
/// shipped tables are a few bytes a row of `static` data (a copy of each
/// string as a `&'static str` row made the wasm 17 KB larger gzipped than
/// the JSON it replaced), and the strings are the vendors' own.
pub type Ref = (usize, usize);

/// The rows of one catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    /// Host patterns (`vendor.hosts`), grouped by [`host_bucket`] of their
    /// host, then sorted by host (bytewise); on one host the longer path
    /// prefix first, then catalog order. A host and prefix listed twice
    /// keeps the first vendor.
    pub hosts: Vec<Ref>,
    /// Where each bucket's rows start in `hosts`, and the end: a
    /// power-of-two number of buckets, plus one.
    pub host_buckets: Vec<usize>,
    /// Exact cookie names (`vendor.cookies`), sorted by name; a name listed
    /// twice keeps the first vendor.
    pub cookies: Vec<Ref>,
    /// Cookie name prefixes (`vendor.cookie_prefixes`), longest first, then
    /// catalog order.
    pub cookie_prefixes: Vec<Ref>,
    /// Inline-script signatures (`vendor.scripts`), in catalog order (the
    /// automaton's pattern ids are these indexes).
    pub signatures: Vec<Ref>,
}

/// A host pattern (`domain` or `domain/path-prefix`) split into its host
/// (lowercase: the config crate checks it) and its path prefix without a
/// trailing `/` (`""` for none; matched ASCII case-insensitively).
pub fn split_host_pattern(pattern: &str) -> (&str, &str) {
    match pattern.find('/') {
        Some(p) => (&pattern[..p], pattern[p..].trim_end_matches('/')),
        None => (pattern, ""),
    }
}

/// The bucket of a host among `n` (a power of two): FNV-1a of its bytes.
/// A hashed index rather than a binary search: measured (examples/startup.rs)
/// a binary search over the sorted hosts was 7.5× slower than the
/// `HashMap` it replaced on the hot path.
pub fn host_bucket(host: &str, n: usize) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for b in host.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    (h as usize) & n.saturating_sub(1)
}

/// The rows of `vendors` (already merged with `[trackers]`).
pub fn rows(vendors: &[Vendor]) -> Rows {
    let mut r = Rows::default();
    let mut seen_hosts = HashSet::new();
    let mut seen_cookies = HashSet::new();
    for (i, v) in vendors.iter().enumerate() {
        for (k, h) in v.hosts.iter().enumerate() {
            let (host, prefix) = split_host_pattern(h);
            if seen_hosts.insert((host, prefix.to_ascii_lowercase())) {
                r.hosts.push((i, k));
            }
        }
        for (k, c) in v.cookies.iter().enumerate() {
            if seen_cookies.insert(c.as_str()) {
                r.cookies.push((i, k));
            }
        }
        r.cookie_prefixes
            .extend((0..v.cookie_prefixes.len()).map(|k| (i, k)));
    }
    r.signatures = signature_rows(vendors);
    let host = |r: &Ref| split_host_pattern(&vendors[r.0].hosts[r.1]);
    let distinct: HashSet<&str> = r.hosts.iter().map(|x| host(x).0).collect();
    let n = (distinct.len() * 2).next_power_of_two();
    // Stable sorts: equal keys keep catalog order.
    r.hosts.sort_by(|a, b| {
        let ((ha, pa), (hb, pb)) = (host(a), host(b));
        let (ba, bb) = (host_bucket(ha, n), host_bucket(hb, n));
        ba.cmp(&bb).then(ha.cmp(hb)).then(pb.len().cmp(&pa.len()))
    });
    r.host_buckets = vec![0; n + 1];
    for x in &r.hosts {
        r.host_buckets[host_bucket(host(x).0, n) + 1] += 1;
    }
    for b in 0..n {
        r.host_buckets[b + 1] += r.host_buckets[b];
    }
    r.cookies
        .sort_by(|a, b| vendors[a.0].cookies[a.1].cmp(&vendors[b.0].cookies[b.1]));
    r.cookie_prefixes
        .sort_by_key(|e| std::cmp::Reverse(vendors[e.0].cookie_prefixes[e.1].len()));
    r
}

/// The signature rows of `vendors`: every script signature, in catalog
/// order. Not written out by `build.rs` (1,490 rows were 2,980 B of the
/// wasm): this is computed in one pass, without a sort.
pub fn signature_rows(vendors: &[Vendor]) -> Vec<Ref> {
    let each = |(i, v): (usize, &Vendor)| (0..v.scripts.len()).map(move |k| (i, k));
    vendors.iter().enumerate().flat_map(each).collect()
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
