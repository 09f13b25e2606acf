//! Assembling what the filter injects into one HTML response.

use super::{
    banner_html, csp_nonce, declaration_html, head_signals, negotiate, status_html, texts, View,
    REOPEN_FORM_ID,
};
use crate::consent::State;
use crate::filter::Page;
use crate::model::Category;
use crate::trackers::Catalog;
use consent_edge_config::{BannerSettings, CookieDecl, Route};

/// What assembling a page needs from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct PageSettings<'a> {
    /// `[banner]`.
    pub banner: &'a BannerSettings,
    /// The consent endpoint path (`[cookie] endpoint`).
    pub endpoint: &'a str,
    /// The cookie policy URL (`[policy] url`).
    pub policy_url: &'a str,
    /// The `[[cookies]]` inventory, for the cookie declaration.
    pub cookies: &'a [CookieDecl],
}

impl<'a> PageSettings<'a> {
    /// The page settings of a configuration.
    pub fn of(cfg: &'a consent_edge_config::Config) -> PageSettings<'a> {
        PageSettings {
            banner: &cfg.banner,
            endpoint: &cfg.cookie.endpoint,
            policy_url: &cfg.policy.url,
            cookies: &cfg.cookies,
        }
    }
}

/// Catalog vendors that run in Consent Mode's denied state when
/// `google_consent_mode = "advanced"`: kept, not blocked, before consent.
pub const GOOGLE_CONSENT_MODE_VENDORS: [&str; 4] = [
    "google-analytics",
    "google-tag-manager",
    "google-ads",
    "doubleclick",
];

/// What the edge knows about one HTML response.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    /// The visitor's consent state.
    pub state: &'a State,
    /// The matching `[[routes]]` rule, if any.
    pub route: Option<&'a Route>,
    /// The request's `Accept-Language`.
    pub accept_language: Option<&'a str>,
    /// Path and query of the page (where the no-JS banner returns to).
    pub return_to: &'a str,
    /// The origin response's `Content-Security-Policy`, if any.
    pub csp: Option<&'a str>,
    /// The page's host (first-party scripts are never "unknown third party").
    pub host: &'a str,
    /// The per-render consent token for this page ([`crate::consent::token::mint`]).
    pub token: Option<&'a str>,
}

/// What [`page_with`] adds to a [`PageRequest`]: the client guard's
/// catalog, the per-response activation token, and whether the document is
/// loaded into a frame.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageExtras<'a> {
    /// The catalog the client guard (`crate::guard`) is built from; `None`:
    /// no guard.
    pub catalog: Option<&'a Catalog>,
    /// The per-response activation token ([`Page::token`]): random, from
    /// the shell ([`token_from`]). Empty: the banner script activates
    /// nothing.
    pub token: &'a str,
    /// The document is loaded into a frame (`Sec-Fetch-Dest: iframe` or
    /// `frame`): it gets the guard and the filter, and instead of a second
    /// banner a hidden root whose script takes the top page's decision
    /// (see `banner.js`, frame mode).
    pub frame: bool,
}

/// The activation token for 16 random bytes: 32 lowercase hex digits.
pub fn token_from(random: &[u8; 16]) -> String {
    random.iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{b:02x}"));
        s
    })
}

/// [`page_with`] without guard, token or frame (tests, tools).
pub fn page(req: &PageRequest<'_>, cfg: &PageSettings<'_>) -> Page {
    page_with(req, cfg, &PageExtras::default())
}

