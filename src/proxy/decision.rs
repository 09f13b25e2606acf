//! After the consent endpoint decided: the cookies to expire and the
//! proof-of-consent record (what the shell must do, as data).

use super::request::Visit;
use crate::banner;
use crate::consent::endpoint::EndpointResponse;
use crate::consent::{enforce, Decision};
use crate::records::{Record, RecordContext};
use crate::rules::Config;
use crate::trackers::Catalog;

/// Adds to `out` the expiries of every cookie the request carries that the
/// new `decision` refuses (a withdrawal or narrowing reaches the browser at
/// once, HttpOnly cookies included).
pub fn expire_refused(
    out: &mut EndpointResponse,
    decision: &Decision,
    visit: &Visit<'_>,
    cfg: &Config,
    catalog: &Catalog,
) {
    let classify =
        |name: &str| crate::consent::enforce::classify_cookie(&cfg.cookies, catalog, name);
    if let Some(h) = visit.cookie_header.as_deref() {
        for e in
            enforce::expire_refused(h, decision.grants, &classify, &visit.reach(), visit.secure)
        {
            out.headers.push(("set-cookie".into(), e));
        }
    }
}

/// The proof-of-consent record of a decision. The page is where the
/// endpoint actually sent the visitor back (`location`: the no-JS form's
/// sanitised `return_to`), else the `Referer` (JSON); the record drops its
/// query. The language is the one the banner was shown in.
pub fn record(
    d: &Decision,
    visit: &Visit<'_>,
    headers: &[(String, String)],
    location: Option<&str>,
    cfg: &Config,
) -> Record {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, val)| val.as_str())
    };
    let path = crate::records::decision_page(location, get("referer"));
    let lang = banner::negotiate(get("accept-language"), &cfg.banner);
    let country = visit.geo.as_ref().and_then(|g| g.country.as_deref());
    let region = visit.geo.as_ref().and_then(|g| g.region.as_deref());
    Record::new(
        d,
        &RecordContext {
            country,
            region,
            variant: &visit.state.regime.variant,
            lang: &lang,
            path,
            ip: get("cf-connecting-ip"),
            user_agent: get("user-agent"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::endpoint::{handle, EndpointRequest};
    use crate::consent::Secrets;
    use crate::jurisdiction::Geo;
    use crate::proxy::request::RequestFacts;
    use crate::proxy::settings::Settings;
    use url::Url;

    const SECRET: &[u8] = b"unit-secret-0123456789abcdef0123456789";

    fn decide(body: &str, ct: &str, extra: &[(&str, &str)]) -> (EndpointResponse, Record) {
        let cfg = Config::embedded();
        let url = Url::parse("https://www.example.com/__consent").unwrap();
        let mut headers: Vec<(String, String)> = vec![
            ("sec-fetch-site".into(), "same-origin".into()),
            ("content-type".into(), ct.into()),
            ("cookie".into(), "_ga=GA1.1; sid=1".into()),
        ];
        headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        // The banner's token for the page the request comes from.
        let page = form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "return_to")
            .map(|(_, v)| v.into_owned())
            .or_else(|| {
                extra
                    .iter()
                    .find(|(k, _)| *k == "referer")
                    .and_then(|(_, v)| crate::consent::token::referer_path(v))
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "/".into());
        let t = crate::consent::token::mint(
            &Secrets::new(SECRET),
            "www.example.com",
            &page,
            1_700_000_000,
            [5; 16],
        )
        .unwrap();
        headers.push((crate::consent::token::HEADER.into(), t));
        let facts = RequestFacts {
            method: "POST",
            url: &url,
            headers: &headers,
        };
        let settings = Settings {
            secrets: Secrets::new(SECRET),
            ..Settings::default()
        };
        let geo = Geo {
            country: Some("DE".into()),
            region: Some("HE".into()),
            is_eu: true,
            continent: Some("EU".into()),
        };
        let visit = Visit::new(&facts, cfg, &settings, Some(geo), 1_700_000_000);
        let req = EndpointRequest {
            method: "POST",
            host: &visit.host,
            headers: &headers,
            body: body.as_bytes(),
            body_too_large: false,
            secure: visit.secure,
            cookie_domain: None,
        };
        let mut out = handle(
            &req,
            &visit.state,
            &visit.cookie_policy(cfg),
            &visit.secrets,
            1_700_000_000,
            [7; 16],
        );
        let d = out.decision.take().expect("a decision");
        expire_refused(&mut out, &d, &visit, cfg, Catalog::configured());
        let rec = record(&d, &visit, &headers, out.header("location"), cfg);
        (out, rec)
    }

    #[test]
    fn a_refusal_expires_the_refused_cookies_it_sees() {
        let (out, _) = decide(r#"{"action":"reject_all"}"#, "application/json", &[]);
        let set: Vec<&str> = out
            .headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect();
        assert!(
            set.iter()
                .any(|c| c.starts_with("_ga=;") && c.contains("Max-Age=0")),
            "{set:?}"
        );
        assert!(
            !set.iter().any(|c| c.starts_with("sid=")),
            "unknown cookies are left alone"
        );
        let (out, _) = decide(r#"{"action":"accept_all"}"#, "application/json", &[]);
        assert!(!out
            .headers
            .iter()
            .any(|(n, v)| n == "set-cookie" && v.starts_with("_ga=")));
    }

    #[test]
    fn the_record_names_page_language_and_place() {
        let (_, rec) = decide(
            "action=reject_all&return_to=%2Fshop%2Fcart%3Fx%3D1",
            "application/x-www-form-urlencoded",
            &[
                ("accept-language", "de-DE,de;q=0.9"),
                ("referer", "https://www.example.com/other"),
            ],
        );
        let json = serde_json::to_value(&rec).unwrap();
        assert_eq!(
            json["path"], "/shop/cart",
            "the form's return_to, without its query: {json}"
        );
        assert_eq!(json["lang"], "de");
        assert_eq!(json["country"], "DE");
        let (_, rec) = decide(
            r#"{"action":"accept_all"}"#,
            "application/json",
            &[("referer", "https://www.example.com/p?q=1")],
        );
        let json = serde_json::to_value(&rec).unwrap();
        assert_eq!(json["path"], "/p", "the Referer's path: {json}");
    }
}

#[cfg(test)]
mod binding_tests {
    //! The consent cookie as the proxy reads it: bound to the host (or
    //! `COOKIE_DOMAIN`) and the environment, and the residual audit.
    use super::*;
    use crate::consent::endpoint::{handle, EndpointRequest};
    use crate::consent::Secrets;
    use crate::proxy::request::RequestFacts;
    use crate::proxy::settings::Settings;
    use url::Url;

    const NOW: u64 = 1_700_000_000;

    fn settings(env: &str, domain: Option<&str>) -> Settings {
        let mut s = Settings {
            secrets: Secrets::new(b"unit-secret-0123456789abcdef0123456789".to_vec()),
            cookie_domain: domain.map(str::to_owned),
            ..Settings::default()
        };
        s.secrets.scope.env = env.into();
        s
    }

    /// Decides `reject_all` on `url`; returns the consent cookie `name=value`.
    fn decide(url: &str, s: &Settings) -> String {
        let cfg = Config::embedded();
        let url = Url::parse(url).unwrap();
        let headers = vec![
            ("sec-fetch-site".to_string(), "same-origin".to_string()),
            ("content-type".to_string(), "application/json".to_string()),
        ];
        let facts = RequestFacts {
            method: "POST",
            url: &url,
            headers: &headers,
        };
        let visit = Visit::new(&facts, cfg, s, None, NOW);
        // The banner's form token for this host's front page.
        let mut headers = headers.clone();
        let token = crate::consent::token::mint(&s.secrets, &visit.host, "/", NOW, [5; 16])
            .expect("a usable secret");
        headers.push((crate::consent::token::HEADER.into(), token));
        let req = EndpointRequest {
            method: "POST",
            host: &visit.host,
            headers: &headers,
            body: br#"{"action":"reject_all"}"#,
            body_too_large: false,
            secure: visit.secure,
            cookie_domain: s.cookie_domain.as_deref(),
        };
        let out = handle(
            &req,
            &visit.state,
            &visit.cookie_policy(cfg),
            &visit.secrets,
            NOW,
            [3; 16],
        );
        let set = out.header("set-cookie").expect("a consent cookie");
        set.split(';').next().unwrap().to_owned()
    }

    fn visit_with(url: &str, cookie: &str, s: &Settings) -> crate::consent::State {
        let url = Url::parse(url).unwrap();
        let headers = vec![("cookie".to_string(), cookie.to_string())];
        let facts = RequestFacts {
            method: "GET",
            url: &url,
            headers: &headers,
        };
        Visit::new(&facts, Config::embedded(), s, None, NOW + 5).state
    }

    #[test]
    fn a_cookie_counts_only_where_it_was_issued() {
        let prod = settings("production", None);
        let c = decide("https://www.example.com/__consent", &prod);
        assert!(c.starts_with("__Host-consent="), "{c}");
        assert!(visit_with("https://www.example.com/", &c, &prod)
            .decision
            .is_some());
        // another host, a sibling subdomain, another environment: no decision
        for (url, s) in [
            ("https://evil.example/", prod.clone()),
            ("https://shop.example.com/", prod.clone()),
            ("https://www.example.com/", settings("staging", None)),
        ] {
            assert_eq!(visit_with(url, &c, &s).decision, None, "{url}");
        }
        // tossed under the domain-cookie name by a sibling: still no decision
        let tossed = c.replacen("__Host-", "__Secure-", 1);
        let dom = settings("production", Some("example.com"));
        assert_eq!(
            visit_with("https://www.example.com/", &tossed, &dom).decision,
            None
        );
        // COOKIE_DOMAIN: shared by www. and shop., named __Secure-
        let c = decide("https://www.example.com/__consent", &dom);
        assert!(c.starts_with("__Secure-consent="), "{c}");
        assert!(visit_with("https://shop.example.com/", &c, &dom)
            .decision
            .is_some());
        // plain-http localhost keeps the plain name
        let c = decide("http://localhost:8787/__consent", &prod);
        assert!(c.starts_with("consent="), "{c}");
        assert!(visit_with("http://localhost:8787/", &c, &prod)
            .decision
            .is_some());
    }

    #[test]
    fn refused_cookies_that_still_arrive_are_the_residual() {
        let s = settings("production", None);
        let c = decide("https://www.example.com/__consent", &s);
        let st = visit_with(
            "https://www.example.com/p",
            &format!("{c}; _ga=1; _fbp=2; _ga=3; sid=4"),
            &s,
        );
        assert!(st.decision.is_some());
        assert_eq!(st.residual, 2, "_ga and _fbp, once each");
        assert_eq!(st.to_json(1)["residual"], 2);
        assert_eq!(visit_with("https://www.example.com/p", &c, &s).residual, 0);
        // no decision: the regime's defaults, nothing residual
        assert_eq!(
            visit_with("https://www.example.com/p", "_ga=1", &s).residual,
            0
        );
    }
}
