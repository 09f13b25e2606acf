//! `/__consent/discovery`: the site owner's list of what was discovered,
//! each with a suggested entry to paste — a `trackers.toml` `[[vendor]]`
//! (or a `[csp] allow` host, when it is the site's own third party) for a
//! host, a `consent.toml` `[[cookies]]` row for a cookie.
//!
//! The same access rules as the records admin
//! ([`crate::records::admin`]): a short `ADMIN_TOKEN` is 503, a missing or
//! wrong bearer token 401 (whether or not a token is configured), discovery
//! off (`[csp] mode = "off"`) with the right token 404.

use crate::records::admin::{admin_token_problem, bearer_ok, AdminResponse};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A request for the list, as the edge read it.
#[derive(Debug, Clone, Copy)]
pub struct DiscoveryRequest<'a> {
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `ADMIN_TOKEN` secret.
    pub admin_token: Option<&'a str>,
    /// `[csp] mode` is not `"off"`.
    pub enabled: bool,
}

/// `Ok(())`: run [`super::store::list`] and [`render`] its rows; `Err`:
/// answer this.
pub fn route(req: &DiscoveryRequest<'_>) -> Result<(), AdminResponse> {
    if let Some(problem) = admin_token_problem(req.admin_token) {
        return Err(response(503, &json!({ "error": problem })));
    }
    if !bearer_ok(req.authorization, req.admin_token.unwrap_or_default()) {
        let mut r = response(401, &json!({"error": "missing or wrong bearer token"}));
        r.headers.push(("www-authenticate".into(), "Bearer".into()));
        return Err(r);
    }
    if !req.enabled {
        return Err(response(404, &json!({"error": "not found"})));
    }
    Ok(())
}

/// A JSON answer with the admin endpoints' headers.
pub fn response(status: u16, body: &Value) -> AdminResponse {
    AdminResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("cache-control".into(), "no-store".into()),
            ("x-content-type-options".into(), "nosniff".into()),
        ],
        body: body.to_string().into_bytes(),
    }
}

#[derive(Default)]
struct Entry {
    count: i64,
    first: i64,
    last: i64,
    directives: Vec<String>,
    paths: Vec<String>,
}

/// The most paths listed per entry.
const MAX_PATHS: usize = 10;

