//! The tracker catalog's data: `trackers.toml` (the vendors) and
//! `[trackers]` in `consent.toml` (the site's additions and overrides).
//! Matching URLs, scripts and cookies against it is the worker's `trackers`
//! module.

use crate::error::{Invalid, Path};
use crate::model::Category;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// A tracker vendor: who it is, what it is for, and how to recognise it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    /// Stable id (`"google-analytics"`), used in `data-consent-vendor`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The consent category it needs.
    pub category: Category,
    /// Host patterns: `domain` (the domain and its subdomains) or
    /// `domain/path-prefix`.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Substrings identifying the vendor's inline snippet.
    #[serde(default)]
    pub scripts: Vec<String>,
    /// Exact cookie names it sets.
    #[serde(default)]
    pub cookies: Vec<String>,
    /// Cookie name prefixes it sets (`_ga_`).
    #[serde(default)]
    pub cookie_prefixes: Vec<String>,
    /// Where these facts come from.
    #[serde(default)]
    pub source: String,
    /// Allowed outright by `[trackers] allow` (never neutralised).
    #[serde(skip)]
    pub allowed: bool,
}

/// `trackers.toml`: the vendor catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// `[[vendor]]` entries, in file order.
    pub vendor: Vec<Vendor>,
}

/// What to do with a third-party script whose host is not in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownScripts {
    /// Let it through (the default).
    #[default]
    Allow,
    /// Treat it as a tracker of this category.
    Category(Category),
}

impl<'de> Deserialize<'de> for UnknownScripts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "allow" {
            return Ok(UnknownScripts::Allow);
        }
        match Category::from_id(&s) {
            Some(Category::Necessary) | None => Err(serde::de::Error::custom(format!(
                "unknown_scripts {s:?}: expected \"allow\", \"functional\", \"analytics\" or \"advertising\""
            ))),
            Some(c) => Ok(UnknownScripts::Category(c)),
        }
    }
}

impl Serialize for UnknownScripts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            UnknownScripts::Allow => "allow",
            UnknownScripts::Category(c) => c.id(),
        })
    }
}

/// `[trackers]` in `consent.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerSettings {
    /// `[[trackers.vendors]]`: vendors added to the catalog (same fields as
    /// `trackers.toml`). A vendor with an existing id replaces the catalog's.
    #[serde(default)]
    pub vendors: Vec<Vendor>,
    /// `[trackers.recategorize]`: vendor id → category.
    #[serde(default)]
    pub recategorize: BTreeMap<String, Category>,
    /// Vendor ids allowed outright (never neutralised).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Policy for third-party scripts not in the catalog: `"allow"` (default)
    /// or a category id.
    #[serde(default)]
    pub unknown_scripts: UnknownScripts,
    /// Hosts (and their subdomains) that are the site's own, never "unknown
    /// third party" (CDNs of the site).
    #[serde(default)]
    pub first_party: Vec<String>,
}

/// A byte allowed in a host name pattern.
pub fn host_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.' || b == b'_'
}

/// The catalog's vendors with `[trackers]` applied: added vendors replace
/// (by id) or extend the file's, `recategorize` and `allow` applied. Fails on
/// an id that names no vendor.
pub fn merge(file: &CatalogFile, cfg: &TrackerSettings) -> Result<Vec<Vendor>, Invalid> {
    let at = Path::key("trackers");
    let mut vendors = file.vendor.clone();
    for v in &cfg.vendors {
        match vendors.iter_mut().find(|x| x.id == v.id) {
            Some(slot) => *slot = v.clone(),
            None => vendors.push(v.clone()),
        }
    }
    for (id, cat) in &cfg.recategorize {
        let v = vendors.iter_mut().find(|v| &v.id == id).ok_or_else(|| {
            Invalid::key(at.k("recategorize").k(id), format!("unknown vendor {id:?}"))
        })?;
        v.category = *cat;
    }
    for (i, id) in cfg.allow.iter().enumerate() {
        let v = vendors
            .iter_mut()
            .find(|v| &v.id == id)
            .ok_or_else(|| Invalid::at(at.k("allow").i(i), format!("unknown vendor {id:?}")))?;
        v.allowed = true;
    }
    Ok(vendors)
}

/// Checks one vendor; `at` is where it is defined (`vendor[3]`).
pub fn check_vendor(v: &Vendor, at: &Path) -> Result<(), Invalid> {
    if v.id.is_empty()
        || !v
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(Invalid::at(
            at.k("id"),
            format!(
                "vendor id {:?}: expected lowercase letters, digits, '-' or '_'",
                v.id
            ),
        ));
    }
    if v.name.trim().is_empty() {
        return Err(Invalid::at(
            at.k("name"),
            format!("vendor {:?}: empty name", v.id),
        ));
    }
    for (i, h) in v.hosts.iter().enumerate() {
        let host = h.split('/').next().unwrap_or("");
        if host.is_empty()
            || !host.contains('.')
            || !host.bytes().all(host_byte)
            || host.starts_with('.')
            || host.ends_with('.')
        {
            return Err(Invalid::at(
                at.k("hosts").i(i),
                format!(
                    "vendor {:?}: host pattern {h:?} must be a lowercase domain, optionally followed by /path",
                    v.id
                ),
            ));
        }
    }
    let lists = [
        ("scripts", &v.scripts),
        ("cookies", &v.cookies),
        ("cookie_prefixes", &v.cookie_prefixes),
    ];
    for (key, list) in lists {
        if let Some(i) = list.iter().position(String::is_empty) {
            return Err(Invalid::at(
                at.k(key).i(i),
                format!("vendor {:?}: empty script signature or cookie", v.id),
            ));
        }
    }
    Ok(())
}

/// Checks every vendor of a list and that no id is defined twice.
pub fn check_vendors(vendors: &[Vendor], at: &Path) -> Result<(), Invalid> {
    for (i, v) in vendors.iter().enumerate() {
        check_vendor(v, &at.i(i))?;
        if vendors[..i].iter().any(|o| o.id == v.id) {
            return Err(Invalid::at(
                at.i(i).k("id"),
                format!("vendor {:?} is defined twice", v.id),
            ));
        }
    }
    Ok(())
}

/// A configured first-party host, canonical (lowercase, no trailing dot).
pub fn canonical_host(h: &str) -> Option<String> {
    let h = h.trim().trim_end_matches('.').to_ascii_lowercase();
    (!h.is_empty() && h.bytes().all(host_byte)).then_some(h)
}

impl TrackerSettings {
    /// Checks the site's additions and overrides against the catalog file.
    pub fn check(&self, file: &CatalogFile) -> Result<(), Invalid> {
        let at = Path::key("trackers");
        check_vendors(&self.vendors, &at.k("vendors"))?;
        for (i, h) in self.first_party.iter().enumerate() {
            if canonical_host(h).is_none() {
                return Err(Invalid::at(
                    at.k("first_party").i(i),
                    format!("invalid host {h:?}"),
                ));
            }
        }
        merge(file, self).map(|_| ())
    }
}

impl CatalogFile {
    /// Checks every vendor of the catalog file.
    pub fn check(&self) -> Result<(), Invalid> {
        check_vendors(&self.vendor, &Path::key("vendor"))
    }

    /// Whether a vendor with this id is in the catalog or added by `cfg`.
    pub fn knows(&self, cfg: &TrackerSettings, id: &str) -> bool {
        self.vendor.iter().chain(&cfg.vendors).any(|v| v.id == id)
    }
}
