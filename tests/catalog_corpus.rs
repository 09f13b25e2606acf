//! The catalog against the 258 real pages of npm `htmlparser-benchmark`:
//! every INLINE script the filter neutralises for a visitor who refused
//! everything must be listed, with its justification, in
//! `tests/snippets/corpus_inline.txt`. A catalog signature that starts
//! matching unrelated first-party code makes this test fail (a new entry);
//! an entry that no longer occurs is printed (stale), not an error, so that
//! a filter fix elsewhere does not break this test.
//!
//! The corpus is looked up at `CARGO_MANIFEST_DIR/node_modules/htmlparser-benchmark/files`
//! (or `HTMLPARSER_BENCHMARK_DIR`); the test is skipped with a notice if it is missing.

mod common;
mod corpus_pages;

use common::{attr, filter, refused_page, tag_end};
use consent_edge::trackers::Catalog;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn corpus() -> Option<Vec<(String, Vec<u8>)>> {
    corpus_pages::pages("catalog corpus test")
}

/// The page as a visitor who refused everything gets it (one write).
fn refused(html: &[u8]) -> Vec<u8> {
    filter(Catalog::embedded(), &refused_page(""), html, usize::MAX)
}

/// `(vendor, first 70 characters of the script text)` of every neutralised
/// inline script in the filter's output.
fn neutralised_inline(out: &[u8]) -> Vec<(String, String)> {
    let lower = out.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(p) = find(&lower, at, b"<script") {
        let Some(end) = tag_end(&lower, p + 7) else {
            break;
        };
        let tag = String::from_utf8_lossy(&out[p..end]).into_owned();
        at = end + 1;
        let Some(vendor) = attr(&tag, "data-consent-vendor") else {
            continue;
        };
        let tl = tag.to_ascii_lowercase();
        if tl.contains(" src=") {
            continue;
        }
        let close = find(&lower, at, b"</script").unwrap_or(lower.len());
        let text = String::from_utf8_lossy(&out[at..close]);
        let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        found.push((vendor.to_string(), text.chars().take(70).collect()));
    }
    found
}

fn find(h: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    h.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// `page vendor` → count, from `tests/snippets/corpus_inline.txt`
/// (`page<TAB>vendor<TAB>count<TAB>justification`).
fn justified() -> BTreeMap<(String, String), usize> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snippets/corpus_inline.txt");
    let text = std::fs::read_to_string(&path).expect("tests/snippets/corpus_inline.txt");
    let mut m = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert!(
            f.len() == 4 && !f[3].trim().is_empty(),
            "corpus_inline.txt line {}: expected page<TAB>vendor<TAB>count<TAB>justification",
            n + 1
        );
        let count = f[2].parse().expect("count");
        m.insert((f[0].to_string(), f[1].to_string()), count);
    }
    m
}

#[test]
fn corpus_inline_scripts_neutralised_are_all_justified() {
    let Some(pages) = corpus() else { return };
    let listed = justified();
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut unjustified = Vec::new();
    for (name, html) in &pages {
        let out = refused(html);
        for (vendor, excerpt) in neutralised_inline(&out) {
            eprintln!("{name}\t{vendor}\t{excerpt}");
            *seen.entry((name.clone(), vendor)).or_default() += 1;
        }
    }
    for (key, n) in &seen {
        match listed.get(key) {
            Some(max) if n <= max => {}
            _ => unjustified.push(format!("{}\t{}\t{n}", key.0, key.1)),
        }
    }
    for key in listed.keys().filter(|k| !seen.contains_key(*k)) {
        eprintln!("stale (no longer neutralised): {} {}", key.0, key.1);
    }
    let total: usize = seen.values().sum();
    eprintln!(
        "{total} inline scripts neutralised on {} of {} pages (refused everything)",
        seen.keys()
            .map(|k| &k.0)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        pages.len()
    );
    assert!(
        unjustified.is_empty(),
        "neutralised inline scripts not in tests/snippets/corpus_inline.txt (a signature matching first-party code?):\n{}",
        unjustified.join("\n")
    );
}

