//! `[filter]` in `consent.toml`.

use serde::Deserialize;

/// How a refused tracker is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
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

impl Default for Config {
    fn default() -> Self {
        Config {
            blocking: Blocking::Neutralize,
            memory_limit: default_memory_limit(),
            max_held_bytes: default_max_held(),
        }
    }
}
