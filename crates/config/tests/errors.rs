//! Every kind of configuration error, with the position it is reported at,
//! and the canonical JSON round trip. Runs with the `toml` feature
//! (`cargo test -p consent-edge-config --features toml`, or
//! `cargo test --workspace`).

use consent_edge_config::{from_json, from_toml, ConfigError, Validated};

const CONSENT: &str = include_str!("../../../consent.toml");
const TRACKERS: &str = include_str!("../../../trackers.toml");

/// The error `consent` (with the shipped trackers.toml) is rejected with.
fn err(consent: &str) -> ConfigError {
    match from_toml(consent, TRACKERS) {
        Ok(_) => panic!("accepted:\n{consent}"),
        Err(e) => e,
    }
}

/// Asserts the error's kind, its `file:line:col:` prefix and a part of its text.
fn expect(e: &ConfigError, kind: &str, at: &str, text: &str) {
    let got_kind = match e {
        ConfigError::Syntax { .. } => "syntax",
        ConfigError::Type { .. } => "type",
        ConfigError::Invalid { .. } => "invalid",
    };
    let shown = e.to_string();
    assert_eq!(got_kind, kind, "{shown}");
    assert!(
        shown.starts_with(&format!("{at}: ")),
        "want {at}: …, got {shown}"
    );
    assert!(shown.contains(text), "want {text:?} in {shown}");
}

#[test]
fn the_shipped_files_are_valid() {
    let v = from_toml(CONSENT, TRACKERS).unwrap();
    assert!(v.config.routes.len() >= 2);
    assert!(v.catalog.vendor.len() >= 10);
}

#[test]
fn syntax_errors() {
    expect(
        &err("[policy\nrevision = 1\n"),
        "syntax",
        "consent.toml:1:8",
        "invalid table header",
    );
    expect(
        &err("[policy]\nrevision = \n"),
        "syntax",
        "consent.toml:2:12",
        "invalid string",
    );
    expect(
        &err("[policy]\nrevision = 1\nrevision = 2\n"),
        "syntax",
        "consent.toml:3:1",
        "duplicate key",
    );
}

#[test]
fn type_errors_unknown_keys_and_variants() {
    let cases = [
        (
            "[policy]\nrevision = \"two\"\n",
            "consent.toml:2:12",
            "expected u32",
        ),
        (
            "[policy]\nrevison = 1\n",
            "consent.toml:2:1",
            "unknown field `revison`",
        ),
        (
            "[polcy]\nrevision = 1\n",
            "consent.toml:1:2",
            "unknown field `polcy`",
        ),
        (
            "[policy]\nurl = \"/p\"\n",
            "consent.toml:1:1",
            "missing field `revision`",
        ),
        (
            "[banner]\nposition = \"left\"\n",
            "consent.toml:2:12",
            "unknown variant `left`",
        ),
        (
            "[filter]\nblocking = \"hide\"\n",
            "consent.toml:2:12",
            "unknown variant `hide`",
        ),
        (
            "[[routes]]\npattern = \"/x\"\nmode = \"off\"\n",
            "consent.toml:3:8",
            "unknown variant `off`",
        ),
        (
            "[trackers]\nunknown_scripts = \"necessary\"\n",
            "consent.toml:2:19",
            "unknown_scripts",
        ),
        (
            "[cache]\nenabled = \"yes\"\n",
            "consent.toml:2:11",
            "invalid type",
        ),
        (
            "[records]\nretention_days = -1\n",
            "consent.toml:2:18",
            "invalid value",
        ),
    ];
    for (text, at, want) in cases {
        expect(&err(text), "type", at, want);
    }
}

