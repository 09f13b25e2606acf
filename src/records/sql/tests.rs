//! Every statement against SQLite with the real migration.

use super::*;
use crate::records::fixtures::*;
use crate::records::query::{parse_query, MAX_LIMIT};
use crate::records::render::render_page;
use serde_json::json;

#[test]
fn values_bind_as_d1_sees_them() {
    assert_eq!(SqlValue::from(u64::MAX), SqlValue::Int(i64::MAX));
    assert_eq!(SqlValue::from(7u32), SqlValue::Int(7));
    assert_eq!(SqlValue::from(true), SqlValue::Int(1));
    assert_eq!(SqlValue::from(None::<&str>), SqlValue::Null);
    assert_eq!(SqlValue::from(Some("x")), SqlValue::Text("x".into()));
    let st = history("k");
    assert_eq!(
        serde_json::to_value(&st.params).unwrap(),
        json!(["k", HISTORY_LIMIT])
    );
    assert_eq!(
        serde_json::to_value([SqlValue::Null]).unwrap(),
        json!([null])
    );
}

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
    let q = Query {
        consent_id: Some(r.consent_id.clone()),
        ..Query::default()
    };
    let back = records(&c, &select(&q));
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
                r.jurisdiction == "eu" && r.action == Method::AcceptAll && r.time < base + 10 * 3600
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
fn pages(c: &rusqlite::Connection, qs: &str) -> Vec<Vec<Record>> {
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
fn history_is_one_visitors_latest_records_oldest_first_without_ip_or_agent() {
    let c = db();
    store(&c, &dataset());
    let raw = rows(&c, &history("c4"));
    assert_eq!(raw.len(), 6);
    for row in &raw {
        let obj = row.as_object().unwrap();
        for hidden in ["id", "ip", "user_agent"] {
            assert!(!obj.contains_key(hidden), "{hidden} in {row}");
        }
    }
    let h = records_from_rows(raw).unwrap();
    assert!(h.iter().all(|r| r.consent_id == "c4"));
    assert!(h.iter().all(|r| r.ip.is_none() && r.user_agent.is_none()));
    assert!(h.windows(2).all(|w| w[0].time <= w[1].time));

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
    let functional_analytics = Grants::from_categories([Category::Functional, Category::Analytics]);
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
    let out = crate::records::render::render_stats(&rows(&c, &stats(&Query::default())));
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
    let out = crate::records::render::render_stats(&rows(&c, &stats(&q)));
    assert_eq!(out["rows"].as_array().unwrap().len(), 1);
    assert_eq!(out["total"]["decisions"], 2);
}

fn purge_dataset(now: u64) -> (Vec<Record>, Vec<Record>) {
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
    (data, fresh)
}

#[test]
fn purge_deletes_only_expired_rows_in_batches() {
    let c = db();
    let now = 1_800_000_000;
    let (data, fresh) = purge_dataset(now);
    store(&c, &data);

    assert_eq!(execute(&c, &purge(now, 0, 500)), 0, "0 days never deletes");
    let mut runs = Vec::new();
    let mut run = PurgeRun::new(now, 30, 3);
    loop {
        let deleted = execute(&c, run.statement());
        runs.push(deleted);
        if !run.again(deleted as u64) {
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
    assert!(purge_again(1, 0), "a batch of 0 counts as 1");
}

#[test]
fn a_purge_run_stops_after_its_statement_budget() {
    let c = db();
    let now = 1_800_000_000;
    let (data, _) = purge_dataset(now);
    store(&c, &data);
    let mut run = PurgeRun::new(now, 30, 1);
    let mut statements = 1;
    while run.again(1) {
        statements += 1;
    }
    assert_eq!(statements, PurgeRun::MAX_STATEMENTS);
    // The statement itself deletes one row per run with a batch of 1.
    assert_eq!(execute(&c, run.statement()), 1);
}

#[test]
fn rows_that_are_not_records_are_named() {
    let good = serde_json::to_value(rec("a", 1, Method::AcceptAll, Grants::ALL, "eu")).unwrap();
    let mut bad = good.clone();
    bad["grants"] = json!(16);
    assert_eq!(records_from_rows(vec![good.clone()]).unwrap().len(), 1);
    let err = records_from_rows(vec![good, bad]).unwrap_err();
    assert_eq!(err.row, 1);
    assert!(err.to_string().contains("grants 16"), "{err}");
}
