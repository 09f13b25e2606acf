//! Jurisdiction: geolocation → legal regime → banner variant.
//!
//! The table lives in `consent.toml` under `[jurisdictions]`: named regimes
//! (`[jurisdictions.regimes.<id>]`) and a map from geography to regime id
//! (`[jurisdictions.map]`). [`Config::resolve`] picks the regime for one
//! request with this precedence:
//!
//! 1. `"CC-REGION"` (`"US-CA"`, `"CA-QC"`),
//! 2. `"CC"` (`"DE"`),
//! 3. `"is_eu"` when Cloudflare flags the country as an EU member,
//! 4. `"continent:XX"` (`"continent:EU"`),
//! 5. `"default"`.
//!
//! An unknown origin — no geolocation, no or malformed country, `XX`, `T1`
//! (Tor) or another ISO user-assigned code — resolves to the `"unknown"`
//! entry if the owner set one, otherwise to [`Regime::strictest`]. So does a
//! known origin that no entry covers (no `"default"`): without a table,
//! everything is opt-in.

use crate::model::{Category, Grants};
use consent_edge_config::jurisdictions::{is_alpha2, is_region};

pub use consent_edge_config::jurisdictions::{
    check_variant, Model, RegimeDef, MAX_AGE_CEILING_DAYS, OPT_IN_MAX_AGE_DAYS, OTHER_MAX_AGE_DAYS,
    VARIANTS,
};
/// `[jurisdictions]` in `consent.toml`: the regimes and the geography map.
/// `Config::default()` has no table at all, so it resolves every request to
/// [`Regime::strictest`]; the shipped table is in `consent.toml`.
pub use consent_edge_config::Jurisdictions as Config;

/// Where a request comes from, as far as the edge knows (`request.cf`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Geo {
    /// ISO 3166-1 alpha-2 country (`"DE"`), `"XX"`, `"T1"` (Tor), or `None` when unknown.
    pub country: Option<String>,
    /// ISO 3166-2 subdivision code without the country (`"CA"` for California).
    pub region: Option<String>,
    /// Cloudflare's `isEUCountry` flag.
    pub is_eu: bool,
    /// Continent code (`"EU"`, `"NA"`, …) when known.
    pub continent: Option<String>,
}

/// The legal regime resolved for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regime {
    /// Jurisdiction id (`"eu"`, `"us-ca"`, `"default"`, …), stored in the cookie.
    pub id: String,
    /// The consent model.
    pub model: Model,
    /// Banner variant to show (`"opt-in"`, `"opt-out"`, `"notice"`, `"none"`, or a custom one).
    pub variant: String,
    /// What is granted before any decision.
    pub defaults: Grants,
    /// How long a decision counts (and the cookie lives), in days (≤ 395).
    pub max_age_days: u32,
    /// Whether `Sec-GPC: 1` refuses sale/sharing (advertising) before a choice.
    pub honour_gpc: bool,
}

impl Regime {
    /// The strictest regime: opt-in, nothing optional granted, 182 days.
    pub fn strictest() -> Regime {
        Regime {
            id: "unknown".into(),
            model: Model::OptIn,
            variant: "opt-in".into(),
            defaults: Grants::NECESSARY_ONLY,
            max_age_days: 182,
            honour_gpc: true,
        }
    }
}

/// ISO 3166-1 codes of the 27 EU member states (used to fill
/// [`Geo::is_eu`] for a developer geo override).
pub const EU_COUNTRIES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// The regime a `[jurisdictions.regimes.<id>]` entry describes, under `id`.
pub fn to_regime(def: &RegimeDef, id: &str) -> Regime {
    let defaults = match &def.defaults {
        Some(cats) => Grants::from_categories(cats.iter().copied()),
        None if def.model == Model::OptIn => Grants::NECESSARY_ONLY,
        None => Grants::ALL,
    };
    let max_age = def.max_age_days.unwrap_or(match def.model {
        Model::OptIn => OPT_IN_MAX_AGE_DAYS,
        _ => OTHER_MAX_AGE_DAYS,
    });
    Regime {
        id: id.to_string(),
        model: def.model,
        variant: def
            .variant
            .clone()
            .unwrap_or_else(|| def.model.id().to_string()),
        defaults,
        // Never more than the ceiling, even from an unvalidated config.
        max_age_days: max_age.clamp(1, MAX_AGE_CEILING_DAYS),
        honour_gpc: def.honour_gpc.unwrap_or(true),
    }
}

