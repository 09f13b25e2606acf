//! Banner, cookie declaration and consent status rendering, i18n.
//!
//! Everything here is pure: the caller (the worker) describes the request in
//! a [`View`] and gets HTML strings back, which the filter's rewriter inserts.
//!
//! | function | output | where it goes |
//! |---|---|---|
//! | [`head_signals`] | Google Consent Mode v2 / Microsoft UET / Clarity defaults | start of `<head>` |
//! | [`banner_html`] | the banner (style, dialog, reopen control, script) | before `</body>` |
//! | [`declaration_html`] | the cookie table, grouped by category | inside `[data-consent-declaration]` |
//! | [`status_html`] | consent id, date, state, change/withdraw controls | inside `[data-consent-status]` |
//!
//! The banner works without JavaScript: it is a `<form method="post">` to the
//! consent endpoint with a hidden `return_to`, `action` buttons
//! (`accept_all`, `reject_all`, `save`, `withdraw`) and `functional`,
//! `analytics`, `advertising` checkboxes (value `on`) inside a `<details>`.
//! With JavaScript, the inline script posts JSON instead (`{"action":…}` or
//! `{"categories":{…}}`), applies the choice without a reload (activating
//! neutralised scripts, media and iframes, updating consent-mode signals),
//! and dispatches `consent-edge:change` on `document`.
//!
//! ## HTML hooks the script understands
//!
//! | markup (produced by the filter or the site's authors) | when its category is granted |
//! |---|---|
//! | `<script type="text/plain" data-consent-category="analytics" data-consent-type="…">` (or `data-consent="…"`) | replaced by a live `<script>`: type from `data-consent-type`, `src` from `src`/`data-consent-src`, other attributes and text kept, nonce carried over, order kept (`async=false` unless `async`); while it runs, its `document.write`/`writeln` insert the markup right after it (written scripts run) instead of replacing a loaded page |
//! | any other element with `data-consent-category`/`data-consent` and `data-consent-src` (or any other of [`crate::markup::URL_ATTRS`]: `-srcset`, `-data`, `-href`, `-ping`, `-poster`, `-srcdoc`; the script reads the list from the root's `data-attrs`) | the real attribute is set, if it is an http(s) or relative URL (every candidate of a `srcset`/`ping`); `srcdoc` only where the filter stashed it (`data-consent-category` without an author `data-consent`) |
//! | `<iframe … data-consent-hidden hidden>` | `hidden` removed, the preceding `.consent-edge-placeholder[data-consent-placeholder]` removed |
//! | `[data-consent-allow="functional"]` (in a placeholder) | grants that category, keeping the others |
//! | `[data-consent-open]` (`="customize"` also opens the toggles) | opens the preferences dialog; without JavaScript a `<button data-consent-open>` submits the banner's hidden `#ce-open` form (the filter sets `type="submit" form="ce-open"`): a GET of the same URL, query kept, landing on `#ce-dialog` |
//! | `form[data-consent-form]` inside `[data-consent-status]` (the status block the filter fills) | posted as JSON like the banner's own forms; such forms elsewhere in the page, and `[data-consent-allow]` outside a placeholder, are left alone |
//! | `[data-consent-state="<cat>"]` with `data-on`/`data-off` | text updated after a change |
//!
//! Several categories may be listed (`data-consent-category="analytics advertising"`): all must be granted.
//! The endpoint may answer the JSON post with `{"categories":{…},"consent_id":"…","decided_at":…,"method":"…"}`;
//! the script then uses those grants (else its own) and updates the status block's
//! `[data-consent-field]`s (`id`, `date`, `method` from its `data-method-<id>` labels; shows `meta`,
//! hides `undecided`). A failed post falls back to the plain form submission.

mod i18n;

pub use i18n::{Strings, Texts, BUILTIN_LANGS};

mod page;
pub use page::{
    page, page_with, token_from, PageExtras, PageRequest, PageSettings, GOOGLE_CONSENT_MODE_VENDORS,
};

use crate::jurisdiction::Model;
use crate::model::{Category, Decision, Grants, Method};
use consent_edge_config::banner::is_lang_tag;
use consent_edge_config::CookieDecl;
use std::fmt::Write as _;

// Minified from banner.css / banner.js by build.rs (buildscript/minify.rs).
const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/banner.min.css"));
pub(crate) const JS: &str = include_str!(concat!(env!("OUT_DIR"), "/banner.min.js"));

