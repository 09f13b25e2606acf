//! Tag IDs: one loader serving several vendors, told apart by the ID it is
//! given (issue 14). `googletagmanager.com/gtag/js?id=AW-…` is Google Ads,
//! `?id=G-…` Google Analytics, on the same host and path; inline,
//! `gtag('config', 'AW-…')` and `send_to: 'AW-…/label'` say the same.
//!
//! The families are data (`[[tag_ids]]` in `trackers.toml`, checked by the
//! config crate); the site can name what an ID really is in
//! `[trackers.tag_ids]` (needed for Google's `GT-` tags, whose destinations
//! are configured in the Google tag UI and cannot be read from the page).

use aho_corasick::AhoCorasick;
use consent_edge_config::TagIds;
use std::collections::HashMap;

/// The farthest (bytes) an ID literal is looked for after a call's `(`:
/// `gtag('event', 'conversion', {'send_to': 'AW-…/…', 'value': 1.0, …})`
/// is well under it.
const MAX_CALL: usize = 1024;

/// One `[[tag_ids]]` family, compiled.
#[derive(Debug)]
pub(crate) struct Family {
    /// `(host, lowercase path prefix)` of the loader URLs.
    urls: Vec<(String, String)>,
    /// Path suffixes on any host (first-party gateways).
    paths: Vec<String>,
    pub(crate) param: String,
    pub(crate) calls: Vec<String>,
    pub(crate) keys: Vec<String>,
    /// `(prefix, vendor index)`, longest prefix first.
    prefixes: Vec<(String, usize)>,
}

/// The families, with the site's exact IDs.
#[derive(Debug, Default)]
pub(crate) struct TagIdRules {
    pub(crate) families: Vec<Family>,
    /// `[trackers.tag_ids]`: exact ID → vendor index.
    exact: HashMap<String, usize>,
    /// Every family's call and key names, case-sensitive (JavaScript is).
    names: Option<AhoCorasick>,
    /// Per pattern of `names`: `(family, is a call)`.
    name_of: Vec<(usize, bool)>,
}

impl TagIdRules {
    /// Compiles the families; `index` gives a vendor's index (every id was
    /// checked to exist).
    pub(crate) fn new(
        families: &[TagIds],
        exact: &std::collections::BTreeMap<String, String>,
        index: &dyn Fn(&str) -> Option<usize>,
    ) -> TagIdRules {
        let families: Vec<Family> = families
            .iter()
            .map(|f| {
                let mut prefixes: Vec<(String, usize)> = f
                    .prefixes
                    .iter()
                    .filter_map(|(p, v)| Some((p.clone(), index(v)?)))
                    .collect();
                prefixes.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
                Family {
                    urls: f.urls.iter().map(|u| split_pattern(u)).collect(),
                    paths: f.paths.clone(),
                    param: f.param.clone(),
                    calls: f.calls.clone(),
                    keys: f.keys.clone(),
                    prefixes,
                }
            })
            .collect();
        let exact = exact
            .iter()
            .filter_map(|(id, v)| Some((id.clone(), index(v)?)))
            .collect();
        let mut patterns = Vec::new();
        let mut name_of = Vec::new();
        for (i, f) in families.iter().enumerate() {
            let f: &Family = f;
            for (list, call) in [(&f.calls, true), (&f.keys, false)] {
                for n in list {
                    patterns.push(n.clone());
                    name_of.push((i, call));
                }
            }
        }
        // Names are checked JavaScript identifiers: building cannot fail.
        let names = (!patterns.is_empty())
            .then(|| AhoCorasick::new(&patterns).ok())
            .flatten();
        TagIdRules {
            families,
            exact,
            names,
            name_of,
        }
    }

    /// The family whose loader this host and path are, if any.
    pub(crate) fn family_of(&self, host: Option<&str>, path: &str) -> Option<&Family> {
        self.families.iter().find(|f| {
            host.is_some_and(|h| {
                f.urls.iter().any(|(uh, up)| {
                    super::domain_matches(h, uh) && super::path_has_prefix(path, up)
                })
            }) || f.paths.iter().any(|p| path_ends_with(path, p))
        })
    }

