//! The `start` event's warm-up, in two halves. [`core`]: one synthetic
//! page through the pure request path ([`consent_edge::proxy::warm`]). [`shell`]:
//! one synthetic request through the real fetch handler, so V8 has
//! compiled the handler's own code (its async state machine, the `worker`
//! crate's request glue, the futures executor) before the first visitor
//! arrives.
//!
//! `start` runs in the global scope, where workerd refuses I/O, timers,
//! random values and even a `Response` with a body (a JavaScript exception
//! thrown through the wasm would stop the worker from starting). So the
//! request carries the loop header ([`HOP_HEADER`]): [`super::handle`]
//! reads the settings, the configuration, the URL and headers, takes the
//! visit's regime and routes it, and returns [`Failure::Loop`] before any
//! response is made. Nothing else happens: no origin, no cookie, no log
//! but the handler's own once-per-isolate admin-token check.
//!
//! The environment is workerd's importable `env` (`cloudflare:workers`),
//! the same bindings a request gets, so the settings the handler caches
//! for the isolate ([`super::env::settings`]) are the real ones. Where the
//! runtime has no importable `env` the warm-up is skipped: settings read
//! from anything else would be cached wrongly.

use super::{boxed, handle};
use consent_edge::proxy::{Failure, HOP_HEADER};
use wasm_bindgen::prelude::*;
use worker::{console_error, Context, Env, Headers, Request};

#[wasm_bindgen(module = "cloudflare:workers")]
extern "C" {
    /// The worker's bindings, importable at the top level.
    #[wasm_bindgen(thread_local_v2, js_name = env)]
    static WORKER_ENV: JsValue;
}

/// Everything one-time, done before the first visitor arrives: the
/// embedded configuration, the catalog, the signature automaton, the
/// filter's selectors, and V8's compilation of the wasm functions a page
/// request runs (lazily compiled on first call), by one synthetic page
/// through the real request path ([`consent_edge::proxy::warm`]; measured in
/// docs/BENCHMARKS.md "Startup (stop 12)"). Never fails the start: an error
/// is logged and the request path initialises lazily as before.
pub(super) fn core() {
    let cfg = consent_edge::rules::Config::embedded();
    if let Err(e) =
        consent_edge::proxy::warm::run(cfg, consent_edge::trackers::Catalog::configured())
    {
        console_error!("consent-edge: {e}");
    }
}

/// Where the synthetic request goes: a reserved name (RFC 2606) that no
/// route or origin can match, though nothing is fetched anyway.
const WARM_URL: &str = "https://warm-up.invalid/";

/// Runs the synthetic request on the futures executor (a microtask, still
/// inside the start). Errors are logged, never raised: the worker starts
/// either way and the first request does the same work, only slower.
pub(super) fn shell() {
    let env = WORKER_ENV.with(JsValue::clone);
    if !env.is_object() {
        return;
    }
    let env: Env = env.unchecked_into();
    let req = match loop_request() {
        Ok(req) => req,
        Err(e) => return console_error!("consent-edge: shell warm-up skipped: {e}"),
    };
    let ctx = Context::new(js_sys::Object::new().unchecked_into());
    wasm_bindgen_futures::spawn_local(async move {
        // Boxed as in `fetch`, so both poll the one compiled function.
        match boxed(handle(req, &env, &ctx))
            .await
            .map_err(|e| e.failure())
        {
            Err(Failure::Loop) => {}
            Err(f) => console_error!("consent-edge: shell warm-up: {f}"),
            Ok(_) => console_error!("consent-edge: shell warm-up was answered, not looped"),
        }
    });
}

/// `GET https://warm-up.invalid/` with the loop header. Built with
/// `web_sys` as `origin::forward` builds the origin request: the `worker`
/// crate's `RequestInit` would link its `cf` options' serialisation into
/// the wasm for this one request (5.9 KB gzip more with it, measured).
fn loop_request() -> worker::Result<Request> {
    let headers = Headers::new();
    headers.set(HOP_HEADER, "1")?;
    let init = web_sys::RequestInit::new();
    init.set_headers(headers.as_ref());
    Ok(web_sys::Request::new_with_str_and_init(WARM_URL, &init).map(Request::from)?)
}
