//! The proof-of-consent log.
//!
//! GDPR Art. 7(1): where processing is based on consent, the controller must
//! be able to demonstrate that the data subject has consented. Every decision
//! (`accept_all`, `reject_all`, `custom`, `gpc`, `withdrawn`) therefore writes
//! one [`Record`] to a D1 table (`migrations/0001_consent_records.sql`).
//!
//! This module is the pure half: it builds records from a decision, builds
//! every SQL [`Statement`] (the edge runs them with D1
//! `prepare(sql).bind(params)`), parses the admin query string, renders pages
//! (NDJSON or CSV), statistics and a visitor's history, and checks the admin
//! bearer token. It performs no I/O and reads no clock.
//!
//! # Endpoints (served by the edge)
//!
//! | request | who | built from |
//! |---|---|---|
//! | `GET /__consent/records?since=&until=&consent_id=&action=&jurisdiction=&format=&limit=&cursor=` | site owner, `Authorization: Bearer <ADMIN_TOKEN>` | [`parse_query`], [`select`], [`render_page`] |
//! | `GET /__consent/history` | the visitor, from the consent id in their valid signed cookie | [`history`], [`render_history`] |
//! | `GET /__consent/stats?since=&until=&jurisdiction=&action=&consent_id=` | site owner | [`parse_query`], [`stats`], [`render_stats`] |
//!
//! Admin endpoints: with no `ADMIN_TOKEN` secret configured they answer 404;
//! a missing or wrong token is 401 ([`bearer_ok`]); a bad parameter is 400
//! with [`QueryError::to_json`] naming it.
//!
//! # Writing
//!
//! [`Record::new`] keeps only what the proof needs: the consent id, time,
//! action, granted categories, policy revision, jurisdiction, country,
//! region, GPC flag, banner variant and language, the page path without its
//! query, the IP truncated by [`anonymize_ip`] and the user agent cut to
//! [`USER_AGENT_MAX_CHARS`] characters. [`insert`] turns any number of
//! records into multi-row `INSERT`s that each respect D1's limit of
//! [`MAX_BOUND_PARAMS`] bound parameters; with `records.queue = true` the
//! edge sends records to a Queue and inserts each delivered batch this way
//! (run the statements with D1 `batch()` for one round trip). Re-inserting
//! the same decision is a no-op, so at-least-once delivery records it once.
//!
//! # Retention
//!
//! A scheduled (cron) handler repeats [`purge`] with
//! `records.purge_batch` until [`purge_again`] says the last run deleted
//! fewer rows than the batch.

use crate::consent::{Category, Decision, Grants, Method};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The D1 migration creating the `consent_records` table.
pub const MIGRATION: &str = include_str!("../migrations/0001_consent_records.sql");

/// The table the log lives in.
pub const TABLE: &str = "consent_records";

/// At most this many characters of the user agent are kept.
pub const USER_AGENT_MAX_CHARS: usize = 256;

/// At most this many characters of the page path are kept.
pub const PATH_MAX_CHARS: usize = 1024;

/// D1's limit of bound parameters per statement
/// (<https://developers.cloudflare.com/d1/platform/limits/>).
pub const MAX_BOUND_PARAMS: usize = 100;

/// Bound parameters per inserted row.
const INSERT_COLUMNS: [&str; 14] = [
    "consent_id",
    "time",
    "action",
    "grants",
    "revision",
    "jurisdiction",
    "country",
    "region",
    "gpc",
    "variant",
    "lang",
    "path",
    "ip",
    "user_agent",
];

/// Rows per `INSERT` statement: as many as fit in [`MAX_BOUND_PARAMS`].
pub const ROWS_PER_INSERT: usize = MAX_BOUND_PARAMS / INSERT_COLUMNS.len();

/// The columns every read returns, in this order.
const SELECT_COLUMNS: &str = "id, consent_id, time, action, grants, revision, jurisdiction, \
     country, region, gpc, variant, lang, path, ip, user_agent";

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;

/// Largest accepted `limit`.
pub const MAX_LIMIT: u32 = 1000;

/// At most this many (the most recent) records are returned to a visitor.
pub const HISTORY_LIMIT: u32 = 1000;

/// Latest instant accepted in a filter: 9999-12-31T23:59:59Z.
const MAX_TIME: u64 = 253_402_300_799;

const SECS_PER_DAY: u64 = 86_400;

/// `[records]` in `consent.toml` (defined with the rest of the
/// configuration in `consent-edge-config`).
pub use consent_edge_config::RecordsSettings as Config;

/// One decision, as stored in `consent_records`.
///
/// JSON form (NDJSON lines, queue messages, [`render_history`]):
/// `{"id":7,"consent_id":"…","time":1714521600,"action":"custom",
/// "grants":["necessary","analytics"],"revision":1,"jurisdiction":"eu",
/// "country":"DE","region":null,"gpc":false,"variant":"opt-in","lang":"de",
/// "path":"/","ip":"203.0.113.0","user_agent":"…"}`.
///
/// It also deserializes from a D1 row returned by [`select`] or [`history`]
/// (`grants` as the integer bit mask, `gpc` as 0/1, numbers possibly as
/// floats).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Row id, `None` until stored. Only the tie-breaker of the pagination
    /// order; omitted from JSON when `None`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_i64"
    )]
    pub id: Option<i64>,
    /// The random consent id carried in the visitor's cookie.
    pub consent_id: String,
    /// When the decision was given (unix seconds).
    #[serde(deserialize_with = "de_u64")]
    pub time: u64,
    /// How it was given.
    pub action: Method,
    /// The categories granted.
    #[serde(serialize_with = "ser_grants", deserialize_with = "de_grants")]
    pub grants: Grants,
    /// The policy revision it was given under.
    #[serde(deserialize_with = "de_u32")]
    pub revision: u32,
    /// Jurisdiction id (`"eu"`, `"us-ca"`, …).
    pub jurisdiction: String,
    /// ISO 3166-1 alpha-2 country, when known.
    #[serde(default)]
    pub country: Option<String>,
    /// ISO 3166-2 subdivision (without the country), when known.
    #[serde(default)]
    pub region: Option<String>,
    /// Whether a Global Privacy Control signal was present.
    #[serde(deserialize_with = "de_bool")]
    pub gpc: bool,
    /// The banner variant shown.
    pub variant: String,
    /// The banner language.
    pub lang: String,
    /// The page path, without query or fragment.
    pub path: String,
    /// The anonymised IP ([`anonymize_ip`]).
    #[serde(default)]
    pub ip: Option<String>,
    /// The user agent, at most [`USER_AGENT_MAX_CHARS`] characters.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// What the edge knows about the request a decision came with; raw values,
/// [`Record::new`] minimises them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordContext<'a> {
    /// `request.cf.country`.
    pub country: Option<&'a str>,
    /// `request.cf.regionCode`.
    pub region: Option<&'a str>,
    /// The banner variant shown.
    pub variant: &'a str,
    /// The banner language.
    pub lang: &'a str,
    /// The page the decision was given on: a path or a full URL (e.g. the
    /// `Referer`); query, fragment, scheme and host are dropped.
    pub path: &'a str,
    /// The raw client IP (`CF-Connecting-IP`).
    pub ip: Option<&'a str>,
    /// The raw `User-Agent`.
    pub user_agent: Option<&'a str>,
}

impl Record {
    /// The record of `decision`, keeping only what the proof needs from `ctx`.
    pub fn new(decision: &Decision, ctx: &RecordContext<'_>) -> Record {
        Record {
            id: None,
            consent_id: truncate_chars(&decision.consent_id, 128).to_owned(),
            time: decision.decided_at,
            action: decision.method,
            grants: decision.grants,
            revision: decision.revision,
            jurisdiction: truncate_chars(&decision.jurisdiction, 64).to_owned(),
            country: short(ctx.country, 8),
            region: short(ctx.region, 16),
            gpc: decision.gpc,
            variant: truncate_chars(ctx.variant, 64).to_owned(),
            lang: truncate_chars(ctx.lang, 35).to_owned(),
            path: page_path(ctx.path),
            ip: ctx.ip.and_then(anonymize_ip),
            user_agent: short(ctx.user_agent, USER_AGENT_MAX_CHARS),
        }
    }
}

