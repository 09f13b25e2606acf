//! The cache plan's decision tables.

use super::*;
use crate::proxy::settings::OriginChoice;
use crate::proxy::upstream::planned;

const NAV: (&str, &str) = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");

fn settings() -> CacheSettings {
    CacheSettings {
        enabled: true,
        session_cookies: vec!["sid".into(), "wordpress_logged_in_*".into()],
    }
}

/// The plan for a request to `url` with `headers` (names lower case),
/// `forward` = `[cookie] forward_to_origin`.
fn plan(enabled: bool, method: &str, url: &str, h: &[(&str, &str)], forward: bool) -> Lookup {
    let origin = OriginChoice::Url(Url::parse("http://127.0.0.1:9000/").unwrap());
    planned(method, url, h, &origin, forward, |visit, headers, up| {
        let s = settings();
        lookup(&CacheRequest {
            enabled,
            settings: &s,
            visit,
            headers,
            upstream: &up,
        })
    })
}

/// (case, cache on, method, request headers, forward_to_origin, expected).
type LookupRow = (
    &'static str,
    bool,
    &'static str,
    Vec<(&'static str, &'static str)>,
    bool,
    Lookup,
);
/// (case, status, response headers, expected lifetime or reason).
type StoreRow = (
    &'static str,
    u16,
    Vec<(String, String)>,
    Result<u64, NotStored>,
);

fn used(store: bool) -> Lookup {
    Lookup::Use {
        key: "https://w.example/a?x=1".into(),
        store,
    }
}

