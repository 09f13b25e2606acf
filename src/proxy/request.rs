//! Phase 1, `request_filter`: what one request is (a [`Visit`]) and where it
//! goes ([`Dispatch`]).

use super::settings::Settings;
use crate::consent::{cookie, enforce, State};
use crate::jurisdiction::{self, Geo};
use crate::rules::{Config, Mode, Route};
use percent_encoding::percent_decode_str;
use url::Url;

/// Marks a request the worker sent to the zone's own origin: when it comes
/// back, the zone's origin is the worker itself.
pub const HOP_HEADER: &str = "x-consent-edge-hop";

/// The methods the records, history and stats endpoints answer.
pub const ADMIN_ALLOW: &str = "GET";

/// One request as the shell read it.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The method exactly as the client sent it (`PROPFIND` stays `PROPFIND`).
    pub method: &'a str,
    /// The request URL.
    pub url: &'a Url,
    /// Request headers, names in lower case, in order (repeats kept).
    pub headers: &'a [(String, String)],
}

impl RequestFacts<'_> {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is a browser loading a document (a top-level page or a
    /// frame): `GET` with `Accept` naming `text/html`, or `Sec-Fetch-Dest`
    /// of a document. Such a response is the one the filter personalises.
    pub fn is_navigation(&self) -> bool {
        if !self.method.eq_ignore_ascii_case("GET") {
            return false;
        }
        let accepts_html = self
            .header("accept")
            .is_some_and(|a| a.to_ascii_lowercase().contains("text/html"));
        let dest = self.header("sec-fetch-dest").map(str::trim);
        accepts_html || matches!(dest, Some("document" | "iframe" | "frame"))
    }

    /// Whether the document is loaded into a frame (`Sec-Fetch-Dest:
    /// iframe` or `frame`): it gets the guard and the filter but no second
    /// banner (issue 13, item 5).
    pub fn is_frame(&self) -> bool {
        let dest = self.header("sec-fetch-dest").map(str::trim);
        dest.is_some_and(|d| d.eq_ignore_ascii_case("iframe") || d.eq_ignore_ascii_case("frame"))
    }
}

/// One request, with everything the later phases need.
#[derive(Debug, Clone)]
pub struct Visit<'c> {
    /// The request URL.
    pub url: Url,
    /// `host[:port]` of the request.
    pub host: String,
    /// Mark cookies `Secure` (false only for plain-http local development).
    pub secure: bool,
    /// Where the visitor is.
    pub geo: Option<Geo>,
    /// The request's `Cookie` header.
    pub cookie_header: Option<String>,
    /// The request's `Accept-Language`.
    pub accept_language: Option<String>,
    /// The `[[routes]]` rule for the path the origin will serve.
    pub route: Option<&'c Route>,
    /// The visitor's consent state.
    pub state: State,
    /// The consent cookie's name for this request ([`crate::consent::cookie::cookie_name`]:
    /// `__Host-`/`__Secure-` prefixed unless plain-http localhost).
    pub cookie_name: String,
    /// The cookie keys bound to this request's site (host, or `COOKIE_DOMAIN`)
    /// and environment: sign and verify the consent cookie with these only.
    pub secrets: crate::consent::Secrets,
    /// A document navigation ([`RequestFacts::is_navigation`]).
    pub navigation: bool,
    /// A document loaded into a frame ([`RequestFacts::is_frame`]).
    pub frame: bool,
    /// The method exactly as sent.
    pub method: String,
    /// When the request arrived (unix seconds).
    pub now: u64,
}

