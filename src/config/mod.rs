//! The worker's configuration: `consent.toml` and `trackers.toml`, embedded
//! at build time, as one validated value.
//!
//! The types and their validation live in the `consent-edge-config` crate,
//! which `build.rs` uses too: a file with any error (syntax, type, unknown
//! key, unknown vendor id, impossible value) fails the build with
//! `consent.toml:LINE:COL: what is wrong`. Only a validated configuration is
//! embedded: the tracker catalog as `static` Rust data (copied into the
//! config types, never parsed: `trackers/embedded.rs`) and `consent.toml`'s
//! settings as a Rust expression that builds them (`build.rs`,
//! `buildscript/settings.rs`; every default written out, so nothing falls
//! back to a default silently), run once by [`Config::embedded`],
//! which the shell's `start` event calls. Nothing is deserialised: before stop 12 the
//! settings were canonical JSON read with serde_json once per isolate
//! (docs/BENCHMARKS.md "Startup (stop 12)" has both, step by step). The
//! same code runs on both targets, so the native tests check what ships.
//!
//! This module depends on the modules it configures (it builds their
//! [`Catalog`]); none of them depends on it. Functions below the shell take
//! the narrow settings they need as parameters.

use crate::trackers::Catalog;
use std::ops::Deref;
use std::sync::OnceLock;

/// The `consent.toml` settings, every section typed.
pub use consent_edge_config::Config as Settings;
pub use consent_edge_config::{
    CatalogFile, ConfigError, CookieDecl, Invalid, Mode, Policy, Route, Validated,
};

/// The `consent.toml` shipped with the worker (embedded at build time).
pub const EMBEDDED: &str = include_str!("../../consent.toml");

/// The validated configuration: `consent.toml`'s [`Settings`] (reached
/// through `Deref`: `cfg.cookie.name`) and the tracker catalog file they were
/// checked against. Only made by a loader, which validates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config(Validated);

impl Deref for Config {
    type Target = Settings;
    fn deref(&self) -> &Settings {
        &self.0.config
    }
}

impl Config {
    /// Checks `settings` against the catalog file `catalog`.
    pub fn new(settings: Settings, catalog: CatalogFile) -> Result<Config, ConfigError> {
        Validated::new(settings, catalog).map(Config)
    }

    /// The `consent.toml` settings.
    pub fn settings(&self) -> &Settings {
        &self.0.config
    }

    /// The tracker catalog file (`trackers.toml`).
    pub fn catalog_file(&self) -> &CatalogFile {
        &self.0.catalog
    }

    /// Parses and validates a `consent.toml` (named `file` in errors)
    /// against the embedded `trackers.toml`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        let catalog = consent_edge_config::parse_toml::<CatalogFile>(
            consent_edge_config::TRACKERS_FILE,
            crate::trackers::EMBEDDED,
        )?;
        let settings = consent_edge_config::consent_toml(file, text)?;
        settings
            .check(&catalog)
            .map_err(|e| consent_edge_config::locate_invalid(file, text, e))?;
        Ok(Config(Validated {
            config: settings,
            catalog,
        }))
    }

    /// The embedded configuration, built once per isolate from what
    /// `build.rs` generated: the settings and the catalog file. Both were
    /// validated by `build.rs`, which refuses to build a worker whose files
    /// do not validate, so nothing is left to fail here (a test checks the
    /// value equals the validated TOML).
    pub fn embedded() -> &'static Config {
        static CFG: OnceLock<Config> = OnceLock::new();
        CFG.get_or_init(|| {
            Config(Validated {
                config: static_settings(),
                catalog: crate::trackers::static_catalog_file(),
            })
        })
    }
}

/// The embedded `consent.toml` settings, built by the expression `build.rs`
/// wrote from the validated file (not validated again: `build.rs` did, and
/// a test checks the value equals the parsed TOML).
pub fn static_settings() -> Settings {
    include!(concat!(env!("OUT_DIR"), "/settings.rs"))
}

/// A string of the generated settings expression as the type of its field:
/// a `String`, or a type whose `Serialize` writes a string.
trait Literal {
    fn lit(s: &'static str) -> Self;
}

impl Literal for String {
    fn lit(s: &'static str) -> Self {
        s.to_owned()
    }
}

impl Literal for consent_edge_config::UnknownScripts {
    /// `"allow"` or a category id (`build.rs` validated it). Anything else
    /// cannot come from a validated file; it would fail closed, as the
    /// strictest category.
    fn lit(s: &'static str) -> Self {
        match crate::model::Category::from_id(s) {
            _ if s == "allow" => Self::Allow,
            Some(c) => Self::Category(c),
            None => Self::Category(crate::model::Category::Advertising),
        }
    }
}

fn lit<T: Literal>(s: &'static str) -> T {
    T::lit(s)
}

/// A map of the generated settings expression (every map of the settings
/// is a `BTreeMap`). Inserted pair by pair: `FromIterator` for a B-tree
/// sorts the pairs first, and each map type's sort was an instantiation of
/// its own in the wasm (docs/BENCHMARKS.md, "Wasm size, stop 14"). The
/// pairs come from a map, so their keys are already distinct.
fn map_of<K: Ord, V, const N: usize>(pairs: [(K, V); N]) -> std::collections::BTreeMap<K, V> {
    let mut map = std::collections::BTreeMap::new();
    for (k, v) in pairs {
        map.insert(k, v);
    }
    map
}

impl Catalog {
    /// The catalog of a validated configuration: `trackers.toml` with the
    /// `[trackers]` overrides applied.
    pub fn from_config(cfg: &Config) -> Result<Catalog, ConfigError> {
        Catalog::from_file(cfg.catalog_file(), &cfg.trackers)
            .map_err(|reason| ConfigError::invalid(consent_edge_config::CONSENT_FILE, reason))
    }

    /// The embedded catalog (`trackers.toml`, no overrides), built once.
    /// When `consent.toml` `[trackers]` is the default (the shipped one is)
    /// this is [`Catalog::configured`], on the build-time tables; otherwise
    /// it is compiled at run time. Panics naming the error if the embedded
    /// configuration is invalid, which `build.rs` rules out.
    pub fn embedded() -> &'static Catalog {
        if crate::trackers::PLAIN_SETTINGS {
            return Catalog::configured();
        }
        static CAT: OnceLock<Catalog> = OnceLock::new();
        CAT.get_or_init(|| {
            let file = Config::embedded().catalog_file();
            Catalog::from_file(file, &Default::default())
                .unwrap_or_else(|e| panic!("invalid embedded trackers.toml: {e}"))
        })
    }

    /// The embedded catalog with the embedded `consent.toml` `[trackers]`
    /// overrides applied, on the tables `build.rs` compiled (nothing parsed
    /// or sorted at run time; the signature automaton is built on the first
    /// inline script). For the shell; the core takes a `&Catalog`
    /// parameter. Panics naming the error if the embedded configuration is
    /// invalid, which `build.rs` rules out.
    pub fn configured() -> &'static Catalog {
        static CAT: OnceLock<Result<Catalog, ConfigError>> = OnceLock::new();
        let cat = CAT.get_or_init(|| {
            let cfg = Config::embedded();
            crate::trackers::static_catalog(cfg.catalog_file(), &cfg.trackers)
                .map_err(|e| ConfigError::invalid(consent_edge_config::CONSENT_FILE, e))
        });
        match cat {
            Ok(cat) => cat,
            Err(e) => panic!("invalid embedded configuration: {e}"),
        }
    }
}

#[cfg(test)]
mod tests;
