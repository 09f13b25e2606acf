//! The edge shell: request in, response out. The only code that touches the
//! `worker` crate; every decision is made by the pure core.

use crate::filter::{Filter, Page};
use crate::jurisdiction::Geo;
use crate::rules::Config;
use futures_util::StreamExt;
use worker::*;

/// Environment the worker runs with (wrangler vars and secrets).
struct Vars {
    origin: String,
    dev_geo_override: bool,
}

impl Vars {
    fn read(env: &Env) -> Vars {
        let var = |name: &str| env.var(name).map(|v| v.to_string()).unwrap_or_default();
        Vars {
            origin: var("ORIGIN").trim().to_string(),
            dev_geo_override: var("DEV_GEO_OVERRIDE") == "true",
        }
    }
}

/// Where the page comes from.
enum Origin {
    /// `ORIGIN` is set: proxy there.
    Url(Url),
    /// Dev without `ORIGIN`: the demo site in Workers Static Assets.
    Assets(Fetcher),
    /// A deployed route without `ORIGIN`: the zone's own origin.
    Zone,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    console_error_panic_hook::set_once();
    let vars = Vars::read(&env);
    match handle(req, &env, &vars).await {
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

async fn handle(req: Request, env: &Env, vars: &Vars) -> Result<Response> {
    let cfg = Config::embedded();
    let url = req.url()?;
    let _geo = geo(&req, &url, vars);

    let origin = match resolve_origin(env, vars) {
        Ok(o) => o,
        Err(msg) => return text_response(502, &format!("consent-edge: {msg}\n")),
    };

    let is_upgrade = header(&req, "upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let method = req.method();
    let resp = forward(req, &url, origin).await?;

    // Pass-through: upgrades, HEAD, bodies we must not touch.
    let status = resp.status_code();
    if is_upgrade || status == 101 || method == Method::Head || !rewrites(status, resp.headers()) {
        return Ok(resp);
    }
    stream_html(resp, cfg)
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
    match env.assets("ASSETS") {
        Ok(assets) => Ok(Origin::Assets(assets)),
        Err(_) => Ok(Origin::Zone),
    }
}

/// Sends the request on to the origin: path and query kept, `Host` from the
/// origin URL, redirects returned as they are.
async fn forward(req: Request, url: &Url, origin: Origin) -> Result<Response> {
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
    let headers = req.headers().clone();
    let _ = headers.delete("host");
    let mut init = RequestInit::new();
    init.with_method(req.method())
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    if !matches!(req.method(), Method::Get | Method::Head) {
        init.with_body(req.inner().body().map(Into::into));
    }
    let out = Request::new_with_init(target.as_str(), &init)?;
    match origin {
        Origin::Assets(assets) => assets.fetch_request(out).await,
        Origin::Url(_) | Origin::Zone => Fetch::Request(out).send().await,
    }
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

/// Streams an HTML response through the filter, chunk by chunk.
fn stream_html(mut resp: Response, cfg: &Config) -> Result<Response> {
    let status = resp.status_code();
    let headers = copy_headers(resp.headers())?;
    let _ = headers.delete("content-length");
    let input = resp.stream()?;
    let filter = Filter::new(&cfg.filter, Page::default());
    let output = futures_util::stream::unfold(
        (input, Some(filter)),
        |(mut input, mut filter)| async move {
            loop {
                let f = filter.as_mut()?;
                match input.next().await {
                    Some(Ok(chunk)) => {
                        let out = f.write(&chunk);
                        if !out.is_empty() {
                            return Some((Ok::<Vec<u8>, Error>(out), (input, filter)));
                        }
                    }
                    // End of body, or the origin broke off: close the document cleanly.
                    end => {
                        if let Some(Err(e)) = end {
                            console_error!("consent-edge: origin body ended early: {e}");
                        }
                        let out = filter.take()?.end();
                        return Some((Ok(out), (input, None)));
                    }
                }
            }
        },
    );
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .from_stream(output)?)
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

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

fn text_response(status: u16, body: &str) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/plain; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .fixed(body.as_bytes().to_vec()))
}
