//! The public suffix of a host, from the Public Suffix List compiled at
//! build time (`buildscript/suffixes.rs`) into a sorted, front-coded table
//! of `reversed domain → flags` with a restart every 16 lines.
//!
//! Replaces the `psl` crate, whose match tree of the same list was ~0.9 MB
//! of the wasm (issue 16 item 2); `tests::same_as_psl_*` compare the two on
//! every rule of the list and on random and tricky hosts. A lookup, once
//! per label of the host and once per request: a bisection of the ~650
//! restarts (10 probes) and at most 16 short lines decoded.

/// Front-coded lines `0x20 + shared, flag digit, rest of key, \n`, sorted
/// by key (the domain's labels reversed: `uk.co`).
static TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/suffixes.bin"));
/// The offset of every restart line (a full key), u32 little-endian.
static INDEX: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/suffixes.idx"));

// The flag bits, as buildscript/suffixes.rs writes them.
/// The domain itself is a public suffix.
const RULE: u8 = 1;
/// Every child of the domain is (`*.d`).
const WILDCARD: u8 = 2;
/// The domain is not, though a wildcard says so (`!d`).
const EXCEPTION: u8 = 4;

/// The registrable domain of `host` (lower-case LDH labels, no trailing
/// dot): its public suffix and one label more. `None` when `host` is
/// itself a public suffix. A top-level label the list does not know is a
/// suffix (the list's default rule `*`).
pub fn registrable(host: &str) -> Option<&str> {
    let suffix = suffix_start(host);
    let head = host.get(..suffix.checked_sub(1)?)?;
    let start = head.rfind('.').map_or(0, |i| i + 1);
    host.get(start..)
}

/// Where the public suffix of `host` starts (byte offset; `host.len()`
/// only for an empty host). The PSL algorithm: an exception rule prevails
/// (the suffix is the exception minus its first label), else the longest
/// rule matching, wildcards included, else the last label.
fn suffix_start(host: &str) -> usize {
    let mut best = host.rfind('.').map_or(0, |i| i + 1);
    // `parent`: where the previous (shorter) candidate starts
    let (mut parent, mut parent_flags) = (host.len(), 0u8);
    // the candidate's labels reversed (`uk`, `uk.co`, …), as the table keys
    let mut key = Vec::with_capacity(host.len());
    let mut scratch = Vec::with_capacity(64);
    for label in host.rsplit('.') {
        let mut start = parent.saturating_sub(label.len());
        if !key.is_empty() {
            key.push(b'.');
            start = start.saturating_sub(1);
        }
        key.extend_from_slice(label.as_bytes());
        let f = flags(&key, &mut scratch);
        if f & EXCEPTION != 0 {
            return parent;
        }
        if f & RULE != 0 || parent_flags & WILDCARD != 0 {
            best = start;
        }
        (parent, parent_flags) = (start, f);
    }
    best
}

