//! The consent vocabulary every section speaks: the categories and a set of
//! granted ones. A leaf: it imports nothing.

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
