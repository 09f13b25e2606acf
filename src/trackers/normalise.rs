//! Inline script text as the catalog's signatures expect it: host names
//! built from string pieces put back together (issue 14).
//!
//! Snippets hide their loader URL from naive matching in three ways seen in
//! the wild: string concatenation (`'//static.'+'hot'+'jar.com'`), arrays of
//! pieces joined at run time (`['https://connect','facebook','net'].join('.')`)
//! and JSON-escaped slashes (`platform.twitter.com\/widgets.js`). This module
//! undoes exactly those three, and nothing else: the result is only ever
//! *searched* for signatures (never served), and the joints it removes are a
//! quote, `+`, and a quote — text that cannot be part of a host name, so a
//! signature found afterwards was spelled out by the script's own strings.
//!
//! Bytes, not `str`: the held script is in the page's encoding (any
//! ASCII-compatible one), and every byte looked at here is ASCII.

use memchr::{memchr, memchr2, memchr3_iter, memmem};
use std::borrow::Cow;
use std::ops::Range;

/// The longest `[…]` literal folded by `.join(…)` (bytes): a loader's
/// pieces are a few dozen bytes, and the bound keeps the look-back linear.
const MAX_ARRAY: usize = 512;

/// A script's text as normalised, and where it differs from the text as
/// written.
#[derive(Debug)]
pub(crate) struct Normalised<'a> {
    /// The normalised text; borrowed when nothing was undone.
    pub(crate) text: Cow<'a, [u8]>,
    /// Ranges of `text` (sorted by start) that are not the written text
    /// in place: bytes a step made up (a joined array), or an empty range
    /// where a step removed bytes (a joint, the `\` of `\/`). A stretch of
    /// `text` that no range overlaps and no empty range cuts is a
    /// substring of the written text, so a signature found there was
    /// found in the written text already (`Catalog::match_inline` scans
    /// only around these ranges).
    pub(crate) changed: Vec<Range<usize>>,
}

/// One step's change: input `inp` became output `out` (`out` empty: the
/// bytes were removed). A step's edits are sorted and disjoint.
#[derive(Debug, Clone, Copy)]
struct Edit {
    inp: (usize, usize),
    out: (usize, usize),
}

/// `text` with string joints removed, literal arrays joined and `\/`
/// unescaped, with the places that changed; borrowed when there is
/// nothing to undo (the usual case).
pub(crate) fn normalise(text: &[u8]) -> Normalised<'_> {
    let mut changed = Vec::new();
    if !needs_work(text) {
        return Normalised {
            text: Cow::Borrowed(text),
            changed,
        };
    }
    let (unescaped, edits) = unescape_slashes(text);
    push_edits(&mut changed, &edits);
    // Most scripts have joints but no `].join(`: no copy for that step.
    let joined = if memmem::find(&unescaped, b"].join(").is_some() {
        let (joined, edits) = join_arrays(&unescaped);
        map_through(&mut changed, &edits);
        push_edits(&mut changed, &edits);
        Cow::Owned(joined)
    } else {
        unescaped
    };
    let (stripped, edits) = strip_joints(&joined);
    map_through(&mut changed, &edits);
    push_edits(&mut changed, &edits);
    let text = match stripped {
        Some(s) => Cow::Owned(s),
        None => match joined {
            Cow::Owned(j) => Cow::Owned(j),
            // Nothing undone after all (a quote before a `+` that starts
            // no joint is common in minified code): no copy.
            Cow::Borrowed(_) => Cow::Borrowed(text),
        },
    };
    Normalised { text, changed }
}

/// Adds a step's own output ranges to `changed` (kept sorted by start:
/// the earlier steps' ranges, already mapped into this step's output,
/// are merged with them).
fn push_edits(changed: &mut Vec<Range<usize>>, edits: &[Edit]) {
    if edits.is_empty() {
        return;
    }
    changed.extend(edits.iter().map(|e| e.out.0..e.out.1));
    changed.sort_by_key(|r| (r.start, r.end));
}

/// Maps ranges of a step's input onto its output: a range end inside an
/// edited stretch widens to the whole of its output.
fn map_through(changed: &mut [Range<usize>], edits: &[Edit]) {
    for r in changed {
        let (s, e) = (
            map_point(edits, r.start, false),
            map_point(edits, r.end, true),
        );
        *r = s..e.max(s);
    }
}