fn short(value: Option<&str>, max_chars: usize) -> Option<String> {
    value
        .map(|v| truncate_chars(v.trim(), max_chars))
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The first `max_chars` characters of `s` (never splits a character).
fn truncate_chars(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The path of a page: query and fragment removed; scheme, userinfo and host
/// removed from a full URL; `/` when nothing is left.
fn page_path(raw: &str) -> String {
    let raw = raw.trim();
    let mut path = raw;
    for scheme in ["https://", "http://"] {
        let head = raw.get(..scheme.len());
        if let (Some(head), Some(rest)) = (head, raw.get(scheme.len()..)) {
            if !head.eq_ignore_ascii_case(scheme) {
                continue;
            }
            path = rest.find(['/', '?', '#']).map_or("", |i| &rest[i..]);
        }
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = truncate_chars(path, PATH_MAX_CHARS);
    if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    }
}

/// Truncates an IP address: IPv4 to its /24 (`203.0.113.77` →
/// `203.0.113.0`), IPv6 to its /48 (`2001:db8:abcd:12::1` →
/// `2001:db8:abcd::`); an IPv4-mapped IPv6 address is treated as IPv4.
/// `None` when `ip` is not an IP address.
pub fn anonymize_ip(ip: &str) -> Option<String> {
    let ip = ip.trim();
    let ip = ip
        .strip_prefix('[')
        .and_then(|i| i.strip_suffix(']'))
        .unwrap_or(ip);
    let v4 = |a: Ipv4Addr| {
        let [a, b, c, _] = a.octets();
        Ipv4Addr::new(a, b, c, 0).to_string()
    };
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => Some(v4(a)),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(mapped) => Some(v4(mapped)),
            None => {
                let s = a.segments();
                Some(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0).to_string())
            }
        },
    }
}

// ---------------------------------------------------------------------------
// Serde helpers: D1 returns every number as a JS number (possibly read back
// as a float) and booleans as 0/1.

fn integral(f: f64) -> Option<u64> {
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0)
        .then_some(f as u64)
}

struct U64Visitor;

impl serde::de::Visitor<'_> for U64Visitor {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer")
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("{v} is negative")))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u64, E> {
        integral(v).ok_or_else(|| E::custom(format!("{v} is not a non-negative integer")))
    }
}

fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(U64Visitor)
}

fn de_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = d.deserialize_any(U64Visitor)?;
    u32::try_from(v).map_err(|_| serde::de::Error::custom(format!("{v} is out of range")))
}

fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| {
                v.as_f64()
                    .and_then(integral)
                    .and_then(|u| i64::try_from(u).ok())
            })
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("id {v} is not an integer"))),
    }
}

fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(b) => Ok(b),
        v => match v.as_f64().and_then(integral) {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(serde::de::Error::custom(format!(
                "{v} is not a boolean (or 0/1)"
            ))),
        },
    }
}

fn ser_grants<S: Serializer>(grants: &Grants, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(grants.granted().map(Category::id))
}

fn de_grants<'de, D: Deserializer<'de>>(d: D) -> Result<Grants, D::Error> {
    use serde::de::Error;
    match Value::deserialize(d)? {
        Value::Array(items) => {
            let mut cats = Vec::with_capacity(items.len());
            for item in &items {
                let cat = item
                    .as_str()
                    .and_then(Category::from_id)
                    .ok_or_else(|| D::Error::custom(format!("unknown category {item}")))?;
                cats.push(cat);
            }
            Ok(Grants::from_categories(cats))
        }
        v => v
            .as_f64()
            .and_then(integral)
            .and_then(|bits| u8::try_from(bits).ok())
            .and_then(Grants::from_bits)
            .ok_or_else(|| {
                D::Error::custom(format!(
                    "grants {v}: expected a list of categories or a bit mask 0..=15"
                ))
            }),
    }
}

// ---------------------------------------------------------------------------
// Statements

/// A SQL statement with positional `?1..` parameters as JSON values, to be
/// run by the edge via D1 `prepare(sql).bind(params)`. Numbers are integers
/// below 2^53; booleans are already 0/1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    /// The SQL text.
    pub sql: String,
    /// The values of `?1`, `?2`, ….
    pub params: Vec<Value>,
}

impl Statement {
    fn bind(&mut self, value: Value) -> usize {
        self.params.push(value);
        self.params.len()
    }
}

/// The `INSERT`s recording `records`: one multi-row statement per
/// [`ROWS_PER_INSERT`] records (so each binds at most [`MAX_BOUND_PARAMS`]),
/// nothing for no records. A record already stored (same consent id, time,
/// action, grants and revision) is skipped, not an error.
pub fn insert(records: &[Record]) -> Vec<Statement> {
    records.chunks(ROWS_PER_INSERT).map(insert_rows).collect()
}

fn insert_rows(records: &[Record]) -> Statement {
    let mut st = Statement {
        sql: format!(
            "INSERT INTO {TABLE} ({}) VALUES ",
            INSERT_COLUMNS.join(", ")
        ),
        params: Vec::with_capacity(records.len() * INSERT_COLUMNS.len()),
    };
    let mut values = Vec::with_capacity(records.len());
    for r in records {
        let row = [
            json!(r.consent_id),
            json!(r.time),
            json!(r.action.id()),
            json!(r.grants.bits()),
            json!(r.revision),
            json!(r.jurisdiction),
            json!(r.country),
            json!(r.region),
            json!(u8::from(r.gpc)),
            json!(r.variant),
            json!(r.lang),
            json!(r.path),
            json!(r.ip),
            json!(r.user_agent),
        ];
        let slots: Vec<String> = row
            .into_iter()
            .map(|v| format!("?{}", st.bind(v)))
            .collect();
        values.push(format!("({})", slots.join(", ")));
    }
    st.sql.push_str(&values.join(", "));
    st.sql.push_str(" ON CONFLICT DO NOTHING");
    st
}

/// The page of records matching `q`, ordered by `(time, id)`, starting after
/// `q.cursor`; asks for `q.limit + 1` rows so [`render_page`] knows whether
/// there is a next page.
pub fn select(q: &Query) -> Statement {
    let mut st = Statement {
        sql: format!("SELECT {SELECT_COLUMNS} FROM {TABLE}"),
        params: Vec::new(),
    };
    let mut conds = filters(q, &mut st);
    if let Some(c) = q.cursor {
        let t = st.bind(json!(c.time));
        let i = st.bind(json!(c.id));
        conds.push(format!("(time, id) > (?{t}, ?{i})"));
    }
    push_where(&mut st.sql, &conds);
    let n = st.bind(json!(u64::from(q.limit) + 1));
    st.sql.push_str(&format!(" ORDER BY time, id LIMIT ?{n}"));
    st
}

/// The records of one consent id, oldest first (at most the
/// [`HISTORY_LIMIT`] most recent).
pub fn history(consent_id: &str) -> Statement {
    Statement {
        sql: format!(
            "SELECT {SELECT_COLUMNS} FROM (SELECT {SELECT_COLUMNS} FROM {TABLE} \
             WHERE consent_id = ?1 ORDER BY time DESC, id DESC LIMIT ?2) ORDER BY time, id"
        ),
        params: vec![json!(consent_id), json!(HISTORY_LIMIT)],
    }
}

