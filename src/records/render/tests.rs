use super::*;
use crate::records::fixtures::{analytics_only, dataset, rec};
use proptest::prelude::*;

fn cell(text: &str) -> String {
    let mut out = String::new();
    push_cell(&mut out, text);
    out
}

#[test]
fn csv_header_and_cells_come_from_one_list() {
    let r = rec("c1", 1_714_564_800, Method::Custom, analytics_only(), "eu");
    let body = render_csv(&[r]);
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        "\"id\",\"time\",\"datetime\",\"consent_id\",\"action\",\"functional\",\"analytics\",\
         \"advertising\",\"revision\",\"jurisdiction\",\"country\",\"region\",\"gpc\",\"variant\",\
         \"lang\",\"path\",\"ip\",\"user_agent\",\"grants\""
    );
    assert_eq!(
        lines[1],
        "\"\",\"1714564800\",\"2024-05-01T12:00:00Z\",\"c1\",\"custom\",\"0\",\"1\",\"0\",\"1\",\
         \"eu\",\"DE\",\"\",\"0\",\"opt-in\",\"en\",\"/\",\"203.0.113.0\",\"Mozilla/5.0\",\
         \"necessary analytics\""
    );
    // As many cells in every row as in the header (no cell holds `","`).
    assert_eq!(lines[0].matches("\",\"").count(), CSV_COLUMNS.len() - 1);
    assert_eq!(lines[1].matches("\",\"").count(), CSV_COLUMNS.len() - 1);
}

#[test]
fn csv_is_rfc4180_and_defuses_formulas() {
    let mut r = rec("c1", 1_714_564_800, Method::Custom, analytics_only(), "eu");
    r.id = Some(5);
    r.path = "=HYPERLINK(\"http://evil\",\"x\")".into();
    r.user_agent = Some("Mozilla/5.0 (X11; \"Linux\")\r\nEvil".into());
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
    let (_, row) = body.split_once("\r\n").unwrap();
    assert!(
        row.starts_with(
            "\"5\",\"1714564800\",\"2024-05-01T12:00:00Z\",\"c1\",\"custom\",\"0\",\"1\",\"0\",\
             \"1\",\"eu\",\"DE\",\"'+33\",\"0\",\"'-1+2\",\"'@SUM(A1)\","
        ),
        "{row}"
    );
    assert!(
        row.contains(r#""'=HYPERLINK(""http://evil"",""x"")""#),
        "{row}"
    );
    assert!(
        row.contains("\"Mozilla/5.0 (X11; \"\"Linux\"\")\r\nEvil\""),
        "{row}"
    );
    assert!(row.ends_with(",\"necessary analytics\"\r\n"), "{row}");
}

#[test]
fn every_formula_prefix_is_neutralised_at_the_start() {
    for (text, want) in [
        ("=1+1", "\"'=1+1\""),
        ("+1", "\"'+1\""),
        ("-1", "\"'-1\""),
        ("@SUM(A1)", "\"'@SUM(A1)\""),
        ("\t=1", "\"'\t'=1\""),
        ("\r=1", "\"'\r'=1\""),
        ("plain", "\"plain\""),
        ("", "\"\""),
        (" =1", "\" =1\""),
        ("a=b", "\"a=b\""),
        ("\"=1\"", "\"\"\"=1\"\"\""),
    ] {
        assert_eq!(cell(text), want, "{text:?}");
    }
}

#[test]
fn formulas_after_a_separator_inside_a_cell_are_neutralised() {
    for (text, want) in [
        // Semicolon-separator locales (de, fr…): security review C3.
        ("Mozilla;=1+1", "\"Mozilla;'=1+1\""),
        ("/x;=1+1", "\"/x;'=1+1\""),
        ("a;+1;-1;@x", "\"a;'+1;'-1;'@x\""),
        ("a\t=1", "\"a\t'=1\""),
        ("a;\t=1", "\"a;'\t'=1\""),
        // For a reader that ignores quotes.
        ("a,=1", "\"a,'=1\""),
        ("a\n=1", "\"a\n'=1\""),
        ("a\r\n=1", "\"a\r\n'=1\""),
        // Ordinary text after a separator is left alone.
        (
            "Mozilla/5.0 (X11; Linux x86_64)",
            "\"Mozilla/5.0 (X11; Linux x86_64)\"",
        ),
        ("a;b,c", "\"a;b,c\""),
        ("2024-05-01", "\"2024-05-01\""),
    ] {
        assert_eq!(cell(text), want, "{text:?}");
    }
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
fn history_shows_no_ip_user_agent_or_row_id() {
    let mut r = rec("c9", 1_714_564_800, Method::Custom, analytics_only(), "eu");
    r.id = Some(77);
    let body = render_history("c9", &[r]);
    assert_eq!(body["consent_id"], "c9");
    let entry = &body["records"][0];
    assert_eq!(
        entry,
        &json!({"consent_id": "c9", "time": 1_714_564_800u64, "action": "custom",
                "grants": ["necessary", "analytics"], "revision": 1, "jurisdiction": "eu",
                "country": "DE", "region": null, "gpc": false, "variant": "opt-in",
                "lang": "en", "path": "/"})
    );
    let text = body.to_string();
    for leak in [
        "203.0.113",
        "Mozilla",
        "user_agent",
        "\"ip\"",
        "\"id\"",
        "77",
    ] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
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

proptest! {
    #[test]
    fn csv_cells_never_start_a_formula(text in ".{0,40}") {
        let out = cell(&text);
        prop_assert!(out.starts_with('"') && out.ends_with('"') && out.len() >= 2);
        let inner = &out[1..out.len() - 1];
        // Quotes are doubled: no lone `"` inside.
        prop_assert!(!inner.replace("\"\"", "").contains('"'), "{}", out);
        // Wherever a cell could start, the next character is not a formula.
        let chars: Vec<char> = inner.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            let starts = i == 0 || CELL_BREAK.contains(&chars[i - 1]);
            prop_assert!(!(starts && FORMULA_START.contains(c)), "{:?} at {}", out, i);
        }
        // Only `'`s were added.
        let unquoted = inner.replace("\"\"", "\"");
        prop_assert_eq!(unquoted.replace('\'', ""), text.replace('\'', ""));
    }
}
