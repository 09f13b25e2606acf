//! The consent cookie: a compact, versioned, HMAC-SHA256-signed encoding of a
//! [`Decision`], bound to the site and deployment that issued it, and the
//! `Set-Cookie` values that store it.
//!
//! # Format (version 2)
//!
//! Nine fields separated by `.`, every one of them cookie- and URL-safe:
//!
//! ```text
//! 2 . g . revision . decided_at . consent_id . m . jurisdiction . gpc . signature
//! │   │                            │            │                 │     └ base64url (no padding) of
//! │   │                            │            │                 │       HMAC-SHA256(secret, "consent-edge.v2."
//! │   │                            │            │                 │         + len32(env) + env + len32(site) + site
//! │   │                            │            │                 │         + all before it)
//! │   │                            │            │                 └ 0 or 1
//! │   │                            │            └ a = accept_all, r = reject_all, c = custom, g = gpc, w = withdrawn
//! │   │                            └ 22 base64url characters (16 random bytes, 128 bits)
//! │   └ grant bit mask as one lower-case hex digit (1 necessary, 2 functional, 4 analytics, 8 advertising)
//! └ format version
//! ```
//!
//! `env` (`CONSENT_ENV`, default `production`) and `site` ([`Scope`]: `h:` +
//! the host for a host-only cookie, `d:` + `COOKIE_DOMAIN` for a domain
//! cookie) are not in the value: the verifier supplies its own, so a cookie
//! minted on another host, a sibling subdomain or another environment sharing
//! the secret fails as [`CookieError::BadSignature`] (security review B6, C8).
//! `len32` is the length as 4 big-endian bytes, so no two (env, site) pairs
//! give the same MAC input.
//!
//! `revision` and `decided_at` (unix seconds) are plain decimal without
//! leading zeros; `jurisdiction` is 1–32 of `[A-Za-z0-9_-]`. A typical value is
//! about 100 bytes; anything over [`MAX_VALUE_LEN`] is rejected unread.
//! Version 1 values (unbound) are [`CookieError::OldFormat`].
//!
//! # Name
//!
//! The cookie's name is derived from `[cookie] name` ([`cookie_name`]):
//! `__Host-consent` host-only, `__Secure-consent` with `COOKIE_DOMAIN`, the
//! plain name only without `Secure` (plain-http localhost, where browsers
//! reject the prefixes). A `__Host-` cookie cannot be set by a sibling
//! subdomain at all, and the MAC binding catches what the prefix cannot.
//!
//! Every way a value can be wrong — missing, malformed, truncated, tampered,
//! signed with another key or for another site or environment, dated in the
//! future, of an old or unknown version, oversized, given under an older
//! policy revision, or older than the jurisdiction's maximum age — is a
//! [`CookieError`], and callers treat it as "no decision yet". Nothing here
//! panics on input.

use super::{Decision, Grants, Method};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// The only format version this build writes and reads.
pub const VERSION: u8 = 2;
/// The longest cookie value accepted (bytes). Longer values are not parsed.
pub const MAX_VALUE_LEN: usize = 200;
/// How far in the future a `decided_at` may lie (clock skew between edges), in seconds.
pub const MAX_CLOCK_SKEW: u64 = 300;
/// The longest a decision counts and the cookie lives, in days (≈ 13 months,
/// the CNIL's recommended maximum for consent cookies).
pub const MAX_AGE_DAYS_CAP: u32 = 395;
/// The shortest key accepted for signing or verifying, in bytes.
pub const MIN_SECRET_LEN: usize = 16;
/// Length of a consent id in characters (16 bytes, base64url without padding).
pub const CONSENT_ID_LEN: usize = 22;

const SIG_LEN: usize = 43; // 32 bytes, base64url without padding
const LABEL: &[u8] = b"consent-edge.v2.";
/// `CONSENT_ENV` when unset or blank.
pub const DEFAULT_ENV: &str = "production";
const MAX_JURISDICTION_LEN: usize = 32;

/// The keys the consent cookie is signed with (`CONSENT_SECRET`, and the
/// previous one during a rotation).
///
/// New cookies are always signed with `current`; a cookie verifies if either
/// key signed it. A key shorter than [`MIN_SECRET_LEN`] bytes is treated as
/// not configured: nothing verifies against it and nothing is signed with it
/// (the endpoint answers 500 `consent secret not configured`).
#[derive(Clone, Default)]
pub struct Secrets {
    /// The key new cookies are signed with.
    pub current: Vec<u8>,
    /// A previous key still accepted for verification (rotation).
    pub previous: Option<Vec<u8>>,
    /// What cookies signed or verified with these keys are bound to (the
    /// deployment's environment and, per request, the site): see
    /// [`Secrets::bound`].
    pub scope: Scope,
}

/// What a consent cookie is bound to: part of the MAC input, never of the
/// value (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The deployment's environment (`CONSENT_ENV`, default [`DEFAULT_ENV`]).
    pub env: String,
    /// `h:<host>` for a host-only cookie, `d:<domain>` for a `COOKIE_DOMAIN`
    /// one (lower case, no port, no leading or trailing dot); empty when not
    /// bound to a request yet.
    pub site: String,
}

impl Scope {
    /// The site a cookie for a request to `host` (`host[:port]`) is bound to:
    /// `domain` (from [`domain_for_host`]) when given, else the host.
    pub fn site(host: &str, domain: Option<&str>) -> String {
        match domain.and_then(valid_domain) {
            Some(d) => format!("d:{}", d.trim_end_matches('.').to_ascii_lowercase()),
            None => format!("h:{}", bare_host(host)),
        }
    }
}

