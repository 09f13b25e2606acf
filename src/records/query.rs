//! The query string of `/__consent/records` and `/__consent/stats`, the
//! pagination cursor, and the instants they filter on.
//!
//! Instants are read and written by the `time` crate (RFC 3339); only two
//! rules of this endpoint are local: a bare date as `until` means the next
//! midnight, and a `+` that arrived unescaped (read as a space by
//! form-urlencoding) is still an offset sign.

use super::minimize::truncate_chars;
use crate::consent::Method;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::json;
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;

/// Largest accepted `limit`.
pub const MAX_LIMIT: u32 = 1000;

/// Latest instant accepted in a filter: 9999-12-31T23:59:59Z.
const MAX_TIME: u64 = 253_402_300_799;

const SECS_PER_DAY: i64 = 86_400;

/// Output format of `/__consent/records`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// One JSON record per line (`application/x-ndjson`).
    #[default]
    Ndjson,
    /// RFC 4180 CSV with a header row (`text/csv`).
    Csv,
}

/// A position in the `(time, id)` order: the last row of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The row's time.
    pub time: u64,
    /// The row's id.
    pub id: i64,
}

impl Cursor {
    /// The opaque form handed to clients (URL-safe base64).
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}.{}", self.time, self.id))
    }

    /// Parses [`Cursor::encode`]'s output.
    pub fn decode(s: &str) -> Option<Cursor> {
        let raw = URL_SAFE_NO_PAD.decode(s).ok()?;
        let text = std::str::from_utf8(&raw).ok()?;
        let (time, id) = text.split_once('.')?;
        Some(Cursor {
            time: time.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// Parsed filters of `/__consent/records` and `/__consent/stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Records at or after this instant (unix seconds).
    pub since: Option<u64>,
    /// Records before this instant (unix seconds, exclusive).
    pub until: Option<u64>,
    /// Records of this consent id only.
    pub consent_id: Option<String>,
    /// Records of this action only.
    pub action: Option<Method>,
    /// Records of this jurisdiction only.
    pub jurisdiction: Option<String>,
    /// Output format.
    pub format: Format,
    /// Page size, 1 ..= [`MAX_LIMIT`].
    pub limit: u32,
    /// Continue after this position.
    pub cursor: Option<Cursor>,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            since: None,
            until: None,
            consent_id: None,
            action: None,
            jurisdiction: None,
            format: Format::Ndjson,
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

/// A bad query parameter: answer 400 with [`QueryError::to_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The parameter at fault.
    pub parameter: String,
    /// What was wrong with it.
    pub message: String,
}

impl QueryError {
    fn new(parameter: &str, message: impl Into<String>) -> QueryError {
        QueryError {
            parameter: truncate_chars(parameter, 64).to_owned(),
            message: message.into(),
        }
    }

    /// `{"error":"bad_parameter","parameter":"since","message":"…"}`.
    pub fn to_json(&self) -> String {
        json!({
            "error": "bad_parameter",
            "parameter": self.parameter,
            "message": self.message,
        })
        .to_string()
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.parameter, self.message)
    }
}

impl std::error::Error for QueryError {}

const PARAMETERS: [&str; 8] = [
    "since",
    "until",
    "consent_id",
    "action",
    "jurisdiction",
    "format",
    "limit",
    "cursor",
];

/// Parses the query string (with or without its leading `?`) of
/// `/__consent/records` or `/__consent/stats`.
///
/// - `since`, `until`: unix seconds, an RFC 3339 date (`2024-05-01`) or
///   date-time (`2024-05-01T12:00:00Z`, `…+02:00`; an unescaped `+` read as
///   a space is accepted). `since` is inclusive, `until` exclusive; a bare
///   date as `until` means up to the end of that day (UTC).
/// - `consent_id`, `jurisdiction`: exact match (letters, digits, `-`, `_`).
/// - `action`: `accept_all`, `reject_all`, `custom`, `gpc` or `withdrawn`.
/// - `format`: `ndjson` (default) or `csv`.
/// - `limit`: 1 ..= 1000 (default 100); `cursor`: from the previous page.
///
/// Empty values count as absent; unknown or repeated parameters are errors.
pub fn parse_query(query_string: &str) -> Result<Query, QueryError> {
    let qs = query_string.strip_prefix('?').unwrap_or(query_string);
    let mut q = Query::default();
    let mut seen = [false; PARAMETERS.len()];
    for (key, value) in form_urlencoded::parse(qs.as_bytes()) {
        let Some(slot) = PARAMETERS.iter().position(|p| *p == key) else {
            let expected = PARAMETERS.join(", ");
            return Err(QueryError::new(
                &key,
                format!("unknown parameter; expected one of {expected}"),
            ));
        };
        if std::mem::replace(&mut seen[slot], true) {
            return Err(QueryError::new(&key, "given more than once"));
        }
        let value = value.trim();
        if !value.is_empty() {
            set(&mut q, PARAMETERS[slot], value)
                .map_err(|m| QueryError::new(PARAMETERS[slot], m))?;
        }
    }
    if let (Some(since), Some(until)) = (q.since, q.until) {
        if until < since {
            return Err(QueryError::new("until", "is before since"));
        }
    }
    Ok(q)
}

/// Sets parameter `name` (one of [`PARAMETERS`]) of `q` from a non-empty
/// `value`; the message when the value is wrong.
fn set(q: &mut Query, name: &str, value: &str) -> Result<(), String> {
    match name {
        "since" => q.since = Some(parse_instant(value, false)?),
        "until" => q.until = Some(parse_instant(value, true)?),
        "consent_id" => q.consent_id = Some(identifier(value, 128)?),
        "jurisdiction" => q.jurisdiction = Some(identifier(value, 64)?),
        "action" => {
            q.action = Some(Method::from_id(value).ok_or_else(|| {
                let ids: Vec<&str> = Method::ALL.iter().map(|m| m.id()).collect();
                format!("{value:?}: expected one of {}", ids.join(", "))
            })?)
        }
        "format" => {
            q.format = match value {
                "ndjson" => Format::Ndjson,
                "csv" => Format::Csv,
                _ => return Err(format!("{value:?}: expected ndjson or csv")),
            }
        }
        "limit" => {
            q.limit = value
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| format!("{value:?}: expected an integer 1 ..= {MAX_LIMIT}"))?
        }
        "cursor" => {
            q.cursor = Some(Cursor::decode(value).ok_or("not a cursor returned by this endpoint")?)
        }
        other => return Err(format!("{other}: not a parameter of this endpoint")),
    }
    Ok(())
}

