//! Where a refused cookie may live, as seen from one request: the host
//! (host-only), every parent domain down to the registrable one, and the
//! path prefixes of the current URL (security review B8).
//!
//! A browser keys a cookie by (name, domain or host-only, path); a
//! `Set-Cookie` only deletes the one with the same triple. The request's
//! `Cookie` header names the cookie but not where it was set, so an expiry
//! goes to every place it could be: GA's `cookie_domain: 'auto'` and Meta's
//! `_fbp` sit on the registrable domain (`.example.com`), and a script on
//! `/shop/cart` may have set one on `Path=/shop`.
//!
//! The registrable domain comes from the Public Suffix List (compiled at
//! build time into a sorted table, [`suffix`]): `shop.example.co.uk`
//! reaches `example.co.uk`, never `co.uk`, which no browser lets a site set
//! a cookie on.

pub mod suffix;

/// The most path prefixes considered (shortest first): deeper ones are
/// rare, and the residual audit catches what is left on the next request.
pub const MAX_PATHS: usize = 8;

/// Where to send expiries for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    /// `Domain=` values, the host itself first, then its parents down to
    /// the registrable domain; empty for an IP address, `localhost` or a
    /// host that is itself a public suffix (host-only is all there is).
    pub domains: Vec<String>,
    /// `Path=` values, `/` first.
    pub paths: Vec<String>,
}

impl Reach {
    /// The reach of a request to `host` (`host[:port]`) for the URL path
    /// `path` (as the URL parser left it).
    pub fn of(host: &str, path: &str) -> Reach {
        Reach {
            domains: parent_domains(&super::cookie::bare_host(host)),
            paths: path_prefixes(path),
        }
    }

    /// Host-only at `Path=/` only (what the worker did before issue 15).
    pub fn host_only() -> Reach {
        Reach {
            domains: Vec::new(),
            paths: vec!["/".into()],
        }
    }
}

/// `host` and each parent down to its registrable domain (PSL), longest
/// first. Empty when the host has no registrable domain or is not a
/// DNS name.
pub fn parent_domains(host: &str) -> Vec<String> {
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return Vec::new();
    }
    // `valid_domain` allows one leading dot (a configured domain); a host has none.
    if host.starts_with('.') || super::cookie::valid_domain(host).is_none() {
        return Vec::new();
    }
    let Some(registrable) = suffix::registrable(host) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut d = host;
    loop {
        out.push(d.to_owned());
        if d.len() <= registrable.len() {
            break;
        }
        match d.split_once('.') {
            Some((_, parent)) => d = parent,
            None => break,
        }
    }
    out
}

/// The path prefixes a cookie sent with a request for `path` may have been
/// set on: `/`, then each directory with and without its trailing slash,
/// then the full path (`/shop/cart` → `/`, `/shop`, `/shop/`,
/// `/shop/cart`). Prefixes with characters a cookie path cannot hold
/// (`;`, controls, whitespace) end the list; at most [`MAX_PATHS`].
pub fn path_prefixes(path: &str) -> Vec<String> {
    let mut out = vec!["/".to_string()];
    let rest = path.strip_prefix('/').unwrap_or("");
    let mut acc = String::new();
    for (i, seg) in rest.split('/').enumerate() {
        if i > 0 {
            out.push(format!("{acc}/"));
        }
        if seg.is_empty() || seg.bytes().any(|b| b == b';' || b <= b' ' || b == 0x7f) {
            break;
        }
        acc.push('/');
        acc.push_str(seg);
        out.push(acc.clone());
    }
    out.dedup();
    out.truncate(MAX_PATHS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_stop_at_the_registrable_domain() {
        assert_eq!(
            parent_domains("www.example.com"),
            ["www.example.com", "example.com"]
        );
        assert_eq!(
            parent_domains("shop.example.com"),
            ["shop.example.com", "example.com"]
        );
        assert_eq!(
            parent_domains("a.shop.example.co.uk"),
            [
                "a.shop.example.co.uk",
                "shop.example.co.uk",
                "example.co.uk"
            ]
        );
        assert_eq!(parent_domains("example.co.uk"), ["example.co.uk"]);
        assert_eq!(parent_domains("example.com"), ["example.com"]);
        // a multi-label public suffix is never reached
        assert!(!parent_domains("www.example.co.uk").contains(&"co.uk".to_string()));
        // private-section suffixes count: a workers.dev subdomain is its own site
        assert_eq!(parent_domains("app.workers.dev"), ["app.workers.dev"]);
        for none in [
            "co.uk",
            "com",
            "localhost",
            "127.0.0.1",
            "[::1]",
            "",
            "a b.com",
        ] {
            assert!(parent_domains(none).is_empty(), "{none:?}");
        }
    }

    #[test]
    fn path_prefixes_cover_every_directory() {
        assert_eq!(path_prefixes("/"), ["/"]);
        assert_eq!(path_prefixes(""), ["/"]);
        assert_eq!(path_prefixes("/shop"), ["/", "/shop"]);
        assert_eq!(path_prefixes("/shop/"), ["/", "/shop", "/shop/"]);
        assert_eq!(
            path_prefixes("/shop/cart/item"),
            [
                "/",
                "/shop",
                "/shop/",
                "/shop/cart",
                "/shop/cart/",
                "/shop/cart/item"
            ]
        );
        assert_eq!(path_prefixes("/a;x=1/b"), ["/"]);
        assert_eq!(path_prefixes("/a//b"), ["/", "/a", "/a/"]);
        assert_eq!(path_prefixes(&"/x".repeat(50)).len(), MAX_PATHS);
    }

    #[test]
    fn reach_of_a_request() {
        let r = Reach::of("WWW.Example.com:8443", "/shop/cart");
        assert_eq!(r.domains, ["www.example.com", "example.com"]);
        assert_eq!(r.paths, ["/", "/shop", "/shop/", "/shop/cart"]);
        assert_eq!(Reach::of("127.0.0.1:8787", "/").domains.len(), 0);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parents_are_suffixes_ending_at_the_registrable_domain(
            labels in proptest::collection::vec("[a-z0-9]{1,6}", 0..4),
            suffix in prop::sample::select(vec!["com", "co.uk", "github.io", "org", "com.au"])) {
            let host = labels.iter().map(|l| format!("{l}.")).collect::<String>() + "example." + suffix;
            let p = parent_domains(&host);
            prop_assert_eq!(p.first(), Some(&host));
            let want = format!("example.{suffix}");
            prop_assert_eq!(p.last(), Some(&want));
            for w in p.windows(2) {
                let parent = format!(".{}", w[1]);
                let ok = w[0].ends_with(&parent);
                prop_assert!(ok, "{} under {}", w[0], w[1]);
            }
        }

        #[test]
        fn prefixes_are_prefixes(path in "(/[a-z%0-9.;]{0,4}){0,10}") {
            let ps = path_prefixes(&path);
            prop_assert!(!ps.is_empty() && ps.len() <= MAX_PATHS && ps[0] == "/");
            for p in &ps {
                prop_assert!(path.starts_with(p.as_str()) || p == "/");
                prop_assert!(!p.contains(';'));
            }
        }
    }
}
