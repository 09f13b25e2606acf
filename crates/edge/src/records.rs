//! The records, history and stats endpoints and the retention purge: the
//! pure [`consent_edge::records::admin`] handler decides, this adapter runs its SQL
//! on D1 and sends its answer.

use super::d1::{query_rows, query_rows_run};
use super::http::{header, now, to_headers};
use consent_edge::proxy::{Settings as Vars, Visit};
use consent_edge::records::admin::{self, AdminRequest, AdminResponse, AdminStep};
use consent_edge::records::{self, SqlValue, Statement};
use consent_edge::rules::Config;
use std::sync::atomic::{AtomicU64, Ordering};
use wasm_bindgen::JsValue;
use worker::*;

/// Failed proof-of-consent writes in this isolate (reported by `/stats`).
pub static RECORD_FAILURES: AtomicU64 = AtomicU64::new(0);

/// A statement with its parameters bound as D1 expects them.
pub fn prepare(db: &D1Database, s: &Statement) -> Result<D1PreparedStatement> {
    let params: Vec<JsValue> = s.params.iter().map(js_value).collect();
    db.prepare(&s.sql).bind(&params)
}

/// D1 binds JavaScript values; every integer of the log is below 2^53.
pub fn js_value(v: &SqlValue) -> JsValue {
    match v {
        SqlValue::Null => JsValue::NULL,
        SqlValue::Int(i) => JsValue::from_f64(*i as f64),
        SqlValue::Text(s) => JsValue::from_str(s),
    }
}

/// `/__consent/records`, `/__consent/history`, `/__consent/stats`.
pub async fn records_endpoint(
    sub: &str,
    req: &Request,
    env: &Env,
    vars: &Vars,
    cfg: &Config,
    v: &Visit<'_>,
) -> Result<Response> {
    // The method as sent: `worker::Method` turns unknown ones into GET.
    let method = req.inner().method();
    let authorization = header(req, "authorization");
    let areq = AdminRequest {
        method: &method,
        path: sub,
        query: v.url.query().unwrap_or(""),
        authorization: authorization.as_deref(),
        consent_cookie_id: v.state.decision.as_ref().map(|d| d.consent_id.as_str()),
        records_enabled: cfg.records.enabled,
        admin_token: vars.admin_token.as_deref(),
        write_failures: RECORD_FAILURES.load(Ordering::Relaxed),
    };
    let out = match admin::route(&areq) {
        AdminStep::Respond(out) => out,
        AdminStep::Run { statement, then } => match query_rows(env, &statement).await {
            Ok(rows) => admin::render(&then, rows),
            Err(e) => {
                console_error!("consent-edge: consent records unavailable: {e}");
                admin::store_unavailable()
            }
        },
    };
    admin_response(out.with_residual(v.state.residual))
}

/// An admin endpoint's answer (records, history, stats, discovery) as sent.
pub(super) fn admin_response(out: AdminResponse) -> Result<Response> {
    Ok(ResponseBuilder::new()
        .with_status(out.status)
        .with_headers(to_headers(&out.headers)?)
        .fixed(out.body))
}

/// Cron: delete records older than `records.retention_days`, in bounded
/// batches (at most 200 a run; the next run continues).
pub async fn purge(env: &Env, cfg: &Config) {
    let mut run =
        records::PurgeRun::new(now(), cfg.records.retention_days, cfg.records.purge_batch);
    loop {
        let deleted = match query_rows_run(env, run.statement()).await {
            Ok(n) => n,
            Err(e) => {
                console_error!("consent-edge: retention purge failed: {e}");
                return;
            }
        };
        if !run.again(deleted) {
            return;
        }
    }
}
