//! Errors of the shell, typed by source, and the answer each one gets.

use super::http::text_response;
use consent_edge::proxy::Failure;
use worker::{console_error, Response};

/// Why a request could not be answered with the origin's response.
#[derive(Debug)]
pub enum EdgeError {
    /// Reaching the origin failed (502).
    Origin(worker::Error),
    /// The record store failed (503). Until the pure admin handler is wired
    /// in, `records.rs` answers its own store failures (same status).
    #[allow(dead_code)]
    Store(worker::Error),
    /// The runtime failed us (500).
    Internal(worker::Error),
    /// The core decided to answer with this failure.
    Planned(Failure),
}

impl From<worker::Error> for EdgeError {
    /// Every runtime error not attributed to the origin or the store at its
    /// call site is ours.
    fn from(e: worker::Error) -> Self {
        EdgeError::Internal(e)
    }
}

impl From<Failure> for EdgeError {
    fn from(f: Failure) -> Self {
        EdgeError::Planned(f)
    }
}

impl EdgeError {
    /// The core's description of this error.
    pub fn failure(self) -> Failure {
        match self {
            EdgeError::Origin(e) => Failure::OriginUnreachable(e.to_string()),
            EdgeError::Store(e) => Failure::Store(e.to_string()),
            EdgeError::Internal(e) => Failure::Internal(e.to_string()),
            EdgeError::Planned(f) => f,
        }
    }

    /// The plain-text answer: status by source, body naming the problem.
    pub fn into_response(self) -> worker::Result<Response> {
        let f = self.failure();
        if f != Failure::Loop {
            console_error!("consent-edge: {f}");
        }
        text_response(f.status(), &f.body())
    }
}
