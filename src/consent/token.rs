//! The per-render consent token: proof that a state-changing request to the
//! consent endpoint comes from a banner (or status block) this worker
//! rendered, recently, for this host and page.
//!
//! Why: the CSRF check (`Sec-Fetch-Site`/`Origin`/`Referer`) stops other
//! sites, but not markup on this site — a plain `<form method="post"
//! action="/__consent">` in a comment, or a script in user content, is
//! same-origin. Such a form cannot know a token, so it gets 403 and
//! cannot grant consent on a visitor's behalf (security review A4/B4), nor
//! write proof-of-consent records in a loop without first fetching a page
//! for every token's lifetime (A6; the rate limit bounds the rest).
//!
//! Format (ASCII, no character that needs escaping in HTML, a header or a
//! form): `1.<issued_at>.<page>.<nonce>.<mac>` where
//!
//! - `issued_at` is unix seconds in decimal;
//! - `page` is base64url of the first 12 bytes of SHA-256 of the page's path
//!   (the query is left out: it may be re-encoded between the worker and the
//!   browser); a fixed length, so a long path cannot push a no-JS form over
//!   the endpoint's 4 KB body limit;
//! - `nonce` is 12 random bytes, base64url (two renders never share a token);
//! - `mac` is base64url HMAC-SHA256 under the consent secret with the label
//!   [`LABEL`] (so no cookie MAC can be passed off as a token, nor the
//!   reverse) over the lower-cased host and the three fields above.
//!
//! What it is not bound to, and why: the consent id. One rendered banner
//! serves several decisions (accept, then reopen and narrow), and the first
//! decision of an undecided visitor mints the id, so a token bound to the
//! id at render time would refuse the visitor's second click. The host,
//! page and a two-hour lifetime are what the worker can re-derive. The
//! residual: someone who fetches a page can copy its token into content on
//! that same page for two hours; the rate limit and the same-page binding
//! bound what that buys.
//!
//! The page a request comes from: the no-JS form's `return_to` (rendered
//! with the token, so they always agree), or the `Referer`'s path for the
//! script's JSON post. A single-page app that changed its URL with
//! `history.pushState` sends another `Referer`: that post gets 403
//! ("another page"), and the banner script's fallback submits the form,
//! whose `return_to` is the rendered page — the choice is made, the visitor
//! lands back on the page the banner was rendered for.
//!
//! Lifetime: [`TTL`] = 2 hours — longer than almost every page view
//! (a banner left open in a tab while the visitor reads), short enough that
//! a token copied into stored content goes stale the same afternoon. An
//! expired token gets 403 naming the expiry; the visitor reloads the page.
//!
//! Pure: time and randomness are inputs, and no input panics.

use super::cookie::{Secrets, MIN_SECRET_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// How long a token is accepted after it was rendered, in seconds (2 hours).
pub const TTL: u64 = 2 * 60 * 60;
/// How far in the future an `issued_at` may lie (clock skew between edges).
pub const MAX_SKEW: u64 = 300;
/// The request header the banner's script sends the token in.
pub const HEADER: &str = "x-consent-token";
/// The form field the banner's no-JS forms send the token in.
pub const FIELD: &str = "token";
/// The longest token looked at, in bytes (a real one is about 90).
pub const MAX_LEN: usize = 160;
/// The domain-separation label of the token MAC (the cookie uses another).
pub const LABEL: &[u8] = b"consent-edge.token.v1\0";

const VERSION: &str = "1";
const PAGE_BYTES: usize = 12;
const NONCE_BYTES: usize = 12;
const MAC_LEN: usize = 43;

/// Why a token does not authorise a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No token in the request.
    #[error("missing consent token: changes are accepted only from the consent banner this site rendered (reload the page)")]
    Missing,
    /// Not the shape of a token.
    #[error("malformed consent token: {0}")]
    Malformed(&'static str),
    /// Issued more than [`TTL`] seconds ago.
    #[error(
        "expired consent token: the page was rendered more than 2 hours ago (reload the page)"
    )]
    Expired,
    /// Issued more than [`MAX_SKEW`] seconds in the future.
    #[error("consent token issued in the future")]
    FutureDated,
    /// The MAC does not verify for this host under any configured key.
    #[error("invalid consent token: forged, or issued for another host")]
    Forged,
    /// A valid token, rendered for another page than the request comes from.
    #[error("consent token issued for another page")]
    OtherPage,
}

