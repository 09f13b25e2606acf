//! # consent-edge-worker
//!
//! The edge shell: the only code touching the `worker` crate, and so the
//! only crate depending on it (the pure core, `consent-edge`, has no
//! wasm-only dependency). The handlers read the request, ask the core
//! ([`consent_edge::proxy`], [`consent_edge::consent::endpoint`],
//! [`consent_edge::records`]) what to do and carry it out.
//!
//! Its own crate so that it builds at `opt-level = "z"` (the workspace's
//! release default) while the core stays at 2 for the filter: the
//! handler's async state machines, the futures executor's closures and
//! the warm-up are size, not speed (docs/BENCHMARKS.md, "Wasm size, stop
//! 14").
//!
//! | file | adapter |
//! |---|---|
//! | `env.rs` | vars and secrets → [`consent_edge::proxy::Settings`] |
//! | `http.rs` | `worker` headers, `cf`, clock, entropy, fixed responses |
//! | `consent.rs` | the consent endpoint and its effects |
//! | `proxy.rs` | the proxied request: upstream and response plans carried out |
//! | `origin.rs` | forward and timeout |
//! | `cache.rs` | the Cache API: match and put |
//! | `stream.rs` | the JavaScript body pump through the filter |
//! | `d1.rs`, `records.rs` | D1, the queue, the admin endpoints, the purge |
//! | `discovery.rs` | the CSP report endpoint, the discovery list, sampled cookie writes |
//! | `error.rs` | errors by source → 502/504, 503, 500 |
//! | `warm.rs` | the `start` event's warm-up |
#![cfg(target_arch = "wasm32")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![deny(rustdoc::broken_intra_doc_links)]

mod cache;
mod consent;
mod d1;
mod discovery;
mod env;
mod error;
mod http;
mod origin;
mod proxy;
mod records;
mod stream;
mod warm;

use consent_edge::proxy::{request_filter, Dispatch, RequestFacts, Visit, ADMIN_ALLOW};
use consent_edge::records::Record;
use consent_edge::rules::Config;
use error::EdgeError;
use std::sync::atomic::Ordering;
use worker::*;

/// Once per isolate (and again if the module is re-instantiated after a
/// trap). The generated shim instantiates the module at the top level, so
/// this runs while the runtime starts the worker, before `ready`, not on
/// the first request.
#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
    warm::core();
    warm::shell();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    match boxed(handle(req, &env, &ctx)).await {
        Ok(resp) => Ok(resp),
        Err(e) => e.into_response(),
    }
}

/// Routes one request (see [`request_filter`]).
async fn handle(
    req: Request,
    env: &Env,
    ctx: &Context,
) -> std::result::Result<Response, EdgeError> {
    let settings = env::settings(env);
    // Once per isolate: say why the admin endpoints answer 503.
    static ADMIN_TOKEN_CHECK: std::sync::Once = std::sync::Once::new();
    ADMIN_TOKEN_CHECK.call_once(|| {
        if let Some(problem) =
            consent_edge::records::admin_token_problem(settings.admin_token.as_deref())
        {
            console_error!("consent-edge: {problem}");
        }
    });
    // Validated by build.rs, built once per isolate.
    let cfg = Config::embedded();
    let url = req.url()?;
    let headers = http::request_headers(&req);
    // The raw method: `req.method()` reads PROPFIND, PURGE, QUERY … as GET.
    let method = req.inner().method();
    let facts = RequestFacts {
        method: &method,
        url: &url,
        headers: &headers,
    };
    let visit = Visit::new(&facts, cfg, &settings, http::cf_geo(&req), http::now());
    match request_filter(&facts, &visit, cfg, &settings) {
        Dispatch::Loop => Err(consent_edge::proxy::Failure::Loop.into()),
        Dispatch::Consent => {
            boxed(consent::endpoint(
                req, env, ctx, &settings, cfg, &visit, &headers,
            ))
            .await
        }
        Dispatch::Admin(sub) => Ok(boxed(records::records_endpoint(
            &sub, &req, env, &settings, cfg, &visit,
        ))
        .await?),
        Dispatch::CspReport => {
            Ok(boxed(discovery::csp_report(req, env, &settings, cfg, &visit)).await?)
        }
        Dispatch::Discovery => {
            Ok(boxed(discovery::discovery_list(&req, env, &settings, cfg)).await?)
        }
        Dispatch::AdminMethodNotAllowed => {
            let resp = http::json_response(
                405,
                &serde_json::json!({"error": format!("method not allowed: use {ADMIN_ALLOW}")}),
            )?;
            resp.headers().set("allow", ADMIN_ALLOW)?;
            Ok(resp)
        }
        // Dev-only fault injection for the hardening tests (never set DEV_FAULTS in production).
        Dispatch::FaultPanic => panic!("consent-edge: deliberate panic (DEV_FAULTS)"),
        Dispatch::FaultError => Err(EdgeError::Internal(Error::RustError(
            "deliberate error (DEV_FAULTS)".into(),
        ))),
        Dispatch::Proxy { bypass } => {
            proxy::proxy(req, env, ctx, &settings, cfg, &visit, bypass).await
        }
    }
}

/// A future behind a pointer: polled through a vtable, so its state
/// machine is one function of its own instead of being inlined into its
/// caller's poll. For the cold endpoints: the request handler's poll,
/// which every page runs and V8 compiles on the first request, shrinks
/// (179 KB → 108 KB; first request 0.86× in workerd, median of five
/// loaded-machine pairs; +1.6 KB gzip: docs/BENCHMARKS.md, "Wasm size:
/// stop 12 steps"). For [`handle`] itself: `fetch` and the shell warm-up
/// ([`warm::shell`]) poll the same compiled function, so the warm-up's
/// compilation is the first request's.
fn boxed<'a, T>(
    f: impl std::future::Future<Output = T> + 'a,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>> {
    Box::pin(f)
}

/// Queue consumer (records.queue = true): each delivered batch becomes
/// multi-row INSERTs in one D1 round trip.
#[event(queue)]
async fn queue(batch: MessageBatch<Record>, env: Env, _ctx: Context) -> Result<()> {
    let recs: Vec<Record> = batch
        .messages()?
        .into_iter()
        .map(|m| m.into_body())
        .collect();
    match d1::run_statements(&env, consent_edge::records::insert(&recs)).await {
        Ok(_) => batch.ack_all(),
        Err(e) => {
            records::RECORD_FAILURES.fetch_add(recs.len() as u64, Ordering::Relaxed);
            console_error!("consent-edge: queued consent records not stored: {e}");
            batch.retry_all();
        }
    }
    Ok(())
}

/// Cron: the retention purge.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    records::purge(&env, Config::embedded()).await;
}