/// `[banner]` in `consent.toml`.
pub use consent_edge_config::BannerSettings as Config;
pub use consent_edge_config::{ConsentMode, Position, ReopenButton};

/// What the caller knows about this request.
#[derive(Debug, Clone)]
pub struct View<'a> {
    /// Banner variant: `"opt-in"`, `"opt-out"`, `"notice"`, `"none"`; any
    /// other value renders the variant of `model`.
    pub variant: &'a str,
    /// The consent model in force.
    pub model: Model,
    /// The categories in effect now (the decision's, or the regime defaults
    /// adjusted for GPC).
    pub grants: Grants,
    /// Whether the visitor has a valid decision (the banner starts closed).
    pub decided: bool,
    /// Whether the request carried `Sec-GPC: 1`.
    pub gpc: bool,
    /// The decision, when there is one.
    pub decision: Option<&'a Decision>,
    /// Language code from [`negotiate`].
    pub lang: &'a str,
    /// Current path and query, where the no-JS form returns to.
    pub return_to: &'a str,
    /// The consent endpoint path (`cfg.cookie.endpoint`).
    pub endpoint: &'a str,
    /// The cookie policy URL (`cfg.policy.url`).
    pub policy_url: &'a str,
    /// CSP nonce for injected `<script>`/`<style>` (from [`csp_nonce`]).
    pub nonce: Option<&'a str>,
    /// Jurisdiction id (`"eu"`, `"us-ca"`, …).
    pub jurisdiction: &'a str,
    /// The per-render consent token ([`crate::consent::token`]) the
    /// banner's and status block's forms carry (field `token`) and its
    /// script sends (`data-form-token` → `X-Consent-Token`); `None` without a
    /// usable consent secret.
    pub token: Option<&'a str>,
    /// Refused cookies that still arrived with this request and are
    /// expired again ([`crate::consent::State::residual`]).
    pub residual: usize,
}

// ---------------------------------------------------------------------------
// Language

/// The lowercase language tags available: built-in plus `[banner.strings.*]`.
fn available(cfg: &Config) -> Vec<String> {
    let mut v: Vec<String> = BUILTIN_LANGS.iter().map(|s| s.to_string()).collect();
    for k in cfg.strings.keys() {
        let k = k.to_ascii_lowercase();
        if is_lang_tag(&k) && !v.contains(&k) {
            v.push(k);
        }
    }
    v
}

/// The default language: `cfg.default_lang` when available, else `"en"`.
fn default_lang(cfg: &Config) -> String {
    let d = cfg.default_lang.to_ascii_lowercase();
    if available(cfg).contains(&d) {
        d
    } else {
        "en".into()
    }
}

/// Picks the banner language from an `Accept-Language` header.
///
/// Ranges are tried by descending q-value (ties keep header order; `q=0` and
/// malformed entries are ignored). Each range matches exactly (`pt-br`, when
/// configured) or by its primary subtag (`pt-BR` → `pt`); `*` and no match
/// give the default language. The result is a lowercase tag.
pub fn negotiate(accept_language: Option<&str>, cfg: &Config) -> String {
    let avail = available(cfg);
    // The answer of the decisive range (`*`, or a tag or its primary
    // subtag on offer) with the highest q, the earliest among equal q: what
    // a stable sort by q then a walk to the first decisive range gives,
    // without the sort (an instantiation of its own in the wasm: 5.0 KB
    // raw, 2.5 KB gzip, docs/BENCHMARKS.md "Wasm size, stop 14") or the
    // list. `None`: `*` won.
    let mut best: Option<(u16, Option<String>)> = None;
    for (tag, q) in accept_language
        .unwrap_or("")
        .split(',')
        .take(32)
        .filter_map(language_range)
    {
        if best.as_ref().is_some_and(|(b, _)| *b >= q) {
            continue;
        }
        if let Some(answer) = range_answer(tag, &avail) {
            best = Some((q, answer));
        }
    }
    match best {
        Some((_, Some(lang))) => lang,
        _ => default_lang(cfg),
    }
}

