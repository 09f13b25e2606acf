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
//! `Origin` (or, without it, the `Referer`) must be this host. Then they must
//! carry the per-render token of the banner this worker rendered
//! ([`super::token`]): the form field `token`, or the `X-Consent-Token`
//! header (the banner's script); its page is checked against the form's
//! `return_to`, or the `Referer` of a JSON post or `DELETE` when there is one.
//! A missing, malformed, expired, forged (or other host's) or other page's
//! token is 403 naming which. Errors are JSON
//! `{"error": "…"}`: 403 (CSRF, token), 405 with `Allow`, 413 (body over
//! [`MAX_BODY`] bytes), 415 (content type), 400 (bad JSON, unknown action,
//! field or category), 500 (no usable `CONSENT_SECRET`). Every answer carries
//! `Cache-Control: no-store`.
//!
//! A new decision keeps the consent id of the visitor's valid cookie, so that
//! the records of one visitor link up; otherwise it gets a fresh one from
//! `random`. The edge records [`EndpointResponse::decision`] when
//! [`EndpointResponse::record`] says so and, for a withdrawal or narrowing,
//! should append [`super::enforce::expire_refused`] values for the request's
//! cookies.
//!
//! Writes are bounded twice. A decision identical to the one the visitor's
//! cookie already holds (same consent id, categories, method, revision and
//! GPC) given within [`DUPLICATE_WINDOW`] is answered as usual but not
//! recorded again, and the cookie keeps the recorded decision's date (so it
//! still matches its record). And the edge asks the rate limiter before it
//! writes; over the limit it calls [`over_limit`]: the visitor's choice is
//! still honoured (the cookie is set, the page applies it), it is only not
//! recorded, and the answer says so (429 with `Retry-After` for JSON and
//! `DELETE`; for the no-JS form the usual 303 back to the page, with
//! `Retry-After` and `X-Consent-Recorded: false`, so a visitor without
//! JavaScript is not stranded on an error page — and the banner script's
//! fallback to the form lands there too).

use super::cookie::{self, Secrets};
use super::token;
use super::{Category, CookiePolicy, Decision, Grants, Method, State};
use std::borrow::Cow;

/// What the endpoint needs from the configuration: the consent cookie's
/// name and the current policy revision ([`CookiePolicy::of`] a config).
pub type EndpointSettings<'a> = CookiePolicy<'a>;

/// The largest request body accepted, in bytes.
pub const MAX_BODY: usize = 4096;
/// The methods the endpoint answers (the `Allow` header of a 405).
pub const ALLOW: &str = "GET, HEAD, POST, DELETE";
/// The longest `return_to` honoured, in bytes.
pub const MAX_RETURN_TO: usize = 2048;
/// How long an identical repeated decision is not recorded again, in
/// seconds (10 minutes: double clicks, reloads of a 303, a script retry).
pub const DUPLICATE_WINDOW: u64 = 600;

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
        first_header(self.headers, name)
    }
}

