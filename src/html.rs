//! HTML text: the one escaper and the one character-reference decoder of the
//! crate, shared by the filter, the banner renderer and the tracker matcher.
//!
//! | function | for |
//! |---|---|
//! | [`escape_text`] / [`push_escaped`] | text from config or a visitor into element content or any quoted attribute (`&<>"'` escaped) |
//! | [`escape_attr`] | a whole document into a double-quoted attribute (`srcdoc`): only `&` and `"`, which is all the attribute value state ends on |
//! | [`requote_raw`] | an attribute value *as written in the page* back into double quotes, the way lol_html serialises a modified attribute |
//! | [`decode_attribute`] | an attribute value as the browser reads it (WHATWG "character reference state", attribute rules) |
//!
//! The decoder is deliberately not the full 2,231-name table: it decodes every
//! numeric reference and the named references that stand for ASCII (every
//! character of markup and of a URL's scheme, host and path), plus the few
//! non-ASCII ones a URL host can hide behind (`&shy;`, `&nbsp;`, the
//! zero-width characters; see [`named_reference`]). Any other name is kept as
//! written, which is what a consumer that parses HTML again (a `srcdoc`
//! document) decodes itself, and which can never turn into URL syntax.
//! Names are case-sensitive, as in HTML: `&Colon;` is U+2237, not `:`, and
//! `&SOL;` is no reference at all.

use std::borrow::Cow;

/// Escapes `&`, `<`, `>`, `"` and `'`: safe in element content and in
/// single- or double-quoted attribute values.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// [`escape_text`], appended to `out`.
pub fn push_escaped(out: &mut String, s: &str) {
    push_replacing(out, s, |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\'' => Some("&#39;"),
        _ => None,
    });
}

/// `s` appended to `out` with every byte `rep` names replaced by what it
/// returns; the runs between are copied whole. `rep` may only name ASCII
/// bytes (never part of a multi-byte character).
pub fn push_replacing(out: &mut String, s: &str, rep: impl Fn(u8) -> Option<&'static str>) {
    let mut copied = 0;
    for (i, b) in s.bytes().enumerate() {
        if let Some(r) = rep(b) {
            out.push_str(&s[copied..i]);
            out.push_str(r);
            copied = i + 1;
        }
    }
    out.push_str(&s[copied..]);
}

/// Text as a double-quoted attribute value with the least escaping that
/// reads back identically: `&` and `"` only (used for `srcdoc`, where the
/// value is a whole document and `<`/`>` are the bulk of it).
pub fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;")
}

/// An attribute value as written in the page (references not decoded), put
/// back between double quotes: only `"` needs escaping. This is how lol_html
/// serialises an attribute it was given with `set_attribute`, so a start tag
/// the filter rebuilds by hand reads exactly like one lol_html rewrote.
pub fn requote_raw(raw: &str) -> Cow<'_, str> {
    if raw.contains('"') {
        Cow::Owned(raw.replace('"', "&quot;"))
    } else {
        Cow::Borrowed(raw)
    }
}

/// An attribute value as the browser reads it: character references
/// decoded by HTML's rules for attributes.
///
/// * Numeric references (`&#103;`, `&#x67;`, `&#0000000103`, `;` optional)
///   are decoded in full, with any number of leading zeros; 0, surrogates
///   and values above U+10FFFF become U+FFFD; 0x80-0x9F are read as
///   windows-1252, as the tokenizer does.
/// * Named references from [`named_reference`] are decoded when they end
///   with `;`. The legacy names that HTML also accepts without `;` (`&amp`,
///   `&lt`, `&nbsp`, …, see [`LEGACY`]) are decoded without it too, except
///   when an ASCII letter, digit or `=` follows (then the browser keeps
///   them as written in an attribute: `?a=1&amp=2`).
/// * Everything else is kept as written.
pub fn decode_attribute(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    let mut copied = 0;
    while let Some(off) = raw[i..].find('&') {
        let amp = i + off;
        i = amp + 1;
        let Some((text, end)) = reference_at(raw, i) else {
            continue;
        };
        out.push_str(&raw[copied..amp]);
        out.push_str(&text);
        copied = end;
        i = end;
    }
    out.push_str(&raw[copied..]);
    Cow::Owned(out)
}

