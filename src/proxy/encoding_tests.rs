use super::*;
use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};

fn t(ct: Option<&str>, ce: Option<&str>, nosniff: bool, navigation: bool) -> Treatment {
    treat(
        &Headers {
            content_type: ct,
            content_encoding: ce,
            content_type_options: nosniff.then_some("nosniff"),
            navigation,
        },
        RUNTIME_DECODED,
    )
}

fn doc(declared: Option<&'static Encoding>, ct: Option<&str>) -> Treatment {
    Treatment::Filter(Document {
        declared,
        content_type: ct.map(String::from),
    })
}

#[test]
fn the_decision_table() {
    let nosniff = || Treatment::Pass(vec![("x-content-type-options".into(), "nosniff".into())]);
    let xml = || Treatment::Pass(vec![("content-security-policy".into(), XML_CSP.into())]);
    let cases: Vec<(Option<&str>, bool, bool, Treatment)> = vec![
        // HTML: filtered in its declared charset; the header kept when ASCII-compatible.
        (Some("text/html"), false, false, doc(None, None)),
        (
            Some("TEXT/HTML; Charset=\"UTF-8\""),
            false,
            false,
            doc(Some(UTF_8), None),
        ),
        (
            Some("text/html; charset=latin1"),
            false,
            false,
            doc(Some(WINDOWS_1252), None),
        ),
        // Unknown label: not certain, the browser prescans (WHATWG: unsupported → next step).
        (
            Some("text/html; charset=x-no-such"),
            false,
            false,
            doc(None, None),
        ),
        (
            Some("text/html; charset=utf-7"),
            false,
            false,
            doc(None, None),
        ),
        // Non-ASCII-compatible: transcoded, relabelled UTF-8.
        (
            Some("text/html; charset=utf-16"),
            false,
            false,
            doc(Some(UTF_16LE), Some("text/html; charset=utf-8")),
        ),
        (
            Some("text/html; charset=UTF-16BE"),
            false,
            false,
            doc(Some(UTF_16BE), Some("text/html; charset=utf-8")),
        ),
        (
            Some("text/html; charset=csISO2022JP"),
            false,
            false,
            doc(Some(ISO_2022_JP), Some("text/html; charset=utf-8")),
        ),
        (
            Some("text/html; charset=iso-2022-kr"),
            false,
            false,
            doc(
                Some(encoding_rs::REPLACEMENT),
                Some("text/html; charset=utf-8"),
            ),
        ),
        // XHTML: filtered, served as text/html (for any request, as before).
        (
            Some("application/xhtml+xml"),
            false,
            false,
            doc(None, Some("text/html")),
        ),
        (
            Some("application/xhtml+xml; charset=utf-8"),
            true,
            false,
            doc(Some(UTF_8), Some("text/html; charset=UTF-8")),
        ),
        (
            Some("application/xhtml+xml; charset=utf-16le"),
            false,
            false,
            doc(Some(UTF_16LE), Some("text/html; charset=utf-8")),
        ),
        // Other XML: passed with the no-script CSP.
        (Some("image/svg+xml"), false, true, xml()),
        (Some("application/xml"), false, true, xml()),
        (Some("text/xml; charset=utf-8"), false, false, xml()),
        (Some("application/rss+xml"), false, true, xml()),
        // Unlabelled: a navigation is filtered as HTML; nosniff or a subresource is passed.
        (None, false, true, doc(None, Some("text/html"))),
        (Some(""), false, true, doc(None, Some("text/html"))),
        (Some("garbage"), false, true, doc(None, Some("text/html"))),
        (
            Some("unknown/unknown"),
            false,
            true,
            doc(None, Some("text/html")),
        ),
        (
            Some("application/unknown"),
            false,
            true,
            doc(None, Some("text/html")),
        ),
        (Some("*/*"), false, true, doc(None, Some("text/html"))),
        (None, true, true, Treatment::Pass(Vec::new())),
        (None, false, false, nosniff()),
        (Some("*/*"), false, false, nosniff()),
        // Several values: the last valid one wins (Fetch, "extract a MIME type").
        (Some("text/plain, text/html"), false, false, doc(None, None)),
        (
            Some("text/html, text/plain"),
            false,
            true,
            Treatment::Pass(Vec::new()),
        ),
        (Some("text/html, */*"), false, false, doc(None, None)),
        (
            Some("text/plain; charset=\"a,text/html\""),
            false,
            false,
            Treatment::Pass(Vec::new()),
        ),
        (
            Some("text/html; charset=utf-16, garbage"),
            false,
            false,
            doc(Some(UTF_16LE), Some("text/html; charset=utf-8")),
        ),
        // Values `mime` refuses but the browser reads (Fetch "parse a MIME type").
        (Some("text/html; charset="), false, false, doc(None, None)),
        (
            Some("text/html;;charset=utf-16"),
            false,
            false,
            doc(Some(UTF_16LE), Some("text/html; charset=utf-8")),
        ),
        (
            Some("text/html; foo; charset=utf-16be"),
            false,
            false,
            doc(Some(UTF_16BE), Some("text/html; charset=utf-8")),
        ),
        (
            Some("text/html; charset=\"utf-16\"; x"),
            false,
            false,
            doc(Some(UTF_16LE), Some("text/html; charset=utf-8")),
        ),
        (
            Some("text/html ; charset = utf-8"),
            false,
            false,
            doc(None, None),
        ),
        (
            Some("text/plain;;"),
            false,
            true,
            Treatment::Pass(Vec::new()),
        ),
        (Some("image/svg+xml;;"), false, true, xml()),
        // Never rendered as HTML.
        (Some("text/plain"), false, true, Treatment::Pass(Vec::new())),
        (
            Some("text/plain; charset=ISO-8859-1"),
            false,
            true,
            Treatment::Pass(Vec::new()),
        ),
        (
            Some("application/json"),
            false,
            true,
            Treatment::Pass(Vec::new()),
        ),
        (Some("image/png"), false, true, Treatment::Pass(Vec::new())),
    ];
    for (ct, nosniff, navigation, want) in cases {
        assert_eq!(
            t(ct, None, nosniff, navigation),
            want,
            "{ct:?} nosniff={nosniff} nav={navigation}"
        );
    }
}