/// ISO 3166-1 user-assigned codes (`AA`, `QM`–`QZ`, `XA`–`XZ`, `ZZ`): never a
/// real country. Cloudflare's `XX` (unknown) is one of them.
fn is_user_assigned(cc: &str) -> bool {
    matches!(
        cc.as_bytes(),
        [b'A', b'A'] | [b'Q', b'M'..=b'Z'] | [b'X', _] | [b'Z', b'Z']
    )
}

/// A geo's country, canonical (upper-case), if it names a real country.
fn known_country(geo: &Geo) -> Option<String> {
    let cc = geo.country.as_deref()?.trim().to_ascii_uppercase();
    (is_alpha2(&cc) && !is_user_assigned(&cc)).then_some(cc)
}

/// Resolving a request against the `[jurisdictions]` table:
/// `cfg.jurisdictions.resolve(geo)` with this trait in scope.
pub trait Resolve {
    /// The regime for a request from `geo` (`None`: no geolocation at all).
    fn resolve(&self, geo: Option<&Geo>) -> Regime;
}

impl Resolve for Config {
    fn resolve(&self, geo: Option<&Geo>) -> Regime {
        resolve(self, geo)
    }
}

/// The regime `table` gives a request from `geo` (`None`: no geolocation
/// at all), with the precedence in the module docs.
pub fn resolve(table: &Config, geo: Option<&Geo>) -> Regime {
    let Some((geo, cc)) = geo.and_then(|g| known_country(g).map(|cc| (g, cc))) else {
        return lookup(table, "unknown").unwrap_or_else(Regime::strictest);
    };
    let mut keys = Vec::with_capacity(5);
    if let Some(r) = geo.region.as_deref() {
        let r = r.trim().to_ascii_uppercase();
        let r = r.strip_prefix(&format!("{cc}-")).unwrap_or(&r);
        if is_region(r) {
            keys.push(format!("{cc}-{r}"));
        }
    }
    keys.push(cc.clone());
    if geo.is_eu {
        keys.push("is_eu".into());
    }
    if let Some(c) = geo.continent.as_deref() {
        let c = c.trim().to_ascii_uppercase();
        if is_alpha2(&c) {
            keys.push(format!("continent:{c}"));
        }
    }
    keys.push("default".into());
    let mut regime = keys
        .iter()
        .find(|k| table.map.contains_key(k.as_str()))
        .and_then(|k| lookup(table, k))
        .unwrap_or_else(Regime::strictest);
    if table.uk_analytics_exemption && cc == "GB" {
        regime.defaults = regime.defaults.with(Category::Analytics, true);
    }
    regime
}

/// The regime a map key points to; `None` if the key is absent or points
/// nowhere (impossible in a validated config).
fn lookup(table: &Config, key: &str) -> Option<Regime> {
    let id = table.map.get(key)?;
    table.regimes.get(id).map(|def| to_regime(def, id))
}