fn identifier(value: &str, max_len: usize) -> Result<String, String> {
    let ok = value.len() <= max_len
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "expected at most {max_len} letters, digits, '-' or '_'"
        ))
    }
}

const EXPECTED: &str = "expected unix seconds or an RFC 3339 date (2024-05-01) \
                        or date-time (2024-05-01T12:00:00Z)";

/// Unix seconds from unix seconds or an RFC 3339 date / date-time. A
/// fractional second rounds up (records have whole seconds, so `>= x.5`
/// and `< x.5` mean `>= x+1` and `< x+1`); so does a leap second, which
/// `time` reads as the nanosecond before the next second. `end_of_day`: a
/// bare date means the next midnight (for the exclusive `until`).
fn parse_instant(v: &str, end_of_day: bool) -> Result<u64, String> {
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return v
            .parse::<u64>()
            .ok()
            .filter(|t| *t <= MAX_TIME)
            .ok_or_else(|| format!("{v:?}: too far in the future"));
    }
    let bad = |e: &dyn fmt::Display| format!("{v:?}: {e}; {EXPECTED}");
    let secs = if v.len() == 10 {
        // A bare date is read as its UTC midnight by the same RFC 3339
        // parser: `time`'s format-description parser (`[year]-[month]-[day]`)
        // was 27 KB of wasm code used by nothing else (docs/BENCHMARKS.md,
        // "Wasm size: stop 12 steps"). Ten bytes are `YYYY-MM-DD` for both.
        let midnight =
            OffsetDateTime::parse(&format!("{v}T00:00:00Z"), &Rfc3339).map_err(|e| bad(&e))?;
        midnight.unix_timestamp() + i64::from(end_of_day) * SECS_PER_DAY
    } else {
        let text = rfc3339_text(v).ok_or_else(|| bad(&"not a date-time"))?;
        let dt = OffsetDateTime::parse(&text, &Rfc3339).map_err(|e| bad(&e))?;
        dt.unix_timestamp() + i64::from(dt.nanosecond() != 0)
    };
    let t = u64::try_from(secs).map_err(|_| format!("{v:?}: before 1970"))?;
    if t <= MAX_TIME + SECS_PER_DAY as u64 {
        Ok(t)
    } else {
        Err(format!("{v:?}: too far in the future"))
    }
}

