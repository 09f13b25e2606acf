use super::*;
use crate::trackers::{Catalog, Config};

fn grants(cats: &[Category]) -> Grants {
    Grants::from_categories(cats.iter().copied())
}

/// Every combination of the three optional categories.
fn all_grants() -> Vec<Grants> {
    (0u8..8)
        .map(|b| Grants::from_bits(1 | (b << 1)).expect("valid bits"))
        .collect()
}

fn json(cfg: &GuardConfig) -> serde_json::Value {
    serde_json::from_str(&cfg.to_json()).expect("valid JSON")
}

#[test]
fn nothing_when_everything_is_granted() {
    let cat = Catalog::embedded();
    assert!(GuardConfig::new(cat, Grants::ALL).is_none());
    assert!(guard_script(cat, Grants::ALL, Some("abc")).is_none());
    assert!(guard_script(cat, Grants::NECESSARY_ONLY, Some("abc")).is_some());
}

#[test]
fn the_page_names_refused_categories_and_the_table_is_the_catalogs() {
    let cat = Catalog::embedded();
    let g = grants(&[Category::Functional, Category::Advertising]);
    let cfg = GuardConfig::new(cat, g).expect("analytics refused");
    let j = json(&cfg);
    assert_eq!(j["r"], serde_json::json!([2]));
    assert_eq!(j["a"], serde_json::json!([]));
    // One entry per vendor, in catalog order, with exactly its rows of the
    // catalog's host table.
    let c = j["c"].as_array().expect("c");
    assert_eq!(c.len(), cat.vendors().len());
    for (i, v) in cat.vendors().iter().enumerate() {
        assert_eq!(c[i][0], serde_json::json!(v.id), "{i}");
        let cat_index = if v.allowed {
            0
        } else {
            table::category_index(v.category)
        };
        assert_eq!(c[i][1], serde_json::json!(cat_index), "{}", v.id);
        let mut want: Vec<String> = cat
            .host_entries()
            .filter(|e| e.2 == i)
            .map(|(h, p, _)| format!("{h}{}", p.to_ascii_lowercase()))
            .collect();
        let mut got: Vec<String> = c[i][2]
            .as_str()
            .expect("patterns")
            .split(' ')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{}", v.id);
    }
}

#[test]
fn the_shipped_table_is_the_runtime_one() {
    // The shipped catalog's table is made once and kept; a catalog compiled
    // at run time from the same files gets its own, and they agree.
    let shipped = Catalog::embedded();
    assert!(shipped.compiled_at_build_time());
    let runtime = Catalog::with_config(&Config::default()).expect("catalog");
    assert!(!runtime.compiled_at_build_time());
    let a = GuardConfig::new(shipped, Grants::NECESSARY_ONLY).expect("cfg");
    let b = GuardConfig::new(&runtime, Grants::NECESSARY_ONLY).expect("cfg");
    assert_eq!(a.to_json(), b.to_json());
}

