use super::*;
use crate::consent::Grants;
use crate::proxy::request::{RequestFacts, Visit};
use url::Url;

const PAGE_CT: &str = "text/html; charset=utf-8";

fn pairs(h: &[(&str, &str)]) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

struct Case {
    method: &'static str,
    url: &'static str,
    request: Vec<(String, String)>,
    grants: Grants,
    bypass: bool,
    upgrade: bool,
    csp: consent_edge_config::CspSettings,
    decided: bool,
}

impl Case {
    fn get(url: &'static str) -> Case {
        Case {
            method: "GET",
            url,
            request: pairs(&[("accept", "text/html,*/*;q=0.8")]),
            grants: Grants::NECESSARY_ONLY,
            bypass: false,
            upgrade: false,
            csp: Default::default(),
            decided: false,
        }
    }

    fn with(mut self, h: &[(&str, &str)]) -> Case {
        self.request.extend(pairs(h));
        self
    }

    fn plan(&self, status: u16, headers: &[(&str, &str)]) -> ResponsePlan {
        let embedded = Config::embedded();
        let mut settings = embedded.settings().clone();
        settings.csp = self.csp.clone();
        let owned = Config::new(settings, embedded.catalog_file().clone()).unwrap();
        let cfg = &owned;
        let url = Url::parse(self.url).unwrap();
        let facts = RequestFacts {
            method: self.method,
            url: &url,
            headers: &self.request,
        };
        let settings = Settings {
            cookie_domain: Some("example.com".into()),
            secrets: crate::consent::Secrets::new(SECRET),
            ..Settings::default()
        };
        let mut visit = Visit::new(&facts, cfg, &settings, None, 0);
        visit.state.grants = self.grants;
        if self.decided {
            visit.state.decision = Some(crate::model::Decision {
                grants: self.grants,
                revision: 1,
                decided_at: 0,
                consent_id: "k3Yp-0_aZ".into(),
                method: crate::model::Method::Custom,
                jurisdiction: "eu".into(),
                gpc: false,
            });
        }
        let ctx = Context {
            visit: &visit,
            bypass: self.bypass,
            upgrade: self.upgrade,
            settings: &settings,
            cfg,
            catalog: Catalog::configured(),
            now: 0,
            random: [0; 16],
        };
        let headers = pairs(headers);
        response_filter(
            &ResponseFacts {
                status,
                headers: &headers,
            },
            &ctx,
        )
    }
}

fn all<'a>(h: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    h.iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

const SECRET: &[u8] = b"response-test-secret-0123456789";

/// The `data-form-token` of the banner in `html`.
fn banner_token(html: &str) -> &str {
    let at = html.find("data-form-token=\"").expect("a banner token") + 17;
    &html[at..at + html[at..].find('"').unwrap()]
}

#[test]
fn the_banner_carries_a_token_for_this_host_and_page() {
    use crate::consent::token;
    let secrets = crate::consent::Secrets::new(SECRET);
    let html = |url| {
        let (_, page) = rewritten(Case::get(url).plan(200, &[("content-type", PAGE_CT)]));
        page.body_end
    };
    let page = html("https://www.example.com/shop/cart?item=2");
    let t = banner_token(&page);
    assert_eq!(
        token::verify(Some(t), &secrets, "www.example.com", Some("/shop/cart"), 60),
        Ok(())
    );
    assert_eq!(
        token::verify(Some(t), &secrets, "www.example.com", Some("/"), 60),
        Err(token::TokenError::OtherPage)
    );
    assert!(page.contains(&format!("name=\"token\" value=\"{t}\"")));
    // a path the endpoint would not redirect to is bound as `/`, like its return_to
    let odd = html("https://www.example.com/a%5Cb");
    assert_eq!(
        token::verify(
            Some(banner_token(&odd)),
            &secrets,
            "www.example.com",
            Some("/"),
            60
        ),
        Ok(())
    );
}