impl<'c> Visit<'c> {
    /// Resolves the visit: geolocation (`cf`, or the dev override), regime,
    /// consent state at `now`, route.
    pub fn new(
        facts: &RequestFacts<'_>,
        cfg: &'c Config,
        settings: &Settings,
        cf: Option<Geo>,
        now: u64,
    ) -> Visit<'c> {
        let url = facts.url.clone();
        let host = authority(&url);
        let geo = geo(facts, settings, cf);
        let regime = crate::jurisdiction::resolve(&cfg.jurisdictions, geo.as_ref());
        let gpc = facts.header("sec-gpc").is_some_and(|v| v.trim() == "1");
        let cookie_header = facts.header("cookie").map(str::to_owned);
        let secure = url.scheme() == "https" || !is_local(url.host_str().unwrap_or_default());
        let domain = cookie::domain_for_host(&host, settings.cookie_domain.as_deref());
        let cookie_name = cookie::cookie_name(&cfg.cookie.name, secure, domain);
        let secrets = settings.secrets.bound(cookie::Scope::site(&host, domain));
        let policy = crate::consent::CookiePolicy {
            name: &cookie_name,
            revision: cfg.policy.revision,
        };
        let mut state = State::resolve(
            cookie_header.as_deref(),
            &policy,
            &secrets,
            regime,
            gpc,
            now,
        );
        let classify = |name: &str| {
            enforce::classify_cookie(&cfg.cookies, crate::trackers::Catalog::configured(), name)
        };
        state.residual = enforce::residual(
            cookie_header.as_deref(),
            state.decision.is_some(),
            state.grants,
            &classify,
        );
        Visit {
            secure,
            cookie_name,
            secrets,
            route: cfg.route_for(&host, &served_path(url.path())),
            host,
            geo,
            cookie_header,
            accept_language: facts.header("accept-language").map(str::to_owned),
            state,
            navigation: facts.is_navigation(),
            frame: facts.is_frame(),
            method: facts.method.to_owned(),
            now,
            url,
        }
    }

    /// Path and query of the page (where the no-JS banner returns to).
    pub fn return_to(&self) -> String {
        match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_string(),
        }
    }

    /// The consent cookie's policy for this request (its derived name, the
    /// current revision): what [`crate::consent::endpoint::handle`] takes.
    pub fn cookie_policy<'v>(&'v self, cfg: &Config) -> crate::consent::CookiePolicy<'v> {
        crate::consent::CookiePolicy {
            name: &self.cookie_name,
            revision: cfg.policy.revision,
        }
    }

    /// Every domain and path a refused cookie may live on, seen from this
    /// request (host-only, parent domains down to the registrable one, the
    /// URL's path prefixes).
    pub fn reach(&self) -> crate::consent::reach::Reach {
        crate::consent::reach::Reach::of(&self.host, self.url.path())
    }

    /// The cookie `Domain` for this host, if `COOKIE_DOMAIN` covers it.
    pub fn cookie_domain<'s>(&self, settings: &'s Settings) -> Option<&'s str> {
        crate::consent::cookie::domain_for_host(&self.host, settings.cookie_domain.as_deref())
    }
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatch {
    /// It came back to the worker (508): with `ORIGIN` empty the zone's
    /// origin is the worker itself.
    Loop,
    /// The consent endpoint (`[cookie] endpoint`).
    Consent,
    /// `<endpoint>/<sub>`: records, history, stats (GET only).
    Admin(String),
    /// `<endpoint>/<sub>` with another method: 405 with `Allow`.
    AdminMethodNotAllowed,
    /// `<endpoint>/csp-report`, any method: the CSP report endpoint
    /// ([`crate::discovery::endpoint`] answers 405 to anything but POST).
    CspReport,
    /// `<endpoint>/discovery` (GET): the discovery list.
    Discovery,
    /// `DEV_FAULTS`: a deliberate panic for the hardening tests.
    FaultPanic,
    /// `DEV_FAULTS`: a deliberate runtime error (answered 500) for the tests.
    FaultError,
    /// To the origin. `bypass`: the route says bypass, so a response that
    /// is not a document passes untouched.
    Proxy {
        /// `mode = "bypass"` on the route.
        bypass: bool,
    },
}

/// `request_filter`: routes one request. The endpoint paths are matched on
/// the path as sent; `[[routes]]` on the path the origin will serve
/// ([`served_path`], already in [`Visit::route`]).
pub fn request_filter(
    facts: &RequestFacts<'_>,
    visit: &Visit<'_>,
    cfg: &Config,
    settings: &Settings,
) -> Dispatch {
    if facts.header(HOP_HEADER).is_some() {
        return Dispatch::Loop;
    }
    let ep = cfg.cookie.endpoint.as_str();
    let path = facts.url.path();
    if path == ep {
        return Dispatch::Consent;
    }
    if let Some(sub) = path.strip_prefix(ep).and_then(|s| s.strip_prefix('/')) {
        if sub == crate::csp::REPORT_SUB {
            return Dispatch::CspReport;
        }
        if settings.dev_faults && sub == "fault/panic" {
            return Dispatch::FaultPanic;
        }
        if settings.dev_faults && sub == "fault/error" {
            return Dispatch::FaultError;
        }
        // Exact comparison: the worker crate would read `PROPFIND` as GET.
        if facts.method != ADMIN_ALLOW {
            return Dispatch::AdminMethodNotAllowed;
        }
        if sub == "discovery" {
            return Dispatch::Discovery;
        }
        return Dispatch::Admin(sub.to_string());
    }
    Dispatch::Proxy {
        bypass: visit.route.is_some_and(|r| r.mode == Mode::Bypass),
    }
}

