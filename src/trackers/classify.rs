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
/// The host of [`RELATIVE_BASE`].
const RELATIVE_HOST: &str = "relative.invalid";

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

    /// Every vendor an inline script's (scanned) text names, without
    /// duplicates, in the order the filter weighs them: the plain
    /// signature scan's, then the signatures spelled out only after
    /// normalisation (`trackers/normalise.rs`), then the vendors named by
    /// tag IDs in calls and keys (scanned on the normalised text).
    ///
    /// A signature in the normalised text that lies within a stretch the
    /// normalisation left as written was found by the plain scan already,
    /// so only the windows around what it changed are scanned again
    /// (`Catalog::match_script_around`): the whole normalised text was
    /// scanned a second time before (2.57 MB of the corpus' 4.53 MB of
    /// script, most of it normalised for a quote before a `+` that starts
    /// no joint at all). The list is exactly the old full scan's with the
    /// duplicates dropped (`tests::windowed_scan_names_what_the_full_scan_names`).
    pub fn match_inline(&self, text: &[u8]) -> Vec<&Vendor> {
        let mut out = self.match_script_all(text);
        let norm = normalise(text);
        if !norm.changed.is_empty() {
            self.match_script_around(&norm.text, &norm.changed, &mut out);
        }
        let mut found = Vec::new();
        self.rules.tag_ids.scan_inline(&norm.text, &mut found);
        for i in found {
            if let Some(v) = self.vendors.get(i) {
                if !out.iter().any(|o| o.id == v.id) {
                    out.push(v);
                }
            }
        }
        out
    }

    /// What the plain signature scan of an inline script cannot see, by
    /// scanning the whole normalised text again: the filter's scan before
    /// [`Catalog::match_inline`], kept as its reference.
    #[cfg(test)]
    pub(crate) fn match_inline_extra(&self, text: &[u8]) -> Vec<&Vendor> {
        let norm = normalise(text).text;
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
        // Lower-cased only when it has upper case (no String per URL).
        let lower = if file.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(file.to_ascii_lowercase())
        } else {
            Cow::Borrowed(file)
        };
        if file.is_empty() || !rules.candidate(&lower) {
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
    /// A plain `/path` is read as written; anything the URL parser would
    /// rewrite (a path-relative `gtag/js`, a tab or CR inside, a `:` that
    /// is no scheme, `\`, `%`, an entity) is read as the parser resolves it
    /// (fuzz/regressions/url_host/gateway-tag-id-*).
    fn relative_tag_id(&self, url: &str) -> Option<&Vendor> {
        // A tag ID travels in the query: no `?` (nor an entity that could
        // spell one) means there is none, and most page URLs stop here.
        if !url.contains(['?', '&']) {
            return None;
        }
        let raw = url[..url.find(['?', '#']).unwrap_or(url.len())].trim();
        let plain = raw.starts_with('/')
            && !raw.starts_with("//")
            && !raw
                .bytes()
                .any(|b| matches!(b, b':' | b'\\' | b'&' | b'%' | b'\t' | b'\n' | b'\r'));
        if plain {
            return self.by_tag_id(url, None, raw);
        }
        let parsed = parse_any(url)?;
        // Only what stays on the page's own host: an absolute URL was
        // classified by its host before this.
        if parsed.host_str() != Some(RELATIVE_HOST) {
            return None;
        }
        self.by_tag_id(url, None, parsed.path())
    }
}

