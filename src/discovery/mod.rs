//! Tracker discovery from real traffic (`[csp] mode = "report"` or
//! `"enforce"`): what the site's pages load or set that nobody declared,
//! aggregated for the site owner. No crawler: the visitors' browsers report
//! what the worker's policy would refuse, and the worker looks at the
//! origin's own `Set-Cookie` headers.
//!
//! | file | concept |
//! |---|---|
//! | `report.rs` | a CSP violation report body → [`Sighting`]s of unknown hosts |
//! | `endpoint.rs` | `/__consent/csp-report`: method, size, content type, rate limit → status |
//! | `bucket.rs` | the per-isolate token bucket and the cookie sampler |
//! | `cookies.rs` | unknown `Set-Cookie` names of an origin response |
//! | `store.rs` | the D1 statements (`migrations/0002_discovery.sql`) |
//! | `admin.rs` | `/__consent/discovery`: the list with suggested catalog entries |
//!
//! Sans-IO like [`crate::records::admin`]: the clock is an input, the edge
//! runs the statements.

pub mod admin;
pub mod bucket;
pub mod cookies;
pub mod endpoint;
pub mod report;
pub mod store;

pub use bucket::{Sampler, TokenBucket};
pub use endpoint::{accept_report, ReportError, ReportRequest, MAX_REPORT_BYTES};
pub use report::{parse_report, Known};

/// What was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A third-party host (from a CSP report).
    Host,
    /// A cookie name (from the origin's `Set-Cookie`).
    Cookie,
}

impl Kind {
    /// The stored id.
    pub fn id(self) -> &'static str {
        match self {
            Kind::Host => "host",
            Kind::Cookie => "cookie",
        }
    }
}

/// One thing seen once, ready to aggregate. Never visitor data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sighting {
    /// Host or cookie.
    pub kind: Kind,
    /// The host (lower case) or the cookie name.
    pub name: String,
    /// The CSP directive, or `set-cookie`.
    pub directive: String,
    /// The page path, without query or fragment.
    pub path: String,
}

/// The longest stored name (a DNS name's limit).
pub const MAX_NAME: usize = 253;
/// The longest stored path; longer ones are cut (at a char boundary).
pub const MAX_PATH: usize = 512;

/// `path` cut to [`MAX_PATH`] bytes at a char boundary; `/` when empty.
pub fn bounded_path(path: &str) -> String {
    let mut end = path.len().min(MAX_PATH);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    match &path[..end] {
        "" => "/".into(),
        p => p.into(),
    }
}
