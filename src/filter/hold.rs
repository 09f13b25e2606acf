//! The output buffer and the hold: the text of an inline script (or of a
//! `<noscript>`) is kept back from its start tag until the filter knows
//! whether a refused vendor's signature is in it.
//!
//! lol_html has already written the start tag to the output when the text
//! arrives, and it cannot be changed any more through lol_html. So the
//! filter keeps everything from that start tag in [`Core::out`], and when a
//! script turns out to be a refused tracker it rebuilds the start tag itself
//! ([`Core::block_held_script`]), which needs the tag's length in the output
//! ([`start_tag_len`]).

use super::handlers::rewrite_fragment;
use super::policy::Ctx;
use super::Blocking;
use crate::consent::Category;
use crate::html::requote_raw;
use crate::markup;
use crate::trackers::Vendor;
use encoding_rs::Encoding;
use lol_html::{AsciiCompatibleEncoding, OutputSink};
use std::cell::RefCell;
use std::rc::Rc;

pub(super) enum HoldKind {
    /// An inline JavaScript script: its start tag's attributes.
    Script(Vec<(String, String)>),
    /// A `<script type="importmap">`: its start tag's attributes.
    ImportMap(Vec<(String, String)>),
    Noscript,
}

pub(super) struct Hold {
    kind: HoldKind,
    /// Where the held element starts in `Core::out`.
    pub(super) mark: usize,
    /// Length of its start tag, once known.
    tag_len: Option<usize>,
}

impl Hold {
    /// A hold of `kind` starting at `mark` in the output.
    pub(super) fn new(kind: HoldKind, mark: usize) -> Hold {
        Hold {
            kind,
            mark,
            tag_len: None,
        }
    }

    /// Whether this holds a `<noscript>` (else a script).
    pub(super) fn is_noscript(&self) -> bool {
        matches!(self.kind, HoldKind::Noscript)
    }
}

/// Mutable per-response state, shared by the handlers and the output sink.
pub(super) struct Core {
    pub(super) out: Vec<u8>,
    pub(super) encoding: &'static Encoding,
    pub(super) hold: Option<Hold>,
    /// Dropping output until the current script/noscript ends.
    pub(super) dropping: bool,
    /// The rewriter bailed out: ignore its raw flush.
    pub(super) bailed: bool,
    /// The raw-text element that is open (for the fail-safe tail).
    pub(super) open_raw: Option<&'static str>,
    pub(super) head_done: bool,
    pub(super) body_done: bool,
}

/// The per-response state, shared between the handlers and the sink.
pub(super) type SharedCore = Rc<RefCell<Core>>;

impl Core {
    /// An empty output in `encoding`; `head_done`/`body_done` when there is
    /// nothing to inject there.
    pub(super) fn new(encoding: &'static Encoding, head_done: bool, body_done: bool) -> Core {
        Core {
            out: Vec::new(),
            encoding,
            hold: None,
            dropping: false,
            bailed: false,
            open_raw: None,
            head_done,
            body_done,
        }
    }

    /// Starts holding at the current end of the output, unless something is
    /// held or dropped already.
    pub(super) fn start_hold(&mut self, kind: HoldKind) {
        if self.hold.is_none() && !self.dropping {
            self.hold = Some(Hold::new(kind, self.out.len()));
        }
    }

    fn push(&mut self, ctx: &Ctx, chunk: &[u8]) {
        if self.bailed || self.dropping {
            return;
        }
        self.out.extend_from_slice(chunk);
        if self.hold.is_some() {
            self.scan_hold(ctx, false);
        }
    }

    /// Looks at what is held; decides when a refused signature is found, at
    /// the end (`at_end`), or when too much is held.
    pub(super) fn scan_hold(&mut self, ctx: &Ctx, at_end: bool) {
        let Some(h) = self.hold.as_mut() else { return };
        let held = &self.out[h.mark..];
        if h.tag_len.is_none() {
            h.tag_len = start_tag_len(held);
        }
        let Some(tag_len) = h.tag_len else {
            if held.len() > ctx.max_held {
                // Not even a start tag: give up holding (cannot happen with lol_html output).
                self.hold = None;
            }
            return;
        };
        if h.is_noscript() {
            self.scan_noscript(ctx, tag_len, at_end);
        } else {
            self.scan_script(ctx, tag_len, at_end);
        }
    }