/// The consent cookie's name for a request: `base` (`[cookie] name`) with
/// the `__Host-` prefix when host-only and `__Secure-` with a cookie domain;
/// the plain name when the cookie is not `Secure` (plain-http localhost:
/// browsers reject prefixed cookies without `Secure`).
pub fn cookie_name(base: &str, secure: bool, domain: Option<&str>) -> String {
    match (secure, domain.and_then(valid_domain)) {
        (false, _) => base.to_owned(),
        (true, None) => format!("__Host-{base}"),
        (true, Some(_)) => format!("__Secure-{base}"),
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("Secrets")
            .field("current", &format_args!("<{} bytes>", self.current.len()))
            .field(
                "previous",
                &format_args!("{:?}", self.previous.as_ref().map(|p| p.len())),
            )
            .field("scope", &self.scope)
            .finish()
    }
}

impl Secrets {
    /// Secrets with only a current key (and an empty scope).
    pub fn new(current: impl Into<Vec<u8>>) -> Secrets {
        Secrets {
            current: current.into(),
            previous: None,
            scope: Scope::default(),
        }
    }

    /// The same keys bound to the site `site` (see [`Scope::site`]); the
    /// environment is kept.
    pub fn bound(&self, site: String) -> Secrets {
        Secrets {
            scope: Scope {
                env: self.scope.env.clone(),
                site,
            },
            ..self.clone()
        }
    }

    /// Whether the current key is long enough to sign with.
    pub fn can_sign(&self) -> bool {
        self.current.len() >= MIN_SECRET_LEN
    }

    fn verifying_keys(&self) -> impl Iterator<Item = &[u8]> {
        std::iter::once(self.current.as_slice())
            .chain(self.previous.as_deref())
            .filter(|k| k.len() >= MIN_SECRET_LEN)
    }
}

/// Why a cookie value does not count as a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieError {
    /// Longer than [`MAX_VALUE_LEN`].
    TooLong,
    /// Not the shape of any known format (truncated, garbled, wrong field).
    Malformed(&'static str),
    /// A format version this build does not know.
    UnknownVersion,
    /// An older format version (version 1 was not bound to a site).
    OldFormat,
    /// The signature does not verify under any configured key (tampered,
    /// wrongly signed, or no usable key).
    BadSignature,
    /// Dated more than [`MAX_CLOCK_SKEW`] seconds in the future.
    FutureDated,
    /// Given under an older policy revision.
    OldRevision,
    /// Older than the jurisdiction's maximum age.
    Expired,
}

impl fmt::Display for CookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CookieError::TooLong => write!(f, "consent cookie longer than {MAX_VALUE_LEN} bytes"),
            CookieError::Malformed(what) => write!(f, "malformed consent cookie: {what}"),
            CookieError::UnknownVersion => f.write_str("unknown consent cookie version"),
            CookieError::OldFormat => f.write_str("consent cookie of an older format"),
            CookieError::BadSignature => f.write_str("consent cookie signature does not verify"),
            CookieError::FutureDated => f.write_str("consent cookie dated in the future"),
            CookieError::OldRevision => f.write_str("consent given under an older policy revision"),
            CookieError::Expired => f.write_str("consent older than the jurisdiction allows"),
        }
    }
}

impl std::error::Error for CookieError {}

