//! The proof-of-consent log.

use serde::Deserialize;

/// `[records]` in `consent.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {}
