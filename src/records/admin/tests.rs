use super::*;
use crate::consent::{Grants, Method};
use crate::records::fixtures::{dataset, db, rec, rows, store};
use crate::records::query::{Cursor, Format};
use crate::records::render::{CSV, NDJSON};
use proptest::prelude::*;

const TOKEN: &str = "0123456789abcdef0123456789abcdef"; // 32 bytes

fn admin(path: &'static str) -> AdminRequest<'static> {
    AdminRequest {
        method: "GET",
        path,
        query: "",
        authorization: Some("Bearer 0123456789abcdef0123456789abcdef"),
        consent_cookie_id: None,
        records_enabled: true,
        admin_token: Some(TOKEN),
        write_failures: 0,
    }
}

fn visitor() -> AdminRequest<'static> {
    AdminRequest {
        consent_cookie_id: Some("c4"),
        authorization: None,
        ..admin("history")
    }
}

fn respond(req: &AdminRequest<'_>) -> AdminResponse {
    match route(req) {
        AdminStep::Respond(r) => r,
        AdminStep::Run { statement, .. } => panic!("expected an answer, got {}", statement.sql),
    }
}

fn body(r: &AdminResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn assert_common_headers(r: &AdminResponse) {
    assert_eq!(r.header("cache-control"), Some("no-store"), "{r:?}");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{r:?}");
    assert!(r.header("content-type").is_some(), "{r:?}");
}

#[test]
fn unknown_paths_are_404_without_echoing_them() {
    for path in ["", "nope", "records/", "Records", "history/x", "<script>"] {
        let r = respond(&admin(path));
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(body(&r), json!({"error": "not found"}));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_common_headers(&r);
    }
}

#[test]
fn only_get_is_allowed() {
    for path in ["records", "history", "stats"] {
        for method in ["POST", "PUT", "DELETE", "HEAD", "PROPFIND", ""] {
            let r = respond(&AdminRequest {
                method,
                ..admin(path)
            });
            assert_eq!(r.status, 405, "{method} {path}");
            assert_eq!(r.header("allow"), Some("GET"));
            assert_eq!(body(&r)["error"], "method not allowed: use GET");
            assert_common_headers(&r);
        }
    }
    // Methods are matched as the consent endpoint matches them.
    assert!(matches!(
        route(&AdminRequest {
            method: "get",
            ..admin("records")
        }),
        AdminStep::Run { .. }
    ));
}

#[test]
fn admin_endpoints_run_their_statement() {
    let step = route(&AdminRequest {
        query: "?format=csv&limit=5",
        ..admin("records")
    });
    let q = parse_query("format=csv&limit=5").unwrap();
    assert_eq!(
        step,
        AdminStep::Run {
            statement: select(&q),
            then: Render::Page(q.clone()),
        }
    );
    let step = route(&AdminRequest {
        query: "jurisdiction=eu",
        write_failures: 3,
        ..admin("stats")
    });
    let q = parse_query("jurisdiction=eu").unwrap();
    assert_eq!(
        step,
        AdminStep::Run {
            statement: stats(&q),
            then: Render::Stats { write_failures: 3 },
        }
    );
}

#[test]
fn bad_parameters_are_400_naming_them() {
    for path in ["records", "stats"] {
        let r = respond(&AdminRequest {
            query: "since=yesterday",
            ..admin(path)
        });
        assert_eq!(r.status, 400);
        assert_eq!(body(&r)["parameter"], "since");
        assert_eq!(body(&r)["error"], "bad_parameter");
        assert_common_headers(&r);
    }
}

#[test]
fn a_missing_or_wrong_token_is_401_whatever_is_configured() {
    let auths = [
        None,
        Some(""),
        Some("Bearer"),
        Some("Bearer wrong"),
        Some("Basic 0123456789abcdef0123456789abcdef"),
        Some("0123456789abcdef0123456789abcdef"),
    ];
    let mut answers = Vec::new();
    for path in ["records", "stats"] {
        for admin_token in [None, Some(TOKEN), Some("   ")] {
            for records_enabled in [true, false] {
                for authorization in auths {
                    let r = respond(&AdminRequest {
                        authorization,
                        admin_token,
                        records_enabled,
                        ..admin(path)
                    });
                    assert_eq!(r.status, 401, "{path} {admin_token:?} {authorization:?}");
                    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
                    assert_common_headers(&r);
                    answers.push(r);
                }
            }
        }
    }
    // Byte for byte the same answer: nothing tells the configurations apart.
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(
        body(&answers[0]),
        json!({"error": "missing or wrong bearer token"})
    );
}

#[test]
fn records_off_is_404_like_an_unknown_path() {
    let unknown = respond(&admin("nope"));
    for path in ["records", "stats"] {
        let r = respond(&AdminRequest {
            records_enabled: false,
            ..admin(path)
        });
        assert_eq!(r, unknown, "{path}");
    }
    let r = respond(&AdminRequest {
        records_enabled: false,
        ..visitor()
    });
    assert_eq!(r, unknown, "history");
}

#[test]
fn a_short_admin_token_is_refused_with_503_naming_it() {
    for token in [
        "x",
        "short-token",
        &TOKEN[..31],
        " 0123456789abcdef0123456789abcde ",
    ] {
        for path in ["records", "stats"] {
            let auth = format!("Bearer {token}");
            let r = respond(&AdminRequest {
                admin_token: Some(token),
                authorization: Some(&auth),
                ..admin(path)
            });
            assert_eq!(r.status, 503, "{token:?}");
            let msg = body(&r)["error"].as_str().unwrap().to_owned();
            assert!(msg.contains("ADMIN_TOKEN") && msg.contains("32"), "{msg}");
            assert_common_headers(&r);
        }
        assert!(admin_token_problem(Some(token)).is_some(), "{token:?}");
        assert!(!bearer_ok(Some(&format!("Bearer {token}")), token));
    }
    // The visitor's history does not depend on the admin token.
    assert!(matches!(
        route(&AdminRequest {
            admin_token: Some("x"),
            ..visitor()
        }),
        AdminStep::Run { .. }
    ));
    assert_eq!(admin_token_problem(None), None);
    assert_eq!(admin_token_problem(Some("  ")), None);
    assert_eq!(admin_token_problem(Some(TOKEN)), None);
    assert_eq!(admin_token_problem(Some(&format!(" {TOKEN}\n"))), None);
}

#[test]
fn bearer_tokens_must_match_exactly() {
    let t = TOKEN;
    assert!(bearer_ok(Some(&format!("Bearer {t}")), t));
    assert!(bearer_ok(Some(&format!("bearer  {t} ")), t));
    assert!(bearer_ok(Some(&format!("Bearer {t}")), &format!("{t}\n")));
    let prefix = format!("Bearer {}", &t[..31]);
    let longer = format!("Bearer {t}0");
    let upper = format!("Bearer {}", t.to_uppercase());
    let basic = format!("Basic {t}");
    for h in [
        None,
        Some(""),
        Some("Bearer"),
        Some("Bearer "),
        Some(prefix.as_str()),
        Some(longer.as_str()),
        Some(upper.as_str()),
        Some(basic.as_str()),
        Some(t),
    ] {
        assert!(!bearer_ok(h, t), "{h:?}");
    }
    assert!(!bearer_ok(Some("Bearer "), ""));
    assert!(!bearer_ok(Some("Bearer x"), "  "));
}

#[test]
fn history_needs_a_valid_cookie() {
    let r = respond(&AdminRequest {
        consent_cookie_id: None,
        ..visitor()
    });
    assert_eq!(r.status, 404);
    assert_eq!(
        body(&r)["error"],
        "no valid consent cookie: no history to show"
    );
    assert_common_headers(&r);
    assert_eq!(
        route(&visitor()),
        AdminStep::Run {
            statement: history("c4"),
            then: Render::History {
                consent_id: "c4".into()
            },
        }
    );
}

/// Runs a request the way the edge does, against SQLite.
fn serve(c: &rusqlite::Connection, req: &AdminRequest<'_>) -> AdminResponse {
    match route(req) {
        AdminStep::Respond(r) => r,
        AdminStep::Run { statement, then } => render(&then, rows(c, &statement)),
    }
}

#[test]
fn pages_carry_the_next_cursor_and_their_content_type() {
    let c = db();
    let data = dataset();
    store(&c, &data);
    let r = serve(
        &c,
        &AdminRequest {
            query: "limit=25",
            ..admin("records")
        },
    );
    assert_eq!((r.status, r.header("content-type")), (200, Some(NDJSON)));
    assert_common_headers(&r);
    let cursor = r.header("consent-next-cursor").unwrap().to_owned();
    assert!(Cursor::decode(&cursor).is_some());
    assert_eq!(String::from_utf8(r.body).unwrap().lines().count(), 25);

    let rest = format!("limit=50&format=csv&cursor={cursor}");
    let r = serve(
        &c,
        &AdminRequest {
            query: &rest,
            ..admin("records")
        },
    );
    assert_eq!((r.status, r.header("content-type")), (200, Some(CSV)));
    assert_eq!(r.header("consent-next-cursor"), None, "the last page");
    let text = String::from_utf8(r.body).unwrap();
    assert_eq!(text.split_terminator("\r\n").count(), 1 + 35);
}

#[test]
fn history_is_served_without_ip_or_user_agent() {
    let c = db();
    store(&c, &dataset());
    let r = serve(&c, &visitor());
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("application/json"))
    );
    assert_common_headers(&r);
    let b = body(&r);
    assert_eq!(b["consent_id"], "c4");
    let recs = b["records"].as_array().unwrap();
    assert_eq!(recs.len(), 6);
    for rec in recs {
        let obj = rec.as_object().unwrap();
        for hidden in ["id", "ip", "user_agent"] {
            assert!(!obj.contains_key(hidden), "{hidden}: {rec}");
        }
    }
    let text = String::from_utf8(r.body).unwrap();
    assert!(
        !text.contains("203.0.113") && !text.contains("Mozilla"),
        "{text}"
    );
}

