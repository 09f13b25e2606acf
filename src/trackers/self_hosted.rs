//! Self-hosted analytics: Matomo/Piwik, Plausible, Umami, GoatCounter,
//! Fathom, Simple Analytics … served from the site's own host (issue 14).
//! No host names them, so they are recognised by the file name of their
//! script or beacon, narrowed by the `<script>` attribute or the query
//! parameter their install guide requires where the name alone is generic
//! (`script.js` with `data-domain` is Plausible, without it anything).
//!
//! The rules are data (`[[vendor.self_hosted]]` in `trackers.toml`). Sites
//! that run them consent-free under an exemption set `[trackers]
//! self_hosted_analytics = "exempt"`, and these rules are not compiled at
//! all (docs/CATALOG.md has the legal basis and its conditions).

use consent_edge_config::SelfHosted;

/// One rule, for vendor `vendor` (index).
#[derive(Debug)]
pub(crate) struct Rule {
    rule: SelfHosted,
    pub(crate) vendor: usize,
}

/// What is known about the element carrying the URL.
pub(crate) struct Element<'a> {
    /// Whether it has this attribute (a `<script>`; always false elsewhere).
    pub(crate) has_attr: &'a dyn Fn(&str) -> bool,
}

/// The compiled rules.
#[derive(Debug, Default)]
pub(crate) struct SelfHostedRules {
    rules: Vec<Rule>,
}

impl SelfHostedRules {
    /// The rules of every vendor (`(vendor index, its rules)`).
    pub(crate) fn new<'a>(
        vendors: impl Iterator<Item = (usize, &'a [SelfHosted])>,
    ) -> SelfHostedRules {
        let rules = vendors
            .flat_map(|(i, rs)| {
                rs.iter().map(move |r| Rule {
                    rule: r.clone(),
                    vendor: i,
                })
            })
            .collect();
        SelfHostedRules { rules }
    }

    /// Whether some rule could match a URL whose last path segment is
    /// `file` (lowercase): the cheap test before the URL is parsed.
    pub(crate) fn candidate(&self, file: &str) -> bool {
        self.rules.iter().any(|r| file_matches(&r.rule.file, file))
    }

    /// The vendor index for a URL with this (lowercase, decoded) path and
    /// query parameter names, on `el`.
    pub(crate) fn find(
        &self,
        path: &str,
        has_param: &dyn Fn(&str) -> bool,
        el: &Element<'_>,
    ) -> Option<usize> {
        let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
        self.rules
            .iter()
            .find(|r| {
                let r = &r.rule;
                file_matches(&r.file, file)
                    && r.dir.as_deref().is_none_or(|d| dir_ends_with(dir, d))
                    && r.attribute.as_deref().is_none_or(|a| (el.has_attr)(a))
                    && r.query.as_deref().is_none_or(has_param)
            })
            .map(|r| r.vendor)
    }
}

/// `file` matches `pattern` (lowercase; one `*` for any run of bytes).
fn file_matches(pattern: &str, file: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == file,
        Some((head, tail)) => {
            file.len() >= head.len() + tail.len() && file.starts_with(head) && file.ends_with(tail)
        }
    }
}

/// The directory part `dir` (no trailing `/`) ends with `suffix` (`/js`)
/// at a segment boundary.
fn dir_ends_with(dir: &str, suffix: &str) -> bool {
    dir.ends_with(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> SelfHostedRules {
        let r = |file: &str, dir: Option<&str>, attribute: Option<&str>, query: Option<&str>| {
            SelfHosted {
                file: file.into(),
                dir: dir.map(Into::into),
                attribute: attribute.map(Into::into),
                query: query.map(Into::into),
            }
        };
        let matomo = [
            r("matomo.js", None, None, None),
            r("matomo.php", None, None, Some("idsite")),
        ];
        let plausible = [r("script*.js", None, Some("data-domain"), None)];
        let umami = [r("script.js", Some("/umami"), None, None)];
        SelfHostedRules::new([(0, &matomo[..]), (1, &plausible[..]), (2, &umami[..])].into_iter())
    }

    #[test]
    fn file_dir_attribute_and_query() {
        let r = rules();
        let none = Element {
            has_attr: &|_| false,
        };
        let domain = Element {
            has_attr: &|a| a == "data-domain",
        };
        let q = |p: &str| p == "idsite";
        let no_q = |_: &str| false;
        assert_eq!(r.find("/matomo/matomo.js", &no_q, &none), Some(0));
        assert_eq!(r.find("/matomo.php", &q, &none), Some(0));
        assert_eq!(r.find("/matomo.php", &no_q, &none), None);
        assert_eq!(r.find("/js/script.js", &no_q, &none), None);
        assert_eq!(r.find("/js/script.js", &no_q, &domain), Some(1));
        assert_eq!(
            r.find("/js/script.hash.outbound-links.js", &no_q, &domain),
            Some(1)
        );
        assert_eq!(r.find("/umami/script.js", &no_q, &none), Some(2));
        assert_eq!(r.find("/app/umami/script.js", &no_q, &none), Some(2));
        assert_eq!(r.find("/notumami/script.js", &no_q, &none), None);
        assert_eq!(r.find("/js/app.js", &no_q, &domain), None);
        assert!(r.candidate("script.min.js"));
        assert!(!r.candidate("app.js"));
    }
}
