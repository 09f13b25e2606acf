//! Author-tagged elements (`<script type="text/plain" data-consent="analytics">`,
//! `<img data-consent="functional" data-consent-src=…>`): activated server
//! side when their category is granted, left inert otherwise.

use crate::consent::Category;
use crate::filter::policy::Ctx;
use crate::markup;
use lol_html::html_content::Element;

/// Activates an author-tagged element whose category is granted: every
/// stashed URL attribute of [`markup::AUTHOR_URL_ATTRS`] is restored, and a
/// `text/plain` script gets its `data-consent-type` back (or no type).
pub(super) fn handle_author_tagged(ctx: &Ctx, el: &mut Element, tag: &str) {
    let Some(cat) = el
        .get_attribute(markup::CONSENT)
        .and_then(|c| Category::from_id(c.trim()))
    else {
        return;
    };
    if !ctx.grants.has(cat) {
        // Still inert: the banner script may activate it after a choice,
        // except a script (page markup could forge one; it runs on the next
        // view, activated here, where a strict CSP still judges it).
        if tag != "script" {
            ctx.stamp(el);
        }
        return;
    }
    for attr in markup::AUTHOR_URL_ATTRS {
        let name = markup::stash(attr);
        if let Some(v) = el.get_attribute(&name) {
            el.remove_attribute(&name);
            let _ = el.set_attribute(attr, &v);
        }
    }
    if tag == "script"
        && el
            .get_attribute("type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/plain"))
    {
        match el.get_attribute(markup::TYPE) {
            Some(t) => {
                el.remove_attribute(markup::TYPE);
                let _ = el.set_attribute("type", &t);
            }
            None => el.remove_attribute("type"),
        }
    }
}
