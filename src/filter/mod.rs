//! The lol_html streaming rewriter that neutralises refused trackers.
//!
//! One [`Filter`] per HTML response: [`Filter::new`], then [`Filter::write`]
//! for every chunk of the origin's body (each call returns the transformed
//! bytes that can be sent on right away), then [`Filter::end`].
//!
//! # What it does
//!
//! For every vendor of the [`Catalog`] whose category the visitor has not
//! granted (and that is not allowed outright, by `[trackers] allow` or by the
//! route's `allow_vendors`):
//!
//! | markup | neutralised as (`[filter] blocking = "neutralize"`) |
//! |---|---|
//! | `<script src=tracker>` | `type="text/plain"`, `data-consent-category`, `data-consent-vendor`, original `type` kept in `data-consent-type` |
//! | inline `<script>` (JavaScript types only) whose text contains a vendor's snippet signature | same as above (the start tag is rewritten) |
//! | `img`, `video`, `audio`, `source`, `embed`, `object`, `link` (preconnect, dns-prefetch, preload, prefetch, modulepreload, prerender, stylesheet), `a[ping]` | the URL attribute moves to `data-consent-src` / `-srcset` / `-data` / `-href` / `-ping` / `-poster`, plus `data-consent-category` and `data-consent-vendor` |
//! | `<iframe src=tracker>` | as media, plus `hidden data-consent-hidden`, and a placeholder `div.consent-edge-placeholder` with an "Allow" button right before it |
//! | `<noscript>` content (raw text to the parser) | parsed as a fragment and the tracker `img`/`iframe`/… in it neutralised the same way (no placeholder) |
//! | every element above when neutralised, and the iframe placeholder | also `data-consent-token` = [`Page::token`], the response's activation token: the banner script activates nothing else |
//! | `<iframe srcdoc>` (a whole document in an attribute) | the value, entity-decoded, is filtered by a nested filter (scripts, snippets, media, noscript: everything above; no placeholder, no injection) and written back into `srcdoc`; the original value moves to `data-consent-srcdoc` and `data-consent-category` names the strictest category refused inside (the iframe stays visible) |
//!
//! | `<image>`, `<input type=image>`, `track`, `frame`, `background=` (any element), `<link rel=icon/apple-touch-icon/manifest>`, `imagesrcset`, SVG `image`/`feImage`/`use`/`script` (`href`, `xlink:href`), lazy-load `data-src`/`data-srcset`/… | as media (`xlink:href` → `data-consent-href`; an SVG script also `type="text/plain"`) |
//! | `style=` with a refused `url()`/`@import`/`image-set()` (see `css.rs`) | moved to `data-consent-style` |
//! | `<style>` with one | left empty; its text follows in an inert `<template data-consent-style data-consent-category>` |
//! | `<base href>` | the first one resolves every later relative URL before matching; one at a refused vendor is neutralised; later ones lose `href` |
//!
//! An element with several refused vendors waits for all their categories
//! (`data-consent-category` lists them, space separated).
//!
//! With `blocking = "remove"` the element is dropped entirely instead.
//! (For `srcdoc`: the trackers inside are dropped, no original is kept.)
//!
//! A `srcdoc` in which nothing is refused is left byte for byte (unless an
//! author-tagged element in it is activated). A `srcdoc` inside a `srcdoc`
//! is filtered too; one more level down (`MAX_SRCDOC_DEPTH`) the value is
//! emptied unless every category is granted. Named character references in
//! `srcdoc` are decoded only where they stand for ASCII (all numeric ones
//! are): what any markup or tracker URL is made of.
//!
//! Author-tagged elements (`<script type="text/plain" data-consent="analytics">`,
//! `<img data-consent="functional" data-consent-src=…>`) are activated when
//! their category is granted (`type` restored from `data-consent-type` or
//! removed; `data-consent-src` → `src`, and likewise for srcset, data, href,
//! ping, poster; only http(s) or relative URLs; never for `necessary`) and
//! left inert otherwise. `data-consent` is no exemption: their URLs are
//! still matched against the catalog, and a live one whose categories are
//! not all granted is neutralised (see `handlers/author.rs`).
//!
//! The filter also inserts [`Page::head_start`] (the client guard, then the
//! consent signals) right after the `<head>` start tag, or right before the
//! first `<script>` or `<body>` when no `<head>` tag precedes them, so it
//! runs before every page script however the document is shaped; [`Page::body_end`]
//! right before `</body>` (at the end of the document if there is none), and
//! fills elements carrying `data-consent-declaration` / `data-consent-status`.
//!
//! # Streaming
//!
//! Output leaves as soon as lol_html has produced it, with one exception: the
//! text of an inline JavaScript `<script>` (and of a `<noscript>`) is held back
//! from its start tag until either a refused vendor's signature is found in
//! it (the start tag is rewritten and everything is released), or its end tag
//! arrives. A script longer than `[filter] max_held_bytes` fails closed: it
//! is neutralised as the unknown vendor of the strictest refused category
//! (signatures further in are never scanned; see `hold.rs`); a
//! `<noscript>` that long has its content dropped. Import maps are held
//! and judged the same way; event handlers, `javascript:`/`data:` URLs,
//! `<meta refresh>` and the nested-foreign-content fail-safe are in
//! `code.rs`.
//!
//! # When the memory limit trips (fail-safe)
//!
//! lol_html runs with `[filter] memory_limit` and graceful bail-out. If the
//! limit is exceeded (or the parser meets markup it cannot parse safely, or any
//! handler fails) the visitor gets: everything already emitted (filtered), held
//! bytes of a pending script or noscript are discarded, then the raw-text
//! element that was open is closed (`</script>`, `</style>`, …), a comment
//! `<!--consent-edge: document truncated-->` and [`Page::body_end`] (the banner)
//! if it was not emitted yet. The rest of the origin's document is **not** sent:
//! unfiltered tracker markup never passes. Further [`Filter::write`] calls
//! return nothing.
//!
//! # Charsets
//!
//! The charset comes from the `Content-Type` header
//! ([`charset_from_content_type`]); without one, lol_html follows
//! `<meta charset>`. Untouched markup passes byte for byte in any
//! ASCII-compatible encoding (windows-1252, ISO-8859-x, Shift_JIS, …);
//! inserted text is encoded into the page's charset (numeric character
//! references for what it cannot represent).
//! Bodies in an encoding that is not ASCII-compatible (UTF-16, ISO-2022-JP,
//! a BOM contradicting the header) are decoded to UTF-8 before they reach
//! the filter: `crate::proxy::DocumentBody`.
//!
//! # Layout
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | [`Filter`], [`Page`], [`charset_from_content_type`]: the public API |
//! | `config.rs` | `[filter]` in `consent.toml` ([`Config`], [`Blocking`]) |
//! | `policy.rs` | what is refused for this response (with the document's `<base>`), the iframe placeholder |
//! | `css.rs` | the URLs of a piece of CSS |
//! | `hold.rs` | the output buffer and the hold of inline scripts / noscripts |
//! | `handlers/` | one file per kind of element: media, script, author tags, srcdoc, injection |
//! | `code.rs` | code outside script text: `on*` handlers, `javascript:`/`data:` URLs, `<meta refresh>`, import maps, the nested-foreign-content fail-safe |
//! | `failsafe.rs` | the clean end after a bail-out |