#[test]
fn an_undecoded_content_encoding_is_refused_naming_it() {
    for ce in [
        "zstd",
        "x-gzip",
        "compress",
        "x-unknown",
        "gzip, br",
        "br, gzip",
        "deflate",
        "gzip, zstd",
    ] {
        match t(Some("text/html"), Some(ce), false, true) {
            Treatment::Refuse(why) => {
                let last = ce.rsplit(',').next().unwrap().trim();
                assert!(why.contains(&format!("`{last}`")), "{ce}: {why}");
                assert!(why.contains("not served"), "{why}");
            }
            other => panic!("{ce}: {other:?}"),
        }
    }
    for ce in [
        "",
        "identity",
        "gzip",
        "GZIP",
        "br",
        "identity, gzip",
        " br ",
    ] {
        assert_eq!(
            t(Some("text/html"), Some(ce), false, true),
            doc(None, None),
            "{ce:?}"
        );
    }
    // Not a document: the body is never read, whatever its coding.
    assert_eq!(
        t(Some("image/png"), Some("zstd"), false, true),
        Treatment::Pass(Vec::new())
    );
    // What the runtime decodes is an input.
    assert!(matches!(
        treat(
            &Headers {
                content_type: Some("text/html"),
                content_encoding: Some("br"),
                ..Default::default()
            },
            &["gzip"],
        ),
        Treatment::Refuse(_)
    ));
}

fn asis(e: Option<&'static Encoding>, cut: bool) -> Option<Reading> {
    Some(Reading::AsIs {
        encoding: e,
        cut_at_escape: cut,
    })
}

fn tc(from: &'static Encoding, skip: usize) -> Option<Reading> {
    Some(Reading::Transcode { from, skip })
}

