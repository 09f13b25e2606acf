//! A page through the filter as `bench/filter.rs` measures it and
//! `examples/filter_pass.rs` counts its instructions: one code for both, so
//! the two figures are of the same work (`Catalog::embedded()`,
//! `Config::default()`, 16 KiB chunks).

use consent_edge::consent::Grants;
use consent_edge::filter::{Config, Filter, Page};
use consent_edge::trackers::Catalog;

/// The chunk size the origin's body arrives in.
pub const CHUNK: usize = 16 * 1024;

/// `html` filtered for a visitor with `grants`; returns the output's length.
pub fn filtered(html: &[u8], grants: Grants) -> usize {
    let page = Page {
        grants,
        ..Page::default()
    };
    let mut f = Filter::new(Catalog::embedded(), &Config::default(), page, None);
    let mut n = 0;
    for c in html.chunks(CHUNK) {
        n += f.write(c).len();
    }
    n + f.end().len()
}
