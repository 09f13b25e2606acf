//! The Rust ↔ banner-script contract: every attribute the filter writes is
//! either a marker the script knows (`markup::MARKERS`) or the stash of a
//! URL attribute in the list the banner hands its script (`data-attrs` on
//! the banner's root). This is the test that would have caught the refused
//! `<video poster>` that was moved to `data-consent-poster` but never
//! restored.
//!
//! It goes through the public API only: the banner as `banner::page` builds
//! it for a visitor who has refused everything, and every neutralisation
//! path of the filter (external and inline script, each media element and
//! each of its URL attributes, iframe with placeholder, `srcdoc`,
//! `<noscript>`).

use consent_edge::banner::{page, PageRequest, PageSettings};
use consent_edge::consent::State;
use consent_edge::filter::{Config as FilterConfig, Filter, Page};
use consent_edge::jurisdiction::Regime;
use consent_edge::markup;
use consent_edge::rules::Config;
use consent_edge::trackers::Catalog;
use std::collections::BTreeSet;

const FB: &str = "https://www.facebook.com/tr?id=1";

/// One element per (element, URL attribute) the filter neutralises.
fn trackers_page() -> String {
    let paths = [
        "<script type=\"module\" src=\"https://www.googletagmanager.com/gtag/js?id=G-1\"></script>"
            .to_string(),
        "<script>fbq('init', '1');</script>".to_string(),
        format!("<img src=\"{FB}\" srcset=\"{FB} 2x\">"),
        "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>".to_string(),
        format!("<embed src=\"{FB}\">"),
        format!("<object data=\"{FB}\"></object>"),
        format!("<video src=\"{FB}\" poster=\"{FB}\"><source src=\"{FB}\"></video>"),
        format!("<audio src=\"{FB}\"></audio>"),
        format!("<picture><source srcset=\"{FB}\"><img src=\"/a.png\"></picture>"),
        format!("<link rel=\"preload\" as=\"image\" href=\"{FB}\">"),
        format!("<a href=\"/x\" ping=\"{FB}\">x</a>"),
        format!("<map><area href=\"/y\" ping=\"{FB}\"></map>"),
        format!("<iframe srcdoc=\"&lt;img src=&quot;{FB}&quot;&gt;\"></iframe>"),
        format!("<noscript><img src=\"{FB}\"></noscript>"),
        // issue 12: background=, imagesrcset, lazy-load attributes, style=
        format!("<table background=\"{FB}\"></table>"),
        format!("<link rel=\"preload\" as=\"image\" imagesrcset=\"{FB} 1x\">"),
        format!("<img data-src=\"{FB}\" data-srcset=\"{FB} 1x\" data-original=\"{FB}\">"),
        format!("<img data-lazy-src=\"{FB}\" data-lazy-srcset=\"{FB} 1x\" data-bg=\"{FB}\">"),
        format!("<div style=\"background:url({FB})\"></div>"),
    ];
    format!(
        "<!doctype html><html><head></head><body>{}</body></html>",
        paths.concat()
    )
}

/// The names of all `data-consent*` attributes in `html` (also those inside
/// an escaped `srcdoc` value).
fn consent_attrs(html: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = html;
    while let Some(i) = rest.find(" data-consent") {
        let name: String = rest[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        rest = &rest[i + 1 + name.len()..];
        found.insert(name);
    }
    found
}

fn banner_page() -> Page {
    let cfg = Config::embedded();
    let state = State::with_decision(Regime::strictest(), None, false);
    page(
        &PageRequest {
            state: &state,
            route: None,
            accept_language: Some("en"),
            return_to: "/",
            csp: None,
            host: "www.example.com",
            token: None,
        },
        &PageSettings::of(cfg),
    )
}

/// The value of `data-attrs` on the banner's root element.
fn script_attrs(banner: &str) -> Vec<String> {
    let root = &banner[banner
        .find("<aside id=\"consent-edge\"")
        .expect("banner root")..];
    let root = &root[..root.find('>').expect("root tag")];
    let key = " data-attrs=\"";
    let v = &root[root.find(key).expect("data-attrs on the root") + key.len()..];
    v[..v.find('"').expect("quoted")]
        .split(' ')
        .map(str::to_string)
        .collect()
}

#[test]
fn every_attribute_the_filter_writes_is_restored_by_the_script() {
    let banner = banner_page();
    let handed = script_attrs(&banner.body_end);
    assert_eq!(handed.join(" "), markup::script_attrs());

    // The same page without anything injected: only the filter's writes.
    let page = Page {
        head_start: String::new(),
        body_end: String::new(),
        declaration_html: None,
        status_html: None,
        reopen_form: None,
        // The per-response activation token (the shell's randomness).
        token: "0123abcd".into(),
        ..banner
    };
    let input = trackers_page();
    assert!(consent_attrs(&input).is_empty());
    let mut f = Filter::new(Catalog::embedded(), &FilterConfig::default(), page, None);
    let mut out = f.write(input.as_bytes());
    out.extend(f.end());
    let out = String::from_utf8(out).expect("utf-8");
    let written = consent_attrs(&out);

    for name in &written {
        let known = markup::MARKERS.contains(&name.as_str())
            || name
                .strip_prefix(markup::STASH_PREFIX)
                .is_some_and(|a| handed.iter().any(|h| h == a));
        assert!(
            known,
            "the filter writes {name}, which the banner script neither knows nor restores\n{out}"
        );
    }
    // Every path above was taken: each URL attribute was stashed at least
    // once (so the check covers them all), and the markers were written.
    for attr in markup::URL_ATTRS {
        let stash = markup::stash(attr);
        assert!(written.contains(&stash), "no path wrote {stash}\n{out}");
    }
    for m in markup::MARKERS {
        assert!(written.contains(*m), "no path wrote {m}\n{out}");
    }
}
