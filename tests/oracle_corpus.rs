//! The spec-parser oracle (tests/oracle) on its own (every row of its table
//! detects what it should, on unfiltered input) and on the filter's output
//! for the 258-page corpus in every consent state.

mod oracle;

use consent_edge::consent::Grants;
use consent_edge::filter::{Config, Page};
use oracle::{Chunking, Consent};
use std::collections::{BTreeMap, BTreeSet};

const GA: &str = "https://www.google-analytics.com/analytics.js";
const FB_PX: &str = "https://www.facebook.com/tr?id=1&amp;ev=PageView";

fn none() -> Consent {
    Consent {
        grants: Grants::NECESSARY_ONLY,
        allow_vendors: Vec::new(),
    }
}

/// One construct per table row, each pointing at a refused tracker: the
/// oracle must report every row (a row that never fires is a dead row).
#[test]
fn every_table_row_detects_a_tracker_in_raw_markup() {
    let gtag = "https://www.googletagmanager.com/gtag/js?id=G-X";
    let cases: Vec<(&str, String)> = vec![
        ("script-src", format!("<script type=\"\" language=vbscript src=\"{gtag}\"></script>")),
        ("script-loader", format!("<script type=text/partytown src=\"{gtag}\"></script>")),
        ("script-inline", "<script>fbq('init','1')</script>".into()),
        ("importmap", format!("<script type=importmap>{{\"imports\":{{\"g\":\"{gtag}\"}}}}</script>")),
        ("svg-script", format!("<svg><script xlink:href=\"{gtag}\"></script></svg>")),
        ("img", format!("<image src=\"{FB_PX}\">")),
        ("source", format!("<picture><source srcset=\"/a.png 1x, {FB_PX} 2x\"></picture>")),
        ("input-image", format!("<input type=IMAGE src=\"{FB_PX}\">")),
        ("media", "<video poster=\"https://i.ytimg.com/vi/x/0.jpg\"></video>".into()),
        ("embed", "<embed src=\"https://www.youtube.com/v/x\">".into()),
        ("object", "<object data=\"https://www.youtube.com/v/x\"></object>".into()),
        ("iframe", "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>".into()),
        ("srcdoc", format!("<iframe srcdoc=\"<script src='{GA}'></script>\"></iframe>")),
        ("link", format!("<link rel=preload as=image imagesrcset=\"{FB_PX} 1x\">")),
        ("ping", format!("<a href=/ ping=\"/p {GA}\">x</a>")),
        ("background", format!("<table background=\"{FB_PX}\"></table>")),
        ("svg-ref", format!("<svg><feImage href=\"{FB_PX}\"/></svg>")),
        ("svg-paint", "<svg><rect fill=\"url(https://bat.bing.com/x.svg#p)\"/></svg>".into()),
        ("refresh", format!("<meta http-equiv=Refresh content=\"0; URL='{GA}'\">")),
        ("base", "<base href=\"https://www.googletagmanager.com/\"><script src=\"gtag/js?id=G-X\"></script>".into()),
        ("css", "<style>@import 'https://bat.bing.com/a.css';</style>".into()),
        ("on-handler", "<img src=/a.png onload=\"s.src='https://connect.facebook.net/en_US/fbevents.js'\">".into()),
        ("javascript-url", format!("<iframe src=\"javascript:'<script src={GA}></script>'\"></iframe>")),
        ("data-url", "<script src=\"data:text/javascript,fbq('init','1')\"></script>".into()),
        ("noscript", format!("<noscript><img src=\"{FB_PX}\"></noscript>")),
        ("template", format!("<template><img src=\"{FB_PX}\"></template>")),
    ];
    let rows: BTreeSet<&str> = oracle::TABLE.iter().map(|r| r.id).collect();
    let tested: BTreeSet<&str> = cases.iter().map(|(r, _)| *r).collect();
    assert_eq!(rows, tested, "every TABLE row has a self-test case");
    for (row, html) in &cases {
        let v = oracle::violations(html.as_bytes(), &none());
        assert!(!v.is_empty(), "row {row}: nothing found in {html}");
        // the base row is proven by the relative script resolving to GTM/GA
        if !matches!(
            *row,
            "base" | "noscript" | "template" | "srcdoc" | "data-url"
        ) {
            assert!(
                v.iter().any(|s| s.row == *row),
                "row {row}: found {:?} but not from this row",
                v.iter().map(|x| x.to_string()).collect::<Vec<_>>()
            );
        }
        // granting everything silences it: the oracle is about refusals
        let all = Consent {
            grants: Grants::ALL,
            allow_vendors: Vec::new(),
        };
        assert!(
            oracle::violations(html.as_bytes(), &all).is_empty(),
            "{row}"
        );
    }
}

