//! Assembling what the filter injects into one HTML response.

use super::{
    banner_html, csp_nonce, declaration_html, head_signals, negotiate, status_html, texts, View,
    REOPEN_FORM_ID,
};
use crate::consent::State;
use crate::filter::Page;
use crate::model::Category;
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
}

/// The [`Page`] for one response: grants, allowed vendors, and the banner,
/// consent signals, cookie declaration and consent status to inject — all
/// empty when the route says `inject = false`, no banner when `banner = false`.
pub fn page(req: &PageRequest<'_>, cfg: &PageSettings<'_>) -> Page {
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
        residual: state.residual,
    };
    let t = texts(&lang, cfg.banner);
    let mut allow_vendors: Vec<String> = route.map(|r| r.allow_vendors.clone()).unwrap_or_default();
    if cfg.banner.allow_google_before_consent() {
        allow_vendors.extend(GOOGLE_CONSENT_MODE_VENDORS.iter().map(|s| s.to_string()));
    }
    let body_end = if inject && show_banner {
        banner_html(&view, cfg.banner)
    } else {
        String::new()
    };
    Page {
        grants: state.grants,
        allow_vendors,
        site_host: req.host.to_string(),
        head_start: if inject {
            head_signals(&view, cfg.banner)
        } else {
            String::new()
        },
        reopen_form: (!body_end.is_empty()).then_some(REOPEN_FORM_ID),
        body_end,
        declaration_html: inject.then(|| declaration_html(&view, cfg.banner, cfg.cookies)),
        status_html: inject.then(|| status_html(&view, cfg.banner)),
        placeholder_text: t.placeholder.clone(),
        allow_text: t.allow.clone(),
        category_labels: Category::ALL.map(|c| t.category(c).to_string()),
    }
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