/// One `Accept-Language` item as a lowercase tag and its q in thousandths;
/// `None` when malformed or `q=0` (not acceptable).
fn language_range(item: &str) -> Option<(String, u16)> {
    let mut parts = item.split(';');
    let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let mut q: u16 = 1000;
    let mut ok = !tag.is_empty() && (tag == "*" || is_lang_tag(&tag));
    for p in parts {
        let p = p.trim();
        if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
            match parse_q(v.trim()) {
                Some(v) => q = v,
                None => ok = false,
            }
        }
    }
    (ok && q > 0).then_some((tag, q))
}

/// What a range decides, if it decides: `Some(None)` for `*` (the default
/// language), `Some(Some(lang))` for a tag on offer or its primary subtag;
/// `None` when neither is on offer (the next range is tried).
fn range_answer(tag: String, avail: &[String]) -> Option<Option<String>> {
    if tag == "*" {
        return Some(None);
    }
    if avail.contains(&tag) {
        return Some(Some(tag));
    }
    let primary = tag.split('-').next().unwrap_or("");
    avail
        .iter()
        .any(|a| a == primary)
        .then(|| Some(primary.to_string()))
}

/// A q-value (`0`, `0.8`, `1.000`) in thousandths.
fn parse_q(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let f = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(f),
        "1" if f == 0 => Some(1000),
        _ => None,
    }
}

/// The texts for `lang` (as returned by [`negotiate`]): the built-in
/// language (or its primary subtag, or the default language), then
/// `[banner.strings.<primary>]`, then `[banner.strings.<lang>]` overrides.
pub fn texts(lang: &str, cfg: &Config) -> Texts {
    let lang = lang.to_ascii_lowercase();
    let primary = lang.split('-').next().unwrap_or("").to_string();
    let base = i18n::builtin(&primary)
        .or_else(|| i18n::builtin(&default_lang(cfg)))
        .unwrap_or_else(i18n::english);
    let find = |k: &str| {
        cfg.strings
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    };
    let mut t = i18n::overlay(base, &lang, find(&primary));
    if lang != primary {
        t = i18n::overlay(t, &lang, find(&lang));
    }
    t
}

impl Texts {
    /// The label of a category.
    pub fn category(&self, c: Category) -> &str {
        match c {
            Category::Necessary => &self.necessary,
            Category::Functional => &self.functional,
            Category::Analytics => &self.analytics,
            Category::Advertising => &self.advertising,
        }
    }

    /// The description of a category.
    pub fn category_desc(&self, c: Category) -> &str {
        match c {
            Category::Necessary => &self.necessary_desc,
            Category::Functional => &self.functional_desc,
            Category::Analytics => &self.analytics_desc,
            Category::Advertising => &self.advertising_desc,
        }
    }

    /// How a decision was given, in words.
    pub fn method_label(&self, m: Method) -> &str {
        match m {
            Method::AcceptAll => &self.method_accept_all,
            Method::RejectAll => &self.method_reject_all,
            Method::Custom => &self.method_custom,
            Method::Gpc => &self.method_gpc,
            Method::Withdrawn => &self.method_withdrawn,
        }
    }

    /// The placeholder text for a blocked embed (plain text, not escaped).
    pub fn placeholder_text(&self, vendor: &str, category: Category) -> String {
        self.placeholder
            .replace("{vendor}", vendor)
            .replace("{category}", self.category(category))
    }
}

// ---------------------------------------------------------------------------
// CSP nonce

