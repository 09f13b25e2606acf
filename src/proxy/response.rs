//! Phase 3, `response_filter`: what reaches the browser of the origin's
//! response — headers (cookies, cache, `Link`, `Refresh`) and whether the
//! body streams through the filter.

use super::encoding::{self, Document, Treatment, RUNTIME_DECODED};
use super::failure::Failure;
use super::link::{filter_link, refresh_refused, Refusal};
use super::request::Visit;
use super::settings::Settings;
use crate::banner::{self, PageRequest, GOOGLE_CONSENT_MODE_VENDORS};
use crate::consent::enforce;
use crate::filter::Page;
use crate::rules::Config;
use crate::trackers::Catalog;

/// The cache policy of a rewritten (personalised) page: no cache may keep
/// it, so a withdrawal is seen on the next view, and a shared cache never
/// serves one visitor's page to another.
pub const REWRITTEN_CACHE_CONTROL: &str = "private, no-store";
/// What a rewritten page depends on besides its URL.
pub const REWRITTEN_VARY: [&str; 3] = ["Cookie", "Sec-GPC", "Accept-Language"];
/// Origin headers a rewritten page does not keep: its length changes, and
/// the origin's validators and freshness describe the unfiltered page.
const DROPPED_WHEN_REWRITTEN: [&str; 6] = [
    "content-length",
    "etag",
    "last-modified",
    "expires",
    "cache-control",
    "vary",
];

/// The origin's response as the shell read it.
#[derive(Debug, Clone, Copy)]
pub struct ResponseFacts<'a> {
    /// HTTP status.
    pub status: u16,
    /// Headers in order, names in lower case; `set-cookie` one per value.
    pub headers: &'a [(String, String)],
}

impl ResponseFacts<'_> {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the shell does with the origin's response.
#[derive(Debug)]
pub enum ResponsePlan {
    /// Return the origin's response exactly as it is.
    Untouched,
    /// The origin's status and body with these headers.
    Pass(Vec<(String, String)>),
    /// Stream the body through a [`crate::filter::Filter`] built from `page`
    /// (decoded first when need be, [`crate::proxy::DocumentBody`]).
    Rewrite {
        /// The response headers.
        headers: Vec<(String, String)>,
        /// What the filter injects and enforces.
        page: Box<Page>,
        /// How the body is read: the certain charset (the body's first
        /// bytes decide the rest, [`crate::proxy::DocumentBody`]).
        document: Document,
    },
    /// Answer with this failure instead.
    Fail(Failure),
}

/// Everything `response_filter` reads besides the response.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The request.
    pub visit: &'a Visit<'a>,
    /// `mode = "bypass"` on the route.
    pub bypass: bool,
    /// A WebSocket upgrade was requested.
    pub upgrade: bool,
    /// The worker's settings.
    pub settings: &'a Settings,
    /// The site's configuration.
    pub cfg: &'a Config,
    /// The tracker catalog.
    pub catalog: &'a Catalog,
    /// Now (unix seconds): the rendered banner's form token
    /// ([`crate::consent::token`]) is minted with it.
    pub now: u64,
    /// 16 random bytes for this response (the shell's Web Crypto): the
    /// activation token of the page ([`banner::token_from`]) and the form
    /// token's nonce (both are public in the page; neither needs the other
    /// secret).
    pub random: [u8; 16],
}

/// Whether a response carries an HTML document the filter rewrites
/// (`text/html`, `application/xhtml+xml`; for the full decision, with
/// unlabelled and XML types, see [`encoding::treat`]).
pub fn is_document(status: u16, content_type: &str) -> bool {
    has_body(status)
        && matches!(
            encoding::treat(
                &encoding::Headers {
                    content_type: Some(content_type),
                    ..Default::default()
                },
                RUNTIME_DECODED,
            ),
            Treatment::Filter(_)
        )
}

/// Whether a response of this status carries a body the browser renders.
fn has_body(status: u16) -> bool {
    !(matches!(status, 101 | 204 | 205 | 206 | 304) || (300..400).contains(&status))
}

/// Vendors allowed outright on this response: the route's, and Google's in
/// Consent Mode "advanced" (the same list [`banner::page`] gives the filter).
pub fn allow_vendors(ctx: &Context<'_>) -> Vec<String> {
    let mut allow: Vec<String> = ctx
        .visit
        .route
        .map(|r| r.allow_vendors.clone())
        .unwrap_or_default();
    if ctx.cfg.banner.allow_google_before_consent() {
        allow.extend(GOOGLE_CONSENT_MODE_VENDORS.iter().map(|s| s.to_string()));
    }
    allow
}