#[test]
fn host_spellings_are_read_as_the_url_parser_reads_them() {
    for (html, expect) in [
        ("<script src=\"https://www.google-analyt&shy;ics.com/analytics.js\"></script>", true),
        ("<script src=\"https://www.googletagmanager\u{3002}com/gtag/js?id=G\"></script>", true),
        ("<script src=\"https://connect.\u{ff46}acebook.net/x.js\"></script>", true),
        ("<script src=\"https://www.&#0000000103;oogletagmanager.com/gtag/js?id=G\"></script>", true),
        ("<script src=\"htt\tps:\\\\www.google-analytics.com\\analytics.js\"></script>", true),
        ("<script src=\"https://u:p@WWW.Google-Analytics.COM.:443/x.js\"></script>", true),
        ("<script src=\"https://google-analytics.com.evil.example/x.js\"></script>", false),
        ("<script src=\"https://notgoogle-analytics.com/x.js\"></script>", false),
        ("<img src=\"https://www.facebook.com/trade.png\">", false),
        ("<img src=\"https://www.facebook.com/tr/?id=1\">", true),
        ("<script type=\"text/javascript; charset=utf-8\" src=\"https://www.google-analytics.com/analytics.js\"></script>", false),
        ("<script type=\"application/ld+json\">{\"u\":\"https://www.google-analytics.com/analytics.js\"}</script>", false),
        ("<a href=\"https://www.google-analytics.com/\">a link is no fetch</a>", false),
        ("<img data-consent-src=\"https://www.facebook.com/tr?id=1\">", false),
    ] {
        let v = oracle::violations(html.as_bytes(), &none());
        assert_eq!(!v.is_empty(), expect, "{html}: {v:?}");
    }
}

/// What the filtered corpus still lets through, as `vendor|how|row` (how:
/// [`oracle::How`], row: the oracle's table row) with the number of pages
/// it happens on today, over all consent states: closed by issue 12 work.
/// A key not listed must not occur; a listed key must still occur (remove
/// it once fixed) on at most that many pages (lower the bound as it drops).
const KNOWN_OPEN: &[(&str, usize)] = &[
    // Inline code (scripts) that names a refused vendor's host and loads it
    // at run time (document.write ad tags, the Facebook SDK, …). The filter
    // does not treat host literals in code as signatures: on the corpus 239
    // of 258 pages have an inline script naming a catalog host, mostly
    // plain links (docs/SECURITY.md); the in-page guard (src/banner/guard.js)
    // catches what such code injects at run time.
    ("adobe-analytics|HostInCode|script-inline", 1),
    ("advertising-com|HostInCode|script-inline", 1),
    ("amazon-ads|HostInCode|script-inline", 7),
    ("bluekai|HostInCode|script-inline", 5),
    ("carbon-ads|HostInCode|script-inline", 1),
    ("clicktale|HostInCode|script-inline", 3),
    ("clicky|HostInCode|script-inline", 2),
    ("comscore|HostInCode|script-inline", 1),
    ("criteo|HostInCode|script-inline", 9),
    ("cxense|HostInCode|script-inline", 1),
    ("disqus|HostInCode|script-inline", 14),
    ("doubleclick|HostInCode|script-inline", 85),
    ("epsilon-conversant|HostInCode|script-inline", 1),
    ("facebook-social|HostInCode|script-inline", 8),
    ("kaltura|HostInCode|script-inline", 1),
    ("krux|HostInCode|script-inline", 5),
    ("livefyre|HostInCode|script-inline", 4),
    ("lotame|HostInCode|script-inline", 2),
    ("meta-pixel|HostInCode|script-inline", 55),
    ("nielsen|HostInCode|script-inline", 41),
    ("outbrain|HostInCode|script-inline", 16),
    ("parsely|HostInCode|script-inline", 3),
    ("pinterest-widgets|HostInCode|script-inline", 3),
];

