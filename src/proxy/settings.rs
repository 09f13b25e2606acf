//! The worker's environment (wrangler vars and secrets) as one typed value,
//! read through a lookup function so it is built and tested natively.

use crate::consent::cookie::{Scope, DEFAULT_ENV};
use crate::consent::Secrets;
use std::fmt;
use url::Url;

/// How long the origin may take to send its response headers when
/// `ORIGIN_TIMEOUT_MS` is unset or not a positive number.
pub const DEFAULT_ORIGIN_TIMEOUT_MS: u64 = 30_000;

/// Environment the worker runs with.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `ORIGIN`, trimmed; empty: the zone's own origin (or the dev assets).
    pub origin: String,
    /// `DEV_ASSETS_ORIGIN = "true"`: with `ORIGIN` empty, serve the `ASSETS` binding.
    pub assets_origin: bool,
    /// `DEV_GEO_OVERRIDE = "true"`: `x-consent-geo` / `?__geo=` override `request.cf`.
    pub dev_geo_override: bool,
    /// `COOKIE_DOMAIN`, when not blank.
    pub cookie_domain: Option<String>,
    /// `CONSENT_SECRET` and `CONSENT_SECRET_PREVIOUS`, their scope's
    /// environment from `CONSENT_ENV` (default `production`; cookies of one
    /// environment never count in another that shares the secret).
    pub secrets: Secrets,
    /// `ADMIN_TOKEN`, when not blank.
    pub admin_token: Option<String>,
    /// `RECORDS_QUEUE = "true"`: records go through the `RECORDS` queue.
    pub records_queue: bool,
    /// `ORIGIN_TIMEOUT_MS` (default [`DEFAULT_ORIGIN_TIMEOUT_MS`]).
    pub origin_timeout_ms: u64,
    /// `DEV_FAULTS = "true"`: fault injection for the hardening tests.
    pub dev_faults: bool,
    /// `CSP_MODE` (`off`, `report`, `enforce`): overrides `[csp] mode`
    /// without a rebuild (moving from report to enforce); any other value
    /// is ignored.
    pub csp_mode: Option<consent_edge_config::CspMode>,
    /// `EDGE_CACHE` (`on`, `off`): overrides `[cache] enabled` without a
    /// rebuild; any other value is ignored.
    pub edge_cache: Option<bool>,
}

/// Where the page comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginChoice {
    /// `ORIGIN` is set: proxy there.
    Url(Url),
    /// Dev without `ORIGIN`: the demo site in Workers Static Assets.
    Assets,
    /// A deployed route without `ORIGIN`: the zone's own origin.
    Zone,
}

