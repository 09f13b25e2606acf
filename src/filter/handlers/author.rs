//! Author-tagged elements (`<script type="text/plain" data-consent="analytics">`,
//! `<img data-consent="functional" data-consent-src=…>`).
//!
//! `data-consent` is extra information, never an exemption (security
//! review A2):
//!
//! * the declared value is a list of category ids; an empty or unknown one
//!   counts as the strictest category (`advertising`);
//! * every live URL attribute and every stashed `data-consent-*` URL is
//!   still matched against the catalog: the element waits for the declared
//!   categories **and** those of the refused vendors it names
//!   (`data-consent-category` lists them all when they differ);
//! * a live element (a script of a type that runs, another element with a
//!   live URL) whose categories are not all granted is neutralised like any
//!   tracker;
//! * an inert element whose categories are all granted is activated, but a
//!   stashed URL comes back only if it is `http(s)` or relative; stashed
//!   values of any other scheme (`javascript:`, `data:`) are dropped; and an
//!   element that declares only `necessary` is never activated server side
//!   (the banner's script restores web URLs only).

use crate::consent::Category;
use crate::filter::policy::{add_category, category_label, Ctx};
use crate::html::decode_attribute;
use crate::markup;
use lol_html::html_content::Element;

use super::media::{neutralize, present_attrs, refused_in, urls_of};

/// The categories an author declared (`data-consent` value).
pub(in crate::filter) fn declared(value: &str) -> Vec<Category> {
    let mut out = Vec::new();
    for id in value
        .split(|c: char| c.is_ascii_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
    {
        add_category(
            &mut out,
            Category::from_id(id).unwrap_or(Category::Advertising),
        );
    }
    if out.is_empty() {
        out.push(Category::Advertising);
    }
    out
}

/// Whether a URL (raw attribute value) is `http(s)` or relative, as the URL
/// parser reads it (entities decoded, tabs and newlines removed).
pub(in crate::filter) fn is_web_url(raw: &str) -> bool {
    let s: String = decode_attribute(raw)
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let scheme_end = s.find([':', '/', '?', '#', '\\']);
    match scheme_end {
        Some(i) if s.as_bytes()[i] == b':' => {
            let scheme = &s[..i];
            let is_scheme = scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            !is_scheme
                || scheme.eq_ignore_ascii_case("http")
                || scheme.eq_ignore_ascii_case("https")
        }
        _ => true,
    }
}

/// The author's stashed URL attributes (`data-consent-<attr>`): those that
/// are web URLs, after dropping the others from the element.
fn stashed(el: &mut Element) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for attr in markup::AUTHOR_URL_ATTRS {
        let name = markup::stash(attr);
        let Some(v) = el.get_attribute(&name) else {
            continue;
        };
        if urls_of(attr, &v).iter().all(|u| is_web_url(u)) {
            out.push((*attr, v));
        } else {
            el.remove_attribute(&name);
        }
    }
    out
}

/// Whether a script with this `type` is inert as written (`text/plain`, or
/// any type the filter and its loaders do not run is left to the script
/// handler: here only the banner's own inert form counts).
fn inert_script(el: &Element) -> bool {
    el.get_attribute("type")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/plain"))
}

/// An element with `data-consent` (see the module docs).
pub(super) fn handle_author_tagged(ctx: &Ctx, el: &mut Element, tag: &str) {
    let mut cats = declared(&el.get_attribute(markup::CONSENT).unwrap_or_default());
    let only_necessary = cats == [Category::Necessary];
    let mut live = present_attrs(el, tag, None);
    if tag == "script" {
        if let Some(src) = el.get_attribute("src") {
            live.push(("src", src));
        }
    }
    let stash = stashed(el);
    let (live_hits, mut vendors) = refused_in(ctx, &live);
    let (_, stash_vendors) = refused_in(ctx, &stash);
    if tag == "script" {
        let src = el.get_attribute("src");
        if let Some(v) = src
            .as_deref()
            .and_then(|s| ctx.refused_script_src(s, &|name| el.has_attribute(name)))
        {
            vendors.push(v);
        }
    }
    for v in vendors.iter().chain(stash_vendors.iter()) {
        add_category(&mut cats, v.category);
    }
    let is_live = if tag == "script" {
        !inert_script(el)
    } else {
        !live.is_empty()
    };
    let granted = ctx.all_granted(&cats);
    if is_live && !granted {
        // Every live URL moves to its stash unless the author stashed one
        // already (then the live value is a placeholder: dropped only if it
        // is itself a refused tracker).
        let mut moved = Vec::new();
        for (attr, value) in &live {
            let has_stash = el.has_attribute(&super::media::stash_name(attr));
            if !has_stash {
                moved.push((*attr, value.clone()));
            } else if live_hits.iter().any(|(a, _)| a == attr) {
                el.remove_attribute(attr);
            }
        }
        let vendor = vendors.first().or(stash_vendors.first()).copied();
        if tag == "script" {
            // A script runs without any URL: make it inert either way.
            if let Some(t) = el.get_attribute("type") {
                let _ = el.set_attribute(markup::TYPE, &t);
            }
            let _ = el.set_attribute("type", "text/plain");
        }
        neutralize(ctx, el, tag, &moved, &cats, vendor, false);
        return;
    }
    let label = category_label(&cats);
    let own = el.get_attribute(markup::CONSENT).unwrap_or_default();
    if !vendors.is_empty() || !stash_vendors.is_empty() || label != own.trim() {
        let _ = el.set_attribute(markup::CATEGORY, &label);
    }
    if !is_live && granted && !only_necessary {
        activate(el, tag, &stash);
    } else if !is_live && !granted && tag != "script" {
        // Still inert: the banner script may activate it after a choice
        // (it carries this response's token). Not a script: page markup
        // could forge one; it runs on the next view, activated here.
        ctx.stamp(el);
    }
}

/// Restores the (web) stashed URLs, and a `text/plain` script's type.
fn activate(el: &mut Element, tag: &str, stash: &[(&'static str, String)]) {
    for (attr, v) in stash {
        el.remove_attribute(&markup::stash(attr));
        let _ = el.set_attribute(attr, v);
    }
    if tag == "script" && inert_script(el) {
        match el.get_attribute(markup::TYPE) {
            Some(t) => {
                el.remove_attribute(markup::TYPE);
                let _ = el.set_attribute("type", &t);
            }
            None => el.remove_attribute("type"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_categories() {
        assert_eq!(declared("analytics"), vec![Category::Analytics]);
        assert_eq!(declared(""), vec![Category::Advertising]);
        assert_eq!(declared("  "), vec![Category::Advertising]);
        assert_eq!(declared("bogus"), vec![Category::Advertising]);
        assert_eq!(
            declared("functional, analytics"),
            vec![Category::Functional, Category::Analytics]
        );
    }

    #[test]
    fn web_urls_only() {
        for ok in [
            "https://a.example/x",
            "HTTP://a.example/",
            "/x.png",
            "x.png",
            "?q=1",
            "//a.example/",
        ] {
            assert!(is_web_url(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "java\tscript:alert(1)",
            "java&#9;script:alert(1)",
            "javascript&colon;alert(1)",
            "data:text/html,<script>",
            "vbscript:x",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }
}
