//! `[filter]`: how refused trackers are neutralised in HTML.

use crate::error::{Invalid, Path};
use serde::{Deserialize, Serialize};

/// How a refused tracker is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocking {
    /// Keep the element, inert, so the banner's script can activate it
    /// without a reload (the default).
    #[default]
    Neutralize,
    /// Drop the element entirely.
    Remove,
}

/// `[filter]` in `consent.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSettings {
    /// `"neutralize"` (default) or `"remove"`.
    #[serde(default)]
    pub blocking: Blocking,
    /// lol_html memory limit per response, in bytes (default 4 MiB).
    #[serde(default = "default_memory_limit")]
    pub memory_limit: usize,
    /// How much of one inline script / noscript is held back while looking
    /// for tracker signatures, in bytes (default 256 KiB).
    #[serde(default = "default_max_held")]
    pub max_held_bytes: usize,
}

fn default_memory_limit() -> usize {
    4 << 20
}

fn default_max_held() -> usize {
    256 << 10
}

impl Default for FilterSettings {
    fn default() -> Self {
        FilterSettings {
            blocking: Blocking::Neutralize,
            memory_limit: default_memory_limit(),
            max_held_bytes: default_max_held(),
        }
    }
}

/// Below this lol_html cannot hold even a small page's open elements: every
/// response would be cut by the fail-safe.
pub const MIN_MEMORY_LIMIT: usize = 4 << 10;

impl FilterSettings {
    /// Checks the limits are ones a page can be filtered under.
    pub fn check(&self) -> Result<(), Invalid> {
        let at = Path::key("filter");
        if self.memory_limit < MIN_MEMORY_LIMIT {
            return Err(Invalid::at(
                at.k("memory_limit"),
                format!(
                    "{} bytes: expected at least {MIN_MEMORY_LIMIT} (every page would be cut)",
                    self.memory_limit
                ),
            ));
        }
        if self.max_held_bytes == 0 {
            return Err(Invalid::at(
                at.k("max_held_bytes"),
                "0 bytes: expected at least 1",
            ));
        }
        Ok(())
    }
}
