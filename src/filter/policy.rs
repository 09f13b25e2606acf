//! The per-response policy: which vendor is refused, for which URL, and the
//! placeholder shown for a refused iframe.

use super::{Blocking, Config, Page};
use crate::consent::{Category, Grants};
use crate::html::escape_text;
use crate::markup;
use crate::trackers::{with_host_path, Catalog, Vendor};
use std::cell::{Cell, RefCell};
use url::Url;

/// Per-response facts every handler reads.
pub(super) struct Ctx {
    pub(super) catalog: &'static Catalog,
    pub(super) grants: Grants,
    pub(super) allow_vendors: Vec<String>,
    pub(super) site_host: String,
    pub(super) blocking: Blocking,
    pub(super) max_held: usize,
    /// Some refused vendor has script signatures: inline scripts are worth
    /// scanning (when everything is granted they are only held).
    pub(super) scan_scripts: bool,
    placeholder_text: String,
    allow_text: String,
    labels: [String; 4],
    /// lol_html memory limit, for the nested rewriters of `srcdoc` documents.
    pub(super) memory_limit: usize,
    /// 0 for the response; 1 inside an `<iframe srcdoc>`, 2 inside a srcdoc
    /// in a srcdoc (see [`super::handlers::srcdoc::MAX_SRCDOC_DEPTH`]).
    pub(super) depth: u8,
    /// The strictest category of what this rewriter neutralised or removed
    /// (read by the parent of a `srcdoc` document).
    pub(super) refused_seen: Cell<Option<Category>>,
    /// The document base URL when a `<base href>` made it third-party
    /// (absolute, another host than the page): relative URLs after it are
    /// resolved against it before matching. `None`: relative URLs are
    /// first-party. A `srcdoc` document inherits its container's.
    pub(super) base: RefCell<Option<Url>>,
    /// This document's own first `<base href>` was seen (later ones do
    /// not count, HTML §2.4.1 "document base URL").
    pub(super) base_seen: Cell<bool>,
    /// [`Page::token`]: stamped on every neutralised element ([`Ctx::stamp`]).
    pub(super) token: String,
}

impl Ctx {
    /// The policy for one document: `page`'s grants and texts (its injected
    /// HTML is not used here), `depth` `srcdoc` levels down.
    pub(super) fn new(catalog: &'static Catalog, cfg: &Config, page: &mut Page, depth: u8) -> Ctx {
        let mut ctx = Ctx {
            catalog,
            grants: page.grants,
            allow_vendors: std::mem::take(&mut page.allow_vendors),
            site_host: std::mem::take(&mut page.site_host),
            blocking: cfg.blocking,
            max_held: cfg.max_held_bytes.max(1024),
            scan_scripts: false,
            placeholder_text: std::mem::take(&mut page.placeholder_text),
            allow_text: std::mem::take(&mut page.allow_text),
            labels: std::mem::take(&mut page.category_labels),
            memory_limit: cfg.memory_limit,
            depth,
            refused_seen: Cell::new(None),
            base: RefCell::new(None),
            base_seen: Cell::new(false),
            token: std::mem::take(&mut page.token),
        };
        ctx.scan_scripts = catalog
            .vendors()
            .iter()
            .any(|v| !v.scripts.is_empty() && ctx.refused(v));
        ctx
    }

    /// Marks an element the filter neutralised in this response with the
    /// response's activation token ([`markup::TOKEN`]); the one place every
    /// neutralising handler calls, so the banner script can tell the
    /// filter's inert elements from look-alike page markup.
    pub(super) fn stamp(&self, el: &mut lol_html::html_content::Element) {
        if !self.token.is_empty() {
            let _ = el.set_attribute(markup::TOKEN, &self.token);
        }
    }

    /// Notes that a tracker of category `c` was neutralised or removed.
    pub(super) fn saw(&self, c: Category) {
        if self.refused_seen.get().is_none_or(|s| s < c) {
            self.refused_seen.set(Some(c));
        }
    }

    /// The strictest category the visitor has not granted.
    pub(super) fn strictest_refused(&self) -> Option<Category> {
        Category::ALL
            .iter()
            .rev()
            .copied()
            .find(|c| *c != Category::Necessary && !self.grants.has(*c))
    }

    /// Whether vendor `v` is refused: not allowed outright, not necessary,
    /// its category not granted and not allowed on this route.
    pub(super) fn refused(&self, v: &Vendor) -> bool {
        !v.allowed
            && v.category != Category::Necessary
            && !self.grants.has(v.category)
            && !self.allow_vendors.contains(&v.id)
    }