    /// A held inline script: look for refused signatures once it is whole.
    ///
    /// A script longer than `max_held` FAILS CLOSED (issue 12 class 10):
    /// without a refused signature in its first `max_held` bytes it is
    /// neutralised anyway, as the unknown vendor of the strictest category
    /// the visitor has not granted (re-activated once everything is), since
    /// the rest of it is never scanned. Everything granted: released.
    fn scan_script(&mut self, ctx: &Ctx, tag_len: usize, at_end: bool) {
        let Some(h) = self.hold.as_mut() else { return };
        let held = &self.out[h.mark..];
        let over = held.len() > tag_len + ctx.max_held;
        if matches!(h.kind, HoldKind::ImportMap(_)) {
            if at_end || over {
                let text = &self.out[h.mark + tag_len..];
                match crate::filter::code::importmap_refused(ctx, text, self.encoding, over) {
                    Some((cat, id)) => self.block_held_script(ctx, cat, &id),
                    None => self.hold = None,
                }
            }
            return;
        }
        if !(at_end || over) {
            return;
        }
        // Scanned once, when the script ends or is too long, and only its
        // first `max_held` bytes: the verdict is the same for every
        // chunking of the input. (It was scanned chunk by chunk as it
        // arrived, each time from `max_sig` bytes back, with no earlier
        // verdict: 3x the automaton calls on the corpus for nothing.)
        let text = &held[tag_len..held.len().min(tag_len + ctx.max_held)];
        let mut refused: Option<&Vendor> = None;
        if ctx.scan_scripts {
            // The plain scan, then what only the whole text shows:
            // signatures built from string pieces, tag IDs in calls. The
            // strictest refused vendor wins, the first found among equals.
            for v in ctx.catalog.match_inline(text) {
                if ctx.refused(v) && refused.is_none_or(|r| v.category > r.category) {
                    refused = Some(v);
                }
            }
        }
        let verdict = match (refused, over) {
            (Some(v), _) => Some((v.category, v.id.clone())),
            (None, true) => ctx
                .strictest_refused()
                .map(|c| (c, ctx.catalog.unknown_vendor().id.clone())),
            (None, false) => None,
        };
        match verdict {
            Some((cat, id)) => self.block_held_script(ctx, cat, &id),
            None => self.hold = None,
        }
    }

    /// A held `<noscript>`: at its end, its content (raw text to the parser)
    /// is rewritten as a fragment; one longer than `max_held` is dropped.
    fn scan_noscript(&mut self, ctx: &Ctx, tag_len: usize, at_end: bool) {
        let Some(h) = self.hold.as_ref() else { return };
        let mark = h.mark;
        if at_end {
            let content = self.out[mark + tag_len..].to_vec();
            self.out.truncate(mark + tag_len);
            let rewritten = rewrite_fragment(ctx, &content, self.encoding);
            self.out.extend_from_slice(&rewritten);
            self.hold = None;
        } else if self.out.len() - mark > ctx.max_held {
            self.out.truncate(mark + tag_len);
            self.hold = None;
            self.dropping = true;
        }
    }

    /// The held script is refused (category `cat`, vendor id `vendor`):
    /// remove it, or rebuild its start tag as an inert `text/plain` script.
    fn block_held_script(&mut self, ctx: &Ctx, cat: Category, vendor: &str) {
        let Some(h) = self.hold.take() else { return };
        let (HoldKind::Script(attrs) | HoldKind::ImportMap(attrs), Some(tag_len)) =
            (h.kind, h.tag_len)
        else {
            return;
        };
        ctx.saw(cat);
        match ctx.blocking {
            Blocking::Remove => {
                self.out.truncate(h.mark);
                self.dropping = true;
            }
            Blocking::Neutralize => {
                let tag = neutralized_script_tag(&attrs, cat, vendor, &ctx.token);
                let text = self.out.split_off(h.mark + tag_len);
                self.out.truncate(h.mark);
                let (bytes, _, _) = self.encoding.encode(&tag);
                self.out.extend_from_slice(&bytes);
                self.out.extend_from_slice(&text);
            }
        }
    }
}

