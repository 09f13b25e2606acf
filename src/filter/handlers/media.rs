//! Media-like elements whose URL attribute points at a refused tracker:
//! `img`, `iframe`, `embed`, `object`, `video`, `audio`, `source`, `track`,
//! `link` (resource hints and stylesheets), `a`/`area` with `ping`.

use crate::filter::policy::Ctx;
use crate::filter::Blocking;
use crate::markup;
use crate::trackers::Vendor;
use lol_html::html_content::{ContentType, Element};

/// The URL attributes of a media-like element that can point at a tracker
/// (each one of [`markup::URL_ATTRS`]).
pub(in crate::filter) fn url_attrs(tag: &str) -> &'static [&'static str] {
    match tag {
        "img" => &["src", "srcset"],
        "iframe" | "embed" | "audio" | "track" => &["src"],
        "video" => &["src", "poster"],
        "source" => &["src", "srcset"],
        "object" => &["data"],
        "link" => &["href"],
        "a" | "area" => &["ping"],
        _ => &[],
    }
}

/// The `rel` values of a `<link>` that make the browser fetch its `href`
/// before (or without) anything using it.
const LINK_RELS: &[&str] = &[
    "preconnect",
    "dns-prefetch",
    "preload",
    "prefetch",
    "modulepreload",
    "prerender",
    "stylesheet",
];

/// The refused vendor of one URL attribute (`srcset` and `ping` hold
/// several URLs: the first refused one).
fn attr_refused(ctx: &Ctx, attr: &str, value: &str) -> Option<&'static Vendor> {
    match attr {
        "srcset" => value
            .split(',')
            .filter_map(|cand| cand.split_whitespace().next())
            .find_map(|u| ctx.refused_url(u)),
        "ping" => value.split_whitespace().find_map(|u| ctx.refused_url(u)),
        _ => ctx.refused_url(value),
    }
}

/// img, iframe, embed, object, video, audio, source, link[href], a[ping],
/// area[ping] without `data-consent` (see [`super::media_or_tagged`]).
pub(super) fn handle_media(ctx: &Ctx, el: &mut Element, in_noscript: bool, tag: &str) {
    if tag == "link" {
        let rel = el
            .get_attribute("rel")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !rel.split_ascii_whitespace().any(|r| LINK_RELS.contains(&r)) {
            return;
        }
    }
    let mut hits: Vec<(&'static str, String, &'static Vendor)> = Vec::new();
    for attr in url_attrs(tag) {
        if let Some(value) = el.get_attribute(attr) {
            if let Some(v) = attr_refused(ctx, attr, &value) {
                hits.push((attr, value, v));
            }
        }
    }
    let Some(&(_, _, first)) = hits.first() else {
        return;
    };
    ctx.saw(first.category);
    if ctx.blocking == Blocking::Remove {
        el.remove();
        return;
    }
    for (attr, value, _) in &hits {
        el.remove_attribute(attr);
        let _ = el.set_attribute(&markup::stash(attr), value);
    }
    let _ = el.set_attribute(markup::CATEGORY, first.category.id());
    let _ = el.set_attribute(markup::VENDOR, &first.id);
    ctx.stamp(el);
    if tag == "iframe" {
        hide_iframe(ctx, el, in_noscript, first);
    }
}

/// A neutralised iframe is hidden, with a placeholder before it (none where
/// no banner script could make its button work: in a `<noscript>` or a
/// `srcdoc` document).
fn hide_iframe(ctx: &Ctx, el: &mut Element, in_noscript: bool, v: &Vendor) {
    let _ = el.set_attribute("hidden", "");
    let _ = el.set_attribute(markup::HIDDEN, "");
    if !in_noscript && ctx.depth == 0 {
        el.before(&ctx.placeholder(v), ContentType::Html);
    }
}
