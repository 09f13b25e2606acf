//! `<iframe srcdoc>`: the attribute is a whole document, filtered with a
//! nested [`Filter`] (same grants and mode, no injection, no placeholders).

use crate::consent::Category;
use crate::filter::policy::{add_category, category_label, Ctx};
use crate::filter::{Blocking, Config, Filter, Page};
use crate::html::{decode_attribute, escape_attr};
use crate::markup;
use lol_html::html_content::Element;

/// How many `srcdoc` levels are filtered: the iframe's document (1) and an
/// iframe's `srcdoc` inside it (2). A `srcdoc` deeper than that is emptied
/// when something could be refused (every category granted: left as is).
pub(in crate::filter) const MAX_SRCDOC_DEPTH: u8 = 2;

/// Filters an iframe's `srcdoc`.
///
/// Nothing changed: the attribute is left byte for byte. Otherwise `srcdoc`
/// gets the filtered document, and when something was refused, in
/// neutralize mode, the original value moves to `data-consent-srcdoc` and
/// `data-consent-category` names the strictest refused category (the banner
/// swaps it back). Not at nested levels: there is no banner inside.
pub(super) fn handle_srcdoc(ctx: &Ctx, el: &mut Element) {
    let Some(raw) = el.get_attribute("srcdoc") else {
        return;
    };
    let doc = decode_attribute(&raw);
    let (filtered, refused) = if ctx.depth >= MAX_SRCDOC_DEPTH {
        match ctx.strictest_refused() {
            Some(c) if doc.contains('<') => (String::new(), Some(c)),
            _ => return,
        }
    } else {
        filter_srcdoc(ctx, &doc)
    };
    if refused.is_none() && filtered == doc {
        return;
    }
    let _ = el.set_attribute("srcdoc", &escape_attr(&filtered));
    let Some(cat) = refused else { return };
    ctx.saw(cat);
    if ctx.blocking == Blocking::Remove || ctx.depth > 0 {
        return;
    }
    // The iframe's own `src`, or its author tag, may already ask for one.
    // (a list: the element waits for all of them and the srcdoc's).
    let mut cats = el
        .get_attribute(markup::CATEGORY)
        .or_else(|| el.get_attribute(markup::CONSENT))
        .map(|c| super::author::declared(&c))
        .unwrap_or_default();
    add_category(&mut cats, cat);
    let _ = el.set_attribute(&markup::stash("srcdoc"), &raw);
    let _ = el.set_attribute(markup::CATEGORY, &category_label(&cats));
    ctx.stamp(el);
}

/// Runs a `srcdoc` document through a nested [`Filter`]: the filtered
/// document and the strictest category refused in it. A document the nested
/// filter cannot finish (memory limit) comes back truncated, as the
/// strictest category the visitor has not granted.
pub(in crate::filter) fn filter_srcdoc(ctx: &Ctx, doc: &str) -> (String, Option<Category>) {
    let cfg = Config {
        blocking: ctx.blocking,
        memory_limit: ctx.memory_limit,
        max_held_bytes: ctx.max_held,
    };
    let page = Page {
        grants: ctx.grants,
        allow_vendors: ctx.allow_vendors.clone(),
        site_host: ctx.site_host.clone(),
        ..Page::default()
    };
    let mut f = Filter::nested(ctx.catalog, &cfg, page, Some("utf-8"), ctx.depth + 1);
    let inner = f.ctx.clone();
    // about:srcdoc's fallback base is its container's document base.
    *inner.base.borrow_mut() = ctx.base.borrow().clone();
    let mut out = f.write(doc.as_bytes());
    let (tail, failed) = f.finish();
    out.extend(tail);
    let mut refused = inner.refused_seen.get();
    if failed {
        refused = refused.max(ctx.strictest_refused());
    }
    let out = match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    (out, refused)
}