/// `response_filter`: the plan for one origin response.
///
/// - An upgrade (101) is untouched, and so is a response on a bypass route
///   unless it is a document: bypass never serves HTML unfiltered.
/// - The document type, content coding and charset decide whether the body
///   is filtered ([`encoding::treat`]): an XML or unlabelled body passed on
///   gets headers that stop it running code; one that cannot be read is
///   refused (502 naming the problem).
/// - A 304 to a navigation is refused: its conditional headers were not
///   forwarded, so the origin answered a question nobody asked, and the
///   browser would show a copy filtered for an earlier consent state.
/// - Otherwise refused `Set-Cookie`s are dropped, refused cookies the
///   request still carries are expired, `Link` entries and a `Refresh` to
///   refused vendors are removed; a document is rewritten and made private
///   (see [`REWRITTEN_CACHE_CONTROL`], [`REWRITTEN_VARY`]).
pub fn response_filter(resp: &ResponseFacts<'_>, ctx: &Context<'_>) -> ResponsePlan {
    let visit = ctx.visit;
    if ctx.upgrade || resp.status == 101 {
        return ResponsePlan::Untouched;
    }
    let head = visit.method.eq_ignore_ascii_case("HEAD");
    let (document, extra) = match body_treatment(resp, visit, head) {
        Ok(t) => t,
        Err(f) => return ResponsePlan::Fail(f),
    };
    let rewrite = document.is_some();
    if visit.navigation && resp.status == 304 {
        return ResponsePlan::Fail(Failure::OriginInvalid(
            "the origin answered 304 Not Modified to a page request sent without validators; \
             reload to fetch the page again"
                .into(),
        ));
    }
    if ctx.bypass && !rewrite {
        // Headers that keep an XML or unlabelled body from running code
        // apply on bypass routes too.
        return match extra.is_empty() {
            true => ResponsePlan::Untouched,
            false => ResponsePlan::Pass(resp.headers.iter().cloned().chain(extra).collect()),
        };
    }
    let allow = allow_vendors(ctx);
    let refusal = Refusal {
        catalog: ctx.catalog,
        grants: visit.state.grants,
        allow_vendors: &allow,
    };
    let (mut headers, changed) = filter_headers(resp.headers, ctx, &refusal, rewrite);
    let changed = changed || !extra.is_empty();
    headers.extend(extra);
    if let Some(document) = document {
        if let Some(ct) = &document.content_type {
            headers.retain(|(n, _)| n != "content-type");
            headers.push(("content-type".into(), ct.clone()));
        }
        headers.push(("cache-control".into(), REWRITTEN_CACHE_CONTROL.into()));
        headers.push(("vary".into(), merge_vary(resp.headers)));
        headers.extend(csp_headers(ctx, &allow));
        return ResponsePlan::Rewrite {
            headers,
            page: Box::new(page(resp, ctx)),
            document,
        };
    }
    if changed {
        ResponsePlan::Pass(headers)
    } else {
        ResponsePlan::Untouched
    }
}

/// Response headers, names in lower case.
type Headers = Vec<(String, String)>;

/// The body's [`encoding::treat`]ment: the document to rewrite (none for a
/// `HEAD`), or headers to add to a body passed on; `Err`: refused.
fn body_treatment(
    resp: &ResponseFacts<'_>,
    visit: &Visit<'_>,
    head: bool,
) -> Result<(Option<Document>, Headers), Failure> {
    if !has_body(resp.status) {
        return Ok((None, Vec::new()));
    }
    let headers = encoding::Headers {
        content_type: resp.header("content-type"),
        content_encoding: resp.header("content-encoding"),
        content_type_options: resp.header("x-content-type-options"),
        navigation: visit.navigation,
    };
    Ok(match encoding::treat(&headers, RUNTIME_DECODED) {
        Treatment::Filter(_) | Treatment::Refuse(_) if head => (None, Vec::new()),
        Treatment::Filter(d) => (Some(d), Vec::new()),
        Treatment::Pass(extra) => (None, extra),
        Treatment::Refuse(why) => return Err(Failure::OriginInvalid(why)),
    })
}

