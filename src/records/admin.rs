//! The log's endpoints below the consent endpoint, sans-IO: the edge hands
//! [`route`] what it read from the request, runs the one [`Statement`] it
//! may get back, and hands the rows to [`render`]. Every decision is made
//! here and tested natively; the edge only moves bytes.
//!
//! | request | answer |
//! |---|---|
//! | anything but `records`, `history`, `stats` | 404 `{"error":"not found"}` |
//! | a method other than `GET` | 405 with `Allow: GET` |
//! | `history`, records disabled | 404, the same answer as an unknown path |
//! | `history` without a valid consent cookie | 404 naming that |
//! | `history` | 200 `{"consent_id":…,"records":[…]}`, no row id, IP or user agent |
//! | `records`/`stats`, `ADMIN_TOKEN` shorter than [`MIN_ADMIN_TOKEN_BYTES`] | 503 naming the problem ([`admin_token_problem`]) |
//! | `records`/`stats`, bearer token missing or wrong, or no `ADMIN_TOKEN` | 401 with `WWW-Authenticate: Bearer` |
//! | `records`/`stats`, records disabled (right token) | 404, the same answer as an unknown path |
//! | `records`/`stats`, bad query parameter | 400 [`QueryError::to_json`](super::QueryError::to_json) |
//! | `records` | 200 NDJSON or CSV, `Consent-Next-Cursor` when there is a next page |
//! | `stats` | 200 [`render_stats`] plus `write_failures_this_isolate` |
//! | the store fails (the edge calls [`store_unavailable`]) | 503 |
//! | a stored row is not a record | 500 naming the row |
//!
//! 401 and 404 never depend on whether a token is configured (security
//! review C1): someone without the token cannot tell "no token", "records
//! off" and "wrong token" apart. Every answer carries `Cache-Control:
//! no-store` and `X-Content-Type-Options: nosniff`.

use super::query::{parse_query, Query};
use super::render::{render_history, render_page, render_stats};
use super::sql::{history, records_from_rows, select, stats, Statement};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The shortest `ADMIN_TOKEN` accepted: 32 bytes (256 bits when random),
/// beyond any online guessing.
pub const MIN_ADMIN_TOKEN_BYTES: usize = 32;

/// The methods these endpoints answer (the `Allow` header of a 405).
pub const ALLOW: &str = "GET";

/// A request below the consent endpoint, already read by the edge.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdminRequest<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path below the consent endpoint: `records` for
    /// `/__consent/records`.
    pub path: &'a str,
    /// The query string, with or without its `?`.
    pub query: &'a str,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The consent id of the visitor's valid signed cookie, if any.
    pub consent_cookie_id: Option<&'a str>,
    /// `records.enabled`.
    pub records_enabled: bool,
    /// The `ADMIN_TOKEN` secret, if set.
    pub admin_token: Option<&'a str>,
    /// Failed record writes the edge counted (reported by `stats`).
    pub write_failures: u64,
}