/// The list from the store's rows (D1 `all()` objects): one entry per host
/// or cookie name, directives and paths merged, most seen first.
pub fn render(rows: &[Value]) -> AdminResponse {
    let mut by: BTreeMap<(String, String), Entry> = BTreeMap::new();
    for r in rows {
        let s = |k: &str| {
            r.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let n = |k: &str| r.get(k).and_then(Value::as_i64).unwrap_or_default();
        let e = by.entry((s("kind"), s("name"))).or_default();
        if e.count == 0 {
            e.first = n("first_seen");
        }
        e.count += n("count");
        e.first = e.first.min(n("first_seen"));
        e.last = e.last.max(n("last_seen"));
        let (d, p) = (s("directive"), s("path"));
        if !e.directives.contains(&d) {
            e.directives.push(d);
        }
        if !e.paths.contains(&p) && e.paths.len() < MAX_PATHS {
            e.paths.push(p);
        }
    }
    // Most seen first, then by name: what a stable sort by count of the
    // name-ordered entries gave, as B-tree keys (the sort of JSON values was
    // an instantiation of its own in the wasm: docs/BENCHMARKS.md, "Wasm
    // size, stop 14").
    let mut hosts = BTreeMap::new();
    let mut cookies = BTreeMap::new();
    for ((kind, name), e) in by {
        let key = (std::cmp::Reverse(e.count), name.clone());
        let mut item = json!({
            "name": name, "count": e.count, "first_seen": e.first, "last_seen": e.last,
            "paths": e.paths,
        });
        if kind == "cookie" {
            item["suggestion"] = json!({ "consent_toml": cookie_row(&name) });
            cookies.insert(key, item);
        } else {
            item["directives"] = json!(e.directives);
            item["suggestion"] = json!({
                "trackers_toml": vendor_entry(&name),
                "or_csp_allow": name,
            });
            hosts.insert(key, item);
        }
    }
    response(
        200,
        &json!({
            "hosts": hosts.into_values().collect::<Vec<Value>>(),
            "cookies": cookies.into_values().collect::<Vec<Value>>(),
            "note": "Hosts and cookie names the catalog, [[cookies]] and [csp] allow do not know, \
                     seen on this site's pages. Check each one against the vendor's own documentation \
                     before adding it: the category in a suggestion is a placeholder.",
        }),
    )
}

/// A `[[vendor]]` skeleton for `host`.
pub fn vendor_entry(host: &str) -> String {
    let id: String = host
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!(
        "[[vendor]]\nid = \"{id}\"\nname = \"TODO: vendor name\"\n\
         category = \"analytics\" # TODO: functional | analytics | advertising\n\
         hosts = [\"{host}\"]\nsource = \"TODO: the vendor's documentation\"\n"
    )
}

/// A `[[cookies]]` skeleton for `name`.
pub fn cookie_row(name: &str) -> String {
    let name = name.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "[[cookies]]\nname = \"{name}\"\nprovider = \"TODO\"\n\
         category = \"necessary\" # TODO: necessary | functional | analytics | advertising\n\
         purpose = \"TODO\"\nduration = \"TODO\"\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef-admin";

    fn req(
        auth: Option<&'static str>,
        token: Option<&'static str>,
        enabled: bool,
    ) -> DiscoveryRequest<'static> {
        DiscoveryRequest {
            authorization: auth,
            admin_token: token,
            enabled,
        }
    }

    #[test]
    fn access_follows_the_records_admin_rules() {
        let right = Some("Bearer 0123456789abcdef0123456789abcdef-admin");
        assert!(route(&req(right, Some(TOKEN), true)).is_ok());
        let r = route(&req(Some("Bearer nope"), Some(TOKEN), true)).unwrap_err();
        assert_eq!(
            (r.status, r.header("www-authenticate")),
            (401, Some("Bearer"))
        );
        // No token configured and discovery off look the same without the token.
        assert_eq!(route(&req(right, None, true)).unwrap_err().status, 401);
        assert_eq!(
            route(&req(None, Some(TOKEN), false)).unwrap_err().status,
            401
        );
        assert_eq!(
            route(&req(right, Some(TOKEN), false)).unwrap_err().status,
            404
        );
        assert_eq!(
            route(&req(right, Some("short"), true)).unwrap_err().status,
            503
        );
    }

    #[test]
    fn rows_merge_per_name_with_suggestions() {
        let rows = vec![
            json!({"kind":"host","name":"t.example","directive":"img-src","path":"/a","count":2,"first_seen":10,"last_seen":20}),
            json!({"kind":"host","name":"t.example","directive":"script-src-elem","path":"/b","count":3,"first_seen":5,"last_seen":15}),
            json!({"kind":"cookie","name":"my\"stery","directive":"set-cookie","path":"/","count":1,"first_seen":7,"last_seen":7}),
        ];
        let r = render(&rows);
        assert_eq!(r.status, 200);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        let h = &v["hosts"][0];
        assert_eq!(
            (
                h["count"].as_i64(),
                h["first_seen"].as_i64(),
                h["last_seen"].as_i64()
            ),
            (Some(5), Some(5), Some(20))
        );
        assert_eq!(h["directives"], json!(["img-src", "script-src-elem"]));
        assert_eq!(h["paths"], json!(["/a", "/b"]));
        let entry = h["suggestion"]["trackers_toml"].as_str().unwrap();
        let parsed: consent_edge_config::CatalogFile = toml::from_str(entry).unwrap();
        assert_eq!(parsed.vendor[0].hosts, ["t.example"]);
        assert_eq!(parsed.vendor[0].id, "t-example");
        let row = v["cookies"][0]["suggestion"]["consent_toml"]
            .as_str()
            .unwrap();
        #[derive(serde::Deserialize)]
        struct F {
            cookies: Vec<consent_edge_config::CookieDecl>,
        }
        let f: F = toml::from_str(row).unwrap();
        assert_eq!(f.cookies[0].name, "my\"stery");
    }

    #[test]
    fn entries_are_listed_most_seen_first_then_by_name() {
        let row = |kind: &str, name: &str, count: i64| json!({"kind":kind,"name":name,"directive":"img-src","path":"/","count":count,"first_seen":1,"last_seen":2});
        let rows = vec![
            row("host", "c.example", 5),
            row("host", "a.example", 1),
            row("host", "z.example", 4),
            row("host", "z.example", 5),
            row("host", "b.example", 5),
            row("cookie", "_b", 2),
            row("cookie", "_a", 2),
            row("cookie", "_c", 3),
        ];
        let v: Value = serde_json::from_slice(&render(&rows).body).unwrap();
        let names = |list: &str| -> Vec<String> {
            v[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            names("hosts"),
            ["z.example", "b.example", "c.example", "a.example"]
        );
        assert_eq!(names("cookies"), ["_c", "_a", "_b"]);
    }
}
