//! The proof-of-consent log.
//!
//! GDPR Art. 7(1): where processing is based on consent, the controller must
//! be able to demonstrate that the data subject has consented. Every decision
//! (`accept_all`, `reject_all`, `custom`, `gpc`, `withdrawn`) therefore writes
//! one [`Record`] to a D1 table (`migrations/0001_consent_records.sql`).
//!
//! This module is the pure half; it performs no I/O and reads no clock. One
//! concern per file:
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | [`Record`], [`RecordContext`], [`Record::new`] |
//! | [`config`] | `[records]` in `consent.toml` ([`Config`]) |
//! | [`minimize`] | what a record keeps: [`anonymize_ip`], [`minimize::page_path`], truncation |
//! | [`sql`] | every [`Statement`] (typed [`SqlValue`] parameters) and the reading of D1 rows |
//! | [`query`] | the admin query string: [`parse_query`], [`Query`], [`Cursor`], [`QueryError`] |
//! | [`render`] | NDJSON and CSV pages, statistics, a visitor's history |
//! | [`admin`] | the `/__consent/records`, `/history` and `/stats` endpoints, sans-IO |
//!
//! # Endpoints (served by the edge through [`admin::route`] and [`admin::render`])
//!
//! | request | who | built from |
//! |---|---|---|
//! | `GET /__consent/records?since=&until=&consent_id=&action=&jurisdiction=&format=&limit=&cursor=` | site owner, `Authorization: Bearer <ADMIN_TOKEN>` | [`parse_query`], [`select`], [`render_page`] |
//! | `GET /__consent/history` | the visitor, from the consent id in their valid signed cookie; no IP or user agent | [`history`], [`render_history`] |
//! | `GET /__consent/stats?since=&until=&jurisdiction=&action=&consent_id=` | site owner | [`parse_query`], [`stats`], [`render_stats`] |
//!
//! See [`admin`] for every status code.
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
//! A scheduled (cron) handler runs a [`PurgeRun`]: [`purge`] repeated with
//! `records.purge_batch` until [`purge_again`] says the last run deleted
//! fewer rows than the batch.

pub mod admin;
pub mod config;
pub mod minimize;
pub mod query;
pub mod render;
pub mod sql;

#[cfg(test)]
mod fixtures;

pub use admin::{admin_token_problem, bearer_ok};
pub use config::Config;
pub use minimize::{anonymize_ip, PATH_MAX_CHARS, USER_AGENT_MAX_CHARS};
pub use query::{
    format_rfc3339, parse_query, Cursor, Format, Query, QueryError, DEFAULT_LIMIT, MAX_LIMIT,
};
pub use render::{render_history, render_page, render_stats, CSV, NDJSON};
pub use sql::{
    history, insert, purge, purge_again, records_from_rows, select, stats, PurgeRun, RowError,
    SqlValue, Statement, HISTORY_LIMIT, MAX_BOUND_PARAMS, MIGRATION, ROWS_PER_INSERT, TABLE,
};

use crate::consent::{Decision, Grants, Method};
use minimize::{page_path, short, truncate_chars};
use serde::{Deserialize, Serialize};

/// One decision, as stored in `consent_records`.
///
/// JSON form (NDJSON lines and queue messages):
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
        deserialize_with = "sql::de_opt_i64"
    )]
    pub id: Option<i64>,
    /// The random consent id carried in the visitor's cookie.
    pub consent_id: String,
    /// When the decision was given (unix seconds).
    #[serde(deserialize_with = "sql::de_u64")]
    pub time: u64,
    /// How it was given.
    pub action: Method,
    /// The categories granted.
    #[serde(
        serialize_with = "sql::ser_grants",
        deserialize_with = "sql::de_grants"
    )]
    pub grants: Grants,
    /// The policy revision it was given under.
    #[serde(deserialize_with = "sql::de_u32")]
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
    #[serde(deserialize_with = "sql::de_bool")]
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
    /// `Referer`); query, fragment, scheme and host are dropped. Take it
    /// from [`decision_page`].
    pub path: &'a str,
    /// The raw client IP (`CF-Connecting-IP`).
    pub ip: Option<&'a str>,
    /// The raw `User-Agent`.
    pub user_agent: Option<&'a str>,
}

/// The page a decision was given on, for [`RecordContext::path`]: where
/// the consent endpoint sent the visitor back (the `Location` of its 303 to
/// a no-JS form, i.e. `return_to` exactly as the endpoint read it — the last
/// one when the form repeats it), else the `Referer` (JSON and `DELETE`),
/// else `/`. Reading `return_to` a second time could pick another value
/// than the redirect did (security review C6).
pub fn decision_page<'a>(location: Option<&'a str>, referer: Option<&'a str>) -> &'a str {
    location.or(referer).unwrap_or("/")
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

#[cfg(test)]
mod tests {
    use super::fixtures::{analytics_only, decision};
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

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
    fn the_page_is_the_redirect_else_the_referer() {
        let referer = "https://www.example.com/from?q=1";
        assert_eq!(
            decision_page(Some("/shop?page=2"), Some(referer)),
            "/shop?page=2"
        );
        assert_eq!(decision_page(None, Some(referer)), referer);
        assert_eq!(decision_page(None, None), "/");
        let ctx = RecordContext {
            path: decision_page(None, Some(referer)),
            ..RecordContext::default()
        };
        assert_eq!(Record::new(&decision(), &ctx).path, "/from");
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
        // The edge's row reader (no serde visitor) reads it the same.
        assert_eq!(records_from_rows(vec![row.clone()]).unwrap(), [r.clone()]);
        // Absent optional columns are `None`, absent required ones an error,
        // for both readers.
        for (key, optional) in [("country", true), ("id", true), ("consent_id", false)] {
            let mut row = row.clone();
            row.as_object_mut().unwrap().remove(key);
            let derived = serde_json::from_value::<Record>(row.clone());
            let edge = records_from_rows(vec![row]);
            assert_eq!(derived.is_ok(), optional, "{key}");
            assert_eq!(edge.is_ok(), optional, "{key}");
            if let (Ok(a), Ok(b)) = (derived, edge) {
                assert_eq!([a], b.as_slice(), "{key}");
            }
        }

        for (key, bad) in [
            ("grants", json!(16)),
            ("grants", json!(["necessary", "tracking"])),
            ("gpc", json!(2)),
            ("time", json!(-1)),
            ("time", json!(1.5)),
            ("revision", json!(4_294_967_296u64)),
            ("action", json!("maybe")),
            ("consent_id", json!(5)),
            ("country", json!(7)),
        ] {
            let mut row = row.clone();
            row[key] = bad;
            assert!(
                serde_json::from_value::<Record>(row.clone()).is_err(),
                "{key}"
            );
            assert!(records_from_rows(vec![row]).is_err(), "{key}");
        }
    }

    proptest! {
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

    }
}