    /// The refused vendor a URL points at (a relative URL resolved against
    /// a third-party `<base href>` first).
    pub(super) fn refused_url(&self, url: &str) -> Option<&'static Vendor> {
        let resolved = self.resolve_against_base(url);
        self.catalog
            .classify_url(resolved.as_deref().unwrap_or(url), &|_| false)
            .filter(|v| self.refused(v))
    }

    /// `url` resolved against the document's third-party `<base href>` when
    /// it is relative and such a base was seen (`None`: use it as written).
    fn resolve_against_base(&self, url: &str) -> Option<String> {
        // Without a third-party base (most pages) there is nothing to do:
        // asked first, it spares parsing every URL twice (the caller
        // parses it again to classify it).
        let base = self.base.borrow();
        let base = base.as_ref()?;
        if with_host_path(url, |_, _| ()).is_some() {
            return None;
        }
        base.join(&crate::html::decode_attribute(url))
            .ok()
            .map(|u| u.to_string())
    }

    /// Records the document's first `<base href>` (raw attribute value):
    /// an absolute one on another host than the page becomes the base
    /// relative URLs are resolved against.
    pub(super) fn set_base(&self, href: &str) {
        if self.base_seen.replace(true) {
            return;
        }
        const PAGE: &str = "first-party.invalid";
        let site = self.site_host.trim_end_matches('.').to_ascii_lowercase();
        let page = if site.is_empty() { PAGE } else { site.as_str() };
        let fallback = self
            .base
            .borrow()
            .clone()
            .or_else(|| Url::parse(&format!("https://{page}/")).ok());
        let Some(fallback) = fallback else { return };
        let Ok(u) = fallback.join(&crate::html::decode_attribute(href)) else {
            return;
        };
        let third_party = u
            .host_str()
            .is_some_and(|h| h != PAGE && !self.catalog.is_first_party(h, &self.site_host));
        *self.base.borrow_mut() = third_party.then_some(u);
    }

    /// Whether every category of `cats` is granted (`necessary` always is).
    pub(super) fn all_granted(&self, cats: &[Category]) -> bool {
        cats.iter()
            .all(|c| *c == Category::Necessary || self.grants.has(*c))
    }

    /// Same for a script `src` (whose attributes `has_attr` tells: a
    /// self-hosted script is recognised by one), including the unknown
    /// third-party policy (`trackers/classify.rs`); a relative URL after a
    /// third-party `<base href>` is resolved against it first.
    pub(super) fn refused_script_src(
        &self,
        url: &str,
        has_attr: &dyn Fn(&str) -> bool,
    ) -> Option<&'static Vendor> {
        let resolved = self.resolve_against_base(url);
        self.catalog
            .classify_script_src(
                resolved.as_deref().unwrap_or(url),
                has_attr,
                &self.site_host,
            )
            .filter(|v| self.refused(v))
    }
}

/// The `data-consent-category` value for an element that waits for every
/// category of `cats`: their ids, strictest last, space separated (the
/// banner's script activates it only when all are granted).
pub(super) fn category_label(cats: &[Category]) -> String {
    let mut c = cats.to_vec();
    c.sort();
    c.dedup();
    c.iter().map(|c| c.id()).collect::<Vec<_>>().join(" ")
}

/// Adds `c` to `cats` unless it is there.
pub(super) fn add_category(cats: &mut Vec<Category>, c: Category) {
    if !cats.contains(&c) {
        cats.push(c);
    }
}

impl Ctx {
    fn label(&self, c: Category) -> &str {
        let i = Category::ALL.iter().position(|x| *x == c).unwrap_or(0);
        &self.labels[i]
    }

    /// The placeholder put before a refused iframe: the page's text and an
    /// "Allow" button the banner script wires up.
    pub(super) fn placeholder(&self, v: &Vendor) -> String {
        let cat = v.category.id();
        let text = self
            .placeholder_text
            .replace("{vendor}", &v.name)
            .replace("{category}", self.label(v.category));
        // The activation token: the banner honours only placeholders of this
        // response (a forged one in page markup cannot grant anything).
        let tok = if self.token.is_empty() {
            String::new()
        } else {
            format!(" {}=\"{}\"", markup::TOKEN, escape_text(&self.token))
        };
        format!(
            "<div class=\"consent-edge-placeholder\" {}=\"{cat}\" {}=\"{}\"{tok}><p>{}</p><button type=\"button\" {}=\"{cat}\">{}</button></div>",
            markup::PLACEHOLDER,
            markup::VENDOR,
            escape_text(&v.id),
            escape_text(&text),
            markup::ALLOW,
            escape_text(&self.allow_text)
        )
    }
}
