//! `/__consent/csp-report`: where browsers send the violation reports of
//! the worker's policy. Checked in this order, each refusal naming the
//! problem:
//!
//! | check | refusal |
//! |---|---|
//! | `[csp] mode = "off"` | 404 (the endpoint does not exist) |
//! | method other than `POST` | 405 with `Allow: POST` |
//! | `Content-Type` not `application/csp-report` / `application/reports+json` | 415 |
//! | declared or actual body over [`MAX_REPORT_BYTES`] | 413 |
//! | the isolate's token bucket is empty | 429 with `Retry-After` |
//! | not JSON, or not a CSP report | 400 |
//! | otherwise | 204, the unknown hosts go to the store |

use super::report::{parse_report, Known, ReportBodyError};
use super::{Sighting, TokenBucket};
use consent_edge_config::CspMode;

/// The largest report body read: 16 KiB. A Chromium `report-uri` report is
/// about 1 KiB (most of it the policy text, which grows with the host list
/// — up to the ~31 KiB of a policy with every category granted, which is
/// why browsers cut `original-policy`/`sample`, and why a body over this is
/// refused, not read).
pub const MAX_REPORT_BYTES: usize = 16 * 1024;

/// What the edge read of the request before its body.
#[derive(Debug, Clone, Copy)]
pub struct ReportRequest<'a> {
    /// `[csp] mode`.
    pub mode: CspMode,
    /// The method as sent.
    pub method: &'a str,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The `Content-Length` header, when it parses.
    pub content_length: Option<u64>,
}

/// Why a report was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// `[csp] mode = "off"`.
    #[error("not found")]
    Off,
    /// Not `POST`.
    #[error("method not allowed: use POST")]
    Method,
    /// Not a report content type.
    #[error("unsupported content type {0:?}: expected application/csp-report or application/reports+json")]
    MediaType(String),
    /// Too big.
    #[error("report body too large: at most {MAX_REPORT_BYTES} bytes")]
    TooLarge,
    /// The bucket is empty.
    #[error("too many reports: retry later")]
    RateLimited,
    /// The body is not a report.
    #[error("{0}")]
    Body(#[from] ReportBodyError),
}

impl ReportError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ReportError::Off => 404,
            ReportError::Method => 405,
            ReportError::MediaType(_) => 415,
            ReportError::TooLarge => 413,
            ReportError::RateLimited => 429,
            ReportError::Body(_) => 400,
        }
    }

    /// Extra headers of the refusal.
    pub fn headers(&self) -> Vec<(String, String)> {
        match self {
            ReportError::Method => vec![("allow".into(), "POST".into())],
            ReportError::RateLimited => vec![("retry-after".into(), "1".into())],
            _ => Vec::new(),
        }
    }
}

/// The body's shape, decided by its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/csp-report`.
    CspReport,
    /// `application/reports+json`.
    Reports,
}

/// The checks before the body is read: mode, method, content type,
/// declared length, then one token of `bucket` at `now_ms`.
pub fn check_head(
    req: &ReportRequest<'_>,
    bucket: &mut TokenBucket,
    now_ms: u64,
) -> Result<BodyKind, ReportError> {
    if req.mode == CspMode::Off {
        return Err(ReportError::Off);
    }
    if req.method != "POST" {
        return Err(ReportError::Method);
    }
    let ct = req.content_type.unwrap_or_default();
    let kind = match ct.parse::<mime::Mime>() {
        Ok(m) if m.type_() == "application" && m.subtype() == "csp-report" => BodyKind::CspReport,
        Ok(m) if m.type_() == "application" && m.essence_str() == "application/reports+json" => {
            BodyKind::Reports
        }
        _ => return Err(ReportError::MediaType(ct.chars().take(100).collect())),
    };
    if req
        .content_length
        .is_some_and(|n| n > MAX_REPORT_BYTES as u64)
    {
        return Err(ReportError::TooLarge);
    }
    if !bucket.take(now_ms) {
        return Err(ReportError::RateLimited);
    }
    Ok(kind)
}

/// The sightings of a body that passed [`check_head`].
pub fn accept_report(
    kind: BodyKind,
    body: &[u8],
    known: &Known<'_>,
) -> Result<Vec<Sighting>, ReportError> {
    if body.len() > MAX_REPORT_BYTES {
        return Err(ReportError::TooLarge);
    }
    Ok(parse_report(body, kind == BodyKind::Reports, known)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trackers::Catalog;

    fn head<'a>(method: &'a str, ct: Option<&'a str>, len: Option<u64>) -> ReportRequest<'a> {
        ReportRequest {
            mode: CspMode::Report,
            method,
            content_type: ct,
            content_length: len,
        }
    }

    #[test]
    fn every_refusal_names_its_problem_in_order() {
        let mut b = TokenBucket::new(100, 1.0);
        let csp = Some("application/csp-report");
        let off = ReportRequest {
            mode: CspMode::Off,
            ..head("POST", csp, None)
        };
        assert_eq!(check_head(&off, &mut b, 0), Err(ReportError::Off));
        let e = check_head(&head("GET", csp, None), &mut b, 0).unwrap_err();
        assert_eq!(
            (e.status(), e.headers()),
            (405, vec![("allow".into(), "POST".into())])
        );
        for ct in [
            None,
            Some("application/json"),
            Some("text/plain"),
            Some("nonsense"),
        ] {
            let e = check_head(&head("POST", ct, None), &mut b, 0).unwrap_err();
            assert_eq!(e.status(), 415, "{ct:?}");
            assert!(e.to_string().contains("application/csp-report"));
        }
        let big = head("POST", csp, Some(MAX_REPORT_BYTES as u64 + 1));
        assert_eq!(check_head(&big, &mut b, 0).unwrap_err().status(), 413);
        assert_eq!(
            check_head(
                &head(
                    "POST",
                    Some("Application/Reports+JSON; charset=utf-8"),
                    Some(10)
                ),
                &mut b,
                0
            ),
            Ok(BodyKind::Reports)
        );
        assert_eq!(
            check_head(&head("POST", csp, None), &mut b, 0),
            Ok(BodyKind::CspReport)
        );
    }

    #[test]
    fn the_bucket_limits_reports_and_bodies_are_bounded() {
        let mut b = TokenBucket::new(2, 0.0);
        let h = head("POST", Some("application/csp-report"), None);
        assert!(check_head(&h, &mut b, 0).is_ok());
        assert!(check_head(&h, &mut b, 0).is_ok());
        let e = check_head(&h, &mut b, 0).unwrap_err();
        assert_eq!(e.status(), 429);
        let known = Known {
            catalog: Catalog::embedded(),
            site_host: "shop.example",
            site_allow: &[],
        };
        let big = vec![b' '; MAX_REPORT_BYTES + 1];
        assert_eq!(
            accept_report(BodyKind::CspReport, &big, &known),
            Err(ReportError::TooLarge)
        );
        let e = accept_report(BodyKind::CspReport, b"[]", &known).unwrap_err();
        assert_eq!(e.status(), 400);
    }
}