/// Parses a developer geo override (`"DE"`, `"US-CA"`, `"us-ca"`): two
/// letters, optionally `-` and 1 to 3 letters or digits. Anything else is
/// `None`. The country is flagged EU when it is one of [`EU_COUNTRIES`]; the
/// continent is left unknown.
pub fn parse_geo_override(s: &str) -> Option<Geo> {
    let (cc, region) = match s.split_once('-') {
        Some((cc, r)) => (cc, Some(r)),
        None => (s, None),
    };
    if !is_alpha2(cc) || !region.is_none_or(is_region) {
        return None;
    }
    let cc = cc.to_ascii_uppercase();
    Some(Geo {
        is_eu: EU_COUNTRIES.contains(&cc.as_str()),
        country: Some(cc),
        region: region.map(|r| r.to_ascii_uppercase()),
        continent: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Category::{Advertising, Analytics, Functional};

    fn shipped() -> Config {
        match crate::config::Config::parse("consent.toml", crate::config::EMBEDDED) {
            Ok(c) => c.jurisdictions.clone(),
            Err(e) => panic!("{e}"),
        }
    }

    fn geo(country: &str, region: Option<&str>) -> Geo {
        Geo {
            country: Some(country.into()),
            region: region.map(Into::into),
            is_eu: EU_COUNTRIES.contains(&country),
            continent: None,
        }
    }

    fn at(cfg: &Config, country: &str, region: Option<&str>) -> Regime {
        cfg.resolve(Some(&geo(country, region)))
    }

    fn parse(toml_text: &str) -> Result<Config, String> {
        #[derive(serde::Deserialize)]
        struct Wrap {
            jurisdictions: Config,
        }
        let w: Wrap = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        w.jurisdictions.validate()?;
        Ok(w.jurisdictions)
    }

    fn assert_opt_in(r: &Regime, id: &str) {
        assert_eq!(r.id, id);
        assert_eq!(r.model, Model::OptIn, "{r:?}");
        assert_eq!(r.variant, "opt-in");
        assert_eq!(r.defaults, Grants::NECESSARY_ONLY);
        assert_eq!(r.max_age_days, 182);
        assert!(r.honour_gpc);
    }

    #[test]
    fn eu_and_eea_are_opt_in() {
        let cfg = shipped();
        for cc in EU_COUNTRIES {
            assert_opt_in(&at(&cfg, cc, None), "eu");
        }
        for cc in ["DE", "FR", "IS", "LI", "NO", "RE"] {
            assert_opt_in(&at(&cfg, cc, None), "eu");
        }
        // EEA members are not flagged EU by Cloudflare: the explicit entry counts.
        let no = Geo {
            country: Some("NO".into()),
            is_eu: false,
            continent: Some("EU".into()),
            ..Geo::default()
        };
        assert_opt_in(&cfg.resolve(Some(&no)), "eu");
        // Regions do not matter for a country-level entry.
        assert_opt_in(&at(&cfg, "FR", Some("IDF")), "eu");
    }

    #[test]
    fn uk_ch_br_kr_are_opt_in() {
        let cfg = shipped();
        assert_opt_in(&at(&cfg, "GB", Some("ENG")), "uk");
        assert_opt_in(&at(&cfg, "CH", None), "ch");
        assert_opt_in(&at(&cfg, "BR", Some("SP")), "br");
        assert_opt_in(&at(&cfg, "KR", None), "kr");
    }

    #[test]
    fn uk_analytics_exemption_is_off_by_default_and_grants_analytics_when_on() {
        let mut cfg = shipped();
        assert!(!cfg.uk_analytics_exemption);
        assert!(!at(&cfg, "GB", None).defaults.has(Analytics));
        cfg.uk_analytics_exemption = true;
        let uk = at(&cfg, "GB", None);
        assert_eq!(uk.model, Model::OptIn);
        assert!(uk.defaults.has(Analytics));
        assert!(!uk.defaults.has(Advertising));
        assert!(!uk.defaults.has(Functional));
        // Only the UK.
        assert_opt_in(&at(&cfg, "DE", None), "eu");
        assert_opt_in(&at(&cfg, "IE", None), "eu");
    }

    #[test]
    fn quebec_is_opt_in_rest_of_canada_notice() {
        let cfg = shipped();
        assert_opt_in(&at(&cfg, "CA", Some("QC")), "ca-qc");
        assert_opt_in(&at(&cfg, "ca", Some("qc")), "ca-qc");
        for region in [Some("ON"), Some("BC"), None] {
            let r = at(&cfg, "CA", region);
            assert_eq!(r.id, "notice");
            assert_eq!(r.model, Model::Notice);
        }
    }

    #[test]
    fn us_privacy_states_are_opt_out_with_gpc() {
        let cfg = shipped();
        let states = [
            "CA", "CO", "CT", "DE", "MD", "MN", "MT", "NE", "NH", "NJ", "OR", "TX", "VA", "UT",
            "IA", "IN", "KY", "TN", "RI",
        ];
        for st in states {
            let r = at(&cfg, "US", Some(st));
            assert_eq!(r.id, format!("us-{}", st.to_ascii_lowercase()));
            assert_eq!(r.model, Model::OptOut, "{st}");
            assert_eq!(r.variant, "opt-out");
            assert!(r.honour_gpc, "{st}");
            assert_eq!(r.max_age_days, 365);
            assert_eq!(r.defaults, Grants::ALL, "{st}");
        }
        // cf sometimes carries the full ISO 3166-2 code.
        assert_eq!(at(&cfg, "US", Some("US-CA")).id, "us-ca");
    }

    #[test]
    fn rest_of_us_and_world_is_notice() {
        let cfg = shipped();
        for (cc, region) in [
            ("US", Some("WY")),
            ("US", None),
            ("JP", Some("13")),
            ("AU", None),
        ] {
            let r = at(&cfg, cc, region);
            assert_eq!(r.id, "notice", "{cc} {region:?}");
            assert_eq!(r.model, Model::Notice);
            assert_eq!(r.variant, "notice");
            assert_eq!(r.defaults, Grants::ALL);
            assert_eq!(r.max_age_days, 365);
        }
    }

    #[test]
    fn unknown_origins_are_strictest() {
        let cfg = shipped();
        let strict = Regime::strictest();
        assert_eq!(cfg.resolve(None), strict);
        assert_eq!(cfg.resolve(Some(&Geo::default())), strict);
        for cc in ["XX", "T1", "", "  ", "D", "DEU", "ZZ", "AA", "QX", "1A"] {
            let g = Geo {
                country: Some(cc.into()),
                continent: Some("NA".into()),
                ..Geo::default()
            };
            assert_eq!(cfg.resolve(Some(&g)), strict, "{cc:?}");
        }
        // Even with a region that would otherwise match.
        let g = Geo {
            country: Some("XX".into()),
            region: Some("CA".into()),
            is_eu: true,
            continent: Some("EU".into()),
        };
        assert_eq!(cfg.resolve(Some(&g)), strict);
    }

    #[test]
    fn is_eu_flag_covers_an_unlisted_eu_country() {
        let cfg = shipped();
        // A country the table does not list (say, a future member state).
        let mut g = Geo {
            country: Some("AL".into()),
            is_eu: true,
            continent: Some("EU".into()),
            ..Geo::default()
        };
        assert_opt_in(&cfg.resolve(Some(&g)), "eu");
        g.is_eu = false;
        assert_eq!(cfg.resolve(Some(&g)).id, "notice");
    }

    #[test]
    fn precedence_region_country_flag_continent_default() {
        let cfg = parse(
            r#"
            [jurisdictions.regimes]
            a = { model = "opt-in" }
            b = { model = "opt-out" }
            c = { model = "notice", variant = "none" }
            d = { model = "opt-out", honour_gpc = false, max_age_days = 30 }
            e = { model = "notice" }
            [jurisdictions.map]
            "FR-IDF" = "a"
            FR = "b"
            is_eu = "c"
            "continent:EU" = "d"
            default = "e"
            "#,
        )
        .unwrap();
        let g = |cc: &str, region: Option<&str>, is_eu: bool, cont: Option<&str>| Geo {
            country: Some(cc.into()),
            region: region.map(Into::into),
            is_eu,
            continent: cont.map(Into::into),
        };
        let id = |g: Geo| cfg.resolve(Some(&g)).id;
        assert_eq!(id(g("FR", Some("IDF"), true, Some("EU"))), "a");
        assert_eq!(id(g("FR", Some("ARA"), true, Some("EU"))), "b");
        assert_eq!(id(g("DE", None, true, Some("EU"))), "c");
        assert_eq!(id(g("RS", None, false, Some("EU"))), "d");
        assert_eq!(id(g("RS", None, false, Some("eu"))), "d");
        assert_eq!(id(g("JP", None, false, Some("AS"))), "e");
        let d = cfg.resolve(Some(&g("RS", None, false, Some("EU"))));
        assert!(!d.honour_gpc);
        assert_eq!(d.max_age_days, 30);
        assert_eq!(
            cfg.resolve(Some(&g("DE", None, true, None))).variant,
            "none"
        );
    }

    #[test]
    fn continent_mapping_and_owner_overrides() {
        let cfg = parse(
            r#"
            [jurisdictions]
            uk_analytics_exemption = true
            [jurisdictions.regimes]
            strict = { model = "opt-in", max_age_days = 90, defaults = ["functional"] }
            loose = { model = "notice" }
            mine = { model = "opt-out", defaults = ["functional", "analytics"] }
            [jurisdictions.map]
            "continent:SA" = "strict"
            us-ca = "strict"
            de = "loose"
            JP = "mine"
            unknown = "loose"
            default = "loose"
            "#,
        )
        .unwrap();
        let with_cont = |cc: &str, cont: &str| Geo {
            country: Some(cc.into()),
            continent: Some(cont.into()),
            ..Geo::default()
        };
        let ar = cfg.resolve(Some(&with_cont("AR", "SA")));
        assert_eq!(
            (ar.id.as_str(), ar.model, ar.max_age_days),
            ("strict", Model::OptIn, 90)
        );
        assert_eq!(ar.defaults, Grants::from_categories([Functional]));
        assert_eq!(at(&cfg, "US", Some("CA")).id, "strict");
        assert_eq!(at(&cfg, "US", Some("NY")).id, "loose");
        assert_eq!(at(&cfg, "DE", None).id, "loose");
        let jp = at(&cfg, "JP", None);
        assert_eq!(
            jp.defaults,
            Grants::from_categories([Functional, Analytics])
        );
        // The owner's "unknown" entry replaces the built-in strictest regime.
        assert_eq!(cfg.resolve(None).id, "loose");
        assert_eq!(at(&cfg, "T1", None).id, "loose");
    }

    #[test]
    fn no_table_means_strictest_everywhere_but_an_explicit_default() {
        let empty = Config::default();
        for g in [geo("DE", None), geo("US", Some("CA")), geo("JP", None)] {
            assert_eq!(empty.resolve(Some(&g)), Regime::strictest());
        }
        assert_eq!(empty.resolve(None), Regime::strictest());
        let cfg = parse(
            "[jurisdictions.regimes]\nn = { model = \"notice\" }\n[jurisdictions.map]\ndefault = \"n\"\n",
        )
        .unwrap();
        assert_eq!(at(&cfg, "JP", None).id, "n");
        assert_eq!(at(&cfg, "DE", None).id, "n");
        assert_eq!(cfg.resolve(None), Regime::strictest());
    }

    #[test]
    fn unvalidated_config_never_exceeds_the_ceiling_or_panics() {
        let mut cfg = Config::default();
        cfg.regimes.insert(
            "x".into(),
            RegimeDef {
                model: Model::OptOut,
                variant: None,
                max_age_days: Some(10_000),
                honour_gpc: None,
                defaults: None,
            },
        );
        cfg.map.insert("default".into(), "x".into());
        cfg.map.insert("JP".into(), "missing".into());
        assert_eq!(at(&cfg, "DE", None).max_age_days, 395);
        assert_eq!(at(&cfg, "JP", None), Regime::strictest());
    }

    #[test]
    fn max_age_over_395_is_rejected() {
        let err =
            parse("[jurisdictions.regimes]\neu = { model = \"opt-in\", max_age_days = 396 }\n")
                .unwrap_err();
        assert!(
            err.contains("jurisdictions.regimes.eu.max_age_days: 396 days"),
            "{err}"
        );
        assert!(err.contains("1..=395"), "{err}");
        assert!(parse(
            "[jurisdictions.regimes]\neu = { model = \"opt-in\", max_age_days = 395 }\n"
        )
        .is_ok());
        assert!(
            parse("[jurisdictions.regimes]\neu = { model = \"opt-in\", max_age_days = 0 }\n")
                .is_err()
        );
    }

    #[test]
    fn other_validation_errors() {
        let cases = [
            (
                "[jurisdictions.regimes]\na = { model = \"opt-in\", variant = \"popup\" }\n",
                "unknown variant \"popup\"",
            ),
            (
                "[jurisdictions.regimes]\na = { model = \"opt-in\", defaults = [\"advertising\"] }\n",
                "cannot grant \"advertising\"",
            ),
            (
                "[jurisdictions.regimes]\nA = { model = \"opt-in\" }\n",
                "a regime id is",
            ),
            (
                "[jurisdictions.regimes]\na = { model = \"opt-in\" }\n[jurisdictions.map]\nDE = \"b\"\n",
                "no [jurisdictions.regimes.b] defined",
            ),
            (
                "[jurisdictions.regimes]\na = { model = \"maybe\" }\n",
                "unknown variant `maybe`",
            ),
            (
                "[jurisdictions.regimes]\na = { model = \"opt-in\" }\n[jurisdictions.map]\nGER = \"a\"\n",
                "map key \"GER\"",
            ),
            (
                "[jurisdictions.regimes]\na = { model = \"opt-in\" }\n[jurisdictions.map]\n\"continent:Europe\" = \"a\"\n",
                "a continent is two letters",
            ),
            (
                "[jurisdictions.regimes]\na = { model = \"opt-in\" }\n[jurisdictions.map]\nDE = \"a\"\nde = \"a\"\n",
                "given twice",
            ),
            (
                "[jurisdictions.regimes]\na = { model = \"opt-in\", max_age = 3 }\n",
                "unknown field `max_age`",
            ),
        ];
        for (text, want) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.contains(want), "{text}\n→ {err}");
        }
    }

    #[test]
    fn whole_config_rejects_bad_jurisdictions_with_location() {
        let text = "[policy]\nrevision = 1\n[jurisdictions.regimes]\neu = { model = \"opt-in\", max_age_days = 400 }\n";
        let err = crate::config::Config::parse("consent.toml", text)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("consent.toml:4:41: jurisdictions.regimes.eu.max_age_days: 400 days"),
            "{err}"
        );
    }

    #[test]
    fn geo_override_parser() {
        let de = parse_geo_override("DE").unwrap();
        assert_eq!(de.country.as_deref(), Some("DE"));
        assert_eq!(de.region, None);
        assert!(de.is_eu);
        for s in ["US-CA", "us-ca", "Us-cA"] {
            let g = parse_geo_override(s).unwrap();
            assert_eq!(g.country.as_deref(), Some("US"), "{s}");
            assert_eq!(g.region.as_deref(), Some("CA"), "{s}");
            assert!(!g.is_eu);
        }
        assert_eq!(
            parse_geo_override("FR-IDF").unwrap().region.as_deref(),
            Some("IDF")
        );
        assert_eq!(
            parse_geo_override("JP-13").unwrap().region.as_deref(),
            Some("13")
        );
        for bad in [
            "", "D", "DEU", "T1", "1A", "US-", "US-CALI", "US_CA", " DE", "DE ", "US-C A",
            "US--CA", "US-CA-X", "ÜS", "DE-ü", "-CA",
        ] {
            assert_eq!(parse_geo_override(bad), None, "{bad:?}");
        }
        // Round trip through the shipped table.
        let cfg = shipped();
        assert_eq!(
            cfg.resolve(parse_geo_override("us-ca").as_ref()).id,
            "us-ca"
        );
        assert_eq!(
            cfg.resolve(parse_geo_override("ca-qc").as_ref()).id,
            "ca-qc"
        );
        assert_eq!(
            cfg.resolve(parse_geo_override("XX").as_ref()),
            Regime::strictest()
        );
    }
}
