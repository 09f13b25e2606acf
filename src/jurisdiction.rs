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

use crate::consent::{Category, Grants};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// The consent model a law imposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Model {
    /// Nothing optional before an explicit choice (GDPR/ePrivacy and similar).
    #[serde(rename = "opt-in")]
    OptIn,
    /// Allowed until the visitor opts out; GPC honoured (US state laws).
    #[serde(rename = "opt-out")]
    OptOut,
    /// Inform only.
    #[serde(rename = "notice")]
    Notice,
}

impl Model {
    /// The stable id (`"opt-in"`, `"opt-out"`, `"notice"`).
    pub fn id(self) -> &'static str {
        match self {
            Model::OptIn => "opt-in",
            Model::OptOut => "opt-out",
            Model::Notice => "notice",
        }
    }
}

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

/// Banner variants a regime or route may ask for.
pub const VARIANTS: [&str; 4] = ["opt-in", "opt-out", "notice", "none"];

/// The longest a decision may count, in days (13 months: the CNIL's ceiling
/// for consent cookies, délibération n° 2020-091 and its 2020 recommendation).
pub const MAX_AGE_CEILING_DAYS: u32 = 395;

/// Default decision lifetime under opt-in (6 months, CNIL recommendation).
pub const OPT_IN_MAX_AGE_DAYS: u32 = 182;

/// Default decision lifetime under opt-out and notice.
pub const OTHER_MAX_AGE_DAYS: u32 = 365;

/// ISO 3166-1 codes of the 27 EU member states (used to fill
/// [`Geo::is_eu`] for a developer geo override).
pub const EU_COUNTRIES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// `[jurisdictions]` in `consent.toml`.
///
/// `Config::default()` has no table at all, so it resolves every request to
/// [`Regime::strictest`]; the shipped table is in `consent.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// UK only: use the Data (Use and Access) Act 2025 exemption for
    /// statistical (analytics) cookies, granting analytics before a choice
    /// to visitors from `GB` (off by default).
    #[serde(default)]
    pub uk_analytics_exemption: bool,
    /// Named regimes (`[jurisdictions.regimes.<id>]`); the id is stored in the
    /// consent cookie.
    #[serde(default)]
    pub regimes: BTreeMap<String, RegimeDef>,
    /// Geography → regime id. Keys are canonicalised when parsed: `"CC"`,
    /// `"CC-REGION"` and `"continent:XX"` upper-case, `"is_eu"`, `"default"`
    /// and `"unknown"` lower-case.
    #[serde(default, deserialize_with = "deserialize_map")]
    pub map: BTreeMap<String, String>,
}

/// One `[jurisdictions.regimes.<id>]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeDef {
    /// The consent model.
    pub model: Model,
    /// Banner variant (one of [`VARIANTS`]); defaults to the model's id.
    #[serde(default)]
    pub variant: Option<String>,
    /// Decision lifetime in days, 1..=395; defaults to 182 under opt-in,
    /// 365 otherwise.
    #[serde(default)]
    pub max_age_days: Option<u32>,
    /// Whether `Sec-GPC: 1` refuses advertising before a choice (default true).
    #[serde(default)]
    pub honour_gpc: Option<bool>,
    /// Optional categories granted before a decision; defaults to none under
    /// opt-in, all under opt-out and notice.
    #[serde(default)]
    pub defaults: Option<Vec<Category>>,
}

impl RegimeDef {
    /// The regime this entry describes, under `id`.
    pub fn to_regime(&self, id: &str) -> Regime {
        let defaults = match &self.defaults {
            Some(cats) => Grants::from_categories(cats.iter().copied()),
            None if self.model == Model::OptIn => Grants::NECESSARY_ONLY,
            None => Grants::ALL,
        };
        let max_age = self.max_age_days.unwrap_or(match self.model {
            Model::OptIn => OPT_IN_MAX_AGE_DAYS,
            _ => OTHER_MAX_AGE_DAYS,
        });
        Regime {
            id: id.to_string(),
            model: self.model,
            variant: self
                .variant
                .clone()
                .unwrap_or_else(|| self.model.id().to_string()),
            defaults,
            // Never more than the ceiling, even from an unvalidated config.
            max_age_days: max_age.clamp(1, MAX_AGE_CEILING_DAYS),
            honour_gpc: self.honour_gpc.unwrap_or(true),
        }
    }

