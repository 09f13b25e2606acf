//! Errors that know their source (pingora's `ErrorSource` idea): the
//! origin's are 502/504, the record store's 503, ours 500 — each with a
//! plain-text body that says what happened.

use std::fmt;

/// Why the worker answers itself instead of with the origin's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The origin could not be reached (connection refused, DNS, TLS …).
    OriginUnreachable(String),
    /// The origin sent no response headers within this many milliseconds.
    OriginTimeout(u64),
    /// The origin is misconfigured or answered something unusable.
    OriginInvalid(String),
    /// The request came back to the worker (zone origin = the worker).
    Loop,
    /// The proof-of-consent store (D1 or the queue) failed.
    Store(String),
    /// Too many responses stream through this isolate at once.
    Busy,
    /// A bug or a runtime error of ours.
    Internal(String),
}

impl Failure {
    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        match self {
            Failure::OriginUnreachable(_) | Failure::OriginInvalid(_) => 502,
            Failure::OriginTimeout(_) => 504,
            Failure::Loop => 508,
            Failure::Store(_) | Failure::Busy => 503,
            Failure::Internal(_) => 500,
        }
    }

    /// The plain-text body of the answer (one line, or a paragraph).
    pub fn body(&self) -> String {
        format!("consent-edge: {self}\n")
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::OriginUnreachable(e) => write!(f, "the origin could not be reached ({e})"),
            Failure::OriginTimeout(ms) => write!(f, "the origin did not answer within {ms} ms"),
            Failure::OriginInvalid(e) => write!(f, "{e}"),
            Failure::Loop => f.write_str(
                "this request came back to the worker: with ORIGIN empty the page is fetched \
                 from the zone's own origin, which here is the worker itself. Set ORIGIN, or run \
                 the dev environment (`make dev`).",
            ),
            Failure::Store(e) => write!(f, "the consent record store is unavailable ({e})"),
            Failure::Busy => f.write_str("too many responses in flight"),
            Failure::Internal(e) => write!(
                f,
                "internal error while handling this request ({e}); this is a bug in consent-edge, \
                 not in the site"
            ),
        }
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_source_has_its_status_and_names_the_problem() {
        let cases = [
            (
                Failure::OriginUnreachable("refused".into()),
                502,
                "the origin could not be reached (refused)",
            ),
            (
                Failure::OriginTimeout(1000),
                504,
                "did not answer within 1000 ms",
            ),
            (
                Failure::OriginInvalid("ORIGIN \"ftp://x\" must be an http(s) URL".into()),
                502,
                "must be an http(s) URL",
            ),
            (Failure::Loop, 508, "came back to the worker"),
            (
                Failure::Store("D1_ERROR".into()),
                503,
                "record store is unavailable (D1_ERROR)",
            ),
            (Failure::Busy, 503, "too many responses in flight"),
            (
                Failure::Internal("TypeError: x".into()),
                500,
                "internal error while handling this request (TypeError: x)",
            ),
        ];
        for (f, status, text) in cases {
            assert_eq!(f.status(), status, "{f:?}");
            let body = f.body();
            assert!(
                body.starts_with("consent-edge: ") && body.ends_with('\n'),
                "{body}"
            );
            assert!(body.contains(text), "{body}");
        }
    }
}
