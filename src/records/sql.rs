//! Every SQL statement of the log, and the reading of D1 rows.
//!
//! The edge runs a [`Statement`] with D1 `prepare(sql).bind(params)`;
//! values are always bound, never spliced (the only text inlined is this
//! crate's own constants). The tests run the real migration and every
//! statement in SQLite (rusqlite), which is what D1 is.

use super::query::Query;
use super::Record;
use crate::consent::{Category, Grants, Method};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// The D1 migration creating the `consent_records` table.
pub const MIGRATION: &str = include_str!("../../migrations/0001_consent_records.sql");

/// The table the log lives in.
pub const TABLE: &str = "consent_records";

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

/// The columns the admin listing returns, in this order.
const SELECT_COLUMNS: &str = "id, consent_id, time, action, grants, revision, jurisdiction, \
     country, region, gpc, variant, lang, path, ip, user_agent";

/// The columns a visitor's history returns: no row id (it would tell how
/// many decisions the site has recorded), no IP and no user agent (the
/// cookie can be shared with sibling subdomains or read by any script of
/// the site, security review C2).
const HISTORY_COLUMNS: &str = "consent_id, time, action, grants, revision, jurisdiction, \
     country, region, gpc, variant, lang, path";

/// At most this many (the most recent) records are returned to a visitor.
pub const HISTORY_LIMIT: u32 = 1000;

pub(crate) const SECS_PER_DAY: u64 = 86_400;

/// A value bound to a `?N` parameter. D1 binds JavaScript values: `Int`
/// becomes a number (every integer written here is below 2^53: times up to
/// year 9999, bit masks, revisions, 0/1 flags, row ids and limits), `Text`
/// a string, `Null` null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SqlValue {
    /// SQL `NULL`.
    Null,
    /// An `INTEGER`.
    Int(i64),
    /// A `TEXT`.
    Text(String),
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Int(v)
    }
}

impl From<u64> for SqlValue {
    /// Saturates at `i64::MAX` (no time or count of this log comes near).
    fn from(v: u64) -> Self {
        SqlValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<u32> for SqlValue {
    fn from(v: u32) -> Self {
        SqlValue::Int(i64::from(v))
    }
}

impl From<bool> for SqlValue {
    /// SQLite has no boolean: 0 or 1.
    fn from(v: bool) -> Self {
        SqlValue::Int(i64::from(v))
    }
}

impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_owned())
    }
}

impl From<Option<&str>> for SqlValue {
    fn from(v: Option<&str>) -> Self {
        v.map_or(SqlValue::Null, SqlValue::from)
    }
}

/// A SQL statement with positional `?1..` parameters, to be run by the
/// edge via D1 `prepare(sql).bind(params)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The SQL text.
    pub sql: String,
    /// The values of `?1`, `?2`, ….
    pub params: Vec<SqlValue>,
}

impl Statement {
    fn new(sql: String) -> Statement {
        Statement {
            sql,
            params: Vec::new(),
        }
    }

    /// Binds `value` to the next parameter; its `?N` placeholder.
    fn bind(&mut self, value: impl Into<SqlValue>) -> String {
        self.params.push(value.into());
        format!("?{}", self.params.len())
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
    let mut st = Statement::new(format!(
        "INSERT INTO {TABLE} ({}) VALUES ",
        INSERT_COLUMNS.join(", ")
    ));
    let mut values = Vec::with_capacity(records.len());
    for r in records {
        // In INSERT_COLUMNS order.
        let row: [SqlValue; INSERT_COLUMNS.len()] = [
            r.consent_id.as_str().into(),
            r.time.into(),
            r.action.id().into(),
            u32::from(r.grants.bits()).into(),
            r.revision.into(),
            r.jurisdiction.as_str().into(),
            r.country.as_deref().into(),
            r.region.as_deref().into(),
            r.gpc.into(),
            r.variant.as_str().into(),
            r.lang.as_str().into(),
            r.path.as_str().into(),
            r.ip.as_deref().into(),
            r.user_agent.as_deref().into(),
        ];
        let slots: Vec<String> = row.into_iter().map(|v| st.bind(v)).collect();
        values.push(format!("({})", slots.join(", ")));
    }
    st.sql.push_str(&values.join(", "));
    st.sql.push_str(" ON CONFLICT DO NOTHING");
    st
}

/// The page of records matching `q`, ordered by `(time, id)`, starting after
/// `q.cursor`; asks for `q.limit + 1` rows so the renderer knows whether
/// there is a next page.
pub fn select(q: &Query) -> Statement {
    let mut st = Statement::new(format!("SELECT {SELECT_COLUMNS} FROM {TABLE}"));
    let mut conds = filters(q, &mut st);
    if let Some(c) = q.cursor {
        let t = st.bind(c.time);
        let i = st.bind(c.id);
        conds.push(format!("(time, id) > ({t}, {i})"));
    }
    push_where(&mut st.sql, &conds);
    let n = st.bind(u64::from(q.limit) + 1);
    st.sql.push_str(&format!(" ORDER BY time, id LIMIT {n}"));
    st
}

/// The records of one consent id, oldest first (at most the
/// [`HISTORY_LIMIT`] most recent), without row id, IP or user agent.
pub fn history(consent_id: &str) -> Statement {
    Statement {
        sql: format!(
            "SELECT {HISTORY_COLUMNS} FROM (SELECT id, {HISTORY_COLUMNS} FROM {TABLE} \
             WHERE consent_id = ?1 ORDER BY time DESC, id DESC LIMIT ?2) ORDER BY time, id"
        ),
        params: vec![consent_id.into(), HISTORY_LIMIT.into()],
    }
}

/// Counts per UTC day and jurisdiction of the records matching `q`'s filters
/// (`cursor`, `limit` and `format` are ignored): `day`, `jurisdiction`,
/// `decisions`, `action_<id>` for every [`Method`] and `granted_<id>` for
/// every optional [`Category`]. Feed the rows to the stats renderer.
pub fn stats(q: &Query) -> Statement {
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
    let mut st = Statement::new(format!("SELECT {} FROM {TABLE}", cols.join(", ")));
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
        params: vec![cutoff.into(), batch.max(1).into()],
    }
}

