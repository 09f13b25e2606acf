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
    /// `[[vendor.self_hosted]]`: how the vendor's script or beacon is
    /// recognised when the site serves it from its own host (issue 14).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub self_hosted: Vec<SelfHosted>,
    /// Allowed outright by `[trackers] allow` (never neutralised).
    #[serde(skip)]
    pub allowed: bool,
}

/// One shape of a self-hosted analytics script or beacon: a file name on
/// any host (the site's own, or a relative URL), narrowed by an attribute of
/// the `<script>` or a query parameter of the URL where the name alone is
/// generic (`script.js`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfHosted {
    /// The last path segment, lowercase; one `*` stands for any run of
    /// characters (`script*.js` is `script.js`, `script.hash.js`, …).
    pub file: String,
    /// A directory the file must be in (`/js`): the path before the file
    /// name ends with it, at a segment boundary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// An attribute the `<script>` must carry (`data-domain`). A rule with
    /// an attribute never matches a URL outside a `<script src>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// A query parameter the URL must carry (`idsite`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

/// A family of tag IDs: one loader URL or inline call serving several
/// vendors, told apart by the ID it is given (Google's `gtag.js?id=AW-…` is
/// Google Ads, `?id=G-…` Google Analytics).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagIds {
    /// Display name of the family.
    pub name: String,
    /// Loader URLs, as `hosts` patterns (`googletagmanager.com/gtag/js`),
    /// whose query parameter [`TagIds::param`] carries the ID.
    #[serde(default)]
    pub urls: Vec<String>,
    /// Paths recognised on any host, at the end of the path (`/gtag/js`):
    /// first-party gateways that proxy the loader.
    #[serde(default)]
    pub paths: Vec<String>,
    /// The query parameter with the ID (`id`).
    pub param: String,
    /// Inline functions whose string arguments are IDs (`gtag`).
    #[serde(default)]
    pub calls: Vec<String>,
    /// Object keys whose string values are IDs (`send_to`).
    #[serde(default)]
    pub keys: Vec<String>,
    /// ID prefix (`AW-`) → vendor id. The longest prefix wins.
    pub prefixes: BTreeMap<String, String>,
    /// Where these facts come from.
    pub source: String,
}

/// A common library CDN or font host: never an "unknown third party" when
/// `unknown_scripts` is a category (it may still be a catalog vendor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Library {
    /// Display name.
    pub name: String,
    /// Host patterns, as in a vendor's `hosts`.
    pub hosts: Vec<String>,
    /// Where the facts come from, and why it is exempt.
    pub source: String,
}

/// `trackers.toml`: the vendor catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// `[[vendor]]` entries, in file order.
    pub vendor: Vec<Vendor>,
    /// `[[tag_ids]]`: tag ID families (issue 14).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_ids: Vec<TagIds>,
    /// `[[library]]`: library CDNs and font hosts exempt from
    /// `unknown_scripts` (issue 14).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub library: Vec<Library>,
}

/// `[trackers] self_hosted_analytics`: whether analytics the site serves
/// from its own host (recognised by [`SelfHosted`] rules) need consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SelfHostedAnalytics {
    /// Like any analytics: neutralised until the category is granted.
    #[default]
    Consent,
    /// Left alone: the site runs them under a consent exemption (CNIL
    /// audience-measurement exemption; see docs/CATALOG.md).
    Exempt,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Self-hosted analytics: `"consent"` (default) or `"exempt"`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub self_hosted_analytics: SelfHostedAnalytics,
    /// `[trackers.tag_ids]`: a tag ID (`"GT-ABC123"`) → the vendor it really
    /// is, for IDs whose prefix does not say (`GT-` is "as configured").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tag_ids: BTreeMap<String, String>,
    /// Whether the catalog's `[[library]]` hosts are exempt from
    /// `unknown_scripts` (default true).
    #[serde(default = "yes", skip_serializing_if = "Clone::clone")]
    pub library_cdns: bool,
}

fn yes() -> bool {
    true
}

fn is_default<T: Default + PartialEq>(t: &T) -> bool {
    *t == T::default()
}

impl Default for TrackerSettings {
    fn default() -> Self {
        TrackerSettings {
            vendors: Vec::new(),
            recategorize: BTreeMap::new(),
            allow: Vec::new(),
            unknown_scripts: UnknownScripts::default(),
            first_party: Vec::new(),
            self_hosted_analytics: SelfHostedAnalytics::default(),
            tag_ids: BTreeMap::new(),
            library_cdns: true,
        }
    }
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
        check_host_pattern(h, &at.k("hosts").i(i), &v.id)?;
    }
    for (i, r) in v.self_hosted.iter().enumerate() {
        check_self_hosted(r, &at.k("self_hosted").i(i), &v.id)?;
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

/// A `hosts` pattern: a lowercase domain, optionally followed by `/path`.
fn check_host_pattern(h: &str, at: &Path, owner: &str) -> Result<(), Invalid> {
    let host = h.split('/').next().unwrap_or("");
    if host.is_empty()
        || !host.contains('.')
        || !host.bytes().all(host_byte)
        || host.starts_with('.')
        || host.ends_with('.')
    {
        return Err(Invalid::at(
            at.clone(),
            format!(
                "{owner:?}: host pattern {h:?} must be a lowercase domain, optionally followed by /path"
            ),
        ));
    }
    Ok(())
}

/// A byte of a lowercase path segment, attribute or parameter name.
fn name_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
}

