//! The edge shell: request in, response out. The only code that touches the
//! `worker` crate; every decision is made by the pure core.

use crate::banner::{self, PageRequest};
use crate::consent::endpoint::{self, EndpointRequest, EndpointResponse, MAX_BODY};
use crate::consent::{enforce, Category, Decision, Secrets, State};
use crate::filter::{self, Filter};
use crate::jurisdiction::Geo;
use crate::records::{self, Record, RecordContext, Statement};
use crate::rules::Route;
use crate::rules::{Config, Mode};
use crate::trackers::Catalog;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicU64, Ordering};
use wasm_bindgen::{JsCast, JsValue};
use worker::*;

/// How long the origin may take to send its response headers (`ORIGIN_TIMEOUT_MS`).
const DEFAULT_ORIGIN_TIMEOUT_MS: u64 = 30_000;

/// Failed proof-of-consent writes in this isolate (reported by `/stats`).
static RECORD_FAILURES: AtomicU64 = AtomicU64::new(0);

/// Environment the worker runs with (wrangler vars and secrets).
struct Vars {
    origin: String,
    assets_origin: bool,
    dev_geo_override: bool,
    cookie_domain: Option<String>,
    secrets: Secrets,
    admin_token: Option<String>,
    records_queue: bool,
    origin_timeout_ms: u64,
    dev_faults: bool,
}

impl Vars {
    fn read(env: &Env) -> Vars {
        let var = |name: &str| {
            env.secret(name)
                .map(|v| v.to_string())
                .or_else(|_| env.var(name).map(|v| v.to_string()))
                .unwrap_or_default()
        };
        let non_empty = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_string());
        Vars {
            origin: var("ORIGIN").trim().to_string(),
            assets_origin: var("DEV_ASSETS_ORIGIN") == "true",
            dev_geo_override: var("DEV_GEO_OVERRIDE") == "true",
            cookie_domain: non_empty(var("COOKIE_DOMAIN")),
            secrets: Secrets {
                current: var("CONSENT_SECRET").into_bytes(),
                previous: non_empty(var("CONSENT_SECRET_PREVIOUS")).map(String::into_bytes),
            },
            admin_token: non_empty(var("ADMIN_TOKEN")),
            records_queue: var("RECORDS_QUEUE") == "true",
            origin_timeout_ms: var("ORIGIN_TIMEOUT_MS")
                .trim()
                .parse()
                .ok()
                .filter(|ms| *ms > 0)
                .unwrap_or(DEFAULT_ORIGIN_TIMEOUT_MS),
            dev_faults: var("DEV_FAULTS") == "true",
        }
    }
}

/// Marks a request the worker sent to the zone's own origin (see [`forward`]).
const HOP_HEADER: &str = "x-consent-edge-hop";

/// Where the page comes from.
enum Origin {
    /// `ORIGIN` is set: proxy there.
    Url(Url),
    /// Dev without `ORIGIN`: the demo site in Workers Static Assets.
    Assets(Fetcher),
    /// A deployed route without `ORIGIN`: the zone's own origin.
    Zone,
}

/// One request, as the core sees it.
struct Visit {
    url: Url,
    host: String,
    secure: bool,
    geo: Option<Geo>,
    cookie_header: Option<String>,
    accept_language: Option<String>,
    route: Option<&'static Route>,
    state: State,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    console_error_panic_hook::set_once();
    let vars = Vars::read(&env);
    match handle(req, &env, &ctx, &vars).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            console_error!("consent-edge: {e}");
            text_response(
                502,
                &format!("consent-edge: the origin could not be reached ({e})\n"),
            )
        }
    }
}

