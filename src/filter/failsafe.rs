//! The fail-safe: when lol_html bails out (memory limit, markup it cannot
//! parse safely, a handler error) the visitor gets what was already emitted
//! and a clean end, never the rest of the origin's document unfiltered.
//!
//! Everything here only records what is needed for that clean end (which
//! raw-text element is open) and writes it ([`truncate`]).

use super::handlers::Rewriting;
use super::hold::SharedCore;
use super::policy::Ctx;
use lol_html::html_content::{ContentType, Element, EndTag};
use lol_html::{end, HandlerResult};
use std::rc::Rc;

/// Registers the fail-safe handlers: the document end and the bail-out
/// flag. (Raw-text tracking, `style`, `textarea`, `title`, `xmp`,
/// `noembed`, `noframes`, and `script`, `noscript` and `iframe` by their
/// own handlers, is the one element handler's:
/// [`super::handlers::element_handler`], with [`track_raw_text`].)
///
/// The document end also resolves an unterminated script/noscript (its held
/// bytes are scanned as if it had ended) and, when the page had no
/// `</body>`, appends `body_end` (the banner).
pub(super) fn failsafe_handlers(
    s: Rewriting,
    ctx: &Rc<Ctx>,
    core: &SharedCore,
    body_end: &Rc<str>,
) -> Rewriting {
    let (k, c, body) = (core.clone(), ctx.clone(), body_end.clone());
    let s = s.append_document_content_handler(end!(move |end| {
        let mut core = k.borrow_mut();
        if core.hold.is_some() {
            core.scan_hold(&c, true);
        }
        core.dropping = false;
        let append = !core.body_done;
        core.body_done = true;
        drop(core);
        if append && !body.is_empty() {
            end.append(&body, ContentType::Html);
        }
        Ok(())
    }));
    let k = core.clone();
    s.append_bail_out_handler(lol_html::bail_out!(move |_err, _b| {
        k.borrow_mut().bailed = true;
    }))
}

/// Remembers that raw-text element `name` is open until its end tag, for
/// the bail-out tail.
pub(super) fn track_raw_text(
    core: &SharedCore,
    el: &mut Element,
    name: &'static str,
) -> HandlerResult {
    core.borrow_mut().open_raw = Some(name);
    let k = core.clone();
    el.on_end_tag(lol_html::end_tag!(move |_end: &mut EndTag| {
        k.borrow_mut().open_raw = None;
        Ok(())
    }))
}

/// Ends the output cleanly after a failure: held bytes of a pending script
/// or noscript are discarded, the raw-text element that was open is closed,
/// a comment marks the cut, and `body_end` (the banner) follows if it was
/// not emitted yet. Nothing the rewriter flushes afterwards is kept.
pub(super) fn truncate(core: &SharedCore, body_end: &str) {
    let mut core = core.borrow_mut();
    core.bailed = true;
    if let Some(h) = core.hold.take() {
        core.out.truncate(h.mark);
        core.open_raw = if h.is_noscript() {
            None
        } else {
            Some("script")
        };
    }
    let mut tail = String::new();
    if let Some(raw) = core.open_raw.take() {
        tail.push_str("</");
        tail.push_str(raw);
        tail.push('>');
    }
    tail.push_str("<!--consent-edge: document truncated-->");
    if !core.body_done {
        core.body_done = true;
        tail.push_str(body_end);
    }
    let (bytes, _, _) = core.encoding.encode(&tail);
    core.out.extend_from_slice(&bytes);
}