/// The flags of the reversed domain `key` in the table, 0 when no rule
/// names it. `line` is scratch space for the decoded keys.
fn flags(key: &[u8], line: &mut Vec<u8>) -> u8 {
    // the last restart whose key is <= `key`
    let (mut lo, mut hi) = (0, INDEX.len() / 4);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let at = restart(mid);
        let full = TABLE.get(at + 2..).map_or(&[][..], |t| until_newline(t));
        if full <= key {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let Some(block) = lo.checked_sub(1) else {
        return 0;
    };
    let (mut at, end) = (restart(block), restart(block + 1));
    line.clear();
    while at + 2 <= end {
        let shared = usize::from(TABLE[at].wrapping_sub(0x20));
        let rest = until_newline(&TABLE[at + 2..]);
        line.truncate(shared);
        line.extend_from_slice(rest);
        match line.as_slice().cmp(key) {
            std::cmp::Ordering::Equal => return TABLE[at + 1].wrapping_sub(b'0'),
            std::cmp::Ordering::Greater => return 0,
            std::cmp::Ordering::Less => at += 2 + rest.len() + 1,
        }
    }
    0
}

/// The offset of restart `i` (the table's end past the last).
fn restart(i: usize) -> usize {
    INDEX.get(i * 4..i * 4 + 4).map_or(TABLE.len(), |b| {
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
    })
}

fn until_newline(t: &[u8]) -> &[u8] {
    t.iter().position(|&b| b == b'\n').map_or(t, |n| &t[..n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the `psl` crate (same list, see the .dat header) says, but
    /// where it departs from the list's algorithm (publicsuffix.org/list,
    /// "Algorithm"): a host that matches its parent's wildcard and is
    /// itself only a wildcard's parent (`ex.futurecms.at` under
    /// `*.futurecms.at` and `*.ex.futurecms.at`) is a public suffix, so it
    /// has no registrable domain — what browsers do (a cookie there is
    /// host-only); psl 2.1.247 forgets the parent's wildcard there and
    /// answers `futurecms.at`. 22 hosts of the list are such nodes.
    fn psl(host: &str) -> Option<&str> {
        if psl_departs(host) {
            return None;
        }
        ::psl::domain_str(host)
    }

    fn psl_departs(host: &str) -> bool {
        let f = flags_of(host);
        let parent = host.split_once('.').map_or(0, |(_, p)| flags_of(p));
        f & WILDCARD != 0 && f & RULE == 0 && parent & WILDCARD != 0
    }

    #[test]
    fn psl_departs_only_on_wildcard_nodes() {
        let departing: Vec<String> = domains()
            .into_iter()
            .filter(|d| psl_departs(d))
            .inspect(|d| assert_ne!(::psl::domain_str(d), None, "{d}"))
            .collect();
        assert_eq!(departing.len(), 22, "{departing:?}");
        assert!(departing.iter().any(|d| d == "ex.futurecms.at"));
    }

    /// Every domain the table names, with its flags, decoded in order.
    fn entries() -> Vec<(String, u8)> {
        let (mut out, mut key) = (Vec::new(), Vec::new());
        for line in TABLE.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            key.truncate(usize::from(line[0] - 0x20));
            key.extend_from_slice(&line[2..]);
            let rev = String::from_utf8(key.clone()).unwrap();
            let domain = rev.rsplit('.').collect::<Vec<_>>().join(".");
            out.push((domain, line[1] - b'0'));
        }
        out
    }

    fn domains() -> Vec<String> {
        entries().into_iter().map(|(d, _)| d).collect()
    }

    /// The flags of a domain (not reversed).
    fn flags_of(domain: &str) -> u8 {
        let rev = domain.rsplit('.').collect::<Vec<_>>().join(".");
        flags(rev.as_bytes(), &mut Vec::new())
    }

    #[test]
    fn table_is_sorted_and_holds_the_list() {
        let all = entries();
        let keys: Vec<String> = all
            .iter()
            .map(|(d, _)| d.rsplit('.').collect::<Vec<_>>().join("."))
            .collect();
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        // 10,396 rules, a few sharing a domain (`*.ck` and `ck`, ...).
        assert_eq!(all.len(), 10_397);
        assert_eq!(INDEX.len() / 4, all.len().div_ceil(16));
        for (d, f) in &all {
            assert!((1..=7).contains(f), "{d}");
            assert!(
                d.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'-'
                    || b == b'.'),
                "{d}"
            );
            // each entry is found by the lookup with its own flags
            assert_eq!(flags_of(d), *f, "{d}");
        }
        assert_eq!(flags_of("uk"), RULE);
        assert_eq!(flags_of("ck"), WILDCARD);
        assert_eq!(flags_of("www.ck"), EXCEPTION);
        assert_eq!(flags_of("nosuch.uk"), 0);
        assert_eq!(flags_of("0"), 0);
        assert_eq!(flags_of("zzzzzzzz"), 0);
    }

    #[test]
    fn tricky_hosts() {
        let cases: &[(&str, Option<&str>)] = &[
            ("www.example.com", Some("example.com")),
            ("example.co.uk", Some("example.co.uk")),
            ("a.b.example.co.uk", Some("example.co.uk")),
            ("co.uk", None),
            ("uk", None),
            ("com", None),
            // `*.ck` with the exception `!www.ck`
            ("ck", None),
            ("foo.ck", None),
            ("bar.foo.ck", Some("bar.foo.ck")),
            ("www.ck", Some("www.ck")),
            ("a.www.ck", Some("www.ck")),
            // private section
            ("github.io", None),
            ("user.github.io", Some("user.github.io")),
            ("a.user.github.io", Some("user.github.io")),
            ("app.workers.dev", Some("app.workers.dev")),
            // unknown top-level label: the default rule `*`
            ("localhost", None),
            ("example.local", Some("example.local")),
            ("a.example.zzzz", Some("example.zzzz")),
            // a wildcard under a wildcard (see `psl`)
            ("ex.futurecms.at", None),
            ("a.ex.futurecms.at", None),
            ("b.a.ex.futurecms.at", Some("b.a.ex.futurecms.at")),
            ("x.futurecms.at", None),
            ("y.x.futurecms.at", Some("y.x.futurecms.at")),
            // IDN suffixes, in punycode as the worker sees them
            ("xn--55qx5d.cn", None), // 公司.cn
            ("example.xn--55qx5d.cn", Some("example.xn--55qx5d.cn")),
            ("example.xn--p1ai", Some("example.xn--p1ai")), // .рф
            ("xn--p1ai", None),
        ];
        for &(host, want) in cases {
            assert_eq!(registrable(host), want, "{host}");
            assert_eq!(psl(host), want, "psl on {host}");
        }
    }

    /// Each domain of the list, as a host and under one and two labels,
    /// plus `www.` (which exceptions name).
    #[test]
    fn same_as_psl_on_every_rule() {
        let mut n = 0;
        for d in &domains() {
            let d = d.as_str();
            for prefix in ["", "a.", "www.", "b.a.", "c.b.a."] {
                let host = format!("{prefix}{d}");
                assert_eq!(registrable(&host), psl(&host), "{host}");
                n += 1;
            }
            // the parent domains of each rule too (`amazonaws.com` of
            // `*.compute.amazonaws.com`)
            let mut p = d;
            while let Some((_, rest)) = p.split_once('.') {
                assert_eq!(registrable(rest), psl(rest), "{rest}");
                p = rest;
            }
        }
        assert!(n > 50_000);
    }

    proptest! {
        #[test]
        fn same_as_psl_on_random_hosts(
            labels in proptest::collection::vec("[a-z0-9-]{1,8}", 0..4),
            rule in proptest::sample::select(domains()),
            tld in "[a-z]{1,4}",
            known in any::<bool>()) {
            let tail = if known { rule.to_string() } else { tld };
            let host = labels.iter().map(|l| format!("{l}.")).collect::<String>() + &tail;
            prop_assert_eq!(registrable(&host), psl(&host), "{}", host);
        }
    }
}