#[test]
fn stats_report_the_write_failures() {
    let c = db();
    store(
        &c,
        &[rec(
            "a",
            1_714_521_600,
            Method::AcceptAll,
            Grants::ALL,
            "eu",
        )],
    );
    let r = serve(
        &c,
        &AdminRequest {
            write_failures: 2,
            ..admin("stats")
        },
    );
    assert_eq!(r.status, 200);
    assert_common_headers(&r);
    let b = body(&r);
    assert_eq!(b["write_failures_this_isolate"], 2);
    assert_eq!(b["total"]["decisions"], 1);
}

#[test]
fn unreadable_rows_and_a_failing_store_are_named() {
    let bad = json!({"consent_id": "x", "time": -1});
    for then in [
        Render::Page(Query {
            format: Format::Csv,
            ..Query::default()
        }),
        Render::History {
            consent_id: "x".into(),
        },
    ] {
        let r = render(&then, vec![bad.clone()]);
        assert_eq!(r.status, 500, "{then:?}");
        assert_common_headers(&r);
        let b = body(&r);
        assert_eq!(b["error"], "a stored consent record could not be read");
        assert!(b["detail"].as_str().unwrap().contains("row 0"), "{b}");
    }
    let r = store_unavailable();
    assert_eq!(r.status, 503);
    assert_common_headers(&r);
    assert_eq!(body(&r)["error"], "the consent record store is unavailable");
}

proptest! {
    #[test]
    fn route_never_panics_and_never_runs_without_the_token(
        method in "[A-Za-z]{0,8}", path in ".{0,20}", query in ".{0,80}",
        auth in proptest::option::of(".{0,60}"), enabled in any::<bool>(),
    ) {
        let req = AdminRequest {
            method: &method,
            path: &path,
            query: &query,
            authorization: auth.as_deref(),
            consent_cookie_id: None,
            records_enabled: enabled,
            admin_token: Some(TOKEN),
            write_failures: 0,
        };
        if let AdminStep::Run { .. } = route(&req) {
            prop_assert!(auth.as_deref().is_some_and(|a| a.contains(TOKEN)));
        }
    }
}