fn rewritten(plan: ResponsePlan) -> (Vec<(String, String)>, Page) {
    match plan {
        ResponsePlan::Rewrite { headers, page, .. } => (headers, *page),
        other => panic!("expected a rewrite, got {other:?}"),
    }
}

#[test]
fn a_rewritten_page_is_private_without_validators_and_varies() {
    let origin = [
        ("content-type", PAGE_CT),
        ("cache-control", "public, max-age=600"),
        ("etag", "\"a1\""),
        ("last-modified", "Mon, 30 Nov 2026 10:00:00 GMT"),
        ("expires", "Mon, 30 Nov 2026 11:00:00 GMT"),
        ("content-length", "1234"),
        ("vary", "Accept-Encoding, cookie"),
        ("x-origin", "kept"),
    ];
    let (h, page) = rewritten(Case::get("https://www.example.com/article").plan(200, &origin));
    assert_eq!(all(&h, "cache-control"), [REWRITTEN_CACHE_CONTROL]);
    for gone in ["etag", "last-modified", "expires", "content-length"] {
        assert!(all(&h, gone).is_empty(), "{gone}");
    }
    assert_eq!(
        all(&h, "vary"),
        ["Accept-Encoding, cookie, Sec-GPC, Accept-Language"]
    );
    assert_eq!(all(&h, "x-origin"), ["kept"]);
    assert_eq!(all(&h, "content-type"), [PAGE_CT]);
    assert_eq!(page.site_host, "www.example.com");
    assert_eq!(page.grants, Grants::NECESSARY_ONLY);
}

#[test]
fn vary_is_merged_once_and_star_stays_star() {
    assert_eq!(merge_vary(&[]), "Cookie, Sec-GPC, Accept-Language");
    assert_eq!(
        merge_vary(&pairs(&[
            ("vary", "Origin"),
            ("vary", "accept-language, Origin")
        ])),
        "Origin, accept-language, Cookie, Sec-GPC"
    );
    assert_eq!(merge_vary(&pairs(&[("vary", "Accept, *")])), "*");
}

#[test]
fn a_304_to_a_navigation_never_passes() {
    let plan = Case::get("https://www.example.com/article").plan(304, &[("etag", "\"a1\"")]);
    match plan {
        ResponsePlan::Fail(f) => {
            assert_eq!(f.status(), 502);
            assert!(f.body().contains("304 Not Modified"), "{}", f.body());
        }
        other => panic!("{other:?}"),
    }
    let mut bypass = Case::get("https://www.example.com/x.pdf");
    bypass.bypass = true;
    assert!(matches!(bypass.plan(304, &[]), ResponsePlan::Fail(_)));
    // A script's own fetch: its validators, its 304.
    let mut xhr = Case::get("https://www.example.com/api");
    xhr.request = pairs(&[("accept", "*/*"), ("if-none-match", "\"a1\"")]);
    assert!(matches!(
        xhr.plan(304, &[("etag", "\"a1\"")]),
        ResponsePlan::Untouched
    ));
}

#[test]
fn bypass_passes_only_what_is_not_a_document() {
    let mut c = Case::get("https://www.example.com/doc.pdf");
    c.bypass = true;
    let pdf = [
        ("content-type", "application/pdf"),
        ("set-cookie", "_ga=1; Path=/"),
    ];
    assert!(matches!(c.plan(200, &pdf), ResponsePlan::Untouched));
    // The site's HTML 404 page under a bypass pattern is filtered, cookies and all.
    let html_404 = [
        ("content-type", PAGE_CT),
        ("set-cookie", "_ga=GA1.1; Path=/"),
    ];
    let (h, _) = rewritten(c.plan(404, &html_404));
    assert!(all(&h, "set-cookie").is_empty(), "{h:?}");
    assert_eq!(all(&h, "cache-control"), [REWRITTEN_CACHE_CONTROL]);
    let xhtml = [("content-type", "application/xhtml+xml")];
    assert!(matches!(c.plan(200, &xhtml), ResponsePlan::Rewrite { .. }));
}

