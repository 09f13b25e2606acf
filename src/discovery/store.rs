//! The discovery table's statements (`migrations/0002_discovery.sql`),
//! run by the edge on D1 and tested here against SQLite.

use super::Sighting;
use crate::records::{SqlValue, Statement};

/// The most rows the table holds: new keys beyond it are dropped (existing
/// ones still count), so forged reports cannot grow the store without
/// bound. 10,000 rows of at most ~800 bytes is under 8 MB.
pub const MAX_ROWS: u32 = 10_000;

/// The most rows the admin list reads.
pub const LIST_LIMIT: u32 = 2_000;

const UPSERT: &str =
    "INSERT INTO discovery (kind, name, directive, path, count, first_seen, last_seen) \
SELECT ?1, ?2, ?3, ?4, 1, ?5, ?5 \
WHERE (SELECT COUNT(*) FROM discovery) < ?6 \
OR EXISTS (SELECT 1 FROM discovery WHERE kind = ?1 AND name = ?2 AND directive = ?3 AND path = ?4) \
ON CONFLICT (kind, name, directive, path) DO UPDATE SET \
count = count + 1, last_seen = MAX(last_seen, excluded.last_seen)";

/// One UPSERT per sighting, at `now` (unix seconds).
pub fn upsert(sightings: &[Sighting], now: u64) -> Vec<Statement> {
    sightings
        .iter()
        .map(|s| Statement {
            sql: UPSERT.into(),
            params: vec![
                SqlValue::from(s.kind.id()),
                SqlValue::from(s.name.as_str()),
                SqlValue::from(s.directive.as_str()),
                SqlValue::from(s.path.as_str()),
                SqlValue::from(now),
                SqlValue::from(MAX_ROWS),
            ],
        })
        .collect()
}

/// The rows for the admin list, most seen first.
pub fn list() -> Statement {
    Statement {
        sql: "SELECT kind, name, directive, path, count, first_seen, last_seen FROM discovery \
              ORDER BY count DESC, kind, name, directive, path LIMIT ?1"
            .into(),
        params: vec![SqlValue::from(LIST_LIMIT)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::Kind;
    use rusqlite::{types::Value as Sql, Connection};

    const MIGRATION: &str = include_str!("../../migrations/0002_discovery.sql");

    fn db() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(MIGRATION).unwrap();
        c
    }

    fn run(c: &Connection, st: &Statement) -> usize {
        let params = st.params.iter().map(|v| match v {
            SqlValue::Null => Sql::Null,
            SqlValue::Int(i) => Sql::Integer(*i),
            SqlValue::Text(s) => Sql::Text(s.clone()),
        });
        c.prepare(&st.sql)
            .unwrap()
            .execute(rusqlite::params_from_iter(params))
            .unwrap()
    }

    fn rows(c: &Connection) -> Vec<(String, String, String, String, i64, i64, i64)> {
        let st = list();
        let mut s = c.prepare(&st.sql).unwrap();
        s.query_map([LIST_LIMIT], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    fn host(name: &str, path: &str) -> Sighting {
        Sighting {
            kind: Kind::Host,
            name: name.into(),
            directive: "img-src".into(),
            path: path.into(),
        }
    }

    #[test]
    fn sightings_aggregate_with_count_and_first_and_last_seen() {
        let c = db();
        let a = host("t.example", "/");
        for st in upsert(&[a.clone(), host("u.example", "/x")], 100) {
            assert_eq!(run(&c, &st), 1);
        }
        for st in upsert(std::slice::from_ref(&a), 200) {
            run(&c, &st);
        }
        // A late write with an older clock does not move last_seen back.
        for st in upsert(&[a], 150) {
            run(&c, &st);
        }
        let cookie = Sighting {
            kind: Kind::Cookie,
            name: "mystery".into(),
            directive: "set-cookie".into(),
            path: "/".into(),
        };
        for st in upsert(&[cookie], 300) {
            run(&c, &st);
        }
        assert_eq!(
            rows(&c),
            [
                (
                    "host".into(),
                    "t.example".into(),
                    "img-src".into(),
                    "/".into(),
                    3,
                    100,
                    200
                ),
                (
                    "cookie".into(),
                    "mystery".into(),
                    "set-cookie".into(),
                    "/".into(),
                    1,
                    300,
                    300
                ),
                (
                    "host".into(),
                    "u.example".into(),
                    "img-src".into(),
                    "/x".into(),
                    1,
                    100,
                    100
                ),
            ]
        );
    }

    #[test]
    fn the_table_is_capped_but_known_keys_still_count() {
        let c = db();
        c.execute_batch(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MAX_ROWS}) \
             INSERT INTO discovery SELECT 'host', 'h' || i || '.example', 'img-src', '/', 1, 1, 1 FROM n"
        ))
        .unwrap();
        let new = upsert(&[host("new.example", "/")], 5);
        assert_eq!(run(&c, &new[0]), 0, "full: a new key is dropped");
        let old = upsert(&[host("h7.example", "/")], 5);
        assert_eq!(run(&c, &old[0]), 1, "an existing key still counts");
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM discovery", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, i64::from(MAX_ROWS));
    }

    #[test]
    fn the_schema_refuses_what_is_not_a_sighting() {
        let c = db();
        for bad in [
            "INSERT INTO discovery VALUES ('ip', 'x', 'd', '/', 1, 1, 1)",
            "INSERT INTO discovery VALUES ('host', '', 'd', '/', 1, 1, 1)",
            "INSERT INTO discovery VALUES ('host', 'x', 'd', '/', 0, 1, 1)",
            "INSERT INTO discovery VALUES ('host', 'x', 'd', '/', 1, 5, 1)",
        ] {
            assert!(c.execute_batch(bad).is_err(), "{bad}");
        }
    }
}