/// The [`Page`] for one response: grants, allowed vendors, and the banner,
/// consent signals, cookie declaration and consent status to inject — all
/// empty when the route says `inject = false`, no banner when `banner = false`.
pub fn page_with(req: &PageRequest<'_>, cfg: &PageSettings<'_>, ex: &PageExtras<'_>) -> Page {
    let route = req.route;
    let inject = route.and_then(|r| r.inject).unwrap_or(true);
    let show_banner = route.and_then(|r| r.banner).unwrap_or(true);
    let state = req.state;
    let lang = negotiate(req.accept_language, cfg.banner);
    let nonce = req.csp.and_then(csp_nonce);
    let variant = route
        .and_then(|r| r.variant.as_deref())
        .unwrap_or(&state.regime.variant);
    let view = View {
        variant,
        model: state.regime.model,
        grants: state.grants,
        decided: state.decision.is_some(),
        gpc: state.gpc,
        decision: state.decision.as_ref(),
        lang: &lang,
        return_to: req.return_to,
        endpoint: cfg.endpoint,
        policy_url: cfg.policy_url,
        nonce: nonce.as_deref(),
        jurisdiction: &state.regime.id,
        token: req.token,
        residual: state.residual,
    };
    let t = texts(&lang, cfg.banner);
    let mut allow_vendors: Vec<String> = route.map(|r| r.allow_vendors.clone()).unwrap_or_default();
    if cfg.banner.allow_google_before_consent() {
        allow_vendors.extend(GOOGLE_CONSENT_MODE_VENDORS.iter().map(|s| s.to_string()));
    }
    let body_end = if !inject || !show_banner {
        String::new()
    } else if ex.frame {
        frame_root(&view, ex.token)
    } else {
        with_token(banner_html(&view, cfg.banner), ex.token)
    };
    let head_start = if inject {
        // The guard first: before the Consent Mode defaults and every page
        // script (the filter puts head_start before the first script).
        let guard = ex.catalog.and_then(|c| {
            crate::guard::guard_script_for_page(c, state.grants, &allow_vendors, nonce.as_deref())
        });
        guard.unwrap_or_default() + &head_signals(&view, cfg.banner)
    } else {
        String::new()
    };
    Page {
        grants: state.grants,
        allow_vendors,
        site_host: req.host.to_string(),
        head_start,
        reopen_form: (!body_end.is_empty() && !ex.frame).then_some(REOPEN_FORM_ID),
        body_end,
        declaration_html: inject.then(|| declaration_html(&view, cfg.banner, cfg.cookies)),
        status_html: inject.then(|| status_html(&view, cfg.banner)),
        placeholder_text: t.placeholder.clone(),
        allow_text: t.allow.clone(),
        category_labels: Category::ALL.map(|c| t.category(c).to_string()),
        token: ex.token.to_string(),
    }
}

/// The banner's root tag as `banner_html` writes it.
const ROOT_TAG: &str = "<aside id=\"consent-edge\" ";

/// The banner with the activation token on its root (`data-token`), where
/// its script reads it.
fn with_token(banner: String, token: &str) -> String {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return banner;
    }
    banner.replacen(ROOT_TAG, &format!("{ROOT_TAG}data-token=\"{token}\" "), 1)
}

