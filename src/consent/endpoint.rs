//! The consent endpoint (`[cookie] endpoint`, default `/__consent`): read
//! and change the visitor's decision.
//!
//! | request | answer |
//! |---|---|
//! | `GET` (`HEAD`) | 200, the state as JSON ([`State::to_json`]) |
//! | `POST` `application/x-www-form-urlencoded` (the no-JS banner): `action=accept_all\|reject_all\|save\|withdraw`, checkboxes `functional=on` … (read for `save`), `return_to=/path?query` | 303 to `return_to` (same-site paths only, else `/`) with `Set-Cookie` |
//! | `POST` `application/json`: `{"action":"accept_all"}` … or `{"categories":{"functional":true,…}}` | 200, the new state as JSON, with `Set-Cookie` |
//! | `DELETE` | withdraw: every optional category refused, method `withdrawn`; 200 as for JSON |
//!
//! State-changing requests (`POST`, `DELETE`) pass a CSRF check first:
//! `Sec-Fetch-Site` must be `same-origin` or `none`; without that header the
//! `Origin` (or, without it, the `Referer`) must be this host. Errors are JSON
//! `{"error": "…"}`: 403 (CSRF), 405 with `Allow`, 413 (body over
//! [`MAX_BODY`] bytes), 415 (content type), 400 (bad JSON, unknown action,
//! field or category), 500 (no usable `CONSENT_SECRET`). Every answer carries
//! `Cache-Control: no-store`.
//!
//! A new decision keeps the consent id of the visitor's valid cookie, so that
//! the records of one visitor link up; otherwise it gets a fresh one from
//! `random`. The edge records [`EndpointResponse::decision`] and, for a
//! withdrawal or narrowing, should append
//! [`super::enforce::expire_refused`] values for the request's cookies.

use super::cookie::{self, Secrets};
use super::{Category, Decision, Grants, Method, State};
use crate::rules;
use std::borrow::Cow;

/// The largest request body accepted, in bytes.
pub const MAX_BODY: usize = 4096;
/// The methods the endpoint answers (the `Allow` header of a 405).
pub const ALLOW: &str = "GET, HEAD, POST, DELETE";
/// The longest `return_to` honoured, in bytes.
pub const MAX_RETURN_TO: usize = 2048;

/// A request to the endpoint, already read by the edge.
#[derive(Debug, Clone, Copy)]
pub struct EndpointRequest<'a> {
    /// The HTTP method (`"GET"`, `"POST"`, …).
    pub method: &'a str,
    /// The `Host` of the request (may carry a port).
    pub host: &'a str,
    /// Request headers, names in lower case (the first of repeated ones counts).
    pub headers: &'a [(String, String)],
    /// The body, as far as read (the edge reads at most [`MAX_BODY`] + 1 bytes).
    pub body: &'a [u8],
    /// The edge saw more than [`MAX_BODY`] bytes (or a larger `Content-Length`).
    pub body_too_large: bool,
    /// Mark cookies `Secure` (false only for plain-http local development);
    /// also requires an `https` `Origin`/`Referer` in the CSRF check.
    pub secure: bool,
    /// The configured cookie domain (`www.` and `shop.` share a decision);
    /// ignored when `host` is not within it.
    pub cookie_domain: Option<&'a str>,
}

impl EndpointRequest<'_> {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The endpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers, names in lower case; `set-cookie` may repeat.
    pub headers: Vec<(String, String)>,
    /// The body (JSON, or empty for 303 and `HEAD`).
    pub body: Vec<u8>,
    /// A new decision to record in the proof-of-consent log.
    pub decision: Option<Decision>,
}

impl EndpointResponse {
    fn json(status: u16, value: &serde_json::Value) -> EndpointResponse {
        EndpointResponse {
            status,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("cache-control".into(), "no-store".into()),
                ("x-content-type-options".into(), "nosniff".into()),
            ],
            body: value.to_string().into_bytes(),
            decision: None,
        }
    }

    fn error(status: u16, message: &str) -> EndpointResponse {
        EndpointResponse::json(status, &serde_json::json!({ "error": message }))
    }

    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the visitor asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    AcceptAll,
    RejectAll,
    Save(Grants),
    Withdraw,
}

