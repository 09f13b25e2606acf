//! Small conversions between `worker` types and the core's plain ones.

use consent_edge::jurisdiction::Geo;
use worker::{Headers, Request, Response, ResponseBuilder, Result};

/// A request's headers, names in lower case, in order.
pub fn request_headers(req: &Request) -> Vec<(String, String)> {
    header_list(req.headers())
}

/// Header pairs, names in lower case; `Set-Cookie` one value per pair.
pub fn header_list(h: &Headers) -> Vec<(String, String)> {
    h.entries()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect()
}

/// Header pairs as `Headers` (repeats appended).
pub fn to_headers(pairs: &[(String, String)]) -> Result<Headers> {
    let h = Headers::new();
    for (n, v) in pairs {
        h.append(n, v)?;
    }
    Ok(h)
}

/// The first header called `name`.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// `request.cf` as the core's [`Geo`].
pub fn cf_geo(req: &Request) -> Option<Geo> {
    let cf = req.cf()?;
    Some(Geo {
        country: cf.country(),
        region: cf.region_code(),
        is_eu: cf.is_eu_country(),
        continent: cf.continent(),
    })
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// 16 random bytes (Web Crypto).
pub fn random16() -> [u8; 16] {
    let mut b = [0u8; 16];
    if getrandom::getrandom(&mut b).is_err() {
        // Web Crypto is always there in workerd; never hand out a fixed id.
        let t = js_sys::Date::now().to_bits().to_le_bytes();
        b[..8].copy_from_slice(&t);
        b[8..].copy_from_slice(&(js_sys::Math::random().to_bits()).to_le_bytes());
    }
    b
}

/// A fixed body, never cached.
pub fn bytes_response(status: u16, content_type: &str, body: Vec<u8>) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    headers.set("cache-control", "no-store")?;
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .fixed(body))
}

/// A JSON body, never cached.
pub fn json_response(status: u16, value: &serde_json::Value) -> Result<Response> {
    bytes_response(status, "application/json", value.to_string().into_bytes())
}

/// A plain-text body, never cached.
pub fn text_response(status: u16, body: &str) -> Result<Response> {
    bytes_response(
        status,
        "text/plain; charset=utf-8",
        body.as_bytes().to_vec(),
    )
}