async fn handle(req: Request, env: &Env, ctx: &Context, vars: &Vars) -> Result<Response> {
    let cfg = Config::embedded();
    let url = req.url()?;
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    if header(&req, HOP_HEADER).is_some() {
        return text_response(
            508,
            "consent-edge: this request came back to the worker: with ORIGIN empty the page is \
             fetched from the zone's own origin, which here is the worker itself. Set ORIGIN, or \
             run the dev environment (`make dev`).\n",
        );
    }
    let route = cfg.route_for(&host, url.path());
    let origin = match resolve_origin(env, vars) {
        Ok(o) => o,
        Err(msg) => return text_response(502, &format!("consent-edge: {msg}\n")),
    };
    // Bypass: no consent logic, no rewriter, the request and response as they are.
    if route.is_some_and(|r| r.mode == Mode::Bypass) {
        return forward(req, &url, origin, None, vars.origin_timeout_ms).await;
    }

    let geo = geo(&req, &url, vars);
    let regime = cfg.jurisdictions.resolve(geo.as_ref());
    let gpc = header(&req, "sec-gpc").is_some_and(|v| v.trim() == "1");
    let cookie_header = header(&req, "cookie");
    let state = State::resolve(
        cookie_header.as_deref(),
        cfg,
        &vars.secrets,
        regime,
        gpc,
        now(),
    );
    let secure = url.scheme() == "https" || !is_local(url.host_str().unwrap_or_default());
    let accept_language = header(&req, "accept-language");
    let visit = Visit {
        url,
        host,
        secure,
        geo,
        cookie_header,
        accept_language,
        route,
        state,
    };

    let ep = cfg.cookie.endpoint.as_str();
    let path = visit.url.path();
    if path == ep {
        return consent_endpoint(req, env, ctx, vars, cfg, &visit).await;
    }
    if let Some(sub) = path.strip_prefix(ep).and_then(|s| s.strip_prefix('/')) {
        // Dev-only fault injection for the hardening tests (never set DEV_FAULTS in production).
        if vars.dev_faults && sub == "fault/panic" {
            panic!("consent-edge: deliberate panic (DEV_FAULTS)");
        }
        return records_endpoint(sub, &req, env, vars, &visit).await;
    }
    proxy(req, origin, cfg, vars, &visit).await
}

/// Resolves the origin from `ORIGIN` / the `ASSETS` binding.
fn resolve_origin(env: &Env, vars: &Vars) -> std::result::Result<Origin, String> {
    if !vars.origin.is_empty() {
        let url = Url::parse(&vars.origin)
            .map_err(|e| format!("ORIGIN {:?} is not a URL: {e}", vars.origin))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(format!("ORIGIN {:?} must be an http(s) URL", vars.origin));
        }
        return Ok(Origin::Url(url));
    }
    if vars.assets_origin {
        if let Ok(assets) = env.assets("ASSETS") {
            return Ok(Origin::Assets(assets));
        }
    }
    Ok(Origin::Zone)
}

/// Sends the request on to the origin: path and query kept, `Host` from the
/// origin URL, redirects returned as they are. `cookie` replaces the
/// request's `Cookie` header (`Some("")` removes it).
async fn forward(
    req: Request,
    url: &Url,
    origin: Origin,
    cookie: Option<&str>,
    timeout_ms: u64,
) -> Result<Response> {
    let target = match &origin {
        Origin::Url(base) => {
            let mut t = base.clone();
            t.set_path(url.path());
            t.set_query(url.query());
            t
        }
        // The demo site: a directory path means its index.html.
        Origin::Assets(_) if url.path().ends_with('/') => {
            let mut t = url.clone();
            t.set_path(&format!("{}index.html", url.path()));
            t
        }
        _ => url.clone(),
    };
    let headers = copy_headers(req.headers())?;
    let _ = headers.delete("host");
    if matches!(origin, Origin::Zone) {
        // Deployed, a same-zone subrequest goes to the origin and never
        // comes back; locally it would loop through the worker for ever.
        headers.set(HOP_HEADER, "1")?;
    }
    match cookie {
        Some("") => {
            let _ = headers.delete("cookie");
        }
        Some(c) => headers.set("cookie", c)?,
        None => {}
    }
    let mut init = RequestInit::new();
    init.with_method(req.method())
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    if !matches!(req.method(), Method::Get | Method::Head) {
        init.with_body(req.inner().body().map(Into::into));
    }
    let out = Request::new_with_init(target.as_str(), &init)?;
    let Origin::Assets(assets) = origin else {
        return fetch_with_timeout(out, timeout_ms).await;
    };
    assets.fetch_request(out).await
}

