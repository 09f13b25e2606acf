//! CSP violation reports → [`Sighting`]s of third-party hosts nobody
//! declared. Both shapes browsers send are read:
//!
//! - `application/csp-report` (`report-uri`, every browser):
//!   `{"csp-report": {"document-uri", "blocked-uri", "effective-directive"}}`;
//! - `application/reports+json` (`report-to`, Chromium): an array of
//!   `{"type": "csp-violation", "body": {"documentURL", "blockedURL",
//!   "effectiveDirective"}}`.
//!
//! Only the blocked URL's host, the directive and the page's path are
//! kept; a report about another site's page, about inline code (`inline`,
//! `eval`), or about a host the catalog, the site or `[csp] allow` already
//! knows gives nothing.

use super::{bounded_path, Kind, Sighting, MAX_NAME};
use crate::trackers::Catalog;
use serde_json::Value;
use url::Url;

/// The most reports read from one body, and sightings kept from it.
pub const MAX_REPORTS: usize = 32;

/// What the site already knows: hosts that are not discoveries.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// The tracker catalog.
    pub catalog: &'a Catalog,
    /// The site's host (`host[:port]` of the request).
    pub site_host: &'a str,
    /// `[csp] allow`.
    pub site_allow: &'a [String],
}

impl Known<'_> {
    /// Whether `host` (lower case) with `path` is the site, a declared third
    /// party, a configured first party or a catalog vendor.
    pub fn knows(&self, host: &str, path: &str) -> bool {
        let site = self.site_host.split(':').next().unwrap_or_default();
        host == site
            || self.catalog.is_first_party(host, self.site_host)
            || self.catalog.match_host_path(host, path).is_some()
            || self.site_allow.iter().any(|e| allow_matches(e, host, path))
    }
}

/// Whether a `[csp] allow` host source (`host`, `*.host`, `host/path`)
/// matches, as a browser would read it.
pub fn allow_matches(entry: &str, host: &str, path: &str) -> bool {
    let (h, p) = match entry.find('/') {
        Some(i) => entry.split_at(i),
        None => (entry, ""),
    };
    let host_ok = match h.strip_prefix("*.") {
        Some(parent) => host.len() > parent.len() + 1 && host.ends_with(&format!(".{parent}")),
        None => host == h,
    };
    let path_ok = p.is_empty()
        || if p.ends_with('/') {
            path.starts_with(p)
        } else {
            path == p
        };
    host_ok && path_ok
}

/// Why a report body was refused (400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportBodyError {
    /// Not JSON.
    #[error("the report is not JSON: {0}")]
    Json(String),
    /// JSON, but not a CSP report.
    #[error(
        "not a CSP violation report: expected {{\"csp-report\": {{…}}}} or an array of reports"
    )]
    Shape,
}

/// The sightings of one report body (`reports_json`: the
/// `application/reports+json` shape). Unknown hosts only, at most
/// [`MAX_REPORTS`], duplicates removed.
pub fn parse_report(
    body: &[u8],
    reports_json: bool,
    known: &Known<'_>,
) -> Result<Vec<Sighting>, ReportBodyError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| ReportBodyError::Json(e.to_string()))?;
    let mut out: Vec<Sighting> = Vec::new();
    let mut push = |doc: Option<&str>, blocked: Option<&str>, dir: Option<&str>| {
        if let Some(s) = sighting(doc, blocked, dir, known) {
            if !out.contains(&s) && out.len() < MAX_REPORTS {
                out.push(s);
            }
        }
    };
    if reports_json {
        let list = v.as_array().ok_or(ReportBodyError::Shape)?;
        for r in list.iter().take(MAX_REPORTS) {
            if r.get("type").and_then(Value::as_str) != Some("csp-violation") {
                continue;
            }
            let b = r.get("body").ok_or(ReportBodyError::Shape)?;
            let s = |k: &str| b.get(k).and_then(Value::as_str);
            push(s("documentURL"), s("blockedURL"), s("effectiveDirective"));
        }
    } else {
        let b = v.get("csp-report").ok_or(ReportBodyError::Shape)?;
        let s = |k: &str| b.get(k).and_then(Value::as_str);
        let dir = s("effective-directive").or(s("violated-directive"));
        push(s("document-uri"), s("blocked-uri"), dir);
    }
    Ok(out)
}

/// One sighting, if the report is about this site's page and an unknown
/// third-party host.
fn sighting(
    document: Option<&str>,
    blocked: Option<&str>,
    directive: Option<&str>,
    known: &Known<'_>,
) -> Option<Sighting> {
    let doc = Url::parse(document?).ok()?;
    let site = known.site_host.split(':').next().unwrap_or_default();
    if !doc.host_str()?.eq_ignore_ascii_case(site) {
        return None;
    }
    // `inline`, `eval`, `data`, `blob` … are not URLs with a host.
    let blocked = Url::parse(blocked?).ok()?;
    if !matches!(blocked.scheme(), "http" | "https" | "ws" | "wss") {
        return None;
    }
    let host = blocked
        .host_str()?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if host.is_empty() || host.len() > MAX_NAME || known.knows(&host, blocked.path()) {
        return None;
    }
    Some(Sighting {
        kind: Kind::Host,
        name: host,
        directive: directive_id(directive.unwrap_or_default()),
        path: bounded_path(doc.path()),
    })
}

