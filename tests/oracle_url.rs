//! URL differential (issue 12): the filter's hot-path host matcher
//! (`Catalog::match_url`) against the WHATWG URL parser (`url::Url`, with
//! UTS-46 host mapping) + the oracle's own suffix lookup, on URL spellings
//! as they stand in an attribute after entity decoding.
//!
//! A disagreement where `url` reaches a (refusable) vendor and the matcher
//! does not, or names a vendor of another category, is a failure; the
//! matcher finding a vendor `url` does not is over-blocking and acceptable.
//!
//! Each spelling [`SHAPES`] is tried alone on every catalog host pattern;
//! the shapes that fail today are in [`KNOWN_OPEN`] (closed by issue 12
//! work: listed ones must still fail, others must pass). A proptest then
//! composes random subsets of the passing shapes: compositions of shapes
//! the matcher gets right must stay right.

mod oracle;

use consent_edge::consent::Category;
use consent_edge::trackers::Catalog;
use proptest::prelude::*;
use url::Url;

/// Spelling shapes the matcher misses today: closed by issue 12 work.
const KNOWN_OPEN: &[&str] = &[];

/// A URL as written, in parts.
#[derive(Clone, Debug)]
struct Spell {
    lead: String,
    scheme: String,
    sep: String,
    userinfo: String,
    host: String,
    port: String,
    path: String,
    tail: String,
    trail: String,
}

impl Spell {
    fn new(host: &str, path: &str) -> Spell {
        Spell {
            lead: String::new(),
            scheme: "https".into(),
            sep: "://".into(),
            userinfo: String::new(),
            host: host.into(),
            port: String::new(),
            path: path.into(),
            tail: String::new(),
            trail: String::new(),
        }
    }

    fn render(&self) -> String {
        format!(
            "{}{}{}{}{}{}{}{}{}",
            self.lead,
            self.scheme,
            self.sep,
            self.userinfo,
            self.host,
            self.port,
            self.path,
            self.tail,
            self.trail
        )
    }
}

/// Replaces the first ASCII letter of `s` using `f`.
fn first_letter(s: &str, f: impl Fn(char) -> String) -> String {
    match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => format!(
            "{}{}{}",
            &s[..i],
            f(s[i..].chars().next().unwrap()),
            &s[i + 1..]
        ),
        None => s.to_string(),
    }
}

fn insert_mid(s: &str, ins: &str) -> String {
    let i = s.len() / 2;
    let i = (i..s.len())
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(s.len());
    format!("{}{ins}{}", &s[..i], &s[i..])
}

fn fullwidth(c: char) -> String {
    let base = if c.is_ascii_lowercase() {
        0xFF41
    } else {
        0xFF21
    };
    let off = c.to_ascii_lowercase() as u32 - 'a' as u32;
    char::from_u32(base + off).unwrap().to_string()
}