mod code;
mod config;
mod css;
mod failsafe;
mod handlers;
mod hold;
mod policy;
mod source;

pub use config::{Blocking, Config};

use crate::consent::Grants;
use crate::trackers::Catalog;
use encoding_rs::Encoding;
use handlers::inject::{early_handlers, injection_handlers, Injection};
use handlers::{tracker_handlers, Rewriting};
use hold::{Core, SharedCore, Sink};
use lol_html::{AsciiCompatibleEncoding, HtmlRewriter, MemorySettings, Settings};
use policy::Ctx;
use std::cell::RefCell;
use std::rc::Rc;

/// Everything one response needs.
#[derive(Debug, Clone)]
pub struct Page {
    /// The visitor's granted categories.
    pub grants: Grants,
    /// Vendor ids allowed outright on this route.
    pub allow_vendors: Vec<String>,
    /// Host of the page (e.g. `www.example.com`); scripts from it (or its
    /// subdomains, `www.` ignored) are first-party for the unknown-script
    /// policy. Empty: only relative URLs and `[trackers] first_party` are.
    pub site_host: String,
    /// Raw HTML inserted right after the `<head>` start tag (consent signals).
    pub head_start: String,
    /// Raw HTML inserted before `</body>` (the banner); at the end of the
    /// document if there is no `</body>`.
    pub body_end: String,
    /// Inner HTML of every element with `data-consent-declaration`.
    pub declaration_html: Option<String>,
    /// Inner HTML of every element with `data-consent-status`.
    pub status_html: Option<String>,
    /// Id of a form that every `<button data-consent-open>` is made to
    /// submit (`type="submit" form="…"`), so the page's own "cookie
    /// settings" buttons reopen the banner without JavaScript too. `None`:
    /// buttons untouched (no banner on the page).
    pub reopen_form: Option<&'static str>,
    /// Placeholder text for blocked iframes; `{vendor}` and `{category}` are
    /// replaced (everything is HTML-escaped).
    pub placeholder_text: String,
    /// Text of the placeholder's button.
    pub allow_text: String,
    /// Localised category labels, in [`Category::ALL`](crate::consent::Category::ALL) order.
    pub category_labels: [String; 4],
    /// The per-response activation token (random, from
    /// [`crate::banner::page`]): every element the filter neutralises
    /// carries it in `data-consent-token`, and the banner script activates
    /// nothing else. Empty: no token written (the script then activates
    /// nothing, fail closed).
    pub token: String,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            grants: Grants::NECESSARY_ONLY,
            allow_vendors: Vec::new(),
            site_host: String::new(),
            head_start: String::new(),
            body_end: String::new(),
            declaration_html: None,
            status_html: None,
            reopen_form: None,
            placeholder_text: "This {vendor} content needs {category} cookies.".into(),
            allow_text: "Allow".into(),
            category_labels: [
                "Necessary".into(),
                "Functional".into(),
                "Analytics".into(),
                "Advertising".into(),
            ],
            token: String::new(),
        }
    }
}