/// The directive name (`img-src`), or `unknown` when it is not one.
fn directive_id(d: &str) -> String {
    let name = d.split_whitespace().next().unwrap_or_default();
    let ok = !name.is_empty()
        && name.len() <= 40
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    if ok {
        name.into()
    } else {
        "unknown".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Known<'static> {
        static ALLOW: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        Known {
            catalog: Catalog::embedded(),
            site_host: "shop.example",
            site_allow: ALLOW
                .get_or_init(|| vec!["*.shopcdn.example".into(), "pay.example/v3/".into()]),
        }
    }

    fn legacy(doc: &str, blocked: &str, dir: &str) -> Vec<u8> {
        serde_json::json!({"csp-report": {
            "document-uri": doc, "blocked-uri": blocked, "effective-directive": dir,
            "violated-directive": dir, "original-policy": "default-src 'self'"}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn an_unknown_host_becomes_a_sighting_without_query() {
        let body = legacy(
            "https://shop.example/cart?user=42#x",
            "https://pixel.unknown-tracker.example/p.gif?uid=9",
            "img-src",
        );
        let s = parse_report(&body, false, &known()).unwrap();
        assert_eq!(
            s,
            [Sighting {
                kind: Kind::Host,
                name: "pixel.unknown-tracker.example".into(),
                directive: "img-src".into(),
                path: "/cart".into(),
            }]
        );
    }

    #[test]
    fn known_hosts_inline_code_and_other_sites_give_nothing() {
        for (doc, blocked) in [
            (
                "https://shop.example/",
                "https://www.google-analytics.com/g/collect",
            ),
            (
                "https://shop.example/",
                "https://connect.facebook.net/en_US/fbevents.js",
            ),
            ("https://shop.example/", "https://img.shopcdn.example/a.png"),
            (
                "https://shop.example/",
                "https://pay.example/v3/checkout.js",
            ),
            ("https://shop.example/", "https://shop.example/local.js"),
            ("https://shop.example/", "inline"),
            ("https://shop.example/", "eval"),
            ("https://shop.example/", "data:image/png;base64,AA"),
            ("https://elsewhere.example/", "https://x.unknown.example/"),
            ("not a url", "https://x.unknown.example/"),
        ] {
            let s =
                parse_report(&legacy(doc, blocked, "script-src-elem"), false, &known()).unwrap();
            assert!(s.is_empty(), "{doc} {blocked}: {s:?}");
        }
        // A path outside the declared prefix is a discovery.
        let s = parse_report(
            &legacy(
                "https://shop.example/",
                "https://pay.example/other.js",
                "script-src-elem",
            ),
            false,
            &known(),
        )
        .unwrap();
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn reporting_api_batches_are_read_and_deduplicated() {
        let one = serde_json::json!({"type": "csp-violation", "age": 3, "url": "https://shop.example/a",
            "body": {"documentURL": "https://shop.example/a", "blockedURL": "https://t.unknown.example/x.js",
                     "effectiveDirective": "script-src-elem", "disposition": "report"}});
        let other = serde_json::json!({"type": "deprecation", "body": {}});
        let body = serde_json::json!([one, one, other]).to_string();
        let s = parse_report(body.as_bytes(), true, &known()).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].directive, "script-src-elem");
        assert_eq!(s[0].name, "t.unknown.example");
    }

    #[test]
    fn malformed_bodies_are_named() {
        assert!(matches!(
            parse_report(b"{", false, &known()),
            Err(ReportBodyError::Json(_))
        ));
        assert_eq!(
            parse_report(b"{}", false, &known()),
            Err(ReportBodyError::Shape)
        );
        assert_eq!(
            parse_report(b"{}", true, &known()),
            Err(ReportBodyError::Shape)
        );
        assert_eq!(
            parse_report(b"[{\"type\":\"csp-violation\"}]", true, &known()),
            Err(ReportBodyError::Shape)
        );
        // A strange directive is stored as `unknown`, never as given.
        let body = legacy(
            "https://shop.example/",
            "https://a.unknown.example/",
            "img-src'; DROP",
        );
        assert_eq!(
            parse_report(&body, false, &known()).unwrap()[0].directive,
            "unknown"
        );
    }

    #[test]
    fn allow_entries_match_like_host_sources() {
        assert!(allow_matches("cdn.example", "cdn.example", "/x"));
        assert!(!allow_matches("cdn.example", "a.cdn.example", "/x"));
        assert!(allow_matches("*.cdn.example", "a.cdn.example", "/x"));
        assert!(!allow_matches("*.cdn.example", "cdn.example", "/x"));
        assert!(!allow_matches("*.cdn.example", "evilcdn.example", "/x"));
        assert!(allow_matches("p.example/v3/", "p.example", "/v3/a.js"));
        assert!(!allow_matches("p.example/v3/", "p.example", "/v4/a.js"));
        assert!(allow_matches("p.example/a.js", "p.example", "/a.js"));
        assert!(!allow_matches("p.example/a.js", "p.example", "/a.jsx"));
    }
}
