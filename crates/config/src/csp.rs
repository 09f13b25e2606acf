//! `[csp]`: the Content-Security-Policy backstop for visitors who decided,
//! and tracker discovery from its violation reports.

use crate::error::{Invalid, Path};
use serde::{Deserialize, Serialize};

/// What the worker does with its own policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CspMode {
    /// No policy, no report endpoint, no discovery (the default).
    #[default]
    Off,
    /// `Content-Security-Policy-Report-Only`: nothing is blocked, every load
    /// the policy would refuse is reported to the worker and unknown hosts
    /// and cookie names are listed at `/__consent/discovery`.
    Report,
    /// `Content-Security-Policy`: loads from hosts outside the policy are
    /// blocked (and still reported).
    Enforce,
}

/// The most `[csp] allow` entries (each becomes one or two sources of the
/// header; headers beyond a few tens of KiB are refused by some proxies).
pub const MAX_ALLOW: usize = 256;

/// `[csp]` in `consent.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CspSettings {
    /// `"off"` (default), `"report"` or `"enforce"`.
    pub mode: CspMode,
    /// The site's own third parties (CDNs, payment, fonts …) that are not in
    /// the tracker catalog: `host` (that host only), `*.host` (its
    /// subdomains) or `host/path/` (a path prefix). No scheme, port, query
    /// or quotes.
    pub allow: Vec<String>,
    /// The catalog vendors the site uses (ids). When set, only their hosts
    /// (for granted categories) enter the policy, instead of every catalog
    /// vendor of a granted category: with all 487 vendors and every
    /// category granted the header is ~31 KB, beyond the 16 KiB Node's HTTP
    /// client and the 4–8 KiB nginx's default proxy buffers accept. Checked
    /// against the catalog (`Config::check`). Default: empty (every vendor).
    pub vendors: Vec<String>,
}

impl CspSettings {
    /// Checks every `allow` entry is a host source the worker can emit as is.
    pub fn check(&self) -> Result<(), Invalid> {
        let at = Path::key("csp").k("allow");
        if self.allow.len() > MAX_ALLOW {
            return Err(Invalid::at(
                at,
                format!("{} entries: expected at most {MAX_ALLOW}", self.allow.len()),
            ));
        }
        for (i, entry) in self.allow.iter().enumerate() {
            if let Err(why) = check_host_source(entry) {
                return Err(Invalid::at(at.i(i), format!("{entry:?}: {why}")));
            }
        }
        Ok(())
    }
}

/// `host`, `*.host` or `host/path`: lower-case letters, digits, `-` and `.`
/// in the host (at least one dot), a path of URL-safe characters.
fn check_host_source(entry: &str) -> Result<(), &'static str> {
    let (host, path) = match entry.find('/') {
        Some(p) => entry.split_at(p),
        None => (entry, ""),
    };
    let bare = host.strip_prefix("*.").unwrap_or(host);
    let host_ok = bare.contains('.')
        && !bare.starts_with('.')
        && !bare.ends_with('.')
        && !bare.contains("..")
        && bare
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !host_ok {
        return Err("expected a lower-case host name like \"cdn.example.com\" or \"*.example.com\" (no scheme, port or quotes)");
    }
    let path_ok = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-._~!$&()+=:@%".contains(&b))
        && !path.contains("//");
    if !path_ok {
        return Err("expected a path of URL characters after the host (no ';', ',', quotes, spaces, query or '//')");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_sources_are_checked() {
        for ok in [
            "cdn.example.com",
            "*.example.com",
            "js.stripe.com/v3/",
            "a-b.c1.io",
        ] {
            assert!(check_host_source(ok).is_ok(), "{ok}");
        }
        for bad in [
            "example",
            "https://cdn.example.com",
            "cdn.example.com:443",
            "CDN.example.com",
            "'self'",
            "*",
            "cdn.example.com/a;b",
            "cdn.example.com/a b",
            "cdn.example.com/a,b",
            "cdn.example.com/?q",
            ".example.com",
            "a..b",
            "*.*.example.com",
        ] {
            assert!(check_host_source(bad).is_err(), "{bad}");
        }
        let s = CspSettings {
            mode: CspMode::Enforce,
            allow: vec!["ok.example".into(), "https://x.example".into()],
            vendors: Vec::new(),
        };
        let e = s.check().unwrap_err().to_string();
        assert!(e.contains("csp.allow[1]"), "{e}");
    }
}