/// The charset named by a `Content-Type` header value, if lol_html can
/// rewrite it (ASCII-compatible). Returns the WHATWG encoding name.
///
/// The header is parsed by the `mime` crate, as lol_html itself does; a
/// value it cannot parse names no charset (lol_html then follows
/// `<meta charset>`).
pub fn charset_from_content_type(ct: &str) -> Option<&'static str> {
    let enc = charset_encoding(ct)?;
    Some(enc.name())
}

fn charset_encoding(ct: &str) -> Option<&'static Encoding> {
    let media: mime::Mime = ct.trim().parse().ok()?;
    let label = media.get_param(mime::CHARSET)?;
    let enc = Encoding::for_label_no_replacement(label.as_str().as_bytes())?;
    AsciiCompatibleEncoding::new(enc).map(|_| enc)
}

/// The streaming consent filter for one HTML response.
pub struct Filter {
    rewriter: Option<HtmlRewriter<'static, Sink>>,
    core: SharedCore,
    ctx: Rc<Ctx>,
    body_end: Rc<str>,
    /// The last chunks written, for the element handler ([`source`]).
    source: source::SharedSource,
    failed: bool,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("failed", &self.failed)
            .finish()
    }
}

impl Filter {
    /// A filter for one response. `charset` is the `Content-Type` charset
    /// (see [`charset_from_content_type`]); `None` lets `<meta charset>` decide.
    pub fn new(
        catalog: &'static Catalog,
        cfg: &Config,
        page: Page,
        charset: Option<&str>,
    ) -> Filter {
        Filter::nested(catalog, cfg, page, charset, 0)
    }

