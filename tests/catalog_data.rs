//! The catalog data itself (`trackers.toml`): breadth, sources, and the
//! invariants the matcher relies on but does not check when it builds
//! (a host pattern claimed by two vendors silently goes to the first; a very
//! short or generic script signature would neutralise first-party code).

use consent_edge::consent::Category;
use consent_edge::trackers::{Catalog, EMBEDDED};
use std::collections::{BTreeMap, HashMap};

/// Signatures shorter than this must be listed here with the reason they
/// are distinctive anyway.
const MIN_SIGNATURE: usize = 8;
const SHORT_SIGNATURES_ALLOWED: &[&str] = &[
    "UET(o)",  // Bing UET constructor call in its loader
    "obApi(",  // Outbrain pixel global
    "piAId",   // Pardot account id global
    "_learnq", // Klaviyo legacy queue
    "_fs_org", // FullStory org global
    "_kmq",    // Kissmetrics queue
    "NREUM",   // New Relic browser agent global
    "s_gi(",   // Adobe AppMeasurement constructor
    "reb2b",   // RB2B global
    "prf.hn/", // Partnerize tracking host
    "_ctct_m", // Constant Contact global
    "_AceGID", // ACE Counter global
    "_uacct",  // Urchin (legacy Google Analytics) account global
];

/// Words in a `source` that would mean a list under non-commercial terms.
const FORBIDDEN_SOURCES: &[&str] = &["tracker radar", "disconnect", "ghostery", "duckduckgo"];

/// Vendors issue 14 names explicitly, by section.
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "Google tag families",
        &[
            "google-analytics",
            "google-tag-manager",
            "google-ads",
            "doubleclick",
            "google-adsense",
            "google-optimize",
        ],
    ),
    (
        "chat and support",
        &[
            "intercom",
            "drift",
            "zendesk-chat",
            "crisp",
            "tawk-to",
            "livechat",
            "tidio",
            "olark",
            "hubspot-chat",
            "freshchat",
            "gorgias",
            "chatwoot",
        ],
    ),
    ("comments", &["disqus", "commento", "hyvor-talk"]),
    (
        "web push",
        &["onesignal", "pushengage", "pushwoosh", "izooto"],
    ),
    (
        "A/B testing",
        &["optimizely", "vwo", "ab-tasty", "kameleoon", "convert"],
    ),
    (
        "heatmaps and replay",
        &[
            "hotjar",
            "fullstory",
            "mouseflow",
            "smartlook",
            "logrocket",
            "lucky-orange",
            "crazy-egg",
            "inspectlet",
            "contentsquare",
            "quantum-metric",
        ],
    ),
    (
        "B2B identification",
        &[
            "leadfeeder",
            "clearbit-reveal",
            "sixsense",
            "demandbase",
            "zoominfo-websights",
            "albacross",
            "lead-forensics",
            "rb2b",
        ],
    ),
    ("scheduling", &["calendly", "cal-com", "hubspot-meetings"]),
    (
        "affiliate networks",
        &[
            "awin",
            "cj-affiliate",
            "impact",
            "rakuten-advertising",
            "partnerize",
            "shareasale",
            "tradedoubler",
        ],
    ),
    (
        "social widgets and pixels",
        &[
            "meta-pixel",
            "facebook-social",
            "x-pixel",
            "x-embed",
            "linkedin-insight",
            "pinterest-tag",
            "instagram-embed",
            "tiktok-pixel",
            "tiktok-embed",
            "reddit-pixel",
            "snap-pixel",
            "quora-pixel",
        ],
    ),
    (
        "product analytics",
        &[
            "mixpanel",
            "amplitude",
            "heap",
            "posthog",
            "segment",
            "rudderstack",
            "pendo",
        ],
    ),
    (
        "marketing automation",
        &[
            "hubspot",
            "marketo",
            "pardot",
            "activecampaign",
            "mailchimp",
            "klaviyo",
        ],
    ),
    (
        "ad networks and retargeting",
        &[
            "criteo",
            "taboola",
            "outbrain",
            "adroll",
            "quantcast",
            "amazon-ads",
            "bing-uet",
            "yahoo-ads",
            "the-trade-desk",
        ],
    ),
    (
        "Russia",
        &[
            "yandex-metrica",
            "mailru-top",
            "liveinternet",
            "rambler-top100",
            "vk-pixel",
        ],
    ),
    ("China", &["baidu-tongji", "cnzz", "la51", "tencent-mta"]),
    ("Korea", &["naver-analytics", "kakao-pixel", "kakao-adfit"]),
    (
        "Japan",
        &[
            "yahoo-japan-ads",
            "ptengine",
            "user-insight",
            "i2i",
            "access-analyzer",
        ],
    ),
    (
        "Europe",
        &[
            "at-internet",
            "etracker",
            "matomo-cloud",
            "econda",
            "wiredminds",
            "gemius",
            "adform",
        ],
    ),
];

