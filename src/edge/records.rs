//! The records, history and stats endpoints and the retention purge, moved
//! here unchanged from the former `edge.rs` (a pure admin handler in
//! `records` replaces them; see the lead's merge).

use super::d1::{query_rows, query_rows_run};
use super::http::{bytes_response, header, json_response, now};
use crate::proxy::{Settings as Vars, Visit};
use crate::records::{self, Record, Statement};
use crate::rules::Config;
use std::sync::atomic::{AtomicU64, Ordering};
use wasm_bindgen::JsValue;
use worker::*;

/// Failed proof-of-consent writes in this isolate (reported by `/stats`).
pub static RECORD_FAILURES: AtomicU64 = AtomicU64::new(0);

pub fn prepare(db: &D1Database, s: &Statement) -> Result<D1PreparedStatement> {
    let params: Vec<JsValue> = s.params.iter().map(js_value).collect();
    db.prepare(&s.sql).bind(&params)
}

pub fn js_value(v: &serde_json::Value) -> JsValue {
    match v {
        serde_json::Value::Null => JsValue::NULL,
        serde_json::Value::Bool(b) => JsValue::from_bool(*b),
        serde_json::Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => JsValue::from_str(s),
        other => JsValue::from_str(&other.to_string()),
    }
}

/// `/__consent/records`, `/__consent/history`, `/__consent/stats`.
pub async fn records_endpoint(
    sub: &str,
    req: &Request,
    env: &Env,
    vars: &Vars,
    v: &Visit<'_>,
) -> Result<Response> {
    if req.method() != Method::Get {
        let resp = json_response(
            405,
            &serde_json::json!({"error": "method not allowed: use GET"}),
        )?;
        resp.headers().set("allow", "GET")?;
        return Ok(resp);
    }
    match sub {
        "history" => {
            let Some(d) = v.state.decision.as_ref() else {
                return json_response(
                    404,
                    &serde_json::json!({"error": "no valid consent cookie: no history to show"}),
                );
            };
            match query_rows(env, &records::history(&d.consent_id)).await {
                Ok(rows) => {
                    let recs: Vec<Record> = rows
                        .into_iter()
                        .filter_map(|r| serde_json::from_value(r).ok())
                        .collect();
                    json_response(200, &records::render_history(&d.consent_id, &recs))
                }
                Err(e) => store_unavailable(e),
            }
        }
        "records" | "stats" => {
            let Some(token) = vars.admin_token.as_deref() else {
                return json_response(404, &serde_json::json!({"error": "not found"}));
            };
            if !records::bearer_ok(header(req, "authorization").as_deref(), token) {
                let resp = json_response(
                    401,
                    &serde_json::json!({"error": "missing or wrong bearer token"}),
                )?;
                resp.headers().set("www-authenticate", "Bearer")?;
                return Ok(resp);
            }
            let q = match records::parse_query(v.url.query().unwrap_or("")) {
                Ok(q) => q,
                Err(e) => return bytes_response(400, "application/json", e.to_json().into_bytes()),
            };
            if sub == "stats" {
                return match query_rows(env, &records::stats(&q)).await {
                    Ok(rows) => {
                        let mut body = records::render_stats(&rows);
                        body["write_failures_this_isolate"] =
                            RECORD_FAILURES.load(Ordering::Relaxed).into();
                        json_response(200, &body)
                    }
                    Err(e) => store_unavailable(e),
                };
            }
            match query_rows(env, &records::select(&q)).await {
                Ok(rows) => {
                    let recs: Vec<Record> = rows
                        .into_iter()
                        .filter_map(|r| serde_json::from_value(r).ok())
                        .collect();
                    let (ct, body, next) = records::render_page(recs, &q);
                    let resp = bytes_response(200, &ct, body.into_bytes())?;
                    if let Some(c) = next {
                        resp.headers().set("consent-next-cursor", &c)?;
                    }
                    Ok(resp)
                }
                Err(e) => store_unavailable(e),
            }
        }
        _ => json_response(
            404,
            &serde_json::json!({"error": format!("no such endpoint: {sub}")}),
        ),
    }
}

fn store_unavailable(e: Error) -> Result<Response> {
    console_error!("consent-edge: consent records unavailable: {e}");
    json_response(
        503,
        &serde_json::json!({"error": "the consent record store is unavailable"}),
    )
}

/// Cron: delete records older than `records.retention_days`, in bounded batches.
pub async fn purge(env: &Env) {
    let cfg = Config::embedded();
    let (days, batch) = (cfg.records.retention_days, cfg.records.purge_batch);
    // Bounded: at most 200 batches per run; the next run continues.
    for _ in 0..200 {
        let st = records::purge(now(), days, batch);
        let deleted = match query_rows_run(env, &st).await {
            Ok(n) => n,
            Err(e) => {
                console_error!("consent-edge: retention purge failed: {e}");
                return;
            }
        };
        if !records::purge_again(deleted, batch) {
            return;
        }
    }
}