    fn validate(&self, id: &str) -> Result<(), String> {
        if let Some(v) = &self.variant {
            check_variant(v).map_err(|e| format!("jurisdictions.regimes.{id}.variant: {e}"))?;
        }
        if let Some(days) = self.max_age_days {
            if days == 0 || days > MAX_AGE_CEILING_DAYS {
                return Err(format!(
                    "jurisdictions.regimes.{id}.max_age_days = {days}: expected 1..={MAX_AGE_CEILING_DAYS} \
                     (a consent decision may not count for more than 13 months)"
                ));
            }
        }
        if self.model == Model::OptIn
            && self
                .defaults
                .as_ref()
                .is_some_and(|d| d.contains(&Category::Advertising))
        {
            return Err(format!(
                "jurisdictions.regimes.{id}.defaults: an opt-in regime cannot grant \"advertising\" before a choice"
            ));
        }
        Ok(())
    }
}

/// Checks a banner variant name against [`VARIANTS`].
pub fn check_variant(v: &str) -> Result<(), String> {
    if VARIANTS.contains(&v) {
        Ok(())
    } else {
        Err(format!(
            "unknown variant {v:?}: expected one of {}",
            VARIANTS
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// What kind of `[jurisdictions.map]` key a string is, canonicalised.
fn canonical_key(key: &str) -> Result<String, String> {
    let lower = key.to_ascii_lowercase();
    if matches!(lower.as_str(), "default" | "unknown" | "is_eu") {
        return Ok(lower);
    }
    if let Some(c) = lower.strip_prefix("continent:") {
        return if is_alpha2(c) {
            Ok(format!("continent:{}", c.to_ascii_uppercase()))
        } else {
            Err(format!(
                "map key {key:?}: a continent is two letters (\"continent:EU\")"
            ))
        };
    }
    let upper = key.to_ascii_uppercase();
    let (cc, region) = match upper.split_once('-') {
        Some((cc, r)) => (cc, Some(r)),
        None => (upper.as_str(), None),
    };
    if is_alpha2(cc) && region.is_none_or(is_region) {
        Ok(upper.clone())
    } else {
        Err(format!(
            "map key {key:?}: expected \"CC\", \"CC-REGION\", \"continent:XX\", \"is_eu\", \"default\" or \"unknown\""
        ))
    }
}

fn deserialize_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let raw = BTreeMap::<String, String>::deserialize(d)?;
    let mut out = BTreeMap::new();
    for (k, v) in raw {
        let key = canonical_key(&k).map_err(serde::de::Error::custom)?;
        if out.insert(key.clone(), v).is_some() {
            return Err(serde::de::Error::custom(format!(
                "map key {k:?}: {key:?} is given twice (keys are case-insensitive)"
            )));
        }
    }
    Ok(out)
}

fn is_alpha2(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_region(s: &str) -> bool {
    (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
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

impl Config {
    /// The regime for a request from `geo` (`None`: no geolocation at all).
    pub fn resolve(&self, geo: Option<&Geo>) -> Regime {
        let Some((geo, cc)) = geo.and_then(|g| known_country(g).map(|cc| (g, cc))) else {
            return self.lookup("unknown").unwrap_or_else(Regime::strictest);
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
            .find(|k| self.map.contains_key(k.as_str()))
            .and_then(|k| self.lookup(k))
            .unwrap_or_else(Regime::strictest);
        if self.uk_analytics_exemption && cc == "GB" {
            regime.defaults = regime.defaults.with(Category::Analytics, true);
        }
        regime
    }

    /// The regime a map key points to; `None` if the key is absent or points
    /// nowhere (impossible in a validated config).
    fn lookup(&self, key: &str) -> Option<Regime> {
        let id = self.map.get(key)?;
        self.regimes.get(id).map(|def| def.to_regime(id))
    }

    /// Checks what the types alone cannot: regime ids, variants, max ages,
    /// map keys and that every map value names a regime.
    pub fn validate(&self) -> Result<(), String> {
        for (id, def) in &self.regimes {
            if id.is_empty()
                || id.len() > 32
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            {
                return Err(format!(
                    "jurisdictions.regimes.{id:?}: a regime id is 1 to 32 of a-z, 0-9, '-' or '_'"
                ));
            }
            def.validate(id)?;
        }
        for (key, id) in &self.map {
            let canon = canonical_key(key).map_err(|e| format!("jurisdictions.{e}"))?;
            if &canon != key {
                return Err(format!(
                    "jurisdictions.map key {key:?}: write it as {canon:?}"
                ));
            }
            if !self.regimes.contains_key(id) {
                return Err(format!(
                    "jurisdictions.map.{key:?} = {id:?}: no [jurisdictions.regimes.{id}] defined"
                ));
            }
        }
        Ok(())
    }
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