/// A fresh consent id from 16 random bytes: 22 URL-safe characters, 128 bits.
pub fn new_consent_id(random: [u8; 16]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// Whether `id` has the shape of a consent id this crate makes.
pub fn is_consent_id(id: &str) -> bool {
    id.len() == CONSENT_ID_LEN && id.bytes().all(is_b64url)
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// The jurisdiction id as stored: characters outside `[A-Za-z0-9_-]` become
/// `_`, at most 32 characters, `unknown` when empty.
pub fn stored_jurisdiction(id: &str) -> String {
    let s: String = id
        .chars()
        .take(MAX_JURISDICTION_LEN)
        .map(|c| {
            if c.is_ascii() && is_b64url(c as u8) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "unknown".into()
    } else {
        s
    }
}

fn method_code(m: Method) -> char {
    match m {
        Method::AcceptAll => 'a',
        Method::RejectAll => 'r',
        Method::Custom => 'c',
        Method::Gpc => 'g',
        Method::Withdrawn => 'w',
    }
}

fn method_from_code(s: &str) -> Option<Method> {
    Some(match s {
        "a" => Method::AcceptAll,
        "r" => Method::RejectAll,
        "c" => Method::Custom,
        "g" => Method::Gpc,
        "w" => Method::Withdrawn,
        _ => return None,
    })
}

fn mac(key: &[u8], scope: &Scope, payload: &str) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut m = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    m.update(LABEL);
    for part in [&scope.env, &scope.site] {
        // Length-prefixed: ("ab", "c") and ("a", "bc") differ.
        m.update(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        m.update(part.as_bytes());
    }
    m.update(payload.as_bytes());
    m
}

#[cold]
fn unreachable_hmac() -> ! {
    unreachable!("HMAC-SHA256 accepts keys of every length")
}

/// Encodes and signs `d` with `secrets.current`.
///
/// Returns `None` when the current key is unusable (see [`Secrets`]). The
/// consent id is replaced by a fresh-looking but deterministic one only if it
/// is not a valid id — callers always pass ids from [`new_consent_id`] or a
/// verified cookie, so this does not happen in practice.
pub fn encode(d: &Decision, secrets: &Secrets) -> Option<String> {
    if !secrets.can_sign() {
        return None;
    }
    let id: &str = if is_consent_id(&d.consent_id) {
        &d.consent_id
    } else {
        return None;
    };
    let payload = format!(
        "{VERSION}.{:x}.{}.{}.{id}.{}.{}.{}",
        d.grants.bits(),
        d.revision,
        d.decided_at,
        method_code(d.method),
        stored_jurisdiction(&d.jurisdiction),
        u8::from(d.gpc),
    );
    let sig = URL_SAFE_NO_PAD.encode(
        mac(&secrets.current, &secrets.scope, &payload)
            .finalize()
            .into_bytes(),
    );
    Some(format!("{payload}.{sig}"))
}

fn parse_decimal<T: std::str::FromStr>(s: &str, what: &'static str) -> Result<T, CookieError> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if !canonical {
        return Err(CookieError::Malformed(what));
    }
    s.parse().map_err(|_| CookieError::Malformed(what))
}

/// Verifies and decodes a cookie value: size, shape, version, signature and
/// date (not more than [`MAX_CLOCK_SKEW`] in the future). Policy checks
/// (revision, age) are [`check_current`].
pub fn decode(value: &str, secrets: &Secrets, now: u64) -> Result<Decision, CookieError> {
    let (payload, fields, sig) = split_value(value)?;
    verify(payload, sig, secrets)?;
    // Signed by us: the fields were written by `encode`, but a key shared
    // with another build could still produce surprises, so every field is
    // checked strictly anyway.
    let d = parse_fields(&fields)?;
    if d.decided_at > now.saturating_add(MAX_CLOCK_SKEW) {
        return Err(CookieError::FutureDated);
    }
    Ok(d)
}

/// The payload, its `.`-separated fields and the signature of a value, in
/// the order a reader can tell what is wrong: size, signature separator,
/// version, field count, signature shape. Nothing is verified yet.
fn split_value(value: &str) -> Result<(&str, Vec<&str>, &str), CookieError> {
    if value.len() > MAX_VALUE_LEN {
        return Err(CookieError::TooLong);
    }
    let Some((payload, sig)) = value.rsplit_once('.') else {
        return Err(CookieError::Malformed("no signature"));
    };
    let fields: Vec<&str> = payload.split('.').collect();
    match fields.first() {
        Some(&"2") => {}
        Some(&"1") => return Err(CookieError::OldFormat),
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(CookieError::UnknownVersion)
        }
        _ => return Err(CookieError::Malformed("no version")),
    }
    if fields.len() != 8 {
        return Err(CookieError::Malformed("wrong number of fields"));
    }
    if sig.len() != SIG_LEN || !sig.bytes().all(is_b64url) {
        return Err(CookieError::Malformed("signature"));
    }
    Ok((payload, fields, sig))
}

/// Whether `sig` (base64url) is the payload's MAC under a verifying key
/// (the current one or the rotated-out previous one).
fn verify(payload: &str, sig: &str, secrets: &Secrets) -> Result<(), CookieError> {
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| CookieError::Malformed("signature"))?;
    if secrets
        .verifying_keys()
        .any(|k| mac(k, &secrets.scope, payload).verify_slice(&sig).is_ok())
    {
        Ok(())
    } else {
        Err(CookieError::BadSignature)
    }
}

/// The decision in the eight fields of a version-2 payload, each in the
/// one spelling `encode` writes (the first failing field is named).
fn parse_fields(fields: &[&str]) -> Result<Decision, CookieError> {
    let [_version, grants, revision, decided_at, consent_id, method, jurisdiction, gpc] = fields
    else {
        return Err(CookieError::Malformed("wrong number of fields"));
    };
    let grants = parse_grants(grants).ok_or(CookieError::Malformed("grants"))?;
    let revision: u32 = parse_decimal(revision, "revision")?;
    let decided_at: u64 = parse_decimal(decided_at, "decided_at")?;
    if !is_consent_id(consent_id) {
        return Err(CookieError::Malformed("consent id"));
    }
    let method = method_from_code(method).ok_or(CookieError::Malformed("method"))?;
    if jurisdiction.is_empty()
        || jurisdiction.len() > MAX_JURISDICTION_LEN
        || !jurisdiction.bytes().all(is_b64url)
    {
        return Err(CookieError::Malformed("jurisdiction"));
    }
    let gpc = match *gpc {
        "0" => false,
        "1" => true,
        _ => return Err(CookieError::Malformed("gpc")),
    };
    Ok(Decision {
        grants,
        revision,
        decided_at,
        consent_id: (*consent_id).to_owned(),
        method,
        jurisdiction: (*jurisdiction).to_owned(),
        gpc,
    })
}

/// The grants field: one lower-case hex digit whose bits are valid grants
/// with `necessary` (bit 0) set.
fn parse_grants(field: &str) -> Option<Grants> {
    match field.as_bytes() {
        [h @ (b'0'..=b'9' | b'a'..=b'f')] => {
            let bits = (*h as char).to_digit(16).unwrap_or(0) as u8;
            Grants::from_bits(bits).filter(|_| bits & 1 == 1)
        }
        _ => None,
    }
}

/// The effective maximum age in seconds for `max_age_days` (clamped to 1..=395 days).
pub fn max_age_secs(max_age_days: u32) -> u64 {
    u64::from(max_age_days.clamp(1, MAX_AGE_DAYS_CAP)) * 86_400
}

/// Whether a verified decision still counts: given under the current policy
/// revision (or a newer one, during a rollout) and not older than
/// `max_age_days` (capped at 395).
pub fn check_current(
    d: &Decision,
    policy_revision: u32,
    max_age_days: u32,
    now: u64,
) -> Result<(), CookieError> {
    if d.revision < policy_revision {
        return Err(CookieError::OldRevision);
    }
    if now.saturating_sub(d.decided_at) > max_age_secs(max_age_days) {
        return Err(CookieError::Expired);
    }
    Ok(())
}