/// The path the origin will serve for `path` (a URL path as the URL parser
/// left it): each segment without its `;parameters` (Tomcat, Jetty and
/// others drop them), percent-decoded, then `.`/`..` resolved. So
/// `/account;.pdf` is `/account` and `/.well-known/..;/checkout` is
/// `/checkout` for route matching.
pub fn served_path(path: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        let seg = seg.split(';').next().unwrap_or("");
        let seg = percent_decode_str(seg).decode_utf8_lossy();
        match seg.as_ref() {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s.to_string()),
        }
        // A trailing dot segment names the directory: keep the final '/'.
        if i == last && matches!(seg.as_ref(), "." | "..") {
            out.push(String::new());
        }
    }
    format!("/{}", out.join("/"))
}

/// `host[:port]` of a URL.
pub fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// Plain-http local development hosts (cookies without `Secure`).
fn is_local(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host.ends_with(".localhost")
}

/// The request's geolocation: `cf`, or in dev (`DEV_GEO_OVERRIDE`) the
/// `x-consent-geo` header / `?__geo=` query when it parses.
pub fn geo(facts: &RequestFacts<'_>, settings: &Settings, cf: Option<Geo>) -> Option<Geo> {
    if settings.dev_geo_override {
        let over = facts
            .header("x-consent-geo")
            .map(str::to_owned)
            .or_else(|| {
                facts
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "__geo")
                    .map(|(_, v)| v.into_owned())
            });
        if let Some(g) = over.as_deref().and_then(jurisdiction::parse_geo_override) {
            return Some(g);
        }
    }
    cf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn dispatch(method: &str, url: &str, h: &[(&str, &str)], settings: &Settings) -> Dispatch {
        let cfg = Config::embedded();
        let url = Url::parse(url).unwrap();
        let headers = headers(h);
        let facts = RequestFacts {
            method,
            url: &url,
            headers: &headers,
        };
        let visit = Visit::new(&facts, cfg, settings, None, 1_700_000_000);
        request_filter(&facts, &visit, cfg, settings)
    }

    #[test]
    fn served_path_strips_parameters_decodes_and_resolves_dots() {
        for (raw, served) in [
            ("/", "/"),
            ("/doc.pdf", "/doc.pdf"),
            ("/account;.pdf", "/account"),
            ("/a;x=1/b;y/c.pdf;jsessionid=2", "/a/b/c.pdf"),
            ("/.well-known/..;/checkout", "/checkout"),
            ("/x%2Epdf", "/x.pdf"),
            ("/a/%2e%2e/b", "/b"),
            ("/a/b/..", "/a/"),
            ("/dir/", "/dir/"),
            ("/caf%C3%A9", "/café"),
            ("/bad%FF", "/bad\u{FFFD}"),
        ] {
            assert_eq!(served_path(raw), served, "{raw}");
        }
    }

    #[test]
    fn bypass_rules_match_the_served_path() {
        let s = Settings::default();
        let proxy = |bypass| Dispatch::Proxy { bypass };
        assert_eq!(
            dispatch("GET", "https://w.example/doc.pdf", &[], &s),
            proxy(true)
        );
        assert_eq!(
            dispatch("GET", "https://w.example/DOC.PDF", &[], &s),
            proxy(true)
        );
        assert_eq!(
            dispatch("GET", "https://w.example/account;.pdf", &[], &s),
            proxy(false),
            "a ;parameter is not the file's extension"
        );
        assert_eq!(
            dispatch("GET", "https://w.example/.well-known/..;/checkout", &[], &s),
            proxy(false)
        );
        assert_eq!(
            dispatch("GET", "https://w.example/page", &[], &s),
            proxy(false)
        );
    }

    #[test]
    fn endpoint_paths_and_methods() {
        let s = Settings::default();
        let u = "https://w.example/__consent";
        assert_eq!(dispatch("GET", u, &[], &s), Dispatch::Consent);
        // Unknown methods reach the endpoint as they are; it answers 405.
        assert_eq!(dispatch("PROPFIND", u, &[], &s), Dispatch::Consent);
        let r = "https://w.example/__consent/records";
        assert_eq!(
            dispatch("GET", r, &[], &s),
            Dispatch::Admin("records".into())
        );
        for m in ["POST", "HEAD", "PURGE", "QUERY", "get"] {
            assert_eq!(
                dispatch(m, r, &[], &s),
                Dispatch::AdminMethodNotAllowed,
                "{m}"
            );
        }
        let report = "https://w.example/__consent/csp-report";
        for m in ["POST", "GET", "PUT"] {
            assert_eq!(dispatch(m, report, &[], &s), Dispatch::CspReport, "{m}");
        }
        let disc = "https://w.example/__consent/discovery";
        assert_eq!(dispatch("GET", disc, &[], &s), Dispatch::Discovery);
        assert_eq!(
            dispatch("POST", disc, &[], &s),
            Dispatch::AdminMethodNotAllowed
        );
        let panic = "https://w.example/__consent/fault/panic";
        assert_eq!(
            dispatch("GET", panic, &[], &s),
            Dispatch::Admin("fault/panic".into())
        );
        let dev = Settings {
            dev_faults: true,
            ..Settings::default()
        };
        assert_eq!(dispatch("GET", panic, &[], &dev), Dispatch::FaultPanic);
        let error = "https://w.example/__consent/fault/error";
        assert_eq!(dispatch("GET", error, &[], &dev), Dispatch::FaultError);
        assert_eq!(
            dispatch("GET", error, &[], &s),
            Dispatch::Admin("fault/error".into())
        );
        // Site paths: any method goes to the origin.
        assert_eq!(
            dispatch("PROPFIND", "https://w.example/dav/", &[], &s),
            Dispatch::Proxy { bypass: false }
        );
        assert_eq!(
            dispatch("GET", "https://w.example/__consentx", &[], &s),
            Dispatch::Proxy { bypass: false }
        );
    }

    #[test]
    fn the_hop_marker_means_a_loop_whatever_the_path() {
        let s = Settings::default();
        let hop = [(HOP_HEADER, "1")];
        assert_eq!(
            dispatch("GET", "https://w.example/", &hop, &s),
            Dispatch::Loop
        );
        assert_eq!(
            dispatch("GET", "https://w.example/__consent", &hop, &s),
            Dispatch::Loop
        );
    }

    #[test]
    fn navigations_are_gets_for_documents() {
        let url = Url::parse("https://w.example/").unwrap();
        let nav = |method: &str, h: &[(&str, &str)]| {
            let headers = headers(h);
            RequestFacts {
                method,
                url: &url,
                headers: &headers,
            }
            .is_navigation()
        };
        let html = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        assert!(nav("GET", &[html]));
        assert!(nav("GET", &[("sec-fetch-dest", "document")]));
        assert!(nav("GET", &[("sec-fetch-dest", "iframe")]));
        assert!(nav("GET", &[("accept", "TEXT/HTML")]));
        assert!(!nav("GET", &[("accept", "*/*")]));
        assert!(!nav("GET", &[("sec-fetch-dest", "image")]));
        assert!(!nav("POST", &[html]));
        assert!(!nav("HEAD", &[html]));
    }

    #[test]
    fn visit_reads_host_secure_return_to_and_geo() {
        let cfg = Config::embedded();
        let url = Url::parse("http://localhost:8787/a/b?x=1&__geo=US-CA").unwrap();
        let headers = headers(&[("cookie", "a=1"), ("accept-language", "de")]);
        let facts = RequestFacts {
            method: "GET",
            url: &url,
            headers: &headers,
        };
        let plain = Visit::new(&facts, cfg, &Settings::default(), None, 0);
        assert_eq!(plain.host, "localhost:8787");
        assert!(!plain.secure, "plain-http localhost");
        assert_eq!(plain.return_to(), "/a/b?x=1&__geo=US-CA");
        assert_eq!(plain.cookie_header.as_deref(), Some("a=1"));
        assert_eq!(plain.accept_language.as_deref(), Some("de"));
        assert_eq!(plain.geo, None, "no override without DEV_GEO_OVERRIDE");
        let dev = Settings {
            dev_geo_override: true,
            ..Settings::default()
        };
        let v = Visit::new(&facts, cfg, &dev, None, 0);
        assert_eq!(v.geo.and_then(|g| g.region).as_deref(), Some("CA"));
        let remote = Url::parse("http://w.example/").unwrap();
        let facts = RequestFacts {
            method: "GET",
            url: &remote,
            headers: &[],
        };
        assert!(Visit::new(&facts, cfg, &dev, None, 0).secure);
    }
}