/// Fetches from the origin; a clear 504 from us when it sends no response
/// headers within `timeout_ms` (the request is aborted).
async fn fetch_with_timeout(out: Request, timeout_ms: u64) -> Result<Response> {
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(out);
    let send = fetch.send_with_signal(&signal);
    let timer = Delay::from(std::time::Duration::from_millis(timeout_ms));
    futures_util::pin_mut!(send);
    futures_util::pin_mut!(timer);
    match futures_util::future::select(send, timer).await {
        futures_util::future::Either::Left((resp, _)) => resp,
        futures_util::future::Either::Right(_) => {
            controller.abort();
            text_response(
                504,
                &format!("consent-edge: the origin did not answer within {timeout_ms} ms\n"),
            )
        }
    }
}

/// The proxied request: cookies of refused categories never reach the
/// origin, `Set-Cookie`s for them never reach the browser, and HTML streams
/// through the filter.
async fn proxy(
    req: Request,
    origin: Origin,
    cfg: &'static Config,
    vars: &Vars,
    v: &Visit,
) -> Result<Response> {
    let grants = v.state.grants;
    let classify = |name: &str| classify_cookie(cfg, name);
    let forwarded_cookie = v.cookie_header.as_deref().map(|h| {
        enforce::request_cookie_header(
            h,
            grants,
            &cfg.cookie.name,
            cfg.cookie.forward_to_origin,
            &classify,
        )
        .unwrap_or_default()
    });
    let is_upgrade = header(&req, "upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let method = req.method();
    let resp = forward(
        req,
        &v.url,
        origin,
        forwarded_cookie.as_deref(),
        vars.origin_timeout_ms,
    )
    .await?;
    let status = resp.status_code();
    if is_upgrade || status == 101 {
        return Ok(resp);
    }

    // Response headers: drop refused Set-Cookies, expire refused cookies the
    // request still carries (HttpOnly ones too).
    let domain = v.cookie_domain(vars);
    let mut dropped = false;
    let headers = Headers::new();
    for (name, value) in resp.headers().entries() {
        if name.eq_ignore_ascii_case("set-cookie")
            && !enforce::keep_set_cookie(&value, grants, &classify)
        {
            dropped = true;
            continue;
        }
        headers.append(&name, &value)?;
    }
    let expiries = v
        .cookie_header
        .as_deref()
        .map(|h| enforce::expire_refused(h, grants, &classify, domain, v.secure))
        .unwrap_or_default();
    for e in &expiries {
        headers.append("set-cookie", e)?;
    }

    let html = method != Method::Head && rewrites(status, resp.headers());
    if !html {
        if !dropped && expiries.is_empty() {
            return Ok(resp); // untouched, body handed over as the JS stream
        }
        let body = resp.body().clone();
        return Ok(ResponseBuilder::new()
            .with_status(status)
            .with_headers(headers)
            .body(body));
    }
    let _ = headers.delete("content-length");
    let return_to = match v.url.query() {
        Some(q) => format!("{}?{q}", v.url.path()),
        None => v.url.path().to_string(),
    };
    let csp = resp.headers().get("content-security-policy").ok().flatten();
    let ct = resp
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    let page = banner::page(
        &PageRequest {
            state: &v.state,
            route: v.route,
            accept_language: v.accept_language.as_deref(),
            return_to: &return_to,
            csp: csp.as_deref(),
            host: &v.host,
        },
        cfg,
    );
    let filter = Filter::new(
        Catalog::configured(),
        &cfg.filter,
        page,
        filter::charset_from_content_type(&ct),
    );
    let body = match resp.body() {
        ResponseBody::Stream(input) => filtered(input, filter),
        // No body: the document is what the filter makes of nothing.
        _ => {
            return Ok(ResponseBuilder::new()
                .with_status(status)
                .with_headers(headers)
                .fixed(filter.end()))
        }
    };
    let Some(body) = body else {
        return text_response(503, "consent-edge: too many responses in flight\n");
    };
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .stream(body))
}

