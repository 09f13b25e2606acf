//! # consent-edge
//!
//! Cookie consent enforced at the edge. A Cloudflare Worker reads (or sets) the
//! visitor's consent cookie, picks the legal regime from the request's
//! geolocation, and streams the origin's HTML through a rewriter that
//! neutralises every tracker the visitor has not agreed to — before the
//! browser ever sees it.
//!
//! The crate is the pure core: plain Rust that builds and tests natively,
//! with no wasm-only dependency. The thin edge shell, the only code touching
//! the `worker` crate, is its own crate (`crates/edge`, package
//! `consent-edge-worker`), the worker's cdylib.
//!
//! | module | concept |
//! |---|---|
//! | [`model`] | the consent vocabulary: categories, grants, the decision and its method (a leaf) |
//! | [`consent`] | the signed cookie, the effective state, the `/__consent` endpoint, cookie enforcement |
//! | [`jurisdiction`] | geolocation → legal regime → banner variant |
//! | [`config`] | `consent.toml` + `trackers.toml` as one validated value (types and validation: the `consent-edge-config` crate, also run by `build.rs`) |
//! | [`trackers`] | the vendor catalog and host matching |
//! | [`filter`] | the lol_html streaming rewriter |
//! | [`html`] | HTML escaping and character-reference decoding, shared |
//! | [`markup`] | the `data-consent-*` vocabulary shared by the filter and the banner script |
//! | [`banner`] | banner, cookie declaration and consent status rendering, i18n |
//! | [`records`] | the proof-of-consent log |
//! | [`proxy`] | the proxy's decisions: route, origin request, response policy |
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod banner;
pub mod config;
pub mod consent;
pub mod csp;
pub mod discovery;
pub mod filter;
pub mod guard;
pub mod html;
pub mod jurisdiction;
pub mod markup;
pub mod model;
pub mod proxy;
pub mod records;
pub mod trackers;

/// The former name of [`config`], kept while callers move over.
pub mod rules {
    pub use crate::config::*;
}
