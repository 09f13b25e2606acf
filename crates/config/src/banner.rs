//! `[banner]`: how the consent banner looks and speaks.

use crate::error::{Invalid, Path};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The built-in languages, `en` first.
pub const BUILTIN_LANGS: [&str; 9] = ["en", "de", "fr", "es", "it", "nl", "pt", "pl", "hr"];

/// Calls `$m! { /// doc\n field, … }` with every user-visible text of the
/// banner: the one list both [`Strings`] (the overrides) and the worker's
/// `Texts` (the full set of one language) are generated from.
#[macro_export]
macro_rules! banner_text_fields {
    ($m:ident) => {
        $m! {
            /// Dialog heading.
            title,
            /// Body text of the `opt-in` variant.
            body_opt_in,
            /// Body text of the `opt-out` variant.
            body_opt_out,
            /// Body text of the `notice` variant.
            body_notice,
            /// Text of the link to the cookie policy.
            policy_link,
            /// "Accept all" button.
            accept_all,
            /// "Reject all" button.
            reject_all,
            /// "Customize" control (opens the per-category toggles).
            customize,
            /// "Save choices" button.
            save,
            /// Dismiss button of the `notice` and `opt-out` variants.
            dismiss,
            /// "Withdraw consent" button.
            withdraw,
            /// The US "Do Not Sell or Share My Personal Information" control.
            do_not_sell,
            /// Shown when a Global Privacy Control signal was honoured.
            gpc_honoured,
            /// The floating control that reopens the preferences.
            reopen,
            /// Legend of the category toggles.
            categories_legend,
            /// Marker for the necessary category.
            always_on,
            /// Label of the necessary category.
            necessary,
            /// Description of the necessary category.
            necessary_desc,
            /// Label of the functional category.
            functional,
            /// Description of the functional category.
            functional_desc,
            /// Label of the analytics category.
            analytics,
            /// Description of the analytics category.
            analytics_desc,
            /// Label of the advertising category.
            advertising,
            /// Description of the advertising category.
            advertising_desc,
            /// Placeholder for blocked embeds; `{vendor}` and `{category}` are replaced.
            placeholder,
            /// Button in a placeholder that grants its category.
            allow,
            /// Declaration column: cookie name.
            col_name,
            /// Declaration column: provider.
            col_provider,
            /// Declaration column: purpose.
            col_purpose,
            /// Declaration column: duration.
            col_duration,
            /// Declaration column: first or third party.
            col_party,
            /// "First party".
            first_party,
            /// "Third party".
            third_party,
            /// Shown when the declaration is empty.
            no_cookies,
            /// Heading of the per-category state in the status block.
            status_heading,
            /// "Consent ID".
            consent_id,
            /// "Date".
            date,
            /// "Method" (how the decision was given).
            method,
            /// The residual audit in the status block: `{count}` refused
            /// cookies still arrived with this request and were deleted again.
            residual,
            /// State of a granted category.
            granted,
            /// State of a refused category.
            refused,
            /// Status when no decision was recorded yet.
            undecided,
            /// "Change settings" control.
            change,
            /// Method: accept all.
            method_accept_all,
            /// Method: reject all.
            method_reject_all,
            /// Method: custom selection.
            method_custom,
            /// Method: Global Privacy Control.
            method_gpc,
            /// Method: consent withdrawn.
            method_withdrawn,
        }
    };
}