// ---- HTML streaming ------------------------------------------------------
//
// The origin's body is pumped by a few lines of JavaScript (`filterStream` below)
// that call into wasm synchronously for every chunk: no Rust future, no
// wasm-streams adapter, no promise round trip through Rust. The JavaScript
// reads with a BYOB reader into a 64 KiB buffer (reused) where the runtime
// offers one, so each crossing carries whatever the origin has delivered so
// far: an 84 KB page is ~3 reads, against ~20 of ~4 KiB with the default
// reader, which is most of the pump's cost in workerd.
//
// Per-response state lives in `FILTERS`, a slab indexed by a handle the
// JavaScript holds. The three entry points are closures created once per
// isolate (`HOOKS`), never per request. A slot is released exactly once:
// by `end` (end of body), or by `free` when the visitor cancels the
// response, the pump fails, or the output stream is garbage-collected
// without either having happened (`FinalizationRegistry`). The last one is
// what happens when a visitor disconnects mid-page: workerd does not call
// `cancel` then, it drops the request's I/O context (checked in workerd
// 1.20260426: three disconnects, three slots freed by the registry).

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
const BUF = 64 * 1024;
const gone = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry(([free, h]) => free(h))
  : null;
export function filterStream(src, h, write, end, free) {
  let reader, byob = true;
  try { reader = src.getReader({ mode: "byob" }); } catch { reader = src.getReader(); byob = false; }
  let open = true, buf = null;
  const token = {};
  const release = () => {
    if (open) { open = false; if (gone) gone.unregister(token); free(h); }
  };
  const finish = (ctl) => {
    open = false;
    if (gone) gone.unregister(token);
    const tail = end(h);
    if (tail.length) ctl.enqueue(tail);
    ctl.close();
  };
  const out = new ReadableStream({
    async pull(ctl) {
      for (;;) {
        let r;
        try {
          const into = byob ? buf || new Uint8Array(BUF) : null;
          buf = null;
          r = byob ? await reader.read(into) : await reader.read();
        } catch (e) {
          // The origin broke off: close the document cleanly.
          console.error(`consent-edge: origin body ended early: ${e}`);
          if (open) finish(ctl);
          return;
        }
        if (!open) return;
        if (r.done) return finish(ctl);
        try {
          const o = write(h, r.value);
          // `write` copied the chunk into wasm memory: reuse its buffer.
          if (byob) buf = new Uint8Array(r.value.buffer);
          if (o.length) return ctl.enqueue(o);
        } catch (e) {
          release();
          throw e;
        }
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
  if (gone) gone.register(out, [free, h], token);
  return out;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = filterStream)]
    fn filter_stream(
        src: &web_sys::ReadableStream,
        handle: u32,
        write: &js_sys::Function,
        end: &js_sys::Function,
        free: &js_sys::Function,
    ) -> web_sys::ReadableStream;
}

/// The live filters of this isolate: slot `i` holds the filter of handle
/// `i | generation << 16`.
#[derive(Default)]
struct Slab {
    slots: Vec<(u16, Option<Filter>)>,
    vacant: Vec<u16>,
}

impl Slab {
    fn insert(&mut self, filter: Filter) -> Option<u32> {
        let i = match self.vacant.pop() {
            Some(i) => i,
            None => {
                let i = u16::try_from(self.slots.len()).ok()?;
                self.slots.push((0, None));
                i
            }
        };
        let slot = &mut self.slots[usize::from(i)];
        slot.0 = slot.0.wrapping_add(1);
        slot.1 = Some(filter);
        Some(u32::from(i) | u32::from(slot.0) << 16)
    }

    fn get(&mut self, handle: u32) -> Option<&mut Filter> {
        let (gen, f) = self.slots.get_mut((handle & 0xffff) as usize)?;
        if u32::from(*gen) != handle >> 16 {
            return None;
        }
        f.as_mut()
    }

    fn remove(&mut self, handle: u32) -> Option<Filter> {
        let i = handle & 0xffff;
        let (gen, f) = self.slots.get_mut(i as usize)?;
        if u32::from(*gen) != handle >> 16 {
            return None;
        }
        let f = f.take()?;
        self.vacant.push(i as u16);
        Some(f)
    }
}

type WriteHook =
    dyn FnMut(u32, js_sys::Uint8Array) -> std::result::Result<js_sys::Uint8Array, JsValue>;
type EndHook = dyn FnMut(u32) -> std::result::Result<js_sys::Uint8Array, JsValue>;

/// The JavaScript pump's entry points into wasm, one set per isolate.
struct Hooks {
    write: wasm_bindgen::closure::Closure<WriteHook>,
    end: wasm_bindgen::closure::Closure<EndHook>,
    free: wasm_bindgen::closure::Closure<dyn FnMut(u32)>,
}

thread_local! {
    static FILTERS: std::cell::RefCell<Slab> = std::cell::RefCell::default();
    /// Input bytes of the chunk being filtered (reused: one allocation per isolate).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    static HOOKS: Hooks = Hooks {
        write: wasm_bindgen::closure::Closure::new(|h: u32, chunk: js_sys::Uint8Array| {
            SCRATCH.with_borrow_mut(|buf| {
                buf.resize(chunk.length() as usize, 0);
                chunk.copy_to(buf);
                let out = FILTERS
                    .with_borrow_mut(|s| s.get(h).map(|f| f.write(buf)))
                    .ok_or_else(|| JsValue::from_str("consent-edge: unknown filter handle"))?;
                if buf.capacity() > 1 << 20 {
                    *buf = Vec::new();
                }
                Ok(js_sys::Uint8Array::from(out.as_slice()))
            })
        }),
        end: wasm_bindgen::closure::Closure::new(|h: u32| {
            let f = FILTERS
                .with_borrow_mut(|s| s.remove(h))
                .ok_or_else(|| JsValue::from_str("consent-edge: unknown filter handle"))?;
            Ok(js_sys::Uint8Array::from(f.end().as_slice()))
        }),
        free: wasm_bindgen::closure::Closure::new(|h: u32| {
            drop(FILTERS.with_borrow_mut(|s| s.remove(h)));
        }),
    };
}

/// The origin's body through `filter`, as a stream the runtime can send:
/// each origin chunk goes through lol_html and its output leaves at once.
/// `None` when this isolate already streams 65 536 responses.
fn filtered(input: &web_sys::ReadableStream, filter: Filter) -> Option<web_sys::ReadableStream> {
    let handle = FILTERS.with_borrow_mut(|s| s.insert(filter))?;
    Some(HOOKS.with(|k| {
        filter_stream(
            input,
            handle,
            k.write.as_ref().unchecked_ref(),
            k.end.as_ref().unchecked_ref(),
            k.free.as_ref().unchecked_ref(),
        )
    }))
}

/// The category of a cookie: the site's own inventory first, then the catalog.
fn classify_cookie(cfg: &Config, name: &str) -> Option<Category> {
    cfg.classify_cookie(Catalog::configured(), name)
}

impl Visit {
    fn cookie_domain<'a>(&self, vars: &'a Vars) -> Option<&'a str> {
        crate::consent::cookie::domain_for_host(&self.host, vars.cookie_domain.as_deref())
    }
}

