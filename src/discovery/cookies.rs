//! Unknown cookie names on an origin response: a `Set-Cookie` whose name
//! neither `[[cookies]]` nor the catalog classifies. Only the name is kept
//! (never the value or attributes), with the page path without query.

use super::{bounded_path, Kind, Sighting, MAX_NAME};

/// The most cookie sightings taken from one response.
pub const MAX_PER_RESPONSE: usize = 16;

/// The sightings of the unknown cookie names `headers` set (`classify`
/// answers `None` for an unknown name; `consent_cookie` is the worker's own).
pub fn unknown_cookies(
    headers: &[(String, String)],
    classify: &dyn Fn(&str) -> Option<crate::consent::Category>,
    consent_cookie: &str,
    path: &str,
) -> Vec<Sighting> {
    let mut out: Vec<Sighting> = Vec::new();
    for (n, v) in headers {
        if !n.eq_ignore_ascii_case("set-cookie") || out.len() >= MAX_PER_RESPONSE {
            continue;
        }
        let head = v.split(';').next().unwrap_or_default();
        let Some((name, _)) = head.split_once('=') else {
            continue;
        };
        let name = name.trim();
        let token = !name.is_empty()
            && name.len() <= MAX_NAME
            && name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
        if !token || name == consent_cookie || classify(name).is_some() {
            continue;
        }
        let s = Sighting {
            kind: Kind::Cookie,
            name: name.to_owned(),
            directive: "set-cookie".into(),
            path: bounded_path(path),
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::Category;

    #[test]
    fn only_unknown_well_formed_names_are_kept_never_values() {
        let h: Vec<(String, String)> = [
            ("set-cookie", "_ga=GA1.2.3; Path=/"),
            ("Set-Cookie", "mystery_id=secret-value; HttpOnly"),
            ("set-cookie", "mystery_id=again"),
            ("set-cookie", "consent=x"),
            ("set-cookie", "session=abc"),
            ("set-cookie", "bad name=1"),
            ("set-cookie", "novalue"),
            ("x-other", "zz=1"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let classify = |n: &str| match n {
            "_ga" => Some(Category::Analytics),
            "session" => Some(Category::Necessary),
            _ => None,
        };
        let s = unknown_cookies(&h, &classify, "consent", "/shop");
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].name, "mystery_id");
        assert_eq!(s[0].kind, Kind::Cookie);
        assert_eq!(s[0].path, "/shop");
        assert!(!format!("{s:?}").contains("secret"));
    }
}
