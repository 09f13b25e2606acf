//! `[jurisdictions]`: named legal regimes and the geography → regime map.
//! Resolving a request against this table is the worker's `jurisdiction`
//! module; this is only the table and its rules.

use crate::error::{Invalid, Path};
use crate::model::Category;
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

/// Banner variants a regime or route may ask for.
pub const VARIANTS: [&str; 4] = ["opt-in", "opt-out", "notice", "none"];

/// The longest a decision may count, in days: 13 months, the maximum
/// tracker lifetime in the CNIL guidelines on cookies (délibération
/// n° 2020-091), used by the project as a hard ceiling for every regime.
pub const MAX_AGE_CEILING_DAYS: u32 = 395;

/// Default decision lifetime under opt-in (6 months, CNIL recommendation).
pub const OPT_IN_MAX_AGE_DAYS: u32 = 182;

/// Default decision lifetime under opt-out and notice.
pub const OTHER_MAX_AGE_DAYS: u32 = 365;

/// `[jurisdictions]` in `consent.toml`.
///
/// The default has no table at all, so it resolves every request to the
/// strictest regime; the shipped table is in `consent.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jurisdictions {
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    fn check(&self, at: &Path) -> Result<(), Invalid> {
        if let Some(v) = &self.variant {
            check_variant(v).map_err(|e| Invalid::at(at.k("variant"), e))?;
        }
        if let Some(days) = self.max_age_days {
            if days == 0 || days > MAX_AGE_CEILING_DAYS {
                return Err(Invalid::at(
                    at.k("max_age_days"),
                    format!(
                        "{days} days: expected 1..={MAX_AGE_CEILING_DAYS} \
                         (a consent decision may not count for more than 13 months)"
                    ),
                ));
            }
        }
        if self.model == Model::OptIn
            && self
                .defaults
                .as_ref()
                .is_some_and(|d| d.contains(&Category::Advertising))
        {
            return Err(Invalid::at(
                at.k("defaults"),
                "an opt-in regime cannot grant \"advertising\" before a choice",
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
pub fn canonical_key(key: &str) -> Result<String, String> {
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

/// Two ASCII letters (a country or continent code).
pub fn is_alpha2(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

/// 1 to 3 ASCII letters or digits (an ISO 3166-2 subdivision suffix).
pub fn is_region(s: &str) -> bool {
    (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Jurisdictions {
    /// Checks what the types alone cannot: regime ids, variants, max ages,
    /// map keys and that every map value names a regime.
    pub fn check(&self) -> Result<(), Invalid> {
        let at = Path::key("jurisdictions");
        for (id, def) in &self.regimes {
            let here = at.k("regimes").k(id);
            if id.is_empty()
                || id.len() > 32
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            {
                return Err(Invalid::key(
                    here,
                    format!("regime id {id:?}: a regime id is 1 to 32 of a-z, 0-9, '-' or '_'"),
                ));
            }
            def.check(&here)?;
        }
        for (key, id) in &self.map {
            let here = at.k("map").k(key);
            let canon = canonical_key(key).map_err(|e| Invalid::key(here.clone(), e))?;
            if &canon != key {
                return Err(Invalid::key(here, format!("write the key as {canon:?}")));
            }
            if !self.regimes.contains_key(id) {
                return Err(Invalid::at(
                    here,
                    format!("{id:?}: no [jurisdictions.regimes.{id}] defined"),
                ));
            }
        }
        Ok(())
    }

    /// [`Jurisdictions::check`] as a message (`jurisdictions.regimes.eu.max_age_days: …`).
    pub fn validate(&self) -> Result<(), String> {
        self.check().map_err(|e| e.to_string())
    }
}