/// A `[[vendor.self_hosted]]` rule.
fn check_self_hosted(r: &SelfHosted, at: &Path, owner: &str) -> Result<(), Invalid> {
    let bad = |key: &str, why: String| Err(Invalid::at(at.k(key), format!("{owner:?}: {why}")));
    let stars = r.file.bytes().filter(|b| *b == b'*').count();
    if r.file.is_empty() || stars > 1 || !r.file.bytes().all(|b| b == b'*' || name_byte(b)) {
        return bad(
            "file",
            format!(
                "file {:?}: a lowercase file name with at most one '*'",
                r.file
            ),
        );
    }
    if stars == 1 && r.attribute.is_none() && r.query.is_none() {
        return bad(
            "file",
            format!(
                "file {:?}: a pattern needs an attribute or query to narrow it",
                r.file
            ),
        );
    }
    if let Some(d) = &r.dir {
        let ok = d.starts_with('/')
            && d.len() > 1
            && !d.ends_with('/')
            && d.bytes().all(|b| b == b'/' || name_byte(b));
        if !ok {
            return bad("dir", format!("dir {d:?}: a lowercase path like \"/js\""));
        }
    }
    for (key, v) in [("attribute", &r.attribute), ("query", &r.query)] {
        if let Some(v) = v {
            if v.is_empty() || !v.bytes().all(name_byte) {
                return bad(key, format!("{key} {v:?}: a lowercase name"));
            }
        }
    }
    Ok(())
}

/// A tag ID as written in a page (`AW-123`, `GT-ABC`): letters, then `-`,
/// then letters and digits.
pub fn tag_id_prefix_ok(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() >= 2
        && b.last() == Some(&b'-')
        && b[..b.len() - 1].iter().all(|c| c.is_ascii_uppercase())
}

/// Checks a `[[tag_ids]]` family against the vendor ids that exist.
fn check_tag_ids(f: &TagIds, at: &Path, known: &dyn Fn(&str) -> bool) -> Result<(), Invalid> {
    let bad = |at: Path, why: String| Err(Invalid::at(at, format!("tag_ids {:?}: {why}", f.name)));
    for (i, u) in f.urls.iter().enumerate() {
        check_host_pattern(u, &at.k("urls").i(i), &f.name)?;
    }
    for (i, p) in f.paths.iter().enumerate() {
        if !p.starts_with('/') || p.len() < 2 || !p.bytes().all(|b| b == b'/' || name_byte(b)) {
            return bad(
                at.k("paths").i(i),
                format!("path {p:?}: a lowercase path like \"/gtag/js\""),
            );
        }
    }
    if f.param.is_empty() {
        return bad(at.k("param"), "empty query parameter".into());
    }
    for (key, list) in [("calls", &f.calls), ("keys", &f.keys)] {
        for (i, c) in list.iter().enumerate() {
            let ok = !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.');
            if !ok {
                return bad(at.k(key).i(i), format!("{c:?} is not a JavaScript name"));
            }
        }
    }
    if f.prefixes.is_empty() {
        return bad(at.k("prefixes"), "no prefixes".into());
    }
    for (p, v) in &f.prefixes {
        if !tag_id_prefix_ok(p) {
            return bad(
                at.k("prefixes").k(p),
                format!("prefix {p:?}: upper-case letters and '-' (\"AW-\")"),
            );
        }
        if !known(v) {
            return bad(at.k("prefixes").k(p), format!("unknown vendor {v:?}"));
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
        for (id, vendor) in &self.tag_ids {
            let b = id.as_bytes();
            let dash = id.find('-').unwrap_or(0);
            let ok = dash > 0
                && tag_id_prefix_ok(&id[..=dash])
                && dash + 1 < b.len()
                && b[dash + 1..]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'-');
            if !ok {
                return Err(Invalid::key(
                    at.k("tag_ids").k(id),
                    format!("tag ID {id:?}: expected like \"GT-ABC123\""),
                ));
            }
            if !file.knows(self, vendor) {
                return Err(Invalid::at(
                    at.k("tag_ids").k(id),
                    format!("unknown vendor {vendor:?}"),
                ));
            }
        }
        merge(file, self).map(|_| ())
    }
}

impl CatalogFile {
    /// Checks every vendor of the catalog file.
    pub fn check(&self) -> Result<(), Invalid> {
        check_vendors(&self.vendor, &Path::key("vendor"))?;
        let known = |id: &str| self.vendor.iter().any(|v| v.id == id);
        for (i, f) in self.tag_ids.iter().enumerate() {
            check_tag_ids(f, &Path::key("tag_ids").i(i), &known)?;
        }
        for (i, l) in self.library.iter().enumerate() {
            for (j, h) in l.hosts.iter().enumerate() {
                check_host_pattern(h, &Path::key("library").i(i).k("hosts").i(j), &l.name)?;
            }
        }
        Ok(())
    }

    /// Whether a vendor with this id is in the catalog or added by `cfg`.
    pub fn knows(&self, cfg: &TrackerSettings, id: &str) -> bool {
        self.vendor.iter().chain(&cfg.vendors).any(|v| v.id == id)
    }
}
