//! The `data-consent-*` vocabulary: every attribute the filter writes and
//! the banner script reads, defined once.
//!
//! The filter ([`crate::filter`]) neutralises a refused tracker by moving
//! its URL attribute `x` to `data-consent-x` ([`stash`]) and tagging the
//! element with [`CATEGORY`] and [`VENDOR`]; the banner's script restores
//! every attribute of [`URL_ATTRS`] when the category is granted. The script
//! has no list of its own: the banner renders [`script_attrs`] into the
//! `data-attrs` attribute of its root element, and a test
//! (`tests/vocabulary.rs`) runs every neutralisation path of the filter and
//! checks that each attribute it writes is either one of the markers below
//! or the stash of an attribute in that list.

/// Author tag: `<img data-consent="analytics" data-consent-src=…>` is
/// activated (server side, or by the script) when the category is granted.
pub const CONSENT: &str = "data-consent";
/// The category (or categories, space separated) an inert element waits for.
pub const CATEGORY: &str = "data-consent-category";
/// The catalog id of the vendor an element was neutralised for.
pub const VENDOR: &str = "data-consent-vendor";
/// A neutralised script's original `type` (it is `text/plain` meanwhile).
pub const TYPE: &str = "data-consent-type";
/// On an iframe the filter hid (`hidden`): unhide on activation.
pub const HIDDEN: &str = "data-consent-hidden";
/// The per-response activation token on every element the filter
/// neutralised in this response (the banner's root carries the same value
/// in `data-token`): the banner script activates only elements with it, so
/// look-alike markup in the page (`script[type=text/plain]
/// [data-consent-category=necessary]`, forged placeholders) stays inert.
pub const TOKEN: &str = "data-consent-token";
/// The placeholder the filter puts before a hidden iframe (value: category).
pub const PLACEHOLDER: &str = "data-consent-placeholder";
/// The placeholder's button: grants the category in its value.
pub const ALLOW: &str = "data-consent-allow";
/// A page's "cookie settings" control (`="customize"` opens the toggles).
pub const OPEN: &str = "data-consent-open";
/// A page's own consent form, posted like the banner's.
pub const FORM: &str = "data-consent-form";
/// Filled with the cookie declaration.
pub const DECLARATION: &str = "data-consent-declaration";
/// Filled with the visitor's consent status.
pub const STATUS: &str = "data-consent-status";

/// The prefix of every stashed URL attribute (`data-consent-src`, …).
pub const STASH_PREFIX: &str = "data-consent-";

/// Every URL attribute the filter may move to its [`stash`] and the banner
/// script restores: `src`, `srcset` (img, source), `data` (object), `href`
/// (link), `ping` (a, area), `poster` (video) and `srcdoc` (iframe, whose
/// original the filter keeps when it filtered the document inside).
///
/// Then the attributes of issue 12's wider coverage: `background` (any
/// element), `imagesrcset` (link), the lazy-load attributes that plugins
/// copy into `src`/`srcset` (`data-src`, `data-lazy-src`, `data-srcset`,
/// `data-lazy-srcset`, `data-original`, `data-bg`), and `style` (a
/// declaration list with a refused `url()`; the script restores only web
/// URLs, so a stashed `style` stays inert until a reload).
pub const URL_ATTRS: &[&str] = &[
    "src",
    "srcset",
    "data",
    "href",
    "ping",
    "poster",
    "srcdoc",
    "background",
    "imagesrcset",
    "data-src",
    "data-lazy-src",
    "data-srcset",
    "data-lazy-srcset",
    "data-original",
    "data-bg",
    "style",
];

/// The URL attributes activated server side on author-tagged elements: all
/// of [`URL_ATTRS`] but `srcdoc` (an author's stashed `srcdoc` is a whole
/// document the filter would have to run again; it stays inert).
pub const AUTHOR_URL_ATTRS: &[&str] = &["src", "srcset", "data", "href", "ping", "poster"];

/// The stash of URL attribute `attr`: `data-consent-<attr>`.
pub fn stash(attr: &str) -> String {
    format!("{STASH_PREFIX}{attr}")
}

/// [`URL_ATTRS`] as the banner hands it to its script (`data-attrs`):
/// space separated.
pub fn script_attrs() -> String {
    URL_ATTRS.join(" ")
}

/// The markers the filter writes besides stashed URL attributes (the test
/// of the vocabulary checks the filter writes nothing else).
pub const MARKERS: &[&str] = &[CATEGORY, VENDOR, TYPE, HIDDEN, PLACEHOLDER, ALLOW, TOKEN];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_attrs_are_url_attrs() {
        assert!(AUTHOR_URL_ATTRS.iter().all(|a| URL_ATTRS.contains(a)));
        assert_eq!(stash("poster"), "data-consent-poster");
        assert!(script_attrs().starts_with("src srcset data href ping poster srcdoc "));
        for m in MARKERS {
            let rest = m.strip_prefix(STASH_PREFIX).expect("prefix");
            assert!(!URL_ATTRS.contains(&rest), "{m} is not a stash");
        }
    }
}
