//! The worker's configuration: `consent.toml` and `trackers.toml`, embedded
//! at build time, as one validated value.
//!
//! The types and their validation live in the `consent-edge-config` crate,
//! which `build.rs` uses too: a file with any error (syntax, type, unknown
//! key, unknown vendor id, impossible value) fails the build with
//! `consent.toml:LINE:COL: what is wrong`, and the worker embeds the
//! validated, canonical JSON. At run time that JSON is read and validated
//! again by [`load_embedded`], which the shell calls once; nothing falls back
//! to defaults silently.
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

/// `consent.toml` and `trackers.toml` as the canonical JSON `build.rs` wrote
/// after validating them; the worker carries no TOML parser.
#[cfg(target_arch = "wasm32")]
const EMBEDDED_JSON: (&str, &str) = (
    include_str!(concat!(env!("OUT_DIR"), "/consent.json")),
    include_str!(concat!(env!("OUT_DIR"), "/trackers.json")),
);

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

    /// The embedded configuration. `build.rs` refuses to build a worker
    /// whose files do not validate, so this cannot fail in a built worker;
    /// should it anyway, it panics naming the error (the shell calls
    /// [`load_embedded`] first and answers 500 with the error instead).
    pub fn embedded() -> &'static Config {
        match load_embedded() {
            Ok(cfg) => cfg,
            Err(e) => panic!("invalid embedded configuration: {e}"),
        }
    }
}

/// Loads and validates the embedded configuration, once per isolate.
pub fn load_embedded() -> Result<&'static Config, &'static ConfigError> {
    static CFG: OnceLock<Result<Config, ConfigError>> = OnceLock::new();
    CFG.get_or_init(|| {
        #[cfg(target_arch = "wasm32")]
        let valid = consent_edge_config::from_json(EMBEDDED_JSON.0, EMBEDDED_JSON.1);
        #[cfg(not(target_arch = "wasm32"))]
        let valid = consent_edge_config::from_toml(EMBEDDED, crate::trackers::EMBEDDED);
        valid.map(Config)
    })
    .as_ref()
}

impl Catalog {
    /// The catalog of a validated configuration: `trackers.toml` with the
    /// `[trackers]` overrides applied.
    pub fn from_config(cfg: &Config) -> Result<Catalog, ConfigError> {
        Catalog::from_file(cfg.catalog_file(), &cfg.trackers)
            .map_err(|reason| ConfigError::invalid(consent_edge_config::CONSENT_FILE, reason))
    }

    /// The embedded catalog (`trackers.toml`, no overrides), built once.
    /// Panics naming the error if the embedded configuration is invalid,
    /// which `build.rs` rules out.
    pub fn embedded() -> &'static Catalog {
        static CAT: OnceLock<Catalog> = OnceLock::new();
        CAT.get_or_init(|| {
            let file = Config::embedded().catalog_file();
            Catalog::from_file(file, &Default::default())
                .unwrap_or_else(|e| panic!("invalid embedded trackers.toml: {e}"))
        })
    }

    /// The embedded catalog with the embedded `consent.toml` `[trackers]`
    /// overrides applied, built once. For the shell; the core takes a
    /// `&Catalog` parameter. Panics naming the error if the embedded
    /// configuration is invalid, which `build.rs` rules out.
    pub fn configured() -> &'static Catalog {
        static CAT: OnceLock<Result<Catalog, ConfigError>> = OnceLock::new();
        match CAT.get_or_init(|| Catalog::from_config(Config::embedded())) {
            Ok(cat) => cat,
            Err(e) => panic!("invalid embedded configuration: {e}"),
        }
    }
}

#[cfg(test)]
mod tests;