    /// [`Filter::new`] for a document `depth` `srcdoc` levels down.
    fn nested(
        catalog: &'static Catalog,
        cfg: &Config,
        mut page: Page,
        charset: Option<&str>,
        depth: u8,
    ) -> Filter {
        let ctx = Rc::new(Ctx::new(catalog, cfg, &mut page, depth));
        let header_enc = charset.and_then(|c| {
            let e = Encoding::for_label_no_replacement(c.trim().as_bytes())?;
            AsciiCompatibleEncoding::new(e)
        });
        let enc = header_enc.unwrap_or_else(AsciiCompatibleEncoding::utf_8);
        let injection = Injection {
            head_start: Rc::from(page.head_start),
            body_end: Rc::from(page.body_end),
            declaration_html: page.declaration_html,
            status_html: page.status_html,
            reopen_form: page.reopen_form,
        };
        let body_end = injection.body_end.clone();
        let core = Rc::new(RefCell::new(Core::new(
            enc.into(),
            injection.head_start.is_empty(),
            body_end.is_empty(),
        )));
        // lol_html runs the handlers of one element in the order they were
        // registered: trackers first, then raw-text tracking, then injection.
        let s = base_settings(cfg, enc, header_enc.is_none());
        let source = source::SharedSource::default();
        let s = early_handlers(s, &injection.head_start, &core);
        let s = tracker_handlers(s, &ctx, &core, &source);
        let s = failsafe::failsafe_handlers(s, &ctx, &core, &body_end);
        let s = injection_handlers(s, injection, &core);
        let sink = Sink {
            core: core.clone(),
            ctx: ctx.clone(),
        };
        Filter {
            rewriter: Some(HtmlRewriter::new(s, sink)),
            core,
            ctx,
            body_end,
            source,
            failed: false,
        }
    }

    /// Feeds a chunk of the origin's body; returns the transformed bytes
    /// available so far.
    pub fn write(&mut self, chunk: &[u8]) -> Vec<u8> {
        if let Some(rw) = self.rewriter.as_mut() {
            self.source.borrow_mut().push(chunk);
            if rw.write(chunk).is_err() {
                self.rewriter = None;
                self.fail();
            }
        }
        self.take(false)
    }

    /// Ends the document; returns the remaining bytes.
    pub fn end(self) -> Vec<u8> {
        self.finish().0
    }

    /// [`Filter::end`], and whether the filter failed (see [`Filter::failed`]).
    fn finish(mut self) -> (Vec<u8>, bool) {
        if let Some(rw) = self.rewriter.take() {
            if rw.end().is_err() {
                self.fail();
            }
        }
        let mut core = self.core.borrow_mut();
        if let Some(h) = core.hold.take() {
            // Cannot happen after a clean end (the end handler resolves it).
            core.out.truncate(h.mark);
        }
        drop(core);
        (self.take(true), self.failed)
    }

    /// Ends the document HERE, as the fail-safe does (see the module docs:
    /// held bytes dropped, an open raw-text element closed, the truncation
    /// comment, the banner): for a caller that must not send the rest of
    /// the origin's body (`crate::proxy::DocumentBody`).
    pub fn cut(mut self) -> Vec<u8> {
        if self.rewriter.take().is_some() {
            self.fail();
        }
        self.finish().0
    }

    /// Whether the filter had to stop early (memory limit, unparseable
    /// markup); see the module docs for what the visitor gets.
    pub fn failed(&self) -> bool {
        self.failed
    }

    fn take(&mut self, all: bool) -> Vec<u8> {
        let mut core = self.core.borrow_mut();
        let n = match (&core.hold, all) {
            (Some(h), false) => h.mark,
            _ => core.out.len(),
        };
        // Copy out, then shift what is still held to the front (two memcpys;
        // collecting the `drain` iterator would copy byte by byte).
        let taken = core.out[..n].to_vec();
        core.out.drain(..n);
        if let Some(h) = core.hold.as_mut() {
            h.mark -= n;
        }
        taken
    }

    fn fail(&mut self) {
        self.failed = true;
        failsafe::truncate(&self.core, &self.body_end);
    }
}

/// The rewriter's settings before any handler: the page's encoding (and
/// whether `<meta charset>` may change it), the memory limit, and graceful
/// bail-out (see [`failsafe`]) instead of an error mid-document.
fn base_settings(cfg: &Config, enc: AsciiCompatibleEncoding, follow_meta: bool) -> Rewriting {
    Settings::new()
        .with_encoding(enc)
        .with_adjust_charset_on_meta_tag(follow_meta)
        .with_memory_settings(
            MemorySettings::new()
                .with_max_allowed_memory_usage(cfg.memory_limit.max(4096))
                .with_graceful_bail_out_on_memory_limit_exceeded(true),
        )
        .with_graceful_bail_out_on_content_handler_error(true)
}
