//! Reading the host and path of a URL found in an attribute value, the way
//! the browser's URL parser reads them (checked against `url::Url` by
//! `tests/oracle_url.rs`).

use std::borrow::Cow;

/// The host and path of an absolute URL, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// Lowercase host, no port, no trailing dot.
    pub host: String,
    /// The path (no query or fragment), `/` when empty.
    pub path: String,
}

/// Parses a URL as found in an attribute value (entities not yet decoded).
/// `None` for relative URLs and non-network schemes (`data:`, `javascript:` …).
pub fn parse_url(raw: &str) -> Option<UrlParts> {
    with_host_path(raw, |host, path| UrlParts {
        host: host.to_string(),
        path: path.to_string(),
    })
}

/// The schemes whose URLs have a host worth matching.
const NETWORK_SCHEMES: &[&str] = &["http", "https", "ws", "wss", "ftp"];

/// [`parse_url`] without building a [`UrlParts`]: calls `f` with the
/// normalised host and path and returns its result (`None` when the URL has
/// no host: relative, `data:`, …).
///
/// This is the hot path of the filter (every `src`, `href`, `srcset` and
/// `ping` candidate), so it works on bytes and borrows from `raw` unless the
/// URL really needs rewriting: entities before the query, tabs/newlines or
/// backslashes, percent escapes, upper case in the host. Every delimiter
/// involved is ASCII, so byte offsets are always char boundaries.
pub(crate) fn with_host_path<R>(raw: &str, f: impl FnOnce(&str, &str) -> R) -> Option<R> {
    let decoded = decode_before_query(raw);
    let cleaned = strip_tabs_newlines(trim_c0_space(&decoded));
    let rest = after_scheme(&cleaned)?;
    let end = find_byte(rest, |b| matches!(b, b'/' | b'?' | b'#'));
    let (authority, after) = rest.split_at(end);
    let host = normalise_host(authority)?;
    let host = host.trim_end_matches('.');
    if host.is_empty() {
        return None;
    }
    let path = normalise_path(&after[..find_byte(after, |b| b == b'?' || b == b'#')]);
    Some(f(host, &path))
}

/// `raw` with its HTML character references decoded when there are any
/// before the query. The host and path end at the first `?` or `#`, and
/// entity decoding leaves the text before the first `&` unchanged, so
/// entities only in the query or fragment need no decoding.
fn decode_before_query(raw: &str) -> Cow<'_, str> {
    let before_query = find_byte(raw, |b| b == b'?' || b == b'#');
    if raw.as_bytes()[..before_query].contains(&b'&') {
        crate::html::decode_attribute(raw)
    } else {
        Cow::Borrowed(raw)
    }
}

/// The URL parser removes every tab and newline; `\` reads as `/`.
fn strip_tabs_newlines(s: &str) -> Cow<'_, str> {
    if s.bytes()
        .any(|b| matches!(b, b'\t' | b'\n' | b'\r' | b'\\'))
    {
        Cow::Owned(
            s.chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .map(|c| if c == '\\' { '/' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// What follows `scheme://` (or a protocol-relative `//`); `None` for a
/// relative URL or a scheme without a host worth matching.
fn after_scheme(s: &str) -> Option<&str> {
    // A scheme-relative URL: the URL parser skips every further `/` (and
    // `\`, already turned into `/`) before the host ("special authority
    // ignore slashes state"), so `///host/x` is `host` — found by the
    // url_host fuzz check (fuzz/regressions/url_host/scheme-relative-*).
    if let Some(r) = s.strip_prefix("//") {
        return Some(r.trim_start_matches('/'));
    }
    // The scheme runs up to the first `:`; a `/`, `?` or `#` before it (or
    // no `:` at all) makes the URL relative. For the usual `/path` that is
    // decided on the first byte.
    let colon = s
        .bytes()
        .position(|b| matches!(b, b':' | b'/' | b'?' | b'#'))
        .filter(|&i| s.as_bytes()[i] == b':')?;
    let scheme = &s[..colon];
    if scheme.is_empty()
        || !NETWORK_SCHEMES
            .iter()
            .any(|n| n.eq_ignore_ascii_case(scheme))
    {
        return None;
    }
    Some(s[colon + 1..].trim_start_matches('/'))
}

/// The host of an authority (user info and port dropped), percent-decoded,
/// lowercase, through IDNA when not ASCII; `None` when IDNA rejects it.
fn normalise_host(authority: &str) -> Option<Cow<'_, str>> {
    let hostport = match authority.bytes().rposition(|b| b == b'@') {
        Some(i) => &authority[i + 1..],
        None => authority,
    };
    let host = if hostport.starts_with('[') {
        hostport
    } else {
        &hostport[..find_byte(hostport, |b| b == b':')]
    };
    let host: Cow<'_, str> = if host.bytes().any(|b| b == b'%') {
        percent_decode(host)
    } else {
        Cow::Borrowed(host)
    };
    let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        host
    };
    // A host with non-ASCII characters goes through IDNA, as the URL
    // parser's "domain to ASCII" does: `goo\u{AD}gle` (from `&shy;`) is
    // `google`, full-width letters and dots are ASCII ones. A host IDNA
    // rejects cannot be loaded at all. (Rare: ASCII hosts skip this.)
    if host.is_ascii() {
        return Some(host);
    }
    let ascii = idna::domain_to_ascii_cow(host.as_bytes(), idna::AsciiDenyList::URL).ok()?;
    Some(Cow::Owned(ascii.into_owned()))
}

/// The path as the URL parser reads it: `/` when empty, dot segments
/// resolved, percent escapes decoded.
fn normalise_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        Cow::Borrowed("/")
    } else if has_dot_segment(path) {
        // `/a/../pagead/x` is `/pagead/x` to the URL parser (`%2e` counts
        // as a dot): resolve the segments the way it does before matching
        // path prefixes. Rare, so the `url` crate does it.
        match url::Url::parse(&format!("http://h{path}")) {
            Ok(u) => Cow::Owned(percent_decode(u.path()).into_owned()),
            Err(_) => percent_decode(path),
        }
    } else if path.bytes().any(|b| b == b'%') {
        percent_decode(path)
    } else {
        Cow::Borrowed(path)
    }
}

/// Whether a path may hold a `.` or `..` segment (`%2e` included): a
/// segment that starts with a dot or an encoded dot.
fn has_dot_segment(path: &str) -> bool {
    path.split('/').skip(1).any(|seg| {
        let seg = seg.as_bytes();
        seg.first() == Some(&b'.') || (seg.len() >= 3 && seg[..3].eq_ignore_ascii_case(b"%2e"))
    })
}

/// Index of the first byte of `s` matching `pred` (`s.len()` if none).
fn find_byte(s: &str, pred: impl Fn(u8) -> bool) -> usize {
    s.bytes().position(pred).unwrap_or(s.len())
}

/// `s` without leading and trailing C0 controls and spaces (all of them
/// single bytes ≤ 0x20 in UTF-8).
fn trim_c0_space(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| c > b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c > b' ').map_or(start, |i| i + 1);
    &s[start..end]
}

/// `%XX` escapes decoded (invalid ones kept as written), then read as
/// UTF-8 with U+FFFD for what is not, as the URL parser's host step does.
fn percent_decode(s: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy()
}

/// The HTML character references of an attribute value decoded as the
/// browser does (see [`crate::html::decode_attribute`], which this is).
pub fn decode_entities(s: &str) -> String {
    crate::html::decode_attribute(s).into_owned()
}