/// The URL as the browser reads it (entities decoded), relative ones
/// resolved against [`RELATIVE_BASE`]; `None` when unparseable.
fn parse_any(raw: &str) -> Option<url::Url> {
    let decoded = crate::html::decode_attribute(raw);
    let base = url::Url::parse(RELATIVE_BASE).ok()?;
    base.join(decoded.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::super::{Catalog, Config};

    fn cat(cfg: &str) -> Catalog {
        Catalog::with_config(&toml::from_str::<Config>(cfg).unwrap()).unwrap()
    }

    fn id<'a>(c: &'a Catalog, url: &str) -> Option<&'a str> {
        c.match_url(url).map(|v| v.id.as_str())
    }

    #[test]
    fn tag_ids_in_loader_urls() {
        let c = cat("");
        let gtag = "https://www.googletagmanager.com/gtag/js?id=";
        assert_eq!(id(&c, &format!("{gtag}G-ABC1")), Some("google-analytics"));
        assert_eq!(id(&c, &format!("{gtag}UA-1-1")), Some("google-analytics"));
        assert_eq!(id(&c, &format!("{gtag}AW-123")), Some("google-ads"));
        assert_eq!(id(&c, &format!("{gtag}DC-123")), Some("doubleclick"));
        assert_eq!(id(&c, &format!("{gtag}GT-ABC")), Some("google-ads"));
        assert_eq!(id(&c, &format!("{gtag}AW-1&amp;l=dl")), Some("google-ads"));
        // no ID or an unknown prefix: the host decides, as before
        assert_eq!(
            id(&c, "https://www.googletagmanager.com/gtag/js"),
            Some("google-analytics")
        );
        assert_eq!(id(&c, &format!("{gtag}XX-1")), Some("google-analytics"));
        // two IDs: the strictest
        assert_eq!(id(&c, &format!("{gtag}G-1&id=AW-2")), Some("google-ads"));
        // first-party gateway paths, absolute and relative
        assert_eq!(
            id(&c, "https://shop.test/m/gtag/js?id=AW-1"),
            Some("google-ads")
        );
        assert_eq!(id(&c, "/m/gtag/js?id=G-1"), Some("google-analytics"));
        assert_eq!(id(&c, "/m/gtag/js"), None);
        assert_eq!(id(&c, "/m/notgtag/js?id=AW-1"), None);
        // the site names its GT- tag
        let c = cat("[tag_ids]\n\"GT-ABC\" = \"google-analytics\"");
        assert_eq!(id(&c, &format!("{gtag}GT-ABC")), Some("google-analytics"));
        assert_eq!(id(&c, &format!("{gtag}GT-OTHER")), Some("google-ads"));
    }

    #[test]
    fn tag_ids_in_inline_calls() {
        let c = cat("");
        let ids = |js: &str| -> Vec<String> {
            c.match_inline_extra(js.as_bytes())
                .iter()
                .map(|v| v.id.clone())
                .collect()
        };
        assert_eq!(ids("gtag( 'config' ,\n 'AW-1' )"), ["google-ads"]);
        assert_eq!(
            ids("gtag('event','conversion',{send_to:'AW-1/x_Y'})"),
            ["google-ads"]
        );
        assert_eq!(ids("var o={\"send_to\" : \"DC-9/a/b\"}"), ["doubleclick"]);
        assert_eq!(
            ids("window.gtag('config','G-1');gtag('config','AW-2')"),
            ["google-analytics", "google-ads"]
        );
        assert!(ids("mygtag('config','AW-1'); gtagx('config','AW-1')").is_empty());
        assert!(ids("gtag('event','click',{label:'AW-ful day'})").is_empty());
        assert!(ids("gtag('config')").is_empty());
        // revealed only once the joints are undone
        assert_eq!(
            ids("s.src='//static.'+'hotjar.com/c/hotjar-'+id+'.js'"),
            ["hotjar"]
        );
    }

    #[test]
    fn self_hosted_switch() {
        let on = cat("");
        let off = cat("self_hosted_analytics = \"exempt\"");
        for url in ["/matomo/matomo.js", "/piwik/piwik.php?idsite=1&amp;rec=1"] {
            assert_eq!(id(&on, url), Some("matomo-cloud"), "{url}");
            assert_eq!(id(&off, url), None, "{url}");
        }
        assert_eq!(id(&on, "/matomo.php"), None, "the beacon needs idsite");
        // cloud hosts are not self-hosted: still matched when exempt
        assert_eq!(
            id(&off, "https://cdn.matomo.cloud/x/matomo.js"),
            Some("matomo-cloud")
        );
        let has = |a: &str| a == "data-domain";
        assert_eq!(
            on.classify_url("/js/script.js", &has)
                .map(|v| v.id.as_str()),
            Some("plausible")
        );
        assert_eq!(on.classify_url("/js/script.js", &|_| false), None);
        assert!(toml::from_str::<Config>("self_hosted_analytics = \"maybe\"").is_err());
    }

    #[test]
    fn library_cdns_and_unknown_scripts() {
        let c = cat("unknown_scripts = \"functional\"");
        let src = |c: &Catalog, u: &str| {
            c.classify_script_src(u, &|_| false, "shop.test")
                .map(|v| v.id.clone())
        };
        assert_eq!(src(&c, "https://cdn.jsdelivr.net/npm/x@1/x.js"), None);
        assert_eq!(src(&c, "https://code.jquery.com/jquery-3.7.1.min.js"), None);
        assert_eq!(src(&c, "https://static.shop.test/app.js"), None);
        assert_eq!(
            src(&c, "https://evil.test/x.js").as_deref(),
            Some("unknown")
        );
        assert_eq!(
            src(&c, "https://polyfill.io/v3/polyfill.min.js").as_deref(),
            Some("unknown")
        );
        let strict = cat("unknown_scripts = \"functional\"\nlibrary_cdns = false");
        assert_eq!(
            src(&strict, "https://cdn.jsdelivr.net/npm/x@1/x.js").as_deref(),
            Some("unknown")
        );
        // a catalog vendor on no library host still matches first
        assert_eq!(
            src(&c, "https://www.googletagmanager.com/gtag/js?id=AW-1").as_deref(),
            Some("google-ads")
        );
    }

    #[test]
    fn config_is_validated() {
        for bad in [
            "[tag_ids]\n\"GT-ABC\" = \"nope\"",
            "[tag_ids]\n\"gt-abc\" = \"google-ads\"",
            "[tag_ids]\n\"GT-\" = \"google-ads\"",
        ] {
            let cfg: Config = toml::from_str(bad).unwrap();
            assert!(Catalog::with_config(&cfg).is_err(), "{bad}");
        }
        let file = |extra: &str| {
            format!("[[vendor]]\nid = \"a\"\nname = \"A\"\ncategory = \"analytics\"\nhosts = [\"a.test\"]\nsource = \"s\"\n{extra}")
        };
        for bad in [
            "self_hosted = [{ file = \"script*.js\" }]",
            "self_hosted = [{ file = \"a*b*.js\", attribute = \"x\" }]",
            "self_hosted = [{ file = \"Script.js\" }]",
            "self_hosted = [{ file = \"s.js\", dir = \"js\" }]",
        ] {
            assert!(
                Catalog::parse(&file(bad), &Config::default()).is_err(),
                "{bad}"
            );
        }
        let fam = "[[tag_ids]]\nname = \"f\"\nparam = \"id\"\nsource = \"s\"\n";
        for bad in [
            format!("{fam}prefixes = {{ \"X-\" = \"nope\" }}"),
            format!("{fam}prefixes = {{ \"x-\" = \"a\" }}"),
            format!("{fam}prefixes = {{}}"),
            format!("{fam}calls = [\"g(\"]\nprefixes = {{ \"X-\" = \"a\" }}"),
            "[[library]]\nname = \"l\"\nhosts = [\"nodot\"]\nsource = \"s\"".to_string(),
        ] {
            assert!(
                Catalog::parse(&file(&bad), &Config::default()).is_err(),
                "{bad}"
            );
        }
        let ok = format!("{fam}calls = [\"g\"]\nprefixes = {{ \"X-\" = \"a\" }}");
        assert!(Catalog::parse(&file(&ok), &Config::default()).is_ok());
    }
}
