//! The CSP report endpoint and the discovery list, and the sampled writes
//! of unknown origin cookies: the pure [`consent_edge::discovery`] decides, this
//! adapter reads the body (bounded), runs its SQL on D1 and answers.

use super::d1::{query_rows, run_statements};
use super::http::{header, now};
use super::records::admin_response;
use consent_edge::discovery::endpoint::check_head;
use consent_edge::discovery::{
    accept_report, admin, store, Known, ReportError, ReportRequest, Sampler, Sighting, TokenBucket,
    MAX_REPORT_BYTES,
};
use consent_edge::proxy::{Settings as Vars, Visit};
use consent_edge::rules::Config;
use consent_edge::trackers::Catalog;
use consent_edge_config::CspMode;
use futures_util::StreamExt;
use std::cell::RefCell;
use worker::{console_error, Context, Env, Request, Response, ResponseBuilder, Result};

thread_local! {
    /// Reports per isolate: a burst of 60, then 10 a second. A page with a
    /// dozen refused loads sends a dozen reports at once (report-uri) or
    /// one batch (report-to).
    static BUCKET: RefCell<TokenBucket> = RefCell::new(TokenBucket::new(60, 10.0));
    /// One write per cookie name and page every 10 minutes per isolate.
    static COOKIES: RefCell<Sampler> = RefCell::new(Sampler::new(600_000, 4_096));
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// `/__consent/csp-report`.
pub async fn csp_report(
    mut req: Request,
    env: &Env,
    vars: &Vars,
    cfg: &Config,
    v: &Visit<'_>,
) -> Result<Response> {
    let method = req.inner().method();
    let content_type = header(&req, "content-type");
    let head = ReportRequest {
        mode: vars.csp_mode(cfg.csp.mode),
        method: &method,
        content_type: content_type.as_deref(),
        content_length: header(&req, "content-length").and_then(|l| l.trim().parse().ok()),
    };
    let kind = match BUCKET.with(|b| check_head(&head, &mut b.borrow_mut(), now_ms())) {
        Ok(kind) => kind,
        Err(e) => return refusal(&e),
    };
    let body = match read_bounded(&mut req).await? {
        Some(body) => body,
        None => return refusal(&ReportError::TooLarge),
    };
    let known = Known {
        catalog: Catalog::configured(),
        site_host: &v.host,
        site_allow: &cfg.csp.allow,
    };
    let sightings = match accept_report(kind, &body, &known) {
        Ok(s) => s,
        Err(e) => return refusal(&e),
    };
    if !sightings.is_empty() {
        if let Err(e) = run_statements(env, store::upsert(&sightings, now())).await {
            console_error!("consent-edge: discovery store unavailable: {e}");
            return admin_response(admin::response(
                503,
                &serde_json::json!({"error": "the discovery store is unavailable"}),
            ));
        }
    }
    Ok(ResponseBuilder::new().with_status(204).empty())
}

/// The body, or `None` once it passes [`MAX_REPORT_BYTES`] (read no further).
async fn read_bounded(req: &mut Request) -> Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else {
        return Ok(Some(body)); // no body
    };
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() > MAX_REPORT_BYTES {
            return Ok(None);
        }
    }
    Ok(Some(body))
}

fn refusal(e: &ReportError) -> Result<Response> {
    let mut r = admin::response(e.status(), &serde_json::json!({ "error": e.to_string() }));
    r.headers.extend(e.headers());
    admin_response(r)
}

/// `/__consent/discovery`.
pub async fn discovery_list(
    req: &Request,
    env: &Env,
    vars: &Vars,
    cfg: &Config,
) -> Result<Response> {
    let authorization = header(req, "authorization");
    let dreq = admin::DiscoveryRequest {
        authorization: authorization.as_deref(),
        admin_token: vars.admin_token.as_deref(),
        enabled: vars.csp_mode(cfg.csp.mode) != CspMode::Off,
    };
    if let Err(r) = admin::route(&dreq) {
        return admin_response(r);
    }
    match query_rows(env, &store::list()).await {
        Ok(rows) => admin_response(admin::render(&rows)),
        Err(e) => {
            console_error!("consent-edge: discovery store unavailable: {e}");
            admin_response(admin::response(
                503,
                &serde_json::json!({"error": "the discovery store is unavailable"}),
            ))
        }
    }
}

/// Stores the sampled unknown cookie names of an origin response after the
/// response is sent (`wait_until`); a failure is logged, the page unaffected.
pub fn record_cookies(env: &Env, ctx: &Context, sightings: Vec<Sighting>) {
    let t = now_ms();
    let admitted: Vec<Sighting> = COOKIES.with(|s| {
        let mut s = s.borrow_mut();
        sightings
            .into_iter()
            .filter(|x| s.admit(&format!("{}\n{}", x.name, x.path), t))
            .collect()
    });
    if admitted.is_empty() {
        return;
    }
    let env = env.clone();
    ctx.wait_until(async move {
        if let Err(e) = run_statements(&env, store::upsert(&admitted, now())).await {
            console_error!("consent-edge: discovery store unavailable: {e}");
        }
    });
}
