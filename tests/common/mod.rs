//! Helpers shared by the catalog tests (`catalog_snippets`,
//! `catalog_corpus`): the filter run for a visitor who refused everything,
//! whole and byte by byte, and a quick reading of the start tags it marked.

// Each test crate that includes this module uses its own subset.
#![allow(dead_code)]

use consent_edge::consent::Grants;
use consent_edge::filter::{Config, Filter, Page};
use consent_edge::trackers::Catalog;

/// The page of a visitor who refused everything, on `site_host` (`""`: no
/// host of its own is known).
pub fn refused_page(site_host: &str) -> Page {
    Page {
        grants: Grants::NECESSARY_ONLY,
        site_host: site_host.to_string(),
        ..Page::default()
    }
}

/// `html` through the filter with the default settings, written in pieces
/// of `chunk` bytes (`usize::MAX`: in one write).
pub fn filter(catalog: &'static Catalog, page: &Page, html: &[u8], chunk: usize) -> Vec<u8> {
    let mut f = Filter::new(catalog, &Config::default(), page.clone(), None);
    let mut out = Vec::new();
    for c in html.chunks(chunk.max(1)) {
        out.extend(f.write(c));
    }
    out.extend(f.end());
    out
}

/// `html` filtered in one write; the same output byte by byte is asserted
/// (the verdict must not depend on chunking).
pub fn filter_whole_and_bytewise(catalog: &'static Catalog, page: &Page, html: &[u8]) -> Vec<u8> {
    let whole = filter(catalog, page, html, usize::MAX);
    let bytewise = filter(catalog, page, html, 1);
    assert!(
        whole == bytewise,
        "chunking changed the output:\n{}\n---\n{}",
        String::from_utf8_lossy(&whole),
        String::from_utf8_lossy(&bytewise)
    );
    whole
}

/// The end (`>`) of the start tag whose text begins at `from` (just after
/// its `<` or its name), quote-aware.
pub fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for (i, &c) in b.iter().enumerate().skip(from) {
        match (quote, c) {
            (None, b'"' | b'\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The value of a double-quoted attribute in a start tag's text, as the
/// filter writes its own (` name="…"`).
pub fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let len = tag[at..].find('"')?;
    Some(&tag[at..at + len])
}

#[test]
fn tag_reading() {
    let out = "<img alt='a>b' data-consent-vendor=\"x\" src=\"/a\">rest";
    let end = tag_end(out.as_bytes(), 1).expect("an end");
    assert_eq!(&out[end..], ">rest");
    let tag = &out[..end];
    assert_eq!(attr(tag, "data-consent-vendor"), Some("x"));
    assert_eq!(attr(tag, "src"), Some("/a"));
    assert_eq!(attr(tag, "alt"), None, "single-quoted values are not read");
    assert_eq!(tag_end(b"<a title=\"x>", 1), None);
}