type Shape = (&'static str, fn(&mut Spell));

/// Every spelling, applied to a plain `https://host/path`.
const SHAPES: &[Shape] = &[
    ("scheme-upper", |s| s.scheme = s.scheme.to_uppercase()),
    ("scheme-mixed-case", |s| s.scheme = "hTtPs".into()),
    ("scheme-http", |s| s.scheme = "http".into()),
    ("scheme-wss", |s| s.scheme = "wss".into()),
    ("protocol-relative", |s| {
        s.scheme.clear();
        s.sep = "//".into()
    }),
    ("backslashes", |s| s.sep = ":\\\\".into()),
    ("slash-backslash", |s| s.sep = ":/\\".into()),
    ("three-slashes", |s| s.sep = ":///".into()),
    ("one-slash", |s| s.sep = ":/".into()),
    ("no-slash-other-scheme", |s| {
        s.scheme = "http".into();
        s.sep = ":".into()
    }),
    ("leading-space", |s| s.lead = " \n\t ".into()),
    ("leading-c0-control", |s| s.lead = "\u{1}".into()),
    ("trailing-c0-control", |s| s.trail = "\u{1f} ".into()),
    ("tab-in-scheme", |s| s.scheme = insert_mid(&s.scheme, "\t")),
    ("newline-in-sep", |s| s.sep = ":/\n/".into()),
    ("newline-in-host", |s| s.host = insert_mid(&s.host, "\n")),
    ("tab-in-host", |s| s.host = insert_mid(&s.host, "\t")),
    ("cr-in-path", |s| s.path = insert_mid(&s.path, "\r")),
    ("userinfo", |s| s.userinfo = "user@".into()),
    ("userinfo-password", |s| s.userinfo = "u:p@".into()),
    ("userinfo-two-ats", |s| s.userinfo = "a@b@".into()),
    ("userinfo-encoded-at", |s| s.userinfo = "a%40b:c@".into()),
    ("userinfo-with-slashless-host-lookalike", |s| {
        s.userinfo = "site.example:x@".into()
    }),
    ("host-upper", |s| s.host = s.host.to_uppercase()),
    ("host-mixed-case", |s| {
        s.host = first_letter(&s.host, |c| c.to_ascii_uppercase().to_string())
    }),
    ("trailing-dot", |s| s.host.push('.')),
    ("subdomain", |s| s.host = format!("x-1.{}", s.host)),
    ("port", |s| s.port = ":443".into()),
    ("port-empty", |s| s.port = ":".into()),
    ("port-leading-zeros", |s| s.port = ":00443".into()),
    ("percent-host-letter", |s| {
        s.host = first_letter(&s.host, |c| format!("%{:02X}", c as u32))
    }),
    ("percent-host-dot", |s| {
        s.host = s.host.replacen('.', "%2E", 1)
    }),
    ("idna-fullwidth-letter", |s| {
        s.host = first_letter(&s.host, fullwidth)
    }),
    ("idna-fullwidth-upper-letter", |s| {
        s.host = first_letter(&s.host, |c| fullwidth(c.to_ascii_uppercase()))
    }),
    ("idna-ideographic-full-stop", |s| {
        s.host = s.host.replace('.', "\u{3002}")
    }),
    ("idna-fullwidth-full-stop", |s| {
        s.host = s.host.replace('.', "\u{ff0e}")
    }),
    ("idna-halfwidth-ideographic-full-stop", |s| {
        s.host = s.host.replace('.', "\u{ff61}")
    }),
    ("idna-soft-hyphen", |s| {
        s.host = insert_mid(&s.host, "\u{ad}")
    }),
    ("idna-variation-selector", |s| {
        s.host = insert_mid(&s.host, "\u{fe0f}")
    }),
    ("idna-combining-grapheme-joiner", |s| {
        s.host = insert_mid(&s.host, "\u{34f}")
    }),
    ("path-dot-segments", |s| s.path = format!("/a/..{}", s.path)),
    ("path-encoded-dot-segments", |s| {
        s.path = format!("/a/%2e%2E{}", s.path)
    }),
    ("path-percent-letter", |s| {
        s.path = first_letter(&s.path, |c| format!("%{:02x}", c as u32))
    }),
    ("path-upper", |s| s.path = s.path.to_uppercase()),
    ("path-backslash", |s| s.path = s.path.replace('/', "\\")),
    ("query", |s| s.tail = "?id=1&x=/y".into()),
    ("fragment", |s| s.tail = "#/frag?x".into()),
    ("query-without-path", |s| {
        s.path.clear();
        s.tail = "?x=1".into()
    }),
];

/// Every (host, path) a catalog pattern stands for.
fn targets() -> Vec<(String, String)> {
    Catalog::embedded()
        .vendors()
        .iter()
        .flat_map(|v| v.hosts.iter())
        .map(|h| match h.find('/') {
            Some(i) => (h[..i].to_string(), format!("{}/x.js", &h[i..])),
            None => (h.to_string(), "/x.js".to_string()),
        })
        .collect()
}

/// `None` when they agree (or the matcher over-blocks), else the disagreement.
fn differ(raw: &str) -> Option<String> {
    let page = Url::parse(oracle::PAGE_URL).unwrap();
    let truth = page.join(raw).ok().and_then(|u| {
        oracle::Vendors::embedded()
            .of_url(&u)
            .cloned()
            .map(|v| (u, v))
    })?;
    let (u, v) = truth;
    if v.category == Category::Necessary {
        return None;
    }
    match Catalog::embedded().match_url(raw) {
        Some(m) if m.category == v.category => None,
        Some(m) => Some(format!(
            "{raw:?}: url reads {u} ({}, {}), the matcher says {} ({})",
            v.id, v.category, m.id, m.category
        )),
        None => Some(format!(
            "{raw:?}: url reads {u} ({}, {}), the matcher finds nothing",
            v.id, v.category
        )),
    }
}

#[test]
fn plain_urls_agree() {
    for (h, p) in targets() {
        let raw = Spell::new(&h, &p).render();
        assert_eq!(differ(&raw), None);
        assert!(Catalog::embedded().match_url(&raw).is_some(), "{raw}");
    }
}

#[test]
fn every_shape_alone_on_every_catalog_host() {
    let mut open = Vec::new();
    let mut report = Vec::new();
    for (name, shape) in SHAPES {
        let mut fails = Vec::new();
        for (h, p) in targets() {
            let mut s = Spell::new(&h, &p);
            shape(&mut s);
            if let Some(d) = differ(&s.render()) {
                fails.push(d);
            }
        }
        let listed = KNOWN_OPEN.contains(name);
        if !fails.is_empty() {
            open.push(format!("    \"{name}\","));
            eprintln!("OPEN {name}: {} hosts, e.g. {}", fails.len(), fails[0]);
        }
        match (listed, fails.is_empty()) {
            (false, false) => report.push(format!("{name} fails:\n  {}", fails.join("\n  "))),
            (true, true) => report.push(format!("{name} now passes: remove it from KNOWN_OPEN")),
            _ => {}
        }
    }
    eprintln!(
        "url differential: {} shapes × {} host patterns, {} open",
        SHAPES.len(),
        targets().len(),
        open.len()
    );
    for k in KNOWN_OPEN {
        assert!(SHAPES.iter().any(|(n, _)| n == k), "unknown shape {k}");
    }
    assert!(
        report.is_empty(),
        "{}\n\nopen today:\n{}",
        report.join("\n"),
        open.join("\n")
    );
}

fn passing_shapes() -> Vec<usize> {
    (0..SHAPES.len())
        .filter(|i| !KNOWN_OPEN.contains(&SHAPES[*i].0))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Any composition of shapes the matcher gets right alone.
    #[test]
    fn compositions_of_passing_shapes_agree(
        target in 0usize..1000,
        picks in proptest::sample::subsequence(passing_shapes(), 0..=5),
        shuffle in any::<bool>(),
    ) {
        let targets = targets();
        let (h, p) = &targets[target % targets.len()];
        let mut s = Spell::new(h, p);
        let mut picks = picks;
        if shuffle {
            picks.reverse();
        }
        for i in &picks {
            (SHAPES[*i].1)(&mut s);
        }
        let names: Vec<&str> = picks.iter().map(|i| SHAPES[*i].0).collect();
        prop_assert_eq!(differ(&s.render()), None, "shapes {:?}", names);
    }
}
