//! Classification beyond the host (issue 14): what an element is, from its
//! tag ID ([`super::tag_ids`]), from a self-hosted analytics file name
//! ([`super::self_hosted`]), from inline text whose host names were built
//! from pieces ([`super::normalise`]); and the library CDNs that are never
//! an "unknown third party".
//!
//! The host lookup ([`Catalog::match_host_path`]) stays the first and
//! cheapest step; the rules here run only when it cannot decide: a tag-ID
//! loader (its host is known but its ID says which vendor), a URL with no
//! catalog host whose file name is a self-hosted script's, an inline script
//! at the end of its hold.

use super::normalise::normalise;
use super::self_hosted::{Element, SelfHostedRules};
use super::tag_ids::TagIdRules;
use super::{domain_matches, path_has_prefix, with_host_path, Catalog, Config, Vendor};
use consent_edge_config::{CatalogFile, SelfHostedAnalytics, UnknownScripts};
use std::borrow::Cow;

/// The base relative URLs are resolved against: only their path and query
/// are read, never their host.
const RELATIVE_BASE: &str = "https://relative.invalid/";

/// The compiled rules of this module.
#[derive(Debug, Default)]
pub(crate) struct Rules {
    tag_ids: TagIdRules,
    self_hosted: SelfHostedRules,
    /// `(host, lowercase path prefix)` of the library CDNs, empty when
    /// `[trackers] library_cdns = false`.
    libraries: Vec<(String, String)>,
}

impl Rules {
    /// The rules of `file` for the merged `vendors`, with `cfg` applied.
    pub(crate) fn new(file: &CatalogFile, vendors: &[Vendor], cfg: &Config) -> Rules {
        let index = |id: &str| vendors.iter().position(|v| v.id == id);
        let self_hosted = match cfg.self_hosted_analytics {
            SelfHostedAnalytics::Exempt => SelfHostedRules::default(),
            SelfHostedAnalytics::Consent => SelfHostedRules::new(
                vendors
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (i, v.self_hosted.as_slice())),
            ),
        };
        let libraries = if cfg.library_cdns {
            file.library
                .iter()
                .flat_map(|l| l.hosts.iter())
                .map(|h| {
                    let h = h.to_ascii_lowercase();
                    match h.find('/') {
                        Some(p) => (h[..p].to_string(), h[p..].trim_end_matches('/').to_string()),
                        None => (h, String::new()),
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        Rules {
            tag_ids: TagIdRules::new(&file.tag_ids, &cfg.tag_ids, &index),
            self_hosted,
            libraries,
        }
    }
}

impl Catalog {
    /// The vendor a URL in an attribute points at: its tag ID when its
    /// loader serves several vendors, else its host, else a self-hosted
    /// analytics file. `has_attr` tells the attributes of a `<script>`
    /// (pass `&|_| false` elsewhere).
    pub fn classify_url(&self, url: &str, has_attr: &dyn Fn(&str) -> bool) -> Option<&Vendor> {
        let el = Element { has_attr };
        let by_host = with_host_path(url, |host, path| {
            if let Some(v) = self.by_tag_id(url, Some(host), path) {
                return Some(v);
            }
            self.match_host_path(host, path)
                .or_else(|| self.by_self_hosted(url, &el))
        });
        match by_host {
            Some(v) => v,
            // Relative (the site's own) or not a network URL.
            None => self
                .relative_tag_id(url)
                .or_else(|| self.by_self_hosted(url, &el)),
        }
    }

    /// The vendor a `<script src>` is, including the unknown third-party
    /// policy: a script on no catalog host, not first-party (`site_host`,
    /// `[trackers] first_party`) and not on a library CDN is the unknown
    /// vendor when `unknown_scripts` is a category.
    pub fn classify_script_src(
        &self,
        url: &str,
        has_attr: &dyn Fn(&str) -> bool,
        site_host: &str,
    ) -> Option<&Vendor> {
        if let Some(v) = self.classify_url(url, has_attr) {
            return Some(v);
        }
        if self.unknown_scripts() == UnknownScripts::Allow {
            return None;
        }
        with_host_path(url, |host, path| {
            (!self.is_first_party(host, site_host) && !self.is_library(host, path))
                .then(|| self.unknown_vendor())
        })
        .flatten()
    }

    /// Whether this host and path is one of the library CDNs.
    pub fn is_library(&self, host: &str, path: &str) -> bool {
        self.rules
            .libraries
            .iter()
            .any(|(h, p)| domain_matches(host, h) && (p.is_empty() || path_has_prefix(path, p)))
    }

    /// What the plain signature scan of an inline script cannot see, run
    /// once over its whole (scanned) text: signatures spelled out only
    /// after [`normalise`], and vendors named by tag IDs in calls and keys.
    pub fn match_inline_extra(&self, text: &[u8]) -> Vec<&Vendor> {
        let norm = normalise(text);
        let mut out = match &norm {
            Cow::Owned(n) => self.match_script_all(n),
            Cow::Borrowed(_) => Vec::new(),
        };
        let mut found = Vec::new();
        self.rules.tag_ids.scan_inline(&norm, &mut found);
        for i in found {
            if let Some(v) = self.vendors.get(i) {
                if !out.iter().any(|o| o.id == v.id) {
                    out.push(v);
                }
            }
        }
        out
    }

    /// The vendor of a tag-ID loader URL (`host` `None` for a relative one),
    /// the strictest when it names several.
    fn by_tag_id(&self, url: &str, host: Option<&str>, path: &str) -> Option<&Vendor> {
        let rules = &self.rules.tag_ids;
        let family = rules.family_of(host, path)?;
        let parsed = parse_any(url)?;
        parsed
            .query_pairs()
            .filter(|(k, _)| *k == family.param.as_str())
            .filter_map(|(_, id)| rules.vendor_of(family, &id))
            .filter_map(|i| self.vendors.get(i))
            .max_by_key(|v| v.category)
    }

    /// The self-hosted analytics vendor of a URL (any host), if any.
    fn by_self_hosted(&self, url: &str, el: &Element<'_>) -> Option<&Vendor> {
        let rules = &self.rules.self_hosted;
        // The cheap test on the raw text first: most URLs of a page are
        // relative and none of them is worth parsing.
        let raw = &url[..url.find(['?', '#']).unwrap_or(url.len())];
        let file = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
        if file.is_empty() || !rules.candidate(&file.to_ascii_lowercase()) {
            return None;
        }
        let parsed = parse_any(url)?;
        let path = parsed.path().to_ascii_lowercase();
        let has_param = |name: &str| parsed.query_pairs().any(|(k, _)| k == name);
        let i = rules.find(&path, &has_param, el)?;
        self.vendors.get(i)
    }

    /// Relative paths of tag-ID gateways (`/metrics/gtag/js?id=…` on the
    /// site's own host) — the relative counterpart of [`Self::by_tag_id`].
    fn relative_tag_id(&self, url: &str) -> Option<&Vendor> {
        let raw = url[..url.find(['?', '#']).unwrap_or(url.len())].trim();
        if raw.contains(':') {
            return None;
        }
        self.by_tag_id(url, None, raw)
    }
}

/// The URL as the browser reads it (entities decoded), relative ones
/// resolved against [`RELATIVE_BASE`]; `None` when unparseable.
fn parse_any(raw: &str) -> Option<url::Url> {
    let decoded = crate::html::decode_attribute(raw);
    let base = url::Url::parse(RELATIVE_BASE).ok()?;
    base.join(decoded.trim()).ok()
}