/// Whether another [`purge`] is needed after one deleted `deleted` rows
/// (D1 `meta.changes`) with this `batch`.
pub fn purge_again(deleted: u64, batch: u32) -> bool {
    deleted >= u64::from(batch.max(1))
}

/// One run of the scheduled purge, sans-IO: run [`PurgeRun::statement`],
/// hand its `meta.changes` to [`PurgeRun::again`], repeat while it says so.
/// One cutoff for the whole run; at most [`PurgeRun::MAX_STATEMENTS`]
/// statements, so a huge backlog is worked off over several cron runs
/// rather than in one invocation that could hit the CPU limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeRun {
    statement: Statement,
    batch: u32,
    left: u32,
}

impl PurgeRun {
    /// Statements per run at most.
    pub const MAX_STATEMENTS: u32 = 200;

    /// The purge of records older than `retention_days` days before `now`.
    pub fn new(now: u64, retention_days: u32, batch: u32) -> PurgeRun {
        PurgeRun {
            statement: purge(now, retention_days, batch),
            batch,
            left: Self::MAX_STATEMENTS - 1,
        }
    }

    /// The statement to run next.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// After the statement deleted `deleted` rows: whether to run it again.
    pub fn again(&mut self, deleted: u64) -> bool {
        if self.left == 0 || !purge_again(deleted, self.batch) {
            return false;
        }
        self.left -= 1;
        true
    }
}

fn filters(q: &Query, st: &mut Statement) -> Vec<String> {
    let mut conds = Vec::new();
    if let Some(since) = q.since {
        conds.push(format!("time >= {}", st.bind(since)));
    }
    if let Some(until) = q.until {
        conds.push(format!("time < {}", st.bind(until)));
    }
    if let Some(id) = &q.consent_id {
        conds.push(format!("consent_id = {}", st.bind(id.as_str())));
    }
    if let Some(action) = q.action {
        conds.push(format!("action = {}", st.bind(action.id())));
    }
    if let Some(j) = &q.jurisdiction {
        conds.push(format!("jurisdiction = {}", st.bind(j.as_str())));
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
// Reading D1 rows: D1 returns every number as a JS number (possibly read back
// as a float) and booleans as 0/1.

/// A stored row that is not a [`Record`] (a hand edit of the table, or a
/// schema the code does not know).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Index of the row in the result.
    pub row: usize,
    /// What was wrong with it.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stored row {} is not a record: {}",
            self.row, self.message
        )
    }
}

impl std::error::Error for RowError {}

/// The records of D1 rows from [`select`] or [`history`]. A row that does
/// not read is an error, not skipped: an export of proof of consent must
/// not lose records silently (and a skipped last row would move the cursor).
pub fn records_from_rows(rows: Vec<Value>) -> Result<Vec<Record>, RowError> {
    rows.into_iter()
        .enumerate()
        .map(|(row, v)| record_of_row(v).map_err(|message| RowError { row, message }))
        .collect()
}