/// The page tag: the first bytes of SHA-256 of the path (query and fragment cut).
fn page_tag(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = if path.is_empty() { "/" } else { path };
    let digest = Sha256::digest(path.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..PAGE_BYTES])
}

fn mac(key: &[u8], host: &str, signed: &str) -> HmacSha256 {
    // HMAC accepts keys of any length.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable_hmac());
    m.update(LABEL);
    m.update(
        host.trim()
            .trim_end_matches('.')
            .to_ascii_lowercase()
            .as_bytes(),
    );
    m.update(b"\n");
    m.update(signed.as_bytes());
    m
}

#[cold]
fn unreachable_hmac() -> ! {
    unreachable!("HMAC-SHA256 accepts keys of every length")
}

/// Mints the token for a banner rendered at `now` on `host` for `path`
/// (path and query of the page; the query does not count). `None` when no
/// usable secret is configured (the endpoint then answers 500 anyway).
pub fn mint(
    secrets: &Secrets,
    host: &str,
    path: &str,
    now: u64,
    random: [u8; 16],
) -> Option<String> {
    if !secrets.can_sign() {
        return None;
    }
    let signed = format!(
        "{VERSION}.{now}.{}.{}",
        page_tag(path),
        URL_SAFE_NO_PAD.encode(&random[..NONCE_BYTES])
    );
    let sig = URL_SAFE_NO_PAD.encode(mac(&secrets.current, host, &signed).finalize().into_bytes());
    Some(format!("{signed}.{sig}"))
}

/// Checks `token` for a request to `host` at `now`. `page` is the path the
/// request says it comes from (the no-JS form's `return_to`, or the
/// `Referer`'s path), when it says one; a token whose page differs is
/// [`TokenError::OtherPage`]. The MAC is checked first, so a forged token
/// never learns about its page or age.
pub fn verify(
    token: Option<&str>,
    secrets: &Secrets,
    host: &str,
    page: Option<&str>,
    now: u64,
) -> Result<(), TokenError> {
    let token = token.map(str::trim).filter(|t| !t.is_empty());
    let token = token.ok_or(TokenError::Missing)?;
    if token.len() > MAX_LEN {
        return Err(TokenError::Malformed("too long"));
    }
    let (signed, sig) = token
        .rsplit_once('.')
        .ok_or(TokenError::Malformed("no signature"))?;
    let fields: Vec<&str> = signed.split('.').collect();
    let [version, issued, tag, nonce] = fields[..] else {
        return Err(TokenError::Malformed("expected 5 dot-separated fields"));
    };
    if version != VERSION {
        return Err(TokenError::Malformed("unknown version"));
    }
    let issued: u64 = match issued.parse() {
        Ok(t) if issued.bytes().all(|b| b.is_ascii_digit()) => t,
        _ => return Err(TokenError::Malformed("issued-at is not a number")),
    };
    let tag_ok = URL_SAFE_NO_PAD
        .decode(tag)
        .is_ok_and(|b| b.len() == PAGE_BYTES);
    let nonce_ok = URL_SAFE_NO_PAD
        .decode(nonce)
        .is_ok_and(|b| b.len() == NONCE_BYTES);
    if !tag_ok || !nonce_ok || sig.len() != MAC_LEN {
        return Err(TokenError::Malformed("bad field length"));
    }
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| TokenError::Malformed("signature is not base64url"))?;
    let keys = std::iter::once(secrets.current.as_slice())
        .chain(secrets.previous.as_deref())
        .filter(|k| k.len() >= MIN_SECRET_LEN);
    let mut verified = false;
    for key in keys {
        let want = mac(key, host, signed).finalize().into_bytes();
        verified |= bool::from(want.as_slice().ct_eq(&sig));
    }
    if !verified {
        return Err(TokenError::Forged);
    }
    if issued > now.saturating_add(MAX_SKEW) {
        return Err(TokenError::FutureDated);
    }
    if now.saturating_sub(issued) > TTL {
        return Err(TokenError::Expired);
    }
    if page.is_some_and(|p| page_tag(p) != tag) {
        return Err(TokenError::OtherPage);
    }
    Ok(())
}

