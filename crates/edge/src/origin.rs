//! Sending the planned request to the origin, with a timeout.

use super::error::EdgeError;
use consent_edge::proxy::{Failure, HeaderEdit, Upstream};
use worker::{AbortController, Delay, Fetch, Fetcher, Request, Response};

/// Sends `up` (built by [`consent_edge::proxy::upstream_request`]) with `req`'s
/// headers and body: the method exactly as the visitor sent it, redirects
/// returned as they are. `assets`: the dev demo site instead of a fetch.
pub async fn forward(
    req: Request,
    up: &Upstream,
    assets: Option<Fetcher>,
    timeout_ms: u64,
) -> Result<Response, EdgeError> {
    // A copy of the visitor's headers in one call (`new Headers(headers)`).
    let headers = req.headers().clone();
    for edit in &up.edits {
        match edit {
            HeaderEdit::Remove(n) => headers.delete(n)?,
            HeaderEdit::Set(n, v) => headers.set(n, v)?,
        }
    }
    // web_sys directly: worker's `Method` reads PROPFIND, PURGE, QUERY … as GET.
    let init = web_sys::RequestInit::new();
    init.set_method(&up.method);
    init.set_headers(headers.as_ref());
    init.set_redirect(web_sys::RequestRedirect::Manual);
    if up.body {
        if let Some(body) = req.inner().body() {
            init.set_body(&body);
        }
    }
    let out = web_sys::Request::new_with_str_and_init(up.url.as_str(), &init)
        .map(Request::from)
        .map_err(|e| EdgeError::Origin(e.into()))?;
    match assets {
        Some(a) => a.fetch_request(out).await.map_err(EdgeError::Origin),
        None => fetch_with_timeout(out, timeout_ms).await,
    }
}

/// Fetches from the origin; [`Failure::OriginTimeout`] when it sends no
/// response headers within `timeout_ms` (the request is aborted).
async fn fetch_with_timeout(out: Request, timeout_ms: u64) -> Result<Response, EdgeError> {
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(out);
    let send = fetch.send_with_signal(&signal);
    let timer = Delay::from(std::time::Duration::from_millis(timeout_ms));
    futures_util::pin_mut!(send);
    futures_util::pin_mut!(timer);
    match futures_util::future::select(send, timer).await {
        futures_util::future::Either::Left((resp, _)) => resp.map_err(EdgeError::Origin),
        futures_util::future::Either::Right(_) => {
            controller.abort();
            Err(Failure::OriginTimeout(timeout_ms).into())
        }
    }
}