/// The start tag of a neutralised inline script: its attributes as written
/// (less `type` and any stale markers), `type="text/plain"`, the original
/// type in `data-consent-type`, and the category and vendor.
fn neutralized_script_tag(
    attrs: &[(String, String)],
    cat: Category,
    vendor: &str,
    token: &str,
) -> String {
    let mut tag = String::from("<script");
    let mut orig_type = None;
    let push_attr = |tag: &mut String, name: &str, value: &str| {
        tag.push(' ');
        tag.push_str(name);
        tag.push_str("=\"");
        tag.push_str(&requote_raw(value));
        tag.push('"');
    };
    for (n, val) in attrs {
        if n.eq_ignore_ascii_case("type") {
            orig_type = Some(val);
            continue;
        }
        if [
            markup::TYPE,
            markup::CATEGORY,
            markup::VENDOR,
            markup::TOKEN,
        ]
        .iter()
        .any(|m| n.eq_ignore_ascii_case(m))
        {
            continue;
        }
        push_attr(&mut tag, n, val);
    }
    tag.push_str(" type=\"text/plain\"");
    if let Some(t) = orig_type {
        push_attr(&mut tag, markup::TYPE, t);
    }
    push_attr(&mut tag, markup::CATEGORY, cat.id());
    push_attr(&mut tag, markup::VENDOR, vendor);
    if !token.is_empty() {
        push_attr(&mut tag, markup::TOKEN, token);
    }
    tag.push('>');
    tag
}

/// Length of the start tag at the beginning of `b` (the HTML tokenizer's
/// rules for attribute quoting), `None` if it is not complete.
///
/// Why a second tokenizer: lol_html (3.0) tells a handler neither where an
/// element starts in the output nor how long its serialised start tag is —
/// `Element` has no byte offsets, and its output sink receives plain chunks.
/// The hold needs exactly that to rewrite a start tag after lol_html has
/// emitted it, so this re-reads the tag lol_html just wrote (always
/// well-formed: lol_html's own serialisation). Only quoting matters for
/// where the `>` is; nothing here interprets the attributes.
pub(super) fn start_tag_len(b: &[u8]) -> Option<usize> {
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    let n = b.len();
    if b.first() != Some(&b'<') {
        return None;
    }
    let mut i = 1;
    while i < n && !ws(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    loop {
        while i < n && (ws(b[i]) || b[i] == b'/') {
            i += 1;
        }
        if i >= n {
            return None;
        }
        if b[i] == b'>' {
            return Some(i + 1);
        }
        i += 1;
        while i < n && !ws(b[i]) && b[i] != b'/' && b[i] != b'>' && b[i] != b'=' {
            i += 1;
        }
        while i < n && ws(b[i]) {
            i += 1;
        }
        if i < n && b[i] == b'=' {
            i += 1;
            while i < n && ws(b[i]) {
                i += 1;
            }
            if i >= n {
                return None;
            }
            match b[i] {
                q @ (b'"' | b'\'') => {
                    i += 1;
                    while i < n && b[i] != q {
                        i += 1;
                    }
                    if i >= n {
                        return None;
                    }
                    i += 1;
                }
                b'>' => return Some(i + 1),
                _ => {
                    while i < n && !ws(b[i]) && b[i] != b'>' {
                        i += 1;
                    }
                }
            }
        }
    }
}

/// lol_html's output sink: everything goes through [`Core::push`].
pub(super) struct Sink {
    pub(super) core: SharedCore,
    pub(super) ctx: Rc<Ctx>,
}

impl OutputSink for Sink {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        if !chunk.is_empty() {
            self.core.borrow_mut().push(&self.ctx, chunk);
        }
    }

    fn set_encoding(&mut self, enc: AsciiCompatibleEncoding) {
        self.core.borrow_mut().encoding = enc.into();
    }
}

#[cfg(test)]
mod tests {
    use super::start_tag_len;

    #[test]
    fn start_tags_end_where_the_tokenizer_ends_them() {
        let cases: [(&[u8], Option<usize>); 8] = [
            (b"<script>x", Some(8)),
            (b"<script a=\"1>2\" b='>'>x", Some(22)),
            (b"<script a=1>x", Some(12)),
            (b"<script a=>x", Some(11)),
            (b"<script/ a / >x", Some(14)),
            (b"<script a=\"unterminated", None),
            (b"<script", None),
            (b"x<script>", None),
        ];
        for (b, want) in cases {
            assert_eq!(start_tag_len(b), want, "{}", String::from_utf8_lossy(b));
        }
    }
}