/// Counts per UTC day and jurisdiction of the records matching `q`'s filters
/// (`cursor`, `limit` and `format` are ignored): `day`, `jurisdiction`,
/// `decisions`, `action_<id>` for every [`Method`] and `granted_<id>` for
/// every optional [`Category`]. Feed the rows to [`render_stats`].
pub fn stats(q: &Query) -> Statement {
    let mut st = Statement {
        sql: String::new(),
        params: Vec::new(),
    };
    let mut cols = vec![
        "date(time, 'unixepoch') AS day".to_owned(),
        "jurisdiction".to_owned(),
        "COUNT(*) AS decisions".to_owned(),
    ];
    // Ids are this crate's constants (snake_case ASCII), safe to inline.
    cols.extend(
        Method::ALL
            .iter()
            .map(|m| format!("SUM(action = '{0}') AS action_{0}", m.id())),
    );
    cols.extend(
        Category::OPTIONAL
            .iter()
            .map(|c| format!("SUM({0}) AS granted_{0}", c.id())),
    );
    st.sql = format!("SELECT {} FROM {TABLE}", cols.join(", "));
    let conds = filters(q, &mut st);
    push_where(&mut st.sql, &conds);
    st.sql
        .push_str(" GROUP BY date(time, 'unixepoch'), jurisdiction ORDER BY day, jurisdiction");
    st
}

/// Deletes at most `batch` records older than `retention_days` days before
/// `now` (oldest first). Repeat while [`purge_again`]. A `retention_days` of
/// 0 deletes nothing (it can only be a configuration mistake), a `batch` of
/// 0 counts as 1.
pub fn purge(now: u64, retention_days: u32, batch: u32) -> Statement {
    let cutoff = if retention_days == 0 {
        0
    } else {
        now.saturating_sub(u64::from(retention_days) * SECS_PER_DAY)
    };
    Statement {
        sql: format!(
            "DELETE FROM {TABLE} WHERE id IN \
             (SELECT id FROM {TABLE} WHERE time < ?1 ORDER BY time, id LIMIT ?2)"
        ),
        params: vec![json!(cutoff), json!(batch.max(1))],
    }
}

/// Whether another [`purge`] is needed after one deleted `deleted` rows
/// (D1 `meta.changes`) with this `batch`.
pub fn purge_again(deleted: u64, batch: u32) -> bool {
    deleted >= u64::from(batch.max(1))
}

fn filters(q: &Query, st: &mut Statement) -> Vec<String> {
    let mut conds = Vec::new();
    if let Some(since) = q.since {
        conds.push(format!("time >= ?{}", st.bind(json!(since))));
    }
    if let Some(until) = q.until {
        conds.push(format!("time < ?{}", st.bind(json!(until))));
    }
    if let Some(id) = &q.consent_id {
        conds.push(format!("consent_id = ?{}", st.bind(json!(id))));
    }
    if let Some(action) = q.action {
        conds.push(format!("action = ?{}", st.bind(json!(action.id()))));
    }
    if let Some(j) = &q.jurisdiction {
        conds.push(format!("jurisdiction = ?{}", st.bind(json!(j))));
    }
    conds
}

fn push_where(sql: &mut String, conds: &[String]) {
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
}

// ---------------------------------------------------------------------------
// Query string

/// Output format of `/__consent/records`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// One JSON [`Record`] per line (`application/x-ndjson`).
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
            return Err(QueryError::new(
                &key,
                format!(
                    "unknown parameter; expected one of {}",
                    PARAMETERS.join(", ")
                ),
            ));
        };
        if std::mem::replace(&mut seen[slot], true) {
            return Err(QueryError::new(&key, "given more than once"));
        }
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let err = |m: String| QueryError::new(PARAMETERS[slot], m);
        match PARAMETERS[slot] {
            "since" => q.since = Some(parse_instant(value, false).map_err(err)?),
            "until" => q.until = Some(parse_instant(value, true).map_err(err)?),
            "consent_id" => q.consent_id = Some(identifier(value, 128).map_err(err)?),
            "jurisdiction" => q.jurisdiction = Some(identifier(value, 64).map_err(err)?),
            "action" => {
                q.action = Some(Method::from_id(value).ok_or_else(|| {
                    let ids: Vec<&str> = Method::ALL.iter().map(|m| m.id()).collect();
                    err(format!("{value:?}: expected one of {}", ids.join(", ")))
                })?)
            }
            "format" => {
                q.format = match value {
                    "ndjson" => Format::Ndjson,
                    "csv" => Format::Csv,
                    _ => return Err(err(format!("{value:?}: expected ndjson or csv"))),
                }
            }
            "limit" => {
                q.limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| {
                        err(format!("{value:?}: expected an integer 1 ..= {MAX_LIMIT}"))
                    })?
            }
            "cursor" => {
                q.cursor = Some(
                    Cursor::decode(value)
                        .ok_or_else(|| err("not a cursor returned by this endpoint".to_owned()))?,
                )
            }
            _ => unreachable!("every PARAMETERS entry is handled"),
        }
    }
    if let (Some(since), Some(until)) = (q.since, q.until) {
        if until < since {
            return Err(QueryError::new("until", "is before since"));
        }
    }
    Ok(q)
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

