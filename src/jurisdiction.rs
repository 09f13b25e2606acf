//! Jurisdiction: geolocation → legal regime → banner variant.

use serde::Deserialize;

/// `[jurisdictions]` in `consent.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {}
