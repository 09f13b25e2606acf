//! # consent-edge-config
//!
//! The configuration of the consent-edge worker as one typed, validated
//! value: `consent.toml` ([`Config`]) and the tracker catalog `trackers.toml`
//! ([`CatalogFile`]).
//!
//! The same code runs in two places:
//!
//! - **at build time** (`build.rs`, feature `toml`): [`from_toml`] parses and
//!   validates both files; any error stops the build with
//!   `consent.toml:LINE:COL: what is wrong`, and [`Validated::to_json`]
//!   writes the canonical form the worker embeds;
//! - **at run time** (the worker, no TOML parser): the worker embeds
//!   `consent.toml`'s JSON (validated again on first use, so nothing falls
//!   back to a default silently) and the catalog as static Rust data that
//!   `build.rs` emits; [`from_json`] reads both JSON forms for tests and
//!   tools.
//!
//! Every section type lives here, with the rules the types alone cannot
//! express ([`Config::check`]). What a section *does* (resolving a regime,
//! matching a tracker, rendering the banner) lives in the worker's module of
//! the same name. [`model`] is the consent vocabulary they all share.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod banner;
pub mod cache;
pub mod csp;
mod error;
pub mod filter;
pub mod jurisdictions;
#[cfg(feature = "toml")]
mod locate;
pub mod model;
pub mod records;
pub mod routes;
pub mod rust;
pub mod trackers;

pub use banner::{BannerSettings, ConsentMode, Position, ReopenButton, Strings, BUILTIN_LANGS};
pub use cache::CacheSettings;
pub use csp::{CspMode, CspSettings};
pub use error::{ConfigError, Invalid, Path, Seg};
pub use filter::{Blocking, FilterSettings};
pub use jurisdictions::{Jurisdictions, Model, RegimeDef};
pub use model::{Category, Grants};
pub use records::RecordsSettings;
pub use routes::{CookieDecl, Mode, Route};
pub use trackers::{
    CatalogFile, Library, SelfHosted, SelfHostedAnalytics, TagIds, TrackerSettings, UnknownScripts,
    Vendor,
};

use serde::{Deserialize, Serialize};

/// The name `consent.toml` errors carry.
pub const CONSENT_FILE: &str = "consent.toml";
/// The name `trackers.toml` errors carry.
pub const TRACKERS_FILE: &str = "trackers.toml";

/// `consent.toml`: the whole site configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[policy]`: the cookie policy this consent is asked under.
    #[serde(default)]
    pub policy: Policy,
    /// `[cookie]`: the consent cookie and its endpoint.
    #[serde(default)]
    pub cookie: CookieSettings,
    /// `[jurisdictions]`: geo → regime table.
    #[serde(default)]
    pub jurisdictions: Jurisdictions,
    /// `[trackers]`: catalog additions and overrides.
    #[serde(default)]
    pub trackers: TrackerSettings,
    /// `[filter]`: how refused trackers are neutralised.
    #[serde(default)]
    pub filter: FilterSettings,
    /// `[banner]`: banner look and texts.
    #[serde(default)]
    pub banner: BannerSettings,
    /// `[records]`: the proof-of-consent log.
    #[serde(default)]
    pub records: RecordsSettings,
    /// `[[routes]]`: per-route rules, first match wins.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// `[[cookies]]`: the site's own cookie inventory.
    #[serde(default)]
    pub cookies: Vec<CookieDecl>,
    /// `[csp]`: the Content-Security-Policy backstop and tracker discovery.
    #[serde(default)]
    pub csp: CspSettings,
    /// `[cache]`: the shared cache of the origin's HTML.
    #[serde(default)]
    pub cache: CacheSettings,
}

/// `[policy]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Bump to ask every visitor again (older decisions no longer count).
    pub revision: u32,
    /// Where the cookie policy lives (linked from the banner).
    #[serde(default = "default_policy_url")]
    pub url: String,
}

fn default_policy_url() -> String {
    "/cookie-policy".into()
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            revision: 1,
            url: default_policy_url(),
        }
    }
}

/// `[cookie]`: the consent cookie and its endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CookieSettings {
    /// The consent cookie's base name (default `consent`). The worker
    /// derives the name it sets from it: `__Host-<name>` for a host-only
    /// cookie, `__Secure-<name>` when `COOKIE_DOMAIN` applies, the plain
    /// name only without `Secure` (plain-http localhost, where browsers
    /// reject the prefixes). So the name must not carry a prefix itself.
    #[serde(default = "default_cookie_name")]
    pub name: String,
    /// Path of the consent endpoint (default `/__consent`).
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    /// Forward the consent cookie to the origin (default false).
    #[serde(default)]
    pub forward_to_origin: bool,
}

fn default_cookie_name() -> String {
    "consent".into()
}

fn default_endpoint() -> String {
    "/__consent".into()
}

impl Default for CookieSettings {
    fn default() -> Self {
        CookieSettings {
            name: default_cookie_name(),
            endpoint: default_endpoint(),
            forward_to_origin: false,
        }
    }
}

impl CookieSettings {
    /// Checks the cookie name is a valid token and the endpoint a path.
    pub fn check(&self) -> Result<(), Invalid> {
        let at = Path::key("cookie");
        let name_ok = !self.name.is_empty()
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !name_ok {
            return Err(Invalid::at(
                at.k("name"),
                format!(
                    "{:?}: expected a non-empty name of letters, digits, '_' or '-'",
                    self.name
                ),
            ));
        }
        let lower = self.name.to_ascii_lowercase();
        if lower.starts_with("__host-") || lower.starts_with("__secure-") {
            return Err(Invalid::at(
                at.k("name"),
                format!(
                    "{:?}: give the base name without __Host-/__Secure-; the worker adds the prefix the cookie allows",
                    self.name
                ),
            ));
        }
        let ep = &self.endpoint;
        let ep_ok = ep.starts_with('/')
            && ep.len() >= 2
            && !ep.starts_with("//")
            && ep
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"?#%\\".contains(&b));
        if !ep_ok {
            return Err(Invalid::at(
                at.k("endpoint"),
                format!("{ep:?}: expected a path starting with '/' (no query, '//' or '%')"),
            ));
        }
        Ok(())
    }
}