#[test]
fn non_documents_keep_their_headers_unless_enforcement_changes_one() {
    let json = [
        ("content-type", "application/json"),
        ("etag", "\"j\""),
        ("content-length", "2"),
    ];
    assert!(matches!(
        Case::get("https://www.example.com/d.json").plan(200, &json),
        ResponsePlan::Untouched
    ));
    let with_cookie = [
        ("content-type", "application/json"),
        ("set-cookie", "_fbp=fb.1; Path=/"),
        ("set-cookie", "sid=1"),
    ];
    match Case::get("https://www.example.com/d.json").plan(200, &with_cookie) {
        ResponsePlan::Pass(h) => {
            assert_eq!(all(&h, "set-cookie"), ["sid=1"]);
            assert_eq!(all(&h, "content-type"), ["application/json"]);
        }
        other => panic!("{other:?}"),
    }
    // HEAD, redirects, 204, 206: never rewritten.
    let mut head = Case::get("https://www.example.com/p.html");
    head.method = "HEAD";
    assert!(matches!(
        head.plan(200, &[("content-type", PAGE_CT), ("content-length", "9")]),
        ResponsePlan::Untouched
    ));
    for status in [204, 206, 301, 302, 303, 307, 308] {
        let p = Case::get("https://www.example.com/p").plan(status, &[("content-type", PAGE_CT)]);
        assert!(matches!(p, ResponsePlan::Untouched), "{status}");
    }
    let mut ws = Case::get("https://www.example.com/ws");
    ws.upgrade = true;
    assert!(matches!(
        ws.plan(200, &[("content-type", PAGE_CT)]),
        ResponsePlan::Untouched
    ));
}

#[test]
fn refused_cookies_the_request_carries_are_expired() {
    let c = Case::get("https://www.example.com/p.html").with(&[("cookie", "_ga=GA1.1; sid=2")]);
    let (h, _) = rewritten(c.plan(200, &[("content-type", PAGE_CT)]));
    let set = all(&h, "set-cookie");
    assert_eq!(
        set.len(),
        6,
        "host-only, Domain=www.example.com and Domain=example.com, on / and /p.html: {set:?}"
    );
    assert!(set
        .iter()
        .all(|s| s.starts_with("_ga=;") && s.contains("Max-Age=0")));
    assert!(set.iter().any(|s| s.contains("Domain=example.com")));
    assert!(set.iter().any(|s| s.contains("Domain=www.example.com")));
    assert!(set.iter().any(|s| s.contains("Path=/p.html")));
    let mut granted = Case::get("https://www.example.com/p.html").with(&[("cookie", "_ga=GA1.1")]);
    granted.grants = Grants::ALL;
    let (h, _) = rewritten(granted.plan(
        200,
        &[("content-type", PAGE_CT), ("set-cookie", "_ga=GA1.2")],
    ));
    assert_eq!(all(&h, "set-cookie"), ["_ga=GA1.2"]);
}

#[test]
fn link_and_refresh_to_refused_vendors_are_removed_on_every_response() {
    let link = "</app.js>; rel=modulepreload, <https://www.googletagmanager.com/gtm.js?id=GTM-1>; rel=preload; as=script, <https://connect.facebook.net>; rel=preconnect";
    let headers = [
        ("content-type", "application/json"),
        ("link", link),
        ("refresh", "5; url=https://www.facebook.com/tr?id=1"),
    ];
    match Case::get("https://www.example.com/d.json").plan(200, &headers) {
        ResponsePlan::Pass(h) => {
            assert_eq!(all(&h, "link"), ["</app.js>; rel=modulepreload"]);
            assert!(all(&h, "refresh").is_empty());
        }
        other => panic!("{other:?}"),
    }
    let mut granted = Case::get("https://www.example.com/p.html");
    granted.grants = Grants::ALL;
    let (h, _) = rewritten(granted.plan(
        200,
        &[
            ("content-type", PAGE_CT),
            ("link", link),
            ("refresh", "0; url=/next"),
        ],
    ));
    assert_eq!(all(&h, "link"), [link], "granted: kept as sent");
    assert_eq!(all(&h, "refresh"), ["0; url=/next"]);
}

