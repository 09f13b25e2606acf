//! The client guard's catalog table: one JSON array, written once at build
//! time for the shipped catalog (`buildscript/catalog.rs` includes this
//! file with `#[path]`) and at run time, by the same code, for any other.
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

/// `s` as a JSON string literal.
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
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
            p.push(format!("{host}{}", prefix.to_ascii_lowercase()));
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
        out.push_str(&format!(",{cat},"));
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
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}