/// `GET|POST|DELETE /__consent`.
async fn consent_endpoint(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    vars: &Vars,
    cfg: &'static Config,
    v: &Visit,
) -> Result<Response> {
    let headers: Vec<(String, String)> = req
        .headers()
        .entries()
        .map(|(n, val)| (n.to_ascii_lowercase(), val))
        .collect();
    let method = req.method().to_string();
    let (body, too_large) = read_body(&mut req, MAX_BODY).await;
    let ereq = EndpointRequest {
        method: &method,
        host: &v.host,
        headers: &headers,
        body: &body,
        body_too_large: too_large,
        secure: v.secure,
        cookie_domain: vars.cookie_domain.as_deref(),
    };
    let mut out: EndpointResponse =
        endpoint::handle(&ereq, &v.state, cfg, &vars.secrets, now(), random16());
    if let Some(decision) = out.decision.take() {
        let classify = |name: &str| classify_cookie(cfg, name);
        if let Some(h) = v.cookie_header.as_deref() {
            for e in enforce::expire_refused(
                h,
                decision.grants,
                &classify,
                v.cookie_domain(vars),
                v.secure,
            ) {
                out.headers.push(("set-cookie".into(), e));
            }
        }
        let record = decision_record(&decision, v, &headers, &body);
        let env = env.clone();
        let queue = cfg.records.queue || vars.records_queue;
        if cfg.records.enabled {
            ctx.wait_until(async move {
                if let Err(e) = store_record(&env, record, queue).await {
                    RECORD_FAILURES.fetch_add(1, Ordering::Relaxed);
                    console_error!("consent-edge: consent record not stored: {e}");
                }
            });
        }
    }
    let h = Headers::new();
    for (n, val) in &out.headers {
        h.append(n, val)?;
    }
    Ok(ResponseBuilder::new()
        .with_status(out.status)
        .with_headers(h)
        .fixed(out.body))
}