/// Reads the newest valid decision among every cookie called `name` in a
/// `Cookie` request header. Invalid ones are skipped; `None` when there is none.
pub fn read(
    cookie_header: &str,
    name: &str,
    secrets: &Secrets,
    policy_revision: u32,
    max_age_days: u32,
    now: u64,
) -> Option<Decision> {
    let mut best: Option<Decision> = None;
    for c in ::cookie::Cookie::split_parse(cookie_header).flatten() {
        if c.name() != name {
            continue;
        }
        let Ok(d) = decode(c.value(), secrets, now) else {
            continue;
        };
        if check_current(&d, policy_revision, max_age_days, now).is_err() {
            continue;
        }
        if best.as_ref().is_none_or(|b| d.decided_at > b.decided_at) {
            best = Some(d);
        }
    }
    best
}

/// Whether `domain` (a configured cookie domain, leading `.` allowed) is a
/// syntactically valid host name, returned without the leading dot.
pub fn valid_domain(domain: &str) -> Option<&str> {
    let d = domain.strip_prefix('.').unwrap_or(domain);
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    ok.then_some(d)
}

/// The cookie domain to use for a request to `host`: the configured domain
/// when it is valid and `host` lies within it (a browser rejects a cookie for
/// a domain the host is not part of), otherwise none (host-only).
pub fn domain_for_host<'a>(host: &str, domain: Option<&'a str>) -> Option<&'a str> {
    let d = valid_domain(domain?)?;
    let host = bare_host(host);
    let dl = d.to_ascii_lowercase();
    (host == dl || host.ends_with(&format!(".{dl}"))).then_some(d)
}

/// `host[:port]` without its port and trailing dot, in lower case.
pub fn bare_host(host: &str) -> String {
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(']') {
            h
        } else {
            host
        }
    });
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// The `Set-Cookie` values storing `d` in the cookie `name`.
///
/// Attributes: `Path=/`, `SameSite=Lax`, `HttpOnly` (pages read the state
/// from the endpoint, never from the cookie), `Secure` when `secure`,
/// `Max-Age` from `max_age_days` (clamped to 1..=395 days), and `Domain` when
/// `domain` is given and valid. With a domain, a second value expires any
/// host-only cookie of the same name, which would otherwise linger next to
/// the domain cookie. `None` when the current key is unusable.
pub fn set_cookie(
    name: &str,
    d: &Decision,
    secrets: &Secrets,
    max_age_days: u32,
    secure: bool,
    domain: Option<&str>,
) -> Option<Vec<String>> {
    use ::cookie::time::Duration;
    use ::cookie::{Cookie, SameSite};
    let value = encode(d, secrets)?;
    let max_age = i64::try_from(max_age_secs(max_age_days)).unwrap_or(i64::MAX);
    let mut out = Vec::with_capacity(2);
    let mut c = Cookie::build((name, value))
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true)
        .secure(secure)
        .max_age(Duration::seconds(max_age));
    let domain = domain.and_then(valid_domain);
    if let Some(dom) = domain {
        c = c.domain(dom);
    }
    out.push(c.build().to_string());
    if domain.is_some() {
        out.push(expiry(name, None, secure));
    }
    Some(out)
}

/// A `Set-Cookie` value that deletes the cookie `name` at `Path=/`, for the
/// given domain or host-only. Uses `Max-Age=0` and an `Expires` at the epoch
/// (for clients that ignore `Max-Age`). No clock needed.
pub fn expiry(name: &str, domain: Option<&str>, secure: bool) -> String {
    expiry_at(name, domain, "/", secure)
}

