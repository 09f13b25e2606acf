//! Phase 2, `upstream_request`: the request the origin gets.

use super::request::{Visit, HOP_HEADER};
use super::settings::OriginChoice;
use crate::consent::{enforce, Category};
use url::Url;

/// Conditional request headers. For a navigation they are not forwarded:
/// the browser's validators name a copy that may have been personalised
/// for another consent state, and a 304 would bring it back.
pub const CONDITIONAL_HEADERS: [&str; 5] = [
    "if-none-match",
    "if-modified-since",
    "if-match",
    "if-unmodified-since",
    "if-range",
];

/// One change to the request's headers, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderEdit {
    /// Remove every header of this name.
    Remove(&'static str),
    /// Set this header (replacing any).
    Set(&'static str, String),
}

/// What to send to the origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The target URL.
    pub url: Url,
    /// The method, exactly as the visitor sent it.
    pub method: String,
    /// Changes to the visitor's request headers.
    pub edits: Vec<HeaderEdit>,
    /// Forward the request body (every method but GET and HEAD).
    pub body: bool,
}

/// `upstream_request`: the origin URL (path and query kept, the origin's
/// host; a directory of the dev assets means its `index.html`), and the
/// headers: no `Host`, the hop marker for the zone's origin, the `Cookie`
/// header without refused cookies (and without the consent cookie unless
/// `forward_to_origin`), and no conditional headers on a navigation.
pub fn upstream_request(
    visit: &Visit<'_>,
    origin: &OriginChoice,
    consent_cookie: &str,
    forward_consent: bool,
    classify: enforce::Classify<'_>,
) -> Upstream {
    let url = &visit.url;
    let target = match origin {
        OriginChoice::Url(base) => {
            let mut t = base.clone();
            t.set_path(url.path());
            t.set_query(url.query());
            t
        }
        OriginChoice::Assets if url.path().ends_with('/') => {
            let mut t = url.clone();
            t.set_path(&format!("{}index.html", url.path()));
            t
        }
        _ => url.clone(),
    };
    let mut edits = vec![HeaderEdit::Remove("host")];
    if *origin == OriginChoice::Zone {
        // Deployed, a same-zone subrequest goes to the origin and never
        // comes back; locally it would loop through the worker for ever.
        edits.push(HeaderEdit::Set(HOP_HEADER, "1".into()));
    }
    if let Some(h) = visit.cookie_header.as_deref() {
        let kept = enforce::request_cookie_header(
            h,
            visit.state.grants,
            consent_cookie,
            forward_consent,
            classify,
        );
        edits.push(match kept {
            Some(c) => HeaderEdit::Set("cookie", c),
            None => HeaderEdit::Remove("cookie"),
        });
    }
    if visit.navigation {
        edits.extend(CONDITIONAL_HEADERS.iter().map(|h| HeaderEdit::Remove(h)));
        // Only codings the runtime decodes: any other one on a page is
        // refused (a 502, `super::encoding::treat`), and browsers offer zstd.
        let codings = super::encoding::RUNTIME_DECODED.join(", ");
        edits.push(HeaderEdit::Set("accept-encoding", codings));
    }
    let method = visit.method.clone();
    let body = !(method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD"));
    Upstream {
        url: target,
        method,
        edits,
        body,
    }
}

/// Whether a header is one [`upstream_request`] may leave out on purpose
/// (used by tests to check nothing else is touched).
#[cfg(test)]
fn edited(edits: &[HeaderEdit], name: &str) -> bool {
    edits.iter().any(|e| match e {
        HeaderEdit::Remove(n) | HeaderEdit::Set(n, _) => *n == name,
    })
}

/// The site's classifier of cookie names for `cfg` (inventory, then catalog).
pub fn cookie_classifier<'a>(
    cfg: &'a crate::rules::Config,
    catalog: &'a crate::trackers::Catalog,
) -> impl Fn(&str) -> Option<Category> + 'a {
    move |name| crate::consent::enforce::classify_cookie(&cfg.cookies, catalog, name)
}

