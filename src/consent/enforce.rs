//! Cookie enforcement: pure helpers that keep refused cookies away from the
//! origin and out of the browser.
//!
//! Every helper takes a classifier, `&dyn Fn(&str) -> Option<Category>`,
//! which the caller builds with [`classify_cookie`] from the site's
//! `[[cookies]]` inventory and the tracker catalog. A cookie the
//! classifier does not know (`None`), or classifies as necessary, is never
//! touched: only cookies positively known to belong to a refused category
//! are removed.

use super::{Category, Grants};
use crate::trackers::Catalog;
use ::cookie::Cookie;
use consent_edge_config::CookieDecl;

/// The most expiry cookie names [`expire_refused`] emits for one request
/// (each name gives one or two `Set-Cookie` values).
pub const MAX_EXPIRED_NAMES: usize = 64;

/// A classifier: cookie name → category, `None` when unknown.
pub type Classify<'a> = &'a dyn Fn(&str) -> Option<Category>;

/// The category of a cookie: the site's own `[[cookies]]` inventory first
/// (the owner knows best), then the tracker catalog.
pub fn classify_cookie(
    inventory: &[CookieDecl],
    catalog: &Catalog,
    name: &str,
) -> Option<Category> {
    inventory
        .iter()
        .find(|c| c.matches(name))
        .map(|c| c.category)
        .or_else(|| catalog.cookie_category(name).map(|(c, _)| c))
}

fn refused(name: &str, grants: Grants, classify: Classify<'_>) -> bool {
    classify(name).is_some_and(|c| !grants.has(c))
}

/// The name of one `name=value` piece, as the `cookie` crate parses it, or
/// the trimmed text before the first `=` (the whole piece without one) when
/// it does not parse.
fn piece_name(piece: &str) -> &str {
    let head = piece.split(';').next().unwrap_or(piece);
    head.split_once('=').map_or(head, |(n, _)| n).trim()
}

/// The `Cookie` request header to forward to the origin: without the
/// cookies of refused categories and, unless `forward_consent`, without the
/// consent cookie (`consent_cookie` is its name). Pieces are forwarded
/// byte-for-byte; `None` when nothing is left (drop the header).
pub fn request_cookie_header(
    header: &str,
    grants: Grants,
    consent_cookie: &str,
    forward_consent: bool,
    classify: Classify<'_>,
) -> Option<String> {
    let mut kept: Vec<&str> = Vec::new();
    for piece in header.split(';') {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        let name = match Cookie::parse(piece) {
            Ok(c) => c.name().to_owned(),
            Err(_) => piece_name(piece).to_owned(),
        };
        if name == consent_cookie && !forward_consent {
            continue;
        }
        if name != consent_cookie && refused(&name, grants, classify) {
            continue;
        }
        kept.push(piece);
    }
    (!kept.is_empty()).then(|| kept.join("; "))
}

/// Whether one origin `Set-Cookie` value may reach the browser. Apply it to
/// each `Set-Cookie` header separately.
///
/// A cookie of a refused category is dropped — unless the value deletes it
/// (`Max-Age` ≤ 0, or `Expires` before 2000), which only helps. A value the
/// `cookie` crate cannot parse is kept unless the text before its first `=`
/// classifies as refused.
pub fn keep_set_cookie(value: &str, grants: Grants, classify: Classify<'_>) -> bool {
    match Cookie::parse(value) {
        Ok(c) => {
            if !refused(c.name(), grants, classify) {
                return true;
            }
            // Deleting a refused cookie only helps: keep such values.
            c.max_age().is_some_and(|a| a.whole_seconds() <= 0)
                || c.expires_datetime().is_some_and(|t| t.year() < 2000)
        }
        Err(_) => !refused(piece_name(value), grants, classify),
    }
}

