//! The client guard's catalog table: one JSON array, made at run time from
//! the catalog (once per isolate for the shipped one, `super::GuardConfig`).
//!
//! `[[id, category, "host host/path-prefix …"], …]`: one entry per vendor,
//! in catalog order (a page names vendors by this index); `category` is
//! 0 necessary (a vendor allowed outright by `[trackers] allow`),
//! 1 functional, 2 analytics, 3 advertising; the patterns are the vendor's
//! rows of the catalog's host table, sorted (lowercase, path prefix without a
//! trailing `/`; a pattern two vendors list belongs to the first), space
//! separated. `guard.js` rebuilds the catalog's lookup from it.

use consent_edge_config::{Category, Vendor};

/// A category's number in the table and in a page's refused set.
pub fn category_index(c: Category) -> u8 {
    match c {
        Category::Necessary => 0,
        Category::Functional => 1,
        Category::Analytics => 2,
        Category::Advertising => 3,
    }
}

/// `s` as a JSON string literal. Runs of plain text are copied whole: the
/// table is made once per isolate, in the `start` event.
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            out.push_str(&s[plain..i]);
            match b {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                _ => out.push_str(&format!("\\u{b:04x}")),
            }
            plain = i + 1;
        }
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

/// The table of `vendors` (merged, with `allowed` set) and their host rows
/// `(host, prefix, vendor index)`.
pub fn table_json<'a>(
    vendors: &[Vendor],
    hosts: impl IntoIterator<Item = (&'a str, &'a str, usize)>,
) -> String {
    let mut patterns: Vec<Vec<String>> = vec![Vec::new(); vendors.len()];
    for (host, prefix, i) in hosts {
        if let Some(p) = patterns.get_mut(i) {
            let mut pattern = String::with_capacity(host.len() + prefix.len());
            pattern.push_str(host);
            pattern.push_str(prefix);
            pattern[host.len()..].make_ascii_lowercase();
            p.push(pattern);
        }
    }
    for p in &mut patterns {
        p.sort();
    }
    let mut out = String::from("[");
    for (i, (v, pats)) in vendors.iter().zip(&patterns).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        json_string(&v.id, &mut out);
        let cat = if v.allowed {
            0
        } else {
            category_index(v.category)
        };
        out.push(',');
        out.push(char::from(b'0' + cat));
        out.push(',');
        json_string(&pats.join(" "), &mut out);
        out.push(']');
    }
    out.push(']');
    out
}

/// Escapes text for a *single*-quoted HTML attribute value. The JSON's many
/// `"` stay as they are (a double-quoted attribute would turn each into
/// `&quot;` and grow the configuration by about a third).
pub fn attr_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    crate::html::push_replacing(&mut out, s, |b| match b {
        b'&' => Some("&amp;"),
        b'\'' => Some("&#39;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        _ => None,
    });
    out
}