/// The nonce of a `Content-Security-Policy` header value, if scripts are
/// nonce-gated: the first `'nonce-…'` source of `script-src-elem`, else
/// `script-src`, else `default-src` (the directive that governs inline
/// scripts). Several policies (comma-joined headers) are searched in order.
/// Only base64/base64url nonces are accepted.
pub fn csp_nonce(csp_header: &str) -> Option<String> {
    for name in ["script-src-elem", "script-src", "default-src"] {
        for policy in csp_header.split(',') {
            for directive in policy.split(';') {
                let mut tokens = directive.split_ascii_whitespace();
                let Some(dname) = tokens.next() else { continue };
                if !dname.eq_ignore_ascii_case(name) {
                    continue;
                }
                for src in tokens {
                    let lower = src.to_ascii_lowercase();
                    if lower.starts_with("'nonce-") && src.ends_with('\'') && src.len() > 8 {
                        let v = &src[7..src.len() - 1];
                        if v.bytes().all(|b| {
                            b.is_ascii_alphanumeric()
                                || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
                        }) {
                            return Some(v.to_string());
                        }
                    }
                }
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Helpers

/// HTML-escapes text for element content and quoted attribute values
/// (the crate's one escaper, [`crate::html::escape_text`]).
pub use crate::html::escape_text as escape;
use crate::html::push_escaped as esc;

/// The hidden `token` field of a form posting to the consent endpoint.
fn token_input(token: Option<&str>) -> String {
    match token {
        Some(t) => format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            crate::consent::token::FIELD,
            escape(t)
        ),
        None => String::new(),
    }
}

fn nonce_attr(nonce: Option<&str>) -> String {
    match nonce {
        Some(n) if !n.is_empty() => format!(" nonce=\"{}\"", escape(n)),
        _ => String::new(),
    }
}

/// A same-site path for `return_to` (anything else becomes `/`).
fn safe_return(r: &str) -> &str {
    if r.starts_with('/') && !r.starts_with("//") && !r.starts_with("/\\") {
        r
    } else {
        "/"
    }
}

/// A link target that cannot run script (relative, http or https).
fn safe_url(u: &str) -> &str {
    let l = u.trim_start().to_ascii_lowercase();
    let scheme = l.split_once(':').map(|(s, _)| s);
    match scheme {
        Some(s) if s.contains('/') || s.contains('?') || s.contains('#') => u,
        Some("http") | Some("https") | None => u,
        Some(_) => "#",
    }
}

fn lang_attr(lang: &str) -> &str {
    if is_lang_tag(lang) {
        lang
    } else {
        "en"
    }
}

fn variant_of<'a>(view: &View<'a>) -> &'a str {
    match view.variant {
        "opt-in" | "opt-out" | "notice" | "none" => view.variant,
        _ => view.model.id(),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds (proleptic Gregorian, UTC).
pub fn iso8601(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (era-based conversion).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn state(granted: bool) -> &'static str {
    if granted {
        "granted"
    } else {
        "denied"
    }
}

// ---------------------------------------------------------------------------
// <head> signals

/// Consent defaults for tags that are allowed to load, for the start of
/// `<head>`: Google Consent Mode v2 `default` (with `wait_for_update` while
/// undecided), Microsoft UET `consent default`, and Clarity `consentv2`
/// (only when Clarity is already defined). `""` when nothing is enabled.
pub fn head_signals(view: &View, cfg: &Config) -> String {
    let g = view.grants;
    let ad = state(g.has(Category::Advertising));
    let an = state(g.has(Category::Analytics));
    let fu = state(g.has(Category::Functional));
    let mut js = String::new();
    if cfg.google_consent_mode != ConsentMode::Off {
        js.push_str("window.dataLayer=window.dataLayer||[];window.gtag=window.gtag||function(){dataLayer.push(arguments)};");
        let _ = write!(
            js,
            "gtag('consent','default',{{ad_storage:'{ad}',ad_user_data:'{ad}',ad_personalization:'{ad}',analytics_storage:'{an}',functionality_storage:'{fu}',personalization_storage:'{fu}',security_storage:'granted'"
        );
        if !view.decided && cfg.wait_for_update_ms > 0 {
            let _ = write!(js, ",wait_for_update:{}", cfg.wait_for_update_ms);
        }
        js.push_str("});");
        if cfg.ads_data_redaction && !g.has(Category::Advertising) {
            js.push_str("gtag('set','ads_data_redaction',true);");
        }
        if cfg.url_passthrough {
            js.push_str("gtag('set','url_passthrough',true);");
        }
    }
    if cfg.microsoft_uet {
        let _ = write!(
            js,
            "window.uetq=window.uetq||[];window.uetq.push('consent','default',{{ad_storage:'{ad}'}});"
        );
    }
    if cfg.microsoft_clarity {
        let _ = write!(
            js,
            "if(typeof window.clarity==='function')window.clarity('consentv2',{{ad_Storage:'{ad}',analytics_Storage:'{an}'}});"
        );
    }
    if js.is_empty() {
        return js;
    }
    format!("<script{}>{js}</script>", nonce_attr(view.nonce))
}

// ---------------------------------------------------------------------------
// Banner

/// The banner for the end of `<body>`: `""` for variant `none`. When the
/// visitor has decided, the dialog is rendered `hidden` (toggles showing the
/// current grants) so the reopen control can show it again.
pub fn banner_html(view: &View, cfg: &Config) -> String {
    let variant = variant_of(view);
    if variant == "none" {
        return String::new();
    }
    let t = texts(view.lang, cfg);
    let nonce = nonce_attr(view.nonce);
    let form = PostForm::of(view);

    let mut h = String::with_capacity(12 * 1024);
    let _ = write!(h, "<style{nonce}>{CSS}</style>");
    push_root_open(&mut h, view, cfg, &t, variant);
    let _ = write!(
        h,
        "<section id=\"ce-dialog\" class=\"ce-dialog\" role=\"dialog\" aria-modal=\"false\" aria-labelledby=\"ce-title\" aria-describedby=\"ce-desc\" tabindex=\"-1\"{}>",
        if view.decided { " hidden" } else { "" }
    );
    form.open(&mut h, " class=\"ce-form\"", "");
    push_intro(&mut h, view, &t, variant);
    push_actions(&mut h, view, &t, variant);
    h.push_str("</form>");
    if variant == "opt-out" {
        push_do_not_sell(&mut h, &form, view.grants, &t);
    }
    h.push_str("</section>");
    push_reopen_link(&mut h, cfg, &t);
    push_reopen_form(&mut h, safe_return(view.return_to));
    // The banner stays `display:none` (see banner.css) until the parser has
    // seen all of it: a browser that paints while the dialog is half parsed
    // would otherwise grow it upwards from the bottom edge, a layout shift.
    // Revealed whole, it only appears, which is not a shift.
    let _ = write!(
        h,
        "<style{nonce}>{REVEAL_CSS}</style><script{nonce}>{JS}</script></aside>"
    );
    h
}

/// The opening of a form posting to the consent endpoint: its action, the
/// hidden `return_to` (a same-site path) and the hidden token, escaped once
/// for the banner's forms and the status block's.
struct PostForm {
    endpoint: String,
    return_to: String,
    token: String,
}

impl PostForm {
    fn of(view: &View) -> PostForm {
        PostForm {
            endpoint: escape(view.endpoint),
            return_to: escape(safe_return(view.return_to)),
            token: token_input(view.token),
        }
    }

    /// `<form{lead} method="post" action="…"{tail}>` and its hidden fields.
    fn open(&self, h: &mut String, lead: &str, tail: &str) {
        let _ = write!(
            h,
            "<form{lead} method=\"post\" action=\"{}\"{tail}><input type=\"hidden\" name=\"return_to\" value=\"{}\">{}",
            self.endpoint, self.return_to, self.token
        );
    }
}

/// The consent-mode signals the banner script updates after a choice
/// (`data-signals`), in the order [`head_signals`] sets their defaults.
fn signal_names(cfg: &Config) -> Vec<&'static str> {
    let mut signals = Vec::new();
    if cfg.google_consent_mode != ConsentMode::Off {
        signals.push("gtag");
    }
    if cfg.microsoft_uet {
        signals.push("uet");
    }
    if cfg.microsoft_clarity {
        signals.push("clarity");
    }
    signals
}

/// The banner's root `<aside>` open tag: everything its script reads
/// (variant, decision, grants, GPC, endpoint, signals, attribute names, token).
fn push_root_open(h: &mut String, view: &View, cfg: &Config, t: &Texts, variant: &str) {
    let granted_ids: Vec<&str> = Category::OPTIONAL
        .into_iter()
        .filter(|c| view.grants.has(*c))
        .map(Category::id)
        .collect();
    let _ = write!(
        h,
        "<aside id=\"consent-edge\" class=\"ce{}\" lang=\"{}\" aria-label=\"{}\" data-variant=\"{variant}\" data-decided=\"{}\" data-grants=\"{}\" data-gpc=\"{}\" data-endpoint=\"{}\" data-signals=\"{}\" data-attrs=\"{}\" data-form-token=\"{}\">",
        if cfg.position == Position::Top { " ce-top" } else { "" },
        escape(lang_attr(view.lang)),
        escape(&t.reopen),
        u8::from(view.decided),
        granted_ids.join(" "),
        u8::from(view.gpc),
        escape(view.endpoint),
        signal_names(cfg).join(" "),
        crate::markup::script_attrs(),
        escape(view.token.unwrap_or("")),
    );
}

/// The dialog's title and text (with the policy link), and the GPC notice
/// of the opt-out variant.
fn push_intro(h: &mut String, view: &View, t: &Texts, variant: &str) {
    let body = match variant {
        "opt-out" => &t.body_opt_out,
        "notice" => &t.body_notice,
        _ => &t.body_opt_in,
    };
    h.push_str("<h2 id=\"ce-title\" class=\"ce-title\">");
    esc(h, &t.title);
    h.push_str("</h2><p id=\"ce-desc\">");
    esc(h, body);
    h.push_str(" <a href=\"");
    esc(h, safe_url(view.policy_url));
    h.push_str("\">");
    esc(h, &t.policy_link);
    h.push_str("</a></p>");
    if variant == "opt-out" && view.gpc {
        h.push_str("<p class=\"ce-gpc\" role=\"status\">");
        esc(h, &t.gpc_honoured);
        h.push_str("</p>");
    }
}

/// The first-layer buttons, then the toggles: opt-in offers Accept and
/// Reject side by side; the other variants one dismiss button, which
/// records the choice as shown (the current grants).
fn push_actions(h: &mut String, view: &View, t: &Texts, variant: &str) {
    h.push_str("<div class=\"ce-actions\">");
    if variant == "opt-in" {
        push_button(h, "ce-btn", "accept_all", &t.accept_all);
        push_button(h, "ce-btn", "reject_all", &t.reject_all);
    } else {
        push_button(h, "ce-btn", "save", &t.dismiss);
    }
    // Opt-in: nothing ticked before a decision.
    let ticked = |c: Category| view.grants.has(c) && (view.decided || variant != "opt-in");
    push_customize(h, view.decided, t, &ticked);
    h.push_str("</div>");
}

/// Customize: the per-category toggles, reachable without JavaScript, with
/// Save (and Withdraw once decided).
fn push_customize(h: &mut String, decided: bool, t: &Texts, ticked: &dyn Fn(Category) -> bool) {
    h.push_str("<details class=\"ce-custom\"><summary class=\"ce-btn\">");
    esc(h, &t.customize);
    h.push_str("</summary><fieldset><legend>");
    esc(h, &t.categories_legend);
    h.push_str("</legend><div class=\"ce-cat\"><span class=\"ce-cat-name\">");
    esc(h, &t.necessary);
    h.push_str("</span><span class=\"ce-always\">");
    esc(h, &t.always_on);
    h.push_str("</span><p class=\"ce-cat-desc\">");
    esc(h, &t.necessary_desc);
    h.push_str("</p></div>");
    for c in Category::OPTIONAL {
        let id = c.id();
        let _ = write!(
            h,
            "<div class=\"ce-cat\"><input type=\"checkbox\" id=\"ce-c-{id}\" name=\"{id}\" value=\"on\" aria-describedby=\"ce-d-{id}\"{}><label for=\"ce-c-{id}\">",
            if ticked(c) { " checked" } else { "" }
        );
        esc(h, t.category(c));
        let _ = write!(h, "</label><p id=\"ce-d-{id}\" class=\"ce-cat-desc\">");
        esc(h, t.category_desc(c));
        h.push_str("</p></div>");
    }
    h.push_str("</fieldset>");
    push_button(h, "ce-btn", "save", &t.save);
    if decided {
        push_button(h, "ce-btn ce-quiet", "withdraw", &t.withdraw);
    }
    h.push_str("</details>");
}

/// "Do Not Sell or Share" (opt-out variant): keeps the other current
/// grants, refuses advertising.
fn push_do_not_sell(h: &mut String, form: &PostForm, g: Grants, t: &Texts) {
    form.open(h, " class=\"ce-form ce-dns\"", "");
    for c in [Category::Functional, Category::Analytics] {
        if g.has(c) {
            let _ = write!(
                h,
                "<input type=\"hidden\" name=\"{}\" value=\"on\">",
                c.id()
            );
        }
    }
    h.push_str(
        "<button class=\"ce-btn\" type=\"submit\" name=\"action\" value=\"save\" data-ce-dns>",
    );
    esc(h, &t.do_not_sell);
    h.push_str("</button></form>");
}

/// The floating reopen control (`[banner] reopen_button`), unless off.
fn push_reopen_link(h: &mut String, cfg: &Config, t: &Texts) {
    if cfg.reopen_button == ReopenButton::Off {
        return;
    }
    let _ = write!(
        h,
        "<a href=\"#ce-dialog\" class=\"ce-reopen{}\" data-consent-open aria-controls=\"ce-dialog\">",
        if cfg.reopen_button == ReopenButton::BottomRight {
            " ce-reopen-right"
        } else {
            ""
        }
    );
    esc(h, &t.reopen);
    h.push_str("</a>");
}

/// Id of the banner's reopen form (see [`crate::filter::Page::reopen_form`]).
pub const REOPEN_FORM_ID: &str = "ce-open";

/// The form the page's `<button data-consent-open>` elements submit when
/// JavaScript is off: a GET of this same URL (its query kept, as hidden
/// fields) that lands on `#ce-dialog`, which `:target` shows. With
/// JavaScript the click is handled before any submission.
fn push_reopen_form(h: &mut String, here: &str) {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let _ = write!(
        h,
        "<form id=\"{REOPEN_FORM_ID}\" method=\"get\" action=\"{}#ce-dialog\" hidden>",
        escape(path)
    );
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let _ = write!(
            h,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(&k),
            escape(&v)
        );
    }
    h.push_str("</form>");
}

/// Shows the banner once it is complete; print keeps it hidden.
const REVEAL_CSS: &str = "@media not print{#consent-edge{display:block}}";

fn push_button(h: &mut String, class: &str, action: &str, label: &str) {
    let _ = write!(
        h,
        "<button class=\"{class}\" type=\"submit\" name=\"action\" value=\"{action}\">"
    );
    esc(h, label);
    h.push_str("</button>");
}

// ---------------------------------------------------------------------------
// Declaration and status

/// The cookie declaration for `[data-consent-declaration]`: one table per
/// category (in [`Category::ALL`] order), localized headers; duplicate
/// entries (same name and prefix flag) after the first are dropped. Prefix
/// entries show as `name*`.
pub fn declaration_html(view: &View, cfg: &Config, cookies: &[CookieDecl]) -> String {
    let t = texts(view.lang, cfg);
    let unique = unique_cookies(cookies);
    let mut h = String::new();
    let _ = write!(
        h,
        "<div class=\"ce-declaration\" lang=\"{}\">",
        escape(lang_attr(view.lang))
    );
    if unique.is_empty() {
        h.push_str("<p>");
        esc(&mut h, &t.no_cookies);
        h.push_str("</p>");
    }
    for cat in Category::ALL {
        let rows: Vec<&CookieDecl> = unique
            .iter()
            .copied()
            .filter(|c| c.category == cat)
            .collect();
        if !rows.is_empty() {
            push_declaration_table(&mut h, &t, cat, &rows);
        }
    }
    h.push_str("</div>");
    h
}

/// `cookies` without the entries whose name and prefix flag an earlier one
/// already has, in order.
fn unique_cookies(cookies: &[CookieDecl]) -> Vec<&CookieDecl> {
    let mut unique: Vec<&CookieDecl> = Vec::new();
    for c in cookies {
        if !unique
            .iter()
            .any(|u| u.name == c.name && u.prefix == c.prefix)
        {
            unique.push(c);
        }
    }
    unique
}

/// One category's section of the declaration: heading, description and
/// the table of its cookies.
fn push_declaration_table(h: &mut String, t: &Texts, cat: Category, rows: &[&CookieDecl]) {
    let id = cat.id();
    let _ = write!(
        h,
        "<section class=\"ce-decl-cat\" data-category=\"{id}\"><h3 id=\"ce-decl-{id}\">"
    );
    esc(h, t.category(cat));
    h.push_str("</h3><p>");
    esc(h, t.category_desc(cat));
    let _ = write!(h, "</p><table aria-labelledby=\"ce-decl-{id}\"><thead><tr>");
    for col in [
        &t.col_name,
        &t.col_provider,
        &t.col_purpose,
        &t.col_duration,
        &t.col_party,
    ] {
        h.push_str("<th scope=\"col\">");
        esc(h, col);
        h.push_str("</th>");
    }
    h.push_str("</tr></thead><tbody>");
    for c in rows {
        h.push_str("<tr><th scope=\"row\"><code>");
        esc(h, &c.name);
        if c.prefix {
            h.push('*');
        }
        h.push_str("</code></th>");
        let party = if c.third_party {
            &t.third_party
        } else {
            &t.first_party
        };
        for cell in [&c.provider, &c.purpose, &c.duration, party] {
            h.push_str("<td>");
            esc(h, cell);
            h.push_str("</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></section>");
}

/// The consent status for `[data-consent-status]`: consent id, date
/// (ISO 8601 UTC) and method of the decision (or "no choice yet"; both are
/// rendered, the one not in force `hidden`, so the script can swap them), the
/// current state per category, a change control (`data-consent-open`) and a
/// withdraw form (no-JS POST `action=withdraw`; the banner script posts JSON).
pub fn status_html(view: &View, cfg: &Config) -> String {
    let t = texts(view.lang, cfg);
    let mut h = String::new();
    let _ = write!(
        h,
        "<div class=\"ce-status\" lang=\"{}\" data-jurisdiction=\"{}\">",
        escape(lang_attr(view.lang)),
        escape(view.jurisdiction)
    );
    push_decision_meta(&mut h, view.decision, &t);
    if view.decision.is_some() && view.residual > 0 {
        push_residual(&mut h, view.residual, &t);
    }
    push_category_states(&mut h, view.grants, &t);
    h.push_str("<p><a href=\"#ce-dialog\" data-consent-open=\"customize\">");
    esc(&mut h, &t.change);
    h.push_str("</a></p>");
    PostForm::of(view).open(&mut h, "", " data-consent-form");
    h.push_str("<button type=\"submit\" name=\"action\" value=\"withdraw\">");
    esc(&mut h, &t.withdraw);
    h.push_str("</button></form></div>");
    h
}

/// The decision's id, date and method, and the "no choice yet" line.
/// Both are always there, one of them `hidden`: the banner script fills in
/// and swaps them when a choice is made on this page without a reload.
fn push_decision_meta(h: &mut String, decision: Option<&Decision>, t: &Texts) {
    let (id, iso, method) = match decision {
        Some(d) => (
            d.consent_id.as_str(),
            iso8601(d.decided_at),
            t.method_label(d.method),
        ),
        None => ("", String::new(), ""),
    };
    let decided = decision.is_some();
    let _ = write!(
        h,
        "<p data-consent-field=\"undecided\"{}>",
        if decided { " hidden" } else { "" }
    );
    esc(h, &t.undecided);
    let _ = write!(
        h,
        "</p><dl class=\"ce-status-meta\" data-consent-field=\"meta\"{}><dt>",
        if decided { "" } else { " hidden" }
    );
    esc(h, &t.consent_id);
    h.push_str("</dt><dd><code data-consent-field=\"id\">");
    esc(h, id);
    h.push_str("</code></dd><dt>");
    esc(h, &t.date);
    let _ = write!(
        h,
        "</dt><dd><time data-consent-field=\"date\" datetime=\"{iso}\">{iso}</time></dd><dt>"
    );
    esc(h, &t.method);
    h.push_str("</dt><dd data-consent-field=\"method\"");
    // Every method's label, for the script (`data-method-<id>`).
    for m in Method::ALL {
        let _ = write!(h, " data-method-{}=\"", m.id().replace('_', "-"));
        esc(h, t.method_label(m));
        h.push('"');
    }
    h.push('>');
    esc(h, method);
    h.push_str("</dd></dl>");
}

/// The residual audit: the browser kept `count` refused cookies despite the
/// expiries; this response deletes them again.
fn push_residual(h: &mut String, count: usize, t: &Texts) {
    let _ = write!(
        h,
        "<p class=\"ce-status-residual\" data-consent-field=\"residual\" data-count=\"{count}\">"
    );
    esc(h, &t.residual.replace("{count}", &count.to_string()));
    h.push_str("</p>");
}

/// Granted or refused, per category, with both words for the script
/// (`data-on`/`data-off`).
fn push_category_states(h: &mut String, grants: Grants, t: &Texts) {
    h.push_str("<p class=\"ce-status-heading\"><strong>");
    esc(h, &t.status_heading);
    h.push_str("</strong></p><dl class=\"ce-status-state\">");
    for c in Category::ALL {
        h.push_str("<dt>");
        esc(h, t.category(c));
        let _ = write!(h, "</dt><dd data-consent-state=\"{}\" data-on=\"", c.id());
        esc(h, &t.granted);
        h.push_str("\" data-off=\"");
        esc(h, &t.refused);
        h.push_str("\">");
        esc(
            h,
            if grants.has(c) {
                &t.granted
            } else {
                &t.refused
            },
        );
        h.push_str("</dd>");
    }
    h.push_str("</dl>");
}

#[cfg(test)]
mod tests;
