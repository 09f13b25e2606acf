//! `[records]`: the proof-of-consent log.

use crate::error::{Invalid, Path};
use serde::{Deserialize, Serialize};

/// `[records]` in `consent.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecordsSettings {
    /// Record decisions and serve the `/__consent/records`, `/history` and
    /// `/stats` endpoints (default true; needs the D1 binding).
    pub enabled: bool,
    /// Records older than this many days are deleted by the scheduled purge
    /// (default [`RecordsSettings::DEFAULT_RETENTION_DAYS`]; 1 ..= 36500).
    pub retention_days: u32,
    /// Rows deleted per purge statement (default 500; 1 ..= 5000).
    pub purge_batch: u32,
    /// Send records through a Queue and insert them in batches instead of
    /// one `INSERT` per decision (default false).
    pub queue: bool,
}

impl RecordsSettings {
    /// Default retention: 2221 days. A decision is relied on for as long as
    /// the consent cookie lives — at most 13 months (395 days, the CNIL's
    /// ceiling, also `jurisdiction` `max_age_days`) — and must stay provable
    /// until claims about processing done under it are time-barred: 5 years
    /// (1826 days) under the French Code civil art. 2224, the longest of the
    /// common general periods (Germany: 3 years, BGB §195). 395 + 1826.
    pub const DEFAULT_RETENTION_DAYS: u32 = 2221;

    /// Checks the ranges the types alone cannot.
    pub fn check(&self) -> Result<(), Invalid> {
        let at = Path::key("records");
        if !(1..=36_500).contains(&self.retention_days) {
            return Err(Invalid::at(
                at.k("retention_days"),
                format!("{}: expected 1 ..= 36500", self.retention_days),
            ));
        }
        if !(1..=5_000).contains(&self.purge_batch) {
            return Err(Invalid::at(
                at.k("purge_batch"),
                format!("{}: expected 1 ..= 5000", self.purge_batch),
            ));
        }
        Ok(())
    }

    /// [`RecordsSettings::check`] as a message (`records.retention_days: 0: …`).
    pub fn validate(&self) -> Result<(), String> {
        self.check().map_err(|e| e.to_string())
    }
}

impl Default for RecordsSettings {
    fn default() -> Self {
        RecordsSettings {
            enabled: true,
            retention_days: RecordsSettings::DEFAULT_RETENTION_DAYS,
            purge_batch: 500,
            queue: false,
        }
    }
}