    /// The vendor index of one ID (`AW-123/label`: the part before `/`),
    /// by the site's exact IDs, then the family's longest prefix.
    pub(crate) fn vendor_of(&self, family: &Family, id: &str) -> Option<usize> {
        let id = id.split('/').next().unwrap_or("");
        if let Some(i) = self.exact.get(id) {
            return Some(*i);
        }
        family
            .prefixes
            .iter()
            .find(|(p, _)| id.len() > p.len() && id.starts_with(p.as_str()) && looks_like_id(id))
            .map(|(_, i)| *i)
    }

    /// Every vendor index named by an ID in `text` as an argument of one of
    /// a family's calls or the value of one of its keys.
    pub(crate) fn scan_inline(&self, text: &[u8], found: &mut Vec<usize>) {
        let Some(ac) = &self.names else { return };
        for m in ac.find_overlapping_iter(text) {
            let (start, end) = (m.start(), m.end());
            let whole = (start == 0 || !is_ident_byte(text[start - 1]))
                && text.get(end).is_none_or(|b| !is_ident_byte(*b));
            let Some(&(fi, call)) = self.name_of.get(m.pattern().as_usize()) else {
                continue;
            };
            let Some(f) = self.families.get(fi) else {
                continue;
            };
            if !whole {
                continue;
            }
            if call {
                self.scan_call(f, text, end, found);
            } else {
                self.scan_key(f, text, end, found);
            }
        }
    }

    /// After a call's name: `(`, then every string literal up to the
    /// matching `)` (or [`MAX_CALL`] bytes).
    fn scan_call(&self, f: &Family, text: &[u8], after: usize, found: &mut Vec<usize>) {
        let Some(open) = skip_space(text, after).filter(|&i| text[i] == b'(') else {
            return;
        };
        let end = text.len().min(open + MAX_CALL);
        let mut depth = 0usize;
        let mut i = open;
        while i < end {
            match text[i] {
                b'(' | b'{' | b'[' => depth += 1,
                b')' | b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                b'\'' | b'"' => {
                    let Some((content, next)) = string_at(text, i) else {
                        return;
                    };
                    self.note(f, content, found);
                    i = next;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// After a key's name: an optional closing quote, `:`, a string literal.
    fn scan_key(&self, f: &Family, text: &[u8], after: usize, found: &mut Vec<usize>) {
        let mut i = after;
        if matches!(text.get(i), Some(b'\'' | b'"')) {
            i += 1;
        }
        let Some(colon) = skip_space(text, i).filter(|&c| text[c] == b':') else {
            return;
        };
        if let Some(q) = skip_space(text, colon + 1) {
            if let Some((content, _)) = string_at(text, q) {
                self.note(f, content, found);
            }
        }
    }

    fn note(&self, f: &Family, content: &[u8], found: &mut Vec<usize>) {
        let Ok(id) = std::str::from_utf8(content) else {
            return;
        };
        if let Some(v) = self.vendor_of(f, id) {
            if !found.contains(&v) {
                found.push(v);
            }
        }
    }
}

/// `AW-123456789`, `G-ABC123`, `AW-123/AbC-d_e`: a prefix, then letters,
/// digits, `-`, `_`, `/` only.
fn looks_like_id(id: &str) -> bool {
    id.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/'))
}

/// `host/path` → `(host, path)` (path lowercase, no trailing `/`).
fn split_pattern(p: &str) -> (String, String) {
    let p = p.to_ascii_lowercase();
    match p.find('/') {
        Some(i) => (p[..i].to_string(), p[i..].trim_end_matches('/').to_string()),
        None => (p, String::new()),
    }
}

/// `path` ends with `suffix` (ASCII case-insensitively) at a segment start.
fn path_ends_with(path: &str, suffix: &str) -> bool {
    let (p, s) = (path.as_bytes(), suffix.as_bytes());
    p.len() >= s.len() && p[p.len() - s.len()..].eq_ignore_ascii_case(s)
}

/// A byte that can continue a JavaScript identifier (ASCII).
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

fn skip_space(text: &[u8], i: usize) -> Option<usize> {
    text.get(i..)?
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .map(|p| p + i)
}

/// The string literal opening at `i`: its content (escapes not decoded)
/// and the index after the closing quote.
fn string_at(text: &[u8], i: usize) -> Option<(&[u8], usize)> {
    let q = *text.get(i)?;
    if q != b'\'' && q != b'"' {
        return None;
    }
    let mut j = i + 1;
    while j < text.len() {
        match text[j] {
            b'\\' => j += 2,
            b'\n' => return None,
            b if b == q => return Some((&text[i + 1..j], j + 1)),
            _ => j += 1,
        }
    }
    None
}
