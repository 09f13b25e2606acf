//! The labelled snippet corpus (`tests/snippets/cases.toml`) through the real
//! [`Filter`], for a visitor who refused everything.
//!
//! Each case is one vendor's install snippet in one of its published shapes
//! (or first-party code, `vendor = ""`). A case is *detected* when the filter
//! neutralised at least one element carrying `data-consent-vendor` = the
//! labelled vendor and `data-consent-category` = the labelled category. Every
//! neutralised element naming another vendor or category is a false positive
//! of the category it names.
//!
//! Asserted: every case is detected except those in [`EXPECTED_MISS`] (which
//! must still be missed, so that the code that fixes them also updates this
//! list); no first-party case is touched. Printed: precision and recall per
//! category (the figures quoted in `docs/CATALOG.md`).

mod common;

use common::{attr, filter_whole_and_bytewise, refused_page, tag_end};
use consent_edge::trackers::Catalog;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Cases the catalog alone cannot get right; each needs filter/catalog code
/// (issue 14). Asserted to be missed still.
const EXPECTED_MISS: &[(&str, &str)] = &[
    // Closed by issue 14's code (tag IDs, self-hosted analytics, pieced-together
    // hosts: src/trackers/{tag_ids,self_hosted,normalise}.rs). A case the
    // catalog cannot get right goes here with the reason.
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    id: String,
    vendor: String,
    category: String,
    variant: String,
    html: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: Vec<Case>,
}

fn cases() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snippets/cases.toml");
    let text = std::fs::read_to_string(path).expect("tests/snippets/cases.toml");
    toml::from_str::<CaseFile>(&text)
        .unwrap_or_else(|e| panic!("cases.toml: {e}"))
        .case
}

/// The page as a visitor who refused everything gets it, filtered whole and
/// byte by byte (the verdict must not depend on chunking).
fn refused(html: &str) -> String {
    let out = filter_whole_and_bytewise(Catalog::embedded(), &refused_page(""), html.as_bytes());
    String::from_utf8(out).expect("utf-8 out")
}

/// `(vendor, category)` of every element the filter marked, in order:
/// start tags carrying both `data-consent-vendor` and `data-consent-category`
/// (placeholders carry only the vendor and are not counted).
fn marked(out: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = out;
    while let Some(p) = rest.find('<') {
        rest = &rest[p + 1..];
        let Some(end) = tag_end(rest.as_bytes(), 0) else {
            break;
        };
        let tag = &rest[..end];
        if let (Some(v), Some(c)) = (
            attr(tag, "data-consent-vendor"),
            attr(tag, "data-consent-category"),
        ) {
            found.push((v.to_string(), c.to_string()));
        }
        rest = &rest[end..];
    }
    found
}

#[derive(Default)]
struct Score {
    cases: usize,
    detected: usize,
    expected_miss: usize,
    false_pos: usize,
}

#[test]
fn labelled_snippets_precision_and_recall() {
    let cases = cases();
    let catalog = Catalog::embedded();
    let mut ids = std::collections::BTreeSet::new();
    for c in &cases {
        assert!(ids.insert(c.id.as_str()), "case id {} twice", c.id);
        assert!(!c.variant.is_empty(), "{}: no variant", c.id);
        if c.vendor.is_empty() {
            assert_eq!(c.category, "none", "{}: first-party case", c.id);
        } else {
            let v = catalog
                .vendor(&c.vendor)
                .unwrap_or_else(|| panic!("{}: vendor {} not in the catalog", c.id, c.vendor));
            assert_eq!(
                v.category.id(),
                c.category,
                "{}: label disagrees with the catalog's category of {}",
                c.id,
                c.vendor
            );
        }
    }
    for (id, _) in EXPECTED_MISS {
        assert!(ids.contains(id), "EXPECTED_MISS names unknown case {id}");
    }

    let mut score: BTreeMap<String, Score> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut vendors = std::collections::BTreeSet::new();
    for c in &cases {
        let out = refused(&c.html);
        let marks = marked(&out);
        let expected_miss = EXPECTED_MISS.iter().any(|(id, _)| *id == c.id);
        let hit = !c.vendor.is_empty()
            && marks
                .iter()
                .any(|(v, cat)| *v == c.vendor && *cat == c.category);
        for (v, cat) in &marks {
            if *v != c.vendor || *cat != c.category {
                score.entry(cat.clone()).or_default().false_pos += 1;
                if !expected_miss {
                    failures.push(format!(
                        "{}: also marked {v}/{cat} (labelled {}/{})",
                        c.id, c.vendor, c.category
                    ));
                }
            }
        }
        if c.vendor.is_empty() {
            continue;
        }
        vendors.insert(c.vendor.as_str());
        let s = score.entry(c.category.clone()).or_default();
        s.cases += 1;
        if hit {
            s.detected += 1;
        }
        match (hit, expected_miss) {
            (true, true) => failures.push(format!(
                "{}: now detected — remove it from EXPECTED_MISS (and update docs/CATALOG.md)",
                c.id
            )),
            (false, true) => s.expected_miss += 1,
            (false, false) => failures.push(format!(
                "{}: {} ({}) not detected; marked {marks:?}\n{out}",
                c.id, c.vendor, c.variant
            )),
            (true, false) => {}
        }
    }

    eprintln!(
        "{} cases ({} vendors, {} first-party negatives), refused everything:",
        cases.len(),
        vendors.len(),
        cases.iter().filter(|c| c.vendor.is_empty()).count()
    );
    eprintln!("category     cases  detected  expected-miss  false-pos  recall   recall(excl. expected)  precision");
    let (mut tc, mut td, mut tm, mut tf) = (0, 0, 0, 0);
    for (cat, s) in &score {
        report(cat, s);
        tc += s.cases;
        td += s.detected;
        tm += s.expected_miss;
        tf += s.false_pos;
    }
    report(
        "all",
        &Score {
            cases: tc,
            detected: td,
            expected_miss: tm,
            false_pos: tf,
        },
    );
    for (id, why) in EXPECTED_MISS {
        eprintln!("expected miss {id}: {why}");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn report(cat: &str, s: &Score) {
    let pct = |a: usize, b: usize| {
        if b == 0 {
            "   -  ".to_string()
        } else {
            format!("{:5.1}%", 100.0 * a as f64 / b as f64)
        }
    };
    eprintln!(
        "{cat:<12} {:>5}  {:>8}  {:>13}  {:>9}  {}   {}                  {}",
        s.cases,
        s.detected,
        s.expected_miss,
        s.false_pos,
        pct(s.detected, s.cases),
        pct(s.detected, s.cases - s.expected_miss),
        pct(s.detected, s.detected + s.false_pos),
    );
}