/// The response headers after cookie and header enforcement; `true` when
/// anything changed.
fn filter_headers(
    origin: &[(String, String)],
    ctx: &Context<'_>,
    refusal: &Refusal<'_>,
    rewrite: bool,
) -> (Vec<(String, String)>, bool) {
    let visit = ctx.visit;
    let classify =
        |name: &str| crate::consent::enforce::classify_cookie(&ctx.cfg.cookies, ctx.catalog, name);
    let mut out = Vec::with_capacity(origin.len() + 4);
    let mut changed = false;
    for (name, value) in origin {
        let name = name.to_ascii_lowercase();
        let keep = match name.as_str() {
            "set-cookie" => {
                enforce::keep_set_cookie(value, visit.state.grants, &classify, visit.now)
            }
            "refresh" => !refresh_refused(value, refusal),
            "link" => match filter_link(value, refusal) {
                Some(v) if v == *value => true,
                Some(v) => {
                    out.push((name, v));
                    changed = true;
                    continue;
                }
                None => false,
            },
            n => !(rewrite && DROPPED_WHEN_REWRITTEN.contains(&n)),
        };
        if keep {
            out.push((name, value.clone()));
        } else {
            changed = true;
        }
    }
    if let Some(h) = visit.cookie_header.as_deref() {
        for e in enforce::expire_refused(
            h,
            visit.state.grants,
            &classify,
            &visit.reach(),
            visit.secure,
        ) {
            out.push(("set-cookie".into(), e));
            changed = true;
        }
    }
    (out, changed)
}

/// The origin's `Vary` with what a rewritten page depends on added (once,
/// case-insensitively); `*` stays `*`.
pub fn merge_vary(origin: &[(String, String)]) -> String {
    let mut tokens: Vec<String> = origin
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("vary"))
        .flat_map(|(_, v)| v.split(','))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.iter().any(|t| t == "*") {
        return "*".into();
    }
    for ours in REWRITTEN_VARY {
        if !tokens.iter().any(|t| t.eq_ignore_ascii_case(ours)) {
            tokens.push(ours.to_string());
        }
    }
    let mut seen: Vec<String> = Vec::new();
    tokens.retain(|t| {
        let lower = t.to_ascii_lowercase();
        let new = !seen.contains(&lower);
        seen.push(lower);
        new
    });
    tokens.join(", ")
}

/// The unknown cookie names the origin's `Set-Cookie`s carry, for tracker
/// discovery (`[csp] mode` not `"off"`; nothing otherwise). The edge samples
/// and stores them; the classification is the one the `Set-Cookie` pass of
/// [`response_filter`] enforces with.
pub fn discovered_cookies(
    resp: &ResponseFacts<'_>,
    ctx: &Context<'_>,
) -> Vec<crate::discovery::Sighting> {
    if ctx.settings.csp_mode(ctx.cfg.csp.mode) == consent_edge_config::CspMode::Off {
        return Vec::new();
    }
    let classify =
        |name: &str| crate::consent::enforce::classify_cookie(&ctx.cfg.cookies, ctx.catalog, name);
    crate::discovery::cookies::unknown_cookies(
        resp.headers,
        &classify,
        &ctx.cfg.cookie.name,
        ctx.visit.url.path(),
    )
}

/// The `[csp]` backstop of a rewritten page, for a visitor who decided:
/// appended next to the origin's own policy, never replacing it.
fn csp_headers(ctx: &Context<'_>, allow: &[String]) -> Vec<(String, String)> {
    let visit = ctx.visit;
    if visit.state.decision.is_none() {
        return Vec::new();
    }
    crate::csp::headers(&crate::csp::PolicyInput {
        mode: ctx.settings.csp_mode(ctx.cfg.csp.mode),
        site_allow: &ctx.cfg.csp.allow,
        site_vendors: &ctx.cfg.csp.vendors,
        catalog: ctx.catalog,
        grants: visit.state.grants,
        allow_vendors: allow,
        origin: &visit.url.origin().ascii_serialization(),
        endpoint: &ctx.cfg.cookie.endpoint,
    })
}

/// The [`Page`] the filter injects and enforces for this response.
fn page(resp: &ResponseFacts<'_>, ctx: &Context<'_>) -> Page {
    let visit = ctx.visit;
    let activation = banner::token_from(&ctx.random);
    let return_to = visit.return_to();
    // For the page the endpoint will read back from the form's `return_to`
    // (a path it would not redirect to counts as `/` on both sides).
    let form_token = crate::consent::token::mint(
        &ctx.settings.secrets,
        &visit.host,
        crate::consent::endpoint::safe_return_to(&return_to),
        ctx.now,
        ctx.random,
    );
    banner::page_with(
        &PageRequest {
            state: &visit.state,
            route: visit.route,
            accept_language: visit.accept_language.as_deref(),
            return_to: &return_to,
            csp: resp.header("content-security-policy"),
            host: &visit.host,
            token: form_token.as_deref(),
        },
        &banner::PageSettings::of(ctx.cfg),
        &banner::PageExtras {
            catalog: Some(ctx.catalog),
            token: &activation,
            frame: visit.frame,
        },
    )
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
