//! `<style>` elements (HTML and SVG, issue 12 class 9): their text is
//! buffered as lol_html hands it over and scanned ([`css_urls`]) at the end
//! of each text node.
//!
//! Nothing refused: the text goes out unchanged. A URL of a refused vendor
//! (`url()`, `@import`, `image-set()`, `@font-face src`): the live `<style>`
//! is left empty, and the stylesheet follows it, inert, as the text of a
//! `<template data-consent-style data-consent-category="…">` (no browser
//! applies or fetches anything in a template; the banner's script can turn
//! it back into a `<style>` once every listed category is granted). With
//! `blocking = "remove"` the stylesheet is dropped.
//!
//! Fail-safe: a style text longer than `[filter] max_held_bytes` cannot be
//! held to be scanned; it is dropped (a CSS comment says so).

use crate::consent::Category;
use crate::filter::css::css_urls;
use crate::filter::policy::{add_category, category_label, Ctx};
use crate::filter::Blocking;
use crate::html::{decode_attribute, escape_text};
use crate::markup;
use crate::trackers::Vendor;
use lol_html::html_content::{ContentType, Element, EndTag, TextChunk};
use lol_html::{ElementContentHandlers, HandlerResult, Selector};
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

/// The attribute that marks an inert stylesheet.
pub(in crate::filter) const STYLE_MARK: &str = "data-consent-style";

#[derive(Default)]
struct State {
    buf: String,
    overflow: bool,
    /// The inert form to put after `</style>`.
    after: Option<String>,
}

/// The handlers of `style` elements: the element's part (for the one
/// element handler, [`super::element_handler`]) and the text's,
/// registered on `selector` (`style`); the two share the element's state.
pub(super) fn style_handlers(
    selector: &'static Selector,
    ctx: &Rc<Ctx>,
) -> (
    impl FnMut(&mut Element) -> HandlerResult + 'static,
    (Cow<'static, Selector>, ElementContentHandlers<'static>),
) {
    let st = Rc::new(RefCell::new(State::default()));
    let (s1, s2, c) = (st.clone(), st, ctx.clone());
    let element = move |el: &mut Element| -> HandlerResult {
        let s = s1.clone();
        el.on_end_tag(lol_html::end_tag!(move |end: &mut EndTag| {
            if let Some(t) = s.borrow_mut().after.take() {
                end.after(&t, ContentType::Html);
            }
            Ok(())
        }))?;
        Ok(())
    };
    let text = ElementContentHandlers::default().text(move |chunk: &mut TextChunk| {
        text(&c, &mut s2.borrow_mut(), chunk);
        Ok(())
    });
    (element, (Cow::Borrowed(selector), text))
}

fn text(ctx: &Ctx, st: &mut State, chunk: &mut TextChunk) {
    if ctx.strictest_refused().is_none() {
        return; // everything granted: nothing to find
    }
    let last = chunk.last_in_text_node();
    if st.buf.is_empty() && !st.overflow && last {
        // The whole text in one chunk (the usual case): no copy back.
        let css = chunk.as_str().to_string();
        decide(ctx, st, &css, chunk, false);
        return;
    }
    if !st.overflow {
        st.buf.push_str(chunk.as_str());
        if st.buf.len() > ctx.max_held {
            st.overflow = true;
            st.buf.clear();
        }
    }
    chunk.remove();
    if !last {
        return;
    }
    if std::mem::take(&mut st.overflow) {
        chunk.replace(
            "/* consent-edge: style too long to scan, dropped */",
            ContentType::Html,
        );
        return;
    }
    let css = std::mem::take(&mut st.buf);
    decide(ctx, st, &css, chunk, true);
}

/// The categories of the refused vendors `css` names (also read with
/// character references decoded, as SVG's `<style>` is).
fn refused(ctx: &Ctx, css: &str) -> (Vec<Category>, Option<&'static Vendor>) {
    let mut cats = Vec::new();
    let mut first = None;
    let decoded = if css.contains('&') {
        decode_attribute(css)
    } else {
        Cow::Borrowed("")
    };
    for u in css_urls(css).into_iter().chain(css_urls(&decoded)) {
        if let Some(v) = ctx.refused_url(&u) {
            add_category(&mut cats, v.category);
            first.get_or_insert(v);
        }
    }
    (cats, first)
}

fn decide(ctx: &Ctx, st: &mut State, css: &str, chunk: &mut TextChunk, buffered: bool) {
    let (cats, _) = refused(ctx, css);
    if let Some(c) = cats.iter().max() {
        ctx.saw(*c);
        chunk.replace("", ContentType::Html);
        if ctx.blocking == Blocking::Neutralize {
            st.after.get_or_insert_default().push_str(&format!(
                "<template {STYLE_MARK} {}=\"{}\">{}</template>",
                markup::CATEGORY,
                category_label(&cats),
                escape_text(css)
            ));
        }
    } else if buffered {
        chunk.replace(css, ContentType::Html);
    }
}
