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

/// `[records]` in `consent.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Record decisions and serve the `/__consent/records`, `/history` and
    /// `/stats` endpoints (default true; needs the D1 binding).
    pub enabled: bool,
    /// Records older than this many days are deleted by the scheduled purge
    /// (default [`Config::DEFAULT_RETENTION_DAYS`]; 1 ..= 36500).
    pub retention_days: u32,
    /// Rows deleted per purge statement (default 500; 1 ..= 5000).
    pub purge_batch: u32,
    /// Send records through a Queue and insert them in batches instead of
    /// one `INSERT` per decision (default false).
    pub queue: bool,
}

impl Config {
    /// Default retention: 2221 days. A decision is relied on for as long as
    /// the consent cookie lives — at most 13 months (395 days, the CNIL's
    /// ceiling, also `jurisdiction` `max_age_days`) — and must stay provable
    /// until claims about processing done under it are time-barred: 5 years
    /// (1826 days) under the French Code civil art. 2224, the longest of the
    /// common general periods (Germany: 3 years, BGB §195). 395 + 1826.
    pub const DEFAULT_RETENTION_DAYS: u32 = 2221;

    /// Checks the ranges the types alone cannot.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=36_500).contains(&self.retention_days) {
            return Err(format!(
                "records.retention_days = {}: expected 1 ..= 36500",
                self.retention_days
            ));
        }
        if !(1..=5_000).contains(&self.purge_batch) {
            return Err(format!(
                "records.purge_batch = {}: expected 1 ..= 5000",
                self.purge_batch
            ));
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            enabled: true,
            retention_days: Config::DEFAULT_RETENTION_DAYS,
            purge_batch: 500,
            queue: false,
        }
    }
}

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
        v => match v.as_f64() {
            Some(f) if f == 0.0 => Ok(false),
            Some(f) if f == 1.0 => Ok(true),
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