macro_rules! strings_struct {
    ($( $(#[$doc:meta])* $field:ident ),* $(,)?) => {
        /// `[banner.strings.<lang>]`: any subset of the strings, replacing
        /// the built-in ones (or adding a language).
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Strings {
            $(
                $(#[$doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<String>,
            )*
        }
    };
}

crate::banner_text_fields!(strings_struct);

/// `[banner]` in `consent.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BannerSettings {
    /// Language used when nothing in `Accept-Language` is available (default `"en"`).
    pub default_lang: String,
    /// Where the banner sits: `"bottom"` (default) or `"top"`.
    pub position: Position,
    /// The floating reopen control: `"bottom-left"` (default), `"bottom-right"` or `"off"`.
    /// Elements with `data-consent-open` reopen the preferences in every case.
    pub reopen_button: ReopenButton,
    /// Google Consent Mode v2: `"basic"` (default), `"advanced"` or `"off"`.
    pub google_consent_mode: ConsentMode,
    /// `wait_for_update` (ms) sent with the consent-mode default while undecided.
    pub wait_for_update_ms: u32,
    /// Send `gtag('set','ads_data_redaction',true)` while advertising is refused.
    pub ads_data_redaction: bool,
    /// Send `gtag('set','url_passthrough',true)`.
    pub url_passthrough: bool,
    /// Send Microsoft UET consent (`uetq.push('consent',…)`).
    pub microsoft_uet: bool,
    /// Send Microsoft Clarity consent (`clarity('consentv2',…)`).
    pub microsoft_clarity: bool,
    /// `[banner.strings.<lang>]`: text overrides, or whole new languages.
    pub strings: BTreeMap<String, Strings>,
}

impl Default for BannerSettings {
    fn default() -> Self {
        BannerSettings {
            default_lang: "en".into(),
            position: Position::Bottom,
            reopen_button: ReopenButton::BottomLeft,
            google_consent_mode: ConsentMode::Basic,
            wait_for_update_ms: 500,
            ads_data_redaction: false,
            url_passthrough: false,
            microsoft_uet: true,
            microsoft_clarity: true,
            strings: BTreeMap::new(),
        }
    }
}

/// Where the banner dialog sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    /// Bottom of the viewport.
    Bottom,
    /// Top of the viewport.
    Top,
}

/// The floating reopen control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReopenButton {
    /// Bottom left corner.
    BottomLeft,
    /// Bottom right corner.
    BottomRight,
    /// No floating control (the site provides `data-consent-open` elements).
    Off,
}

/// How Google tags are handled (Google Consent Mode v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentMode {
    /// Google tags are blocked until consent; consent-mode signals are sent.
    Basic,
    /// Google tags load before consent and run in denied mode; the filter
    /// must let Google vendors through (see [`BannerSettings::allow_google_before_consent`]).
    Advanced,
    /// No consent-mode signals; Google tags are treated like any other tracker.
    Off,
}

/// A lowercase-insensitive language tag as `Accept-Language` carries it
/// (`de`, `pt-br`): letters, digits and `-`, at most 35, not starting with `-`.
pub fn is_lang_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 35
        && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !t.starts_with('-')
}

impl BannerSettings {
    /// Whether the filter should let Google tags through regardless of
    /// consent, because they run in consent mode's denied state ("advanced").
    pub fn allow_google_before_consent(&self) -> bool {
        self.google_consent_mode == ConsentMode::Advanced
    }

    /// Checks language tags: every `[banner.strings.<lang>]` key is one, and
    /// `default_lang` is built in or defined there.
    pub fn check(&self) -> Result<(), Invalid> {
        let at = Path::key("banner");
        for lang in self.strings.keys() {
            if !is_lang_tag(lang) {
                return Err(Invalid::key(
                    at.k("strings").k(lang),
                    format!(
                        "{lang:?} is not a language tag (letters, digits and '-', e.g. \"pt-br\")"
                    ),
                ));
            }
        }
        let d = self.default_lang.to_ascii_lowercase();
        let known = BUILTIN_LANGS.contains(&d.as_str())
            || self.strings.keys().any(|k| k.eq_ignore_ascii_case(&d));
        if !known {
            return Err(Invalid::at(
                at.k("default_lang"),
                format!(
                    "{:?}: not a built-in language ({}) and no [banner.strings.{d}] defines it",
                    self.default_lang,
                    BUILTIN_LANGS.join(", ")
                ),
            ));
        }
        Ok(())
    }
}
