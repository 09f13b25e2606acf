//! The shipped catalog as `static` data (issues 14 and 16): `build.rs`
//! validates `trackers.toml` and `consent.toml`, then writes
//! `$OUT_DIR/catalog.rs` (`buildscript/catalog.rs`), included below: the
//! vendor table as rows of `&'static str`, and the lookup tables of the
//! configured catalog (`trackers.toml` merged with `consent.toml`
//! `[trackers]`) already sorted ([`super::tables::rows`]). Nothing is parsed
//! at request time: the vendors are copied into the config crate's owned
//! types, the host, cookie and signature tables are used in place.

use super::{Catalog, CatalogFile, Config, Row, Tables};
use crate::model::Category;
use consent_edge_config::trackers::merge;
use consent_edge_config::{Library, SelfHosted, TagIds, Vendor};
use std::borrow::Cow;

/// One `[[vendor]]` of `trackers.toml`.
pub(crate) struct VendorRow {
    id: &'static str,
    name: &'static str,
    category: Category,
    hosts: &'static [&'static str],
    scripts: &'static [&'static str],
    cookies: &'static [&'static str],
    cookie_prefixes: &'static [&'static str],
    source: &'static str,
    self_hosted: &'static [SelfHostedRow],
}

/// One `[[vendor.self_hosted]]` rule.
pub(crate) struct SelfHostedRow {
    file: &'static str,
    dir: Option<&'static str>,
    attribute: Option<&'static str>,
    query: Option<&'static str>,
}

/// One `[[tag_ids]]` family.
pub(crate) struct TagIdsRow {
    name: &'static str,
    urls: &'static [&'static str],
    paths: &'static [&'static str],
    param: &'static str,
    calls: &'static [&'static str],
    keys: &'static [&'static str],
    prefixes: &'static [(&'static str, &'static str)],
    source: &'static str,
}

/// One `[[library]]`.
pub(crate) struct LibraryRow {
    name: &'static str,
    hosts: &'static [&'static str],
    source: &'static str,
}

// VENDORS, TAG_IDS, LIBRARIES, PLAIN_SETTINGS, HOSTS, COOKIES,
// COOKIE_PREFIXES, SIGNATURES.
include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn opt(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

impl VendorRow {
    fn to_vendor(&self) -> Vendor {
        Vendor {
            id: self.id.into(),
            name: self.name.into(),
            category: self.category,
            hosts: strings(self.hosts),
            scripts: strings(self.scripts),
            cookies: strings(self.cookies),
            cookie_prefixes: strings(self.cookie_prefixes),
            source: self.source.into(),
            self_hosted: self
                .self_hosted
                .iter()
                .map(|r| SelfHosted {
                    file: r.file.into(),
                    dir: opt(r.dir),
                    attribute: opt(r.attribute),
                    query: opt(r.query),
                })
                .collect(),
            allowed: false,
        }
    }
}

impl TagIdsRow {
    fn to_tag_ids(&self) -> TagIds {
        TagIds {
            name: self.name.into(),
            urls: strings(self.urls),
            paths: strings(self.paths),
            param: self.param.into(),
            calls: strings(self.calls),
            keys: strings(self.keys),
            prefixes: self
                .prefixes
                .iter()
                .map(|(p, v)| (p.to_string(), v.to_string()))
                .collect(),
            source: self.source.into(),
        }
    }
}

/// `trackers.toml` as data, copied from the static rows (the shell does it
/// once: `config::Config::embedded`).
pub(crate) fn static_catalog_file() -> CatalogFile {
    CatalogFile {
        vendor: VENDORS.iter().map(VendorRow::to_vendor).collect(),
        tag_ids: TAG_IDS.iter().map(TagIdsRow::to_tag_ids).collect(),
        library: LIBRARIES
            .iter()
            .map(|l| Library {
                name: l.name.into(),
                hosts: strings(l.hosts),
                source: l.source.into(),
            })
            .collect(),
    }
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
    let tables = Tables {
        hosts: Cow::Borrowed(HOSTS),
        host_buckets: Cow::Borrowed(HOST_BUCKETS),
        cookies: Cow::Borrowed(COOKIES),
        cookie_prefixes: Cow::Borrowed(COOKIE_PREFIXES),
        signatures: Cow::Borrowed(SIGNATURES),
    };
    Ok(Catalog::assemble(
        file,
        vendors,
        tables,
        Default::default(),
        cfg,
    ))
}