/// The site's own host, as the page says it (`<link rel="canonical">` or
/// `og:url`): the corpus pages are saved files without their URL.
fn own_host(html: &[u8]) -> String {
    let text = String::from_utf8_lossy(html).to_ascii_lowercase();
    for key in [
        "rel=\"canonical\"",
        "property=\"og:url\"",
        "rel='canonical'",
    ] {
        let Some(p) = text.find(key) else { continue };
        let start = text[..p].rfind('<').unwrap_or(0);
        let end = text[p..].find('>').map_or(text.len(), |e| p + e);
        let tag = &text[start..end];
        for attr in ["href=", "content="] {
            if let Some(a) = tag.find(attr) {
                let v = tag[a + attr.len()..].trim_start_matches(['"', '\'']);
                if let Some(rest) = v.split("//").nth(1) {
                    let host = rest.split(['/', '"', '\'', '?', ':']).next().unwrap_or("");
                    if host.contains('.') {
                        return host.to_string();
                    }
                }
            }
        }
    }
    String::new()
}

/// The output of the page filtered under `catalog` for a visitor on
/// `site_host` who refused everything.
fn refused_on(catalog: &'static Catalog, html: &[u8], site_host: &str) -> String {
    let out = filter(catalog, &refused_page(site_host), html, usize::MAX);
    String::from_utf8_lossy(&out).into_owned()
}

/// How many external scripts the page filtered under `catalog` neutralised
/// as the unknown third party.
fn loses_a_script(catalog: &'static Catalog, html: &[u8], site_host: &str) -> usize {
    refused_on(catalog, html, site_host)
        .matches("data-consent-vendor=\"unknown\"")
        .count()
}

/// The hosts of the external scripts an `unknown_scripts` catalog takes
/// from a page (a quick reading of the output: `src` of the marked tags).
fn unknown_hosts(catalog: &'static Catalog, html: &[u8], site_host: &str) -> Vec<String> {
    refused_on(catalog, html, site_host)
        .split("<script")
        .filter(|t| {
            t.split('>')
                .next()
                .unwrap_or("")
                .contains("data-consent-vendor=\"unknown\"")
        })
        .filter_map(|t| {
            let tag = t.split('>').next()?;
            let src = attr(tag, "src")?;
            let rest = src.split("//").nth(1)?;
            Some(rest.split(['/', '?', ':']).next()?.to_ascii_lowercase())
        })
        .collect()
}

/// Issue 14: how many of the 258 pages would lose a script if
/// `unknown_scripts` were switched on (any category: the visitor refused
/// everything), with and without the `[[library]]` CDN allow-list. The
/// figures are quoted in docs/CATALOG.md.
#[test]
fn unknown_scripts_policy_cost_on_the_corpus() {
    let Some(pages) = corpus() else { return };
    let catalog = |library_cdns: bool| -> &'static Catalog {
        let cfg: consent_edge::trackers::Config = toml::from_str(&format!(
            "unknown_scripts = \"functional\"\nlibrary_cdns = {library_cdns}"
        ))
        .unwrap();
        Box::leak(Box::new(Catalog::with_config(&cfg).unwrap()))
    };
    let (with, without) = (catalog(true), catalog(false));
    let (mut pages_with, mut pages_without, mut scripts_with, mut scripts_without) = (0, 0, 0, 0);
    let mut known_host = 0;
    let mut lost_hosts: BTreeMap<String, usize> = BTreeMap::new();
    for (_, html) in &pages {
        let host = own_host(html);
        if !host.is_empty() {
            known_host += 1;
        }
        let a = loses_a_script(with, html, &host);
        let b = loses_a_script(without, html, &host);
        assert!(a <= b, "the allow-list can only spare scripts");
        pages_with += usize::from(a > 0);
        pages_without += usize::from(b > 0);
        scripts_with += a;
        scripts_without += b;
        for h in unknown_hosts(with, html, &host) {
            *lost_hosts.entry(h).or_insert(0usize) += 1;
        }
    }
    let mut top: Vec<_> = lost_hosts.into_iter().collect();
    top.sort_by_key(|t| std::cmp::Reverse(t.1));
    for (h, n) in top.iter().take(25) {
        eprintln!("  lost with the allow-list: {n:>4} scripts from {h}");
    }
    eprintln!(
        "unknown_scripts on, {} pages ({known_host} with a canonical/og:url host):\n  \
         without the library allow-list: {pages_without} pages lose {scripts_without} scripts\n  \
         with it:                        {pages_with} pages lose {scripts_with} scripts",
        pages.len()
    );
    assert!(pages_with <= pages_without);
}