/// The value of the first of `headers` called `name` (names in lower case).
fn first_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
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
    /// A new decision (its refused cookies are expired).
    pub decision: Option<Decision>,
    /// Whether `decision` is to be written to the proof-of-consent log
    /// (false for a repeat within [`DUPLICATE_WINDOW`]).
    pub record: bool,
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
            record: false,
        }
    }

    fn error(status: u16, message: &str) -> EndpointResponse {
        EndpointResponse::json(status, &serde_json::json!({ "error": message }))
    }

    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
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
    cfg: &EndpointSettings<'_>,
    secrets: &Secrets,
    now: u64,
    random: [u8; 16],
) -> EndpointResponse {
    let method = req.method.to_ascii_uppercase();
    match method.as_str() {
        "GET" | "HEAD" => {
            let mut r = EndpointResponse::json(200, &state.to_json(cfg.revision));
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

/// A POST or DELETE: admitted (CSRF, size), read, its token checked, then
/// decided and answered with the new cookie.
fn change(
    req: &EndpointRequest<'_>,
    method: &str,
    state: &State,
    cfg: &EndpointSettings<'_>,
    secrets: &Secrets,
    now: u64,
    random: [u8; 16],
) -> Result<EndpointResponse, Reject> {
    admit(req)?;
    let ask = read_change(req, method)?;
    if !secrets.can_sign() {
        return Err((500, "consent secret not configured".into()));
    }
    check_token(
        req,
        ask.form_token.as_deref(),
        ask.return_to.as_deref(),
        secrets,
        now,
    )?;
    let (decision, record) = new_decision(ask.action, state, cfg, now, random);
    let domain = cookie::domain_for_host(req.host, req.cookie_domain);
    let set_cookies = cookie::set_cookie(
        cfg.name,
        &decision,
        secrets,
        state.regime.max_age_days,
        req.secure,
        domain,
    )
    .ok_or((500, "consent secret not configured".to_string()))?;
    let mut resp = answer(ask.return_to.as_deref(), &decision, state, cfg);
    resp.headers.extend(
        set_cookies
            .into_iter()
            .map(|v| ("set-cookie".to_string(), v)),
    );
    resp.decision = Some(decision);
    resp.record = record;
    Ok(resp)
}

/// What a state-changing request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Change {
    action: Action,
    /// The no-JS form's `return_to` (as sent): the answer is a 303 there.
    /// `None` for JSON and `DELETE`, answered with the new state as JSON.
    return_to: Option<String>,
    /// The form's `token` field (JSON and `DELETE` send the header).
    form_token: Option<String>,
}

/// The checks before a body is read: the CSRF rule ([`csrf_ok`], 403) and
/// the size cap ([`MAX_BODY`], 413).
fn admit(req: &EndpointRequest<'_>) -> Result<(), Reject> {
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
    Ok(())
}

/// The change a request asks for: `DELETE` withdraws; a `POST` is read by
/// its media type (form or JSON; anything else is 415).
fn read_change(req: &EndpointRequest<'_>, method: &str) -> Result<Change, Reject> {
    if method == "DELETE" {
        return Ok(Change {
            action: Action::Withdraw,
            return_to: None,
            form_token: None,
        });
    }
    const SEND: &str = "send application/json or application/x-www-form-urlencoded";
    let media = media_type(req.header("content-type").unwrap_or(""));
    match media.as_str() {
        "application/x-www-form-urlencoded" => {
            let (action, return_to, form_token) = parse_form(req.body)?;
            Ok(Change {
                action,
                return_to: Some(return_to),
                form_token,
            })
        }
        "application/json" => Ok(Change {
            action: parse_json(req.body)?,
            return_to: None,
            form_token: None,
        }),
        "" => Err((415, format!("missing content type; {SEND}"))),
        _ => Err((
            415,
            format!("unsupported content type {:?}; {SEND}", printable(&media)),
        )),
    }
}

/// The media type of a `Content-Type` value, lower case, without parameters.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The answer to a decided change (before its `Set-Cookie`s): a 303 to the
/// form's (sanitised) `return_to`, else the new state as JSON.
fn answer(
    return_to: Option<&str>,
    decision: &Decision,
    state: &State,
    cfg: &EndpointSettings<'_>,
) -> EndpointResponse {
    match return_to {
        Some(to) => EndpointResponse {
            status: 303,
            headers: vec![
                ("location".into(), safe_return_to(to).into()),
                ("cache-control".into(), "no-store".into()),
            ],
            body: Vec::new(),
            decision: None,
            record: false,
        },
        None => {
            let new_state =
                State::with_decision(state.regime.clone(), Some(decision.clone()), state.gpc);
            EndpointResponse::json(200, &new_state.to_json(cfg.revision))
        }
    }
}

/// The per-render token check (see [`token`]): the form's field, else the
/// header; the page is the form's (sanitised) `return_to`, else the path of
/// a same-host `Referer`, else the token's own.
fn check_token(
    req: &EndpointRequest<'_>,
    form_token: Option<&str>,
    return_to: Option<&str>,
    secrets: &Secrets,
    now: u64,
) -> Result<(), Reject> {
    let presented = form_token.or_else(|| req.header(token::HEADER));
    let page = match return_to {
        Some(r) => Some(safe_return_to(r)),
        None => req
            .header("referer")
            .filter(|r| url_is_host(r, req.host, req.secure))
            .and_then(token::referer_path),
    };
    token::verify(presented, secrets, req.host, page, now).map_err(|e| (403, e.to_string()))
}

/// The decision `action` makes, and whether to record it: not when the
/// visitor's cookie holds the same decision from less than
/// [`DUPLICATE_WINDOW`] ago (that one is kept, date included).
fn new_decision(
    action: Action,
    state: &State,
    cfg: &EndpointSettings<'_>,
    now: u64,
    random: [u8; 16],
) -> (Decision, bool) {
    let (grants, how) = action.decide();
    let prior = state
        .decision
        .as_ref()
        .filter(|d| cookie::is_consent_id(&d.consent_id));
    let consent_id = prior
        .map(|d| d.consent_id.clone())
        .unwrap_or_else(|| cookie::new_consent_id(random));
    let decision = Decision {
        grants,
        revision: cfg.revision,
        decided_at: now,
        consent_id,
        method: how,
        jurisdiction: cookie::stored_jurisdiction(&state.regime.id),
        gpc: state.gpc,
    };
    match prior {
        Some(p)
            if p.grants == decision.grants
                && p.method == decision.method
                && p.revision == decision.revision
                && p.gpc == decision.gpc
                && p.jurisdiction == decision.jurisdiction
                && p.decided_at <= now
                && now - p.decided_at < DUPLICATE_WINDOW =>
        {
            (p.clone(), false)
        }
        _ => (decision, true),
    }
}

/// Seconds a rate-limited client is told to wait (the limiter's window).
pub const RETRY_AFTER: u64 = 60;

/// Turns a successful change into its over-the-rate-limit answer: the
/// choice is still honoured (the `Set-Cookie`s stay) but not recorded —
/// `record` is cleared. JSON and `DELETE`: 429 with `Retry-After` and a body
/// naming the problem next to the new state; the no-JS form keeps its 303 back
/// to the page, with `Retry-After` and `X-Consent-Recorded: false`.
pub fn over_limit(resp: &mut EndpointResponse) {
    resp.record = false;
    resp.headers
        .push(("retry-after".into(), RETRY_AFTER.to_string()));
    if resp.status == 303 {
        resp.headers
            .push(("x-consent-recorded".into(), "false".into()));
        return;
    }
    let mut body: serde_json::Value =
        serde_json::from_slice(&resp.body).unwrap_or_else(|_| serde_json::json!({}));
    if let serde_json::Value::Object(m) = &mut body {
        m.insert(
            "error".into(),
            format!(
                "too many consent changes from this network and browser: the choice applies in this browser but was not recorded; retry after {RETRY_AFTER} s"
            )
            .into(),
        );
        m.insert("recorded".into(), false.into());
    }
    resp.status = 429;
    resp.body = body.to_string().into_bytes();
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

/// The no-JS banner's form: the action, `return_to` and the token.
fn parse_form(body: &[u8]) -> Result<(Action, String, Option<String>), Reject> {
    let mut action: Option<String> = None;
    let mut form_token: Option<String> = None;
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
            token::FIELD => form_token = Some(v.into_owned()),
            name => {
                let Some(cat) = Category::from_id(name) else {
                    return Err(bad(format!(
                        "unknown field \"{}\"; expected action, return_to, token, functional, analytics or advertising",
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
    Ok((action, return_to, form_token))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jurisdiction::Regime;

    const NOW: u64 = 1_750_000_000;
    const RANDOM: [u8; 16] = [0x5a; 16];

    fn cfg() -> EndpointSettings<'static> {
        EndpointSettings {
            name: "consent",
            revision: 4,
        }
    }

    fn secrets() -> Secrets {
        Secrets::new(b"endpoint-test-secret-0123456789".to_vec())
    }

    fn opt_out() -> Regime {
        crate::consent::test_support::opt_out()
    }

    fn fresh() -> State {
        State::with_decision(Regime::strictest(), None, false)
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    struct Req {
        method: &'static str,
        host: &'static str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        too_large: bool,
        secure: bool,
        domain: Option<&'static str>,
        /// Send no token (else one minted for the request's page is added).
        no_token: bool,
    }

    /// A token as the banner rendered on `host` for `page` at `at`.
    fn token_for(host: &str, page: &str, at: u64) -> String {
        token::mint(&secrets(), host, page, at, [9; 16]).unwrap()
    }

    impl Req {
        fn new(method: &'static str, headers: &[(&str, &str)], body: &str) -> Req {
            Req {
                method,
                host: "www.example.com",
                headers: h(headers),
                body: body.as_bytes().to_vec(),
                too_large: false,
                secure: true,
                domain: None,
                no_token: false,
            }
        }
        /// The page a banner would have been rendered for (what the token binds).
        fn page(&self) -> String {
            let form = form_urlencoded::parse(&self.body)
                .find(|(k, _)| k == "return_to")
                .map(|(_, v)| safe_return_to(&v).to_string());
            let referer = self
                .headers
                .iter()
                .find(|(k, _)| k == "referer")
                .and_then(|(_, v)| token::referer_path(v).map(str::to_string));
            form.or(referer).unwrap_or_else(|| "/".into())
        }
        fn form(body: &str) -> Req {
            Req::new(
                "POST",
                &[
                    ("sec-fetch-site", "same-origin"),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                body,
            )
        }
        fn json(body: &str) -> Req {
            Req::new(
                "POST",
                &[
                    ("sec-fetch-site", "same-origin"),
                    ("content-type", "application/json; charset=utf-8"),
                ],
                body,
            )
        }
        fn run(&self, state: &State) -> EndpointResponse {
            self.run_with(state, &secrets())
        }
        fn run_with(&self, state: &State, secrets: &Secrets) -> EndpointResponse {
            let mut headers = self.headers.clone();
            let has = headers.iter().any(|(k, _)| k == token::HEADER);
            if !self.no_token && !has {
                let t = token_for(self.host, &self.page(), NOW - 60);
                headers.push((token::HEADER.into(), t));
            }
            let req = EndpointRequest {
                method: self.method,
                host: self.host,
                headers: &headers,
                body: &self.body,
                body_too_large: self.too_large,
                secure: self.secure,
                cookie_domain: self.domain,
            };
            handle(&req, state, &cfg(), secrets, NOW, RANDOM)
        }
    }

    fn json(r: &EndpointResponse) -> serde_json::Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    fn error(r: &EndpointResponse) -> String {
        json(r)["error"].as_str().unwrap().to_string()
    }

    fn set_cookies(r: &EndpointResponse) -> Vec<&str> {
        r.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The decision stored by the first Set-Cookie, decoded and verified.
    fn stored(r: &EndpointResponse) -> Decision {
        let c = ::cookie::Cookie::parse(set_cookies(r)[0]).unwrap();
        assert_eq!(c.name(), "consent");
        cookie::decode(c.value(), &secrets(), NOW).unwrap()
    }

    #[test]
    fn get_reports_state_uncached() {
        let r = Req::new("GET", &[], "").run(&fresh());
        assert_eq!(r.status, 200);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(json(&r), fresh().to_json(4));
        assert_eq!(r.decision, None);
        assert!(set_cookies(&r).is_empty());
        let head = Req::new("HEAD", &[], "").run(&fresh());
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
        // GET needs no CSRF proof and no secret
        let r = Req::new("GET", &[("sec-fetch-site", "cross-site")], "")
            .run_with(&fresh(), &Secrets::default());
        assert_eq!(r.status, 200);
    }

    #[test]
    fn other_methods_are_405_with_allow() {
        for m in ["PUT", "PATCH", "OPTIONS", "TRACE", "", "G\r\nET"] {
            let mut req = Req::form("action=accept_all");
            req.method = m;
            let r = req.run(&fresh());
            assert_eq!(r.status, 405, "{m:?}");
            assert_eq!(r.header("allow"), Some(ALLOW));
            assert!(error(&r).contains("not allowed"));
            assert_eq!(r.decision, None);
        }
    }

    #[test]
    fn csrf_matrix() {
        type Case<'a> = (&'a [(&'a str, &'a str)], bool, u16);
        let cases: &[Case<'_>] = &[
            (&[("sec-fetch-site", "same-origin")], true, 200),
            (&[("sec-fetch-site", "none")], true, 200),
            (&[("sec-fetch-site", "same-site")], true, 403),
            (&[("sec-fetch-site", "cross-site")], true, 403),
            (&[("sec-fetch-site", "garbage")], true, 403),
            // Sec-Fetch-Site decides even when Origin agrees
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://www.example.com"),
                ],
                true,
                403,
            ),
            (&[("origin", "https://www.example.com")], true, 200),
            (&[("origin", "https://WWW.Example.com:443")], true, 200),
            (&[("origin", "https://www.example.com:8443")], true, 403),
            (&[("origin", "https://evil.com")], true, 403),
            (&[("origin", "https://www.example.com.evil.com")], true, 403),
            (&[("origin", "https://evil.com@www.example.com")], true, 403),
            (&[("origin", "http://www.example.com")], true, 403),
            (&[("origin", "http://www.example.com")], false, 200),
            (&[("origin", "null")], true, 403),
            (&[("origin", "")], true, 403),
            // Origin is checked before Referer
            (
                &[
                    ("origin", "https://evil.com"),
                    ("referer", "https://www.example.com/"),
                ],
                true,
                403,
            ),
            (
                &[("referer", "https://www.example.com/page?x=1")],
                true,
                200,
            ),
            (&[("referer", "https://www.example.com")], true, 200),
            (
                &[("referer", "https://evil.com/https://www.example.com/")],
                true,
                403,
            ),
            (&[("referer", "/relative")], true, 403),
            (&[], true, 403),
        ];
        for (headers, secure, want) in cases {
            let mut hs = headers.to_vec();
            hs.push(("content-type", "application/json"));
            let mut req = Req::new("POST", &hs, r#"{"action":"reject_all"}"#);
            req.secure = *secure;
            let r = req.run(&fresh());
            assert_eq!(r.status, *want, "{headers:?} secure={secure}");
            if *want == 403 {
                assert!(error(&r).contains("cross-site"));
                assert!(set_cookies(&r).is_empty());
                assert_eq!(r.decision, None);
            }
            let mut del = Req::new("DELETE", headers, "");
            del.secure = *secure;
            assert_eq!(del.run(&fresh()).status, *want, "DELETE {headers:?}");
        }
        // ports on the host
        let mut req = Req::new(
            "POST",
            &[
                ("origin", "http://localhost:8787"),
                ("content-type", "application/json"),
            ],
            r#"{"action":"accept_all"}"#,
        );
        req.host = "localhost:8787";
        req.secure = false;
        assert_eq!(req.run(&fresh()).status, 200);
        req.host = "localhost:9999";
        assert_eq!(req.run(&fresh()).status, 403);
    }

    #[test]
    fn bodies_over_4k_are_413() {
        let mut req = Req::form("action=accept_all");
        req.too_large = true;
        let r = req.run(&fresh());
        assert_eq!(r.status, 413);
        assert!(error(&r).contains("4096"));
        let pad = "x".repeat(MAX_BODY);
        let r = Req::form(&format!("action=accept_all&return_to=/{pad}")).run(&fresh());
        assert_eq!(r.status, 413);
        let at_limit = format!("action=accept_all&return_to=/{}", "x".repeat(MAX_BODY - 29));
        assert_eq!(at_limit.len(), MAX_BODY);
        assert_eq!(Req::form(&at_limit).run(&fresh()).status, 303);
    }

    #[test]
    fn unsupported_content_types_are_415() {
        for ct in [
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/jsonx",
        ] {
            let r = Req::new(
                "POST",
                &[("sec-fetch-site", "same-origin"), ("content-type", ct)],
                "action=accept_all",
            )
            .run(&fresh());
            assert_eq!(r.status, 415, "{ct}");
            assert!(error(&r).contains("content type"));
        }
        let r = Req::new("POST", &[("sec-fetch-site", "same-origin")], "{}").run(&fresh());
        assert_eq!(r.status, 415);
        assert!(error(&r).contains("missing content type"));
        let r = Req::new(
            "POST",
            &[
                ("sec-fetch-site", "same-origin"),
                ("content-type", "Application/X-WWW-Form-Urlencoded"),
            ],
            "action=accept_all",
        )
        .run(&fresh());
        assert_eq!(r.status, 303);
    }

    #[test]
    fn bad_requests_are_400_naming_the_problem() {
        let cases = [
            (Req::form("action=maybe"), "unknown action \"maybe\""),
            (Req::form(""), "missing action"),
            (Req::form("return_to=/x"), "missing action"),
            (Req::form("action=save&action=accept_all"), "more than once"),
            (
                Req::form("action=save&cookies=on"),
                "unknown field \"cookies\"",
            ),
            (
                Req::form("action=save&analytics=perhaps"),
                "invalid value \"perhaps\" for analytics",
            ),
            (
                Req::form("action=save&necessary=off"),
                "necessary cannot be refused",
            ),
            (Req::json("{"), "invalid JSON"),
            (Req::json(""), "invalid JSON"),
            (Req::json("[1]"), "expected a JSON object"),
            (
                Req::json(r#"{"action":"maybe"}"#),
                "unknown action \"maybe\"",
            ),
            (Req::json(r#"{"action":1}"#), "action: expected a string"),
            (Req::json(r#"{}"#), "missing action or categories"),
            (Req::json(r#"{"action":"save"}"#), "needs categories"),
            (
                Req::json(r#"{"action":"accept_all","categories":{}}"#),
                "only allowed with action \"save\"",
            ),
            (
                Req::json(r#"{"categories":{"tracking":true}}"#),
                "unknown category \"tracking\"",
            ),
            (
                Req::json(r#"{"categories":{"analytics":"yes"}}"#),
                "categories.analytics: expected true or false",
            ),
            (
                Req::json(r#"{"categories":{"necessary":false}}"#),
                "necessary cannot be refused",
            ),
            (
                Req::json(r#"{"categories":[]}"#),
                "categories: expected an object",
            ),
            (
                Req::json(r#"{"action":"accept_all","extra":1}"#),
                "unknown field \"extra\"",
            ),
        ];
        for (req, want) in cases {
            let r = req.run(&fresh());
            assert_eq!(r.status, 400, "{want}");
            assert!(
                error(&r).contains(want),
                "{} does not contain {want}",
                error(&r)
            );
            assert_eq!(r.decision, None);
            assert!(set_cookies(&r).is_empty());
        }
        // control characters in a bad value are escaped in the message
        let r = Req::form("action=%0D%0Aevil").run(&fresh());
        assert_eq!(r.status, 400);
        assert!(!error(&r).contains('\r'));
    }

    #[test]
    fn form_actions() {
        let r = Req::form("action=accept_all&return_to=%2Fshop%3Fpage%3D2").run(&fresh());
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/shop?page=2"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let d = stored(&r);
        assert_eq!(r.decision.as_ref(), Some(&d));
        assert_eq!((d.grants, d.method), (Grants::ALL, Method::AcceptAll));
        assert_eq!((d.revision, d.decided_at), (4, NOW));
        assert_eq!(d.jurisdiction, "unknown");
        assert_eq!(d.consent_id, cookie::new_consent_id(RANDOM));

        // checkboxes come with every button but count only for save
        let boxes = "functional=on&advertising=on";
        let r = Req::form(&format!("{boxes}&action=reject_all")).run(&fresh());
        assert_eq!(
            (stored(&r).grants, stored(&r).method),
            (Grants::NECESSARY_ONLY, Method::RejectAll)
        );
        let r = Req::form(&format!("{boxes}&action=save")).run(&fresh());
        assert_eq!(
            (stored(&r).grants, stored(&r).method),
            (
                Grants::from_categories([Category::Functional, Category::Advertising]),
                Method::Custom
            )
        );
        // hidden "off" before the checkbox: the last value wins
        let r = Req::form("action=save&analytics=off&analytics=on&functional=on&functional=off")
            .run(&fresh());
        assert_eq!(
            stored(&r).grants,
            Grants::from_categories([Category::Analytics])
        );
        let r = Req::form("action=withdraw").run(&fresh());
        assert_eq!(
            (stored(&r).grants, stored(&r).method),
            (Grants::NECESSARY_ONLY, Method::Withdrawn)
        );
        // no return_to: back to /
        assert_eq!(
            Req::form("action=accept_all")
                .run(&fresh())
                .header("location"),
            Some("/")
        );
    }

    #[test]
    fn return_to_only_same_site_paths() {
        let ok = [
            "/",
            "/a",
            "/a/b?c=d&e=/f#g",
            "/caf%C3%A9",
            "/search?q=https://x.org/",
            "/a//b",
        ];
        for p in ok {
            assert_eq!(safe_return_to(p), p);
        }
        let bad = [
            "",
            "//evil",
            "//evil.com/path",
            "/\\evil",
            "\\\\evil",
            "/a\\b",
            "https:evil",
            "https://evil.com",
            "javascript:alert(1)",
            "evil.com",
            "/%2F%2Fevil",
            "/%2fevil",
            "/%5Cevil",
            "/%5cevil",
            "/%252F%252Fevil",
            "/%25252F%25252Fevil",
            "/a\r\nSet-Cookie: x=1",
            "/a%0d%0aSet-Cookie:%20x=1",
            "/a\nb",
            "/a\tb",
            "/\t/evil",
            "/a b",
            "/a%00",
            "/a%7f",
            "/café",
        ];
        for p in bad {
            assert_eq!(safe_return_to(p), "/", "{p:?}");
        }
        assert_eq!(
            safe_return_to(&format!("/{}", "a".repeat(MAX_RETURN_TO))),
            "/"
        );
        // end to end, through the form encoding
        for (enc, want) in [
            ("%2F%2Fevil", "/"),
            ("%2F%5Cevil", "/"),
            ("https%3Aevil", "/"),
            ("%2F%252F%252Fevil", "/"),
            ("%2F%255Cevil", "/"),
            ("%2Fa%0D%0ALocation%3A%20x", "/"),
            ("%2Fok%3Fa%3D1", "/ok?a=1"),
        ] {
            let r = Req::form(&format!("action=accept_all&return_to={enc}")).run(&fresh());
            assert_eq!(r.status, 303);
            assert_eq!(r.header("location"), Some(want), "{enc}");
        }
    }

    #[test]
    fn json_and_delete_answer_with_the_new_state() {
        let r =
            Req::json(r#"{"categories":{"functional":true,"analytics":false,"advertising":true}}"#)
                .run(&fresh());
        assert_eq!(r.status, 200);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let j = json(&r);
        assert_eq!(j["decided"], true);
        assert_eq!(j["method"], "custom");
        assert_eq!(j["categories"]["functional"], true);
        assert_eq!(j["categories"]["analytics"], false);
        assert_eq!(j["categories"]["advertising"], true);
        assert_eq!(j["categories"]["necessary"], true);
        assert_eq!(j["revision"], 4);
        assert_eq!(j["decided_at"], NOW);
        assert_eq!(j["consent_id"], cookie::new_consent_id(RANDOM));
        assert_eq!(
            stored(&r).grants,
            Grants::from_categories([Category::Functional, Category::Advertising])
        );
        // missing categories are refused
        let r = Req::json(r#"{"action":"save","categories":{"analytics":true}}"#).run(&fresh());
        assert_eq!(
            stored(&r).grants,
            Grants::from_categories([Category::Analytics])
        );
        for (a, g, m) in [
            ("accept_all", Grants::ALL, Method::AcceptAll),
            ("reject_all", Grants::NECESSARY_ONLY, Method::RejectAll),
            ("withdraw", Grants::NECESSARY_ONLY, Method::Withdrawn),
        ] {
            let r = Req::json(&format!(r#"{{"action":"{a}"}}"#)).run(&fresh());
            assert_eq!(r.status, 200);
            assert_eq!((stored(&r).grants, stored(&r).method), (g, m));
            assert_eq!(json(&r)["method"], a.replace("withdraw", "withdrawn"));
        }
        let r = Req::new("DELETE", &[("sec-fetch-site", "same-origin")], "").run(&fresh());
        assert_eq!(r.status, 200);
        assert_eq!(json(&r)["method"], "withdrawn");
        assert_eq!(json(&r)["categories"]["analytics"], false);
        assert_eq!(
            (stored(&r).grants, stored(&r).method),
            (Grants::NECESSARY_ONLY, Method::Withdrawn)
        );
    }

    #[test]
    fn a_new_decision_keeps_the_consent_id() {
        let prior = Decision {
            grants: Grants::ALL,
            revision: 4,
            decided_at: NOW - 100,
            consent_id: cookie::new_consent_id([1; 16]),
            method: Method::AcceptAll,
            jurisdiction: "unknown".into(),
            gpc: false,
        };
        let state = State::with_decision(Regime::strictest(), Some(prior.clone()), false);
        let r = Req::new("DELETE", &[("sec-fetch-site", "same-origin")], "").run(&state);
        let d = stored(&r);
        assert_eq!(d.consent_id, prior.consent_id);
        assert_eq!(d.method, Method::Withdrawn);
        assert_eq!(d.decided_at, NOW);
        // without a valid cookie: a fresh id from `random`
        assert_eq!(
            stored(&Req::json(r#"{"action":"accept_all"}"#).run(&fresh())).consent_id,
            cookie::new_consent_id(RANDOM)
        );
    }

    #[test]
    fn cookie_attributes_follow_request_and_regime() {
        let mut req = Req::json(r#"{"action":"accept_all"}"#);
        req.domain = Some("example.com");
        let state = State::with_decision(opt_out(), None, false);
        let r = req.run(&state);
        let sc = set_cookies(&r);
        assert_eq!(sc.len(), 2, "{sc:?}");
        let c = ::cookie::Cookie::parse(sc[0]).unwrap();
        assert_eq!(c.domain(), Some("example.com"));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.max_age().unwrap().whole_seconds(), 365 * 86_400);
        let host_only = ::cookie::Cookie::parse(sc[1]).unwrap();
        assert_eq!(
            (
                host_only.domain(),
                host_only.max_age().unwrap().whole_seconds()
            ),
            (None, 0)
        );
        assert_eq!(stored(&r).jurisdiction, "us-ca");
        // a domain the host is not in (a preview host) falls back to host-only
        req.host = "preview.workers.dev";
        req.headers = h(&[
            ("sec-fetch-site", "same-origin"),
            ("content-type", "application/json"),
        ]);
        let r = req.run(&state);
        assert_eq!(set_cookies(&r).len(), 1);
        assert!(!set_cookies(&r)[0].contains("Domain"));
        // plain-http local development: no Secure
        let mut req = Req::json(r#"{"action":"accept_all"}"#);
        req.secure = false;
        assert!(!set_cookies(&req.run(&fresh()))[0].contains("Secure"));
    }

    #[test]
    fn gpc_is_stored_with_an_explicit_choice() {
        let state = State::with_decision(opt_out(), None, true);
        assert_eq!(json(&Req::new("GET", &[], "").run(&state))["method"], "gpc");
        let r = Req::json(r#"{"action":"accept_all"}"#).run(&state);
        let d = stored(&r);
        assert!(d.gpc);
        assert_eq!((d.grants, d.method), (Grants::ALL, Method::AcceptAll));
        assert_eq!(json(&r)["method"], "accept_all");
        assert_eq!(json(&r)["gpc"], true);
        assert!(!stored(&Req::json(r#"{"action":"accept_all"}"#).run(&fresh())).gpc);
    }

    #[test]
    fn missing_secret_is_500_not_an_unsigned_cookie() {
        for s in [Secrets::default(), Secrets::new(b"short".to_vec())] {
            let r = Req::json(r#"{"action":"accept_all"}"#).run_with(&fresh(), &s);
            assert_eq!(r.status, 500);
            assert_eq!(error(&r), "consent secret not configured");
            assert!(set_cookies(&r).is_empty());
            assert_eq!(r.decision, None);
        }
    }

    #[test]
    fn arbitrary_bodies_never_panic() {
        let bodies: [&[u8]; 6] = [
            b"\xff\xfe\x00",
            b"%",
            b"%%%&&&===",
            b"{\"categories\":{\"\\u0000\":true}}",
            b"action",
            b"\"str\"",
        ];
        for b in bodies {
            for ct in ["application/json", "application/x-www-form-urlencoded"] {
                let mut req = Req::new(
                    "POST",
                    &[("sec-fetch-site", "same-origin"), ("content-type", ct)],
                    "",
                );
                req.body = b.to_vec();
                let r = req.run(&fresh());
                assert_eq!(r.status, 400, "{b:?} {ct}");
            }
        }
    }

    #[test]
    fn changes_without_a_valid_token_are_403_naming_the_problem() {
        // the UGC form of the security review (B4): same-origin, no token
        let mut ugc = Req::form("action=accept_all&return_to=%2Fthread%2F42");
        ugc.no_token = true;
        let r = ugc.run(&fresh());
        assert_eq!(r.status, 403);
        assert!(error(&r).contains("missing consent token"), "{}", error(&r));
        assert!(set_cookies(&r).is_empty() && r.decision.is_none());
        for method in ["POST", "DELETE"] {
            let mut req = Req::new(
                method,
                &[
                    ("sec-fetch-site", "same-origin"),
                    ("content-type", "application/json"),
                ],
                r#"{"action":"accept_all"}"#,
            );
            req.no_token = true;
            assert_eq!(req.run(&fresh()).status, 403, "{method}");
        }
        let cases = [
            (
                token_for(HOST_T, "/a", NOW - token::TTL - 1),
                "/a",
                "expired",
            ),
            (token_for(HOST_T, "/a", NOW), "/b", "another page"),
            (token_for("evil.example", "/a", NOW), "/a", "forged"),
            (
                token::mint(
                    &Secrets::new(b"other-secret-0123456789abcdef".to_vec()),
                    HOST_T,
                    "/a",
                    NOW,
                    [1; 16],
                )
                .unwrap(),
                "/a",
                "forged",
            ),
            ("1.2.3.4.5".to_string(), "/a", "malformed"),
        ];
        for (t, page, want) in cases {
            // no-JS form: the token field, the page from return_to
            let r =
                Req::form(&format!("action=accept_all&return_to={page}&token={t}")).run(&fresh());
            assert_eq!(r.status, 403, "{want}");
            assert!(error(&r).contains(want), "{} / {want}", error(&r));
            assert!(r.decision.is_none() && set_cookies(&r).is_empty());
            // JSON: the header, the page from the Referer
            let referer = format!("https://{HOST_T}{page}?q=1");
            let r = Req::new(
                "POST",
                &[
                    ("sec-fetch-site", "same-origin"),
                    ("content-type", "application/json"),
                    ("referer", &referer),
                    (token::HEADER, &t),
                ],
                r#"{"action":"accept_all"}"#,
            )
            .run(&fresh());
            assert_eq!(r.status, 403, "JSON {want}");
            assert!(error(&r).contains(want), "{} / {want}", error(&r));
        }
        // a valid token: form field or header, any query, no Referer
        let t = token_for(HOST_T, "/a?x=1", NOW);
        let r = Req::form(&format!(
            "action=accept_all&return_to=%2Fa%3Fy%3D2&token={t}"
        ))
        .run(&fresh());
        assert_eq!(r.status, 303);
        let mut j = Req::json(r#"{"action":"accept_all"}"#);
        j.headers.push((token::HEADER.into(), t.clone()));
        assert_eq!(j.run(&fresh()).status, 200);
        // a Referer of another host does not choose the page (CSRF judged it)
        let r = Req::new(
            "POST",
            &[
                ("sec-fetch-site", "same-origin"),
                ("content-type", "application/json"),
                ("referer", "https://elsewhere.example/b"),
                (token::HEADER, &t),
            ],
            r#"{"action":"accept_all"}"#,
        )
        .run(&fresh());
        assert_eq!(r.status, 200);
    }

    const HOST_T: &str = "www.example.com";

    #[test]
    fn the_csrf_check_still_comes_first() {
        let t = token_for(HOST_T, "/", NOW);
        let r = Req::new(
            "POST",
            &[
                ("sec-fetch-site", "cross-site"),
                ("content-type", "application/json"),
                (token::HEADER, &t),
            ],
            r#"{"action":"accept_all"}"#,
        )
        .run(&fresh());
        assert_eq!(r.status, 403);
        assert!(error(&r).contains("cross-site"));
    }

    #[test]
    fn an_identical_repeat_is_answered_but_recorded_once() {
        let first = Req::json(r#"{"action":"accept_all"}"#).run(&fresh());
        assert!(first.record);
        let d = stored(&first);
        let state = State::with_decision(Regime::strictest(), Some(d.clone()), false);
        let again = Req::json(r#"{"action":"accept_all"}"#).run(&state);
        assert_eq!(again.status, 200);
        assert!(
            !again.record,
            "same id, categories and method within the window"
        );
        assert_eq!(stored(&again), d, "the cookie keeps the recorded decision");
        // another method or other categories: recorded
        let custom =
            Req::json(r#"{"categories":{"functional":true,"analytics":true,"advertising":true}}"#)
                .run(&state);
        assert!(
            custom.record,
            "save with the same categories is another method"
        );
        assert!(Req::json(r#"{"action":"reject_all"}"#).run(&state).record);
        // the same decision after the window: recorded again
        let mut old = d.clone();
        old.decided_at = NOW - DUPLICATE_WINDOW;
        let state = State::with_decision(Regime::strictest(), Some(old), false);
        let r = Req::json(r#"{"action":"accept_all"}"#).run(&state);
        assert!(r.record);
        assert_eq!(stored(&r).decided_at, NOW);
        // forms too
        let state = State::with_decision(Regime::strictest(), Some(d), false);
        assert!(!Req::form("action=accept_all").run(&state).record);
    }

    #[test]
    fn over_the_limit_the_choice_holds_but_is_not_recorded() {
        let mut r = Req::json(r#"{"action":"reject_all"}"#).run(&fresh());
        let cookies = set_cookies(&r).len();
        over_limit(&mut r);
        assert_eq!(r.status, 429);
        assert!(!r.record);
        assert_eq!(r.header("retry-after"), Some("60"));
        assert_eq!(set_cookies(&r).len(), cookies, "the choice still applies");
        let j = json(&r);
        assert!(j["error"].as_str().unwrap().contains("not recorded"));
        assert_eq!(j["recorded"], false);
        assert_eq!(j["categories"]["analytics"], false);
        let mut f = Req::form("action=accept_all&return_to=%2Fp").run(&fresh());
        over_limit(&mut f);
        assert_eq!((f.status, f.header("location")), (303, Some("/p")));
        assert_eq!(f.header("retry-after"), Some("60"));
        assert_eq!(f.header("x-consent-recorded"), Some("false"));
        assert!(!f.record && !set_cookies(&f).is_empty());
    }

    /// The steps of `change`, alone: what a request asks for is read from
    /// its method and media type only (`DELETE` ignores any body).
    #[test]
    fn read_change_by_method_and_media_type() {
        let req = |method, ct: &str, body: &'static str| {
            let headers = if ct.is_empty() {
                Vec::new()
            } else {
                h(&[("content-type", ct)])
            };
            let r = Req::new(method, &[], body);
            read_change(
                &EndpointRequest {
                    method,
                    host: r.host,
                    headers: &headers,
                    body: body.as_bytes(),
                    body_too_large: false,
                    secure: true,
                    cookie_domain: None,
                },
                method,
            )
        };
        assert_eq!(
            req("DELETE", "text/plain", "garbage"),
            Ok(Change {
                action: Action::Withdraw,
                return_to: None,
                form_token: None
            })
        );
        assert_eq!(
            req(
                "POST",
                "Application/X-WWW-Form-URLEncoded ; charset=utf-8",
                "action=reject_all&return_to=/a%3Fb&token=t"
            ),
            Ok(Change {
                action: Action::RejectAll,
                return_to: Some("/a?b".into()),
                form_token: Some("t".into())
            })
        );
        assert_eq!(
            req("POST", "application/json", r#"{"action":"accept_all"}"#),
            Ok(Change {
                action: Action::AcceptAll,
                return_to: None,
                form_token: None
            })
        );
        let (status, msg) = req("POST", "", "{}").unwrap_err();
        assert_eq!(status, 415);
        assert!(msg.starts_with("missing content type;"), "{msg}");
        // A control character in the media type is quoted escaped.
        let (status, msg) = req("POST", "text/pl\u{1}ain", "{}").unwrap_err();
        assert_eq!(status, 415);
        assert!(
            msg.starts_with(r#"unsupported content type "text/pl\\u{1}ain";"#),
            "{msg}"
        );
        assert_eq!(media_type("  TEXT/Html;q=1"), "text/html");
        assert_eq!(media_type(";charset=utf-8"), "");
    }

    /// CSRF is judged before the size cap, and both before the body is read.
    #[test]
    fn admit_checks_csrf_then_size() {
        let headers = h(&[("sec-fetch-site", "cross-site")]);
        let mut r = EndpointRequest {
            method: "POST",
            host: "www.example.com",
            headers: &headers,
            body: &[],
            body_too_large: true,
            secure: true,
            cookie_domain: None,
        };
        assert_eq!(admit(&r).map_err(|e| e.0), Err(403));
        let same = h(&[("sec-fetch-site", "same-origin")]);
        r.headers = &same;
        assert_eq!(admit(&r).map_err(|e| e.0), Err(413));
        let big = vec![b'x'; MAX_BODY + 1];
        r.body_too_large = false;
        r.body = &big;
        assert_eq!(admit(&r).map_err(|e| e.0), Err(413));
        r.body = &big[..MAX_BODY];
        assert_eq!(admit(&r), Ok(()));
    }
}
