//! Cookie enforcement: pure helpers that keep refused cookies away from the
//! origin and out of the browser.
//!
//! Every helper takes a classifier, `&dyn Fn(&str) -> Option<Category>`,
//! which the caller builds with [`classify_cookie`] from the site's
//! `[[cookies]]` inventory and the tracker catalog. A cookie the
//! classifier does not know (`None`), or classifies as necessary, is never
//! touched: only cookies positively known to belong to a refused category
//! are removed.

use super::reach::Reach;
use super::{Category, Grants};
use crate::trackers::Catalog;
use ::cookie::Cookie;
use consent_edge_config::CookieDecl;

/// The most expiry cookie names [`expire_refused`] emits for one request.
pub const MAX_EXPIRED_NAMES: usize = 64;
/// The most `Set-Cookie` expiries [`expire_refused`] emits for one response.
pub const MAX_EXPIRIES: usize = 128;
/// The most bytes of expiry values one response carries. Clients cap a
/// response's header block (Node/undici: 16 KB in all; a 64 KB `Cookie`
/// header full of `_ga_N` cookies made ≈ 33 KB of expiries, and the
/// response failed), so the expiries stay well under it. What does not fit
/// is reached on the next requests: the cookies still arrive, and are
/// expired again (the residual audit).
pub const MAX_EXPIRY_BYTES: usize = 12 * 1024;
/// The first year an `Expires` date can name (RFC 6265 §5.1.1: a year
/// before 1601 fails to parse, so the browser keeps a session cookie).
const FIRST_COOKIE_YEAR: i32 = 1601;

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

/// Whether one origin `Set-Cookie` value may reach the browser at `now`
/// (unix seconds). Apply it to each `Set-Cookie` header separately.
///
/// A cookie of a refused category is dropped unless the value really
/// deletes it, as RFC 6265 §5.3 step 3 reads it ([`deletes`]). A value the
/// `cookie` crate cannot parse, or a nameless one (`=_ga=GA1.1`, which a
/// browser stores with an empty name and sends back as `_ga=GA1.1`), is
/// dropped when any name a browser or a script could read from it
/// classifies as refused ([`names_in`]).
pub fn keep_set_cookie(value: &str, grants: Grants, classify: Classify<'_>, now: u64) -> bool {
    match Cookie::parse(value) {
        Ok(c) if !c.name().trim().is_empty() => {
            !refused(c.name(), grants, classify) || deletes(&c, now)
        }
        _ => !names_in(value).iter().any(|n| refused(n, grants, classify)),
    }
}

/// Whether a parsed `Set-Cookie` deletes its cookie at `now`: `Max-Age`
/// ≤ 0 when there is a `Max-Age` (it wins over `Expires`), otherwise an
/// `Expires` in the past, in a year a browser can parse (≥ 1601), with an
/// empty value. The empty value is asked only of the `Expires` form: date
/// parsers differ between browsers and the `cookie` crate, so a value that
/// might end up a session cookie must at least carry nothing.
pub fn deletes(c: &Cookie<'_>, now: u64) -> bool {
    if let Some(age) = c.max_age() {
        return age.whole_seconds() <= 0;
    }
    c.expires_datetime().is_some_and(|t| {
        t.year() >= FIRST_COOKIE_YEAR
            && t.unix_timestamp() < i64::try_from(now).unwrap_or(i64::MAX)
            && c.value().is_empty()
    })
}

/// The names a browser or script could read from a `Set-Cookie` the
/// `cookie` crate rejects: the trimmed text before the first `=` (the whole
/// pair without one), and for a nameless pair (`=_ga=x`, `==_ga=x`) the
/// name inside its value.
pub fn names_in(value: &str) -> Vec<&str> {
    let pair = value.split(';').next().unwrap_or(value);
    let mut out = vec![piece_name(pair)];
    if pair.trim_start().starts_with('=') {
        out.push(piece_name(
            pair.trim_start_matches(|c: char| c == '=' || c.is_whitespace()),
        ));
    }
    out.retain(|n| !n.is_empty());
    out.dedup();
    out
}

/// Whether `name` is an RFC 6265 cookie-name token (safe to echo into a
/// `Set-Cookie` header).
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// The distinct names of the refused cookies in a `Cookie` request
/// header, in order, at most [`MAX_EXPIRED_NAMES`]; names that are not
/// cookie tokens are skipped.
pub fn refused_names<'h>(
    cookie_header: &'h str,
    grants: Grants,
    classify: Classify<'_>,
) -> Vec<&'h str> {
    let mut names: Vec<&str> = Vec::new();
    for piece in cookie_header.split(';') {
        let name = piece_name(piece.trim());
        if names.len() >= MAX_EXPIRED_NAMES {
            break;
        }
        if is_token(name) && !names.contains(&name) && refused(name, grants, classify) {
            names.push(name);
        }
    }
    names
}

