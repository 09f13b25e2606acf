//! Which bytes the filter reads: the document type, the transfer coding and
//! the character encoding of an origin response, decided as the browser
//! will decide them (issue 12, class 12).
//!
//! lol_html tokenizes bytes and assumes an ASCII-compatible encoding. A
//! document the browser decodes otherwise (UTF-16 by BOM or label,
//! ISO-2022-JP whose escape sequences `ESC ( B` vanish inside a tag name),
//! renders with another parser (XML), sniffs (no `Content-Type`) or cannot
//! read at all (a `Content-Encoding` the runtime left encoded) would reach
//! the browser unfiltered. Two decisions, both pure:
//!
//! - [`treat`], from the headers: filter, pass (with headers that stop the
//!   browser rendering HTML or running code), or refuse (502 naming the
//!   problem). See its table.
//! - [`sniff`], from the first bytes of the body: read the bytes as they are
//!   in an ASCII-compatible encoding, or transcode them to UTF-8 first
//!   ([`Reading`]). The streaming side is [`super::DocumentBody`].

use encoding_rs::{Encoding, ISO_2022_JP, UTF_8};

/// Content codings the Workers runtime decodes for a `fetch` from the
/// origin (the body the worker reads is already decoded; the header stays
/// and the runtime encodes the worker's response again). Checked in
/// workerd 1.20260426 through Miniflare: `gzip` and `br` are decoded;
/// `x-gzip`, `deflate` and `zstd` reach the worker still encoded
/// (`tests/e2e/encoding.test.mjs`: "gzip and br from the origin are decoded
/// by the runtime and filtered", "an undecoded Content-Encoding …"). A
/// navigation asks the origin for these only (`upstream_request`).
pub const RUNTIME_DECODED: &[&str] = &["gzip", "br"];

/// The UTF-8 BOM that starts every transcoded (or BOM-decided) output: the
/// browser's BOM sniff (WHATWG Encoding, "decode"; HTML §13.2.3.2, step
/// one) beats the `Content-Type` charset and any `<meta charset>`, so the
/// UTF-8 the filter read is what the browser decodes, whatever else the
/// document declares.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How many bytes the browser's `<meta>` prescan looks at (HTML §13.2.3.2,
/// "prescan a byte stream"): the window [`sniff`] waits for when no
/// transport-layer charset is certain.
pub const PRESCAN_BYTES: usize = 1024;

/// The response headers [`treat`] reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Headers<'a> {
    /// `Content-Type` (several values as the runtime joins them, `, `).
    pub content_type: Option<&'a str>,
    /// `Content-Encoding`.
    pub content_encoding: Option<&'a str>,
    /// `X-Content-Type-Options`.
    pub content_type_options: Option<&'a str>,
    /// The request is a document navigation (top level or frame).
    pub navigation: bool,
}

/// What the response is, for the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Treatment {
    /// Filtered as HTML.
    Filter(Document),
    /// Passed on unfiltered, with these headers added (empty: none).
    Pass(Vec<(String, String)>),
    /// Refused: the body cannot be filtered and could render as HTML.
    Refuse(String),
}

/// A document the filter reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The transport-layer charset when the browser takes it as certain (a
    /// label the WHATWG Encoding standard knows); `None`: the browser
    /// prescans `<meta>` and may guess.
    pub declared: Option<&'static Encoding>,
    /// The `Content-Type` the rewritten response is served with; `None`:
    /// the origin's, unchanged.
    pub content_type: Option<String>,
}

/// The content security policy for XML documents passed unfiltered: no
/// script of any origin, nothing fetched from another origin. An XML
/// document (`image/svg+xml`, `application/xml`, RSS …) runs scripts in the
/// XHTML or SVG namespace and XSLT output when it is opened as a document;
/// a feed reader or crawler ignores the header.
pub const XML_CSP: &str = "default-src 'self'; script-src 'none'; object-src 'none'; \
                           style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'self'";

/// The document type as the browser reads the `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `text/html`.
    Html,
    /// `application/xhtml+xml`: an HTML page written as XML.
    Xhtml,
    /// Any other XML type (`*/xml`, `*+xml`): rendered by the XML parser.
    Xml,
    /// No type, an unparseable one, or `unknown/unknown`,
    /// `application/unknown`, `*/*`: the browser sniffs (MIME Sniffing
    /// §7.1 step 2).
    Unlabelled,
    /// Anything else: never rendered as HTML (`text/plain` is not sniffed
    /// into HTML either, MIME Sniffing §7.1).
    Other,
}

