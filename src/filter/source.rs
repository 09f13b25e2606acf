//! The last input bytes a filter was given, so that a handler can read an
//! attribute's name and value as the source spelled them
//! ([`lol_html::html_content::Attribute::name_source_location`]) instead of
//! through `Attribute::name`/`value`, which decode and allocate a `String`
//! every time: 8 % of the filter's time in V8 when read on every attribute
//! of every element (docs/BENCHMARKS.md, "Wasm path, stop 13").
//!
//! Only the chunk being written and the one before are kept (a copy, ≤ two
//! chunks): an attribute outside them (a start tag longer than a chunk) is
//! not found, and the caller reads it through lol_html as before.

use lol_html::html_content::{Attribute, Element};
use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

/// The window over the input, shared by a filter and its code handler.
pub(super) type SharedSource = Rc<RefCell<Source>>;

/// The bytes of the last two chunks written, and where they start in the
/// input.
#[derive(Debug, Default)]
pub(super) struct Source {
    /// Offset in the input of `bytes[0]`.
    start: usize,
    /// The previous chunk, then the current one.
    bytes: Vec<u8>,
    /// Length of the current chunk (the tail of `bytes`).
    current: usize,
}

impl Source {
    /// Called with each chunk before the rewriter sees it.
    pub(super) fn push(&mut self, chunk: &[u8]) {
        let drop = self.bytes.len() - self.current;
        self.bytes.drain(..drop);
        self.start += drop;
        self.bytes.extend_from_slice(chunk);
        self.current = chunk.len();
    }

    /// The input bytes at `range` (offsets in the input), if still held.
    pub(super) fn get(&self, range: Range<usize>) -> Option<&[u8]> {
        let from = range.start.checked_sub(self.start)?;
        self.bytes.get(from..from + range.len())
    }
}

impl Source {
    /// The element's tag name as the input spells it, when its start tag
    /// is held and the name is plain ASCII (no control, space or byte
    /// ≥ 0x80, which lol_html's decoding could read otherwise). Debug
    /// builds check it against lol_html's own reading.
    pub(super) fn tag_name(&self, el: &Element) -> Option<&[u8]> {
        let tag = self.get(el.source_location().bytes())?;
        let rest = tag.strip_prefix(b"<")?;
        let end = rest
            .iter()
            .position(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'/' | b'>'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if name.is_empty() || name.iter().any(|b| *b <= b' ' || *b >= 0x80) {
            return None;
        }
        debug_assert_eq!(
            el.tag_name().as_bytes(),
            name.to_ascii_lowercase(),
            "tag name"
        );
        Some(name)
    }

    /// An attribute's name as the input spells it, when held and not led
    /// by a byte ≥ 0x80 (a byte-order mark can make lol_html read other
    /// characters). Debug builds check it against lol_html's reading.
    pub(super) fn attr_name(&self, a: &Attribute<'_>) -> Option<&[u8]> {
        let name = self.get(a.name_source_location()?.bytes())?;
        if name.first().is_none_or(|b| *b >= 0x80) {
            return None;
        }
        #[cfg(debug_assertions)]
        if name.is_ascii() {
            debug_assert_eq!(
                a.name().as_bytes(),
                name.to_ascii_lowercase(),
                "attribute name"
            );
        }
        Some(name)
    }
}

/// Test support: `page` through lol_html with `settings`, in chunks of
/// `chunk` bytes, each pushed into `source` before the rewriter sees it
/// (as [`super::Filter`] writes), for handlers that read the window.
#[cfg(test)]
pub(super) fn rewrite_in_chunks(
    settings: lol_html::Settings<'_, '_>,
    source: &RefCell<Source>,
    page: &[u8],
    chunk: usize,
) {
    let mut rw = lol_html::HtmlRewriter::new(settings, |_: &[u8]| {});
    for c in page.chunks(chunk) {
        source.borrow_mut().push(c);
        rw.write(c).unwrap();
    }
    rw.end().unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_two_chunks() {
        let mut s = Source::default();
        s.push(b"abc");
        assert_eq!(s.get(0..3), Some(&b"abc"[..]));
        s.push(b"defg");
        assert_eq!(s.get(1..5), Some(&b"bcde"[..]));
        s.push(b"hi");
        assert_eq!(
            s.get(2..3),
            None,
            "the chunk before the previous one is gone"
        );
        assert_eq!(s.get(3..9), Some(&b"defghi"[..]));
        assert_eq!(s.get(8..10), None, "past the end");
        s.push(b"");
        assert_eq!(s.get(7..9), Some(&b"hi"[..]));
        assert_eq!(s.get(6..9), None);
    }
}