/// One D1 row as a [`Record`], read column by column off the JSON object.
/// Not `serde_json::from_value`: `Record`'s derived `Deserialize`
/// instantiated for `serde_json::Value` was 18 KB of wasm code
/// (docs/BENCHMARKS.md, "Wasm size: stop 12 steps"). The rules per column
/// are the ones the derived form (queue messages) uses, shared below.
fn record_of_row(v: Value) -> Result<Record, String> {
    let Value::Object(mut m) = v else {
        return Err(format!("expected an object, got {v}"));
    };
    let mut col = |name: &'static str| Column {
        name,
        value: m.remove(name).unwrap_or(Value::Null),
    };
    Ok(Record {
        id: opt_i64_of(&col("id").value)?,
        consent_id: col("consent_id").string()?,
        time: u64_of(&col("time").value)?,
        action: col("action").method()?,
        grants: grants_of(&col("grants").value)?,
        revision: u32_of(&col("revision").value)?,
        jurisdiction: col("jurisdiction").string()?,
        country: col("country").opt_string()?,
        region: col("region").opt_string()?,
        gpc: bool_of(&col("gpc").value)?,
        variant: col("variant").string()?,
        lang: col("lang").string()?,
        path: col("path").string()?,
        ip: col("ip").opt_string()?,
        user_agent: col("user_agent").opt_string()?,
    })
}

/// A column of a D1 row (`Null` when absent).
struct Column {
    name: &'static str,
    value: Value,
}

impl Column {
    fn string(self) -> Result<String, String> {
        match self.value {
            Value::String(s) => Ok(s),
            v => Err(format!("{}: expected a string, got {v}", self.name)),
        }
    }

    fn opt_string(self) -> Result<Option<String>, String> {
        match self.value {
            Value::Null => Ok(None),
            v => Column { value: v, ..self }.string().map(Some),
        }
    }

    fn method(self) -> Result<Method, String> {
        let name = self.name;
        let id = self.string()?;
        Method::from_id(&id).ok_or_else(|| format!("{name}: unknown action {id:?}"))
    }
}

/// `f` as a `u64` when it is a non-negative integer that fits.
pub(crate) fn integral(f: f64) -> Option<u64> {
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0)
        .then_some(f as u64)
}

/// A non-negative integer, from a JSON integer or an integral float.
fn u64_of(v: &Value) -> Result<u64, String> {
    v.as_u64()
        .or_else(|| v.as_f64().and_then(integral))
        .ok_or_else(|| format!("{v} is not a non-negative integer"))
}

fn u32_of(v: &Value) -> Result<u32, String> {
    let n = u64_of(v)?;
    u32::try_from(n).map_err(|_| format!("{n} is out of range"))
}

fn opt_i64_of(v: &Value) -> Result<Option<i64>, String> {
    if v.is_null() {
        return Ok(None);
    }
    v.as_i64()
        .or_else(|| {
            v.as_f64()
                .and_then(integral)
                .and_then(|u| i64::try_from(u).ok())
        })
        .map(Some)
        .ok_or_else(|| format!("id {v} is not an integer"))
}

fn bool_of(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        v => match v.as_f64().and_then(integral) {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(format!("{v} is not a boolean (or 0/1)")),
        },
    }
}

/// A list of category ids (the JSON form) or the bit mask (a D1 row).
fn grants_of(v: &Value) -> Result<Grants, String> {
    match v {
        Value::Array(items) => {
            let mut cats = Vec::with_capacity(items.len());
            for item in items {
                let cat = item
                    .as_str()
                    .and_then(Category::from_id)
                    .ok_or_else(|| format!("unknown category {item}"))?;
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
                format!("grants {v}: expected a list of categories or a bit mask 0..=15")
            }),
    }
}

// The derived `Deserialize` of [`Record`] (queue messages, NDJSON) reads
// the same columns through these, by way of a `Value`.

fn with_value<'de, D: Deserializer<'de>, T>(
    d: D,
    read: fn(&Value) -> Result<T, String>,
) -> Result<T, D::Error> {
    read(&Value::deserialize(d)?).map_err(serde::de::Error::custom)
}

pub(crate) fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    with_value(d, u64_of)
}

pub(crate) fn de_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    with_value(d, u32_of)
}

pub(crate) fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    with_value(d, opt_i64_of)
}

pub(crate) fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    with_value(d, bool_of)
}

pub(crate) fn ser_grants<S: Serializer>(grants: &Grants, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(grants.granted().map(Category::id))
}

pub(crate) fn de_grants<'de, D: Deserializer<'de>>(d: D) -> Result<Grants, D::Error> {
    with_value(d, grants_of)
}

#[cfg(test)]
mod tests;