/// `treat`: what to do with a response body, from its headers.
///
/// | `Content-Type` | decision |
/// |---|---|
/// | `text/html` | filter |
/// | `application/xhtml+xml` | filter, served as `text/html` (the browser's HTML parser then reads what the filter read; XML-only syntax such as CDATA sections or `<script/>` may render differently, never load more) |
/// | other XML (`image/svg+xml`, `text/xml`, `*+xml`) | pass with [`XML_CSP`] (no script, nothing third-party) |
/// | none, unparseable, `unknown/unknown`, `*/*` | navigation without `nosniff`: filter as `text/html`; otherwise pass with `X-Content-Type-Options: nosniff` (the browser never sniffs it into HTML) |
/// | anything else (`text/plain`, images, JSON …) | pass |
///
/// A document to filter whose `Content-Encoding` is not absent, `identity`
/// or one the runtime decoded (`decoded`) is refused: its bytes are not
/// HTML the filter can read, and the browser would decode them.
pub fn treat(h: &Headers<'_>, decoded: &[&str]) -> Treatment {
    let (kind, charset) = media_type(h.content_type);
    let nosniff = h
        .content_type_options
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff"));
    let relabel = match kind {
        Kind::Html => false,
        Kind::Xhtml => true,
        Kind::Unlabelled if h.navigation && !nosniff => true,
        Kind::Unlabelled if nosniff => return Treatment::Pass(Vec::new()),
        Kind::Unlabelled => {
            return Treatment::Pass(vec![("x-content-type-options".into(), "nosniff".into())])
        }
        Kind::Xml => {
            return Treatment::Pass(vec![("content-security-policy".into(), XML_CSP.into())])
        }
        Kind::Other => return Treatment::Pass(Vec::new()),
    };
    if let Some(coding) = undecoded_coding(h.content_encoding, decoded) {
        return Treatment::Refuse(format!(
            "the origin sent this page with Content-Encoding `{coding}`, which the worker \
             cannot decode, so it cannot remove the trackers the visitor has not agreed to; \
             the page is not served. Send it uncompressed or with gzip or br."
        ));
    }
    let declared = charset.and_then(|c| Encoding::for_label(c.as_bytes()));
    let content_type = match declared {
        // Transcoded: the output is UTF-8 (and starts with a UTF-8 BOM).
        Some(e) if !e.is_ascii_compatible() => Some("text/html; charset=utf-8".to_string()),
        Some(e) if relabel => Some(format!("text/html; charset={}", e.name())),
        None if relabel => Some("text/html".to_string()),
        _ => None,
    };
    Treatment::Filter(Document {
        declared,
        content_type,
    })
}

/// The first content coding that is neither `identity` nor one the runtime
/// decoded (several codings: the runtime decodes at most one, so any list
/// of two or more real codings is refused).
fn undecoded_coding<'a>(value: Option<&'a str>, decoded: &[&str]) -> Option<&'a str> {
    let codings: Vec<&str> = value?
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
        .collect();
    match codings.as_slice() {
        [] => None,
        [one] if decoded.iter().any(|d| d.eq_ignore_ascii_case(one)) => None,
        [one] => Some(one),
        [.., last] => Some(last),
    }
}

/// The document type and charset label of a `Content-Type`, as Fetch
/// "extract a MIME type" reads it: of comma-separated values (several
/// headers joined), the last that parses and is not `*/*` wins.
fn media_type(value: Option<&str>) -> (Kind, Option<String>) {
    let Some(value) = value else {
        return (Kind::Unlabelled, None);
    };
    let last = split_outside_quotes(value)
        .filter_map(|v| parse_media_type(v.trim()))
        .filter(|(essence, _)| essence != "*/*")
        .last();
    let Some((essence, charset)) = last else {
        return (Kind::Unlabelled, None);
    };
    let (top, sub) = essence.split_once('/').unwrap_or_default();
    let kind = match (top, sub) {
        ("text", "html") => Kind::Html,
        ("application", "xhtml+xml") => Kind::Xhtml,
        (_, "xml") => Kind::Xml,
        (_, s) if s.ends_with("+xml") => Kind::Xml,
        ("unknown", "unknown") | ("application", "unknown") => Kind::Unlabelled,
        _ => Kind::Other,
    };
    (kind, charset)
}

/// The lower-case essence and the charset of one media type: parsed by
/// `mime`; where it refuses a value the browser still reads (an empty
/// parameter, `;;`, a space in a value), by the Fetch "parse a MIME type"
/// steps for the type, subtype and the first `charset` parameter — so a
/// stricter parser never turns a document the browser renders as HTML
/// (or decodes as UTF-16) into something else.
fn parse_media_type(v: &str) -> Option<(String, Option<String>)> {
    if let Ok(m) = v.parse::<mime::Mime>() {
        let charset = m.get_param(mime::CHARSET).map(|c| c.as_str().to_string());
        return Some((m.essence_str().to_ascii_lowercase(), charset));
    }
    let is_token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    let mut parts = v.split(';');
    let essence = parts.next()?.trim().to_ascii_lowercase();
    let (top, sub) = essence.split_once('/')?;
    if !is_token(top) || !is_token(sub) {
        return None;
    }
    let charset = parts.find_map(|p| {
        let (name, value) = p.trim_start().split_once('=')?;
        let value = value.trim_end().trim_matches('"');
        (name.eq_ignore_ascii_case("charset") && !value.is_empty()).then(|| value.to_string())
    });
    Some((essence, charset))
}

/// `value` split at commas that are not inside a quoted string.
fn split_outside_quotes(value: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, b) in value.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts.into_iter()
}

