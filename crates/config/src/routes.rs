//! `[[routes]]` (per-route rules, first match wins) and `[[cookies]]` (the
//! site's own cookie inventory).

use crate::error::{Invalid, Path};
use crate::jurisdictions::check_variant;
use crate::model::Category;
use serde::{Deserialize, Serialize};

/// One entry of the site's cookie inventory (`[[cookies]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CookieDecl {
    /// The cookie name, or a prefix when `prefix = true`.
    pub name: String,
    /// `name` is a prefix (`_ga_` matches `_ga_ABC123`).
    #[serde(default)]
    pub prefix: bool,
    /// Who sets it.
    pub provider: String,
    /// Its category.
    pub category: Category,
    /// What it is for.
    pub purpose: String,
    /// How long it lives ("session", "2 years").
    pub duration: String,
    /// Set by a third party (not the site itself).
    #[serde(default)]
    pub third_party: bool,
}

impl CookieDecl {
    /// Whether this entry covers the cookie called `name`.
    pub fn matches(&self, name: &str) -> bool {
        if self.prefix {
            name.starts_with(&self.name)
        } else {
            name == self.name
        }
    }
}

/// What the worker does on a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Enforce consent (the default).
    #[default]
    Enforce,
    /// Pass through untouched: no rewriter, headers as the origin sent them.
    Bypass,
}

/// One `[[routes]]` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Glob on `host/path` or `/path` or `*.ext` (see [`Route::matches`]).
    pub pattern: String,
    /// Enforce or bypass.
    #[serde(default)]
    pub mode: Mode,
    /// Show the banner on this route (default true).
    pub banner: Option<bool>,
    /// Force a banner variant on this route.
    pub variant: Option<String>,
    /// Vendors allowed outright on this route (catalog ids).
    #[serde(default)]
    pub allow_vendors: Vec<String>,
    /// Inject anything (banner, consent signals) into HTML on this route (default true).
    pub inject: Option<bool>,
}

impl Route {
    /// Whether this rule applies to a request for `host` and `path` (the
    /// URL path, without query string).
    ///
    /// The pattern is a glob: `*` matches any run of characters (including
    /// `/`), `?` exactly one. What it is matched against depends on its shape:
    ///
    /// - `/api/*` (starts with `/`): the path only;
    /// - `*.pdf` (starts with `*.`, no `/`): the path's file extension,
    ///   case-insensitively;
    /// - anything else (`shop.example.com/*`, `*.example.com/admin/*`):
    ///   host + path, the host part case-insensitively.
    pub fn matches(&self, host: &str, path: &str) -> bool {
        let pat = self.pattern.as_str();
        if pat.is_empty() {
            return false;
        }
        let path = path.split(['?', '#']).next().unwrap_or("");
        let path = if path.is_empty() { "/" } else { path };
        if pat.starts_with('/') {
            return glob(pat, path);
        }
        if let Some(ext_pat) = pat.strip_prefix("*.").filter(|p| !p.contains('/')) {
            let file = path.rsplit('/').next().unwrap_or("");
            return file.rsplit_once('.').is_some_and(|(_, ext)| {
                glob(&ext_pat.to_ascii_lowercase(), &ext.to_ascii_lowercase())
            });
        }
        let (pat_host, pat_path) = pat.split_at(pat.find('/').unwrap_or(pat.len()));
        let pat = format!("{}{pat_path}", pat_host.to_ascii_lowercase());
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        glob(&pat, &format!("{host}{path}"))
    }

    /// Checks the rule; `at` is where it is (`routes[2]`). Vendor ids are
    /// checked against the catalog by the caller.
    pub fn check(&self, at: &Path) -> Result<(), Invalid> {
        let pat = self.pattern.as_str();
        let bad = |reason: String| Err(Invalid::at(at.k("pattern"), reason));
        if pat.trim().is_empty() {
            return bad("empty pattern".into());
        }
        if pat.chars().any(char::is_whitespace) {
            return bad(format!("{pat:?}: patterns cannot contain whitespace"));
        }
        if !pat.starts_with('/') {
            match pat.strip_prefix("*.").filter(|p| !p.contains('/')) {
                Some(ext) if ext.is_empty() || ext.contains('.') => {
                    return bad(format!(
                        "{pat:?}: an extension pattern is \"*.ext\" with no further '.'; \
                         to match a host write \"{pat}/*\""
                    ));
                }
                Some(_) => {}
                // host + path always contains a '/': this could never match.
                None if !pat.contains('/') && !pat.contains('*') => {
                    return bad(format!(
                        "{pat:?}: never matches (host + path always has a '/'); \
                         write \"{pat}/*\""
                    ));
                }
                None => {}
            }
        }
        if let Some(v) = &self.variant {
            check_variant(v).map_err(|e| Invalid::at(at.k("variant"), e))?;
        }
        if let Some(i) = self.allow_vendors.iter().position(|v| v.trim().is_empty()) {
            return Err(Invalid::at(at.k("allow_vendors").i(i), "empty vendor id"));
        }
        Ok(())
    }
}

