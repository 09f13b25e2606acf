//! The warm-up: one synthetic page through the real request path, run once
//! per isolate by the shell's `start` event (before the runtime reports the
//! worker ready), so the first visitor's request does not pay for it.
//!
//! What the first request paid for before (docs/BENCHMARKS.md "Startup
//! (stop 12)"): the one-time initialisation (the embedded configuration,
//! the catalog, the signature automaton, the filter's selectors) and, above
//! all, V8 compiling every wasm function the request touches on its first
//! call (lazy compilation). [`run`] takes the same path a navigation does —
//! [`Visit::new`] (cookie header parsed, regime resolved), [`request_filter`],
//! [`upstream_request`] (cookies classified), [`response_filter`] (banner
//! page, headers), [`DocumentBody`] (charset sniffing, the lol_html filter
//! with nothing granted, the banner rendered and injected) — so both are
//! done by the time it returns. Nothing here does I/O; the clock and
//! randomness are fixed inputs, and the output never leaves the isolate.
//!
//! It runs in workerd's global scope, where I/O, timers and random values
//! are refused (and the `worker` crate unwraps some of those refusals: a
//! trap, and the worker does not start), hence a pure function with the
//! clock and randomness as fixed inputs; the shell's own glue (`Request`,
//! `Response`) is not warmed for that reason.
//!
//! It must never stop the worker from starting: every unexpected outcome is
//! a [`WarmError`] the shell logs and ignores (the request path then
//! initialises lazily, as before). Its own tests check that the synthetic
//! tracker was neutralised, so a warm-up that stopped exercising the filter
//! fails a test rather than silently warming nothing.

use super::{
    cookie_classifier, request_filter, response_filter, upstream_request, Context, Dispatch,
    DocumentBody, OriginChoice, RequestFacts, ResponseFacts, ResponsePlan, Settings, Visit,
};
use crate::consent::Secrets;
use crate::jurisdiction::Geo;
use crate::rules::Config;
use crate::trackers::Catalog;
use url::Url;

/// The synthetic navigation's URL (`.invalid`: never resolvable).
pub const URL: &str = "https://warm-up.invalid/";

/// A page with what a real one has: a catalog tracker's script, an inline
/// snippet (builds the signature automaton), a pixel and an iframe at
/// refused vendors, a `<noscript>` fragment, a style, first-party content.
/// Split in two chunks, as the origin's body arrives.
pub const PAGE: [&str; 2] = [
    concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<title>warm-up</title><style>body{margin:0}</style>",
        "<script async src=\"https://www.googletagmanager.com/gtag/js?id=G-WARM\"></script>",
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}",
        "gtag('js',new Date());gtag('config','G-WARM');</script>",
    ),
    concat!(
        "<script src=\"/app.js\"></script></head><body><h1>Warm-up</h1>",
        "<img src=\"https://www.facebook.com/tr?id=1&amp;ev=PageView\" alt=\"\">",
        "<iframe src=\"https://www.youtube.com/embed/warm\"></iframe>",
        "<noscript><img src=\"https://www.facebook.com/tr?id=1&amp;ev=PageView&amp;noscript=1\"></noscript>",
        "<a href=\"/next\">next</a></body></html>",
    ),
];

/// Why the warm-up did not run to the end. Never fatal: the shell logs it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WarmError {
    /// The synthetic navigation was not dispatched to the proxy.
    #[error("warm-up: the synthetic navigation was not proxied")]
    NotProxied,
    /// The response plan was not a rewrite.
    #[error("warm-up: the synthetic page was not planned for rewriting")]
    NotRewritten,
}

/// The synthetic visitor's request headers: a navigation from Germany
/// (opt-in regime, nothing granted) carrying a tracker's cookie and a
/// consent cookie that does not verify (parsed, then ignored).
fn request_headers() -> Vec<(String, String)> {
    [
        ("accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
        ("accept-language", "de-DE,de;q=0.9,en;q=0.8"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-mode", "navigate"),
        ("cookie", "_ga=GA1.1.1.1; __Host-consent=v1.bogus; lang=de"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Runs the synthetic page through the request path; returns the filtered
/// page (for the tests; the shell drops it).
pub fn run(cfg: &Config, catalog: &'static Catalog) -> Result<String, WarmError> {
    let url = Url::parse(URL).map_err(|_| WarmError::NotProxied)?;
    let headers = request_headers();
    let facts = RequestFacts {
        method: "GET",
        url: &url,
        headers: &headers,
    };
    let settings = Settings {
        secrets: Secrets::new(b"warm-up key, never a deployment's secret".to_vec()),
        ..Settings::default()
    };
    let geo = Geo {
        country: Some("DE".into()),
        region: None,
        is_eu: true,
        continent: Some("EU".into()),
    };
    let visit = Visit::new(&facts, cfg, &settings, Some(geo), 0);
    if !matches!(
        request_filter(&facts, &visit, cfg, &settings),
        Dispatch::Proxy { bypass: false }
    ) {
        return Err(WarmError::NotProxied);
    }
    let classify = cookie_classifier(cfg, catalog);
    let origin = OriginChoice::Url(url.clone());
    let _upstream = upstream_request(
        &visit,
        &origin,
        &visit.cookie_name,
        cfg.cookie.forward_to_origin,
        &classify,
    );
    let response = [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "private, max-age=0"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let ctx = Context {
        visit: &visit,
        bypass: false,
        upgrade: false,
        settings: &settings,
        cfg,
        catalog,
        now: 0,
        random: [0; 16],
    };
    let ResponsePlan::Rewrite { page, document, .. } = response_filter(
        &ResponseFacts {
            status: 200,
            headers: &response,
        },
        &ctx,
    ) else {
        return Err(WarmError::NotRewritten);
    };
    let mut body = DocumentBody::new(&document, catalog, &cfg.filter, *page);
    let mut out = Vec::new();
    for chunk in PAGE {
        out.extend(body.write(chunk.as_bytes()));
    }
    out.extend(body.end());
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warmed() -> String {
        run(crate::config::Config::embedded(), Catalog::configured()).expect("warm-up runs")
    }

    #[test]
    fn the_synthetic_trackers_are_neutralised() {
        let html = warmed();
        // The tag manager script and the inline snippet (found by the
        // signature automaton): inert, by vendor.
        let inert = "type=\"text/plain\" data-consent-category=\"analytics\" \
                     data-consent-vendor=\"google-analytics\"";
        assert!(
            html.contains(&format!(
                "src=\"https://www.googletagmanager.com/gtag/js?id=G-WARM\" {inert}"
            )),
            "{html}"
        );
        assert!(
            html.contains(&format!("<script {inert} data-consent-token=")),
            "{html}"
        );
        // The pixel, the iframe and the noscript pixel lost their URLs.
        assert!(
            !html.contains(" src=\"https://www.facebook.com/tr"),
            "{html}"
        );
        assert!(!html.contains(" src=\"https://www.youtube.com"), "{html}");
        assert!(html.contains("consent-edge-placeholder"), "{html}");
        // First-party content stays.
        assert!(html.contains("<script src=\"/app.js\"></script>"), "{html}");
        assert!(html.contains("<a href=\"/next\">next</a>"), "{html}");
    }

    #[test]
    fn the_banner_is_rendered_for_an_undecided_visitor() {
        let html = warmed();
        assert!(html.contains("<aside id=\"consent-edge\""), "{html}");
        assert!(html.contains("data-form-token="), "{html}");
    }

    #[test]
    fn it_is_repeatable() {
        assert_eq!(warmed(), warmed());
    }
}
