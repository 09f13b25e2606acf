//! What the filter inserts into the page: consent signals after `<head>`,
//! the banner before `</body>`, the cookie declaration and consent status
//! into the elements that ask for them, and the no-JavaScript reopen form on
//! the page's own "cookie settings" buttons.

use super::{on, selectors, Rewriting};
use crate::filter::hold::SharedCore;
use lol_html::html_content::{ContentType, Element, EndTag};
use lol_html::HandlerResult;
use std::rc::Rc;

/// The injected HTML of one response, shared by the handlers and the
/// fail-safe tail: one copy per response, not one per handler.
pub(in crate::filter) struct Injection {
    pub(in crate::filter) head_start: Rc<str>,
    pub(in crate::filter) body_end: Rc<str>,
    pub(in crate::filter) declaration_html: Option<String>,
    pub(in crate::filter) status_html: Option<String>,
    pub(in crate::filter) reopen_form: Option<&'static str>,
}

/// Registers the injection handlers (head, body, declaration, status,
/// reopen buttons); none for what is empty.
pub(in crate::filter) fn injection_handlers(
    mut s: Rewriting,
    inj: Injection,
    core: &SharedCore,
) -> Rewriting {
    let sel = selectors();
    if !inj.head_start.is_empty() {
        let (k, html) = (core.clone(), inj.head_start.clone());
        s = s.append_element_content_handler(on(&sel.head, move |el| {
            after_head(&k, &html, el);
            Ok(())
        }));
    }
    if !inj.head_start.is_empty() || !inj.body_end.is_empty() {
        let (k, head, body) = (core.clone(), inj.head_start, inj.body_end);
        s = s.append_element_content_handler(on(&sel.body, move |el| {
            around_body(&k, &head, &body, el)
        }));
    }
    if let Some(html) = inj.declaration_html {
        s = s.append_element_content_handler(on(&sel.declaration, move |el| {
            el.set_inner_content(&html, ContentType::Html);
            Ok(())
        }));
    }
    if let Some(html) = inj.status_html {
        s = s.append_element_content_handler(on(&sel.status, move |el| {
            el.set_inner_content(&html, ContentType::Html);
            Ok(())
        }));
    }
    if let Some(form) = inj.reopen_form {
        s = s.append_element_content_handler(on(&sel.reopen, move |el| {
            el.set_attribute("type", "submit")?;
            el.set_attribute("form", form)?;
            Ok(())
        }));
    }
    s
}

/// `head_start` right after the first `<head>` start tag.
fn after_head(core: &SharedCore, html: &str, el: &mut Element) {
    let mut c = core.borrow_mut();
    if !c.head_done {
        c.head_done = true;
        drop(c);
        el.prepend(html, ContentType::Html);
    }
}

/// `head_start` before `<body>` if there was no `<head>` tag, and
/// `body_end` before `</body>`.
fn around_body(core: &SharedCore, head: &str, body: &Rc<str>, el: &mut Element) -> HandlerResult {
    let mut c = core.borrow_mut();
    if !c.head_done {
        c.head_done = true;
        drop(c);
        el.before(head, ContentType::Html);
    } else {
        drop(c);
    }
    if body.is_empty() {
        return Ok(());
    }
    let (k, body) = (core.clone(), body.clone());
    el.on_end_tag(lol_html::end_tag!(move |end: &mut EndTag| {
        let mut c = k.borrow_mut();
        if !c.body_done {
            c.body_done = true;
            drop(c);
            end.before(&body, ContentType::Html);
        }
        Ok(())
    }))?;
    Ok(())
}
