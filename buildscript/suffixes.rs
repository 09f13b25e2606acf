//! Compiles the Public Suffix List (`buildscript/public_suffix_list.dat`,
//! MPL-2.0, source in its header) into the compact table
//! `src/consent/suffixes.rs` searches: `OUT_DIR/suffixes.txt`, one line per
//! domain that some rule names, sorted by bytes, each line a flag digit
//! then the domain in ASCII (punycode for the list's Unicode rules, since
//! the worker only sees LDH hosts). Pulled into build.rs with `#[path]`.
//!
//! The flag digit is `'0'` plus the bits [`RULE`] (`d` is a suffix),
//! [`WILDCARD`] (`*.d` is) and [`EXCEPTION`] (`!d` is). Both sections of
//! the list (ICANN and private) are kept, as the `psl` crate this replaces
//! and browsers do. Why not the crate: it compiles the list to a match tree
//! of ~0.88 MB of wasm; this table is ~0.1 MB raw and gzips to a third.

use std::collections::BTreeMap;
use std::{fs, path::Path};

/// The domain itself is a public suffix.
pub const RULE: u8 = 1;
/// Every child of the domain is (`*.d`).
pub const WILDCARD: u8 = 2;
/// The domain is not, though a wildcard says so (`!d`).
pub const EXCEPTION: u8 = 4;

const LIST: &str = "buildscript/public_suffix_list.dat";

/// Writes `suffixes.txt` to `out`.
pub fn emit(out: &str) -> Result<(), String> {
    println!("cargo:rerun-if-changed={LIST}");
    let text = fs::read_to_string(LIST).map_err(|e| format!("{LIST}: {e}"))?;
    let table = compile(&text)?;
    fs::write(Path::new(out).join("suffixes.txt"), table)
        .map_err(|e| format!("writing suffixes.txt: {e}"))
}

/// The table for the list `text` (PSL format: one rule per line, `//`
/// comments, the rule ends at the first whitespace).
pub fn compile(text: &str) -> Result<String, String> {
    let mut flags: BTreeMap<String, u8> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let rule = line.split_whitespace().next().unwrap_or("");
        if rule.is_empty() || rule.starts_with("//") {
            continue;
        }
        let (bit, name) = if let Some(d) = rule.strip_prefix("*.") {
            (WILDCARD, d)
        } else if let Some(d) = rule.strip_prefix('!') {
            (EXCEPTION, d)
        } else {
            (RULE, rule)
        };
        let ascii = idna::domain_to_ascii(name)
            .ok()
            .filter(|a| {
                !a.is_empty()
                    && a.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            })
            .ok_or_else(|| format!("{LIST}:{}: not a domain rule: {rule:?}", n + 1))?;
        *flags.entry(ascii).or_default() |= bit;
    }
    let mut table = String::new();
    for (domain, bits) in flags {
        table.push(char::from(b'0' + bits));
        table.push_str(&domain);
        table.push('\n');
    }
    Ok(table)
}