impl Action {
    fn decide(self) -> (Grants, Method) {
        match self {
            Action::AcceptAll => (Grants::ALL, Method::AcceptAll),
            Action::RejectAll => (Grants::NECESSARY_ONLY, Method::RejectAll),
            Action::Save(g) => (g, Method::Custom),
            Action::Withdraw => (Grants::NECESSARY_ONLY, Method::Withdrawn),
        }
    }
}

/// A 4xx answer: status and message.
type Reject = (u16, String);

fn bad(msg: impl Into<String>) -> Reject {
    (400, msg.into())
}

/// Handles one request to the endpoint. Never panics; see the module docs.
pub fn handle(
    req: &EndpointRequest<'_>,
    state: &State,
    cfg: &rules::Config,
    secrets: &Secrets,
    now: u64,
    random: [u8; 16],
) -> EndpointResponse {
    let method = req.method.to_ascii_uppercase();
    match method.as_str() {
        "GET" | "HEAD" => {
            let mut r = EndpointResponse::json(200, &state.to_json(cfg.policy.revision));
            if method == "HEAD" {
                r.body.clear();
            }
            r
        }
        "POST" | "DELETE" => match change(req, &method, state, cfg, secrets, now, random) {
            Ok(r) => r,
            Err((status, msg)) => EndpointResponse::error(status, &msg),
        },
        _ => {
            let mut r = EndpointResponse::error(
                405,
                &format!("method {} not allowed; use {ALLOW}", printable(req.method)),
            );
            r.headers.push(("allow".into(), ALLOW.into()));
            r
        }
    }
}

/// A POST or DELETE.
fn change(
    req: &EndpointRequest<'_>,
    method: &str,
    state: &State,
    cfg: &rules::Config,
    secrets: &Secrets,
    now: u64,
    random: [u8; 16],
) -> Result<EndpointResponse, Reject> {
    if !csrf_ok(req) {
        return Err((
            403,
            "cross-site request refused: Sec-Fetch-Site, Origin or Referer must show this site"
                .into(),
        ));
    }
    if req.body_too_large || req.body.len() > MAX_BODY {
        return Err((413, format!("request body larger than {MAX_BODY} bytes")));
    }
    let (action, return_to) = if method == "DELETE" {
        (Action::Withdraw, None)
    } else {
        let ct = req.header("content-type").unwrap_or("");
        let media = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/x-www-form-urlencoded" => {
                let (a, r) = parse_form(req.body)?;
                (a, Some(r))
            }
            "application/json" => (parse_json(req.body)?, None),
            "" => return Err((415, "missing content type; send application/json or application/x-www-form-urlencoded".into())),
            _ => {
                return Err((
                    415,
                    format!(
                        "unsupported content type {:?}; send application/json or application/x-www-form-urlencoded",
                        printable(&media)
                    ),
                ))
            }
        }
    };
    if !secrets.can_sign() {
        return Err((500, "consent secret not configured".into()));
    }
    let (grants, how) = action.decide();
    let consent_id = state
        .decision
        .as_ref()
        .map(|d| d.consent_id.clone())
        .filter(|id| cookie::is_consent_id(id))
        .unwrap_or_else(|| cookie::new_consent_id(random));
    let decision = Decision {
        grants,
        revision: cfg.policy.revision,
        decided_at: now,
        consent_id,
        method: how,
        jurisdiction: cookie::stored_jurisdiction(&state.regime.id),
        gpc: state.gpc,
    };
    let domain = cookie::domain_for_host(req.host, req.cookie_domain);
    let set_cookies = cookie::set_cookie(
        &cfg.cookie.name,
        &decision,
        secrets,
        state.regime.max_age_days,
        req.secure,
        domain,
    )
    .ok_or((500, "consent secret not configured".to_string()))?;
    let mut resp = match return_to {
        Some(to) => EndpointResponse {
            status: 303,
            headers: vec![
                ("location".into(), safe_return_to(&to).into()),
                ("cache-control".into(), "no-store".into()),
            ],
            body: Vec::new(),
            decision: None,
        },
        None => {
            let new_state =
                State::with_decision(state.regime.clone(), Some(decision.clone()), state.gpc);
            EndpointResponse::json(200, &new_state.to_json(cfg.policy.revision))
        }
    };
    resp.headers.extend(
        set_cookies
            .into_iter()
            .map(|v| ("set-cookie".to_string(), v)),
    );
    resp.decision = Some(decision);
    Ok(resp)
}