/// Glob match: `*` any run of characters (including `/`), `?` exactly one
/// character, everything else literal. Linear-time backtracking on the last
/// `*`.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, ConfigError};

    const CONSENT: &str = include_str!("../../../consent.toml");
    const TRACKERS: &str = include_str!("../../../trackers.toml");

    fn parse(text: &str) -> Result<Config, ConfigError> {
        crate::from_toml(text, TRACKERS).map(|v| v.config)
    }

    fn route(pattern: &str) -> Route {
        Route {
            pattern: pattern.into(),
            mode: Mode::Enforce,
            banner: None,
            variant: None,
            allow_vendors: Vec::new(),
            inject: None,
        }
    }

    #[test]
    fn glob_semantics() {
        assert!(glob("", ""));
        assert!(!glob("", "a"));
        assert!(glob("*", ""));
        assert!(glob("*", "a/b/c"));
        assert!(glob("a*c", "abbbc"));
        assert!(glob("a*c", "ac"));
        assert!(!glob("a*c", "acb"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("a?c", "aéc"));
        assert!(glob("*a*b*", "xxaxxbxx"));
        assert!(!glob("*a*b*", "xxbxxaxx"));
        assert!(glob("**", "x"));
        assert!(glob("*.tar", "a.tar.tar"));
        assert!(!glob("abc", "ABC"));
        // No exponential blow-up on pathological input.
        let text = "a".repeat(5000);
        assert!(!glob(&"*a".repeat(50).replace("a*a", "a*b"), &text));
    }

    #[test]
    fn route_matching_matrix() {
        // (pattern, host, path, expected)
        let cases: &[(&str, &str, &str, bool)] = &[
            // Path patterns.
            ("/api/*", "example.com", "/api/v1/users", true),
            ("/api/*", "example.com", "/api/", true),
            ("/api/*", "example.com", "/api", false),
            ("/api/*", "example.com", "/v1/api/x", false),
            ("/api/*", "api.example.com", "/", false),
            ("/API/*", "example.com", "/api/x", false),
            ("/blog/?", "example.com", "/blog/1", true),
            ("/blog/?", "example.com", "/blog/12", false),
            ("/", "example.com", "/", true),
            ("/", "example.com", "", true),
            ("/", "example.com", "/x", false),
            ("/a/*/edit", "example.com", "/a/b/c/edit", true),
            ("/search", "example.com", "/search?q=1", true),
            // Extension patterns.
            ("*.pdf", "example.com", "/docs/report.pdf", true),
            ("*.pdf", "example.com", "/docs/REPORT.PDF", true),
            ("*.pdf", "example.com", "/report.pdf?download=1", true),
            ("*.pdf", "example.com", "/report.pdf.html", false),
            ("*.pdf", "example.com", "/pdf", false),
            ("*.pdf", "example.com", "/x.pdf/view", false),
            ("*.pdf", "pdf.example.com", "/", false),
            ("*.htm?", "example.com", "/a.html", true),
            ("*.htm?", "example.com", "/a.htm", false),
            ("*.js", "example.com", "/app.json", false),
            // Host + path patterns.
            ("shop.example.com/*", "shop.example.com", "/cart", true),
            ("shop.example.com/*", "SHOP.Example.COM", "/cart", true),
            ("Shop.Example.com/*", "shop.example.com", "/", true),
            ("shop.example.com/*", "shop.example.com.", "/", true),
            ("shop.example.com/*", "www.example.com", "/cart", false),
            ("shop.example.com/*", "evilshop.example.com", "/cart", false),
            (
                "shop.example.com/*",
                "example.com",
                "/shop.example.com/x",
                false,
            ),
            ("*.example.com/*", "a.b.example.com", "/x", true),
            ("*.example.com/*", "example.com", "/x", false),
            ("example.com/Admin/*", "example.com", "/Admin/x", true),
            ("example.com/Admin/*", "example.com", "/admin/x", false),
            ("*/admin/*", "anything.test", "/admin/users", true),
            ("example.com/", "example.com", "/", true),
            ("example.com/", "example.com", "/x", false),
            // Catch-alls.
            ("*", "example.com", "/anything/at.all", true),
            ("Shop*", "shop.example.com", "/", true),
            ("shop*", "www.example.com", "/shop", false),
            // Empty never matches.
            ("", "example.com", "/", false),
        ];
        for &(pattern, host, path, want) in cases {
            assert_eq!(
                route(pattern).matches(host, path),
                want,
                "{pattern:?} vs host {host:?} path {path:?}"
            );
        }
    }

    #[test]
    fn first_match_wins() {
        let cfg = parse(
            r#"
            [[routes]]
            pattern = "/api/public/*"
            mode = "enforce"
            banner = false

            [[routes]]
            pattern = "/api/*"
            mode = "bypass"

            [[routes]]
            pattern = "shop.example.com/*"
            variant = "opt-in"
            allow_vendors = ["youtube"]
            inject = false

            [[routes]]
            pattern = "*.pdf"
            mode = "bypass"
            "#,
        )
        .unwrap();
        let r = cfg.route_for("example.com", "/api/public/x").unwrap();
        assert_eq!((r.mode, r.banner), (Mode::Enforce, Some(false)));
        let r = cfg.route_for("shop.example.com", "/api/x").unwrap();
        assert_eq!(r.mode, Mode::Bypass);
        let r = cfg.route_for("shop.example.com", "/doc.pdf").unwrap();
        assert_eq!(r.variant.as_deref(), Some("opt-in"));
        assert_eq!(r.allow_vendors, ["youtube"]);
        assert_eq!(r.inject, Some(false));
        assert_eq!(
            cfg.route_for("example.com", "/doc.pdf").unwrap().pattern,
            "*.pdf"
        );
        assert!(cfg.route_for("example.com", "/").is_none());
        assert!(Config::default().route_for("example.com", "/").is_none());
    }

    #[test]
    fn shipped_routes_bypass_well_known() {
        let cfg = parse(CONSENT).unwrap();
        let r = cfg
            .route_for("example.com", "/.well-known/gpc.json")
            .unwrap();
        assert_eq!(r.mode, Mode::Bypass);
        assert!(cfg.route_for("example.com", "/index.html").is_none());
    }

    #[test]
    fn route_validation_errors() {
        let cases = [
            ("pattern = \"\"", "routes[0].pattern: empty pattern"),
            ("pattern = \"  \"", "routes[0].pattern: empty pattern"),
            ("pattern = \"/a b\"", "cannot contain whitespace"),
            (
                "pattern = \"/x\"\nvariant = \"popup\"",
                "routes[0].variant: unknown variant \"popup\"",
            ),
            ("pattern = \"*.\"", "an extension pattern is"),
            ("pattern = \"*.example.com\"", "write \"*.example.com/*\""),
            (
                "pattern = \"shop.example.com\"",
                "write \"shop.example.com/*\"",
            ),
            (
                "pattern = \"/x\"\nallow_vendors = [\"\"]",
                "empty vendor id",
            ),
            ("pattern = \"/x\"\nmode = \"off\"", "unknown variant `off`"),
            ("pattern = \"/x\"\nbanner = \"no\"", "invalid type"),
            ("pattern = \"/x\"\nmatch = \"/y\"", "unknown field `match`"),
        ];
        for (body, want) in cases {
            let text = format!("[[routes]]\n{body}\n");
            let err = parse(&text).unwrap_err();
            assert!(err.to_string().starts_with("consent.toml:"), "{err}");
            assert!(err.to_string().contains(want), "{body}\n→ {err}");
        }
        // The second route is named by its index.
        let err = parse("[[routes]]\npattern = \"/ok\"\n[[routes]]\npattern = \"\"\n").unwrap_err();
        assert!(err.to_string().contains("routes[1].pattern"), "{err}");
        for ok in [
            "/",
            "*.pdf",
            "*.htm?",
            "example.com/",
            "*/admin/*",
            "*",
            "shop*",
        ] {
            let text = format!("[[routes]]\npattern = {ok:?}\nvariant = \"none\"\n");
            assert!(parse(&text).is_ok(), "{ok}");
        }
    }
}