/// `v` as the `time` crate's RFC 3339 parser reads it, after the local
/// rules; `None` when the date/time separator is not `T`, `t` or a space
/// (RFC 3339 §5.6 allows the space; `time` would take any byte there).
fn rfc3339_text(v: &str) -> Option<String> {
    let b = v.as_bytes();
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let mut text = v.to_owned();
    // `…12:00:00 02:00`: a `+` the client did not percent-encode arrives as
    // a space. The offset is the last six bytes, after at least the seconds.
    let n = b.len();
    if n >= 25 && b[n - 6] == b' ' {
        text.replace_range(n - 6..n - 5, "+");
    }
    Some(text)
}

/// `2024-05-01T12:00:00Z` for unix seconds; `None` past the year 9999.
pub fn format_rfc3339(time: u64) -> Option<String> {
    let secs = i64::try_from(time).ok()?;
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .format(&Rfc3339)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    #[test]
    fn query_defaults_and_every_parameter() {
        assert_eq!(parse_query("").unwrap(), Query::default());
        assert_eq!(parse_query("?").unwrap(), Query::default());
        let cursor = Cursor { time: 7, id: 9 }.encode();
        let q = parse_query(&format!(
            "?since=1714521600&until=2024-05-02&consent_id=k3Yp-0_aZ&action=reject_all\
             &jurisdiction=us-ca&format=csv&limit=1000&cursor={cursor}"
        ))
        .unwrap();
        assert_eq!(
            q,
            Query {
                since: Some(1_714_521_600),
                until: Some(1_714_694_400),
                consent_id: Some("k3Yp-0_aZ".into()),
                action: Some(Method::RejectAll),
                jurisdiction: Some("us-ca".into()),
                format: Format::Csv,
                limit: 1000,
                cursor: Some(Cursor { time: 7, id: 9 }),
            }
        );
        let q = parse_query("since=&format=ndjson&limit=1").unwrap();
        assert_eq!((q.since, q.format, q.limit), (None, Format::Ndjson, 1));
    }

    #[test]
    fn bad_parameters_are_named() {
        let cases = [
            ("since=yesterday", "since"),
            ("until=2024-02-30", "until"),
            ("since=2024-05-01T12:00Z", "since"),
            ("since=99999999999999999999", "since"),
            ("since=1969-12-31", "since"),
            ("since=200&until=100", "until"),
            ("consent_id=a%20b", "consent_id"),
            ("consent_id=%27%3B--", "consent_id"),
            ("action=accept", "action"),
            ("jurisdiction=eu%2Cus", "jurisdiction"),
            ("format=xml", "format"),
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("limit=ten", "limit"),
            ("cursor=%%%", "cursor"),
            ("cursor=bm90LWEtY3Vyc29y", "cursor"),
            ("sinc=1", "sinc"),
            ("limit=5&limit=6", "limit"),
        ];
        for (qs, param) in cases {
            let err = parse_query(qs).unwrap_err();
            assert_eq!(err.parameter, param, "{qs}: {err}");
            let body: Value = serde_json::from_str(&err.to_json()).unwrap();
            assert_eq!(body["error"], "bad_parameter");
            assert_eq!(body["parameter"], param);
            assert!(!body["message"].as_str().unwrap().is_empty());
        }
        // The message says what was wrong, in `time`'s words.
        let err = parse_query("until=2024-02-30").unwrap_err();
        assert!(err.message.contains("day"), "{err}");
        assert!(err.message.contains("2024-02-30"), "{err}");
    }

    #[test]
    fn instants_parse_as_unix_seconds() {
        let cases = [
            ("0", false, 0),
            ("1714521600", false, 1_714_521_600),
            ("1970-01-01", false, 0),
            ("2024-05-01", false, 1_714_521_600),
            ("2024-05-01", true, 1_714_608_000),
            ("2024-02-29", false, 1_709_164_800),
            ("2000-03-01", false, 951_868_800),
            ("9999-12-31", true, MAX_TIME + 1),
            ("2024-05-01T12:00:00Z", false, 1_714_564_800),
            ("2024-05-01t12:00:00z", true, 1_714_564_800),
            ("2024-05-01 12:00:00Z", false, 1_714_564_800),
            ("2024-05-01T12:00:00+02:00", false, 1_714_557_600),
            // `+` decoded to a space by form-urlencoding.
            ("2024-05-01T12:00:00 02:00", false, 1_714_557_600),
            ("2024-05-01 12:00:00 02:00", false, 1_714_557_600),
            ("2024-05-01T12:00:00.5 02:00", false, 1_714_557_601),
            ("2024-05-01T12:00:00-05:30", false, 1_714_584_600),
            ("2024-05-01T12:00:00.000Z", false, 1_714_564_800),
            ("2024-05-01T12:00:00.25Z", false, 1_714_564_801),
            // A real leap second (the last of 2016) reads as the next second.
            ("2016-12-31T23:59:60Z", false, 1_483_228_800),
        ];
        for (v, end_of_day, want) in cases {
            assert_eq!(parse_instant(v, end_of_day), Ok(want), "{v}");
        }
        for bad in [
            "",
            "2024-5-1",
            "2024-05-1",
            "2024-05-01T",
            "2024-05-01T12:00:00",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00+2:00",
            "2024-05-01T12:00:00+02:00x",
            "2024-05-01x12:00:00Z",
            "2024-05-01T12:00:00 2:00",
            // A leap second is only ever the last second of a month (UTC).
            "2024-05-01T23:59:60Z",
            "2023-02-29",
            "0000-01-01",
            "1970-01-01T00:00:00+00:01",
            "+2024-05-01",
            "२०२४-05-01",
            "2024-05-01T12:00:00+24:00",
        ] {
            assert!(parse_instant(bad, false).is_err(), "{bad}");
        }
        let q = parse_query("since=2024-05-01T12%3A00%3A00%2B02%3A00").unwrap();
        assert_eq!(q.since, Some(1_714_557_600));
        let q = parse_query("since=2024-05-01T12:00:00+02:00").unwrap();
        assert_eq!(q.since, Some(1_714_557_600));
    }

    #[test]
    fn instants_format_as_rfc3339() {
        assert_eq!(
            format_rfc3339(1_714_564_801).as_deref(),
            Some("2024-05-01T12:00:01Z")
        );
        assert_eq!(format_rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            format_rfc3339(MAX_TIME).as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
        assert_eq!(format_rfc3339(MAX_TIME + 1), None);
        assert_eq!(format_rfc3339(u64::MAX), None);
    }

    #[test]
    fn cursors_are_opaque_and_checked() {
        let c = Cursor {
            time: 1_714_564_800,
            id: 123_456,
        };
        let s = c.encode();
        assert!(s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(Cursor::decode(&s), Some(c));
        for bad in ["", "@@", "MTIz", "YS5i", "MS4y.3"] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn instants_round_trip(t in 0u64..=MAX_TIME) {
            let text = format_rfc3339(t).unwrap();
            prop_assert_eq!(parse_instant(&text, false), Ok(t));
        }

        #[test]
        fn dates_agree_with_their_midnight(t in 0u64..=MAX_TIME) {
            let text = format_rfc3339(t).unwrap();
            let midnight = t - t % SECS_PER_DAY as u64;
            prop_assert_eq!(parse_instant(&text[..10], false), Ok(midnight));
            prop_assert_eq!(parse_instant(&text[..10], true), Ok(midnight + SECS_PER_DAY as u64));
        }

        #[test]
        fn parse_query_never_panics(s in ".{0,200}") {
            let _ = parse_query(&s);
        }
    }
}