#[test]
fn corpus_in_every_consent_state() {
    let Some(pages) = oracle::corpus() else {
        return;
    };
    assert_eq!(pages.len(), 258);
    let mut raw_hits = 0;
    let mut sampled = 0;
    // key → page → findings
    let mut failing: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (n, (name, html)) in pages.iter().enumerate() {
        // The oracle must see trackers in the unfiltered pages (a sample:
        // a parse per page and state is the cost of this test).
        if n % 4 == 0 {
            sampled += 1;
            if !oracle::violations(html, &none()).is_empty() {
                raw_hits += 1;
            }
        }
        for (state, grants) in oracle::states() {
            if grants == Grants::ALL {
                continue; // nothing is refused (filter_corpus: output identical)
            }
            let page = Page {
                grants,
                ..Page::default()
            };
            let (out, _) = oracle::run_filter(html, page, &Config::default(), Chunking::Whole);
            let consent = Consent {
                grants,
                allow_vendors: Vec::new(),
            };
            for v in oracle::violations(&out, &consent) {
                let key = format!("{}|{:?}|{}", v.vendor, v.how, v.row);
                failing
                    .entry(key)
                    .or_default()
                    .entry(name[..12.min(name.len())].to_string())
                    .or_default()
                    .push(format!("[{state}] {v}"));
            }
        }
    }
    eprintln!(
        "oracle corpus: {} pages × 4 consent states; {raw_hits} of {sampled} sampled pages reach a refused vendor unfiltered",
        pages.len(),
    );
    for (k, p) in &failing {
        eprintln!(
            "OPEN {k}: {} pages, e.g. {}",
            p.len(),
            p.values().next().unwrap()[0]
        );
    }
    assert!(
        raw_hits > sampled / 4,
        "the oracle finds too few trackers ({raw_hits} of {sampled}) to mean anything"
    );
    let mut problems = Vec::new();
    for (k, p) in &failing {
        match KNOWN_OPEN.iter().find(|(key, _)| key == k) {
            None => problems.push(format!(
                "{k} on {} pages:\n  {}",
                p.len(),
                p.iter()
                    .map(|(page, f)| format!("{page}: {}", f.join("\n    ")))
                    .collect::<Vec<_>>()
                    .join("\n  ")
            )),
            Some((_, bound)) if p.len() > *bound => problems.push(format!(
                "{k}: {} pages, more than the {bound} known: {:?}",
                p.len(),
                p.keys().collect::<Vec<_>>()
            )),
            _ => {}
        }
    }
    for (k, _) in KNOWN_OPEN {
        if !failing.contains_key(*k) {
            problems.push(format!("{k} now passes: remove it from KNOWN_OPEN"));
        }
    }
    let listing: Vec<String> = failing
        .iter()
        .map(|(k, p)| format!("    (\"{k}\", {}),", p.len()))
        .collect();
    assert!(
        problems.is_empty(),
        "{}\n\nopen today:\n{}",
        problems.join("\n"),
        listing.join("\n")
    );
}

/// The banner re-activation simulation: an element labelled with a granted
/// category gets its `data-consent-*` URLs back; a mislabelled one then
/// reaches the refused vendor.
#[test]
fn re_activation_follows_the_labels() {
    use consent_edge::consent::Category;
    let analytics = Consent {
        grants: Grants::from_categories([Category::Analytics]),
        allow_vendors: Vec::new(),
    };
    let mislabelled = format!(
        "<img data-consent-category=\"analytics\" data-consent-src=\"{GA}\" data-consent-srcset=\"{FB_PX} 1x\">"
    );
    let v = oracle::violations_after_activation(mislabelled.as_bytes(), &analytics);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].vendor, "meta-pixel");
    assert!(oracle::violations(mislabelled.as_bytes(), &analytics).is_empty());
    let strict = mislabelled.replace("\"analytics\"", "\"analytics advertising\"");
    assert!(oracle::violations_after_activation(strict.as_bytes(), &analytics).is_empty());
    let script = format!(
        "<script type=\"text/plain\" data-consent-category=\"analytics\" data-consent-src=\"{FB_PX}\"></script>"
    );
    assert_eq!(
        oracle::violations_after_activation(script.as_bytes(), &analytics).len(),
        1
    );
    assert!(oracle::violations_after_activation(script.as_bytes(), &none()).is_empty());
}