/// Where input position `x` (a boundary between two bytes) lands in the
/// output; inside an edit, at the start of its output (`end`: at its end).
fn map_point(edits: &[Edit], x: usize, end: bool) -> usize {
    let k = edits.partition_point(|e| e.inp.0 < x);
    // Edits before `k` start before `x`; the one just before may hold it.
    let Some(e) = k.checked_sub(1).and_then(|i| edits.get(i)) else {
        return x;
    };
    if x >= e.inp.1 {
        x - e.inp.1 + e.out.1
    } else if end {
        e.out.1
    } else {
        e.out.0
    }
}

/// Whether any of the three constructs can be in `text`: a `\/`, a quote
/// before a `+` (spaces allowed), or `].join(`.
fn needs_work(text: &[u8]) -> bool {
    // Only at these three bytes, found by memchr many bytes at a time, as
    // the other searches here. The byte-by-byte loops they replace were
    // 232 M instructions in two corpus passes (nothing granted), with
    // memchr 17 M (callgrind, `examples/filter_pass.rs`).
    memchr3_iter(b'\\', b'+', b']', text).any(|i| match text[i] {
        b'\\' => text.get(i + 1) == Some(&b'/'),
        b'+' => prev_non_space(text, i).is_some_and(|j| is_quote(text[j])),
        _ => text[i + 1..].starts_with(b".join("),
    })
}

fn is_quote(b: u8) -> bool {
    b == b'\'' || b == b'"'
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Index of the last non-space byte before `i`.
fn prev_non_space(text: &[u8], i: usize) -> Option<usize> {
    text[..i].iter().rposition(|b| !is_space(*b))
}

/// Index of the first non-space byte at or after `i`.
fn next_non_space(text: &[u8], i: usize) -> Option<usize> {
    text.get(i..)?
        .iter()
        .position(|b| !is_space(*b))
        .map(|p| p + i)
}

/// `\/` → `/` (JSON and JavaScript both allow the escape); borrowed when
/// there is none. The text between backslashes is copied as whole runs
/// (a byte at a time was most of this module's cost on the corpus).
fn unescape_slashes(text: &[u8]) -> (Cow<'_, [u8]>, Vec<Edit>) {
    let mut edits = Vec::new();
    if memmem::find(text, b"\\/").is_none() {
        return (Cow::Borrowed(text), edits);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(p) = memchr(b'\\', &text[i..]) {
        let b = i + p;
        out.extend_from_slice(&text[i..b]);
        if text.get(b + 1) == Some(&b'/') {
            edits.push(Edit {
                inp: (b, b + 1),
                out: (out.len(), out.len()),
            });
            out.push(b'/');
            i = b + 2;
        } else {
            out.push(b'\\');
            i = b + 1;
        }
    }
    out.extend_from_slice(&text[i..]);
    (Cow::Owned(out), edits)
}

/// `'a' + 'b'` → `'ab'`: a closing quote, `+`, an opening quote (spaces
/// around the `+` allowed; the two quotes may differ) are dropped. `None`
/// when there is no joint (no copy made).
fn strip_joints(text: &[u8]) -> (Option<Vec<u8>>, Vec<Edit>) {
    let mut out: Option<Vec<u8>> = None;
    let mut edits = Vec::new();
    // `copied`: where the text not yet in `out` starts; runs between
    // quotes are copied whole.
    let (mut i, mut copied) = (0, 0);
    while let Some(p) = memchr2(b'\'', b'"', &text[i..]) {
        let q = i + p;
        match joint_end(text, q) {
            Some(end) => {
                let o = out.get_or_insert_with(|| Vec::with_capacity(text.len()));
                o.extend_from_slice(&text[copied..q]);
                edits.push(Edit {
                    inp: (q, end),
                    out: (o.len(), o.len()),
                });
                (i, copied) = (end, end);
            }
            None => i = q + 1,
        }
    }
    if let Some(o) = out.as_mut() {
        o.extend_from_slice(&text[copied..]);
    }
    (out, edits)
}

/// If a joint starts at the quote `q`, the index just after it.
fn joint_end(text: &[u8], q: usize) -> Option<usize> {
    let plus = next_non_space(text, q + 1)?;
    if text[plus] != b'+' || text.get(plus + 1) == Some(&b'+') {
        return None;
    }
    let open = next_non_space(text, plus + 1)?;
    is_quote(text[open]).then_some(open + 1)
}

/// `['a','b'].join('.')` → `'a.b'` when every element is a plain string
/// literal (no escapes, no expressions); anything else is left as written.
fn join_arrays(text: &[u8]) -> (Vec<u8>, Vec<Edit>) {
    const JOIN: &[u8] = b".join(";
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut edits: Vec<Edit> = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i] == b']' && text[i + 1..].starts_with(JOIN) {
            let sep_at = i + 1 + JOIN.len();
            if let Some((sep, after)) = literal_then_paren(text, sep_at) {
                if let Some(joined) = fold_array(&out, sep) {
                    let from = fold_start(&mut edits, joined.0);
                    out.truncate(joined.0);
                    out.push(b'\'');
                    out.extend_from_slice(&joined.1);
                    out.push(b'\'');
                    edits.push(Edit {
                        inp: (from.0, after),
                        out: (from.1, out.len()),
                    });
                    i = after;
                    continue;
                }
            }
        }
        out.push(text[i]);
        i += 1;
    }
    (out, edits)
}

