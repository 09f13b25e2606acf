//! Data minimisation: what [`super::Record::new`] keeps of a request.
//!
//! GDPR Art. 5(1)(c): the proof needs the page, not its query (which can
//! carry e-mail addresses or one-time tokens); the network, not the host;
//! the browser family, not an unbounded header.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::Url;

/// At most this many characters of the user agent are kept.
pub const USER_AGENT_MAX_CHARS: usize = 256;

/// At most this many characters of the page path are kept.
pub const PATH_MAX_CHARS: usize = 1024;

/// The first `max_chars` characters of `s` (never splits a character).
pub(crate) fn truncate_chars(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `value` trimmed and cut to `max_chars` characters; `None` when nothing
/// is left.
pub(crate) fn short(value: Option<&str>, max_chars: usize) -> Option<String> {
    value
        .map(|v| truncate_chars(v.trim(), max_chars))
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The path of a page, read the way a browser reads it (`url::Url`): a
/// full `http(s)` URL (a `Referer`) or a path (a form's `return_to`),
/// resolved against the site root. Scheme, userinfo, host, query and
/// fragment are dropped; `.`/`..` segments are resolved and non-ASCII is
/// percent-encoded, as in the request line the browser would send. Anything
/// that is not a page of a web site (`javascript:…`, `data:…`) is `/`. At
/// most [`PATH_MAX_CHARS`] characters, never cutting a `%XX` escape.
pub fn page_path(raw: &str) -> String {
    // The host is never kept, so any base does; `.invalid` is reserved
    // (RFC 2606) and can never be a real site.
    let Ok(base) = Url::parse("https://page.invalid/") else {
        return "/".to_owned();
    };
    let path = match base.join(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url.path().to_owned(),
        _ => return "/".to_owned(),
    };
    let cut = cut_path(&path);
    if cut.is_empty() {
        "/".to_owned()
    } else {
        cut.to_owned()
    }
}

/// `path` (ASCII: `url` percent-encodes the rest) cut to [`PATH_MAX_CHARS`]
/// without splitting a `%XX` escape or the escapes of one UTF-8 character.
fn cut_path(path: &str) -> &str {
    if path.len() <= PATH_MAX_CHARS || !path.is_ascii() {
        return truncate_chars(path, PATH_MAX_CHARS);
    }
    let mut cut = &path[..PATH_MAX_CHARS];
    if let Some(pct) = cut[cut.len() - 2..].find('%') {
        cut = &cut[..cut.len() - 2 + pct];
    }
    // The trailing run of escapes, decoded.
    let mut start = cut.len();
    let mut bytes = Vec::new();
    while let Some(b) = start
        .checked_sub(3)
        .and_then(|i| cut.get(i..start))
        .and_then(|e| e.strip_prefix('%'))
        .and_then(|hex| u8::from_str_radix(hex, 16).ok())
    {
        bytes.insert(0, b);
        start -= 3;
    }
    match std::str::from_utf8(&bytes) {
        // Cut inside a character: keep the escapes of the whole ones.
        Err(e) if e.error_len().is_none() => &cut[..start + 3 * e.valid_up_to()],
        _ => cut,
    }
}

/// Truncates an IP address: IPv4 to its /24 (`203.0.113.77` →
/// `203.0.113.0`), IPv6 to its /48 (`2001:db8:abcd:12::1` →
/// `2001:db8:abcd::`); an IPv4-mapped IPv6 address is treated as IPv4.
/// `None` when `ip` is not an IP address.
pub fn anonymize_ip(ip: &str) -> Option<String> {
    let ip = ip.trim();
    let ip = ip
        .strip_prefix('[')
        .and_then(|i| i.strip_suffix(']'))
        .unwrap_or(ip);
    let v4 = |a: Ipv4Addr| {
        let [a, b, c, _] = a.octets();
        Ipv4Addr::new(a, b, c, 0).to_string()
    };
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => Some(v4(a)),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(mapped) => Some(v4(mapped)),
            None => {
                let s = a.segments();
                Some(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0).to_string())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ip_addresses_are_truncated() {
        let cases = [
            ("203.0.113.77", Some("203.0.113.0")),
            (" 10.1.2.3 ", Some("10.1.2.0")),
            ("2001:db8:abcd:12::1", Some("2001:db8:abcd::")),
            ("2001:db8:abcd:ffff:1:2:3:4", Some("2001:db8:abcd::")),
            ("[2001:db8::1]", Some("2001:db8::")),
            ("::1", Some("::")),
            ("::ffff:198.51.100.9", Some("198.51.100.0")),
            ("", None),
            ("1.2.3", None),
            ("1.2.3.4:80", None),
            ("256.1.1.1", None),
            ("fe80::1%eth0", None),
            ("example.com", None),
        ];
        for (ip, want) in cases {
            assert_eq!(anonymize_ip(ip).as_deref(), want, "{ip:?}");
        }
    }

    #[test]
    fn page_paths_lose_query_fragment_and_origin() {
        let cases = [
            ("/a/b?x=1#f", "/a/b"),
            ("/a#x?y", "/a"),
            ("https://user:pw@example.com/p/q?token=1", "/p/q"),
            ("HTTP://Example.com", "/"),
            ("https://example.com?x", "/"),
            ("", "/"),
            ("  /spaced  ", "/spaced"),
            ("?only=query", "/"),
            ("#only-fragment", "/"),
            // What the browser would request: dot segments resolved,
            // a backslash is a slash in http(s) URLs, non-ASCII encoded.
            ("/a/./b/../c", "/a/c"),
            ("https://example.com\\evil\\x", "/evil/x"),
            ("/caf\u{e9}", "/caf%C3%A9"),
            ("/100%", "/100%"),
            ("//other.example/p?q", "/p"),
            // Not a URL with a scheme: a relative path.
            ("ht\u{20ac}p://x/y", "/ht%E2%82%ACp://x/y"),
            // Not a page of a web site.
            ("javascript:alert(1)", "/"),
            ("data:text/html,<b>x</b>", "/"),
            ("mailto:a@example.com", "/"),
        ];
        for (raw, want) in cases {
            assert_eq!(page_path(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn long_paths_are_cut_without_splitting_an_escape() {
        let long = format!("/{}", "a".repeat(2000));
        assert_eq!(page_path(&long).chars().count(), PATH_MAX_CHARS);
        // "/" then "%C3%A9" × n: 1 + 6k characters. The cut at 1024 falls
        // after "%C3", half of an "é": it backs off to the whole ones.
        let encoded = page_path(&format!("/{}", "\u{e9}".repeat(2000)));
        assert_eq!(encoded.len(), 1 + 6 * 170);
        assert!(encoded.ends_with("%C3%A9"), "{encoded}");
        // Every position of the cut in escapes of 1, 2, 3 and 4 bytes.
        for ch in ["a", "\u{e9}", "\u{20ac}", "\u{1f600}"] {
            for offset in 0..12 {
                let raw = format!("/{}{}", "a".repeat(offset), ch.repeat(1200));
                let cut = page_path(&raw);
                assert!(cut.len() <= PATH_MAX_CHARS && cut.len() > PATH_MAX_CHARS - 12);
                let decoded: Vec<u8> = percent_decode(&cut);
                let text = std::str::from_utf8(&decoded).expect("whole characters");
                assert!(text.ends_with(ch), "{offset}: {cut}");
            }
        }
        // A literal `%` or an escape of an invalid byte at the cut is kept.
        let raw = format!("/{}%FF%FF", "a".repeat(PATH_MAX_CHARS - 4));
        assert!(page_path(&raw).ends_with("a%FF"), "{}", page_path(&raw));
    }

    fn percent_decode(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn short_values_are_trimmed_cut_and_never_empty() {
        assert_eq!(short(Some("  DE "), 8).as_deref(), Some("DE"));
        assert_eq!(short(Some("   "), 8), None);
        assert_eq!(short(None, 8), None);
        assert_eq!(
            short(Some("\u{e9}\u{e9}\u{e9}"), 2).as_deref(),
            Some("\u{e9}\u{e9}")
        );
        assert_eq!(truncate_chars("abc", 0), "");
        assert_eq!(truncate_chars("abc", 9), "abc");
    }

    proptest! {
        #[test]
        fn page_paths_are_bounded_paths(raw in ".{0,1500}") {
            let p = page_path(&raw);
            prop_assert!(p.starts_with('/'), "{}", p);
            prop_assert!(p.len() <= PATH_MAX_CHARS);
            prop_assert!(!p.contains(['?', '#']));
            prop_assert!(p.is_ascii());
        }
    }
}