/// Unix seconds from unix seconds or an RFC 3339 date / date-time. A
/// fractional second rounds up (records have whole seconds, so `>= x.5`
/// and `< x.5` mean `>= x+1` and `< x+1`). `end_of_day`: a bare date means
/// the next midnight (for the exclusive `until`).
fn parse_instant(v: &str, end_of_day: bool) -> Result<u64, String> {
    const EXPECTED: &str = "expected unix seconds or an RFC 3339 date (2024-05-01) \
                            or date-time (2024-05-01T12:00:00Z)";
    let bad = || format!("{v:?}: {EXPECTED}");
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return v
            .parse::<u64>()
            .ok()
            .filter(|t| *t <= MAX_TIME)
            .ok_or_else(|| format!("{v:?}: too far in the future"));
    }
    let b = v.as_bytes();
    let num = |at: usize, len: usize| -> Option<i64> {
        let digits = b.get(at..at + len)?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(year), true, Some(month), true, Some(day)) =
        (num(0, 4), at(4, b'-'), num(5, 2), at(7, b'-'), num(8, 2))
    else {
        return Err(bad());
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(format!("{v:?}: no such date"));
    }
    let days = days_from_civil(year, month, day);
    let secs = if b.len() == 10 {
        (days + i64::from(end_of_day)) * SECS_PER_DAY as i64
    } else {
        if !matches!(b[10], b'T' | b't' | b' ') {
            return Err(bad());
        }
        let (Some(h), true, Some(m), true, Some(s)) = (
            num(11, 2),
            at(13, b':'),
            num(14, 2),
            at(16, b':'),
            num(17, 2),
        ) else {
            return Err(bad());
        };
        if h > 23 || m > 59 || s > 60 {
            return Err(format!("{v:?}: no such time"));
        }
        let mut i = 19;
        let mut fraction = false;
        if at(i, b'.') {
            i += 1;
            let start = i;
            while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                fraction |= *d != b'0';
                i += 1;
            }
            if i == start {
                return Err(bad());
            }
        }
        let offset = match b.get(i) {
            Some(b'Z' | b'z') if b.len() == i + 1 => 0,
            // `+` arrives as a space when the client did not percent-encode it.
            Some(sign @ (b'+' | b'-' | b' ')) if b.len() == i + 6 && at(i + 3, b':') => {
                let (Some(oh), Some(om)) = (num(i + 1, 2), num(i + 4, 2)) else {
                    return Err(bad());
                };
                if oh > 23 || om > 59 {
                    return Err(format!("{v:?}: no such UTC offset"));
                }
                let off = oh * 3600 + om * 60;
                if *sign == b'-' {
                    -off
                } else {
                    off
                }
            }
            _ => return Err(bad()),
        };
        days * SECS_PER_DAY as i64 + h * 3600 + m * 60 + s - offset + i64::from(fraction)
    };
    u64::try_from(secs)
        .map_err(|_| format!("{v:?}: before 1970"))
        .and_then(|t| {
            if t <= MAX_TIME + SECS_PER_DAY {
                Ok(t)
            } else {
                Err(format!("{v:?}: too far in the future"))
            }
        })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (years 0..=9999).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Count from 0000-03-01 so the leap day is the last day of the year.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (m + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date of a day count since 1970-01-01 (inverse of
/// [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let d = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let m = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let y = year_of_era + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `2024-05-01T12:00:00Z` for unix seconds.
pub fn format_rfc3339(time: u64) -> String {
    let days = (time / SECS_PER_DAY) as i64;
    let secs = time % SECS_PER_DAY;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

// ---------------------------------------------------------------------------
// Rendering

/// Content type of [`Format::Ndjson`] pages.
pub const NDJSON: &str = "application/x-ndjson; charset=utf-8";
/// Content type of [`Format::Csv`] pages.
pub const CSV: &str = "text/csv; charset=utf-8";

const CSV_HEADER: [&str; 19] = [
    "id",
    "time",
    "datetime",
    "consent_id",
    "action",
    "functional",
    "analytics",
    "advertising",
    "revision",
    "jurisdiction",
    "country",
    "region",
    "gpc",
    "variant",
    "lang",
    "path",
    "ip",
    "user_agent",
    "grants",
];

/// Renders the rows of [`select`] as `(content type, body, next cursor)`.
/// `rows` holds up to `q.limit + 1` records: when it holds more than
/// `q.limit`, the extra one is dropped and the cursor of the last record
/// kept is returned (hand it to the client, e.g. in a `Link` header or a
/// `Consent-Next-Cursor` header; `None` on the last page).
pub fn render_page(mut rows: Vec<Record>, q: &Query) -> (String, String, Option<String>) {
    let limit = q.limit as usize;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        // Rows from `select` always carry their id; without one, continue
        // after every row of that second rather than risk a loop.
        rows.last().map(|r| {
            Cursor {
                time: r.time,
                id: r.id.unwrap_or(i64::MAX),
            }
            .encode()
        })
    } else {
        None
    };
    let body = match q.format {
        Format::Ndjson => {
            let mut body = String::new();
            for r in &rows {
                // A Record always serializes (string keys, finite numbers).
                if let Ok(line) = serde_json::to_string(r) {
                    body.push_str(&line);
                    body.push('\n');
                }
            }
            return (NDJSON.to_owned(), body, next);
        }
        Format::Csv => render_csv(&rows),
    };
    (CSV.to_owned(), body, next)
}

fn render_csv(rows: &[Record]) -> String {
    let mut out = String::new();
    let header: Vec<Cow<'_, str>> = CSV_HEADER.iter().map(|h| Cow::Borrowed(*h)).collect();
    csv_line(&mut out, &header);
    for r in rows {
        let flag = |b: bool| Cow::Borrowed(if b { "1" } else { "0" });
        let opt = |o: &Option<String>| Cow::Owned(o.clone().unwrap_or_default());
        let grants: Vec<&str> = r.grants.granted().map(Category::id).collect();
        let cells: Vec<Cow<'_, str>> = vec![
            r.id.map_or(Cow::Borrowed(""), |i| Cow::Owned(i.to_string())),
            Cow::Owned(r.time.to_string()),
            Cow::Owned(format_rfc3339(r.time)),
            Cow::Borrowed(&r.consent_id),
            Cow::Borrowed(r.action.id()),
            flag(r.grants.has(Category::Functional)),
            flag(r.grants.has(Category::Analytics)),
            flag(r.grants.has(Category::Advertising)),
            Cow::Owned(r.revision.to_string()),
            Cow::Borrowed(&r.jurisdiction),
            opt(&r.country),
            opt(&r.region),
            flag(r.gpc),
            Cow::Borrowed(&r.variant),
            Cow::Borrowed(&r.lang),
            Cow::Borrowed(&r.path),
            opt(&r.ip),
            opt(&r.user_agent),
            Cow::Owned(grants.join(" ")),
        ];
        csv_line(&mut out, &cells);
    }
    out
}

/// One RFC 4180 line (CRLF-terminated). A cell a spreadsheet would read as
/// a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading
/// `'`; a cell with a comma, quote or line break is quoted.
fn csv_line(out: &mut String, cells: &[Cow<'_, str>]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let guarded;
        let cell: &str = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            guarded = format!("'{cell}");
            &guarded
        } else {
            cell
        };
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push_str("\r\n");
}

/// The body of `/__consent/history`: `{"consent_id":…,"records":[…]}`.
pub fn render_history(consent_id: &str, rows: &[Record]) -> Value {
    json!({ "consent_id": consent_id, "records": rows })
}

fn count(row: &Value, key: &str) -> u64 {
    row.get(key)
        .and_then(|v| v.as_u64().or_else(|| v.as_f64().and_then(integral)))
        .unwrap_or(0)
}

/// Tallies of one group of decisions.
#[derive(Default)]
struct Tally {
    decisions: u64,
    actions: [u64; Method::ALL.len()],
    granted: [u64; Category::OPTIONAL.len()],
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.decisions += other.decisions;
        for (a, b) in self.actions.iter_mut().zip(other.actions) {
            *a += b;
        }
        for (a, b) in self.granted.iter_mut().zip(other.granted) {
            *a += b;
        }
    }

    fn to_json(&self) -> serde_json::Map<String, Value> {
        let mut actions = serde_json::Map::new();
        for (m, n) in Method::ALL.iter().zip(self.actions) {
            actions.insert(m.id().into(), json!(n));
        }
        let mut granted = serde_json::Map::new();
        let mut acceptance = serde_json::Map::new();
        for (c, n) in Category::OPTIONAL.iter().zip(self.granted) {
            granted.insert(c.id().into(), json!(n));
            let rate = (self.decisions > 0)
                .then(|| (n as f64 / self.decisions as f64 * 10_000.0).round() / 10_000.0);
            acceptance.insert(c.id().into(), json!(rate));
        }
        let mut out = serde_json::Map::new();
        out.insert("decisions".into(), json!(self.decisions));
        out.insert("actions".into(), Value::Object(actions));
        out.insert("granted".into(), Value::Object(granted));
        out.insert("acceptance".into(), Value::Object(acceptance));
        out
    }
}

/// The body of `/__consent/stats` from the rows of [`stats`]:
///
/// ```json
/// {"rows":[{"day":"2024-05-01","jurisdiction":"eu","decisions":10,
///           "actions":{"accept_all":4,"reject_all":3,"custom":2,"gpc":0,"withdrawn":1},
///           "granted":{"functional":5,"analytics":5,"advertising":4},
///           "acceptance":{"functional":0.5,"analytics":0.5,"advertising":0.4}}],
///  "total":{"decisions":10,"actions":{…},"granted":{…},"acceptance":{…}}}
/// ```
///
/// `acceptance` is the share of decisions (of every action, withdrawals
/// included) granting the category, rounded to 4 decimals; `null` when
/// there are no decisions.
pub fn render_stats(rows: &[Value]) -> Value {
    let mut total = Tally::default();
    let mut out_rows = Vec::with_capacity(rows.len());
    for row in rows {
        let mut t = Tally {
            decisions: count(row, "decisions"),
            ..Tally::default()
        };
        for (slot, m) in t.actions.iter_mut().zip(Method::ALL) {
            *slot = count(row, &format!("action_{}", m.id()));
        }
        for (slot, c) in t.granted.iter_mut().zip(Category::OPTIONAL) {
            *slot = count(row, &format!("granted_{}", c.id()));
        }
        total.add(&t);
        let mut obj = serde_json::Map::new();
        for key in ["day", "jurisdiction"] {
            let v = row.get(key).and_then(Value::as_str).unwrap_or_default();
            obj.insert(key.into(), json!(v));
        }
        obj.extend(t.to_json());
        out_rows.push(Value::Object(obj));
    }
    json!({ "rows": out_rows, "total": Value::Object(total.to_json()) })
}

