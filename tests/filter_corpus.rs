//! The filter against the 258 real pages of npm `htmlparser-benchmark`, and
//! chunking invariance (proptest).
//!
//! The corpus is looked up at `CARGO_MANIFEST_DIR/node_modules/htmlparser-benchmark/files`
//! (or `HTMLPARSER_BENCHMARK_DIR`); corpus tests are skipped with a notice if it is missing.

mod corpus_pages;

use consent_edge::consent::{Category, Grants};
use consent_edge::filter::{Config, Filter, Page};
use consent_edge::trackers::Catalog;
use proptest::prelude::*;

fn corpus() -> Option<Vec<(String, Vec<u8>)>> {
    corpus_pages::pages("corpus test")
}

fn states() -> Vec<(String, Grants)> {
    let mut s = vec![("none".to_string(), Grants::NECESSARY_ONLY)];
    for c in Category::OPTIONAL {
        s.push((c.id().to_string(), Grants::from_categories([c])));
    }
    s.push(("all".into(), Grants::ALL));
    s
}

fn filter(html: &[u8], grants: Grants, splits: &[usize]) -> (Vec<u8>, bool) {
    let mut f = Filter::new(
        Catalog::embedded(),
        &Config::default(),
        Page {
            grants,
            ..Page::default()
        },
        None,
    );
    let mut out = Vec::new();
    let mut rest = html;
    let mut i = 0;
    while !rest.is_empty() {
        let n = if splits.is_empty() {
            rest.len()
        } else {
            splits[i % splits.len()].clamp(1, rest.len())
        };
        out.extend(f.write(&rest[..n]));
        rest = &rest[n..];
        i += 1;
    }
    let failed = f.failed();
    out.extend(f.end());
    (out, failed)
}

// ---------------------------------------------------------------------------
// An independent scanner: finds every element and attribute in the output the
// way a browser would tokenize it (simplified, no regex), and an independent
// host check from the catalog's data.

struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

fn scan_tags(b: &[u8]) -> Vec<Tag> {
    let lower = |s: &[u8]| String::from_utf8_lossy(s).to_ascii_lowercase();
    let ws = |c: u8| c == b' ' || c == b'\n' || c == b'\t' || c == b'\r' || c == 0x0c;
    let mut tags = Vec::new();
    let mut i = 0;
    let n = b.len();
    while i < n {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        if b[i..].starts_with(b"<!--") {
            i = find(b, i + 4, b"-->").map_or(n, |j| j + 3);
            continue;
        }
        if i + 1 < n && (b[i + 1] == b'!' || b[i + 1] == b'?' || b[i + 1] == b'/') {
            i = find(b, i + 1, b">").map_or(n, |j| j + 1);
            continue;
        }
        if i + 1 >= n || !b[i + 1].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < n && !ws(b[j]) && b[j] != b'>' && b[j] != b'/' {
            j += 1;
        }
        let name = lower(&b[i + 1..j]);
        let mut attrs = Vec::new();
        loop {
            while j < n && (ws(b[j]) || b[j] == b'/') {
                j += 1;
            }
            if j >= n || b[j] == b'>' {
                j += 1;
                break;
            }
            let s = j;
            j += 1;
            while j < n && !ws(b[j]) && b[j] != b'>' && b[j] != b'/' && b[j] != b'=' {
                j += 1;
            }
            let an = lower(&b[s..j]);
            while j < n && ws(b[j]) {
                j += 1;
            }
            let mut val = String::new();
            if j < n && b[j] == b'=' {
                j += 1;
                while j < n && ws(b[j]) {
                    j += 1;
                }
                if j < n && (b[j] == b'"' || b[j] == b'\'') {
                    let q = b[j];
                    let e = b[j + 1..]
                        .iter()
                        .position(|c| *c == q)
                        .map_or(n, |p| j + 1 + p);
                    val = String::from_utf8_lossy(&b[(j + 1).min(n)..e]).into_owned();
                    j = e + 1;
                } else {
                    let s = j;
                    while j < n && !ws(b[j]) && b[j] != b'>' {
                        j += 1;
                    }
                    val = String::from_utf8_lossy(&b[s..j]).into_owned();
                }
            }
            attrs.push((an, val));
        }
        // raw text elements: skip to their end tag
        if [
            "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
        ]
        .contains(&name.as_str())
        {
            let close = format!("</{name}");
            let mut k = j.min(n);
            loop {
                match find(b, k, b"</") {
                    Some(p)
                        if b.len() >= p + close.len()
                            && b[p..p + close.len()].eq_ignore_ascii_case(close.as_bytes()) =>
                    {
                        k = p;
                        break;
                    }
                    Some(p) => k = p + 2,
                    None => {
                        k = n;
                        break;
                    }
                }
            }
            j = k;
        }
        tags.push(Tag { name, attrs });
        i = j.max(i + 1);
    }
    tags
}

