//! Response headers that make the browser fetch or go somewhere: `Link`
//! (RFC 8288; `preload`, `modulepreload`, `prefetch`, `preconnect`,
//! `dns-prefetch`, `prerender` …) and `Refresh` (HTML § 7.11.1, the
//! header form of `<meta http-equiv=refresh>`).

use crate::consent::{Category, Grants};
use crate::trackers::{Catalog, Vendor};

/// Which vendors this response must not reach: the catalog's, minus what
/// the visitor granted, what the route allows and `[trackers] allow`.
#[derive(Debug, Clone, Copy)]
pub struct Refusal<'a> {
    /// The tracker catalog.
    pub catalog: &'a Catalog,
    /// The visitor's grants.
    pub grants: Grants,
    /// Vendor ids allowed outright for this response.
    pub allow_vendors: &'a [String],
}

impl<'a> Refusal<'a> {
    /// The refused vendor `url` points at (relative URLs never match).
    pub fn refused_url(&self, url: &str) -> Option<&'a Vendor> {
        self.catalog.match_url(url).filter(|v| {
            !v.allowed
                && v.category != Category::Necessary
                && !self.grants.has(v.category)
                && !self.allow_vendors.contains(&v.id)
        })
    }
}

/// Splits a header value at the commas that separate its entries (not the
/// ones inside `<…>` or a quoted string).
fn split_entries(value: &str) -> Vec<&str> {
    let (mut out, mut start) = (Vec::new(), 0);
    let (mut in_uri, mut in_quote, mut escaped) = (false, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quote => escaped = true,
            '"' if !in_uri => in_quote = !in_quote,
            '<' if !in_quote => in_uri = true,
            '>' if !in_quote => in_uri = false,
            ',' if !in_uri && !in_quote => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

/// The target of one `Link` entry (`<uri>; rel=…`), `None` when the entry
/// has no `<…>` (browsers ignore such an entry).
fn link_target(entry: &str) -> Option<&str> {
    let rest = entry.trim_start().strip_prefix('<')?;
    Some(&rest[..rest.find('>')?])
}

/// A `Link` header without the entries that point at a refused vendor,
/// whatever their `rel`. Entries without a `<target>` are dropped as well
/// (a browser ignores them; they could only hide something). `None`: no
/// entry is left, drop the header. Unchanged input comes back unchanged.
pub fn filter_link(value: &str, refusal: &Refusal<'_>) -> Option<String> {
    let entries = split_entries(value);
    let kept: Vec<&str> = entries
        .iter()
        .copied()
        .filter(|e| link_target(e).is_some_and(|t| refusal.refused_url(t).is_none()))
        .collect();
    if kept.len() == entries.len() {
        return Some(value.to_string());
    }
    let kept: Vec<&str> = kept.iter().map(|e| e.trim()).collect();
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// The URL of a `Refresh` header (`5; url=https://…`, `0;URL='…'`,
/// `3, https://…`), as the HTML spec's "shared declarative refresh steps"
/// read it; `None` for a plain reload (`Refresh: 5`).
pub fn refresh_url(value: &str) -> Option<&str> {
    let v = value.trim_start();
    let v = v.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let v = v.trim_start_matches([' ', '\t', '\n', '\r', '\x0c']);
    let v = v.strip_prefix([';', ',']).unwrap_or(v);
    let v = v.trim_start_matches([' ', '\t', '\n', '\r', '\x0c']);
    let v = match v.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("url") => {
            let rest = v[3..].trim_start();
            match rest.strip_prefix('=') {
                Some(r) => r.trim_start(),
                None => v,
            }
        }
        _ => v,
    };
    let v = match v.chars().next() {
        Some(q @ ('"' | '\'')) => {
            let inner = &v[1..];
            &inner[..inner.find(q).unwrap_or(inner.len())]
        }
        _ => v.trim_end(),
    };
    (!v.is_empty()).then_some(v)
}

/// Whether a `Refresh` header sends the visitor to a refused vendor.
pub fn refresh_refused(value: &str, refusal: &Refusal<'_>) -> bool {
    refresh_url(value).is_some_and(|u| refusal.refused_url(u).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(grants: Grants, allow: &[String]) -> Refusal<'_> {
        Refusal {
            catalog: Catalog::configured(),
            grants,
            allow_vendors: allow,
        }
    }

    #[test]
    fn link_entries_to_refused_vendors_go_whatever_their_rel() {
        let r = refusal(Grants::NECESSARY_ONLY, &[]);
        for rel in [
            "preload; as=script",
            "modulepreload",
            "prefetch",
            "preconnect",
            "dns-prefetch",
            "prerender",
            "stylesheet",
            "\"preconnect\"; crossorigin",
        ] {
            let v = format!("</app.css>; rel=preload; as=style, <https://www.googletagmanager.com/gtag/js?id=G-1>; rel={rel}");
            assert_eq!(
                filter_link(&v, &r).as_deref(),
                Some("</app.css>; rel=preload; as=style"),
                "{rel}"
            );
        }
        let only = "<//connect.facebook.net>; rel=preconnect";
        assert_eq!(filter_link(only, &r), None, "nothing left: drop the header");
    }

    #[test]
    fn link_entries_that_are_allowed_or_first_party_stay_byte_for_byte() {
        let v = "</a.js>; rel=modulepreload, <https://cdn.example/x.css>; rel=\"preload, stylesheet\"; as=style";
        let r = refusal(Grants::NECESSARY_ONLY, &[]);
        assert_eq!(filter_link(v, &r).as_deref(), Some(v));
        let ga = "<https://www.google-analytics.com>; rel=preconnect";
        assert_eq!(
            filter_link(ga, &refusal(Grants::ALL, &[])).as_deref(),
            Some(ga)
        );
        let allow = ["google-analytics".to_string()];
        assert_eq!(
            filter_link(ga, &refusal(Grants::NECESSARY_ONLY, &allow)).as_deref(),
            Some(ga)
        );
        assert_eq!(filter_link(ga, &refusal(Grants::NECESSARY_ONLY, &[])), None);
    }

    #[test]
    fn commas_inside_targets_and_quotes_do_not_split_entries() {
        let v = "<https://www.facebook.com/tr?id=1,2>; rel=prefetch; title=\"a, <b>\", </ok>; rel=preload";
        let r = refusal(Grants::NECESSARY_ONLY, &[]);
        assert_eq!(filter_link(v, &r).as_deref(), Some("</ok>; rel=preload"));
        // No <target>: not a Link entry a browser acts on; dropped.
        assert_eq!(
            filter_link(
                "https://www.facebook.com/; rel=preconnect, </k>; rel=preload",
                &r
            )
            .as_deref(),
            Some("</k>; rel=preload")
        );
    }

    #[test]
    fn refresh_urls_are_read_like_a_browser() {
        for (v, url) in [
            ("5; url=https://t.example/x", Some("https://t.example/x")),
            ("0;URL='https://t.example/y'", Some("https://t.example/y")),
            (
                "0; Url = \"https://t.example/z\" ",
                Some("https://t.example/z"),
            ),
            ("3, https://t.example/w", Some("https://t.example/w")),
            ("1.5;url=/local", Some("/local")),
            ("5", None),
            ("5;", None),
        ] {
            assert_eq!(refresh_url(v), url, "{v:?}");
        }
    }

    #[test]
    fn a_refresh_to_a_refused_tracker_is_flagged() {
        let r = refusal(Grants::NECESSARY_ONLY, &[]);
        assert!(refresh_refused(
            "0; url=https://www.facebook.com/tr?id=1",
            &r
        ));
        assert!(refresh_refused("0;URL='//doubleclick.net/x'", &r));
        assert!(!refresh_refused("0; url=/next", &r));
        assert!(!refresh_refused("30", &r));
        assert!(!refresh_refused(
            "0; url=https://www.facebook.com/tr",
            &refusal(Grants::ALL, &[])
        ));
    }
}
