//! The public suffix of a host, from the Public Suffix List compiled at
//! build time (`buildscript/suffixes.rs`) into a sorted table of
//! `flag digit + domain` lines searched by bisection.
//!
//! Replaces the `psl` crate, whose match tree of the same list was ~0.88 MB
//! of the wasm (issue 16 item 2); `tests::same_as_psl_*` compare the two on
//! every rule of the list and on random and tricky hosts. A lookup is one
//! bisection (~14 probes) per label of the host, once per request.

/// `flag digit + domain` lines sorted by domain (see buildscript/suffixes.rs).
static TABLE: &str = include_str!(concat!(env!("OUT_DIR"), "/suffixes.txt"));

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
    let (mut parent, mut parent_flags) = (host.len(), 0u8);
    let starts = host.rmatch_indices('.').map(|(i, _)| i + 1);
    for start in starts.chain(std::iter::once(0)) {
        let f = flags(&host[start..]);
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

/// The flags of `domain` in the table, 0 when no rule names it.
fn flags(domain: &str) -> u8 {
    let t = TABLE.as_bytes();
    // `lo` and `hi` stay at line starts (or the end); the line sought lies
    // between them.
    let (mut lo, mut hi) = (0, t.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = t[lo..mid]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(lo, |i| lo + i + 1);
        let end = t[mid..hi]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(hi, |i| mid + i);
        let Some((&flag, name)) = t[start..end].split_first() else {
            return 0;
        };
        match name.cmp(domain.as_bytes()) {
            std::cmp::Ordering::Equal => return flag.wrapping_sub(b'0'),
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    0
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
        let f = flags(host);
        let parent = host.split_once('.').map_or(0, |(_, p)| flags(p));
        f & WILDCARD != 0 && f & RULE == 0 && parent & WILDCARD != 0
    }

    #[test]
    fn psl_departs_only_on_wildcard_nodes() {
        let departing: Vec<&str> = domains()
            .filter(|d| psl_departs(d))
            .inspect(|d| assert_ne!(::psl::domain_str(d), None, "{d}"))
            .collect();
        assert_eq!(departing.len(), 22, "{departing:?}");
        assert!(departing.contains(&"ex.futurecms.at"));
    }

    /// Every domain the table names.
    fn domains() -> impl Iterator<Item = &'static str> {
        TABLE.lines().map(|l| &l[1..])
    }

    #[test]
    fn table_is_sorted_and_holds_the_list() {
        let all: Vec<&str> = domains().collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        // 10,396 rules, a few sharing a domain (`*.ck` and `ck`, ...).
        assert!(all.len() > 10_000, "{}", all.len());
        assert!(TABLE
            .lines()
            .all(|l| matches!(l.as_bytes()[0], b'1'..=b'7')));
        for d in all {
            assert!(
                d.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'-'
                    || b == b'.'),
                "{d}"
            );
        }
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
        for d in domains() {
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
            rule in proptest::sample::select(domains().collect::<Vec<_>>()),
            tld in "[a-z]{1,4}",
            known in any::<bool>()) {
            let tail = if known { rule.to_string() } else { tld };
            let host = labels.iter().map(|l| format!("{l}.")).collect::<String>() + &tail;
            prop_assert_eq!(registrable(&host), psl(&host), "{}", host);
        }
    }
}