/// A setting that cannot be used, with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsError {
    /// `ORIGIN` does not parse as a URL.
    OriginNotUrl {
        /// The value.
        value: String,
        /// The URL parser's complaint.
        reason: String,
    },
    /// `ORIGIN` is a URL, but not http(s).
    OriginScheme(String),
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::OriginNotUrl { value, reason } => {
                write!(f, "ORIGIN {value:?} is not a URL: {reason}")
            }
            SettingsError::OriginScheme(value) => {
                write!(f, "ORIGIN {value:?} must be an http(s) URL")
            }
        }
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Reads every setting through `lookup` (name → value, `None` when
    /// unset). Blank strings count as unset; flags are on only for `"true"`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Settings {
        let var = |name: &str| lookup(name).unwrap_or_default();
        let non_empty = |name: &str| {
            let v = var(name);
            (!v.trim().is_empty()).then(|| v.trim().to_string())
        };
        let flag = |name: &str| var(name) == "true";
        Settings {
            origin: var("ORIGIN").trim().to_string(),
            assets_origin: flag("DEV_ASSETS_ORIGIN"),
            dev_geo_override: flag("DEV_GEO_OVERRIDE"),
            cookie_domain: non_empty("COOKIE_DOMAIN"),
            secrets: Secrets {
                current: var("CONSENT_SECRET").into_bytes(),
                previous: non_empty("CONSENT_SECRET_PREVIOUS").map(String::into_bytes),
                scope: Scope {
                    env: non_empty("CONSENT_ENV").unwrap_or_else(|| DEFAULT_ENV.to_string()),
                    site: String::new(),
                },
            },
            admin_token: non_empty("ADMIN_TOKEN"),
            records_queue: flag("RECORDS_QUEUE"),
            origin_timeout_ms: var("ORIGIN_TIMEOUT_MS")
                .trim()
                .parse()
                .ok()
                .filter(|ms| *ms > 0)
                .unwrap_or(DEFAULT_ORIGIN_TIMEOUT_MS),
            dev_faults: flag("DEV_FAULTS"),
            csp_mode: serde_json::from_value(serde_json::Value::String(
                var("CSP_MODE").trim().into(),
            ))
            .ok(),
            edge_cache: match var("EDGE_CACHE").trim() {
                "on" => Some(true),
                "off" => Some(false),
                _ => None,
            },
        }
    }

    /// The CSP mode in force: `CSP_MODE`, else `[csp] mode`.
    pub fn csp_mode(
        &self,
        configured: consent_edge_config::CspMode,
    ) -> consent_edge_config::CspMode {
        self.csp_mode.unwrap_or(configured)
    }

    /// Whether the edge cache is used: `EDGE_CACHE`, else `[cache] enabled`.
    pub fn edge_cache(&self, configured: bool) -> bool {
        self.edge_cache.unwrap_or(configured)
    }

    /// Where pages come from. `has_assets`: the `ASSETS` binding exists.
    pub fn origin_choice(&self, has_assets: bool) -> Result<OriginChoice, SettingsError> {
        if !self.origin.is_empty() {
            let url = Url::parse(&self.origin).map_err(|e| SettingsError::OriginNotUrl {
                value: self.origin.clone(),
                reason: e.to_string(),
            })?;
            if url.scheme() != "http" && url.scheme() != "https" {
                return Err(SettingsError::OriginScheme(self.origin.clone()));
            }
            return Ok(OriginChoice::Url(url));
        }
        if self.assets_origin && has_assets {
            return Ok(OriginChoice::Assets);
        }
        Ok(OriginChoice::Zone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Settings {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|n| m.get(n).cloned())
    }

    #[test]
    fn nothing_set_gives_the_documented_defaults() {
        let s = from(&[]);
        assert_eq!(s.origin, "");
        assert!(!s.assets_origin && !s.dev_geo_override && !s.records_queue && !s.dev_faults);
        assert_eq!(s.cookie_domain, None);
        assert_eq!(s.admin_token, None);
        assert!(s.secrets.current.is_empty() && s.secrets.previous.is_none());
        assert_eq!(s.secrets.scope.env, "production");
        assert_eq!(s.origin_timeout_ms, DEFAULT_ORIGIN_TIMEOUT_MS);
        assert_eq!(s.origin_choice(true), Ok(OriginChoice::Zone));
    }

    #[test]
    fn values_are_trimmed_blank_is_unset_and_flags_need_true() {
        let s = from(&[
            ("ORIGIN", "  https://origin.example/ "),
            ("COOKIE_DOMAIN", "   "),
            ("ADMIN_TOKEN", " tok "),
            ("CONSENT_SECRET", "s3cret"),
            ("CONSENT_SECRET_PREVIOUS", "old"),
            ("CONSENT_ENV", " staging "),
            ("DEV_GEO_OVERRIDE", "TRUE"),
            ("DEV_FAULTS", "true"),
            ("RECORDS_QUEUE", "1"),
            ("ORIGIN_TIMEOUT_MS", " 1500 "),
        ]);
        assert_eq!(s.origin, "https://origin.example/");
        assert_eq!(s.cookie_domain, None);
        assert_eq!(s.admin_token.as_deref(), Some("tok"));
        assert_eq!(s.secrets.current, b"s3cret");
        assert_eq!(s.secrets.previous.as_deref(), Some(&b"old"[..]));
        assert_eq!(s.secrets.scope.env, "staging");
        assert!(
            !s.dev_geo_override,
            "only the exact string true switches a flag on"
        );
        assert!(s.dev_faults);
        assert!(!s.records_queue);
        assert_eq!(s.origin_timeout_ms, 1500);
    }

    #[test]
    fn a_useless_timeout_falls_back_to_the_default() {
        for bad in ["0", "-5", "soon", ""] {
            assert_eq!(
                from(&[("ORIGIN_TIMEOUT_MS", bad)]).origin_timeout_ms,
                DEFAULT_ORIGIN_TIMEOUT_MS,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn origin_choice_validates_origin_and_prefers_it_over_assets() {
        let s = from(&[
            ("ORIGIN", "http://127.0.0.1:8080"),
            ("DEV_ASSETS_ORIGIN", "true"),
        ]);
        assert_eq!(
            s.origin_choice(true),
            Ok(OriginChoice::Url(
                Url::parse("http://127.0.0.1:8080").unwrap()
            ))
        );
        let e = from(&[("ORIGIN", "ftp://nope")])
            .origin_choice(false)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"ORIGIN "ftp://nope" must be an http(s) URL"#
        );
        let e = from(&[("ORIGIN", "not a url")])
            .origin_choice(false)
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with(r#"ORIGIN "not a url" is not a URL: "#),
            "{e}"
        );
        let dev = from(&[("DEV_ASSETS_ORIGIN", "true")]);
        assert_eq!(dev.origin_choice(true), Ok(OriginChoice::Assets));
        assert_eq!(
            dev.origin_choice(false),
            Ok(OriginChoice::Zone),
            "no binding"
        );
    }

    #[test]
    fn edge_cache_overrides_the_configured_switch_only_when_valid() {
        assert!(from(&[("EDGE_CACHE", "on")]).edge_cache(false));
        assert!(!from(&[("EDGE_CACHE", " off ")]).edge_cache(true));
        for v in ["", "true", "ON", "1"] {
            assert!(from(&[("EDGE_CACHE", v)]).edge_cache(true), "{v:?}");
            assert!(!from(&[("EDGE_CACHE", v)]).edge_cache(false), "{v:?}");
        }
    }

    #[test]
    fn csp_mode_overrides_the_configured_mode_only_when_valid() {
        use consent_edge_config::CspMode;
        assert_eq!(
            from(&[("CSP_MODE", "enforce")]).csp_mode(CspMode::Off),
            CspMode::Enforce
        );
        assert_eq!(
            from(&[("CSP_MODE", " report ")]).csp_mode(CspMode::Off),
            CspMode::Report
        );
        assert_eq!(
            from(&[("CSP_MODE", "off")]).csp_mode(CspMode::Enforce),
            CspMode::Off
        );
        for v in ["", "ENFORCE", "block", "1"] {
            assert_eq!(
                from(&[("CSP_MODE", v)]).csp_mode(CspMode::Report),
                CspMode::Report,
                "{v}"
            );
        }
    }
}