#[test]
fn semantic_errors_point_at_the_value() {
    let cases = [
        // Unknown vendor ids.
        (
            "[trackers]\nallow = [\"plausible\", \"typo\"]\n",
            "consent.toml:2:23",
            "trackers.allow[1]: unknown vendor \"typo\"",
        ),
        (
            "[trackers.recategorize]\nnope = \"analytics\"\n",
            "consent.toml:2:1",
            "trackers.recategorize.nope: unknown vendor \"nope\"",
        ),
        (
            "[[routes]]\npattern = \"/x/*\"\nallow_vendors = [\"stripe\"]\n",
            "consent.toml:3:18",
            "routes[0].allow_vendors[0]: unknown vendor \"stripe\"",
        ),
        // A vendor the site adds may be allowed.
        (
            "[trackers]\nallow = [\"acme\"]\n[[trackers.vendors]]\nid = \"Acme\"\nname = \"A\"\ncategory = \"analytics\"\n",
            "consent.toml:4:6",
            "trackers.vendors[0].id: vendor id \"Acme\"",
        ),
        (
            "[trackers]\nfirst_party = [\"cdn example.com\"]\n",
            "consent.toml:2:16",
            "trackers.first_party[0]: invalid host",
        ),
        // Banner variants, max ages, regimes.
        (
            "[jurisdictions.regimes]\neu = { model = \"opt-in\", variant = \"popup\" }\n",
            "consent.toml:2:36",
            "jurisdictions.regimes.eu.variant: unknown variant \"popup\"",
        ),
        (
            "[jurisdictions.regimes]\neu = { model = \"opt-in\", max_age_days = 0 }\n",
            "consent.toml:2:41",
            "jurisdictions.regimes.eu.max_age_days: 0 days: expected 1..=395",
        ),
        (
            "[jurisdictions.regimes]\neu = { model = \"opt-in\", defaults = [\"advertising\"] }\n",
            "consent.toml:2:37",
            "cannot grant \"advertising\"",
        ),
        (
            "[jurisdictions.regimes]\nEU = { model = \"opt-in\" }\n",
            "consent.toml:2:1",
            "a regime id is",
        ),
        (
            "[jurisdictions.regimes]\neu = { model = \"opt-in\" }\n[jurisdictions.map]\nus-ca = \"us\"\n",
            "consent.toml:4:9",
            "jurisdictions.map.US-CA: \"us\": no [jurisdictions.regimes.us] defined",
        ),
        // Routes.
        (
            "[[routes]]\npattern = \"/ok\"\n[[routes]]\npattern = \"shop.example.com\"\n",
            "consent.toml:4:11",
            "routes[1].pattern: \"shop.example.com\": never matches",
        ),
        (
            "[[routes]]\npattern = \"/x\"\nvariant = \"modal\"\n",
            "consent.toml:3:11",
            "routes[0].variant: unknown variant \"modal\"",
        ),
        // Cookie, filter, records, banner.
        (
            "[cookie]\nname = \"my cookie\"\n",
            "consent.toml:2:8",
            "cookie.name: \"my cookie\"",
        ),
        (
            "[cookie]\nname = \"__Host-consent\"\n",
            "consent.toml:2:8",
            "cookie.name: \"__Host-consent\": give the base name without __Host-/__Secure-",
        ),
        (
            "[cookie]\nendpoint = \"consent\"\n",
            "consent.toml:2:12",
            "cookie.endpoint: \"consent\"",
        ),
        (
            "[filter]\nmemory_limit = 100\n",
            "consent.toml:2:16",
            "filter.memory_limit: 100 bytes",
        ),
        (
            "[records]\nretention_days = 0\n",
            "consent.toml:2:18",
            "records.retention_days: 0: expected 1 ..= 36500",
        ),
        (
            "[records]\npurge_batch = 9000\n",
            "consent.toml:2:15",
            "records.purge_batch: 9000",
        ),
        (
            "[cache]\nsession_cookies = [\"ok\", \"a b\"]\n",
            "consent.toml:2:26",
            "cache.session_cookies[1]: \"a b\": expected a cookie name",
        ),
        (
            "[banner]\ndefault_lang = \"sv\"\n",
            "consent.toml:2:16",
            "banner.default_lang: \"sv\": not a built-in language",
        ),
        (
            "[banner.strings.\"pt br\"]\ntitle = \"x\"\n",
            "consent.toml:1:17",
            "banner.strings.\"pt br\": \"pt br\" is not a language tag",
        ),
        (
            "[[cookies]]\nname = \" \"\nprovider = \"p\"\ncategory = \"necessary\"\npurpose = \"x\"\nduration = \"1 day\"\n",
            "consent.toml:2:8",
            "cookies[0].name: empty cookie name",
        ),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(text, at, want)| {
            let e = err(text);
            let shown = e.to_string();
            let ok = matches!(e, ConfigError::Invalid { .. })
                && shown.starts_with(&format!("{at}: "))
                && shown.contains(want);
            (!ok).then(|| format!("{text:?}\n  want {at}: …{want}…\n  got  {shown}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // A language the site defines may be the default.
    assert!(from_toml(
        "[banner]\ndefault_lang = \"sv\"\n[banner.strings.sv]\ntitle = \"Integritet\"\n",
        TRACKERS
    )
    .is_ok());
}

#[test]
fn errors_in_the_catalog_name_trackers_toml() {
    let dup = format!(
        "{TRACKERS}\n[[vendor]]\nid = \"youtube\"\nname = \"Again\"\ncategory = \"functional\"\n"
    );
    let line = dup.lines().count() - 2;
    let e = from_toml("", &dup).unwrap_err();
    expect(
        &e,
        "invalid",
        &format!("trackers.toml:{line}:6"),
        "is defined twice",
    );
    let e = from_toml(
        "",
        "[[vendor]]\nid = \"x\"\nname = \"X\"\ncategory = \"analytics\"\nhosts = [\"NoDot\"]\n",
    )
    .unwrap_err();
    expect(&e, "invalid", "trackers.toml:5:10", "vendor[0].hosts[0]");
    let e = from_toml("", "[[vendor]\n").unwrap_err();
    expect(&e, "syntax", "trackers.toml:1:9", "");
    assert_eq!(e.file(), "trackers.toml");
}

#[test]
fn canonical_json_round_trips_and_is_stable() {
    let v = from_toml(CONSENT, TRACKERS).unwrap();
    let (c, t) = v.to_json();
    let back = from_json(&c, &t).unwrap();
    assert_eq!(back, v);
    // Canonical: a second trip writes the same bytes, and defaults are
    // written out rather than left to the reader.
    assert_eq!(back.to_json(), (c.clone(), t));
    assert!(c.contains("\"forward_to_origin\":false"), "{c}");
    // Map keys in their canonical spelling.
    let v = from_toml(
        "[jurisdictions.regimes]\nx = { model = \"notice\" }\n[jurisdictions.map]\nus-ca = \"x\"\n\"Continent:eu\" = \"x\"\n",
        TRACKERS,
    )
    .unwrap();
    let (c, _) = v.to_json();
    assert!(
        c.contains("\"US-CA\":\"x\"") && c.contains("\"continent:EU\":\"x\""),
        "{c}"
    );
}

#[test]
fn json_errors_have_no_position_but_name_the_file() {
    let v = from_toml(CONSENT, TRACKERS).unwrap();
    let (c, t) = v.to_json();
    let e = from_json("{\"policy\":{\"revision\":\"two\"}}", &t).unwrap_err();
    assert!(matches!(e, ConfigError::Type { line: 0, .. }), "{e:?}");
    assert!(
        e.to_string().starts_with("consent.toml: embedded JSON: "),
        "{e}"
    );
    let mut bad = v.config.clone();
    bad.trackers.allow.push("typo".into());
    let e = Validated::new(bad, v.catalog.clone()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "consent.toml: trackers.allow[0]: unknown vendor \"typo\""
    );
    assert_eq!(e.position(), (0, 0));
    let e = from_json(
        &c,
        "{\"vendor\":[{\"id\":\"\",\"name\":\"x\",\"category\":\"analytics\"}]}",
    )
    .unwrap_err();
    assert_eq!(e.file(), "trackers.toml");
    assert!(e.to_string().contains("vendor[0].id"), "{e}");
}