#[test]
fn lookup_decision_table() {
    use Bypass::*;
    let url = "https://w.example/a?x=1";
    let rows: Vec<LookupRow> = vec![
        ("off", false, "GET", vec![NAV], false, Lookup::Bypass(Off)),
        (
            "plain navigation",
            true,
            "GET",
            vec![NAV],
            false,
            used(true),
        ),
        (
            "iframe navigation",
            true,
            "GET",
            vec![("sec-fetch-dest", "iframe")],
            false,
            used(true),
        ),
        (
            "HEAD",
            true,
            "HEAD",
            vec![NAV],
            false,
            Lookup::Bypass(Method),
        ),
        (
            "POST",
            true,
            "POST",
            vec![NAV],
            false,
            Lookup::Bypass(Method),
        ),
        (
            "lower-case get",
            true,
            "get",
            vec![NAV],
            false,
            Lookup::Bypass(Method),
        ),
        (
            "an image",
            true,
            "GET",
            vec![("accept", "image/avif,*/*")],
            false,
            Lookup::Bypass(NotNavigation),
        ),
        (
            "Authorization",
            true,
            "GET",
            vec![NAV, ("authorization", "Basic dTpw")],
            false,
            Lookup::Bypass(Authorization),
        ),
        (
            "Range",
            true,
            "GET",
            vec![NAV, ("range", "bytes=0-9")],
            false,
            Lookup::Bypass(Range),
        ),
        (
            "an upgrade that looks like a navigation",
            true,
            "GET",
            vec![NAV, ("upgrade", "websocket"), ("connection", "Upgrade")],
            false,
            Lookup::Bypass(Upgrade),
        ),
        (
            "session cookie",
            true,
            "GET",
            vec![NAV, ("cookie", "a=1; sid=xyz")],
            false,
            Lookup::Bypass(SessionCookie),
        ),
        (
            "session cookie by prefix",
            true,
            "GET",
            vec![NAV, ("cookie", "wordpress_logged_in_3f=u")],
            false,
            Lookup::Bypass(SessionCookie),
        ),
        (
            "nameless piece spelling a session cookie",
            true,
            "GET",
            vec![NAV, ("cookie", " sid ")],
            false,
            Lookup::Bypass(SessionCookie),
        ),
        (
            "a session cookie's look-alike",
            true,
            "GET",
            vec![NAV, ("cookie", "sidebar=1; Sid=2")],
            false,
            used(false),
        ),
        (
            "consent cookie forwarded to the origin",
            true,
            "GET",
            vec![NAV, ("cookie", "__Host-consent=v")],
            true,
            Lookup::Bypass(ConsentForwarded),
        ),
        (
            "consent cookie kept from the origin",
            true,
            "GET",
            vec![NAV, ("cookie", "__Host-consent=v")],
            false,
            used(true),
        ),
        (
            "refused tracker cookie: stripped, so neutral",
            true,
            "GET",
            vec![NAV, ("cookie", "_ga=GA1.1")],
            false,
            used(true),
        ),
        (
            "a necessary cookie reaches the origin: served, not stored",
            true,
            "GET",
            vec![NAV, ("cookie", "session=abc; _ga=1")],
            false,
            used(false),
        ),
        (
            "GPC: served, not stored",
            true,
            "GET",
            vec![NAV, ("sec-gpc", "1")],
            false,
            used(false),
        ),
    ];
    let wrong: Vec<String> = rows
        .into_iter()
        .filter_map(|(name, on, m, h, fwd, want)| {
            let got = plan(on, m, url, &h, fwd);
            (got != want).then(|| format!("{name}: want {want:?}, got {got:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_key_is_the_url_without_fragment_or_consent_parameters() {
    let key = |u: &str| cache_key(&Url::parse(u).unwrap());
    assert_eq!(
        key("https://w.example/a?x=1#top"),
        "https://w.example/a?x=1"
    );
    assert_eq!(
        key("https://w.example/a?__geo=US-CA"),
        "https://w.example/a"
    );
    assert_eq!(
        key("https://w.example/a?b=2&__geo=DE&a=%20+1&%5F%5Fgeo=FR"),
        "https://w.example/a?b=2&a=%20+1",
        "other parameters kept byte for byte, in order; an encoded __geo is ours too"
    );
    assert_eq!(
        key("https://w.example/a?b=2&a=1"),
        "https://w.example/a?b=2&a=1"
    );
    assert_ne!(
        key("https://w.example/a?a=1"),
        key("https://w.example/a?A=1")
    );
    assert_ne!(key("https://w.example/a"), key("https://x.example/a"));
    assert_eq!(key("https://W.EXAMPLE:443/a"), "https://w.example/a");
}

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = vec![(
        "content-type".to_string(),
        "text/html; charset=utf-8".to_string(),
    )];
    v.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    v
}

#[test]
fn store_decision_table() {
    use NotStored::*;
    let cc = |v: &'static str| vec![("cache-control", v)];
    let rows: Vec<StoreRow> = vec![
        ("public max-age", 200, h(&cc("public, max-age=60")), Ok(60)),
        (
            "s-maxage wins",
            200,
            h(&cc("public, max-age=60, s-maxage=5")),
            Ok(5),
        ),
        (
            "s-maxage alone is for shared caches",
            200,
            h(&cc("s-maxage=30")),
            Ok(30),
        ),
        (
            "Age is subtracted",
            200,
            h(&[("cache-control", "public, max-age=60"), ("age", "45")]),
            Ok(15),
        ),
        (
            "Age past the lifetime",
            200,
            h(&[("cache-control", "public, max-age=60"), ("age", "60")]),
            Err(Stale),
        ),
        ("max-age=0", 200, h(&cc("public, max-age=0")), Err(Stale)),
        (
            "two Cache-Control headers",
            200,
            h(&[("cache-control", "public"), ("cache-control", "max-age=9")]),
            Ok(9),
        ),
        (
            "case-insensitive names",
            200,
            h(&cc("Public, Max-Age=7")),
            Ok(7),
        ),
        (
            "huge lifetimes are capped",
            200,
            h(&cc("public, max-age=99999999999999999999")),
            Ok(1 << 31),
        ),
        (
            "Vary: Accept-Encoding",
            200,
            h(&[
                ("cache-control", "public, max-age=60"),
                ("vary", "accept-encoding"),
            ]),
            Ok(60),
        ),
        (
            "max-age without public",
            200,
            h(&cc("max-age=60")),
            Err(NotPublic),
        ),
        (
            "public without lifetime",
            200,
            h(&cc("public")),
            Err(NoLifetime),
        ),
        ("no Cache-Control", 200, h(&[]), Err(NotPublic)),
        (
            "private",
            200,
            h(&cc("private, max-age=60")),
            Err(Forbidden("private")),
        ),
        (
            "private with field names",
            200,
            h(&cc("public, private=\"Set-Cookie, X-A\", max-age=60")),
            Err(Forbidden("private")),
        ),
        (
            "no-store",
            200,
            h(&cc("public, max-age=60, no-store")),
            Err(Forbidden("no-store")),
        ),
        (
            "no-cache",
            200,
            h(&cc("public, s-maxage=60, no-cache")),
            Err(Forbidden("no-cache")),
        ),
        (
            "no-cache with a field",
            200,
            h(&cc("public, max-age=60, no-cache=\"Set-Cookie\"")),
            Err(Forbidden("no-cache")),
        ),
        (
            "Set-Cookie",
            200,
            h(&[
                ("cache-control", "public, max-age=60"),
                ("set-cookie", "a=1"),
            ]),
            Err(SetCookie),
        ),
        (
            "Vary: Cookie",
            200,
            h(&[
                ("cache-control", "public, max-age=60"),
                ("vary", "Accept-Encoding, Cookie"),
            ]),
            Err(Vary("Cookie".into())),
        ),
        (
            "Vary: *",
            200,
            h(&[("cache-control", "public, max-age=60"), ("vary", "*")]),
            Err(Vary("*".into())),
        ),
        (
            "a redirect",
            302,
            h(&[("cache-control", "public, max-age=60"), ("location", "/b")]),
            Err(Status(302)),
        ),
        (
            "a 404 page",
            404,
            h(&cc("public, max-age=60")),
            Err(Status(404)),
        ),
        ("a 206", 206, h(&cc("public, max-age=60")), Err(Status(206))),
        (
            "not HTML",
            200,
            vec![
                ("content-type".into(), "image/png".into()),
                ("cache-control".into(), "public, max-age=60".into()),
            ],
            Err(NotHtml),
        ),
        (
            "no Content-Type",
            200,
            vec![("cache-control".into(), "public, max-age=60".into())],
            Err(NotHtml),
        ),
        (
            "conflicting max-age",
            200,
            h(&cc("public, max-age=60, max-age=5")),
            Err(Malformed("Cache-Control: max-age=\"5\"".into())),
        ),
        (
            "repeated equal max-age",
            200,
            h(&cc("public, max-age=60, max-age=60")),
            Ok(60),
        ),
        (
            "negative max-age",
            200,
            h(&cc("public, max-age=-1")),
            Err(Malformed("Cache-Control: max-age=\"-1\"".into())),
        ),
        (
            "max-age without value",
            200,
            h(&cc("public, max-age")),
            Err(Malformed("Cache-Control: max-age=\"\"".into())),
        ),
        (
            "unclosed quote",
            200,
            h(&cc("public, max-age=60, private=\"x")),
            Err(Malformed(
                "Cache-Control: unclosed quote in \"public, max-age=60, private=\\\"x\"".into(),
            )),
        ),
        (
            "bad Age",
            200,
            h(&[("cache-control", "public, max-age=60"), ("age", "1.5")]),
            Err(Malformed("Age: \"1.5\"".into())),
        ),
    ];
    let wrong: Vec<String> = rows
        .into_iter()
        .filter_map(|(name, status, headers, want)| {
            let got = store_plan(status, &headers).map(|s| s.ttl);
            (got != want).then(|| format!("{name}: want {want:?}, got {got:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_stored_copy_keeps_the_origins_headers_but_not_hop_by_hop_or_freshness() {
    let origin = h(&[
        ("cache-control", "public, max-age=600"),
        ("age", "100"),
        ("expires", "Mon, 30 Nov 2026 10:00:00 GMT"),
        ("etag", "\"a1\""),
        ("connection", "keep-alive, x-conn"),
        ("x-conn", "1"),
        ("keep-alive", "timeout=5"),
        ("transfer-encoding", "chunked"),
        ("content-security-policy", "default-src 'self'"),
        (
            "link",
            "<https://www.googletagmanager.com/gtag/js>; rel=preload",
        ),
    ]);
    let s = store_plan(200, &origin).unwrap();
    assert_eq!(s.ttl, 500);
    let names: Vec<&str> = s.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "content-type",
            "etag",
            "content-security-policy",
            "link",
            "cache-control"
        ],
        "the Link header is kept: it is filtered per visitor when served"
    );
    assert_eq!(s.headers.last().unwrap().1, "public, max-age=500");
    // Served: what the cache adds is not the origin's.
    let mut served = s.headers.clone();
    served.push(("age".into(), "3".into()));
    served.push(("cf-cache-status".into(), "HIT".into()));
    assert_eq!(hit_headers(served), s.headers);
}

#[test]
fn a_stored_copy_is_storable_again_with_the_same_lifetime() {
    // What the Cache API reads back on put is our own Cache-Control: it
    // must itself pass the plan with the remaining lifetime.
    let s = store_plan(
        200,
        &h(&[("cache-control", "s-maxage=90, max-age=10"), ("age", "30")]),
    )
    .unwrap();
    assert_eq!(store_plan(200, &s.headers).unwrap().ttl, 60);
}