/// Text safe to quote in an error message (at most 64 characters, controls escaped).
fn printable(s: &str) -> String {
    s.chars().take(64).flat_map(char::escape_default).collect()
}

fn parse_action(s: &str) -> Result<Option<Action>, Reject> {
    Ok(Some(match s {
        "accept_all" => Action::AcceptAll,
        "reject_all" => Action::RejectAll,
        "withdraw" => Action::Withdraw,
        "save" => return Ok(None),
        _ => {
            return Err(bad(format!(
                "unknown action \"{}\"; expected accept_all, reject_all, save or withdraw",
                printable(s)
            )))
        }
    }))
}

/// The no-JS banner's form.
fn parse_form(body: &[u8]) -> Result<(Action, String), Reject> {
    let mut action: Option<String> = None;
    let mut grants = Grants::NECESSARY_ONLY;
    let mut return_to = String::from("/");
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "action" => {
                if action.is_some() {
                    return Err(bad("action given more than once"));
                }
                action = Some(v.into_owned());
            }
            "return_to" => return_to = v.into_owned(),
            name => {
                let Some(cat) = Category::from_id(name) else {
                    return Err(bad(format!(
                        "unknown field \"{}\"; expected action, return_to, functional, analytics or advertising",
                        printable(name)
                    )));
                };
                let on = match v.as_ref() {
                    "on" | "1" | "true" | "yes" => true,
                    "off" | "0" | "false" | "no" | "" => false,
                    other => {
                        return Err(bad(format!(
                            "invalid value \"{}\" for {name}; expected on or off",
                            printable(other)
                        )))
                    }
                };
                if cat == Category::Necessary && !on {
                    return Err(bad("necessary cannot be refused"));
                }
                grants = grants.with(cat, on);
            }
        }
    }
    let Some(action) = action else {
        return Err(bad("missing action"));
    };
    // The banner sends its checkboxes with every button; they only count for "save".
    let action = parse_action(&action)?.unwrap_or(Action::Save(grants));
    Ok((action, return_to))
}

/// `{"action": …}` and/or `{"categories": {…}}`.
fn parse_json(body: &[u8]) -> Result<Action, Reject> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let serde_json::Value::Object(obj) = value else {
        return Err(bad("expected a JSON object"));
    };
    let mut action: Option<&str> = None;
    let mut categories: Option<&serde_json::Map<String, serde_json::Value>> = None;
    for (k, v) in &obj {
        match k.as_str() {
            "action" => action = Some(v.as_str().ok_or_else(|| bad("action: expected a string"))?),
            "categories" => {
                categories = Some(
                    v.as_object()
                        .ok_or_else(|| bad("categories: expected an object"))?,
                )
            }
            other => {
                return Err(bad(format!(
                    "unknown field \"{}\"; expected action or categories",
                    printable(other)
                )))
            }
        }
    }
    let explicit = match action {
        Some(a) => parse_action(a)?,
        None => None,
    };
    match (explicit, categories) {
        (Some(_), Some(_)) => Err(bad("categories are only allowed with action \"save\"")),
        (Some(a), None) => Ok(a),
        (None, None) if action.is_some() => Err(bad("action \"save\" needs categories")),
        (None, None) => Err(bad("missing action or categories")),
        (None, Some(cats)) => {
            let mut grants = Grants::NECESSARY_ONLY;
            for (name, v) in cats {
                let cat = Category::from_id(name).ok_or_else(|| {
                    bad(format!(
                        "unknown category \"{}\"; expected functional, analytics or advertising",
                        printable(name)
                    ))
                })?;
                let on = v
                    .as_bool()
                    .ok_or_else(|| bad(format!("categories.{name}: expected true or false")))?;
                if cat == Category::Necessary && !on {
                    return Err(bad("necessary cannot be refused"));
                }
                grants = grants.with(cat, on);
            }
            Ok(Action::Save(grants))
        }
    }
}

