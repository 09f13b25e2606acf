//! Positions in a TOML document: of a parse error, and of the key or value a
//! semantic error is about (found by walking toml_edit's span-keeping
//! document along the error's [`Path`]).

use crate::error::{ConfigError, Invalid, Path, Seg};
use std::ops::Range;
use toml_edit::{ImDocument, Item, Table, Value};

/// Parses `text` as a `T`, telling TOML syntax errors from shape errors.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, ConfigError> {
    if let Err(e) = ImDocument::parse(text) {
        let (line, col) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        return Err(ConfigError::Syntax {
            file: file.to_string(),
            line,
            col,
            msg: first_line(e.message()),
        });
    }
    toml::from_str(text).map_err(|e| {
        let (line, col) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        ConfigError::Type {
            file: file.to_string(),
            line,
            col,
            msg: first_line(e.message()),
        }
    })
}

/// toml's multi-line message (`invalid string` / ``expected `"`, `'` ``) on one line.
fn first_line(msg: &str) -> String {
    msg.trim()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `e`, positioned in `text`.
pub(crate) fn invalid(file: &str, text: &str, e: Invalid) -> ConfigError {
    let (line, col) = span_of(text, &e.path, e.is_key).map_or((1, 1), |s| line_col(text, s.start));
    ConfigError::Invalid {
        file: file.to_string(),
        line,
        col,
        path: e.path.to_string(),
        reason: e.reason,
    }
}

/// A step of the walk: what a key or index leads to.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Value(&'a Value),
    Table(&'a Table),
}

impl<'a> Node<'a> {
    /// The span of this node and the node at `seg` under it.
    fn step(self, seg: &Seg) -> Option<(Option<Range<usize>>, Node<'a>)> {
        match (self, seg) {
            (Node::Item(Item::Table(t)) | Node::Table(t), Seg::Key(k)) => {
                let keys: Vec<&str> = t.iter().map(|(k, _)| k).collect();
                let k = spelled(&keys, k)?;
                let (key, it) = t.get_key_value(k)?;
                Some((key.span(), Node::Item(it)))
            }
            (Node::Item(Item::Value(v)) | Node::Value(v), Seg::Key(k)) => {
                let t = v.as_inline_table()?;
                let keys: Vec<&str> = t.iter().map(|(k, _)| k).collect();
                let k = spelled(&keys, k)?;
                let (key, it) = t.get_key_value(k)?;
                Some((key.span(), Node::Item(it)))
            }
            (Node::Item(Item::ArrayOfTables(a)), Seg::Index(i)) => {
                let t = a.get(*i)?;
                Some((t.span(), Node::Table(t)))
            }
            (Node::Item(Item::Value(v)) | Node::Value(v), Seg::Index(i)) => {
                let v = v.as_array()?.get(*i)?;
                Some((v.span(), Node::Value(v)))
            }
            _ => None,
        }
    }

    /// The span of a value (not of a table given by a `[header]`).
    fn value_span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(Item::Value(v)) | Node::Value(v) => v.span(),
            _ => None,
        }
    }
}

/// The span of the value at `path`; when the path ends in a default (a key
/// the file does not write), the deepest key of it the file has.
fn span_of(text: &str, path: &Path, is_key: bool) -> Option<Range<usize>> {
    let doc = ImDocument::parse(text).ok()?;
    let mut node = Node::Item(doc.as_item());
    let mut best = None;
    for seg in &path.0 {
        let Some((span, next)) = node.step(seg) else {
            return best;
        };
        best = span.or(best);
        node = next;
    }
    if is_key {
        return best;
    }
    node.value_span().or(best)
}

/// The document's spelling of key `k`: exact, else ASCII case-insensitive
/// (jurisdiction map keys are canonicalised when parsed: `us-ca` → `US-CA`).
fn spelled<'a>(keys: &[&'a str], k: &str) -> Option<&'a str> {
    let exact = keys.iter().find(|x| **x == k);
    exact
        .or_else(|| keys.iter().find(|x| x.eq_ignore_ascii_case(k)))
        .copied()
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}