/// The proof-of-consent record of a decision. The page is the form's
/// `return_to` (no-JS banner) or the `Referer` (JSON); the record drops its query.
fn decision_record(d: &Decision, v: &Visit, headers: &[(String, String)], body: &[u8]) -> Record {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, val)| val.as_str())
    };
    let return_to = form_urlencoded::parse(body)
        .find(|(k, _)| k == "return_to")
        .map(|(_, val)| endpoint::safe_return_to(&val).to_string());
    let path = return_to
        .as_deref()
        .or_else(|| get("referer"))
        .unwrap_or("/");
    // The language the banner was shown in.
    let lang = banner::negotiate(get("accept-language"), &Config::embedded().banner);
    let country = v.geo.as_ref().and_then(|g| g.country.as_deref());
    let region = v.geo.as_ref().and_then(|g| g.region.as_deref());
    Record::new(
        d,
        &RecordContext {
            country,
            region,
            variant: &v.state.regime.variant,
            lang: &lang,
            path,
            ip: get("cf-connecting-ip"),
            user_agent: get("user-agent"),
        },
    )
}

/// Writes one record: straight to D1, or through the queue when configured.
async fn store_record(env: &Env, record: Record, queue: bool) -> Result<()> {
    if queue {
        return env.queue("RECORDS")?.send(&record).await;
    }
    run_statements(env, records::insert(&[record]))
        .await
        .map(|_| ())
}

async fn run_statements(env: &Env, statements: Vec<Statement>) -> Result<Vec<D1Result>> {
    let db = env.d1("DB")?;
    let mut prepared = Vec::with_capacity(statements.len());
    for s in statements {
        prepared.push(prepare(&db, &s)?);
    }
    db.batch(prepared).await
}

fn prepare(db: &D1Database, s: &Statement) -> Result<D1PreparedStatement> {
    let params: Vec<JsValue> = s.params.iter().map(js_value).collect();
    db.prepare(&s.sql).bind(&params)
}

fn js_value(v: &serde_json::Value) -> JsValue {
    match v {
        serde_json::Value::Null => JsValue::NULL,
        serde_json::Value::Bool(b) => JsValue::from_bool(*b),
        serde_json::Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => JsValue::from_str(s),
        other => JsValue::from_str(&other.to_string()),
    }
}

async fn query_rows(env: &Env, s: &Statement) -> Result<Vec<serde_json::Value>> {
    let db = env.d1("DB")?;
    prepare(&db, s)?.all().await?.results::<serde_json::Value>()
}