/// Test support: the upstream plan for a request to `url` with headers `h`
/// (names lower case) under the embedded configuration, handed to `f` with
/// the visit and headers it came from (shared by the upstream and cache
/// tests).
#[cfg(test)]
pub(crate) fn planned<R>(
    method: &str,
    url: &str,
    h: &[(&str, &str)],
    origin: &OriginChoice,
    forward: bool,
    f: impl FnOnce(&Visit<'_>, &[(String, String)], Upstream) -> R,
) -> R {
    use crate::proxy::request::RequestFacts;
    use crate::proxy::settings::Settings;
    let cfg = crate::rules::Config::embedded();
    let url = Url::parse(url).unwrap();
    let headers: Vec<(String, String)> = h
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let facts = RequestFacts {
        method,
        url: &url,
        headers: &headers,
    };
    let visit = Visit::new(&facts, cfg, &Settings::default(), None, 0);
    let classify = cookie_classifier(cfg, crate::trackers::Catalog::configured());
    let up = upstream_request(&visit, origin, &visit.cookie_name, forward, &classify);
    f(&visit, &headers, up)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(method: &str, url: &str, h: &[(&str, &str)], origin: &OriginChoice) -> Upstream {
        planned(method, url, h, origin, false, |_, _, up| up)
    }

    fn base() -> OriginChoice {
        OriginChoice::Url(Url::parse("http://127.0.0.1:9000/ignored?z=9").unwrap())
    }

    #[test]
    fn the_origin_url_keeps_path_and_query() {
        let up = plan("GET", "https://w.example/a/b?x=1&y=%20", &[], &base());
        assert_eq!(up.url.as_str(), "http://127.0.0.1:9000/a/b?x=1&y=%20");
        let up = plan("GET", "https://w.example/a", &[], &base());
        assert_eq!(
            up.url.as_str(),
            "http://127.0.0.1:9000/a",
            "the base's query is not kept"
        );
        let up = plan("GET", "https://w.example/docs/", &[], &OriginChoice::Assets);
        assert_eq!(up.url.as_str(), "https://w.example/docs/index.html");
        let up = plan("GET", "https://w.example/docs/", &[], &OriginChoice::Zone);
        assert_eq!(up.url.as_str(), "https://w.example/docs/");
        assert!(up.edits.contains(&HeaderEdit::Set(HOP_HEADER, "1".into())));
        assert!(!plan("GET", "https://w.example/", &[], &base())
            .edits
            .iter()
            .any(|e| matches!(e, HeaderEdit::Set(HOP_HEADER, _))));
    }

    #[test]
    fn methods_are_kept_exactly_and_bodies_forwarded_unless_get_or_head() {
        for (m, body) in [
            ("GET", false),
            ("HEAD", false),
            ("POST", true),
            ("PROPFIND", true),
            ("PURGE", true),
            ("QUERY", true),
        ] {
            let up = plan(m, "https://w.example/dav/", &[], &base());
            assert_eq!(up.method, m);
            assert_eq!(up.body, body, "{m}");
        }
    }

    #[test]
    fn refused_cookies_and_the_consent_cookie_stay_away_from_the_origin() {
        let up = plan(
            "GET",
            "https://w.example/",
            &[("cookie", "session=abc; _ga=GA1.1; __Host-consent=xyz")],
            &base(),
        );
        assert!(up
            .edits
            .contains(&HeaderEdit::Set("cookie", "session=abc".into())));
        let up = plan("GET", "https://w.example/", &[("cookie", "_ga=1")], &base());
        assert!(up.edits.contains(&HeaderEdit::Remove("cookie")));
        let up = plan("GET", "https://w.example/", &[], &base());
        assert!(
            !edited(&up.edits, "cookie"),
            "no cookie header, nothing to do"
        );
        // Bypass routes too: the request is sent before the response type is known.
        let up = plan(
            "GET",
            "https://w.example/x.pdf",
            &[("cookie", "_ga=1")],
            &base(),
        );
        assert!(up.edits.contains(&HeaderEdit::Remove("cookie")));
    }

    #[test]
    fn conditional_headers_are_dropped_for_navigations_only() {
        let cond = [
            ("if-none-match", "\"a1\""),
            ("if-modified-since", "Mon, 30 Nov 2026 10:00:00 GMT"),
        ];
        let mut nav = cond.to_vec();
        nav.push(("accept", "text/html,*/*"));
        let up = plan("GET", "https://w.example/article", &nav, &base());
        for h in CONDITIONAL_HEADERS {
            assert!(up.edits.contains(&HeaderEdit::Remove(h)), "{h}");
        }
        let mut frame = cond.to_vec();
        frame.push(("sec-fetch-dest", "iframe"));
        let up = plan("GET", "https://w.example/article", &frame, &base());
        assert!(up.edits.contains(&HeaderEdit::Remove("if-none-match")));
        // A script's fetch() or an image: validators are the client's business.
        let up = plan("GET", "https://w.example/a.js", &cond, &base());
        assert!(!edited(&up.edits, "if-none-match"));
        assert!(up.edits.contains(&HeaderEdit::Remove("host")));
    }
}