/// Where a fold whose `[` is at output `lb` starts, in the input and the
/// output: the edits of earlier folds from `lb` on are taken into it (an
/// array of already joined pieces, or a `[` inside a joined piece).
fn fold_start(edits: &mut Vec<Edit>, lb: usize) -> (usize, usize) {
    while let Some(e) = edits.last().copied() {
        if e.out.1 <= lb {
            // Before the fold: output and input advance alike since.
            return (lb - e.out.1 + e.inp.1, lb);
        }
        edits.pop();
        if e.out.0 <= lb {
            // `lb` in a joined piece: the bytes of it before `lb` stay,
            // so the new edit covers them too.
            return (e.inp.0, e.out.0);
        }
    }
    (lb, lb)
}

/// A string literal starting at `at` (spaces allowed before it), then `)`:
/// its content and the index after the `)`.
fn literal_then_paren(text: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let open = next_non_space(text, at)?;
    let (content, end) = literal(text, open)?;
    let close = next_non_space(text, end)?;
    (text[close] == b')').then_some((content, close + 1))
}

/// The plain string literal (no backslash) whose opening quote is at
/// `open`: its content and the index after its closing quote.
fn literal(text: &[u8], open: usize) -> Option<(&[u8], usize)> {
    let q = *text.get(open)?;
    if !is_quote(q) {
        return None;
    }
    let len = text[open + 1..]
        .iter()
        .position(|&b| b == q || b == b'\\' || b == b'\n')?;
    (text[open + 1 + len] == q).then(|| (&text[open + 1..open + 1 + len], open + len + 2))
}

/// `out` ends with `[ 'a' , 'b' ]` (before the `]` not yet pushed): where
/// the `[` is and the elements joined with `sep`.
fn fold_array(out: &[u8], sep: &[u8]) -> Option<(usize, Vec<u8>)> {
    let floor = out.len().saturating_sub(MAX_ARRAY);
    let lb = out[floor..].iter().rposition(|&b| b == b'[')? + floor;
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut at = lb + 1;
    while let Some(start) = next_non_space(out, at) {
        let (content, end) = literal(out, start)?;
        parts.push(content);
        match next_non_space(out, end) {
            None => break,
            Some(c) if out[c] == b',' => at = c + 1,
            Some(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| (lb, parts.join(sep)))
}

#[cfg(test)]
mod tests {
    use super::normalise;

    fn n(s: &str) -> String {
        String::from_utf8(normalise(s.as_bytes()).text.into_owned()).unwrap()
    }

    #[test]
    fn joints_arrays_and_escaped_slashes_are_undone() {
        assert_eq!(
            n("var h='//static.'+'hot'+'jar.com/c/';"),
            "var h='//static.hotjar.com/c/';"
        );
        assert_eq!(
            n("x = \"//www.google-\" + \"analytics.com\";"),
            "x = \"//www.google-analytics.com\";"
        );
        assert_eq!(
            n("a='connect.face'+\"book.net\""),
            "a='connect.facebook.net\""
        );
        assert_eq!(
            n("var u=['https://connect','facebook','net/en_US/fbevents'].join('.')+'.js';"),
            "var u='https://connect.facebook.net/en_US/fbevents.js';"
        );
        assert_eq!(
            n("{\"src\":\"https:\\/\\/platform.twitter.com\\/widgets.js\"}"),
            "{\"src\":\"https://platform.twitter.com/widgets.js\"}"
        );
    }

    #[test]
    fn ordinary_code_is_left_alone() {
        for s in [
            "var a = b + c; i++; s += 'x';",
            "x = 'a' + b + 'c';",
            "[a, b].join(',')",
            "['a', f()].join('.')",
            "['a\\'b', 'c'].join('')",
            "",
            "'+",
        ] {
            assert_eq!(n(s), s, "{s:?}");
        }
        assert!(matches!(
            normalise(b"var a = 1 + 2;").text,
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