/// `/__consent/records`, `/__consent/history`, `/__consent/stats`.
async fn records_endpoint(
    sub: &str,
    req: &Request,
    env: &Env,
    vars: &Vars,
    v: &Visit,
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

/// Queue consumer (records.queue = true): each delivered batch becomes
/// multi-row INSERTs in one D1 round trip.
#[event(queue)]
async fn queue(batch: MessageBatch<Record>, env: Env, _ctx: Context) -> Result<()> {
    let recs: Vec<Record> = batch
        .messages()?
        .into_iter()
        .map(|m| m.into_body())
        .collect();
    match run_statements(&env, records::insert(&recs)).await {
        Ok(_) => {
            batch.ack_all();
            Ok(())
        }
        Err(e) => {
            RECORD_FAILURES.fetch_add(recs.len() as u64, Ordering::Relaxed);
            console_error!("consent-edge: queued consent records not stored: {e}");
            batch.retry_all();
            Ok(())
        }
    }
}

/// Cron: delete records older than `records.retention_days`, in bounded batches.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let cfg = Config::embedded();
    let (days, batch) = (cfg.records.retention_days, cfg.records.purge_batch);
    // Bounded: at most 200 batches per run; the next run continues.
    for _ in 0..200 {
        let st = records::purge(now(), days, batch);
        let deleted = match query_rows_run(&env, &st).await {
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

async fn query_rows_run(env: &Env, s: &Statement) -> Result<u64> {
    let db = env.d1("DB")?;
    let res = prepare(&db, s)?.run().await?;
    Ok(res.meta()?.and_then(|m| m.changes).unwrap_or(0) as u64)
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

/// Whether a response carries an HTML body we rewrite.
fn rewrites(status: u16, headers: &Headers) -> bool {
    if matches!(status, 101 | 204 | 205 | 206 | 304) || (300..400).contains(&status) {
        return false;
    }
    let ct = headers
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "text/html" || mime == "application/xhtml+xml"
}

/// A mutable copy of (immutable) origin headers, `Set-Cookie` values kept one by one.
fn copy_headers(src: &Headers) -> Result<Headers> {
    let out = Headers::new();
    for (name, value) in src.entries() {
        out.append(&name, &value)?;
    }
    Ok(out)
}

/// The request's geolocation: `request.cf`, or in dev (`DEV_GEO_OVERRIDE`)
/// the `x-consent-geo` header / `?__geo=` query.
fn geo(req: &Request, url: &Url, vars: &Vars) -> Option<Geo> {
    if vars.dev_geo_override {
        let over = header(req, "x-consent-geo").or_else(|| {
            url.query_pairs()
                .find(|(k, _)| k == "__geo")
                .map(|(_, v)| v.into_owned())
        });
        if let Some(g) = over
            .as_deref()
            .and_then(crate::jurisdiction::parse_geo_override)
        {
            return Some(g);
        }
    }
    let cf = req.cf()?;
    Some(Geo {
        country: cf.country(),
        region: cf.region_code(),
        is_eu: cf.is_eu_country(),
        continent: cf.continent(),
    })
}

fn is_local(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host.ends_with(".localhost")
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

fn random16() -> [u8; 16] {
    let mut b = [0u8; 16];
    if getrandom::getrandom(&mut b).is_err() {
        // Web Crypto is always there in workerd; never hand out a fixed id.
        let t = js_sys::Date::now().to_bits().to_le_bytes();
        b[..8].copy_from_slice(&t);
        b[8..].copy_from_slice(&(js_sys::Math::random().to_bits()).to_le_bytes());
    }
    b
}

fn bytes_response(status: u16, content_type: &str, body: Vec<u8>) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    headers.set("cache-control", "no-store")?;
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .fixed(body))
}

fn json_response(status: u16, value: &serde_json::Value) -> Result<Response> {
    bytes_response(status, "application/json", value.to_string().into_bytes())
}

fn text_response(status: u16, body: &str) -> Result<Response> {
    bytes_response(
        status,
        "text/plain; charset=utf-8",
        body.as_bytes().to_vec(),
    )
}
