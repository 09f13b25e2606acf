//! What the filter inserts into the page: the client guard and consent
//! signals after `<head>` (or before the first `<script>` or `<body>`,
//! whichever comes first, when no `<head>` tag precedes them), the banner
//! before `</body>`, the cookie declaration and consent status
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

/// Registered BEFORE the tracker handlers: `head_start` (the guard and the
/// Consent Mode defaults) goes right before a `<script>` met while no
/// `<head>` or `<body>` tag has been seen (`<!doctype html><title>…<script>`,
/// or a script before the `<html>` tag), so it precedes every page script
/// however the document is shaped (issue 12, class 14).
///
/// Written straight into the output rather than with `Element::before`: the
/// text before this start tag is already there, and a hold the script
/// handler starts next marks the current end of the output as the start of
/// the held tag (`before` content would be emitted after that mark, inside
/// the hold).
pub(in crate::filter) fn early_handlers(
    s: Rewriting,
    head_start: &Rc<str>,
    core: &SharedCore,
) -> Rewriting {
    if head_start.is_empty() {
        return s;
    }
    let (k, html) = (core.clone(), head_start.clone());
    s.append_element_content_handler(on(&selectors().script, move |_el| {
        before_first_script(&k, &html);
        Ok(())
    }))
}

fn before_first_script(core: &SharedCore, html: &str) {
    let mut c = core.borrow_mut();
    if c.head_done || c.hold.is_some() || c.dropping || c.bailed {
        return;
    }
    c.head_done = true;
    let (bytes, _, _) = c.encoding.encode(html);
    let bytes = bytes.into_owned();
    c.out.extend_from_slice(&bytes);
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

#[cfg(test)]
mod tests {
    use crate::consent::Grants;
    use crate::filter::{Config, Filter, Page};
    use crate::trackers::Catalog;

    const HEAD: &str = "<script id=guard></script><script>gtag('consent','default',{})</script>";
    const GTAG: &str = "https://www.googletagmanager.com/gtag/js?id=G-X";

    /// The filter's output for `html`, whole and byte by byte (must agree).
    fn run(html: &str, token: &str) -> String {
        let page = || Page {
            grants: Grants::NECESSARY_ONLY,
            head_start: HEAD.into(),
            body_end: "<aside id=\"consent-edge\"></aside>".into(),
            token: token.into(),
            ..Page::default()
        };
        let once = |chunk: usize| {
            let mut f = Filter::new(Catalog::embedded(), &Config::default(), page(), None);
            let mut out = Vec::new();
            for c in html.as_bytes().chunks(chunk) {
                out.extend(f.write(c));
            }
            out.extend(f.end());
            String::from_utf8(out).expect("utf-8")
        };
        let whole = once(usize::MAX);
        assert_eq!(whole, once(1), "chunking changed the output of {html}");
        whole
    }

    /// `HEAD` is in `out` exactly once, before the first page script.
    fn head_first(out: &str, first_page_script: &str) {
        assert_eq!(out.matches(HEAD).count(), 1, "{out}");
        let head = out.find(HEAD).expect("head_start");
        let script = out.find(first_page_script).expect("page script");
        assert!(head < script, "head_start after {first_page_script}: {out}");
    }

    #[test]
    fn head_start_goes_right_after_the_head_tag() {
        let out = run(
            &format!("<!doctype html><html><head><title>t</title><script src=\"{GTAG}\"></script></head><body>x</body></html>"),
            "",
        );
        assert!(out.contains(&format!("<head>{HEAD}<title>")), "{out}");
        head_first(&out, "<script src=");
    }

    #[test]
    fn without_head_or_body_it_precedes_the_first_script() {
        let inline = "<script>window.dataLayer=window.dataLayer||[];gtag('config','G-X')</script>";
        let html = format!(
            "<!doctype html><title>x</title>{inline}<script async src=\"{GTAG}\"></script><p>x</p>"
        );
        let out = run(&html, "");
        head_first(&out, "window.dataLayer");
        assert!(
            out.starts_with("<!doctype html><title>x</title><script id=guard>"),
            "{out}"
        );
    }

    #[test]
    fn a_script_before_the_html_tag_comes_after_head_start() {
        let html = format!("<!doctype html><script async src=\"{GTAG}\"></script><html><head><title>x</title></head><body>x</body></html>");
        let out = run(&html, "");
        head_first(&out, "<script async");
        // Not a second time after the late <head>.
        assert!(out.contains("<head><title>"), "{out}");
    }

    #[test]
    fn a_google_tag_gateway_script_without_head_comes_after_head_start() {
        let html = "<!doctype html><title>x</title><script async src=\"/metrics/gtag/js?id=G-X\"></script><p>x</p>";
        head_first(&run(html, ""), "<script async src=\"/metrics");
    }

    #[test]
    fn a_held_inline_tracker_first_is_rewritten_behind_head_start() {
        // The first script is a refused vendor's inline snippet: the hold
        // rebuilds its start tag, which must not swallow the injected head.
        let html = "<!doctype html><script>!function(f,b,e,v,n,t,s){};fbq('init','1');fbq('track','PageView');</script><p>x</p>";
        let out = run(html, "t0k");
        head_first(&out, "<script type=\"text/plain\"");
        assert!(out.contains("data-consent-token=\"t0k\""), "{out}");
        assert!(out.contains("<script id=guard></script>"), "{out}");
    }

    #[test]
    fn without_a_script_head_start_goes_before_body() {
        let out = run("<!doctype html><title>x</title><body><p>x</p></body>", "");
        assert!(out.contains(&format!("{HEAD}<body>")), "{out}");
    }

    #[test]
    fn every_neutralised_element_carries_the_token_and_only_those() {
        let html = format!(
            "<head></head><body><script src=\"{GTAG}\"></script>\
             <img src=\"https://www.facebook.com/tr?id=1\">\
             <iframe src=\"https://www.youtube.com/embed/x\"></iframe>\
             <script type=\"text/plain\" data-consent-category=\"necessary\" src=\"https://evil.example/x.js\"></script>\
             <img id=author data-consent=\"analytics\" data-consent-src=\"/a.gif\">\
             <script id=author-script type=\"text/plain\" data-consent=\"analytics\" src=\"/a.js\"></script></body>"
        );
        let out = run(&html, "t0k");
        // gtag script, pixel, iframe and its placeholder, author image: 5;
        // not the forged script, not the author-tagged script.
        assert_eq!(
            out.matches("data-consent-token=\"t0k\"").count(),
            5,
            "{out}"
        );
        let forged = &out[out.find("evil.example").expect("forged")..];
        assert!(
            !forged[..forged.find('>').unwrap()].contains("token"),
            "{out}"
        );
        let untokened = run(&html, "");
        assert!(!untokened.contains("data-consent-token"), "{untokened}");
    }
}