/// An answer, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl AdminResponse {
    fn new(status: u16, content_type: &str, body: Vec<u8>) -> AdminResponse {
        AdminResponse {
            status,
            headers: vec![
                ("content-type".into(), content_type.into()),
                ("cache-control".into(), "no-store".into()),
                ("x-content-type-options".into(), "nosniff".into()),
            ],
            body,
        }
    }

    fn json(status: u16, value: &Value) -> AdminResponse {
        AdminResponse::new(status, "application/json", value.to_string().into_bytes())
    }

    fn error(status: u16, message: &str) -> AdminResponse {
        AdminResponse::json(status, &json!({ "error": message }))
    }

    fn with_header(mut self, name: &str, value: &str) -> AdminResponse {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A 200 `/__consent/history` answer with the request's residual audit
    /// added (`"residual"`: refused cookies that still arrived with this
    /// request, [`crate::consent::State::residual`]); any other answer
    /// unchanged. The residual is per request, not stored.
    pub fn with_residual(mut self, residual: usize) -> AdminResponse {
        if self.status != 200 {
            return self;
        }
        if let Ok(Value::Object(mut m)) = serde_json::from_slice::<Value>(&self.body) {
            if m.contains_key("consent_id") && m.contains_key("records") {
                m.insert("residual".into(), residual.into());
                self.body = Value::Object(m).to_string().into_bytes();
            }
        }
        self
    }

    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What to do with the rows of the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Render {
    /// A page of `/__consent/records`.
    Page(Query),
    /// A visitor's `/__consent/history`.
    History {
        /// Their consent id.
        consent_id: String,
    },
    /// `/__consent/stats`.
    Stats {
        /// Failed record writes, from [`AdminRequest::write_failures`].
        write_failures: u64,
    },
}

/// The next step of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminStep {
    /// Answer this; nothing to run.
    Respond(AdminResponse),
    /// Run `statement` (D1 `all()`), then answer [`render`]`(&then, rows)`,
    /// or [`store_unavailable`] when the store fails.
    Run {
        /// The query to run.
        statement: Statement,
        /// How to turn its rows into the answer.
        then: Render,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Records,
    History,
    Stats,
}

/// The first step of a request; never panics.
pub fn route(req: &AdminRequest<'_>) -> AdminStep {
    let endpoint = match req.path {
        "records" => Endpoint::Records,
        "history" => Endpoint::History,
        "stats" => Endpoint::Stats,
        _ => return AdminStep::Respond(not_found()),
    };
    if !req.method.eq_ignore_ascii_case("GET") {
        let r = AdminResponse::error(405, "method not allowed: use GET");
        return AdminStep::Respond(r.with_header("allow", ALLOW));
    }
    match endpoint {
        Endpoint::History => route_history(req),
        Endpoint::Records | Endpoint::Stats => match route_admin(req) {
            Err(refused) => AdminStep::Respond(refused),
            Ok(q) if endpoint == Endpoint::Stats => AdminStep::Run {
                statement: stats(&q),
                then: Render::Stats {
                    write_failures: req.write_failures,
                },
            },
            Ok(q) => AdminStep::Run {
                statement: select(&q),
                then: Render::Page(q),
            },
        },
    }
}

fn route_history(req: &AdminRequest<'_>) -> AdminStep {
    if !req.records_enabled {
        return AdminStep::Respond(not_found());
    }
    let Some(id) = req.consent_cookie_id else {
        return AdminStep::Respond(AdminResponse::error(
            404,
            "no valid consent cookie: no history to show",
        ));
    };
    AdminStep::Run {
        statement: history(id),
        then: Render::History {
            consent_id: id.to_owned(),
        },
    }
}

/// The checks of `records` and `stats`, in an order that tells nothing
/// about the configuration to someone without the token.
fn route_admin(req: &AdminRequest<'_>) -> Result<Query, AdminResponse> {
    if let Some(problem) = admin_token_problem(req.admin_token) {
        return Err(AdminResponse::error(503, problem));
    }
    if !bearer_ok(req.authorization, req.admin_token.unwrap_or_default()) {
        let r = AdminResponse::error(401, "missing or wrong bearer token");
        return Err(r.with_header("www-authenticate", "Bearer"));
    }
    if !req.records_enabled {
        return Err(not_found());
    }
    parse_query(req.query)
        .map_err(|e| AdminResponse::new(400, "application/json", e.to_json().into_bytes()))
}

fn not_found() -> AdminResponse {
    AdminResponse::error(404, "not found")
}

/// The answer from the rows of an [`AdminStep::Run`] statement (as D1's
/// `all()` returns them: one JSON object per row).
pub fn render(then: &Render, rows: Vec<Value>) -> AdminResponse {
    match then {
        Render::Page(q) => match records_from_rows(rows) {
            Ok(recs) => {
                let (content_type, body, next) = render_page(recs, q);
                let r = AdminResponse::new(200, &content_type, body.into_bytes());
                match next {
                    Some(cursor) => r.with_header("consent-next-cursor", &cursor),
                    None => r,
                }
            }
            Err(e) => unreadable(&e),
        },
        Render::History { consent_id } => match records_from_rows(rows) {
            Ok(recs) => AdminResponse::json(200, &render_history(consent_id, &recs)),
            Err(e) => unreadable(&e),
        },
        Render::Stats { write_failures } => {
            let mut body = render_stats(&rows);
            body["write_failures_this_isolate"] = json!(write_failures);
            AdminResponse::json(200, &body)
        }
    }
}

fn unreadable(e: &super::sql::RowError) -> AdminResponse {
    AdminResponse::json(
        500,
        &json!({"error": "a stored consent record could not be read", "detail": e.to_string()}),
    )
}

/// The answer when the store cannot be reached or the statement fails
/// (the edge logs the error itself).
pub fn store_unavailable() -> AdminResponse {
    AdminResponse::error(503, "the consent record store is unavailable")
}

/// What is wrong with the configured `ADMIN_TOKEN`, for the edge to log once
/// when the isolate starts; `None` when it is usable or not set (no token:
/// every admin request is 401). Surrounding whitespace does not count.
pub fn admin_token_problem(admin_token: Option<&str>) -> Option<&'static str> {
    let token = admin_token.map(str::trim).unwrap_or_default();
    if !token.is_empty() && token.len() < MIN_ADMIN_TOKEN_BYTES {
        return Some(
            "ADMIN_TOKEN is shorter than 32 bytes, so the admin endpoints are off; \
             set it to at least 32 random bytes (e.g. `openssl rand -base64 32`)",
        );
    }
    None
}

/// Whether an `Authorization` header carries `Bearer <admin_token>`. Both
/// tokens are hashed with SHA-256 and the digests compared with
/// `subtle::ConstantTimeEq`, so neither the time taken nor the length of
/// the given token says how much of it matched. A token that
/// [`admin_token_problem`] refuses, or none, accepts nothing.
pub fn bearer_ok(authorization: Option<&str>, admin_token: &str) -> bool {
    let admin_token = admin_token.trim();
    if admin_token.is_empty() || admin_token_problem(Some(admin_token)).is_some() {
        return false;
    }
    let Some((scheme, token)) = authorization.and_then(|h| h.trim().split_once(' ')) else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return false;
    }
    let given = Sha256::digest(token.trim().as_bytes());
    let expected = Sha256::digest(admin_token.as_bytes());
    given.as_slice().ct_eq(expected.as_slice()).into()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod residual_tests {
    use super::*;

    #[test]
    fn history_carries_the_residual_and_nothing_else_changes() {
        let h = AdminResponse::json(200, &json!({"consent_id": "x", "records": []}));
        let v: Value = serde_json::from_slice(&h.clone().with_residual(2).body).unwrap();
        assert_eq!(v, json!({"consent_id": "x", "records": [], "residual": 2}));
        let e = AdminResponse::error(404, "no valid consent cookie: no history to show");
        assert_eq!(e.clone().with_residual(2), e);
        let stats = AdminResponse::json(200, &json!({"total": 1}));
        assert_eq!(stats.clone().with_residual(2), stats);
    }
}