/// [`expiry`] at `path` (a cookie set on `Path=/shop` is another cookie
/// than the one on `Path=/`).
pub fn expiry_at(name: &str, domain: Option<&str>, path: &str, secure: bool) -> String {
    use ::cookie::time::{Duration, OffsetDateTime};
    use ::cookie::{Cookie, SameSite};
    let mut c = Cookie::build((name, ""))
        .path(path)
        .max_age(Duration::ZERO)
        .expires(OffsetDateTime::UNIX_EPOCH)
        .http_only(true)
        .secure(secure);
    if secure {
        c = c.same_site(SameSite::Lax);
    }
    if let Some(d) = domain.and_then(valid_domain) {
        c = c.domain(d);
    }
    c.build().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_750_000_000;

    fn secrets() -> Secrets {
        Secrets::new(b"0123456789abcdef-current-key".to_vec())
    }

    fn decision() -> Decision {
        Decision {
            grants: Grants::from_categories([super::super::Category::Analytics]),
            revision: 3,
            decided_at: NOW - 10,
            consent_id: new_consent_id([7; 16]),
            method: Method::Custom,
            jurisdiction: "us-ca".into(),
            gpc: true,
        }
    }

    fn resign(payload: &str, key: &[u8]) -> String {
        let sig =
            URL_SAFE_NO_PAD.encode(mac(key, &Scope::default(), payload).finalize().into_bytes());
        format!("{payload}.{sig}")
    }

    #[test]
    fn round_trip_every_method_and_grant() {
        let s = secrets();
        for m in Method::ALL {
            for bits in 0..16u8 {
                let mut d = decision();
                d.method = m;
                d.grants = Grants::from_bits(bits).unwrap();
                d.gpc = bits % 2 == 0;
                let v = encode(&d, &s).unwrap();
                assert!(v.len() <= MAX_VALUE_LEN, "{} bytes: {v}", v.len());
                assert_eq!(decode(&v, &s, NOW), Ok(d));
            }
        }
    }

    #[test]
    fn worst_case_value_fits() {
        let mut d = decision();
        d.revision = u32::MAX;
        d.decided_at = u64::MAX;
        d.jurisdiction = "x".repeat(100);
        let v = encode(&d, &secrets()).unwrap();
        assert!(v.len() <= MAX_VALUE_LEN, "{} bytes", v.len());
        assert_eq!(
            decode(&v, &secrets(), u64::MAX).unwrap().jurisdiction.len(),
            32
        );
    }

    #[test]
    fn value_is_cookie_and_url_safe() {
        let v = encode(&decision(), &secrets()).unwrap();
        assert!(v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
    }

    #[test]
    fn consent_ids_are_128_bit_url_safe() {
        let id = new_consent_id([0xff; 16]);
        assert_eq!(id.len(), 22);
        assert!(is_consent_id(&id));
        assert_ne!(new_consent_id([1; 16]), new_consent_id([2; 16]));
        assert_eq!(URL_SAFE_NO_PAD.decode(&id).unwrap(), vec![0xff; 16]);
    }

    #[test]
    fn jurisdiction_is_sanitised_for_storage() {
        assert_eq!(stored_jurisdiction("us-ca"), "us-ca");
        assert_eq!(stored_jurisdiction("a.b;c"), "a_b_c");
        assert_eq!(stored_jurisdiction(""), "unknown");
        assert_eq!(stored_jurisdiction("é"), "_");
    }

    #[test]
    fn bad_values_are_rejected_for_the_right_reason() {
        let s = secrets();
        let good = encode(&decision(), &s).unwrap();
        let (payload, _) = good.rsplit_once('.').unwrap();
        let key = &s.current;
        let field = |payload: &str, i: usize, v: &str| {
            let mut f: Vec<&str> = payload.split('.').collect();
            f[i] = v;
            resign(&f.join("."), key)
        };
        let cases: Vec<(String, CookieError)> = vec![
            (String::new(), CookieError::Malformed("no signature")),
            ("garbage".into(), CookieError::Malformed("no signature")),
            (
                good[..good.len() - 1].into(),
                CookieError::Malformed("signature"),
            ),
            (
                good[..good.len() / 2].into(),
                CookieError::Malformed("wrong number of fields"),
            ),
            (format!("{good}x"), CookieError::Malformed("signature")),
            ("x".repeat(201), CookieError::TooLong),
            (format!("{good}{}", "A".repeat(200)), CookieError::TooLong),
            (good.replacen("2.", "3.", 1), CookieError::UnknownVersion),
            (
                resign(&payload.replacen("2.", "9.", 1), key),
                CookieError::UnknownVersion,
            ),
            (
                resign(&payload.replacen("2.", "1.", 1), key),
                CookieError::OldFormat,
            ),
            // tampered: grants bumped to "all", old signature kept
            (
                {
                    let mut f: Vec<&str> = good.split('.').collect();
                    f[1] = "f";
                    f.join(".")
                },
                CookieError::BadSignature,
            ),
            (
                encode(
                    &decision(),
                    &Secrets::new(b"another-key-of-16-bytes".to_vec()),
                )
                .unwrap(),
                CookieError::BadSignature,
            ),
            // correctly signed but ill-formed fields
            (field(payload, 1, "10"), CookieError::Malformed("grants")),
            (field(payload, 1, "4"), CookieError::Malformed("grants")),
            (field(payload, 1, "F"), CookieError::Malformed("grants")),
            (field(payload, 2, "03"), CookieError::Malformed("revision")),
            (field(payload, 2, "+3"), CookieError::Malformed("revision")),
            (
                field(payload, 2, "4294967296"),
                CookieError::Malformed("revision"),
            ),
            (field(payload, 3, ""), CookieError::Malformed("decided_at")),
            (
                field(payload, 3, "-1"),
                CookieError::Malformed("decided_at"),
            ),
            (
                field(payload, 4, "short"),
                CookieError::Malformed("consent id"),
            ),
            (
                field(payload, 4, &"+".repeat(22)),
                CookieError::Malformed("consent id"),
            ),
            (field(payload, 5, "z"), CookieError::Malformed("method")),
            (
                field(payload, 6, ""),
                CookieError::Malformed("jurisdiction"),
            ),
            (
                field(payload, 6, "e u"),
                CookieError::Malformed("jurisdiction"),
            ),
            (field(payload, 7, "2"), CookieError::Malformed("gpc")),
            (
                resign(&format!("{payload}.extra"), key),
                CookieError::Malformed("wrong number of fields"),
            ),
        ];
        for (v, want) in cases {
            assert_eq!(decode(&v, &s, NOW), Err(want), "{v:?}");
        }
    }

    #[test]
    fn future_dates_allow_only_small_skew() {
        let s = secrets();
        let mut d = decision();
        d.decided_at = NOW + MAX_CLOCK_SKEW;
        assert!(decode(&encode(&d, &s).unwrap(), &s, NOW).is_ok());
        d.decided_at = NOW + MAX_CLOCK_SKEW + 1;
        assert_eq!(
            decode(&encode(&d, &s).unwrap(), &s, NOW),
            Err(CookieError::FutureDated)
        );
    }

    #[test]
    fn rotation_verifies_with_either_key_and_signs_with_current() {
        let old = Secrets::new(b"the-old-secret-key-0001".to_vec());
        let v_old = encode(&decision(), &old).unwrap();
        let rotated = Secrets {
            current: b"the-new-secret-key-0002".to_vec(),
            previous: Some(old.current.clone()),
            scope: Scope::default(),
        };
        assert!(decode(&v_old, &rotated, NOW).is_ok());
        let v_new = encode(&decision(), &rotated).unwrap();
        assert_ne!(v_new, v_old);
        assert!(decode(&v_new, &Secrets::new(rotated.current.clone()), NOW).is_ok());
        assert_eq!(decode(&v_new, &old, NOW), Err(CookieError::BadSignature));
        // after the rotation ends, the old cookies stop counting
        assert_eq!(
            decode(&v_old, &Secrets::new(rotated.current.clone()), NOW),
            Err(CookieError::BadSignature)
        );
    }

    #[test]
    fn short_or_missing_keys_neither_sign_nor_verify() {
        assert_eq!(encode(&decision(), &Secrets::default()), None);
        assert_eq!(encode(&decision(), &Secrets::new(b"short".to_vec())), None);
        let v = resign(
            encode(&decision(), &secrets())
                .unwrap()
                .rsplit_once('.')
                .unwrap()
                .0,
            b"",
        );
        assert_eq!(
            decode(&v, &Secrets::default(), NOW),
            Err(CookieError::BadSignature)
        );
        let p = Secrets {
            current: vec![],
            previous: Some(b"".to_vec()),
            scope: Scope::default(),
        };
        assert_eq!(decode(&v, &p, NOW), Err(CookieError::BadSignature));
        assert!(!format!("{:?}", secrets()).contains("current-key"));
    }

    #[test]
    fn revision_and_age() {
        let d = decision();
        assert_eq!(check_current(&d, 3, 182, NOW), Ok(()));
        assert_eq!(check_current(&d, 2, 182, NOW), Ok(()));
        assert_eq!(
            check_current(&d, 4, 182, NOW),
            Err(CookieError::OldRevision)
        );
        let mut old = d.clone();
        old.decided_at = NOW - 182 * 86_400;
        assert_eq!(check_current(&old, 3, 182, NOW), Ok(()));
        old.decided_at -= 1;
        assert_eq!(check_current(&old, 3, 182, NOW), Err(CookieError::Expired));
        // capped at 395 days whatever the regime says
        old.decided_at = NOW - 396 * 86_400;
        assert_eq!(
            check_current(&old, 3, 10_000, NOW),
            Err(CookieError::Expired)
        );
    }

    #[test]
    fn read_takes_the_newest_valid_of_duplicates() {
        let s = secrets();
        let mut a = decision();
        a.decided_at = NOW - 100;
        a.grants = Grants::ALL;
        let mut b = decision();
        b.decided_at = NOW - 50;
        b.grants = Grants::NECESSARY_ONLY;
        let mut future = decision();
        future.decided_at = NOW + 10_000;
        let mut stale = decision();
        stale.revision = 1;
        stale.decided_at = NOW;
        let header = format!(
            "consent={}; other=1; consent={}; consent={}; consent={}; consent=junk",
            encode(&a, &s).unwrap(),
            encode(&b, &s).unwrap(),
            encode(&future, &s).unwrap(),
            encode(&stale, &s).unwrap(),
        );
        assert_eq!(read(&header, "consent", &s, 3, 182, NOW), Some(b.clone()));
        assert_eq!(read(&header, "other", &s, 3, 182, NOW), None);
        assert_eq!(read(&header, "consent", &s, 4, 182, NOW), None);
    }

    #[test]
    fn read_survives_hostile_headers() {
        let s = secrets();
        let good = encode(&decision(), &s).unwrap();
        // 100 consent cookies, the only valid one last
        let mut h: Vec<String> = (0..99).map(|i| format!("consent=bad{i}")).collect();
        h.push(format!("consent={good}"));
        assert_eq!(
            read(&h.join("; "), "consent", &s, 3, 182, NOW),
            Some(decision())
        );
        // 64 KB of junk around it
        let big = format!(
            "a={}; consent={good}; {}",
            "x".repeat(32 * 1024),
            ";=;".repeat(11_000)
        );
        assert!(big.len() > 64 * 1024);
        assert_eq!(read(&big, "consent", &s, 3, 182, NOW), Some(decision()));
        // one oversized consent cookie
        let huge = format!("consent={}", "y".repeat(64 * 1024));
        assert_eq!(read(&huge, "consent", &s, 3, 182, NOW), None);
        for h in [
            "",
            ";",
            "consent",
            "consent=",
            "=consent",
            "consent==",
            "\u{0}consent=\u{ff}",
        ] {
            assert_eq!(read(h, "consent", &s, 3, 182, NOW), None, "{h:?}");
        }
    }

    #[test]
    fn set_cookie_attributes() {
        let s = secrets();
        let d = decision();
        let v = set_cookie("consent", &d, &s, 182, true, None).unwrap();
        assert_eq!(v.len(), 1);
        let c = ::cookie::Cookie::parse(v[0].as_str()).unwrap();
        assert_eq!(c.name(), "consent");
        assert_eq!(decode(c.value(), &s, NOW), Ok(d.clone()));
        assert_eq!(c.path(), Some("/"));
        assert_eq!(c.same_site(), Some(::cookie::SameSite::Lax));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.domain(), None);
        assert_eq!(c.max_age().unwrap().whole_seconds(), 182 * 86_400);

        let v = set_cookie("consent", &d, &s, 1000, false, Some(".example.com")).unwrap();
        assert_eq!(v.len(), 2);
        let c = ::cookie::Cookie::parse(v[0].as_str()).unwrap();
        assert_eq!(c.domain(), Some("example.com"));
        assert_eq!(c.secure(), None);
        assert_eq!(c.max_age().unwrap().whole_seconds(), 395 * 86_400);
        let host_only = ::cookie::Cookie::parse(v[1].as_str()).unwrap();
        assert_eq!(host_only.name(), "consent");
        assert_eq!(host_only.value(), "");
        assert_eq!(host_only.domain(), None);
        assert_eq!(host_only.path(), Some("/"));
        assert_eq!(host_only.max_age().unwrap().whole_seconds(), 0);

        assert_eq!(
            set_cookie("consent", &d, &Secrets::default(), 182, true, None),
            None
        );
        // an invalid configured domain is ignored rather than emitted
        let v = set_cookie("consent", &d, &s, 182, true, Some("exa mple.com;x=1")).unwrap();
        assert_eq!(v.len(), 1);
        assert!(!v[0].contains("Domain"), "{}", v[0]);
    }

    fn scoped(env: &str, host: &str, domain: Option<&str>) -> Secrets {
        let mut s = secrets();
        s.scope.env = env.into();
        s.bound(Scope::site(host, domain))
    }

    #[test]
    fn a_cookie_verifies_only_for_the_site_and_environment_it_was_issued_for() {
        let www = scoped("production", "www.example.com", None);
        let v = encode(&decision(), &www).unwrap();
        assert_eq!(decode(&v, &www, NOW), Ok(decision()));
        // the same host however the request spelled it
        assert_eq!(
            decode(&v, &scoped("production", "WWW.example.com.:443", None), NOW),
            Ok(decision())
        );
        for (other, why) in [
            (
                scoped("production", "shop.example.com", None),
                "sibling host",
            ),
            (scoped("production", "evil.example", None), "another site"),
            (
                scoped("staging", "www.example.com", None),
                "another environment",
            ),
            (scoped("", "www.example.com", None), "no environment"),
            (
                scoped("production", "www.example.com", Some("example.com")),
                "the domain cookie of the same host",
            ),
            (secrets(), "unbound"),
        ] {
            assert_eq!(
                decode(&v, &other, NOW),
                Err(CookieError::BadSignature),
                "{why}"
            );
        }
        // A COOKIE_DOMAIN cookie is shared by the hosts under it, and only them.
        let dom = scoped("production", "www.example.com", Some(".example.com"));
        let v = encode(&decision(), &dom).unwrap();
        let shop = scoped("production", "shop.example.com", Some("example.com"));
        assert_eq!(decode(&v, &shop, NOW), Ok(decision()));
        let other_domain = scoped("production", "www.example.org", Some("example.org"));
        assert_eq!(
            decode(&v, &other_domain, NOW),
            Err(CookieError::BadSignature)
        );
        // length prefixes: no ambiguity between env and site
        let mut a = secrets();
        a.scope = Scope {
            env: "ab".into(),
            site: "c".into(),
        };
        let mut b = secrets();
        b.scope = Scope {
            env: "a".into(),
            site: "bc".into(),
        };
        let v = encode(&decision(), &a).unwrap();
        assert_eq!(decode(&v, &b, NOW), Err(CookieError::BadSignature));
    }

    #[test]
    fn rotation_keeps_working_under_a_scope() {
        let mut old = scoped("production", "www.example.com", None);
        old.current = b"the-old-secret-key-0001".to_vec();
        let v_old = encode(&decision(), &old).unwrap();
        let mut rotated = old.clone();
        rotated.current = b"the-new-secret-key-0002".to_vec();
        rotated.previous = Some(old.current.clone());
        assert_eq!(decode(&v_old, &rotated, NOW), Ok(decision()));
        // …but the previous key does not open another site's cookie
        let elsewhere = rotated.bound(Scope::site("shop.example.com", None));
        assert_eq!(
            decode(&v_old, &elsewhere, NOW),
            Err(CookieError::BadSignature)
        );
    }

    #[test]
    fn version_1_cookies_count_as_no_decision() {
        // A well-formed version 1 value, signed as version 1 was (no scope).
        let s = secrets();
        let payload = format!("1.5.3.{}.{}.c.us-ca.1", NOW - 10, new_consent_id([7; 16]));
        let mut m = HmacSha256::new_from_slice(&s.current).unwrap();
        m.update(b"consent-edge.v1.");
        m.update(payload.as_bytes());
        let v1 = format!(
            "{payload}.{}",
            URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
        );
        assert_eq!(decode(&v1, &s, NOW), Err(CookieError::OldFormat));
        assert_eq!(
            read(&format!("consent={v1}"), "consent", &s, 3, 182, NOW),
            None
        );
    }

    #[test]
    fn the_name_carries_the_strictest_prefix_the_cookie_allows() {
        assert_eq!(cookie_name("consent", true, None), "__Host-consent");
        assert_eq!(
            cookie_name("consent", true, Some("example.com")),
            "__Secure-consent"
        );
        assert_eq!(cookie_name("consent", false, None), "consent");
        assert_eq!(
            cookie_name("consent", false, Some("example.com")),
            "consent"
        );
        // an unusable domain is ignored by set_cookie, so it is host-only
        assert_eq!(
            cookie_name("consent", true, Some("bad domain")),
            "__Host-consent"
        );
        assert_eq!(
            Scope::site("WWW.Example.com:8443", None),
            "h:www.example.com"
        );
        assert_eq!(
            Scope::site("www.example.com", Some(".Example.com")),
            "d:example.com"
        );
        // A __Host- cookie as set_cookie writes it meets the prefix's rules.
        let v = set_cookie("__Host-consent", &decision(), &secrets(), 182, true, None).unwrap();
        let c = ::cookie::Cookie::parse(v[0].as_str()).unwrap();
        assert_eq!(
            (c.secure(), c.path(), c.domain()),
            (Some(true), Some("/"), None)
        );
    }

    #[test]
    fn domain_must_contain_the_host() {
        let d = Some("example.com");
        assert_eq!(domain_for_host("www.example.com", d), Some("example.com"));
        assert_eq!(
            domain_for_host("shop.Example.com:8443", d),
            Some("example.com")
        );
        assert_eq!(
            domain_for_host("example.com", Some(".example.com")),
            Some("example.com")
        );
        assert_eq!(domain_for_host("badexample.com", d), None);
        assert_eq!(domain_for_host("x.workers.dev", d), None);
        assert_eq!(domain_for_host("www.example.com", None), None);
        assert_eq!(domain_for_host("www.example.com", Some("")), None);
    }

    /// The steps of `decode`, alone.
    #[test]
    fn decode_steps_alone() {
        // The grants digit: lower-case hex, necessary (bit 0) always set.
        assert_eq!(parse_grants("1"), Some(Grants::NECESSARY_ONLY));
        assert_eq!(parse_grants("f"), Some(Grants::ALL));
        for bad in ["0", "e", "F", "11", "", "g", "+1"] {
            assert_eq!(parse_grants(bad), None, "{bad:?}");
        }
        // The shape is judged before any MAC is computed.
        let sig = "A".repeat(SIG_LEN);
        let ok = format!("2.f.1.2.{}.a.eu.0.{sig}", new_consent_id([1; 16]));
        let (payload, fields, s) = split_value(&ok).unwrap();
        assert_eq!((fields.len(), s), (8, sig.as_str()));
        assert_eq!(format!("{payload}.{s}"), ok);
        assert_eq!(
            split_value(&format!("2.f.{sig}")).map(|_| ()),
            Err(CookieError::Malformed("wrong number of fields"))
        );
        assert_eq!(
            split_value(&ok[..ok.len() - 1]).map(|_| ()),
            Err(CookieError::Malformed("signature"))
        );
        assert_eq!(
            verify(payload, s, &secrets()),
            Err(CookieError::BadSignature)
        );
        // Well-formed fields, no signature involved.
        let d = parse_fields(&fields).unwrap();
        assert_eq!((d.grants, d.revision, d.decided_at), (Grants::ALL, 1, 2));
        assert_eq!(
            parse_fields(&fields[..7]),
            Err(CookieError::Malformed("wrong number of fields"))
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::consent::enforce;
    use proptest::prelude::*;

    fn secrets() -> Secrets {
        Secrets::new(b"property-test-secret-0123".to_vec())
    }

    proptest! {
        #[test]
        fn round_trip(bits in 0u8..16, rev: u32, at in 0u64..4_000_000_000, id: [u8; 16],
                      m in 0usize..5, j in "[a-z0-9-]{1,32}", gpc: bool) {
            let d = Decision {
                grants: Grants::from_bits(bits).unwrap(),
                revision: rev,
                decided_at: at,
                consent_id: new_consent_id(id),
                method: Method::ALL[m],
                jurisdiction: j,
                gpc,
            };
            let v = encode(&d, &secrets()).unwrap();
            prop_assert!(v.len() <= MAX_VALUE_LEN);
            prop_assert_eq!(decode(&v, &secrets(), at), Ok(d));
        }

        #[test]
        fn any_single_byte_change_is_rejected(pos in 0usize..200, byte in 0x21u8..0x7f) {
            let d = Decision {
                grants: Grants::ALL,
                revision: 1,
                decided_at: 1_000,
                consent_id: new_consent_id([3; 16]),
                method: Method::AcceptAll,
                jurisdiction: "eu".into(),
                gpc: false,
            };
            let v = encode(&d, &secrets()).unwrap();
            let mut b = v.clone().into_bytes();
            let pos = pos % b.len();
            prop_assume!(b[pos] != byte);
            b[pos] = byte;
            let tampered = String::from_utf8(b).unwrap();
            // Base64 has a few bits of slack in its last character; a change
            // there may decode to the same signature bytes.
            if let Ok(got) = decode(&tampered, &secrets(), 1_000) {
                prop_assert_eq!(pos, v.len() - 1);
                prop_assert_eq!(got, d);
            }
        }

        #[test]
        fn a_cookie_never_verifies_for_another_site_or_env(
            h1 in "[a-z]{1,8}(\\.[a-z]{1,8}){0,2}", h2 in "[a-z]{1,8}(\\.[a-z]{1,8}){0,2}",
            e1 in "[a-z]{0,8}", e2 in "[a-z]{0,8}", d1: bool, d2: bool) {
            let bind = |h: &str, e: &str, d: bool| {
                let mut s = secrets();
                s.scope.env = e.into();
                s.bound(Scope::site(h, d.then_some(h)))
            };
            let d = Decision {
                grants: Grants::ALL,
                revision: 1,
                decided_at: 1_000,
                consent_id: new_consent_id([5; 16]),
                method: Method::AcceptAll,
                jurisdiction: "eu".into(),
                gpc: false,
            };
            let v = encode(&d, &bind(&h1, &e1, d1)).unwrap();
            let same = h1 == h2 && e1 == e2 && d1 == d2;
            prop_assert_eq!(decode(&v, &bind(&h2, &e2, d2), 1_000).is_ok(), same);
        }

        #[test]
        fn hostile_input_never_panics(s in "\\PC{0,300}", raw in proptest::collection::vec(any::<u8>(), 0..300)) {
            let lossy = String::from_utf8_lossy(&raw).into_owned();
            for input in [&s, &lossy] {
                let _ = decode(input, &secrets(), 0);
                let _ = read(input, "consent", &secrets(), 1, 182, u64::MAX);
                let classify = |n: &str| (n.len() % 2 == 0).then_some(super::super::Category::Analytics);
                let _ = enforce::request_cookie_header(input, Grants::NECESSARY_ONLY, "consent", false, &classify);
                let _ = enforce::keep_set_cookie(input, Grants::NECESSARY_ONLY, &classify, 1_750_000_000);
                let _ = enforce::expire_refused(input, Grants::NECESSARY_ONLY, &classify, &crate::consent::reach::Reach::of("www.example.com", input), true);
                let to = crate::consent::endpoint::safe_return_to(input);
                prop_assert!(to == "/" || (to.starts_with('/') && !to.starts_with("//") && !to.contains('\\')));
                prop_assert!(to.bytes().all(|b| b.is_ascii_graphic()));
            }
        }
    }
}