#[test]
fn the_bom_wins_over_the_label() {
    let labels = [
        None,
        Some(UTF_8),
        Some(WINDOWS_1252),
        Some(UTF_16BE),
        Some(ISO_2022_JP),
    ];
    for declared in labels {
        assert_eq!(sniff(declared, b"\xEF\xBB\xBF<p>", false), tc(UTF_8, 3));
        assert_eq!(sniff(declared, b"\xFF\xFE<\0", false), tc(UTF_16LE, 2));
        assert_eq!(sniff(declared, b"\xFE\xFF\0<", false), tc(UTF_16BE, 2));
        // A BOM's prefix waits for the next byte …
        assert_eq!(sniff(declared, b"\xEF\xBB", false), None);
        assert_eq!(sniff(declared, b"\xFE", false), None);
        assert_eq!(sniff(declared, b"", false), None);
    }
    // … unless the body ends there.
    assert_eq!(
        sniff(Some(UTF_8), b"\xEF\xBB", true),
        asis(Some(UTF_8), false)
    );
    // UTF-16LE's BOM is FF FE; FF FE 00 00 is not UTF-32 on the web.
    assert_eq!(sniff(None, b"\xFF\xFE\0\0", false), tc(UTF_16LE, 2));
}

#[test]
fn a_certain_label_decides_at_the_first_byte() {
    assert_eq!(sniff(Some(UTF_8), b"<", false), asis(Some(UTF_8), false));
    assert_eq!(
        sniff(Some(WINDOWS_1252), b"<", false),
        asis(Some(WINDOWS_1252), false)
    );
    assert_eq!(sniff(Some(UTF_16LE), b"<", false), tc(UTF_16LE, 0));
    assert_eq!(sniff(Some(UTF_16BE), b"\0", false), tc(UTF_16BE, 0));
    assert_eq!(sniff(Some(ISO_2022_JP), b"<", false), tc(ISO_2022_JP, 0));
    let repl = encoding_rs::REPLACEMENT;
    assert_eq!(sniff(Some(repl), b"<", false), tc(repl, 0));
}

#[test]
fn without_a_label_the_prescan_window_decides() {
    let page = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        v.resize(PRESCAN_BYTES, b' ');
        v
    };
    // Waits for the window, or the end of the body.
    assert_eq!(sniff(None, b"<html>", false), None);
    assert_eq!(sniff(None, b"<html>", true), asis(None, true));
    assert_eq!(sniff(None, &page("<p>plain"), false), asis(None, true));
    for iso in [
        "<meta charset=iso-2022-jp>",
        "<meta charset=\"ISO-2022-JP\">",
        "<meta http-equiv=Content-Type content='text/html; charset = csISO2022JP'>",
        "<p>\x1b$B$3\x1b(B</p>",
        "<scr\x1b(Bipt>",
    ] {
        assert_eq!(
            sniff(None, &page(iso), false),
            tc(ISO_2022_JP, 0),
            "{iso:?}"
        );
    }
    // Other labels are left to lol_html's own `<meta>` handling.
    for other in [
        "<meta charset=shift_jis>",
        "<meta charset=utf-16>",
        "<p>iso-2022-jp",
    ] {
        assert_eq!(
            sniff(None, &page(other), false),
            asis(None, true),
            "{other:?}"
        );
    }
    // Only the window counts.
    let mut late = page("<p>");
    late.extend_from_slice(b"<meta charset=iso-2022-jp>");
    assert_eq!(sniff(None, &late, false), asis(None, true));
}

#[test]
fn the_filter_reads_utf8_after_transcoding() {
    assert_eq!(filter_charset(&tc(UTF_16LE, 2).unwrap()), Some("UTF-8"));
    assert_eq!(
        filter_charset(&asis(Some(WINDOWS_1252), false).unwrap()),
        Some("windows-1252")
    );
    assert_eq!(filter_charset(&asis(None, true).unwrap()), None);
}
