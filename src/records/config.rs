//! `[records]` in `consent.toml` (defined with the rest of the configuration
//! in `consent-edge-config`, so `build.rs` validates it before deploy).

pub use consent_edge_config::RecordsSettings as Config;
