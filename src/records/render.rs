//! Response bodies: a page of records (NDJSON or CSV), the statistics and
//! a visitor's history.

use super::query::{format_rfc3339, Cursor, Format, Query};
use super::sql::{integral, ser_grants};
use super::Record;
use crate::consent::{Category, Grants, Method};
use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;

/// Content type of [`Format::Ndjson`] pages.
pub const NDJSON: &str = "application/x-ndjson; charset=utf-8";
/// Content type of [`Format::Csv`] pages.
pub const CSV: &str = "text/csv; charset=utf-8";

/// Renders the rows of [`super::select`] as `(content type, body, next
/// cursor)`. `rows` holds up to `q.limit + 1` records: when it holds more
/// than `q.limit`, the extra one is dropped and the cursor of the last
/// record kept is returned (the admin endpoint sends it as
/// `Consent-Next-Cursor`; `None` on the last page).
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
    match q.format {
        Format::Ndjson => (NDJSON.to_owned(), render_ndjson(&rows), next),
        Format::Csv => (CSV.to_owned(), render_csv(&rows), next),
    }
}

fn render_ndjson(rows: &[Record]) -> String {
    let mut body = String::new();
    for r in rows {
        // A Record always serializes (string keys, finite numbers).
        if let Ok(line) = serde_json::to_string(r) {
            body.push_str(&line);
            body.push('\n');
        }
    }
    body
}

// ---------------------------------------------------------------------------
// CSV

/// How one CSV cell is read off a record.
type Cell = for<'r> fn(&'r Record) -> Cow<'r, str>;

fn flag(b: bool) -> Cow<'static, str> {
    Cow::Borrowed(if b { "1" } else { "0" })
}

fn opt(o: &Option<String>) -> Cow<'_, str> {
    Cow::Borrowed(o.as_deref().unwrap_or_default())
}

fn granted(g: Grants, c: Category) -> Cow<'static, str> {
    flag(g.has(c))
}

/// The CSV columns: the header name and the cell of each, in one list so
/// the two can never drift apart.
const CSV_COLUMNS: [(&str, Cell); 19] = [
    ("id", |r| {
        r.id.map_or(Cow::Borrowed(""), |i| i.to_string().into())
    }),
    ("time", |r| r.time.to_string().into()),
    ("datetime", |r| {
        format_rfc3339(r.time).unwrap_or_default().into()
    }),
    ("consent_id", |r| Cow::Borrowed(&r.consent_id)),
    ("action", |r| Cow::Borrowed(r.action.id())),
    ("functional", |r| granted(r.grants, Category::Functional)),
    ("analytics", |r| granted(r.grants, Category::Analytics)),
    ("advertising", |r| granted(r.grants, Category::Advertising)),
    ("revision", |r| r.revision.to_string().into()),
    ("jurisdiction", |r| Cow::Borrowed(&r.jurisdiction)),
    ("country", |r| opt(&r.country)),
    ("region", |r| opt(&r.region)),
    ("gpc", |r| flag(r.gpc)),
    ("variant", |r| Cow::Borrowed(&r.variant)),
    ("lang", |r| Cow::Borrowed(&r.lang)),
    ("path", |r| Cow::Borrowed(&r.path)),
    ("ip", |r| opt(&r.ip)),
    ("user_agent", |r| opt(&r.user_agent)),
    ("grants", |r| {
        let ids: Vec<&str> = r.grants.granted().map(Category::id).collect();
        ids.join(" ").into()
    }),
];

/// Characters that make a spreadsheet read the text after them as a
/// formula (OWASP "CSV Injection"; tab and CR included).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Characters after which a spreadsheet may start a new cell: `;` (the
/// list separator of de, fr, … locales), tab, and — for a reader that
/// ignores quoting — `,` and line breaks. Security review C3.
const CELL_BREAK: [char; 5] = [';', '\t', ',', '\r', '\n'];

fn render_csv(rows: &[Record]) -> String {
    let mut out = String::new();
    csv_line(
        &mut out,
        CSV_COLUMNS.iter().map(|(name, _)| Cow::Borrowed(*name)),
    );
    for r in rows {
        csv_line(&mut out, CSV_COLUMNS.iter().map(|(_, cell)| cell(r)));
    }
    out
}

/// One RFC 4180 line, CRLF-terminated, every cell quoted.
fn csv_line<'a>(out: &mut String, cells: impl Iterator<Item = Cow<'a, str>>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, &cell);
    }
    out.push_str("\r\n");
}

/// One quoted cell (`"` doubled). Wherever a spreadsheet could start
/// reading a formula — at the start of the cell or after any
/// [`CELL_BREAK`] — a [`FORMULA_START`] character gets a `'` before it,
/// which spreadsheets take as "this is text". NDJSON is the exact export.
fn push_cell(out: &mut String, cell: &str) {
    out.push('"');
    let mut at_start = true;
    for c in cell.chars() {
        if at_start && FORMULA_START.contains(&c) {
            out.push('\'');
        }
        if c == '"' {
            out.push('"');
        }
        out.push(c);
        at_start = CELL_BREAK.contains(&c);
    }
    out.push('"');
}

// ---------------------------------------------------------------------------
// History

/// One entry of a visitor's history: what they decided, where and under
/// which policy — no row id, IP or user agent (security review C2).
#[derive(Serialize)]
struct HistoryEntry<'a> {
    consent_id: &'a str,
    time: u64,
    action: Method,
    #[serde(serialize_with = "ser_grants")]
    grants: Grants,
    revision: u32,
    jurisdiction: &'a str,
    country: Option<&'a str>,
    region: Option<&'a str>,
    gpc: bool,
    variant: &'a str,
    lang: &'a str,
    path: &'a str,
}

impl<'a> From<&'a Record> for HistoryEntry<'a> {
    fn from(r: &'a Record) -> Self {
        HistoryEntry {
            consent_id: &r.consent_id,
            time: r.time,
            action: r.action,
            grants: r.grants,
            revision: r.revision,
            jurisdiction: &r.jurisdiction,
            country: r.country.as_deref(),
            region: r.region.as_deref(),
            gpc: r.gpc,
            variant: &r.variant,
            lang: &r.lang,
            path: &r.path,
        }
    }
}

/// The body of `/__consent/history`: `{"consent_id":…,"records":[…]}`,
/// each record without row id, IP or user agent.
pub fn render_history(consent_id: &str, rows: &[Record]) -> Value {
    let entries: Vec<HistoryEntry<'_>> = rows.iter().map(HistoryEntry::from).collect();
    json!({ "consent_id": consent_id, "records": entries })
}

// ---------------------------------------------------------------------------
// Statistics

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
    fn of_row(row: &Value) -> Tally {
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
        t
    }

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

/// The body of `/__consent/stats` from the rows of [`super::stats`]:
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
        let t = Tally::of_row(row);
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

#[cfg(test)]
mod tests;
