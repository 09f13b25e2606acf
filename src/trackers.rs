//! The tracker catalog (vendors, hosts, script signatures, cookies) and host matching.

use serde::Deserialize;

/// `[trackers]` in `consent.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {}