/// What a framed document gets instead of a banner: a hidden root with the
/// state the script needs and the script itself, in frame mode (no dialog;
/// it activates what the top page's decision grants).
fn frame_root(view: &View<'_>, token: &str) -> String {
    let granted: Vec<&str> = Category::OPTIONAL
        .into_iter()
        .filter(|c| view.grants.has(*c))
        .map(Category::id)
        .collect();
    let nonce = match view.nonce {
        Some(n) if !n.is_empty() => format!(" nonce=\"{}\"", super::escape(n)),
        _ => String::new(),
    };
    let root = format!(
        "<aside id=\"consent-edge\" hidden data-frame=\"1\" data-decided=\"{}\" data-grants=\"{}\" data-attrs=\"{}\"><script{nonce}>{}</script></aside>",
        u8::from(view.decided),
        granted.join(" "),
        crate::markup::script_attrs(),
        super::JS,
    );
    with_token(root, token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jurisdiction::Regime;
    use consent_edge_config::{Config, Mode};

    fn route(inject: Option<bool>, banner: Option<bool>, variant: Option<&str>) -> Route {
        Route {
            pattern: "/x/*".into(),
            mode: Mode::Enforce,
            banner,
            variant: variant.map(String::from),
            allow_vendors: vec!["youtube".into()],
            inject,
        }
    }

    fn build(route: Option<&Route>, cfg: &Config) -> Page {
        let state = State::with_decision(Regime::strictest(), None, false);
        page(
            &PageRequest {
                state: &state,
                route,
                accept_language: Some("de-AT,de;q=0.9"),
                return_to: "/x/page?y=1",
                csp: Some("script-src 'nonce-abc123' 'strict-dynamic'"),
                host: "www.example.com",
                token: Some("1.2.3.4.5"),
            },
            &PageSettings::of(cfg),
        )
    }

    #[test]
    fn default_route_injects_everything_localized_with_the_csp_nonce() {
        let cfg = Config::default();
        let p = build(None, &cfg);
        assert!(p.head_start.contains("gtag('consent','default'"));
        assert!(
            p.head_start.contains("nonce=\"abc123\""),
            "{}",
            p.head_start
        );
        assert!(p.body_end.contains("id=\"consent-edge\""));
        assert!(p.body_end.contains("lang=\"de\""));
        assert!(p.body_end.contains("value=\"/x/page?y=1\""));
        assert_eq!(p.reopen_form, Some(REOPEN_FORM_ID));
        assert!(p.body_end.contains("id=\"ce-open\""));
        assert!(p.declaration_html.is_some() && p.status_html.is_some());
        assert_eq!(p.category_labels.len(), 4);
        assert!(p.placeholder_text.contains("{vendor}"));
        assert_eq!(p.site_host, "www.example.com");
        assert!(p.allow_vendors.is_empty());
    }

    #[test]
    fn route_options_are_honoured() {
        let cfg = Config::default();
        let no_inject = route(Some(false), None, None);
        let p = build(Some(&no_inject), &cfg);
        assert!(p.head_start.is_empty() && p.body_end.is_empty());
        assert!(p.reopen_form.is_none());
        assert!(p.declaration_html.is_none() && p.status_html.is_none());
        assert_eq!(p.allow_vendors, vec!["youtube".to_string()]);

        let no_banner = route(None, Some(false), None);
        let p = build(Some(&no_banner), &cfg);
        assert!(!p.head_start.is_empty());
        assert!(p.body_end.is_empty() && p.reopen_form.is_none());

        let notice = route(None, None, Some("notice"));
        let p = build(Some(&notice), &cfg);
        assert!(
            p.body_end.contains("data-variant=\"notice\""),
            "{}",
            p.body_end
        );

        let none = route(None, None, Some("none"));
        let p = build(Some(&none), &cfg);
        assert!(p.body_end.is_empty() && p.reopen_form.is_none());
    }

    fn build_with(cfg: &Config, grants: crate::consent::Grants, frame: bool) -> Page {
        let mut state = State::with_decision(Regime::strictest(), None, false);
        state.grants = grants;
        page_with(
            &PageRequest {
                state: &state,
                route: None,
                accept_language: Some("en"),
                return_to: "/",
                csp: Some("script-src 'nonce-abc123' 'strict-dynamic'"),
                host: "www.example.com",
                token: None,
            },
            &PageSettings::of(cfg),
            &PageExtras {
                catalog: Some(crate::trackers::Catalog::embedded()),
                token: &token_from(&[0xab; 16]),
                frame,
            },
        )
    }

    #[test]
    fn the_guard_comes_first_with_the_nonce_and_the_token_reaches_root_and_filter() {
        let cfg = Config::default();
        let p = build_with(&cfg, crate::consent::Grants::NECESSARY_ONLY, false);
        assert!(
            p.head_start
                .starts_with("<script nonce='abc123' data-ce-guard='"),
            "{}",
            &p.head_start[..80]
        );
        let guard_end = p.head_start.find("</script>").expect("guard");
        let defaults = p
            .head_start
            .find("gtag('consent','default'")
            .expect("defaults");
        assert!(guard_end < defaults);
        let token = "ab".repeat(16);
        assert_eq!(p.token, token);
        assert!(
            p.body_end.contains(&format!(
                "<aside id=\"consent-edge\" data-token=\"{token}\" "
            )),
            "{}",
            p.body_end
        );
        assert!(p.body_end.contains("<section id=\"ce-dialog\""));
        // Everything granted: nothing to guard.
        let all = build_with(&cfg, crate::consent::Grants::ALL, false);
        assert!(!all.head_start.contains("data-ce-guard"));
        assert!(all.head_start.contains("gtag('consent','default'"));
    }

    #[test]
    fn a_framed_document_gets_the_guard_and_a_hidden_root_but_no_second_banner() {
        let cfg = Config::default();
        let p = build_with(&cfg, crate::consent::Grants::NECESSARY_ONLY, true);
        assert!(p.head_start.contains("data-ce-guard"));
        assert!(
            p.body_end
                .starts_with("<aside id=\"consent-edge\" data-token=\""),
            "{}",
            p.body_end
        );
        assert!(p.body_end.contains(" hidden data-frame=\"1\""));
        assert!(p.body_end.contains("<script nonce=\"abc123\">"));
        assert!(
            !p.body_end.contains("<section id=\"ce-dialog\""),
            "no dialog in a frame"
        );
        assert!(!p.body_end.contains("<form"), "no forms in a frame");
        assert_eq!(p.reopen_form, None);
        assert!(
            p.declaration_html.is_some(),
            "the filter still fills the page"
        );
    }

    #[test]
    fn token_is_hex_and_a_bad_one_never_reaches_the_root() {
        assert_eq!(
            token_from(&[0, 1, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]),
            "0001feff000000000000000000000009"
        );
        let banner = format!("{ROOT_TAG}class=\"ce\">");
        assert_eq!(with_token(banner.clone(), "\"><x"), banner);
        assert_eq!(with_token(banner.clone(), ""), banner);
    }

    #[test]
    fn advanced_consent_mode_keeps_google_tags() {
        let mut cfg = Config::default();
        cfg.banner.google_consent_mode = crate::banner::ConsentMode::Advanced;
        let p = build(None, &cfg);
        for v in GOOGLE_CONSENT_MODE_VENDORS {
            assert!(p.allow_vendors.iter().any(|a| a == v), "{v}");
        }
    }
}