/// The reference starting at `at` (right after a `&`): its text and where it
/// ends, or `None` if the `&` is literal.
fn reference_at(raw: &str, at: usize) -> Option<(Cow<'static, str>, usize)> {
    let b = raw.as_bytes();
    if b.get(at) == Some(&b'#') {
        return numeric_reference(raw, at + 1);
    }
    let n = b[at..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let name = &raw[at..at + n];
    let text = named_reference(name)?;
    match b.get(at + n) {
        Some(b';') => Some((Cow::Borrowed(text), at + n + 1)),
        // The run of alphanumerics ended, so what follows is neither a
        // letter nor a digit; `=` is the other character that keeps a
        // legacy name literal in an attribute.
        next if LEGACY.contains(&name) && next != Some(&b'=') => {
            Some((Cow::Borrowed(text), at + n))
        }
        _ => None,
    }
}

/// Windows-1252 for numeric references 0x80-0x9F, as the HTML tokenizer maps
/// them (the "numeric character reference end state" table).
const C1: [u32; 32] = [
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
];

/// `&#…` from `at` (right after the `#`): the text and where it ends.
fn numeric_reference(raw: &str, at: usize) -> Option<(Cow<'static, str>, usize)> {
    let b = raw.as_bytes();
    let (radix, start) = match b.get(at) {
        Some(b'x' | b'X') => (16, at + 1),
        _ => (10, at),
    };
    let n = b[start.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || radix == 16 && c.is_ascii_hexdigit())
        .count();
    if n == 0 {
        return None;
    }
    // Leading zeros do not count towards the size: `&#0000000103;` is `g`.
    // Anything with more than 8 significant digits is above U+10FFFF.
    let digits = raw[start..start + n].trim_start_matches('0');
    let value = if digits.len() > 8 {
        u32::MAX
    } else {
        u32::from_str_radix(digits, radix).unwrap_or(0)
    };
    let mut end = start + n;
    if b.get(end) == Some(&b';') {
        end += 1;
    }
    let value = match value {
        0x80..=0x9F => C1[(value - 0x80) as usize],
        v => v,
    };
    let c = match value {
        0 => '\u{FFFD}',
        v => char::from_u32(v).unwrap_or('\u{FFFD}'),
    };
    Some((Cow::Owned(c.to_string()), end))
}

/// The named references HTML accepts without a `;` that [`named_reference`]
/// knows (the WHATWG table has about a hundred such legacy names, all of
/// ISO-8859-1 and a few more; these are the ones decoded here).
pub const LEGACY: &[&str] = &[
    "amp", "AMP", "lt", "LT", "gt", "GT", "quot", "QUOT", "nbsp", "shy",
];

/// The named character references the decoder knows, case-sensitive, with
/// their text (WHATWG "Named character references" table): every name that
/// stands for ASCII, and the non-ASCII ones that matter in a URL host —
/// `shy`, `ZeroWidthSpace`, `zwj`, `zwnj`, `NoBreak` are characters IDNA
/// maps to nothing, `nbsp`/`NonBreakingSpace` one it rejects. (There is no
/// `&fullstop;` in HTML; `&period;` is the full stop.)
pub fn named_reference(name: &str) -> Option<&'static str> {
    let t = match name {
        "Tab" => "\t",
        "NewLine" => "\n",
        "excl" => "!",
        "quot" | "QUOT" => "\"",
        "num" => "#",
        "dollar" => "$",
        "percnt" => "%",
        "amp" | "AMP" => "&",
        "apos" => "'",
        "lpar" => "(",
        "rpar" => ")",
        "ast" | "midast" => "*",
        "plus" => "+",
        "comma" => ",",
        "period" => ".",
        "sol" => "/",
        "colon" => ":",
        "semi" => ";",
        "lt" | "LT" => "<",
        "equals" => "=",
        "gt" | "GT" => ">",
        "quest" => "?",
        "commat" => "@",
        "lsqb" | "lbrack" => "[",
        "bsol" => "\\",
        "rsqb" | "rbrack" => "]",
        "Hat" => "^",
        "lowbar" | "UnderBar" => "_",
        "grave" | "DiacriticalGrave" => "`",
        "lcub" | "lbrace" => "{",
        "verbar" | "vert" | "VerticalLine" => "|",
        "rcub" | "rbrace" => "}",
        "fjlig" => "fj",
        "nbsp" | "NonBreakingSpace" => "\u{A0}",
        "shy" => "\u{AD}",
        "ZeroWidthSpace" => "\u{200B}",
        "zwnj" => "\u{200C}",
        "zwj" => "\u{200D}",
        "NoBreak" => "\u{2060}",
        _ => return None,
    };
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_references_as_the_browser_decodes_them() {
        let cases = [
            ("plain", "plain"),
            ("&lt;a href=&quot;x&quot;&gt;", "<a href=\"x\">"),
            ("&#60;&#x3c;&#X3C;&#0060;&#x3C", "<<<<<"),
            (
                "&#0;&#xD800;&#x110000;&#99999999999;",
                "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}",
            ),
            ("&#x80;&#150;", "€–"),
            ("&#;&#x;&#xg", "&#;&#x;&#xg"),
            ("&amp &amp;&AMP;&ampx &amp=1 &amp", "& &&&ampx &amp=1 &"),
            ("&lt&gt &quot", "<> \""),
            (
                "&sol;&colon;&period;&lpar;&rpar;&equals;&Tab;&fjlig;",
                "/:.()=\tfj",
            ),
            ("&sol &eacute; &nosuch; & &;", "&sol &eacute; &nosuch; & &;"),
            ("é&#xE9;日本&#26085;", "éé日本日"),
        ];
        for (raw, want) in cases {
            assert_eq!(decode_attribute(raw), want, "{raw}");
        }
    }

    #[test]
    fn leading_zeros_never_change_the_value() {
        assert_eq!(decode_attribute("&#0000000103;"), "g");
        assert_eq!(decode_attribute("&#x000000000067"), "g");
        let zeros = "0".repeat(200);
        assert_eq!(decode_attribute(&format!("&#{zeros}47;")), "/");
        assert_eq!(decode_attribute(&format!("&#x{zeros}2F")), "/");
        // Nine significant digits is out of range however it is padded.
        assert_eq!(decode_attribute("&#0001114112;"), "\u{FFFD}");
        assert_eq!(decode_attribute("&#x0110000;"), "\u{FFFD}");
    }

    #[test]
    fn names_are_case_sensitive() {
        // `&Colon;` is U+2237 (not decoded here, so it stays as written and
        // can never read as `:`), `&SOL;`/`&Sol;` are no references at all.
        for raw in ["&Colon;", "&SOL;", "&Sol;", "&Period;", "&NBSP;", "&TAB;"] {
            assert_eq!(decode_attribute(raw), raw);
        }
        assert_eq!(decode_attribute("&Tab;&NewLine;"), "\t\n");
        assert_eq!(decode_attribute("&tab;&newline;"), "&tab;&newline;");
    }

    #[test]
    fn url_hiding_references() {
        assert_eq!(
            decode_attribute("https&colon;&sol;&sol;goo&shy;gle&period;com"),
            "https://goo\u{AD}gle.com"
        );
        assert_eq!(
            decode_attribute("a&nbsp;b&nbsp c&nbspd"),
            "a\u{A0}b\u{A0} c&nbspd"
        );
        assert_eq!(decode_attribute("&shy=1&shy"), "&shy=1\u{AD}");
        assert_eq!(
            decode_attribute("&ZeroWidthSpace;&zwj;&zwnj;&NoBreak;"),
            "\u{200B}\u{200D}\u{200C}\u{2060}"
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_text("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(escape_text("日本 é"), "日本 é");
        assert_eq!(
            escape_attr("<p a=\"1\">&</p>"),
            "<p a=&quot;1&quot;>&amp;</p>"
        );
        assert_eq!(requote_raw("a&amp;\"b"), "a&amp;&quot;b");
        assert!(matches!(requote_raw("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn escaping_round_trips_through_the_decoder() {
        for s in [
            "<p a=\"1\" b='&amp;'>x & y</p>",
            "&quot;",
            "",
            "&&&\"\"\"",
            "&amp=1",
        ] {
            let enc = escape_attr(s);
            assert!(!enc.contains('"'));
            assert_eq!(decode_attribute(&enc), s);
            assert_eq!(decode_attribute(&escape_text(s)), s);
        }
    }
}