/// The CSRF rule for state-changing requests.
pub fn csrf_ok(req: &EndpointRequest<'_>) -> bool {
    if let Some(site) = req.header("sec-fetch-site") {
        let site = site.trim();
        return site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none");
    }
    if let Some(origin) = req.header("origin") {
        return url_is_host(origin, req.host, req.secure);
    }
    if let Some(referer) = req.header("referer") {
        return url_is_host(referer, req.host, req.secure);
    }
    false
}

/// `host[:port]` lower-cased, without a trailing dot or the scheme's default port.
fn normal_authority(auth: &str, https: bool) -> String {
    let a = auth.trim().to_ascii_lowercase();
    let (h, port) = match a.rsplit_once(':') {
        Some((h, p))
            if p.bytes().all(|b| b.is_ascii_digit()) && (!h.contains(':') || h.ends_with(']')) =>
        {
            (h, p)
        }
        _ => (a.as_str(), ""),
    };
    let h = h.trim_end_matches('.');
    let default = if https { "443" } else { "80" };
    if port.is_empty() || port == default {
        h.to_string()
    } else {
        format!("{h}:{port}")
    }
}

/// Whether an absolute `http(s)` URL (an `Origin` or `Referer`) points at `host`.
fn url_is_host(url: &str, host: &str, secure: bool) -> bool {
    let url = url.trim();
    let (https, rest) = if let Some(r) = strip_prefix_ci(url, "https://") {
        (true, r)
    } else if let Some(r) = strip_prefix_ci(url, "http://") {
        (false, r)
    } else {
        return false;
    };
    if secure && !https {
        return false;
    }
    let auth = rest.split(['/', '?', '#']).next().unwrap_or("");
    if auth.is_empty() || auth.contains('@') || auth.contains('\\') || host.trim().is_empty() {
        return false;
    }
    normal_authority(auth, https) == normal_authority(host, https)
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `raw` when it is a safe same-site path to redirect to, otherwise `/`.
///
/// Safe: printable ASCII without spaces, starting with a single `/` (not
/// `//`, not `/\`), no backslash anywhere, at most [`MAX_RETURN_TO`] bytes —
/// and, percent-decoded (up to three times), still no control characters,
/// no backslash and no leading `//` or `/\`.
pub fn safe_return_to(raw: &str) -> &str {
    if is_safe_path(raw) {
        raw
    } else {
        "/"
    }
}

fn is_safe_path(raw: &str) -> bool {
    if raw.len() > MAX_RETURN_TO || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    let mut cur: Cow<'_, [u8]> = Cow::Borrowed(raw.as_bytes());
    for _ in 0..4 {
        let ok = matches!(&cur[..], [b'/', rest @ ..] if !matches!(rest.first(), Some(b'/' | b'\\')))
            && cur.iter().all(|&b| b >= 0x20 && b != 0x7f && b != b'\\');
        if !ok {
            return false;
        }
        match percent_decode(&cur) {
            Some(next) => cur = Cow::Owned(next),
            None => return true,
        }
    }
    // Still changing after three decodings: too clever to be honest.
    false
}

/// Decodes `%XX` escapes; `None` when there are none to decode.
fn percent_decode(s: &[u8]) -> Option<Vec<u8>> {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let mut out = Vec::with_capacity(s.len());
    let mut changed = false;
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2])) {
                out.push(h * 16 + l);
                changed = true;
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    changed.then_some(out)
}
