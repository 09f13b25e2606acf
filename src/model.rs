//! The consent model: the categories, a set of grants, and a visitor's
//! decision. A leaf: it imports nothing from this crate (the categories and
//! grants are the configuration crate's vocabulary, re-exported here).

pub use consent_edge_config::model::{Category, Grants};

/// How a decision was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// "Accept all".
    AcceptAll,
    /// "Reject all".
    RejectAll,
    /// A custom selection of categories.
    Custom,
    /// Derived from the Global Privacy Control signal (`Sec-GPC: 1`).
    Gpc,
    /// Consent withdrawn: every optional category refused.
    Withdrawn,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 5] = [
        Method::AcceptAll,
        Method::RejectAll,
        Method::Custom,
        Method::Gpc,
        Method::Withdrawn,
    ];

    /// The stable id (`"accept_all"`, …).
    pub fn id(self) -> &'static str {
        match self {
            Method::AcceptAll => "accept_all",
            Method::RejectAll => "reject_all",
            Method::Custom => "custom",
            Method::Gpc => "gpc",
            Method::Withdrawn => "withdrawn",
        }
    }

    /// Parses a stable id.
    pub fn from_id(id: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.id() == id)
    }
}

/// A visitor's decision, as carried (signed) in the consent cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The categories granted.
    pub grants: Grants,
    /// The policy revision (`policy.revision`) the decision was given under.
    pub revision: u32,
    /// When the decision was given (unix seconds).
    pub decided_at: u64,
    /// A random, URL-safe consent id (≥ 122 bits of entropy).
    pub consent_id: String,
    /// How the decision was given.
    pub method: Method,
    /// The jurisdiction id it was given in (`"eu"`, `"us-ca"`, …).
    pub jurisdiction: String,
    /// Whether a Global Privacy Control signal was present when it was given.
    pub gpc: bool,
}
