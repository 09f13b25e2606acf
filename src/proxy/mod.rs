//! The proxy's decisions, as pure functions: the edge shell (the
//! `consent-edge-worker` crate, `crates/edge`) reads a request, asks these phases what to do
//! and carries out the answer. Named after pingora's proxy phases:
//!
//! | phase | function | decides |
//! |---|---|---|
//! | settings | [`Settings::from_lookup`] | the worker's vars and secrets, the origin |
//! | `request_filter` | [`Visit::new`], [`request_filter`] | consent state, route (via the path the origin will serve), endpoint / admin / proxy, method handling |
//! | `upstream_request` | [`upstream_request`] | origin URL, method, headers to forward (refused cookies out, no validators on navigations) |
//! | `response_filter` | [`response_filter`] | untouched / headers only / rewrite, `Set-Cookie` policy, expiries, cache policy, `Link` and `Refresh` |
//! | cache | [`cache::lookup`], [`cache::store_plan`] | may the shared copy of the origin's page answer, may the origin's answer become it, key and lifetime |
//! | document type, coding, charset | [`encoding::treat`], [`encoding::sniff`], [`DocumentBody`] | filter / pass / refuse; the body read as is or transcoded to UTF-8 |
//! | after a decision | [`decision`] | cookies to expire, the proof-of-consent record |
//! | errors | [`Failure`] | status and body by source: origin 502/504, store 503, ours 500 |
//!
//! Like [`crate::consent::endpoint::handle`], nothing here does I/O or reads
//! a clock: time is an input.

pub mod cache;
pub mod decision;
pub mod encoding;
mod failure;
pub mod link;
mod request;
mod response;
mod settings;
mod slab;
mod transcode;
mod upstream;
pub mod warm;

pub use failure::Failure;
pub use request::{
    authority, geo, request_filter, served_path, Dispatch, RequestFacts, Visit, ADMIN_ALLOW,
    HOP_HEADER,
};
pub use response::{
    allow_vendors, discovered_cookies, is_document, merge_vary, response_filter, Context,
    ResponseFacts, ResponsePlan, REWRITTEN_CACHE_CONTROL, REWRITTEN_VARY,
};
pub use settings::{OriginChoice, Settings, SettingsError, DEFAULT_ORIGIN_TIMEOUT_MS};
pub use slab::Slab;
pub use transcode::DocumentBody;
pub use upstream::{
    cookie_classifier, upstream_request, HeaderEdit, Upstream, CONDITIONAL_HEADERS,
};
