//! Consent: the four categories, the visitor's decision, and everything that
//! reads, proves and enforces it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A purpose for which a cookie or tracker may be used. Ids are stable API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Strictly necessary: always granted, cannot be refused.
    Necessary,
    /// Remembers preferences and enables optional features (embeds, chat).
    Functional,
    /// Measures how the site is used.
    Analytics,
    /// Personalised and other advertising, sale/sharing of personal data.
    Advertising,
}

impl Category {
    /// Every category, in display order.
    pub const ALL: [Category; 4] = [
        Category::Necessary,
        Category::Functional,
        Category::Analytics,
        Category::Advertising,
    ];
    /// The categories a visitor may refuse.
    pub const OPTIONAL: [Category; 3] = [
        Category::Functional,
        Category::Analytics,
        Category::Advertising,
    ];

    /// The stable id (`"analytics"`, …).
    pub fn id(self) -> &'static str {
        match self {
            Category::Necessary => "necessary",
            Category::Functional => "functional",
            Category::Analytics => "analytics",
            Category::Advertising => "advertising",
        }
    }

    /// Parses a stable id; `None` for anything else.
    pub fn from_id(id: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.id() == id)
    }

    fn bit(self) -> u8 {
        match self {
            Category::Necessary => 1,
            Category::Functional => 2,
            Category::Analytics => 4,
            Category::Advertising => 8,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The set of granted categories. `necessary` is always in it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grants(u8);

impl Grants {
    /// Only what is strictly necessary.
    pub const NECESSARY_ONLY: Grants = Grants(1);
    /// Every category.
    pub const ALL: Grants = Grants(15);

    /// Grants from a list of categories (necessary is always added).
    pub fn from_categories<I: IntoIterator<Item = Category>>(cats: I) -> Grants {
        cats.into_iter()
            .fold(Grants::NECESSARY_ONLY, |g, c| g.with(c, true))
    }

    /// Whether `cat` is granted.
    pub fn has(self, cat: Category) -> bool {
        self.0 & cat.bit() != 0
    }

    /// A copy with `cat` granted or refused (necessary cannot be refused).
    #[must_use]
    pub fn with(self, cat: Category, granted: bool) -> Grants {
        if cat == Category::Necessary {
            return self;
        }
        if granted {
            Grants(self.0 | cat.bit())
        } else {
            Grants(self.0 & !cat.bit())
        }
    }

    /// The granted categories.
    pub fn granted(self) -> impl Iterator<Item = Category> {
        Category::ALL.into_iter().filter(move |c| self.has(*c))
    }

    /// The refused categories.
    pub fn refused(self) -> impl Iterator<Item = Category> {
        Category::ALL.into_iter().filter(move |c| !self.has(*c))
    }

    /// The compact bit mask (1 = necessary, 2 = functional, 4 = analytics, 8 = advertising).
    pub fn bits(self) -> u8 {
        self.0
    }

    /// From a bit mask; unknown bits are rejected.
    pub fn from_bits(bits: u8) -> Option<Grants> {
        (bits & !15 == 0).then_some(Grants(bits | 1))
    }
}

impl fmt::Debug for Grants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.granted()).finish()
    }
}

/// How a decision was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// `[cookie]`: the consent cookie and its endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CookieConfig {
    /// Cookie name (default `consent`).
    #[serde(default = "default_cookie_name")]
    pub name: String,
    /// Path of the consent endpoint (default `/__consent`).
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    /// Forward the consent cookie to the origin (default false).
    #[serde(default)]
    pub forward_to_origin: bool,
}

fn default_cookie_name() -> String {
    "consent".into()
}

fn default_endpoint() -> String {
    "/__consent".into()
}

impl Default for CookieConfig {
    fn default() -> Self {
        CookieConfig {
            name: default_cookie_name(),
            endpoint: default_endpoint(),
            forward_to_origin: false,
        }
    }
}
