//! The edge cache: [`consent_edge::proxy::cache`]'s plan carried out with the
//! Workers Cache API (`caches.default`, the zone's edge cache in each data
//! centre). The stored copy is the origin's response before any filtering;
//! every response the visitor gets, hit or miss, is filtered by the caller.

use super::error::EdgeError;
use super::http::{header_list, to_headers};
use super::origin;
use consent_edge::proxy::cache::{hit_headers, lookup, store_plan, Bypass, CacheRequest, Lookup};
use consent_edge::proxy::{Settings, Upstream, Visit};
use consent_edge::rules::Config;
use worker::{console_error, Cache, Fetcher, Request, Response, ResponseBuilder};

/// The response to filter, with where it came from.
pub struct Fetched {
    /// The origin's response, or the stored copy of one.
    pub resp: Response,
    /// Its headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// What the cache did: `hit`, `miss`, `bypass`; `None` when it is off.
    pub status: Option<&'static str>,
}

/// The cache plan for `req` (its headers are read only when the cache is on).
pub fn plan(
    req: &Request,
    settings: &Settings,
    cfg: &Config,
    visit: &Visit<'_>,
    up: &Upstream,
) -> Lookup {
    let enabled = settings.edge_cache(cfg.cache.enabled);
    let headers = if enabled {
        header_list(req.headers())
    } else {
        Vec::new()
    };
    lookup(&CacheRequest {
        enabled,
        settings: &cfg.cache,
        visit,
        headers: &headers,
        upstream: up,
    })
}

/// The response for `req` as `plan` says: the stored copy on a hit, else
/// the origin's ([`origin::forward`]); a miss the plan lets store is put
/// into the cache after the response is under way (`wait_until`), from a
/// tee of the body, so the visitor's stream is never held back by it.
pub async fn fetch(
    req: Request,
    up: &Upstream,
    assets: Option<Fetcher>,
    timeout_ms: u64,
    plan: &Lookup,
    wctx: &worker::Context,
) -> Result<Fetched, EdgeError> {
    let key = match plan {
        Lookup::Use { key, .. } => key,
        Lookup::Bypass(why) => {
            let resp = origin::forward(req, up, assets, timeout_ms).await?;
            let headers = header_list(resp.headers());
            return Ok(Fetched {
                resp,
                headers,
                status: (*why != Bypass::Off).then_some("bypass"),
            });
        }
    };
    if let Some(hit) = get(key).await {
        let headers = hit_headers(header_list(hit.headers()));
        return Ok(Fetched {
            resp: hit,
            headers,
            status: Some("hit"),
        });
    }
    let mut resp = origin::forward(req, up, assets, timeout_ms).await?;
    let headers = header_list(resp.headers());
    if let Lookup::Use { store: true, .. } = plan {
        put(wctx, key, &mut resp, &headers);
    }
    Ok(Fetched {
        resp,
        headers,
        status: Some("miss"),
    })
}

/// The stored copy under `key`, if fresh. A failing cache is a miss.
async fn get(key: &str) -> Option<Response> {
    match Cache::default().get(key, false).await {
        Ok(found) => found.filter(|r| r.status_code() == 200),
        Err(e) => {
            console_error!("consent-edge: edge cache lookup failed (fetching the origin): {e}");
            None
        }
    }
}

/// Stores the origin's `resp` under `key` if [`store_plan`] allows: the
/// body is teed (`Response.clone()`), one branch for the visitor's filter,
/// one for `cache.put`, which runs after the response is returned. A
/// failed put (the origin broke off, the cache refused) is logged; the
/// page is unaffected and the next visitor fetches again.
fn put(wctx: &worker::Context, key: &str, resp: &mut Response, headers: &[(String, String)]) {
    let Ok(stored) = store_plan(resp.status_code(), headers) else {
        return;
    };
    let copy = match resp.cloned() {
        Ok(c) => c,
        Err(e) => {
            console_error!("consent-edge: edge cache: cannot tee the origin's body: {e}");
            return;
        }
    };
    let key = key.to_string();
    wctx.wait_until(async move {
        let entry = match to_headers(&stored.headers) {
            Ok(h) => ResponseBuilder::new()
                .with_status(200)
                .with_headers(h)
                .body(copy.body().clone()),
            Err(e) => {
                console_error!("consent-edge: edge cache: bad stored header: {e}");
                return;
            }
        };
        if let Err(e) = Cache::default().put(key.as_str(), entry).await {
            console_error!("consent-edge: edge cache: not stored: {e}");
        }
    });
}