impl Config {
    /// Checks what the types alone cannot, against the tracker catalog the
    /// `[trackers]` and `[[routes]]` vendor ids must exist in.
    pub fn check(&self, catalog: &CatalogFile) -> Result<(), Invalid> {
        self.cookie.check()?;
        self.jurisdictions.check()?;
        self.trackers.check(catalog)?;
        self.filter.check()?;
        self.banner.check()?;
        self.records.check()?;
        self.csp.check()?;
        self.cache.check()?;
        for (i, route) in self.routes.iter().enumerate() {
            let at = Path::key("routes").i(i);
            route.check(&at)?;
            for (j, id) in route.allow_vendors.iter().enumerate() {
                if !catalog.knows(&self.trackers, id) {
                    return Err(Invalid::at(
                        at.k("allow_vendors").i(j),
                        format!(
                            "unknown vendor {id:?} (not in trackers.toml or [[trackers.vendors]])"
                        ),
                    ));
                }
            }
        }
        for (j, id) in self.csp.vendors.iter().enumerate() {
            if !catalog.knows(&self.trackers, id) {
                return Err(Invalid::at(
                    Path::key("csp").k("vendors").i(j),
                    format!("unknown vendor {id:?} (not in trackers.toml or [[trackers.vendors]])"),
                ));
            }
        }
        for (i, c) in self.cookies.iter().enumerate() {
            if c.name.trim().is_empty() {
                return Err(Invalid::at(
                    Path::key("cookies").i(i).k("name"),
                    "empty cookie name",
                ));
            }
        }
        Ok(())
    }

    /// The first `[[routes]]` rule matching `host` and `path`, if any.
    pub fn route_for(&self, host: &str, path: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.matches(host, path))
    }
}

/// Both files, each valid and consistent with the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// `consent.toml`.
    pub config: Config,
    /// `trackers.toml`.
    pub catalog: CatalogFile,
}

impl Validated {
    /// Checks a pair of already-typed files; errors have no position.
    pub fn new(config: Config, catalog: CatalogFile) -> Result<Validated, ConfigError> {
        catalog
            .check()
            .map_err(|e| ConfigError::invalid(TRACKERS_FILE, e))?;
        config
            .check(&catalog)
            .map_err(|e| ConfigError::invalid(CONSENT_FILE, e))?;
        Ok(Validated { config, catalog })
    }

    /// The canonical JSON of `consent.toml` and of `trackers.toml`: every
    /// default filled in, keys canonical. What build.rs writes and
    /// [`from_json`] reads.
    pub fn to_json(&self) -> (String, String) {
        // Serialising plain data structs with string keys cannot fail.
        let json = |v: Result<String, serde_json::Error>| v.unwrap_or_default();
        (
            json(serde_json::to_string(&self.config)),
            json(serde_json::to_string(&self.catalog)),
        )
    }
}

/// Reads and validates both files from their canonical JSON (what
/// [`Validated::to_json`] writes; the worker now embeds only `consent.json`
/// and gets the catalog as static data, so this serves tests and tools).
/// Errors name the TOML file they come from; their position is unknown
/// (0:0) since the TOML was checked before it became JSON.
pub fn from_json(consent: &str, trackers: &str) -> Result<Validated, ConfigError> {
    fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, ConfigError> {
        serde_json::from_str(text).map_err(|e| ConfigError::Type {
            file: file.to_string(),
            line: 0,
            col: 0,
            msg: format!("embedded JSON: {e}"),
        })
    }
    let catalog = parse(TRACKERS_FILE, trackers)?;
    let config = parse(CONSENT_FILE, consent)?;
    Validated::new(config, catalog)
}

/// Parses and validates `consent.toml` and `trackers.toml`; every error
/// carries the file, line and column of the offending key or value.
#[cfg(feature = "toml")]
pub fn from_toml(consent: &str, trackers: &str) -> Result<Validated, ConfigError> {
    let catalog: CatalogFile = locate::parse(TRACKERS_FILE, trackers)?;
    catalog
        .check()
        .map_err(|e| locate::invalid(TRACKERS_FILE, trackers, e))?;
    let config = consent_toml(CONSENT_FILE, consent)?;
    config
        .check(&catalog)
        .map_err(|e| locate::invalid(CONSENT_FILE, consent, e))?;
    Ok(Validated { config, catalog })
}

/// Parses a `consent.toml` (named `file` in errors) into its types, without
/// the semantic checks (those need the catalog: [`from_toml`]).
#[cfg(feature = "toml")]
pub fn consent_toml(file: &str, text: &str) -> Result<Config, ConfigError> {
    locate::parse(file, text)
}

/// Parses any section or file type from TOML, with positions in errors.
#[cfg(feature = "toml")]
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, ConfigError> {
    locate::parse(file, text)
}

/// A semantic error of `file` (whose text is `text`), positioned at the key
/// or value it is about.
#[cfg(feature = "toml")]
pub fn locate_invalid(file: &str, text: &str, e: Invalid) -> ConfigError {
    locate::invalid(file, text, e)
}