fn find(h: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= h.len() {
        return None;
    }
    h[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Host of an absolute URL: entities for ':' '/' '.' decoded, case folded.
fn host_path(url: &str) -> Option<(String, String)> {
    let mut u = url.trim().to_ascii_lowercase();
    for (e, c) in [
        ("&#x3a;", ":"),
        ("&#58;", ":"),
        ("&colon;", ":"),
        ("&#x2f;", "/"),
        ("&#47;", "/"),
        ("&sol;", "/"),
        ("&period;", "."),
        ("&#46;", "."),
        ("&amp;", "&"),
    ] {
        u = u.replace(e, c);
    }
    u.retain(|c| c != '\t' && c != '\n' && c != '\r');
    let u = u.replace('\\', "/");
    let rest = if let Some(r) = u.strip_prefix("//") {
        r.to_string()
    } else if let Some(p) = u.find("://") {
        if !u[..p].chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        u[p + 3..].to_string()
    } else {
        return None;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = rest[..end]
        .rsplit('@')
        .next()
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_string();
    let path = rest[end..]
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_string();
    Some((host, path))
}

fn catalogued(url: &str) -> Option<String> {
    let (host, path) = host_path(url)?;
    for v in Catalog::embedded().vendors() {
        for pat in &v.hosts {
            let (h, p) = match pat.find('/') {
                Some(i) => (&pat[..i], &pat[i..]),
                None => (pat.as_str(), ""),
            };
            let host_ok = host == h || host.ends_with(&format!(".{h}"));
            let path_ok = p.is_empty() || path == p || path.starts_with(&format!("{p}/"));
            if host_ok && path_ok {
                return Some(v.id.clone());
            }
        }
    }
    None
}

/// Every loading URL attribute pointing at a catalogued host that is still live.
fn live_tracker_urls(out: &[u8]) -> Vec<String> {
    let mut live = Vec::new();
    for t in scan_tags(out) {
        let get = |n: &str| {
            t.attrs
                .iter()
                .find(|(a, _)| a == n)
                .map(|(_, v)| v.as_str())
        };
        let loading: &[&str] = match t.name.as_str() {
            "script" => {
                let ty = get("type").unwrap_or("").trim().to_ascii_lowercase();
                if !(ty.is_empty()
                    || ty.contains("javascript")
                    || ty == "module"
                    || ty.contains("ecmascript"))
                {
                    continue;
                }
                &["src"]
            }
            "img" | "source" => &["src", "srcset"],
            "iframe" | "embed" | "audio" => &["src"],
            "video" => &["src", "poster"],
            "object" => &["data"],
            "link" => {
                let rel = get("rel").unwrap_or("").to_ascii_lowercase();
                if !rel.split_whitespace().any(|r| {
                    [
                        "preconnect",
                        "dns-prefetch",
                        "preload",
                        "prefetch",
                        "modulepreload",
                        "prerender",
                        "stylesheet",
                    ]
                    .contains(&r)
                }) {
                    continue;
                }
                &["href"]
            }
            "a" | "area" => &["ping"],
            _ => continue,
        };
        for a in loading {
            if let Some(v) = get(a) {
                for u in v.split([',', ' ']) {
                    if let Some(id) = catalogued(u) {
                        if id != "google-maps" || t.name != "a" {
                            live.push(format!("<{} {a}={v:?}> ({id})", t.name));
                        }
                    }
                }
            }
        }
    }
    live
}

#[test]
fn corpus_pages_in_every_state() {
    let Some(pages) = corpus() else { return };
    assert_eq!(pages.len(), 258);
    let mut live_in = 0;
    let mut failures = Vec::new();
    for (name, html) in &pages {
        if !live_tracker_urls(html).is_empty() {
            live_in += 1;
        }
        for (state, grants) in states() {
            let (out, failed) = filter(html, grants, &[]);
            if failed {
                failures.push(format!("{name} [{state}]: filter bailed out"));
                continue;
            }
            if grants == Grants::ALL {
                if out != *html {
                    failures.push(format!("{name} [all]: not byte-identical"));
                }
            } else if state == "none" {
                let live = live_tracker_urls(&out);
                if !live.is_empty() {
                    failures.push(format!("{name} [none]: live tracker URLs: {live:?}"));
                }
            }
        }
    }
    eprintln!(
        "{live_in} of {} pages reference catalogued trackers in loading attributes",
        pages.len()
    );
    assert!(
        live_in > 20,
        "the independent scanner finds too few trackers ({live_in}) to be meaningful"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_one_byte_chunks() {
    let Some(pages) = corpus() else { return };
    for (name, html) in pages.iter().step_by(43) {
        for grants in [Grants::NECESSARY_ONLY, Grants::ALL] {
            let (whole, _) = filter(html, grants, &[]);
            let (bytes, _) = filter(html, grants, &[1]);
            assert!(whole == bytes, "{name}: 1-byte chunking changed the output");
        }
    }
}

const FRAGMENTS: &[&str] = &[
    "<p class=x>text &amp; more</p>",
    "<script src=\"https://www.googletagmanager.com/gtag/js?id=G-1\"></script>",
    "<script>gtag('config', 'G-1');</script>",
    "<script type=module>import x from './a.js';</script>",
    "<script>var s = '</scr' + 'ipt>'; fbq('init', '1');</script>",
    "<noscript><img src=\"https://www.facebook.com/tr?id=1&ev=PageView\"></noscript>",
    "<iframe src=\"//www.youtube.com/embed/x\"></iframe>",
    "<img srcset=\"https://px.ads.linkedin.com/x 1x\" src=/a.png>",
    "<link rel=preconnect href=https://www.google-analytics.com>",
    "<a href=/x ping=\"https://www.google-analytics.com/p\">a</a>",
    "<!-- <script src=https://connect.facebook.net/x.js></script> -->",
    "<script type=\"text/plain\" data-consent=\"analytics\">x()</script>",
    "<img data-consent=\"functional\" data-consent-src=\"/m.png\">",
    "<style>p{color:red}</style>",
    "<title>t &lt; u</title>",
    "<div data-consent-declaration></div>",
    "é€日本",
    "<textarea><script src=https://connect.facebook.net/x.js></script></textarea>",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_chunking_gives_identical_output(
        parts in proptest::collection::vec(0..FRAGMENTS.len(), 1..25),
        splits in proptest::collection::vec(1usize..40, 1..10),
        g in 0u8..16,
    ) {
        let html: String = parts.iter().map(|i| FRAGMENTS[*i]).collect();
        let grants = Grants::from_bits(g).unwrap();
        let (whole, _) = filter(html.as_bytes(), grants, &[]);
        let (split, _) = filter(html.as_bytes(), grants, &splits);
        let (bytes, _) = filter(html.as_bytes(), grants, &[1]);
        prop_assert_eq!(&whole, &split);
        prop_assert_eq!(&whole, &bytes);
        if grants == Grants::ALL && !html.contains("data-consent=") {
            // (author-tagged elements are activated, so they change)
            prop_assert_eq!(whole, html.as_bytes().to_vec());
        } else if grants == Grants::NECESSARY_ONLY {
            let live = live_tracker_urls(&whole);
            prop_assert!(live.is_empty(), "{:?}", live);
        }
    }

    #[test]
    fn corpus_random_splits(idx in 0usize..258, splits in proptest::collection::vec(1usize..5000, 1..8), g in 0u8..16) {
        if let Some(pages) = corpus_cached() {
            let html = &pages[idx % pages.len()].1;
            let grants = Grants::from_bits(g).unwrap();
            let (whole, _) = filter(html, grants, &[]);
            let (split, _) = filter(html, grants, &splits);
            prop_assert!(whole == split);
        }
    }
}

/// The corpus pages: (file name, bytes).
type Pages = Vec<(String, Vec<u8>)>;

fn corpus_cached() -> Option<&'static Pages> {
    static C: std::sync::OnceLock<Option<Pages>> = std::sync::OnceLock::new();
    C.get_or_init(corpus).as_ref()
}
