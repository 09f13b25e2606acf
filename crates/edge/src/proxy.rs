//! The proxied request: the core's plan for the origin request and the
//! response, carried out.

use super::error::EdgeError;
use super::http::{header, to_headers};
use super::{cache, stream};
use consent_edge::proxy::cache::CACHE_STATUS_HEADER;
use consent_edge::proxy::{
    cookie_classifier, discovered_cookies, response_filter, upstream_request, Context,
    DocumentBody, Failure, OriginChoice, ResponseFacts, ResponsePlan, Settings, Visit,
};
use consent_edge::rules::Config;
use consent_edge::trackers::Catalog;
use worker::{Env, Request, Response, ResponseBody, ResponseBuilder};

/// Forwards `req` as planned and returns the response as planned.
pub async fn proxy(
    req: Request,
    env: &Env,
    wctx: &worker::Context,
    settings: &Settings,
    cfg: &'static Config,
    visit: &Visit<'_>,
    bypass: bool,
) -> Result<Response, EdgeError> {
    let assets = env.assets("ASSETS").ok();
    let choice = settings
        .origin_choice(assets.is_some())
        .map_err(|e| Failure::OriginInvalid(e.to_string()))?;
    let catalog = Catalog::configured();
    let classify = cookie_classifier(cfg, catalog);
    let up = upstream_request(
        visit,
        &choice,
        &visit.cookie_name,
        cfg.cookie.forward_to_origin,
        &classify,
    );
    let upgrade = header(&req, "upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let assets = assets.filter(|_| choice == OriginChoice::Assets);
    let plan = cache::plan(&req, settings, cfg, visit, &up);
    let cache::Fetched {
        resp,
        headers,
        status: cache_status,
    } = cache::fetch(req, &up, assets, settings.origin_timeout_ms, &plan, wctx).await?;
    let facts = ResponseFacts {
        status: resp.status_code(),
        headers: &headers,
    };
    let ctx = Context {
        visit,
        bypass,
        upgrade,
        settings,
        cfg,
        catalog,
        now: super::http::now(),
        random: super::http::random16(),
    };
    super::discovery::record_cookies(env, wctx, discovered_cookies(&facts, &ctx));
    match response_filter(&facts, &ctx) {
        ResponsePlan::Untouched => Ok(resp),
        ResponsePlan::Fail(f) => Err(f.into()),
        ResponsePlan::Pass(h) => Ok(ResponseBuilder::new()
            .with_status(facts.status)
            .with_headers(to_headers(&h)?)
            .body(resp.body().clone())),
        ResponsePlan::Rewrite {
            mut headers,
            page,
            document,
        } => {
            if let Some(status) = cache_status {
                headers.push((CACHE_STATUS_HEADER.into(), status.into()));
            }
            let filter = DocumentBody::new(&document, catalog, &cfg.filter, *page);
            let builder = ResponseBuilder::new()
                .with_status(facts.status)
                .with_headers(to_headers(&headers)?);
            match resp.body() {
                ResponseBody::Stream(input) => {
                    let body = stream::filtered(input, filter).ok_or(Failure::Busy)?;
                    Ok(builder.stream(body))
                }
                // No body: the document is what the filter makes of nothing.
                _ => Ok(builder.fixed(filter.end())),
            }
        }
    }
}
