//! The key the consent endpoint's writes are rate-limited by.
//!
//! One budget per network and browser: the anonymised address
//! ([`crate::records::anonymize_ip`]: IPv4 /24, IPv6 /48 — the same
//! truncation the records keep) and the user agent. A flood from one client
//! exhausts its own budget; a visitor on another network, or with another
//! browser behind the same NAT, keeps theirs. The key is a SHA-256 digest,
//! so neither the address nor the user agent reaches the limiter as text
//! and a 256-byte user agent costs no more than a short one.
//!
//! The limit itself lives in `wrangler.toml` (`[[ratelimits]]`, binding
//! [`BINDING`]); what over the limit means is [`super::endpoint::over_limit`].

use sha2::{Digest, Sha256};

/// The Workers Rate Limiting binding the edge asks before each write.
pub const BINDING: &str = "CONSENT_WRITES";

/// The limiter key of a request: hex of the first 16 bytes of
/// SHA-256(`anonymised ip` `\n` `user agent`). A missing or unparseable
/// address counts as one shared "unknown" network.
pub fn key(ip: Option<&str>, user_agent: Option<&str>) -> String {
    let net = ip
        .and_then(crate::records::anonymize_ip)
        .unwrap_or_else(|| "unknown".into());
    let mut h = Sha256::new();
    h.update(b"consent-edge.ratelimit.v1\n");
    h.update(net.as_bytes());
    h.update(b"\n");
    h.update(user_agent.unwrap_or("").trim().as_bytes());
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_budget_per_network_and_browser() {
        let k = |ip, ua| key(Some(ip), Some(ua));
        assert_eq!(k("203.0.113.7", "A"), k("203.0.113.200", "A"), "same /24");
        assert_ne!(k("203.0.113.7", "A"), k("203.0.114.7", "A"));
        assert_ne!(k("203.0.113.7", "A"), k("203.0.113.7", "B"));
        assert_eq!(
            k("2001:db8:1:2::1", "A"),
            k("2001:db8:1:ffff::9", "A"),
            "same /48"
        );
        assert_ne!(k("2001:db8:1::1", "A"), k("2001:db8:2::1", "A"));
        assert_eq!(key(None, Some("A")), key(Some("not an ip"), Some("A")));
        let long = key(Some("203.0.113.7"), Some(&"A".repeat(4096)));
        assert_eq!(long.len(), 32);
        assert!(!long.contains("203"));
    }
}
