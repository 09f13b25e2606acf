//! The shipped catalog as `static` data (issues 14 and 16): `build.rs`
//! validates `trackers.toml` and `consent.toml`, then writes
//! `$OUT_DIR/catalog.rs` and `catalog.txt` (`buildscript/catalog.rs`),
//! included below: the catalog file packed into one string
//! (`trackers/packed.rs`), and the lookup tables of the configured catalog
//! (`trackers.toml` merged with `consent.toml` `[trackers]`) already sorted
//! ([`super::tables::rows`]). Nothing is parsed at request time: the
//! vendors are unpacked once per isolate into the config crate's owned
//! types (one pass, each string a slice of the text until it is copied),
//! the host, cookie and signature tables are used in place.

use super::{packed, tables, Catalog, CatalogFile, Config, Row, Tables};
use consent_edge_config::trackers::merge;
use std::borrow::Cow;

// PLAIN_SETTINGS, HOSTS, HOST_BUCKET_SIZES, COOKIES, COOKIE_PREFIXES.
include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

/// `trackers.toml` packed into one string (`trackers/packed.rs`).
pub(crate) static PACKED: &str = include_str!(concat!(env!("OUT_DIR"), "/catalog.txt"));

/// `trackers.toml` as data, unpacked from [`PACKED`] (the shell does it
/// once: `config::Config::embedded`). Panics if the text does not unpack,
/// which `build.rs` rules out (it unpacks what it wrote and compares).
pub(crate) fn static_catalog_file() -> CatalogFile {
    packed::unpack(PACKED)
        .unwrap_or_else(|| panic!("catalog.txt, written by build.rs, does not unpack"))
}

/// The catalog of `file` (the embedded `trackers.toml`) with `cfg` (the
/// embedded `consent.toml` `[trackers]`) applied, on the build-time
/// tables. Both must be the embedded ones: they are what `build.rs`
/// compiled the tables for (`config::Catalog::configured` passes them).
pub(crate) fn static_catalog(
    file: &CatalogFile,
    cfg: &Config,
) -> Result<Catalog, consent_edge_config::Invalid> {
    let vendors = merge(file, cfg)?;
    // Two tables are cheaper to remake than to ship (2,048 bucket starts
    // from their sizes, 1,490 signature rows in catalog order: a few
    // microseconds once per isolate, 5 KB less wasm raw, 2 KB gzip).
    let mut host_buckets = Vec::with_capacity(HOST_BUCKET_SIZES.len() + 1);
    let mut start = 0u16;
    host_buckets.push(start);
    for &n in HOST_BUCKET_SIZES {
        start = start.saturating_add(u16::from(n));
        host_buckets.push(start);
    }
    let tables = Tables {
        hosts: Cow::Borrowed(HOSTS),
        host_buckets: Cow::Owned(host_buckets),
        cookies: Cow::Borrowed(COOKIES),
        cookie_prefixes: Cow::Borrowed(COOKIE_PREFIXES),
        signatures: super::row_table(tables::signature_rows(&vendors))?,
    };
    Ok(Catalog::assemble(
        file,
        vendors,
        tables,
        Default::default(),
        cfg,
    ))
}