#[test]
fn the_page_carries_route_csp_and_return_to() {
    let c =
        Case::get("https://www.example.com/press/p.html?x=1").with(&[("accept-language", "de")]);
    let (_, page) = rewritten(c.plan(
        200,
        &[
            ("content-type", PAGE_CT),
            ("content-security-policy", "script-src 'nonce-r4nd0m'"),
        ],
    ));
    assert!(
        page.allow_vendors.iter().any(|v| v == "youtube"),
        "{:?}",
        page.allow_vendors
    );
    assert!(
        page.head_start.contains("nonce=\"r4nd0m\""),
        "{}",
        page.head_start
    );
    assert!(
        page.body_end.contains("/press/p.html?x=1"),
        "the no-JS form returns here"
    );
}

fn csp_case(mode: consent_edge_config::CspMode, decided: bool) -> Case {
    let mut c = Case::get("https://shop.example/p");
    c.csp = consent_edge_config::CspSettings {
        mode,
        allow: vec!["cdn.shop.example".into()],
        vendors: Vec::new(),
    };
    c.decided = decided;
    c.grants = Grants::NECESSARY_ONLY.with(crate::consent::Category::Analytics, true);
    c
}

#[test]
fn the_csp_backstop_is_appended_for_decided_visitors_only() {
    use consent_edge_config::CspMode;
    let origin_csp = (
        "content-security-policy",
        "script-src 'nonce-abc' 'strict-dynamic'",
    );
    let page = [("content-type", PAGE_CT), origin_csp];
    // Enforce: the origin's policy stays, ours is a second value.
    let (h, _) = rewritten(csp_case(CspMode::Enforce, true).plan(200, &page));
    let csp = all(&h, "content-security-policy");
    assert_eq!(csp.len(), 2, "{h:?}");
    assert_eq!(csp[0], origin_csp.1);
    assert!(csp[1].starts_with("default-src 'self' "), "{}", csp[1]);
    assert!(csp[1].contains(" cdn.shop.example"));
    assert!(
        csp[1].contains(" google-analytics.com"),
        "analytics granted"
    );
    assert!(
        !csp[1].contains("connect.facebook.net"),
        "advertising refused"
    );
    assert!(csp[1].contains("report-uri https://shop.example/__consent/csp-report"));
    assert!(all(&h, "content-security-policy-report-only").is_empty());
    // Report: the origin's enforced policy stays, ours is report-only.
    let (h, _) = rewritten(csp_case(CspMode::Report, true).plan(200, &page));
    assert_eq!(all(&h, "content-security-policy"), [origin_csp.1]);
    assert_eq!(all(&h, "content-security-policy-report-only").len(), 1);
    // Undecided visitors and mode off: nothing added.
    for (mode, decided) in [(CspMode::Enforce, false), (CspMode::Off, true)] {
        let (h, _) = rewritten(csp_case(mode, decided).plan(200, &page));
        assert_eq!(
            all(&h, "content-security-policy"),
            [origin_csp.1],
            "{mode:?}"
        );
        assert!(all(&h, "content-security-policy-report-only").is_empty());
    }
    // Not a document: never a policy.
    let img = [("content-type", "image/png")];
    match csp_case(CspMode::Enforce, true).plan(200, &img) {
        ResponsePlan::Untouched => {}
        ResponsePlan::Pass(h) => assert!(all(&h, "content-security-policy").is_empty()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_origin_cookies_are_discovered_only_when_csp_is_on() {
    use consent_edge_config::CspMode;
    let cfg_for = |mode| {
        let embedded = Config::embedded();
        let mut settings = embedded.settings().clone();
        settings.csp.mode = mode;
        Config::new(settings, embedded.catalog_file().clone()).unwrap()
    };
    let url = Url::parse("https://shop.example/basket?id=7").unwrap();
    let facts = RequestFacts {
        method: "GET",
        url: &url,
        headers: &[],
    };
    let settings = Settings::default();
    let headers = pairs(&[
        ("set-cookie", "_ga=1; Path=/"),
        ("set-cookie", "mystery_id=v; Path=/"),
    ]);
    let resp = ResponseFacts {
        status: 200,
        headers: &headers,
    };
    for (mode, want) in [(CspMode::Report, 1), (CspMode::Off, 0)] {
        let cfg = cfg_for(mode);
        let visit = Visit::new(&facts, &cfg, &settings, None, 0);
        let ctx = Context {
            visit: &visit,
            bypass: false,
            upgrade: false,
            settings: &settings,
            cfg: &cfg,
            catalog: Catalog::configured(),
            now: 0,
            random: [0; 16],
        };
        let s = discovered_cookies(&resp, &ctx);
        assert_eq!(s.len(), want, "{mode:?}");
        if want == 1 {
            assert_eq!(
                (s[0].name.as_str(), s[0].path.as_str()),
                ("mystery_id", "/basket")
            );
        }
    }
}

#[test]
fn encodings_and_document_types_reach_the_plan() {
    let nav = || Case::get("https://www.example.com/p");
    // Transcoded: relabelled UTF-8, the certain charset handed to the body.
    let (h, _) = rewritten(nav().plan(200, &[("content-type", "text/html; charset=utf-16")]));
    assert_eq!(all(&h, "content-type"), ["text/html; charset=utf-8"]);
    match nav().plan(200, &[("content-type", "text/html; charset=utf-16be")]) {
        ResponsePlan::Rewrite { document, .. } => {
            assert_eq!(document.declared, Some(encoding_rs::UTF_16BE))
        }
        other => panic!("{other:?}"),
    }
    // An ASCII-compatible page keeps the origin's Content-Type.
    let (h, _) = rewritten(nav().plan(200, &[("content-type", PAGE_CT)]));
    assert_eq!(all(&h, "content-type"), [PAGE_CT]);
    // XHTML is served as HTML.
    let (h, _) = rewritten(nav().plan(200, &[("content-type", "application/xhtml+xml")]));
    assert_eq!(all(&h, "content-type"), ["text/html"]);
    // An undecoded coding: a 502 naming it (a HEAD has no body to refuse).
    let zstd = [("content-type", PAGE_CT), ("content-encoding", "zstd")];
    match nav().plan(200, &zstd) {
        ResponsePlan::Fail(f) => {
            assert_eq!(f.status(), 502);
            assert!(f.body().contains("Content-Encoding `zstd`"), "{}", f.body());
        }
        other => panic!("{other:?}"),
    }
    let mut head = nav();
    head.method = "HEAD";
    assert!(matches!(head.plan(200, &zstd), ResponsePlan::Untouched));
    // Not rewritten, but kept from rendering HTML or running code, on
    // bypass routes too.
    for bypass in [false, true] {
        let mut sub = Case::get("https://www.example.com/feed");
        sub.request = pairs(&[("accept", "*/*")]);
        sub.bypass = bypass;
        match sub.plan(200, &[("content-type", "application/rss+xml")]) {
            ResponsePlan::Pass(h) => {
                assert_eq!(all(&h, "content-security-policy"), [encoding::XML_CSP]);
                assert_eq!(all(&h, "content-type"), ["application/rss+xml"]);
            }
            other => panic!("{other:?}"),
        }
        match sub.plan(200, &[]) {
            ResponsePlan::Pass(h) => assert_eq!(all(&h, "x-content-type-options"), ["nosniff"]),
            other => panic!("{other:?}"),
        }
    }
    // No type at a navigation: filtered as HTML.
    let (h, _) = rewritten(nav().plan(200, &[]));
    assert_eq!(all(&h, "content-type"), ["text/html"]);
}
