//! `<script>` (external: by its `src`; inline: held and scanned for vendor
//! signatures, see [`crate::filter::hold`]) and `<noscript>` (held, then its
//! raw content rewritten as a fragment).

use super::author::handle_author_tagged;
use crate::consent::Category;
use crate::filter::code;
use crate::filter::hold::{HoldKind, SharedCore};
use crate::filter::policy::Ctx;
use crate::filter::Blocking;
use crate::markup;
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
    // An import map is held and its JSON scanned like an inline script's
    // text (an external one, `src`, is not supported by browsers: no fetch).
    let importmap = is_importmap_type(ty.as_deref());
    if !importmap && !is_js_type(ty.as_deref(), el.get_attribute("language").as_deref()) {
        return Ok(());
    }
    if let Some(src) = el.get_attribute("src").filter(|_| !importmap) {
        let refused = match code::data_url_refused(ctx, &src) {
            Some(hit) => Some(hit),
            None => ctx
                .refused_script_src(&src, &|name| el.has_attribute(name))
                .map(|v| (v.category, v.id.clone())),
        };
        if let Some((cat, id)) = refused {
            neutralize_script_src(ctx, el, cat, &id);
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
            c.start_hold(if importmap {
                HoldKind::ImportMap(attrs)
            } else {
                HoldKind::Script(attrs)
            });
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

/// An external script of a refused vendor (category `cat`, vendor id
/// `vendor`): removed, or made inert (`type="text/plain"`, the original
/// type kept in `data-consent-type`).
fn neutralize_script_src(ctx: &Ctx, el: &mut Element, cat: Category, vendor: &str) {
    ctx.saw(cat);
    if ctx.blocking == Blocking::Remove {
        el.remove();
        return;
    }
    if let Some(t) = el.get_attribute("type") {
        let _ = el.set_attribute(markup::TYPE, &t);
    }
    let _ = el.set_attribute("type", "text/plain");
    let _ = el.set_attribute(markup::CATEGORY, cat.id());
    let _ = el.set_attribute(markup::VENDOR, vendor);
    ctx.stamp(el);
}

/// Whether a `<script>` with this `type` (and `language`) runs as JavaScript,
/// in a browser or through a loader that executes it.
///
/// HTML "prepare the script element" step 8: a PRESENT but empty `type` is
/// JavaScript whatever `language` says; only an absent `type` consults
/// `language` (empty: JavaScript; else `text/<language>`). Then the type,
/// ASCII whitespace stripped, must be a JavaScript MIME type essence or
/// `module`. Besides those, types no browser runs but a known loader
/// executes count as JavaScript ([`is_loader_type`]).
fn is_js_type(ty: Option<&str>, language: Option<&str>) -> bool {
    let t = match (ty, language) {
        (Some(""), _) | (None, None) => return true,
        (Some(t), _) => t.trim_matches(|c: char| c.is_ascii_whitespace()),
        (None, Some(l)) => {
            let l = l.trim_matches(|c: char| c.is_ascii_whitespace());
            return l.is_empty() || is_js_mime(&format!("text/{l}"));
        }
    };
    if t.eq_ignore_ascii_case("module") || is_loader_type(t) {
        return true;
    }
    // Parameters are ignored: blocking a few more scripts is the safe side.
    is_js_mime(t.split(';').next().unwrap_or("").trim())
}

/// Script types that loaders execute though no browser does (issue 12
/// class 4): Partytown's `text/partytown` (partytown.builder.io docs: the
/// scripts run in a web worker) and Cloudflare Rocket Loader's
/// `<hash>-text/javascript` (and `<hash>-module` for modules: Rocket Loader
/// rewrites the type, then runs the scripts itself). Any type ending in one
/// of those suffixes counts: the hash varies per site.
fn is_loader_type(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    t == "text/partytown" || t.ends_with("-text/javascript") || t.ends_with("-module")
}

/// Whether a `<script>` with this `type` is an import map (HTML §8.1.5.3).
pub(super) fn is_importmap_type(ty: Option<&str>) -> bool {
    ty.is_some_and(|t| {
        t.trim_matches(|c: char| c.is_ascii_whitespace())
            .eq_ignore_ascii_case("importmap")
    })
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
