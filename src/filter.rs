//! The lol_html streaming rewriter that neutralises refused trackers.

use serde::Deserialize;

/// `[filter]` in `consent.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {}