#[test]
fn the_guard_decides_like_the_catalog_for_every_host() {
    let cat = Catalog::embedded();
    for g in all_grants() {
        let Some(cfg) = GuardConfig::new(cat, g) else {
            assert_eq!(g, Grants::ALL);
            continue;
        };
        let cfg = cfg.lookup();
        let mut checked = 0;
        for v in cat.vendors() {
            for pat in &v.hosts {
                let pat = pat.to_ascii_lowercase();
                let (host, prefix) = pat.split_at(pat.find('/').unwrap_or(pat.len()));
                let hosts = [
                    host.to_string(),
                    format!("cdn.{host}"),
                    format!("a.b.{host}"),
                ];
                let paths = [
                    "/".to_string(),
                    prefix.to_string(),
                    format!("{prefix}/x.js"),
                    format!("{prefix}x"),
                    "/maps/embed".to_string(),
                    "/tr".to_string(),
                ];
                for h in &hosts {
                    for p in paths.iter().filter(|p| p.starts_with('/')) {
                        let expected = cat
                            .match_host_path(h, p)
                            .filter(|v| !v.allowed && !g.has(v.category))
                            .map(|v| v.id.as_str());
                        assert_eq!(cfg.vendor_for(h, p), expected, "{h}{p} with {:?}", g.bits());
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
        // A host no vendor uses is never blocked.
        assert_eq!(cfg.vendor_for("example.org", "/tr"), None);
    }
}

const SHADOW: &str = r#"
[[vendor]]
id = "bigco-ads"
name = "BigCo Ads"
category = "advertising"
hosts = ["bigco.test"]

[[vendor]]
id = "bigco-maps"
name = "BigCo Maps"
category = "functional"
hosts = ["bigco.test/maps", "tiles.bigco.test"]

[[vendor]]
id = "other"
name = "Other"
category = "functional"
hosts = ["other.test"]

[[vendor]]
id = "allowed-ads"
name = "Allowed"
category = "advertising"
hosts = ["cdn.bigco.test"]
"#;

#[test]
fn granted_entries_on_a_refused_host_are_carried_so_they_still_win() {
    let cfg = Config {
        allow: vec!["allowed-ads".into()],
        ..Config::default()
    };
    let cat = Catalog::parse(SHADOW, &cfg).expect("catalog");
    let g = grants(&[Category::Functional, Category::Analytics]);
    let gc = GuardConfig::new(&cat, g).expect("advertising refused");
    assert_eq!(
        gc.to_json(),
        r#"{"r":[3],"a":[],"c":[["bigco-ads",3,"bigco.test"],["bigco-maps",1,"bigco.test/maps tiles.bigco.test"],["other",1,"other.test"],["allowed-ads",0,"cdn.bigco.test"]]}"#
    );
    let gc = gc.lookup();
    assert_eq!(gc.vendor_for("bigco.test", "/ads.js"), Some("bigco-ads"));
    assert_eq!(gc.vendor_for("www.bigco.test", "/maps2"), Some("bigco-ads"));
    assert_eq!(gc.vendor_for("www.bigco.test", "/MAPS/x"), None);
    assert_eq!(gc.vendor_for("tiles.bigco.test", "/1.png"), None);
    assert_eq!(gc.vendor_for("cdn.bigco.test", "/a.js"), None);
    assert_eq!(gc.vendor_for("other.test", "/"), None);
    // Advertising granted too: the only refused category has no vendor here.
    assert!(
        GuardConfig::new(&cat, grants(&[Category::Functional, Category::Advertising])).is_none()
    );
}

#[test]
fn the_script_tag_is_escaped_and_self_contained() {
    let cat = Catalog::embedded();
    let tag = guard_script(cat, Grants::NECESSARY_ONLY, Some("r4'><script>x")).expect("tag");
    assert!(tag.starts_with("<script nonce='r4&#39;&gt;&lt;script&gt;x' data-ce-guard='{\"r\":"));
    assert!(tag.ends_with("</script>"));
    // One element: the guard's text can neither close it nor open a comment
    // (`<!--` inside a script changes how `</script>` is tokenised).
    let lower = tag.to_ascii_lowercase();
    assert_eq!(lower.matches("<script").count(), 1, "only the opening tag");
    assert_eq!(lower.matches("</script").count(), 1, "only the closing tag");
    assert!(!lower.contains("<!--"));
    // The attribute holds no raw `'`, `<` or `>`: only entities.
    let start = tag.find(CONFIG_ATTR).expect("attr") + CONFIG_ATTR.len() + 2;
    let value = &tag[start..start + tag[start..].find('\'').expect("end quote")];
    assert!(!value.contains('<') && !value.contains('>'));
    let decoded = value
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    assert_eq!(
        decoded,
        GuardConfig::new(cat, Grants::NECESSARY_ONLY)
            .expect("cfg")
            .to_json()
    );
    // No nonce, no attribute.
    let bare = guard_script(cat, Grants::NECESSARY_ONLY, None).expect("tag");
    assert!(bare.starts_with("<script data-ce-guard='{"));
    assert!(guard_script(cat, Grants::NECESSARY_ONLY, Some(""))
        .expect("tag")
        .starts_with("<script data-ce-guard="));
}

#[test]
fn attribute_escaping() {
    assert_eq!(attr_escape(r#"a&b"c'd<e>f"#), "a&amp;b\"c&#39;d&lt;e&gt;f");
    // A vendor id or host with a quote cannot leave the attribute.
    assert_eq!(
        attr_escape("x' onload='alert(1)"),
        "x&#39; onload=&#39;alert(1)"
    );
    assert_eq!(attr_escape("é/ü"), "é/ü");
}

#[test]
fn the_table_is_json_whatever_the_strings_hold() {
    // Quotes, backslashes and control characters in an id are escaped;
    // a path prefix is lower-cased, a host is taken as it is.
    let mut v = Catalog::embedded().vendors()[0].clone();
    v.id = "q\"b\\c\u{1}é".into();
    v.allowed = false;
    let json = table::table_json(
        &[v.clone()],
        [("b.example", "", 0), ("a.example", "/P/x", 0)],
    );
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let cat = table::category_index(v.category);
    assert_eq!(
        parsed,
        serde_json::json!([[v.id, cat, "a.example/p/x b.example"]])
    );
    assert!(json.contains("\\u0001"), "{json}");
}

#[test]
fn sizes() {
    // The whole catalog refused must stay small enough to inline on every
    // page; one refused category carries a fraction of it.
    let cat = Catalog::embedded();
    let all = GuardConfig::new(cat, Grants::NECESSARY_ONLY)
        .expect("cfg")
        .to_json()
        .len();
    println!("guard config JSON bytes (any refusal: the catalog table is the same): {all}");
    // What the page pays: the whole tag (minified script + configuration),
    // raw and gzip-compressed (what travels with Content-Encoding: gzip).
    let gz = |s: &str| {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(s.as_bytes()).expect("gzip");
        e.finish().expect("gzip").len()
    };
    let tag = |g: Grants| guard_script(cat, g, Some("abc")).expect("a guard");
    let script = gz(GUARD_JS);
    let none = tag(Grants::NECESSARY_ONLY);
    let no_ads = tag(grants(&[Category::Functional, Category::Analytics]));
    println!(
        "guard tag bytes (raw / gzip): script alone {} / {script}, nothing granted {} / {}, only advertising refused {} / {}",
        GUARD_JS.len(),
        none.len(),
        gz(&none),
        no_ads.len(),
        gz(&no_ads)
    );
    // Budget: the worst case (an undecided visitor under opt-in) under 16 KiB
    // on the wire.
    assert!(gz(&none) < 16 * 1024, "{}", gz(&none));
}

#[test]
fn the_guard_source_reads_the_format_documented_here() {
    let source = include_str!("../banner/guard.js");
    for needle in [
        "document.currentScript",
        "data-ce-guard",
        "cfg.r",
        "cfg.a",
        "cfg.c",
    ] {
        assert!(source.contains(needle), "guard.js should mention {needle}");
    }
    // What is shipped is esbuild's output of that source: smaller, and
    // still reading its configuration from its own element.
    assert!(GUARD_JS.len() < source.len() / 2, "{}", GUARD_JS.len());
    for needle in ["currentScript", "data-ce-guard", "consentEdgeGuard"] {
        assert!(GUARD_JS.contains(needle), "minified guard lost {needle}");
    }
}

#[test]
fn vendors_the_page_allows_pass_but_what_they_load_is_still_judged() {
    // Consent Mode "advanced" lets Google Tag Manager load for everyone: the
    // container passes, the GA4 library (a more specific gtag path) and the
    // Meta pixel it may inject do not while their categories are refused.
    let cat = Catalog::embedded();
    let allow = vec!["google-tag-manager".to_string()];
    let gc = GuardConfig::for_page(cat, Grants::NECESSARY_ONLY, &allow).expect("cfg");
    let cfg = gc.lookup();
    assert_eq!(cfg.vendor_for("www.googletagmanager.com", "/gtm.js"), None);
    assert_eq!(
        cfg.vendor_for("www.googletagmanager.com", "/gtag/js"),
        Some("google-analytics")
    );
    assert_eq!(
        cfg.vendor_for("connect.facebook.net", "/en_US/fbevents.js"),
        Some("meta-pixel")
    );
    let j = json(&gc);
    let gtm = cat
        .vendors()
        .iter()
        .position(|v| v.id == "google-tag-manager")
        .expect("gtm");
    assert_eq!(j["a"], serde_json::json!([gtm]));
    // Agrees with the filter's rule (refused unless allowed, granted or necessary).
    for v in cat.vendors() {
        for pat in &v.hosts {
            let pat = pat.to_ascii_lowercase();
            let (host, prefix) = pat.split_at(pat.find('/').unwrap_or(pat.len()));
            let path = if prefix.is_empty() { "/x" } else { prefix };
            let expected = cat
                .match_host_path(host, path)
                .filter(|v| !v.allowed && !allow.contains(&v.id))
                .map(|v| v.id.as_str());
            assert_eq!(cfg.vendor_for(host, path), expected, "{host}{path}");
        }
    }
    let tag = guard_script_for_page(cat, Grants::NECESSARY_ONLY, &allow, None).expect("tag");
    assert!(tag.contains(&format!(r#""a":[{gtm}]"#)));
}
