//! `[cache]`: the shared, consent-neutral cache of the origin's HTML.

use crate::error::{Invalid, Path};
use serde::{Deserialize, Serialize};

/// `[cache]` in `consent.toml`.
///
/// When on, an HTML page the origin marks cacheable for shared caches is
/// kept once, as the origin sent it (before any personalisation), in the
/// zone's edge cache, and filtered per visitor from there. What may be
/// stored and for how long is the origin's own `Cache-Control`; these
/// settings only say whether to use the cache at all and which requests
/// are signed-in ones the origin would answer differently.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// Use the cache (default false, like Cloudflare's own default for
    /// HTML: a site turns it on once `session_cookies` names every cookie
    /// its origin personalises pages on). The `EDGE_CACHE` var (`on` /
    /// `off`) overrides it without a rebuild.
    pub enabled: bool,
    /// Cookies that mean "signed in": a request carrying one is never
    /// answered from the cache nor stored (default: none). A name ending
    /// in `*` is a prefix (`wordpress_logged_in_*`). Names compare exactly
    /// (cookie names are case-sensitive).
    pub session_cookies: Vec<String>,
}

impl CacheSettings {
    /// Whether `name` is one of the `session_cookies` (exactly, or by a
    /// `prefix*` entry).
    pub fn is_session_cookie(&self, name: &str) -> bool {
        self.session_cookies
            .iter()
            .any(|s| match s.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == s,
            })
    }

    /// Checks every `session_cookies` entry is a cookie name (an RFC 6265
    /// token), optionally followed by one `*`.
    pub fn check(&self) -> Result<(), Invalid> {
        let at = Path::key("cache").k("session_cookies");
        for (i, name) in self.session_cookies.iter().enumerate() {
            let base = name.strip_suffix('*').unwrap_or(name);
            // RFC 6265 §4.1.1: cookie-name = token (RFC 2616 §2.2).
            let token = !base.is_empty()
                && base
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}*".contains(&b));
            if !token {
                return Err(Invalid::at(
                    at.i(i),
                    format!(
                        "{name:?}: expected a cookie name (no spaces, separators or '='), \
                         optionally ending in '*' for a prefix"
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookies_match_exactly_or_by_prefix() {
        let c = CacheSettings {
            enabled: true,
            session_cookies: vec!["session".into(), "wordpress_logged_in_*".into()],
        };
        assert!(c.is_session_cookie("session"));
        assert!(!c.is_session_cookie("Session"));
        assert!(!c.is_session_cookie("sessions"));
        assert!(c.is_session_cookie("wordpress_logged_in_3f2a"));
        assert!(!c.is_session_cookie("wordpress_test_cookie"));
        assert!(c.check().is_ok());
    }

    #[test]
    fn bad_names_are_refused_by_index() {
        for bad in ["", "*", "a b", "a=b", "a;b", "a*b", "é"] {
            let c = CacheSettings {
                enabled: false,
                session_cookies: vec!["ok".into(), bad.into()],
            };
            let e = c.check().unwrap_err();
            assert_eq!(e.path.to_string(), "cache.session_cookies[1]", "{bad:?}");
        }
    }
}
