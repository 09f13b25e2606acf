//! Compiles the Public Suffix List (`buildscript/public_suffix_list.dat`,
//! MPL-2.0, source in its header) into the compact table
//! `src/consent/reach/suffix.rs` searches. Pulled into build.rs with
//! `#[path]`.
//!
//! `OUT_DIR/suffixes.bin`: one line per domain some rule names, keyed by
//! the domain's labels reversed (`co.uk` → `uk.co`, so that neighbours
//! share prefixes), sorted by key bytes, front-coded: each line is a byte
//! `0x20 + n` (n = bytes shared with the previous key, 0 every
//! [`RESTART`] lines), a flag digit, the rest of the key, `\n`. Keys are
//! ASCII (punycode for the list's Unicode rules: the worker only sees LDH
//! hosts). `OUT_DIR/suffixes.idx`: the byte offset of every restart line,
//! u32 little-endian, for bisection.
//!
//! The flag digit is `'0'` plus the bits [`RULE`] (`d` is a suffix),
//! [`WILDCARD`] (`*.d` is) and [`EXCEPTION`] (`!d` is). Both sections of
//! the list (ICANN and private) are kept, as the `psl` crate this replaces
//! and browsers do. Why not the crate: it compiles the list to a match tree
//! of ~0.9 MB of wasm; this table is 91 KB raw, 37 KB gzip (plain sorted
//! lines: 160 KB, 47 KB gzip).

use std::collections::BTreeMap;
use std::{fs, path::Path};

/// The domain itself is a public suffix.
pub const RULE: u8 = 1;
/// Every child of the domain is (`*.d`).
pub const WILDCARD: u8 = 2;
/// The domain is not, though a wildcard says so (`!d`).
pub const EXCEPTION: u8 = 4;

const LIST: &str = "buildscript/public_suffix_list.dat";

/// Lines between restarts (full keys): a lookup decodes at most this many.
pub const RESTART: usize = 16;

/// Writes `suffixes.bin` and `suffixes.idx` to `out`.
pub fn emit(out: &str) -> Result<(), String> {
    println!("cargo:rerun-if-changed={LIST}");
    let text = fs::read_to_string(LIST).map_err(|e| format!("{LIST}: {e}"))?;
    let (table, index) = compile(&text)?;
    for (name, bytes) in [("suffixes.bin", table), ("suffixes.idx", index)] {
        fs::write(Path::new(out).join(name), bytes).map_err(|e| format!("writing {name}: {e}"))?;
    }
    Ok(())
}

/// The table for the list `text` (PSL format: one rule per line, `//`
/// comments, the rule ends at the first whitespace).
pub fn compile(text: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
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
    let mut keyed: Vec<(String, u8)> = flags
        .into_iter()
        .map(|(d, bits)| (d.rsplit('.').collect::<Vec<_>>().join("."), bits))
        .collect();
    keyed.sort();
    let (mut table, mut index) = (Vec::new(), Vec::new());
    let mut prev: &[u8] = b"";
    for (i, (key, bits)) in keyed.iter().enumerate() {
        let key = key.as_bytes();
        let shared = if i % RESTART == 0 {
            index.extend_from_slice(
                &u32::try_from(table.len())
                    .map_err(|e| e.to_string())?
                    .to_le_bytes(),
            );
            0
        } else {
            // capped so that the length byte stays below 0x20 + 0xc8
            prev.iter()
                .zip(key)
                .take_while(|(a, b)| a == b)
                .count()
                .min(200)
        };
        table.push(0x20 + shared as u8);
        table.push(b'0' + bits);
        table.extend_from_slice(&key[shared..]);
        table.push(b'\n');
        prev = key;
    }
    Ok((table, index))
}