/// The path of a `Referer` on `host` (scheme and authority cut), if it is
/// an absolute http(s) URL; the page a JSON or `DELETE` request comes from.
pub fn referer_path(referer: &str) -> Option<&str> {
    let url = referer.trim();
    let rest = ["https://", "http://"].iter().find_map(|p| {
        url.get(..p.len())
            .filter(|h| h.eq_ignore_ascii_case(p))
            .map(|_| &url[p.len()..])
    })?;
    match rest.find(['/', '?', '#']) {
        Some(i) if rest.as_bytes()[i] == b'/' => Some(&rest[i..]),
        _ => Some("/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: u64 = 1_750_000_000;
    const HOST: &str = "www.example.com";

    fn secrets() -> Secrets {
        Secrets::new(b"token-test-secret-0123456789abcdef".to_vec())
    }

    fn token(path: &str, at: u64) -> String {
        mint(&secrets(), HOST, path, at, [7; 16]).unwrap()
    }

    #[test]
    fn a_fresh_token_verifies_for_its_host_and_page() {
        let t = token("/shop?a=1", NOW);
        assert!(t.len() < MAX_LEN, "{t}");
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        let s = secrets();
        assert_eq!(verify(Some(&t), &s, HOST, Some("/shop"), NOW), Ok(()));
        // the query does not count; no page given: the token's own binding
        assert_eq!(
            verify(Some(&t), &s, HOST, Some("/shop?b=2"), NOW + 10),
            Ok(())
        );
        assert_eq!(verify(Some(&t), &s, HOST, None, NOW), Ok(()));
        // host case, a trailing dot
        assert_eq!(
            verify(Some(&t), &s, "WWW.Example.com.", Some("/shop"), NOW),
            Ok(())
        );
        // renders differ by their nonce
        assert_ne!(
            mint(&s, HOST, "/", NOW, [1; 16]),
            mint(&s, HOST, "/", NOW, [2; 16])
        );
    }

    #[test]
    fn missing_expired_other_page_and_forged_are_refused_by_name() {
        let s = secrets();
        let t = token("/a", NOW);
        assert_eq!(verify(None, &s, HOST, None, NOW), Err(TokenError::Missing));
        assert_eq!(
            verify(Some("  "), &s, HOST, None, NOW),
            Err(TokenError::Missing)
        );
        assert_eq!(verify(Some(&t), &s, HOST, None, NOW + TTL), Ok(()));
        assert_eq!(
            verify(Some(&t), &s, HOST, None, NOW + TTL + 1),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify(Some(&token("/a", NOW + MAX_SKEW + 1)), &s, HOST, None, NOW),
            Err(TokenError::FutureDated)
        );
        assert_eq!(
            verify(Some(&token("/a", NOW + MAX_SKEW)), &s, HOST, None, NOW),
            Ok(())
        );
        assert_eq!(
            verify(Some(&t), &s, HOST, Some("/b"), NOW),
            Err(TokenError::OtherPage)
        );
        assert_eq!(
            verify(Some(&t), &s, "shop.example.com", Some("/a"), NOW),
            Err(TokenError::Forged)
        );
        let other = Secrets::new(b"another-secret-0123456789abcdef".to_vec());
        assert_eq!(
            verify(Some(&t), &other, HOST, Some("/a"), NOW),
            Err(TokenError::Forged)
        );
        // a changed issued-at (to dodge the expiry) breaks the MAC
        let old = token("/a", NOW - TTL - 100);
        let moved = old.replacen(&format!(".{}.", NOW - TTL - 100), &format!(".{NOW}."), 1);
        assert_eq!(
            verify(Some(&moved), &s, HOST, None, NOW),
            Err(TokenError::Forged)
        );
        assert_eq!(
            verify(Some(&old), &s, HOST, None, NOW),
            Err(TokenError::Expired)
        );
        // the messages name the problem
        assert!(TokenError::Expired.to_string().contains("expired"));
        assert!(TokenError::OtherPage.to_string().contains("another page"));
        assert!(TokenError::Forged.to_string().contains("forged"));
        assert!(TokenError::Missing.to_string().contains("missing"));
    }

    #[test]
    fn malformed_tokens_are_named() {
        let s = secrets();
        for (t, what) in [
            ("x", "no signature"),
            ("1.2.3", "5 dot-separated"),
            (
                "2.1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAA.sig",
                "unknown version",
            ),
            ("1.-1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAA.sig", "not a number"),
            ("1.+5.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAA.sig", "not a number"),
            ("1.5.AAAA.AAAAAAAAAAAAAAAA.sig", "length"),
        ] {
            match verify(Some(t), &s, HOST, None, NOW) {
                Err(TokenError::Malformed(m)) => assert!(m.contains(what), "{t}: {m}"),
                other => panic!("{t}: {other:?}"),
            }
        }
        let long = "1.".repeat(100);
        assert_eq!(
            verify(Some(&long), &s, HOST, None, NOW),
            Err(TokenError::Malformed("too long"))
        );
    }

    #[test]
    fn rotation_and_unusable_keys() {
        let old = Secrets::new(b"previous-secret-0123456789abcdef".to_vec());
        let t = mint(&old, HOST, "/", NOW, [3; 16]).unwrap();
        let rotated = Secrets {
            current: secrets().current,
            previous: Some(old.current.clone()),
            scope: Default::default(),
        };
        assert_eq!(verify(Some(&t), &rotated, HOST, None, NOW), Ok(()));
        assert_eq!(
            mint(&Secrets::new(b"short".to_vec()), HOST, "/", NOW, [0; 16]),
            None
        );
        assert_eq!(
            verify(Some(&t), &Secrets::default(), HOST, None, NOW),
            Err(TokenError::Forged)
        );
    }

    #[test]
    fn a_cookie_signature_is_not_a_token() {
        // The same key signs cookies under another label: a token built
        // from the cookie MAC's input does not verify.
        let s = secrets();
        let t = token("/", NOW);
        let (signed, _) = t.rsplit_once('.').unwrap();
        let mut m = <HmacSha256 as Mac>::new_from_slice(&s.current).unwrap();
        m.update(b"consent-edge.v1.");
        m.update(signed.as_bytes());
        let forged = format!(
            "{signed}.{}",
            URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
        );
        assert_eq!(
            verify(Some(&forged), &s, HOST, None, NOW),
            Err(TokenError::Forged)
        );
    }

    #[test]
    fn referer_paths() {
        assert_eq!(referer_path("https://x.org/a/b?c"), Some("/a/b?c"));
        assert_eq!(referer_path("HTTP://x.org"), Some("/"));
        assert_eq!(referer_path("https://x.org?q"), Some("/"));
        assert_eq!(referer_path("/relative"), None);
        assert_eq!(referer_path("javascript:1"), None);
    }

    proptest! {
        #[test]
        fn round_trip(path in "/[ -~]{0,80}", at in 0u64..4_000_000_000, random: [u8; 16],
                      age in 0u64..=TTL) {
            let s = secrets();
            let t = mint(&s, HOST, &path, at, random).unwrap();
            prop_assert_eq!(verify(Some(&t), &s, HOST, Some(&path), at + age), Ok(()));
        }

        #[test]
        fn any_single_byte_change_is_refused(pos in 0usize..200, byte in 0x21u8..0x7f,
                                             random: [u8; 16]) {
            let s = secrets();
            let t = mint(&s, HOST, "/p", NOW, random).unwrap();
            let mut b = t.clone().into_bytes();
            let pos = pos % b.len();
            prop_assume!(b[pos] != byte);
            b[pos] = byte;
            let changed = String::from_utf8(b).unwrap();
            prop_assert!(verify(Some(&changed), &s, HOST, Some("/p"), NOW).is_err(),
                "{} accepted", changed);
        }

        #[test]
        fn hostile_input_never_panics(t in "\\PC{0,200}", host in "\\PC{0,40}",
                                      page in proptest::option::of("\\PC{0,40}"), now: u64) {
            let _ = verify(Some(&t), &secrets(), &host, page.as_deref(), now);
            let _ = referer_path(&t);
        }
    }
}