#[test]
fn catalog_is_broad_sourced_and_unambiguous() {
    let cat = Catalog::embedded();
    let vendors = cat.vendors();
    assert!(
        vendors.len() >= 400,
        "issue 14 asks for at least 400 vendors, the catalog has {}",
        vendors.len()
    );
    let mut per_category: BTreeMap<&str, usize> = BTreeMap::new();
    let mut host_owner: HashMap<String, &str> = HashMap::new();
    let mut problems = Vec::new();
    for v in vendors {
        *per_category.entry(v.category.id()).or_default() += 1;
        assert_ne!(v.category, Category::Necessary, "{}", v.id);
        if v.source.trim().is_empty() {
            problems.push(format!("{}: no source", v.id));
        }
        let src = v.source.to_ascii_lowercase();
        for bad in FORBIDDEN_SOURCES {
            if src.contains(bad) {
                problems.push(format!("{}: source names {bad:?}", v.id));
            }
        }
        if v.hosts.is_empty() {
            problems.push(format!("{}: no hosts", v.id));
        }
        for h in &v.hosts {
            if let Some(other) = host_owner.insert(h.to_ascii_lowercase(), &v.id) {
                problems.push(format!("host {h} is listed by {other} and {}", v.id));
            }
        }
        for s in &v.scripts {
            if s.len() < MIN_SIGNATURE && !SHORT_SIGNATURES_ALLOWED.contains(&s.as_str()) {
                problems.push(format!("{}: signature {s:?} is too short", v.id));
            }
        }
    }
    for (section, ids) in REQUIRED {
        for id in *ids {
            if cat.vendor(id).is_none() {
                problems.push(format!("{section}: {id} missing"));
            }
        }
    }
    eprintln!("{} vendors: {per_category:?}", vendors.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every `# ---- Section` header of the file has at least one vendor, and the
/// counts per section (printed) add up to the catalog (`docs/CATALOG.md`).
#[test]
fn sections_partition_the_catalog() {
    let mut sections: Vec<(String, BTreeMap<String, usize>)> = Vec::new();
    for line in EMBEDDED.lines() {
        if let Some(rest) = line.strip_prefix("# ---") {
            let title = rest.trim_start_matches('-').trim().to_string();
            sections.push((title, BTreeMap::new()));
        } else if let Some(c) = line.strip_prefix("category = ") {
            let c = c.trim().trim_matches('"').to_string();
            let (_, counts) = sections
                .last_mut()
                .expect("a vendor before the first section header");
            *counts.entry(c).or_default() += 1;
        }
    }
    let mut total = 0;
    for (title, counts) in &sections {
        let n: usize = counts.values().sum();
        assert!(n > 0, "section {title:?} is empty");
        total += n;
        eprintln!("{n:>4}  {title}  {counts:?}");
    }
    assert_eq!(total, Catalog::embedded().vendors().len());
}

/// What the bigger catalog costs the worker once per isolate: the script
/// signature automaton is built exactly as `Catalog::build` builds it
/// (ASCII-case-insensitive DFA), and its heap size and the whole catalog's
/// build time are printed for `docs/CATALOG.md` (measured, not asserted:
/// timings belong to benchmarks).
#[test]
fn signature_automaton_size() {
    use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, MatchKind};
    let cat = Catalog::embedded();
    let patterns: Vec<&str> = cat
        .vendors()
        .iter()
        .flat_map(|v| v.scripts.iter().map(String::as_str))
        .collect();
    let bytes: usize = patterns.iter().map(|p| p.len()).sum();
    let build = |kind| {
        let t = std::time::Instant::now();
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(&patterns)
            .expect("signatures build");
        (ac.memory_usage() / 1024, t.elapsed())
    };
    let (dfa_kib, dfa_time) = build(AhoCorasickKind::DFA);
    let (nfa_kib, nfa_time) = build(AhoCorasickKind::ContiguousNFA);
    eprintln!(
        "{} signatures ({bytes} bytes): DFA {dfa_kib} KiB built in {dfa_time:?}; contiguous NFA {nfa_kib} KiB built in {nfa_time:?} (debug build)",
        patterns.len()
    );
    let t = std::time::Instant::now();
    let rebuilt = Catalog::parse(EMBEDDED, &Default::default()).expect("catalog");
    let build = t.elapsed();
    assert_eq!(rebuilt.vendors().len(), cat.vendors().len());
    eprintln!("parse + build of the whole catalog: {build:?} (debug build)");
}