/// Whether `name` is an RFC 6265 cookie-name token (safe to echo into a
/// `Set-Cookie` header).
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// `Set-Cookie` values deleting every cookie the request still carries for a
/// refused category (after a withdrawal or narrowing of consent).
///
/// Each name gets a host-only expiry and, when `domain` is given, one for
/// that domain too (the two are different cookies to a browser). All use
/// `Path=/`, `Max-Age=0`, an epoch `Expires` and `HttpOnly`, and `Secure`
/// when `secure`; a server response can delete `HttpOnly` cookies as well.
/// `__Host-` cookies get no domain variant (browsers forbid one). Names that
/// are not cookie tokens are skipped; duplicates are expired once; at most
/// [`MAX_EXPIRED_NAMES`] names per request. Cookies set on a narrower `Path`
/// cannot be seen as such in a request and are not reached.
pub fn expire_refused(
    cookie_header: &str,
    grants: Grants,
    classify: Classify<'_>,
    domain: Option<&str>,
    secure: bool,
) -> Vec<String> {
    let domain = domain.and_then(super::cookie::valid_domain);
    let mut names: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for piece in cookie_header.split(';') {
        let name = piece_name(piece.trim());
        if names.len() >= MAX_EXPIRED_NAMES {
            break;
        }
        if !is_token(name) || names.contains(&name) || !refused(name, grants, classify) {
            continue;
        }
        names.push(name);
        out.push(super::cookie::expiry(name, None, secure));
        if let Some(d) = domain.filter(|_| !name.starts_with("__Host-")) {
            out.push(super::cookie::expiry(name, Some(d), secure));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inventory_classifies_before_the_catalog() {
        let cat = Catalog::embedded();
        let decl = |name: &str, prefix: bool, category: Category| CookieDecl {
            name: name.into(),
            prefix,
            provider: "site".into(),
            category,
            purpose: "p".into(),
            duration: "1 day".into(),
            third_party: false,
        };
        // The catalog alone: _ga is Google Analytics.
        assert_eq!(classify_cookie(&[], cat, "_ga"), Some(Category::Analytics));
        assert_eq!(classify_cookie(&[], cat, "session"), None);
        // The owner's inventory wins, exact names and prefixes.
        let inv = [
            decl("_ga", false, Category::Necessary),
            decl("pref_", true, Category::Functional),
        ];
        assert_eq!(classify_cookie(&inv, cat, "_ga"), Some(Category::Necessary));
        assert_eq!(
            classify_cookie(&inv, cat, "pref_lang"),
            Some(Category::Functional)
        );
        assert_eq!(classify_cookie(&inv, cat, "pref"), None);
        assert_eq!(
            classify_cookie(&inv, cat, "_fbp"),
            Some(Category::Advertising)
        );
    }

    fn classify(name: &str) -> Option<Category> {
        if name == "_ga" || name.starts_with("_ga_") || name == "_gid" {
            Some(Category::Analytics)
        } else if name == "_fbp" || name == "IDE" || name == "__Host-ad" {
            Some(Category::Advertising)
        } else if name == "lang" {
            Some(Category::Functional)
        } else if name == "session" || name == "csrftoken" {
            Some(Category::Necessary)
        } else {
            None
        }
    }

    const C: Classify<'static> = &classify;

    fn only(cats: &[Category]) -> Grants {
        Grants::from_categories(cats.iter().copied())
    }

    #[test]
    fn request_header_loses_refused_and_consent_cookies() {
        let h =
            "session=abc; _ga=GA1.2.3; lang=de; _fbp=fb.1; consent=1.x.y; theme=dark; _ga_XYZ=1";
        assert_eq!(
            request_cookie_header(h, Grants::NECESSARY_ONLY, "consent", false, C).as_deref(),
            Some("session=abc; theme=dark")
        );
        assert_eq!(
            request_cookie_header(h, only(&[Category::Analytics]), "consent", false, C).as_deref(),
            Some("session=abc; _ga=GA1.2.3; theme=dark; _ga_XYZ=1")
        );
        assert_eq!(
            request_cookie_header(h, Grants::ALL, "consent", true, C).as_deref(),
            Some(h)
        );
        assert_eq!(
            request_cookie_header(h, Grants::ALL, "consent", false, C).as_deref(),
            Some("session=abc; _ga=GA1.2.3; lang=de; _fbp=fb.1; theme=dark; _ga_XYZ=1")
        );
    }

    #[test]
    fn request_header_edge_cases() {
        let n = Grants::NECESSARY_ONLY;
        assert_eq!(request_cookie_header("", n, "consent", false, C), None);
        assert_eq!(request_cookie_header(" ; ;", n, "consent", false, C), None);
        assert_eq!(
            request_cookie_header("_ga=1; consent=x", n, "consent", false, C),
            None
        );
        // unparseable pieces are kept unless their name classifies as refused
        assert_eq!(
            request_cookie_header("novalue; =x; _gid", n, "consent", false, C).as_deref(),
            Some("novalue; =x")
        );
        // whitespace around names, values kept byte for byte
        assert_eq!(
            request_cookie_header("  _ga = 1 ;a=\"q;\"", n, "consent", false, C).as_deref(),
            Some("a=\"q; \"")
        );
        let big = format!("{}x=1", "_ga=1; ".repeat(10_000));
        assert_eq!(
            request_cookie_header(&big, n, "consent", false, C).as_deref(),
            Some("x=1")
        );
    }

    #[test]
    fn set_cookie_filtering_one_header_at_a_time() {
        let origin = [
            "session=abc; Path=/; HttpOnly; Secure",
            "_ga=GA1.2.3; Domain=.example.com; Max-Age=63072000",
            "_gid=GA1; Path=/",
            "lang=de; Path=/",
            "IDE=xyz; Domain=.doubleclick.net; SameSite=None; Secure",
            "theme=dark",
            "_ga=; Max-Age=0; Path=/",
            "_fbp=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "_fbp=x; Expires=Thu, 01 Jan 2037 00:00:00 GMT",
            "_ga_ABC; Path=/",
            "garbage-without-equals",
        ];
        let kept = |g: Grants| -> Vec<&str> {
            origin
                .iter()
                .copied()
                .filter(|v| keep_set_cookie(v, g, C))
                .collect()
        };
        assert_eq!(
            kept(Grants::NECESSARY_ONLY),
            [
                "session=abc; Path=/; HttpOnly; Secure",
                "theme=dark",
                "_ga=; Max-Age=0; Path=/",
                "_fbp=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                "garbage-without-equals",
            ]
        );
        assert_eq!(
            kept(only(&[Category::Functional, Category::Advertising])),
            [
                "session=abc; Path=/; HttpOnly; Secure",
                "lang=de; Path=/",
                "IDE=xyz; Domain=.doubleclick.net; SameSite=None; Secure",
                "theme=dark",
                "_ga=; Max-Age=0; Path=/",
                "_fbp=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                "_fbp=x; Expires=Thu, 01 Jan 2037 00:00:00 GMT",
                "garbage-without-equals",
            ]
        );
        assert_eq!(kept(Grants::ALL).len(), origin.len());
        assert!(keep_set_cookie("", Grants::NECESSARY_ONLY, C));
    }

    #[test]
    fn withdrawal_expires_every_refused_cookie() {
        let h =
            "session=1; _ga=2; _ga_X=3; lang=4; _fbp=5; _ga=6; __Host-ad=7; bad name=8; consent=9";
        let v = expire_refused(h, Grants::NECESSARY_ONLY, C, Some("example.com"), true);
        let parsed: Vec<Cookie<'_>> = v
            .iter()
            .map(|s| Cookie::parse(s.as_str()).unwrap())
            .collect();
        let got: Vec<(&str, Option<&str>)> =
            parsed.iter().map(|c| (c.name(), c.domain())).collect();
        assert_eq!(
            got,
            [
                ("_ga", None),
                ("_ga", Some("example.com")),
                ("_ga_X", None),
                ("_ga_X", Some("example.com")),
                ("lang", None),
                ("lang", Some("example.com")),
                ("_fbp", None),
                ("_fbp", Some("example.com")),
                ("__Host-ad", None),
            ]
        );
        for c in &parsed {
            assert_eq!(c.value(), "");
            assert_eq!(c.path(), Some("/"));
            assert_eq!(c.max_age().map(|a| a.whole_seconds()), Some(0));
            assert_eq!(c.secure(), Some(true));
            assert_eq!(c.http_only(), Some(true));
        }
        // narrowing: only what is now refused
        let v = expire_refused(
            h,
            only(&[Category::Analytics, Category::Functional]),
            C,
            None,
            false,
        );
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v
            .iter()
            .all(|s| s.starts_with("_fbp=;") || s.starts_with("__Host-ad=;")));
        assert!(v.iter().all(|s| !s.contains("Secure")));
        assert!(expire_refused(h, Grants::ALL, C, Some("example.com"), true).is_empty());
    }

    #[test]
    fn expiry_count_is_bounded() {
        let h: String = (0..1000).map(|i| format!("_ga_{i}=1; ")).collect();
        let v = expire_refused(&h, Grants::NECESSARY_ONLY, C, Some("example.com"), true);
        assert_eq!(v.len(), 2 * MAX_EXPIRED_NAMES);
    }
}
