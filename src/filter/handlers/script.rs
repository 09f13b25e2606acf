//! `<script>` (external: by its `src`; inline: held and scanned for vendor
//! signatures, see [`crate::filter::hold`]) and `<noscript>` (held, then its
//! raw content rewritten as a fragment).

use super::author::handle_author_tagged;
use crate::filter::hold::{HoldKind, SharedCore};
use crate::filter::policy::Ctx;
use crate::filter::Blocking;
use crate::markup;
use crate::trackers::Vendor;
use lol_html::html_content::{Element, EndTag};
use lol_html::HandlerResult;
use std::rc::Rc;

/// Every `<script>` of the document.
pub(super) fn handle_script(ctx: &Rc<Ctx>, core: &SharedCore, el: &mut Element) -> HandlerResult {
    if el.has_attribute(markup::CONSENT) {
        // What a `script[data-consent]` author-tag handler would do.
        handle_author_tagged(ctx, el, "script");
        return Ok(());
    }
    let ty = el.get_attribute("type");
    if !is_js_type(ty.as_deref(), el.get_attribute("language").as_deref()) {
        return Ok(());
    }
    if let Some(src) = el.get_attribute("src") {
        let refused = ctx.refused_script_src(&src, &|name| el.has_attribute(name));
        if let Some(v) = refused {
            neutralize_script_src(ctx, el, v);
        }
        return Ok(());
    }
    // Inline script: hold its text until we know.
    {
        let mut c = core.borrow_mut();
        c.open_raw = Some("script");
        if c.hold.is_none() && !c.dropping {
            let attrs = el
                .attributes()
                .iter()
                .map(|a| (a.name_preserve_case(), a.value()))
                .collect();
            c.start_hold(HoldKind::Script(attrs));
        }
    }
    let (k, c2) = (core.clone(), ctx.clone());
    el.on_end_tag(lol_html::end_tag!(move |end: &mut EndTag| {
        let mut c = k.borrow_mut();
        c.open_raw = None;
        if c.hold.is_some() {
            c.scan_hold(&c2, true);
        }
        if c.dropping {
            c.dropping = false;
            end.remove();
        }
        Ok(())
    }))
}

/// `<noscript>`: hold its raw content and rewrite it as a fragment at its end.
pub(super) fn hold_noscript(ctx: &Rc<Ctx>, core: &SharedCore, el: &mut Element) -> HandlerResult {
    {
        let mut c = core.borrow_mut();
        c.open_raw = Some("noscript");
        c.start_hold(HoldKind::Noscript);
    }
    let (k, c2) = (core.clone(), ctx.clone());
    el.on_end_tag(lol_html::end_tag!(move |_end: &mut EndTag| {
        let mut c = k.borrow_mut();
        c.open_raw = None;
        if c.hold.is_some() {
            c.scan_hold(&c2, true);
        }
        c.dropping = false;
        Ok(())
    }))
}

/// An external script of a refused vendor: removed, or made inert
/// (`type="text/plain"`, the original type kept in `data-consent-type`).
fn neutralize_script_src(ctx: &Ctx, el: &mut Element, v: &Vendor) {
    ctx.saw(v.category);
    if ctx.blocking == Blocking::Remove {
        el.remove();
        return;
    }
    if let Some(t) = el.get_attribute("type") {
        let _ = el.set_attribute(markup::TYPE, &t);
    }
    let _ = el.set_attribute("type", "text/plain");
    let _ = el.set_attribute(markup::CATEGORY, v.category.id());
    let _ = el.set_attribute(markup::VENDOR, &v.id);
}

/// Whether a `<script>` with this `type` (and `language`) runs as JavaScript.
fn is_js_type(ty: Option<&str>, language: Option<&str>) -> bool {
    let t = ty.map(|t| t.trim()).unwrap_or("");
    if t.is_empty() {
        return match language.map(str::trim) {
            None | Some("") => true,
            Some(l) => is_js_mime(&format!("text/{l}")),
        };
    }
    if t.eq_ignore_ascii_case("module") {
        return true;
    }
    // Parameters are ignored: blocking a few more scripts is the safe side.
    is_js_mime(t.split(';').next().unwrap_or("").trim())
}

/// The JavaScript MIME type essences of the HTML standard (a spec table; no
/// crate is worth it).
fn is_js_mime(t: &str) -> bool {
    const JS: &[&str] = &[
        "application/ecmascript",
        "application/javascript",
        "application/x-ecmascript",
        "application/x-javascript",
        "text/ecmascript",
        "text/javascript",
        "text/javascript1.0",
        "text/javascript1.1",
        "text/javascript1.2",
        "text/javascript1.3",
        "text/javascript1.4",
        "text/javascript1.5",
        "text/jscript",
        "text/livescript",
        "text/x-ecmascript",
        "text/x-javascript",
    ];
    JS.iter().any(|j| j.eq_ignore_ascii_case(t))
}
