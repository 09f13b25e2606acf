//! Jurisdiction: geolocation → legal regime → banner variant.

use crate::consent::Grants;
use serde::{Deserialize, Serialize};

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

/// `[jurisdictions]` in `consent.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {}

/// Parses a dev geo override (`"DE"`, `"US-CA"`): a 2-letter country and an
/// optional `-` and 1–3 letter/digit region. Anything else is `None`.
pub fn parse_geo_override(s: &str) -> Option<Geo> {
    let s = s.trim();
    let (country, region) = match s.split_once('-') {
        Some((c, r)) => (c, Some(r)),
        None => (s, None),
    };
    let ok_country = country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic());
    let ok_region = region
        .is_none_or(|r| (1..=3).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()));
    (ok_country && ok_region).then(|| Geo {
        country: Some(country.to_ascii_uppercase()),
        region: region.map(|r| r.to_ascii_uppercase()),
        is_eu: false,
        continent: None,
    })
}
