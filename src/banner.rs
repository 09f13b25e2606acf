//! Banner, cookie declaration and consent status rendering, i18n.

use serde::Deserialize;

/// `[banner]` in `consent.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {}
