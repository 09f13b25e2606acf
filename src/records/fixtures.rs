//! Test data shared by the records tests, and the SQLite harness: D1 is
//! SQLite, so the migration and every statement run here exactly as the
//! edge runs them (positional parameters, rows read back as JSON objects,
//! the shape D1's `all()` returns).

use super::sql::{SqlValue, Statement, MAX_BOUND_PARAMS, MIGRATION};
use super::Record;
use crate::consent::{Category, Decision, Grants, Method};
use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::{json, Value};

pub fn db() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(MIGRATION).unwrap();
    c
}

fn sql_value(v: &SqlValue) -> Sql {
    match v {
        SqlValue::Null => Sql::Null,
        SqlValue::Int(i) => Sql::Integer(*i),
        SqlValue::Text(s) => Sql::Text(s.clone()),
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

/// Runs `st`; the number of rows changed (D1 `meta.changes`).
pub fn execute(c: &Connection, st: &Statement) -> usize {
    let mut s = prepare(c, st);
    s.execute(rusqlite::params_from_iter(st.params.iter().map(sql_value)))
        .unwrap()
}

/// Rows as JSON objects, the shape D1's `all()` returns.
pub fn rows(c: &Connection, st: &Statement) -> Vec<Value> {
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

/// The records of a statement's rows, read as the edge reads D1's.
pub fn records(c: &Connection, st: &Statement) -> Vec<Record> {
    super::records_from_rows(rows(c, st)).unwrap()
}

pub fn count_rows(c: &Connection) -> i64 {
    c.query_row("SELECT COUNT(*) FROM consent_records", [], |r| r.get(0))
        .unwrap()
}

pub fn store(c: &Connection, recs: &[Record]) {
    for st in super::sql::insert(recs) {
        execute(c, &st);
    }
}

pub fn rec(id: &str, time: u64, action: Method, grants: Grants, jurisdiction: &str) -> Record {
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

pub fn without_id(mut r: Record) -> Record {
    r.id = None;
    r
}

pub fn analytics_only() -> Grants {
    Grants::from_categories([Category::Analytics])
}

/// 60 records over 3 jurisdictions, 5 actions and 10 consent ids, with
/// up to four records sharing each second.
pub fn dataset() -> Vec<Record> {
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

pub fn decision() -> Decision {
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
