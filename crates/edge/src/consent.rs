//! `GET|POST|DELETE /__consent`: the core's endpoint, its effects carried out.

use super::d1::store_record;
use super::error::EdgeError;
use super::http::{header, now, random16, to_headers};
use super::records::RECORD_FAILURES;
use consent_edge::consent::endpoint::{self, EndpointRequest, MAX_BODY};
use consent_edge::consent::ratelimit;
use consent_edge::proxy::{decision, Settings, Visit};
use consent_edge::rules::Config;
use consent_edge::trackers::Catalog;
use futures_util::StreamExt;
use std::sync::atomic::Ordering;
use worker::{console_error, Context, Env, Request, Response, ResponseBuilder};

/// Answers the consent endpoint; a decision's record is written after the
/// response (`wait_until`).
pub async fn endpoint(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    settings: &Settings,
    cfg: &'static Config,
    visit: &Visit<'_>,
    headers: &[(String, String)],
) -> Result<Response, EdgeError> {
    let (body, too_large) = read_body(&mut req, MAX_BODY).await;
    let ereq = EndpointRequest {
        method: &visit.method,
        host: &visit.host,
        headers,
        body: &body,
        body_too_large: too_large,
        secure: visit.secure,
        cookie_domain: settings.cookie_domain.as_deref(),
    };
    let mut out = endpoint::handle(
        &ereq,
        &visit.state,
        &visit.cookie_policy(cfg),
        &visit.secrets,
        now(),
        random16(),
    );
    if let Some(d) = out.decision.take() {
        decision::expire_refused(&mut out, &d, visit, cfg, Catalog::configured());
        if out.record && cfg.records.enabled && !within_limit(env, headers).await {
            endpoint::over_limit(&mut out);
        }
        if out.record && cfg.records.enabled {
            let record = decision::record(&d, visit, headers, out.header("location"), cfg);
            let queue = cfg.records.queue || settings.records_queue;
            let env = env.clone();
            ctx.wait_until(async move {
                if let Err(e) = store_record(&env, record, queue).await {
                    RECORD_FAILURES.fetch_add(1, Ordering::Relaxed);
                    console_error!("consent-edge: consent record not stored: {e}");
                }
            });
        }
    }
    Ok(ResponseBuilder::new()
        .with_status(out.status)
        .with_headers(to_headers(&out.headers)?)
        .fixed(out.body))
}

/// Whether this client may write one more record, by the
/// [`ratelimit::BINDING`] rate limiter keyed on [`ratelimit::key`].
///
/// Fails open, logged: without the binding (a deployment that left it out)
/// or when the limiter errs, the write goes ahead — the per-render token
/// still bounds who can write, and refusing real proof of consent because
/// a limiter is down would lose what the log is for.
async fn within_limit(env: &Env, headers: &[(String, String)]) -> bool {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let limiter = match env.rate_limiter(ratelimit::BINDING) {
        Ok(l) => l,
        Err(_) => {
            static MISSING: std::sync::Once = std::sync::Once::new();
            MISSING.call_once(|| {
                console_error!(
                    "consent-edge: no {} rate limiter bound: consent writes are not rate-limited (see wrangler.toml [[ratelimits]])",
                    ratelimit::BINDING
                )
            });
            return true;
        }
    };
    let key = ratelimit::key(get("cf-connecting-ip"), get("user-agent"));
    match limiter.limit(key).await {
        Ok(outcome) => outcome.success,
        Err(e) => {
            console_error!("consent-edge: rate limiter failed, write allowed: {e}");
            true
        }
    }
}

/// Reads at most `limit` bytes of the body; `true` when there was more.
async fn read_body(req: &mut Request, limit: usize) -> (Vec<u8>, bool) {
    let declared = header(req, "content-length").and_then(|l| l.trim().parse::<u64>().ok());
    if declared.is_some_and(|l| l > limit as u64) {
        return (Vec::new(), true);
    }
    let Ok(mut stream) = req.stream() else {
        return (Vec::new(), false);
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => {
                body.extend_from_slice(&c);
                if body.len() > limit {
                    return (Vec::new(), true);
                }
            }
            Err(_) => break,
        }
    }
    (body, false)
}
