//! `[records]` in `consent.toml`.
//!
//! Kept exactly as it was in `records.rs`: the configuration types are moving
//! into the config crate (h1-config), which replaces this file at merge.

use serde::Deserialize;

/// `[records]` in `consent.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Record decisions and serve the `/__consent/records`, `/history` and
    /// `/stats` endpoints (default true; needs the D1 binding).
    pub enabled: bool,
    /// Records older than this many days are deleted by the scheduled purge
    /// (default [`Config::DEFAULT_RETENTION_DAYS`]; 1 ..= 36500).
    pub retention_days: u32,
    /// Rows deleted per purge statement (default 500; 1 ..= 5000).
    pub purge_batch: u32,
    /// Send records through a Queue and insert them in batches instead of
    /// one `INSERT` per decision (default false).
    pub queue: bool,
}

impl Config {
    /// Default retention: 2221 days. A decision is relied on for as long as
    /// the consent cookie lives — at most 13 months (395 days, the CNIL's
    /// ceiling, also `jurisdiction` `max_age_days`) — and must stay provable
    /// until claims about processing done under it are time-barred: 5 years
    /// (1826 days) under the French Code civil art. 2224, the longest of the
    /// common general periods (Germany: 3 years, BGB §195). 395 + 1826.
    pub const DEFAULT_RETENTION_DAYS: u32 = 2221;

    /// Checks the ranges the types alone cannot.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=36_500).contains(&self.retention_days) {
            return Err(format!(
                "records.retention_days = {}: expected 1 ..= 36500",
                self.retention_days
            ));
        }
        if !(1..=5_000).contains(&self.purge_batch) {
            return Err(format!(
                "records.purge_batch = {}: expected 1 ..= 5000",
                self.purge_batch
            ));
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            enabled: true,
            retention_days: Config::DEFAULT_RETENTION_DAYS,
            purge_batch: 500,
            queue: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_validation() {
        let cfg: Config = toml::from_str("").unwrap();
        assert_eq!(cfg, Config::default());
        assert_eq!(cfg.validate(), Ok(()));
        let embedded = &crate::rules::Config::embedded().records;
        assert_eq!(embedded.validate(), Ok(()));
        assert_eq!(embedded.retention_days, Config::DEFAULT_RETENTION_DAYS);
        assert!(toml::from_str::<Config>("retain_days = 3").is_err());
        let cfg: Config = toml::from_str("retention_days = 0\nqueue = true").unwrap();
        assert!(cfg.queue);
        assert!(cfg.validate().unwrap_err().contains("retention_days"));
        let cfg: Config = toml::from_str("purge_batch = 0").unwrap();
        assert!(cfg.validate().unwrap_err().contains("purge_batch"));
    }
}