// ---------------------------------------------------------------------------
// Admin authentication

/// Whether an `Authorization` header carries `Bearer <admin_token>`. The
/// tokens are compared through their SHA-256 digests with a branch-free
/// fold, so the time taken says nothing about how much of the token
/// matched. An empty `admin_token` accepts nothing (the edge answers 404
/// when the secret is not configured).
pub fn bearer_ok(authorization: Option<&str>, admin_token: &str) -> bool {
    let admin_token = admin_token.trim();
    if admin_token.is_empty() {
        return false;
    }
    let Some((scheme, token)) = authorization.and_then(|h| h.trim().split_once(' ')) else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return false;
    }
    let given = Sha256::digest(token.trim().as_bytes());
    let expected = Sha256::digest(admin_token.as_bytes());
    let diff = given
        .iter()
        .zip(expected.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::types::Value as Sql;
    use rusqlite::Connection;

    // -- SQLite harness: D1 is SQLite; run the migration and the statements
    // exactly as the edge would (positional parameters from JSON values).

    fn db() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(MIGRATION).unwrap();
        c
    }

    fn sql_value(v: &Value) -> Sql {
        match v {
            Value::Null => Sql::Null,
            Value::Bool(b) => Sql::Integer(i64::from(*b)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Sql::Integer(i),
                None => Sql::Real(n.as_f64().unwrap()),
            },
            Value::String(s) => Sql::Text(s.clone()),
            other => panic!("D1 cannot bind {other}"),
        }
    }

    fn prepare<'c>(c: &'c Connection, st: &Statement) -> rusqlite::Statement<'c> {
        assert!(st.params.len() <= MAX_BOUND_PARAMS, "{}", st.sql);
        let s = c
            .prepare(&st.sql)
            .unwrap_or_else(|e| panic!("{e}: {}", st.sql));
        assert_eq!(s.parameter_count(), st.params.len(), "{}", st.sql);
        s
    }

    fn execute(c: &Connection, st: &Statement) -> usize {
        let mut s = prepare(c, st);
        s.execute(rusqlite::params_from_iter(st.params.iter().map(sql_value)))
            .unwrap()
    }

    /// Rows as JSON objects, the shape D1's `all()` returns.
    fn rows(c: &Connection, st: &Statement) -> Vec<Value> {
        let mut s = prepare(c, st);
        let names: Vec<String> = s.column_names().iter().map(|n| n.to_string()).collect();
        let mut out = Vec::new();
        let mut rs = s
            .query(rusqlite::params_from_iter(st.params.iter().map(sql_value)))
            .unwrap();
        while let Some(row) = rs.next().unwrap() {
            let mut obj = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                let v = match row.get::<_, Sql>(i).unwrap() {
                    Sql::Null => Value::Null,
                    Sql::Integer(n) => json!(n),
                    Sql::Real(f) => json!(f),
                    Sql::Text(t) => json!(t),
                    Sql::Blob(_) => panic!("blob"),
                };
                obj.insert(name.clone(), v);
            }
            out.push(Value::Object(obj));
        }
        out
    }

    fn records(c: &Connection, st: &Statement) -> Vec<Record> {
        rows(c, st)
            .into_iter()
            .map(|r| serde_json::from_value(r).unwrap())
            .collect()
    }

    fn count_rows(c: &Connection) -> i64 {
        c.query_row("SELECT COUNT(*) FROM consent_records", [], |r| r.get(0))
            .unwrap()
    }

    fn store(c: &Connection, recs: &[Record]) {
        for st in insert(recs) {
            execute(c, &st);
        }
    }

    fn rec(id: &str, time: u64, action: Method, grants: Grants, jurisdiction: &str) -> Record {
        Record {
            id: None,
            consent_id: id.into(),
            time,
            action,
            grants,
            revision: 1,
            jurisdiction: jurisdiction.into(),
            country: Some("DE".into()),
            region: None,
            gpc: action == Method::Gpc,
            variant: "opt-in".into(),
            lang: "en".into(),
            path: "/".into(),
            ip: Some("203.0.113.0".into()),
            user_agent: Some("Mozilla/5.0".into()),
        }
    }

    fn without_id(mut r: Record) -> Record {
        r.id = None;
        r
    }

    fn analytics_only() -> Grants {
        Grants::from_categories([Category::Analytics])
    }

    /// 60 records over 3 jurisdictions, 5 actions and 10 consent ids, with
    /// up to four records sharing each second.
    fn dataset() -> Vec<Record> {
        let j = ["eu", "us-ca", "default"];
        (0..60u64)
            .map(|i| {
                let action = Method::ALL[(i % 5) as usize];
                let grants = Grants::from_bits((i % 16) as u8).unwrap();
                rec(
                    &format!("c{}", i % 10),
                    1_714_521_600 + (i / 4) * 3600,
                    action,
                    grants,
                    j[(i % 3) as usize],
                )
            })
            .collect()
    }

    // -- Records

    fn decision() -> Decision {
        Decision {
            grants: analytics_only(),
            revision: 3,
            decided_at: 1_714_564_800,
            consent_id: "k3Yp-0_aZ".into(),
            method: Method::Custom,
            jurisdiction: "eu".into(),
            gpc: true,
        }
    }

    #[test]
    fn record_keeps_only_the_minimised_proof() {
        let ua = format!("{}😀tail", "a".repeat(255));
        let ctx = RecordContext {
            country: Some("FR"),
            region: Some(" IDF "),
            variant: "opt-in",
            lang: "fr",
            path: "/checkout/step-2?email=alice%40example.com#pay",
            ip: Some("203.0.113.77"),
            user_agent: Some(&ua),
        };
        let r = Record::new(&decision(), &ctx);
        assert_eq!(r.consent_id, "k3Yp-0_aZ");
        assert_eq!(r.time, 1_714_564_800);
        assert_eq!(r.action, Method::Custom);
        assert_eq!(r.grants, analytics_only());
        assert_eq!(r.revision, 3);
        assert_eq!(r.jurisdiction, "eu");
        assert_eq!(r.country.as_deref(), Some("FR"));
        assert_eq!(r.region.as_deref(), Some("IDF"));
        assert!(r.gpc);
        assert_eq!((r.variant.as_str(), r.lang.as_str()), ("opt-in", "fr"));
        assert_eq!(r.path, "/checkout/step-2");
        assert_eq!(r.ip.as_deref(), Some("203.0.113.0"));
        let kept = r.user_agent.unwrap();
        assert_eq!(kept.chars().count(), USER_AGENT_MAX_CHARS);
        assert!(kept.ends_with('😀'), "cut on a char boundary, emoji kept");
        assert_eq!(r.id, None);

        let bare = Record::new(&decision(), &RecordContext::default());
        assert_eq!(
            (bare.country, bare.ip, bare.user_agent, bare.path.as_str()),
            (None, None, None, "/")
        );
        let bad_ip = RecordContext {
            ip: Some("not-an-ip"),
            user_agent: Some("   "),
            ..RecordContext::default()
        };
        let r = Record::new(&decision(), &bad_ip);
        assert_eq!((r.ip, r.user_agent), (None, None));
    }

    #[test]
    fn ip_addresses_are_truncated() {
        let cases = [
            ("203.0.113.77", Some("203.0.113.0")),
            (" 10.1.2.3 ", Some("10.1.2.0")),
            ("2001:db8:abcd:12::1", Some("2001:db8:abcd::")),
            ("2001:db8:abcd:ffff:1:2:3:4", Some("2001:db8:abcd::")),
            ("[2001:db8::1]", Some("2001:db8::")),
            ("::1", Some("::")),
            ("::ffff:198.51.100.9", Some("198.51.100.0")),
            ("", None),
            ("1.2.3", None),
            ("1.2.3.4:80", None),
            ("256.1.1.1", None),
            ("fe80::1%eth0", None),
            ("example.com", None),
        ];
        for (ip, want) in cases {
            assert_eq!(anonymize_ip(ip).as_deref(), want, "{ip:?}");
        }
    }

    #[test]
    fn page_paths_lose_query_fragment_and_origin() {
        let cases = [
            ("/a/b?x=1#f", "/a/b"),
            ("/a#x?y", "/a"),
            ("https://user:pw@example.com/p/q?token=1", "/p/q"),
            ("HTTP://Example.com", "/"),
            ("https://example.com?x", "/"),
            ("", "/"),
            ("?only=query", "/"),
            ("ht€p://x/y", "ht€p://x/y"),
        ];
        for (raw, want) in cases {
            assert_eq!(page_path(raw), want, "{raw:?}");
        }
        let long = format!("/{}", "é".repeat(2000));
        assert_eq!(page_path(&long).chars().count(), PATH_MAX_CHARS);
    }

    #[test]
    fn records_round_trip_through_json_and_d1_rows() {
        let mut r = Record::new(
            &decision(),
            &RecordContext {
                country: Some("DE"),
                variant: "opt-in",
                lang: "de",
                path: "/",
                ip: Some("2001:db8:1:2::3"),
                ..RecordContext::default()
            },
        );
        let text = serde_json::to_string(&r).unwrap();
        assert!(
            text.contains(r#""grants":["necessary","analytics"]"#),
            "{text}"
        );
        assert!(text.contains(r#""action":"custom""#), "{text}");
        assert!(!text.contains(r#""id""#), "{text}");
        assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), r);
        r.id = Some(42);
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), r);

        // A D1 row: bit mask, 0/1, numbers read back as floats, extra columns.
        let row = json!({
            "id": 42.0, "consent_id": "k3Yp-0_aZ", "time": 1714564800.0, "action": "custom",
            "grants": 5, "revision": 3, "jurisdiction": "eu", "country": "DE", "region": null,
            "gpc": 1, "variant": "opt-in", "lang": "de", "path": "/", "ip": "2001:db8:1::",
            "user_agent": null, "functional": 0, "analytics": 1, "advertising": 0
        });
        assert_eq!(serde_json::from_value::<Record>(row.clone()).unwrap(), r);

        for (key, bad) in [
            ("grants", json!(16)),
            ("grants", json!(["necessary", "tracking"])),
            ("gpc", json!(2)),
            ("time", json!(-1)),
            ("time", json!(1.5)),
            ("revision", json!(4_294_967_296u64)),
            ("action", json!("maybe")),
        ] {
            let mut row = row.clone();
            row[key] = bad;
            assert!(serde_json::from_value::<Record>(row).is_err(), "{key}");
        }
    }

    // -- Query string

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
            assert_eq!(body["parameter"], param);
            assert!(!body["message"].as_str().unwrap().is_empty());
        }
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
            ("2024-05-01T12:00:00Z", false, 1_714_564_800),
            ("2024-05-01t12:00:00z", true, 1_714_564_800),
            ("2024-05-01 12:00:00Z", false, 1_714_564_800),
            ("2024-05-01T12:00:00+02:00", false, 1_714_557_600),
            // `+` decoded to a space by form-urlencoding.
            ("2024-05-01T12:00:00 02:00", false, 1_714_557_600),
            ("2024-05-01T12:00:00-05:30", false, 1_714_584_600),
            ("2024-05-01T12:00:00.000Z", false, 1_714_564_800),
            ("2024-05-01T12:00:00.25Z", false, 1_714_564_801),
            ("2024-05-01T23:59:60Z", false, 1_714_608_000),
        ];
        for (v, end_of_day, want) in cases {
            assert_eq!(parse_instant(v, end_of_day), Ok(want), "{v}");
        }
        for bad in [
            "",
            "2024-5-1",
            "2024-05-01T",
            "2024-05-01T12:00:00",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00+2:00",
            "2024-05-01T12:00:00+02:00x",
            "2023-02-29",
            "1970-01-01T00:00:00+00:01",
            "२०२४-05-01",
        ] {
            assert!(parse_instant(bad, false).is_err(), "{bad}");
        }
        let q = parse_query("since=2024-05-01T12%3A00%3A00%2B02%3A00").unwrap();
        assert_eq!(q.since, Some(1_714_557_600));
        let q = parse_query("since=2024-05-01T12:00:00+02:00").unwrap();
        assert_eq!(q.since, Some(1_714_557_600));
    }

    #[test]
    fn civil_dates_match_a_day_by_day_walk() {
        let (mut y, mut m, mut d) = (1970, 1, 1);
        for days in 0..=(200 * 366) {
            assert_eq!(days_from_civil(y, m, d), days);
            assert_eq!(civil_from_days(days), (y, m, d));
            d += 1;
            if d > days_in_month(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
        assert_eq!(format_rfc3339(1_714_564_801), "2024-05-01T12:00:01Z");
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
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

    // -- Rendering

    #[test]
    fn csv_is_rfc4180_and_defuses_formulas() {
        let mut r = rec("c1", 1_714_564_800, Method::Custom, analytics_only(), "eu");
        r.id = Some(5);
        r.path = "=HYPERLINK(\"http://evil\",\"x\")".into();
        r.user_agent = Some("Mozilla/5.0 (X11, \"Linux\")\r\nEvil".into());
        r.variant = "-1+2".into();
        r.lang = "@SUM(A1)".into();
        r.region = Some("+33".into());
        let q = Query {
            format: Format::Csv,
            ..Query::default()
        };
        let (ct, body, next) = render_page(vec![r], &q);
        assert_eq!(ct, CSV);
        assert_eq!(next, None);
        let (header, row) = body.split_once("\r\n").unwrap();
        assert_eq!(header, CSV_HEADER.join(","));
        assert!(
            row.starts_with(
                "5,1714564800,2024-05-01T12:00:00Z,c1,custom,0,1,0,1,eu,DE,'+33,0,'-1+2,'@SUM(A1),"
            ),
            "{row}"
        );
        assert!(
            row.contains(r#""'=HYPERLINK(""http://evil"",""x"")""#),
            "{row}"
        );
        assert!(
            row.contains("\"Mozilla/5.0 (X11, \"\"Linux\"\")\r\nEvil\""),
            "{row}"
        );
        assert!(row.ends_with(",necessary analytics\r\n"), "{row}");
    }

    #[test]
    fn ndjson_lines_are_records() {
        let mut rs = dataset();
        for (i, r) in rs.iter_mut().enumerate() {
            r.id = Some(i as i64 + 1);
        }
        let q = Query {
            limit: 10,
            ..Query::default()
        };
        let (ct, body, next) = render_page(rs.iter().take(11).cloned().collect(), &q);
        assert_eq!(ct, NDJSON);
        let lines: Vec<Record> = body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines, rs[..10]);
        assert_eq!(
            next.and_then(|c| Cursor::decode(&c)),
            Some(Cursor {
                time: rs[9].time,
                id: 10
            })
        );
        let (_, body, next) = render_page(rs[..10].to_vec(), &q);
        assert_eq!((body.lines().count(), next), (10, None));
    }

    #[test]
    fn stats_render_rates_and_totals() {
        let rows = vec![
            json!({"day": "2024-05-01", "jurisdiction": "eu", "decisions": 4,
                   "action_accept_all": 2, "action_reject_all": 1, "action_custom": 1,
                   "action_gpc": 0, "action_withdrawn": 0,
                   "granted_functional": 2, "granted_analytics": 3, "granted_advertising": 2.0}),
            json!({"day": "2024-05-02", "jurisdiction": "us-ca", "decisions": 3,
                   "action_accept_all": 0, "action_reject_all": 0, "action_custom": 0,
                   "action_gpc": 3, "action_withdrawn": 0,
                   "granted_functional": 1, "granted_analytics": 0, "granted_advertising": 0}),
        ];
        let out = render_stats(&rows);
        let eu = &out["rows"][0];
        assert_eq!(eu["day"], "2024-05-01");
        assert_eq!(eu["jurisdiction"], "eu");
        assert_eq!(eu["decisions"], 4);
        assert_eq!(eu["actions"]["accept_all"], 2);
        assert_eq!(eu["acceptance"]["analytics"], 0.75);
        assert_eq!(eu["acceptance"]["advertising"], 0.5);
        assert_eq!(out["rows"][1]["acceptance"]["functional"], 0.3333);
        assert_eq!(out["total"]["decisions"], 7);
        assert_eq!(out["total"]["actions"]["gpc"], 3);
        assert_eq!(out["total"]["granted"]["functional"], 3);
        assert_eq!(out["total"]["acceptance"]["functional"], 0.4286);
        let empty = render_stats(&[]);
        assert_eq!(empty["rows"], json!([]));
        assert_eq!(empty["total"]["acceptance"]["analytics"], Value::Null);
    }

    // -- Admin token

    #[test]
    fn bearer_tokens_must_match_exactly() {
        let t = "s3cret-Token";
        assert!(bearer_ok(Some("Bearer s3cret-Token"), t));
        assert!(bearer_ok(Some("bearer  s3cret-Token "), t));
        assert!(bearer_ok(Some("Bearer s3cret-Token"), "s3cret-Token\n"));
        for h in [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer "),
            Some("Bearer s3cret-Toke"),
            Some("Bearer s3cret-Token2"),
            Some("Bearer S3CRET-TOKEN"),
            Some("Basic s3cret-Token"),
            Some("s3cret-Token"),
        ] {
            assert!(!bearer_ok(h, t), "{h:?}");
        }
        assert!(!bearer_ok(Some("Bearer "), ""));
        assert!(!bearer_ok(Some("Bearer x"), "  "));
    }

    // -- SQL against SQLite

    #[test]
    fn inserts_split_under_the_parameter_limit_and_read_back() {
        let c = db();
        let data = dataset()[..20].to_vec();
        let sts = insert(&data);
        assert_eq!(sts.len(), 3);
        let sizes: Vec<usize> = sts.iter().map(|s| s.params.len()).collect();
        assert_eq!(sizes, [98, 98, 84]);
        let changed: usize = sts.iter().map(|s| execute(&c, s)).sum();
        assert_eq!(changed, 20);
        assert!(insert(&[]).is_empty());

        let q = Query {
            limit: MAX_LIMIT,
            ..Query::default()
        };
        let back = records(&c, &select(&q));
        assert!(back.iter().all(|r| r.id.is_some()));
        assert_eq!(back.into_iter().map(without_id).collect::<Vec<_>>(), data);

        // The generated per-category columns follow the mask.
        let (f, a, ad): (i64, i64, i64) = c
            .query_row(
                "SELECT SUM(functional), SUM(analytics), SUM(advertising) FROM consent_records",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        let want = |cat| data.iter().filter(|r| r.grants.has(cat)).count() as i64;
        assert_eq!(
            (f, a, ad),
            (
                want(Category::Functional),
                want(Category::Analytics),
                want(Category::Advertising)
            )
        );

        // Redelivery of the same batch (Queues are at-least-once) adds nothing.
        let again: usize = insert(&data).iter().map(|s| execute(&c, s)).sum();
        assert_eq!((again, count_rows(&c)), (0, 20));
    }

    #[test]
    fn hostile_text_is_bound_not_spliced() {
        let c = db();
        let mut r = rec(
            "c'); DROP TABLE consent_records; --",
            5,
            Method::AcceptAll,
            Grants::ALL,
            "eu",
        );
        r.user_agent = Some("'\"?1 ?2 \\".into());
        store(&c, &[r.clone()]);
        let back = records(&c, &history(&r.consent_id));
        assert_eq!(back.into_iter().map(without_id).collect::<Vec<_>>(), [r]);
    }

    #[test]
    fn filters_select_the_right_rows() {
        let c = db();
        let data = dataset();
        store(&c, &data);
        let base = 1_714_521_600;
        type Keep<'a> = Box<dyn Fn(&Record) -> bool + 'a>;
        let cases: Vec<(&str, Keep<'_>)> = vec![
            ("", Box::new(|_| true)),
            ("since=1714543200", Box::new(|r| r.time >= base + 6 * 3600)),
            ("until=1714543200", Box::new(|r| r.time < base + 6 * 3600)),
            (
                "since=2024-05-01T02:00:00Z&until=2024-05-01T05:00:00%2B00:00",
                Box::new(|r| r.time >= base + 7200 && r.time < base + 5 * 3600),
            ),
            ("consent_id=c3", Box::new(|r| r.consent_id == "c3")),
            (
                "action=withdrawn",
                Box::new(|r| r.action == Method::Withdrawn),
            ),
            (
                "jurisdiction=us-ca",
                Box::new(|r| r.jurisdiction == "us-ca"),
            ),
            (
                "jurisdiction=eu&action=accept_all&until=2024-05-01T10:00:00Z",
                Box::new(|r| {
                    r.jurisdiction == "eu"
                        && r.action == Method::AcceptAll
                        && r.time < base + 10 * 3600
                }),
            ),
            ("consent_id=nobody", Box::new(|_| false)),
        ];
        for (qs, keep) in cases {
            let mut q = parse_query(qs).unwrap();
            q.limit = MAX_LIMIT;
            let got: Vec<Record> = records(&c, &select(&q))
                .into_iter()
                .map(without_id)
                .collect();
            let want: Vec<Record> = data.iter().filter(|r| keep(r)).cloned().collect();
            assert!(!want.is_empty() || qs.contains("nobody"), "{qs}");
            assert_eq!(got, want, "{qs}");
        }
    }

    /// Follows cursors to the end; returns every page.
    fn pages(c: &Connection, qs: &str) -> Vec<Vec<Record>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let full = match &cursor {
                Some(cur) => format!("{qs}&cursor={cur}"),
                None => qs.to_owned(),
            };
            let q = parse_query(&full).unwrap();
            let (_, body, next) = render_page(records(c, &select(&q)), &q);
            out.push(
                body.lines()
                    .map(|l| serde_json::from_str::<Record>(l).unwrap())
                    .collect(),
            );
            match next {
                Some(n) => cursor = Some(n),
                None => return out,
            }
            assert!(out.len() < 100, "pagination does not terminate");
        }
    }

    #[test]
    fn cursor_pagination_visits_every_row_once() {
        let c = db();
        let data = dataset();
        store(&c, &data);
        // 60 rows, 4 per second: pages of 7 cut through groups of equal time.
        let got = pages(&c, "limit=7");
        let sizes: Vec<usize> = got.iter().map(Vec::len).collect();
        assert_eq!(sizes, [7, 7, 7, 7, 7, 7, 7, 7, 4]);
        let flat: Vec<Record> = got.into_iter().flatten().collect();
        let ids: Vec<i64> = flat.iter().map(|r| r.id.unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 60, "no row twice");
        assert_eq!(flat.into_iter().map(without_id).collect::<Vec<_>>(), data);

        // An exact multiple of the page size: no empty trailing page.
        let sizes: Vec<usize> = pages(&c, "limit=20").iter().map(Vec::len).collect();
        assert_eq!(sizes, [20, 20, 20]);

        // With a filter, across pages.
        let got: Vec<Record> = pages(&c, "jurisdiction=eu&limit=3&format=ndjson")
            .into_iter()
            .flatten()
            .map(without_id)
            .collect();
        let want: Vec<Record> = data
            .into_iter()
            .filter(|r| r.jurisdiction == "eu")
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn history_is_one_visitors_latest_records_oldest_first() {
        let c = db();
        store(&c, &dataset());
        let h = records(&c, &history("c4"));
        assert_eq!(h.len(), 6);
        assert!(h.iter().all(|r| r.consent_id == "c4"));
        assert!(h.windows(2).all(|w| w[0].time <= w[1].time));
        let body = render_history("c4", &h);
        assert_eq!(body["records"].as_array().unwrap().len(), 6);

        let many: Vec<Record> = (0..HISTORY_LIMIT as u64 + 5)
            .map(|t| rec("busy", t, Method::Custom, Grants::NECESSARY_ONLY, "eu"))
            .collect();
        store(&c, &many);
        let h = records(&c, &history("busy"));
        assert_eq!(h.len(), HISTORY_LIMIT as usize);
        assert_eq!(h.first().map(|r| r.time), Some(5), "the oldest are dropped");
        assert_eq!(h.last().map(|r| r.time), Some(HISTORY_LIMIT as u64 + 4));
    }

    #[test]
    fn stats_count_actions_and_grants_per_day_and_jurisdiction() {
        let c = db();
        let day1 = 1_714_521_600; // 2024-05-01
        let day2 = day1 + SECS_PER_DAY;
        let functional_analytics =
            Grants::from_categories([Category::Functional, Category::Analytics]);
        store(
            &c,
            &[
                rec("a", day1 + 10, Method::AcceptAll, Grants::ALL, "eu"),
                rec("b", day1 + 20, Method::AcceptAll, Grants::ALL, "eu"),
                rec(
                    "c",
                    day1 + 30,
                    Method::RejectAll,
                    Grants::NECESSARY_ONLY,
                    "eu",
                ),
                rec("d", day1 + 40, Method::Custom, analytics_only(), "eu"),
                rec("e", day1 + 50, Method::Gpc, functional_analytics, "us-ca"),
                rec("f", day1 + 86_399, Method::AcceptAll, Grants::ALL, "us-ca"),
                rec("a", day2, Method::Withdrawn, Grants::NECESSARY_ONLY, "eu"),
            ],
        );
        let out = render_stats(&rows(&c, &stats(&Query::default())));
        let r = out["rows"].as_array().unwrap();
        assert_eq!(r.len(), 3);
        let key = |v: &Value| {
            (
                v["day"].as_str().unwrap().to_owned(),
                v["jurisdiction"].as_str().unwrap().to_owned(),
            )
        };
        assert_eq!(key(&r[0]), ("2024-05-01".into(), "eu".into()));
        assert_eq!(key(&r[1]), ("2024-05-01".into(), "us-ca".into()));
        assert_eq!(key(&r[2]), ("2024-05-02".into(), "eu".into()));
        assert_eq!(r[0]["decisions"], 4);
        assert_eq!(
            r[0]["actions"],
            json!({"accept_all": 2, "reject_all": 1, "custom": 1, "gpc": 0, "withdrawn": 0})
        );
        assert_eq!(
            r[0]["granted"],
            json!({"functional": 2, "analytics": 3, "advertising": 2})
        );
        assert_eq!(
            r[0]["acceptance"],
            json!({"functional": 0.5, "analytics": 0.75, "advertising": 0.5})
        );
        assert_eq!(r[1]["actions"]["gpc"], 1);
        assert_eq!(
            r[1]["acceptance"],
            json!({"functional": 1.0, "analytics": 1.0, "advertising": 0.5})
        );
        assert_eq!(r[2]["actions"]["withdrawn"], 1);
        assert_eq!(r[2]["acceptance"]["analytics"], 0.0);
        assert_eq!(out["total"]["decisions"], 7);
        assert_eq!(out["total"]["granted"]["advertising"], 3);

        let q = parse_query("since=2024-05-01&until=2024-05-01&jurisdiction=us-ca").unwrap();
        let out = render_stats(&rows(&c, &stats(&q)));
        assert_eq!(out["rows"].as_array().unwrap().len(), 1);
        assert_eq!(out["total"]["decisions"], 2);
    }

    #[test]
    fn purge_deletes_only_expired_rows_in_batches() {
        let c = db();
        let now = 1_800_000_000;
        let cutoff = now - 30 * SECS_PER_DAY;
        let mut data: Vec<Record> = (0..10)
            .map(|i| {
                rec(
                    &format!("old{i}"),
                    cutoff - 1 - i * 1000,
                    Method::AcceptAll,
                    Grants::ALL,
                    "eu",
                )
            })
            .collect();
        let fresh: Vec<Record> = (0..5)
            .map(|i| {
                rec(
                    &format!("new{i}"),
                    cutoff + i * 1000,
                    Method::RejectAll,
                    Grants::NECESSARY_ONLY,
                    "eu",
                )
            })
            .collect();
        data.extend(fresh.iter().cloned());
        store(&c, &data);

        assert_eq!(execute(&c, &purge(now, 0, 500)), 0, "0 days never deletes");
        let mut runs = Vec::new();
        loop {
            let deleted = execute(&c, &purge(now, 30, 3));
            runs.push(deleted);
            if !purge_again(deleted as u64, 3) {
                break;
            }
        }
        assert_eq!(runs, [3, 3, 3, 1]);
        let left: Vec<Record> = records(&c, &select(&Query::default()))
            .into_iter()
            .map(without_id)
            .collect();
        assert_eq!(left, fresh, "the row exactly at the cutoff is kept");
        assert_eq!(execute(&c, &purge(now, 30, 3)), 0);
        assert!(!purge_again(0, 0));
    }

    // -- Config

    #[test]
    fn config_defaults_and_validation() {
        let cfg: Config = toml::from_str("").unwrap();
        assert_eq!(cfg, Config::default());
        assert_eq!(cfg.validate(), Ok(()));
        let embedded = &crate::rules::Config::embedded().records;
        assert_eq!(embedded.validate(), Ok(()));
        assert_eq!(embedded.retention_days, Config::DEFAULT_RETENTION_DAYS);
        assert!(toml::from_str::<Config>("retain_days = 3").is_err());
        let cfg: Config = toml::from_str("retention_days = 0\nqueue = true").unwrap();
        assert!(cfg.queue);
        assert!(cfg.validate().unwrap_err().contains("retention_days"));
        let cfg: Config = toml::from_str("purge_batch = 0").unwrap();
        assert!(cfg.validate().unwrap_err().contains("purge_batch"));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn instants_round_trip(t in 0u64..=MAX_TIME) {
                prop_assert_eq!(parse_instant(&format_rfc3339(t), false), Ok(t));
            }

            #[test]
            fn parse_query_never_panics(s in ".{0,200}") {
                let _ = parse_query(&s);
            }

            #[test]
            fn records_never_panic_and_stay_bounded(
                path in ".{0,2000}", ua in ".{0,600}", ip in ".{0,60}"
            ) {
                let ctx = RecordContext {
                    path: &path, user_agent: Some(&ua), ip: Some(&ip), ..RecordContext::default()
                };
                let d = Decision {
                    grants: Grants::ALL, revision: 1, decided_at: 0, consent_id: "x".into(),
                    method: Method::AcceptAll, jurisdiction: "eu".into(), gpc: false,
                };
                let r = Record::new(&d, &ctx);
                prop_assert!(r.path.chars().count() <= PATH_MAX_CHARS);
                prop_assert!(!r.path.contains(['?', '#']));
                prop_assert!(r.user_agent.map_or(0, |u| u.chars().count()) <= USER_AGENT_MAX_CHARS);
            }

            #[test]
            fn csv_cells_never_start_a_formula(cell in ".{0,40}") {
                let mut out = String::new();
                csv_line(&mut out, &[Cow::Borrowed(cell.as_str())]);
                // The cell's first character, past an opening quote
                // (a `""` right after it is an escaped quote, not a formula).
                let first = out.strip_prefix('"').unwrap_or(&out).chars().next();
                prop_assert!(!matches!(first, Some('=' | '+' | '-' | '@' | '\t')));
            }
        }
    }
}