/// The residual audit of one request: the number of distinct refused
/// cookies it carries while a decision is in force (`decided`); 0 without
/// a decision (the regime's defaults were never acted on by the visitor).
pub fn residual(
    cookie_header: Option<&str>,
    decided: bool,
    grants: Grants,
    classify: Classify<'_>,
) -> usize {
    match cookie_header {
        Some(h) if decided => refused_names(h, grants, classify).len(),
        _ => 0,
    }
}

/// `Set-Cookie` values deleting every cookie the request still carries for a
/// refused category (after a withdrawal or narrowing of consent, and again
/// on every later request while they keep arriving).
///
/// Each name is expired everywhere it may live ([`Reach`]): host-only and on
/// each domain of `reach.domains`, at each path of `reach.paths` (shortest
/// first, so `/` is covered for every name before deeper paths). All use
/// `Max-Age=0`, an epoch `Expires` and `HttpOnly`, and `Secure` when
/// `secure`; a server response deletes `HttpOnly` cookies as well.
/// `__Host-` cookies get only host-only at `Path=/` (browsers allow nothing
/// else). At most [`MAX_EXPIRIES`] values and [`MAX_EXPIRY_BYTES`] bytes.
pub fn expire_refused(
    cookie_header: &str,
    grants: Grants,
    classify: Classify<'_>,
    reach: &Reach,
    secure: bool,
) -> Vec<String> {
    let names = refused_names(cookie_header, grants, classify);
    let mut out: Vec<String> = Vec::new();
    let mut bytes = 0;
    'paths: for path in &reach.paths {
        for name in &names {
            let host_cookie = name.starts_with("__Host-");
            if host_cookie && path != "/" {
                continue;
            }
            let domains = reach.domains.iter().filter(|_| !host_cookie);
            for domain in std::iter::once(None).chain(domains.map(|d| Some(d.as_str()))) {
                let e = super::cookie::expiry_at(name, domain, path, secure);
                if out.len() >= MAX_EXPIRIES || bytes + e.len() > MAX_EXPIRY_BYTES {
                    break 'paths;
                }
                bytes += e.len();
                out.push(e);
            }
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
                .filter(|v| keep_set_cookie(v, g, C, NOW))
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
        assert!(keep_set_cookie("", Grants::NECESSARY_ONLY, C, NOW));
    }

    const NOW: u64 = 1_750_000_000;

    #[test]
    fn a_refused_set_cookie_is_kept_only_if_it_really_deletes() {
        let n = Grants::NECESSARY_ONLY;
        let keep = |v: &str| keep_set_cookie(v, n, C, NOW);
        // RFC 6265 §5.3 step 3: Max-Age wins over Expires (review B7's reproduction)
        assert!(!keep("_ga=GA1.1.111.222; Path=/; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=63072000"));
        assert!(keep(
            "_ga=; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=0"
        ));
        assert!(
            keep("_ga=x; Max-Age=0"),
            "Max-Age=0 deletes whatever the value"
        );
        assert!(keep("_ga=; Max-Age=-1"));
        assert!(!keep("_ga=; Max-Age=1"));
        // the last Max-Age counts, as in a browser
        assert!(!keep("_ga=; Max-Age=0; Max-Age=100"));
        assert!(keep("_ga=; Max-Age=100; Max-Age=0"));
        // no Max-Age: an Expires in the past, relative to now
        assert!(keep("_ga=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"));
        assert!(keep("_ga=; Expires=Sat, 01 Jan 2000 00:00:00 GMT"));
        assert!(
            !keep("_ga=; Expires=Fri, 01 Jan 2049 00:00:00 GMT"),
            "future"
        );
        assert!(
            !keep("_ga=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
            "a value: fail closed"
        );
        // before 1601 a browser cannot parse the date: a session cookie
        assert!(!keep("_ga=; Expires=Mon, 01 Jan 1000 00:00:00 GMT"));
        assert!(!keep("_ga=; Expires=never"));
        assert!(!keep("_ga=GA1.2"), "no expiry at all: a session cookie");
        // nameless and unparseable values whose value names a refused cookie
        for v in [
            "=_ga=GA1.1.1.1",
            " = _ga=GA1.1; Path=/",
            "==_gid=1",
            "=_fbp",
            "_ga_XYZ",
        ] {
            assert!(!keep(v), "{v:?}");
        }
        for v in ["=theme=dark", "=", "novalue", "=session=1"] {
            assert!(keep(v), "{v:?}");
        }
        // granted or unknown: untouched whatever the attributes
        assert!(keep_set_cookie("=_ga=1", Grants::ALL, C, NOW));
        assert!(keep("theme=dark; Max-Age=999999"));
    }

    #[test]
    fn names_in_reads_what_a_browser_would_send() {
        assert_eq!(names_in("=_ga=GA1; Path=/"), ["_ga"]);
        assert_eq!(names_in("_ga_X; Path=/"), ["_ga_X"]);
        assert_eq!(names_in(" a = b "), ["a"]);
        assert!(names_in("=").is_empty());
        assert!(names_in("").is_empty());
    }

    fn reach() -> Reach {
        Reach::of("www.example.com", "/shop/cart")
    }

    #[test]
    fn withdrawal_expires_every_refused_cookie_everywhere_it_may_live() {
        let h =
            "session=1; _ga=2; _ga_X=3; lang=4; _fbp=5; _ga=6; __Host-ad=7; bad name=8; consent=9";
        let v = expire_refused(h, Grants::NECESSARY_ONLY, C, &reach(), true);
        let parsed: Vec<Cookie<'_>> = v
            .iter()
            .map(|s| Cookie::parse(s.as_str()).unwrap())
            .collect();
        let got: Vec<(&str, Option<&str>, Option<&str>)> = parsed
            .iter()
            .map(|c| (c.name(), c.domain(), c.path()))
            .collect();
        // 4 names × 3 places × 4 paths, and __Host-ad once
        assert_eq!(got.len(), 4 * 3 * 4 + 1, "{got:?}");
        for name in ["_ga", "_ga_X", "lang", "_fbp"] {
            for path in ["/", "/shop", "/shop/", "/shop/cart"] {
                for domain in [None, Some("www.example.com"), Some("example.com")] {
                    assert!(
                        got.contains(&(name, domain, Some(path))),
                        "{name} {domain:?} {path}"
                    );
                }
            }
        }
        assert_eq!(
            got.iter()
                .filter(|g| g.0 == "__Host-ad")
                .collect::<Vec<_>>(),
            [&("__Host-ad", None, Some("/"))]
        );
        // `/` first for every name
        assert!(got[..4 * 3 + 1].iter().all(|g| g.2 == Some("/")));
        for c in &parsed {
            assert_eq!(c.value(), "");
            assert_eq!(c.max_age().map(|a| a.whole_seconds()), Some(0));
            assert_eq!(c.secure(), Some(true));
            assert_eq!(c.http_only(), Some(true));
        }
        // narrowing: only what is now refused
        let v = expire_refused(
            h,
            only(&[Category::Analytics, Category::Functional]),
            C,
            &Reach::host_only(),
            false,
        );
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v
            .iter()
            .all(|s| s.starts_with("_fbp=;") || s.starts_with("__Host-ad=;")));
        assert!(v.iter().all(|s| !s.contains("Secure")));
        assert!(expire_refused(h, Grants::ALL, C, &reach(), true).is_empty());
    }

    #[test]
    fn a_multi_label_public_suffix_is_never_a_cookie_domain() {
        let r = Reach::of("shop.example.co.uk", "/");
        let v = expire_refused("_ga=1", Grants::NECESSARY_ONLY, C, &r, true);
        let domains: Vec<Option<String>> = v
            .iter()
            .map(|s| {
                Cookie::parse(s.as_str())
                    .unwrap()
                    .domain()
                    .map(str::to_owned)
            })
            .collect();
        assert_eq!(
            domains,
            [
                None,
                Some("shop.example.co.uk".into()),
                Some("example.co.uk".into())
            ]
        );
    }

    #[test]
    fn expiry_count_is_bounded() {
        let h: String = (0..1000).map(|i| format!("_ga_{i}=1; ")).collect();
        let v = expire_refused(&h, Grants::NECESSARY_ONLY, C, &reach(), true);
        assert!(v.len() <= MAX_EXPIRIES, "{}", v.len());
        let total: usize = v.iter().map(String::len).sum();
        assert!(
            total <= MAX_EXPIRY_BYTES
                && (v.len() == MAX_EXPIRIES || total > MAX_EXPIRY_BYTES - 200),
            "{total}"
        );
        assert_eq!(
            refused_names(&h, Grants::NECESSARY_ONLY, C).len(),
            MAX_EXPIRED_NAMES
        );
        // `/` first: 64 names × 3 places exceed the budget, so all is at `/`
        assert!(v
            .iter()
            .all(|s| s.contains("Path=/;") || s.ends_with("Path=/")));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn classify(name: &str) -> Option<Category> {
        (name == "_ga").then_some(Category::Analytics)
    }

    proptest! {
        /// Whatever the attributes, a refused `_ga` survives only as a
        /// deletion under RFC 6265's rules.
        #[test]
        fn a_kept_refused_cookie_is_a_deletion(
            value in "[a-zA-Z0-9.]{0,6}",
            max_age in proptest::option::of(-5i64..100_000_000),
            expires_year in proptest::option::of(900i32..2100),
            lead in "(=|==| =)?") {
            let mut v = format!("{lead}_ga={value}");
            if let Some(y) = expires_year {
                v.push_str(&format!("; Expires=Thu, 01 Jan {y:04} 00:00:00 GMT"));
            }
            if let Some(a) = max_age {
                v.push_str(&format!("; Max-Age={a}"));
            }
            let kept = keep_set_cookie(&v, Grants::NECESSARY_ONLY, &classify, 1_750_000_000);
            let expected = lead.is_empty() && match max_age {
                Some(a) => a <= 0,
                None => expires_year.is_some_and(|y| (1601..2026).contains(&y)) && value.is_empty(),
            };
            prop_assert_eq!(kept, expected, "{}", v);
        }
    }
}
