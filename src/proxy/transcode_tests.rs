use super::*;
use crate::consent::Grants;
use crate::proxy::encoding::PRESCAN_BYTES;
use encoding_rs::{ISO_2022_JP, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

const FB: &str = r#"<script src="https://connect.facebook.net/en_US/fbevents.js"></script>"#;

fn body(declared: Option<&'static Encoding>) -> DocumentBody {
    let page = Page {
        grants: Grants::NECESSARY_ONLY,
        body_end: "<!--banner-->".into(),
        ..Page::default()
    };
    DocumentBody::with(
        declared,
        Box::new(move |cs| Filter::new(Catalog::configured(), &Config::default(), page, cs)),
    )
}

/// `input` through a fresh body, cut into the given chunks.
fn run(declared: Option<&'static Encoding>, chunks: &[&[u8]]) -> Vec<u8> {
    let mut b = body(declared);
    let mut out = Vec::new();
    for c in chunks {
        out.extend(b.write(c));
    }
    out.extend(b.end());
    out
}

/// Every way of cutting `input` in two, and byte by byte: all equal.
fn every_split(declared: Option<&'static Encoding>, input: &[u8]) -> Vec<u8> {
    let whole = run(declared, &[input]);
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(run(declared, &[a, b]), whole, "split at {i}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run(declared, &bytes), whole, "byte by byte");
    whole
}

fn utf16(s: &str, be: bool) -> Vec<u8> {
    s.encode_utf16()
        .flat_map(|u| if be { u.to_be_bytes() } else { u.to_le_bytes() })
        .collect()
}

/// What a transcoded `s` comes out as: a UTF-8 BOM, `s` in UTF-8, and the
/// banner (the test pages have no `</body>`).
fn bom_utf8(s: &str) -> Vec<u8> {
    [UTF8_BOM, s.as_bytes(), b"<!--banner-->"].concat()
}

const TEXT: &str = "<p>h\u{e9}llo \u{1F600} \u{65E5}\u{672C}</p>";

#[test]
fn utf16_is_transcoded_at_every_split_surrogate_pairs_included() {
    for be in [false, true] {
        let enc = if be { UTF_16BE } else { UTF_16LE };
        let by_label = utf16(TEXT, be);
        assert_eq!(
            every_split(Some(enc), &by_label),
            bom_utf8(TEXT),
            "label, be={be}"
        );
        let bom: &[u8] = if be { b"\xFE\xFF" } else { b"\xFF\xFE" };
        let by_bom = [bom, &by_label[..]].concat();
        for declared in [
            None,
            Some(UTF_8),
            Some(WINDOWS_1252),
            Some(UTF_16LE),
            Some(UTF_16BE),
        ] {
            assert_eq!(
                every_split(declared, &by_bom),
                bom_utf8(TEXT),
                "BOM, be={be}, {declared:?}"
            );
        }
    }
}

#[test]
fn utf16_malformed_input_becomes_replacement_characters() {
    // An odd byte at the end, and a lone surrogate: U+FFFD, as the browser decodes.
    let mut odd = utf16("<p>a</p>", false);
    odd.push(b'x');
    assert_eq!(
        every_split(Some(UTF_16LE), &odd),
        bom_utf8("<p>a</p>\u{FFFD}")
    );
    let mut lone = utf16("<p>", false);
    lone.extend_from_slice(&0xD83Du16.to_le_bytes());
    lone.extend(utf16("</p>", false));
    assert_eq!(
        every_split(Some(UTF_16LE), &lone),
        bom_utf8("<p>\u{FFFD}</p>")
    );
}

#[test]
fn iso_2022_jp_is_transcoded_at_every_split() {
    // Kanji (ESC $ B), the yen sign (ESC ( J, JIS-Roman), back to ASCII (ESC ( B).
    let text = "<p>\u{65E5}\u{672C}\u{8A9E} \u{A5}100 ok</p>";
    let (jp, _, bad) = ISO_2022_JP.encode(text);
    assert!(!bad);
    for esc in [&b"\x1b$B"[..], b"\x1b(J", b"\x1b(B"] {
        assert!(jp.windows(3).any(|w| w == esc), "the test needs {esc:?}");
    }
    assert_eq!(every_split(Some(ISO_2022_JP), &jp), bom_utf8(text));
}

#[test]
fn a_utf8_bom_is_kept_once() {
    let input = [UTF8_BOM, TEXT.as_bytes()].concat();
    for declared in [None, Some(UTF_8), Some(WINDOWS_1252), Some(UTF_16LE)] {
        assert_eq!(
            every_split(declared, &input),
            bom_utf8(TEXT),
            "{declared:?}"
        );
    }
}

#[test]
fn trackers_hidden_by_the_encoding_are_neutralised() {
    let html = format!("<html><head>{FB}</head><body><p>\u{65E5}</p></body></html>");
    let cases: Vec<(Option<&'static Encoding>, Vec<u8>)> = vec![
        (Some(UTF_16LE), utf16(&html, false)),
        (Some(UTF_16BE), utf16(&html, true)),
        (
            Some(UTF_8),
            [&b"\xFF\xFE"[..], &utf16(&html, false)].concat(),
        ),
        (
            Some(WINDOWS_1252),
            [&b"\xFE\xFF"[..], &utf16(&html, true)].concat(),
        ),
        (Some(ISO_2022_JP), ISO_2022_JP.encode(&html).0.into_owned()),
        // ESC is no character the encoder writes: build the bytes by hand.
        // The escape sequence inside the tag name vanishes when decoded.
        (
            Some(ISO_2022_JP),
            html.replace("<script", "<scr\x1b(Bipt").into_bytes(),
        ),
        (
            None,
            format!(
                "<meta charset=iso-2022-jp>{}",
                html.replace("<script", "<scr\x1b(Bipt")
            )
            .into_bytes(),
        ),
    ];
    for (declared, input) in cases {
        let out = String::from_utf8(every_split(declared, &input)).unwrap();
        assert!(out.starts_with('\u{FEFF}'), "{declared:?}: {out}");
        assert!(
            out.contains(r#"data-consent-vendor="meta-pixel""#),
            "{declared:?}: {out}"
        );
        assert!(!out.contains(FB), "{declared:?}: {out}");
        assert!(
            out.ends_with("<!--banner--></body></html>"),
            "{declared:?}: {out}"
        );
    }
}

#[test]
fn without_a_certain_charset_the_document_is_cut_at_an_escape() {
    // Past the prescan window, an ESC could still switch a browser reading
    // ISO-2022-JP (by a later guess) out of what the filter read.
    let mut input = format!("<html><body>{}<p>kept</p>", " ".repeat(PRESCAN_BYTES)).into_bytes();
    input.extend_from_slice(b"\x1b(B");
    input.extend_from_slice(format!("{FB}<p>never sent</p></body></html>").as_bytes());
    let out = String::from_utf8(every_split(None, &input)).unwrap();
    assert!(out.contains("<p>kept</p>"), "{out}");
    assert!(
        out.contains("<!--consent-edge: document truncated--><!--banner-->"),
        "{out}"
    );
    assert!(
        !out.contains("never sent") && !out.contains("facebook"),
        "{out}"
    );
    let mut b = body(None);
    b.write(&input);
    assert!(b.was_cut());
    // Inside an open script, the fail-safe closes it first.
    let mut script = format!("<script>{}var a = 1;", " ".repeat(PRESCAN_BYTES)).into_bytes();
    script.extend_from_slice(b"\x1b(B</script><script src=x>");
    let out = String::from_utf8(every_split(None, &script)).unwrap();
    assert!(
        out.contains("</script><!--consent-edge: document truncated-->"),
        "{out}"
    );
    // A certain ASCII-compatible charset: an ESC is a control character, kept.
    let out = every_split(Some(UTF_8), &input);
    assert!(out.windows(3).any(|w| w == b"\x1b(B"));
}

#[test]
fn an_empty_or_tiny_body_still_gets_the_banner() {
    for declared in [None, Some(UTF_8), Some(UTF_16LE), Some(ISO_2022_JP)] {
        let out = run(declared, &[]);
        assert!(out.ends_with(b"<!--banner-->"), "{declared:?}");
    }
    assert_eq!(run(Some(UTF_8), &[b"\xEF\xBB"]), b"\xEF\xBB<!--banner-->");
}