/// How the body's bytes reach the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// As they are, in this ASCII-compatible encoding (`None`: UTF-8 until
    /// a `<meta charset>` names another ASCII-compatible one, as lol_html
    /// follows it). `cut_at_escape`: no charset is certain, so the browser
    /// could still read ISO-2022-JP (its prescan, or its detector): the
    /// document is cut at the first ESC byte (see [`sniff`]).
    AsIs {
        /// The encoding lol_html is told.
        encoding: Option<&'static Encoding>,
        /// Cut at the first ESC (0x1B).
        cut_at_escape: bool,
    },
    /// Decoded from `from` to UTF-8 (the first `skip` bytes, a BOM, dropped),
    /// filtered as UTF-8, and sent after a [`UTF8_BOM`].
    Transcode {
        /// The body's encoding.
        from: &'static Encoding,
        /// Bytes of BOM to drop.
        skip: usize,
    },
}

/// `sniff`: how to read a body from its first bytes `head` (`complete`: the
/// body ends there). `None`: more bytes are needed.
///
/// 1. A BOM (UTF-8, UTF-16LE, UTF-16BE) wins over everything (WHATWG
///    Encoding "BOM sniff", HTML §13.2.3.2 step 1): transcode from it.
/// 2. A certain charset (`declared`): as is when ASCII-compatible,
///    transcoded otherwise (UTF-16LE/BE, ISO-2022-JP, `replacement`, which
///    decodes to one U+FFFD as in the browser).
/// 3. None: the browser prescans the first 1024 bytes for `<meta>` and may
///    then guess. The only non-ASCII-compatible encoding it can reach that
///    way is ISO-2022-JP (a `<meta>` naming UTF-16 means UTF-8, §13.2.3.3;
///    the `replacement` labels render nothing), and lol_html ignores such
///    a `<meta>`. So: an ISO-2022-JP escape sequence or label (after
///    `charset`) in the first [`PRESCAN_BYTES`] → transcode from
///    ISO-2022-JP; otherwise as is, cut at the first ESC byte, the only
///    byte that lets ISO-2022-JP decode differently from ASCII (before it
///    the two agree on every ASCII byte, and markup is ASCII). Assumed,
///    not tested here: no browser guesses UTF-16 without a BOM (Firefox's
///    detector, chardetng, never returns it).
pub fn sniff(declared: Option<&'static Encoding>, head: &[u8], complete: bool) -> Option<Reading> {
    if let Some((from, skip)) = Encoding::for_bom(head) {
        return Some(Reading::Transcode { from, skip });
    }
    let bom_prefix = [UTF8_BOM, b"\xFF\xFE", b"\xFE\xFF"]
        .iter()
        .any(|b| b.len() > head.len() && b.starts_with(head));
    if bom_prefix && !complete {
        return None;
    }
    match declared {
        Some(e) if e.is_ascii_compatible() => Some(Reading::AsIs {
            encoding: Some(e),
            cut_at_escape: false,
        }),
        Some(from) => Some(Reading::Transcode { from, skip: 0 }),
        None if head.len() < PRESCAN_BYTES && !complete => None,
        None if names_iso_2022_jp(&head[..head.len().min(PRESCAN_BYTES)]) => {
            Some(Reading::Transcode {
                from: ISO_2022_JP,
                skip: 0,
            })
        }
        None => Some(Reading::AsIs {
            encoding: None,
            cut_at_escape: true,
        }),
    }
}

/// Whether `head` carries an ISO-2022-JP escape sequence (`ESC $` or
/// `ESC (`, WHATWG Encoding §12.2.1) or `charset` followed (within a few
/// bytes of `=`, quotes and spaces) by one of its labels. Conservative: a
/// page that merely mentions the label right after the word `charset` is
/// read as ISO-2022-JP too, which keeps every ASCII byte.
fn names_iso_2022_jp(head: &[u8]) -> bool {
    if head
        .windows(2)
        .any(|w| w[0] == 0x1B && matches!(w[1], b'$' | b'('))
    {
        return true;
    }
    let lower = head.to_ascii_lowercase();
    let mut at = 0;
    while let Some(i) = find(&lower[at..], b"charset") {
        let rest = &lower[at + i + 7..];
        let value = rest
            .iter()
            .position(|b| {
                !matches!(
                    b,
                    b'=' | b'"' | b'\'' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0C'
                )
            })
            .map_or(&[][..], |p| &rest[p..]);
        let label_end = value
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')))
            .unwrap_or(value.len());
        if Encoding::for_label(&value[..label_end]) == Some(ISO_2022_JP) {
            return true;
        }
        at += i + 7;
    }
    false
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The encoding lol_html is told for a [`Reading`].
pub fn filter_charset(reading: &Reading) -> Option<&'static str> {
    match reading {
        Reading::AsIs { encoding, .. } => encoding.map(|e| e.name()),
        Reading::Transcode { .. } => Some(UTF_8.name()),
    }
}

#[cfg(test)]
#[path = "encoding_tests.rs"]
mod tests;
