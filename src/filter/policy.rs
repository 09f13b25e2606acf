//! The per-response policy: which vendor is refused, for which URL, and the
//! placeholder shown for a refused iframe.

use super::{Blocking, Config, Page};
use crate::consent::{Category, Grants};
use crate::html::escape_text;
use crate::markup;
use crate::trackers::{Catalog, Vendor};
use std::cell::Cell;

/// Per-response facts every handler reads.
pub(super) struct Ctx {
    pub(super) catalog: &'static Catalog,
    pub(super) grants: Grants,
    pub(super) allow_vendors: Vec<String>,
    pub(super) site_host: String,
    pub(super) blocking: Blocking,
    pub(super) max_held: usize,
    pub(super) max_sig: usize,
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
            max_sig: catalog.max_signature_len(),
            scan_scripts: false,
            placeholder_text: std::mem::take(&mut page.placeholder_text),
            allow_text: std::mem::take(&mut page.allow_text),
            labels: std::mem::take(&mut page.category_labels),
            memory_limit: cfg.memory_limit,
            depth,
            refused_seen: Cell::new(None),
        };
        ctx.scan_scripts = catalog
            .vendors()
            .iter()
            .any(|v| !v.scripts.is_empty() && ctx.refused(v));
        ctx
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

    /// The refused vendor a URL points at.
    pub(super) fn refused_url(&self, url: &str) -> Option<&'static Vendor> {
        self.catalog.match_url(url).filter(|v| self.refused(v))
    }

    /// Same for a script `src` (whose attributes `has_attr` tells: a
    /// self-hosted script is recognised by one), including the unknown
    /// third-party policy (`trackers/classify.rs`).
    pub(super) fn refused_script_src(
        &self,
        url: &str,
        has_attr: &dyn Fn(&str) -> bool,
    ) -> Option<&'static Vendor> {
        self.catalog
            .classify_script_src(url, has_attr, &self.site_host)
            .filter(|v| self.refused(v))
    }

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
        format!(
            "<div class=\"consent-edge-placeholder\" {}=\"{cat}\" {}=\"{}\"><p>{}</p><button type=\"button\" {}=\"{cat}\">{}</button></div>",
            markup::PLACEHOLDER,
            markup::VENDOR,
            escape_text(&v.id),
            escape_text(&text),
            markup::ALLOW,
            escape_text(&self.allow_text)
        )
    }
}
