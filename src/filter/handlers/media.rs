//! Elements whose URL attributes a browser fetches: `img` (and `<image>`,
//! which the tree builder renames `img`), `iframe`, `frame`, `embed`,
//! `object`, `video`, `audio`, `source`, `track`, `input type=image`,
//! `link` (resource hints, stylesheets, icons, manifest; `href` and
//! `imagesrcset`), `a`/`area` with `ping`, SVG `image`, `feImage`, `use`
//! and `script` (`href`, `xlink:href`), `background=` and `style=` on any
//! element, and the lazy-load attributes plugins copy into `src`/`srcset`.
//!
//! Every URL of every such attribute is matched (all `srcset` candidates,
//! all `ping` URLs, every `url()` of a `style`); the element waits for the
//! categories of **all** refused vendors found on it (issue 12 class 13), so
//! granting one of them cannot bring back another vendor's URL.

use crate::consent::Category;
use crate::filter::css::css_urls;
use crate::filter::policy::{add_category, category_label, Ctx};
use crate::filter::source::Source;
use crate::filter::Blocking;
use crate::html::decode_attribute;
use crate::markup;
use crate::trackers::Vendor;
use lol_html::html_content::{ContentType, Element};

/// The URL attributes of element `tag` that can point at a tracker (each
/// one of [`markup::URL_ATTRS`], or `xlink:href`, stashed as `href`).
/// `background` and `style` count on every element (see [`present_attrs`]).
/// The `data-src`, `data-lazy-src`, `data-srcset`, `data-lazy-srcset`,
/// `data-original` and `data-bg` of img, iframe, video and source are the
/// lazy-load attributes (lazysizes, WordPress and jQuery plugins) a script
/// copies into `src`/`srcset`/`background-image`.
pub(in crate::filter) fn url_attrs(tag: &str) -> &'static [&'static str] {
    match tag {
        "img" => &[
            "src",
            "srcset",
            "data-src",
            "data-lazy-src",
            "data-srcset",
            "data-lazy-srcset",
            "data-original",
            "data-bg",
        ],
        // HTML `<image src>` (an img to the tree builder) or SVG `<image href>`.
        "image" => &["src", "srcset", "href", "xlink:href"],
        "iframe" => &[
            "src",
            "data-src",
            "data-lazy-src",
            "data-original",
            "data-bg",
        ],
        "frame" | "embed" | "audio" | "track" | "input" => &["src"],
        "video" => &[
            "src",
            "poster",
            "data-src",
            "data-lazy-src",
            "data-original",
            "data-bg",
        ],
        "source" => &[
            "src",
            "srcset",
            "data-src",
            "data-lazy-src",
            "data-srcset",
            "data-lazy-srcset",
        ],
        "object" => &["data"],
        "link" => &["href", "imagesrcset"],
        "a" | "area" => &["ping"],
        "feimage" | "use" | "script" => &["href", "xlink:href"],
        _ => &[],
    }
}

/// The `rel` values of a `<link>` that make the browser fetch its `href`
/// (or `imagesrcset`) before, or without, anything using it.
const LINK_RELS: &[&str] = &[
    "preconnect",
    "dns-prefetch",
    "preload",
    "prefetch",
    "modulepreload",
    "prerender",
    "stylesheet",
    "icon",
    "apple-touch-icon",
    "apple-touch-icon-precomposed",
    "mask-icon",
    "manifest",
];

/// The stash a URL attribute moves to: `data-consent-<attr>`; SVG's
/// `xlink:href` goes to `data-consent-href` (the banner restores a plain
/// `href`, which SVG 2 reads the same).
pub(in crate::filter) fn stash_name(attr: &str) -> String {
    markup::stash(if attr == "xlink:href" { "href" } else { attr })
}

/// The URL attributes of `el` (a `tag`) that the browser would use, with
/// their values: [`url_attrs`] (a `<link>` only for a fetching `rel`, an
/// `<input>` only for `type=image`), then `background` and `style`.
///
/// Names are read from the input window when `source` holds them
/// ([`Source::attr_name`]), through lol_html otherwise (every name read
/// through lol_html is a decoded, allocated `String`).
pub(in crate::filter) fn present_attrs(
    el: &Element,
    tag: &str,
    source: Option<&Source>,
) -> Vec<(&'static str, String)> {
    let mut attrs: &[&str] = url_attrs(tag);
    if tag == "link" {
        let rel = el.get_attribute("rel").unwrap_or_default();
        let rel = rel.to_ascii_lowercase();
        if !rel.split_ascii_whitespace().any(|r| LINK_RELS.contains(&r)) {
            attrs = &[];
        }
    }
    if tag == "input"
        && !el
            .get_attribute("type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("image"))
    {
        attrs = &[];
    }
    // One pass over the element's attributes (each name read once) rather
    // than a `get_attribute` per candidate name, which allocates the name
    // it looks for every time: up to ten per `<img>`. The first of
    // duplicate attributes counts, as for `get_attribute`; the result is in
    // candidate order.
    const EVERY: [&str; 2] = ["background", "style"];
    if attrs.len() > MAX_URL_ATTRS {
        // Not for any tag of `url_attrs` (tested); kept correct anyway.
        let all = attrs.iter().chain(EVERY.iter());
        return all
            .filter_map(|a| Some((*a, el.get_attribute(a)?)))
            .collect();
    }
    let wanted = |i: usize| match i.checked_sub(attrs.len()) {
        None => attrs.get(i),
        Some(j) => EVERY.get(j),
    };
    let mut found: [Option<String>; MAX_URL_ATTRS + 2] = Default::default();
    for a in el.attributes() {
        let decoded;
        let name = match source.and_then(|s| s.attr_name(a)) {
            Some(n) => n,
            None => {
                decoded = a.name();
                decoded.as_bytes()
            }
        };
        let slot = (0..attrs.len() + 2)
            .find(|&i| wanted(i).is_some_and(|w| w.as_bytes().eq_ignore_ascii_case(name)));
        if let Some(slot) = slot.and_then(|i| found.get_mut(i)) {
            if slot.is_none() {
                *slot = Some(a.value());
            }
        }
    }
    (0..attrs.len() + 2)
        .filter_map(|i| Some((*wanted(i)?, found.get_mut(i)?.take()?)))
        .collect()
}

/// The most URL attributes [`url_attrs`] names for one tag.
const MAX_URL_ATTRS: usize = 8;

/// Every URL in the value of attribute `attr` (raw, entities not decoded
/// except for `style`, whose CSS is read after decoding).
pub(in crate::filter) fn urls_of(attr: &str, value: &str) -> Vec<String> {
    match attr {
        "srcset" | "imagesrcset" | "data-srcset" | "data-lazy-srcset" => srcset_urls(value),
        "ping" => value.split_ascii_whitespace().map(String::from).collect(),
        "style" => css_urls(&decode_attribute(value)),
        "data-bg" if value.to_ascii_lowercase().contains("url(") => {
            css_urls(&decode_attribute(value))
        }
        _ => vec![value.to_string()],
    }
}

/// The candidate URLs of a `srcset` (HTML "parse a srcset attribute"): a
/// URL is a run of non-whitespace (a comma inside it, as in userinfo
/// `https://x,@host/`, is part of it), trailing commas dropped; its
/// descriptors run to the next comma outside parentheses.
pub(in crate::filter) fn srcset_urls(v: &str) -> Vec<String> {
    let b = v.as_bytes();
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0c);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (ws(b[i]) || b[i] == b',') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !ws(b[i]) {
            i += 1;
        }
        if start == i {
            break;
        }
        let url = &v[start..i];
        let url = if url.ends_with(',') {
            url.trim_end_matches(',')
        } else {
            let mut depth = 0i32;
            while i < b.len() && !(b[i] == b',' && depth == 0) {
                match b[i] {
                    b'(' => depth += 1,
                    b')' => depth = (depth - 1).max(0),
                    _ => {}
                }
                i += 1;
            }
            url
        };
        if !url.is_empty() {
            out.push(url.to_string());
        }
    }
    out
}

/// The refused vendors the attributes point at, without duplicates, and
/// the attributes that point at one.
pub(in crate::filter) fn refused_in(
    ctx: &Ctx,
    attrs: &[(&'static str, String)],
) -> (Vec<(&'static str, String)>, Vec<&'static Vendor>) {
    let mut hits = Vec::new();
    let mut vendors: Vec<&'static Vendor> = Vec::new();
    for (attr, value) in attrs {
        let mut hit = false;
        for u in urls_of(attr, value) {
            if let Some(v) = ctx.refused_url(&u) {
                hit = true;
                if !vendors.iter().any(|x| x.id == v.id) {
                    vendors.push(v);
                }
            }
        }
        if hit {
            hits.push((*attr, value.clone()));
        }
    }
    (hits, vendors)
}

/// An element of the media selector without `data-consent` (see
/// [`super::media_or_tagged`]).
pub(super) fn handle_media(
    ctx: &Ctx,
    el: &mut Element,
    in_noscript: bool,
    tag: &str,
    source: Option<&Source>,
) {
    if ctx.strictest_refused().is_none() {
        // Every category granted: nothing can be refused (no CSS to scan).
        return;
    }
    let attrs = present_attrs(el, tag, source);
    if attrs.is_empty() {
        return;
    }
    let (hits, vendors) = refused_in(ctx, &attrs);
    if vendors.is_empty() {
        return;
    }
    let mut cats = Vec::new();
    for v in &vendors {
        add_category(&mut cats, v.category);
    }
    neutralize(
        ctx,
        el,
        tag,
        &hits,
        &cats,
        vendors.first().copied(),
        in_noscript,
    );
}

/// Makes `el` inert: removed (`blocking = "remove"`), or its `hits` moved
/// to their stash, labelled with every category of `cats` (and `vendor`),
/// an SVG `<script>` typed `text/plain`, an iframe hidden.
pub(in crate::filter) fn neutralize(
    ctx: &Ctx,
    el: &mut Element,
    tag: &str,
    hits: &[(&'static str, String)],
    cats: &[Category],
    vendor: Option<&Vendor>,
    in_noscript: bool,
) {
    if let Some(c) = cats.iter().max() {
        ctx.saw(*c);
    }
    if ctx.blocking == Blocking::Remove {
        el.remove();
        return;
    }
    for (attr, value) in hits {
        el.remove_attribute(attr);
        let _ = el.set_attribute(&stash_name(attr), value);
    }
    if tag == "script" && !hits.is_empty() {
        if let Some(t) = el.get_attribute("type") {
            if !t.trim().eq_ignore_ascii_case("text/plain") {
                let _ = el.set_attribute(markup::TYPE, &t);
            }
        }
        let _ = el.set_attribute("type", "text/plain");
    }
    let _ = el.set_attribute(markup::CATEGORY, &category_label(cats));
    if let Some(v) = vendor {
        let _ = el.set_attribute(markup::VENDOR, &v.id);
    }
    // The banner activates only what carries this response's token. Not an
    // author-tagged script: page markup could forge one, and the banner
    // would run it past a strict CSP; it runs on the next view instead,
    // activated by the filter, where the CSP still judges it.
    if !(tag == "script" && el.get_attribute(markup::CONSENT).is_some()) {
        ctx.stamp(el);
    }
    if matches!(tag, "iframe" | "frame") {
        hide_iframe(ctx, el, in_noscript, vendor);
    }
}

/// A neutralised iframe is hidden, with a placeholder before it (none where
/// no banner script could make its button work: in a `<noscript>` or a
/// `srcdoc` document; none without a catalog vendor to name).
fn hide_iframe(ctx: &Ctx, el: &mut Element, in_noscript: bool, v: Option<&Vendor>) {
    let _ = el.set_attribute("hidden", "");
    let _ = el.set_attribute(markup::HIDDEN, "");
    if let Some(v) = v {
        if !in_noscript && ctx.depth == 0 {
            el.before(&ctx.placeholder(v), ContentType::Html);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{present_attrs, srcset_urls};
    use crate::filter::source::{rewrite_in_chunks, Source};
    use lol_html::{element, Settings};
    use std::cell::RefCell;

    /// [`present_attrs`] with names read from the input window, or through
    /// lol_html (tags cut by a chunk, a byte-order mark before a name, upper
    /// case, duplicates): the same attributes and values, in every chunking.
    #[test]
    fn present_attributes_read_alike_from_the_window_or_through_lol_html() {
        let page = "<img SRC=a.png srcset='b.png 2x' Style='background:url(c.png)'>\
            <IMG src=1 src=2 data-src=3 BACKGROUND=4>\
            <img \u{feff}src=bom.png src=plain.png>\
            <link rel=preload HREF=/x.js><input type=image SRC=i.png>\
            <video poster=p.png SRC=v.mp4></video><p style=x background=y>p</p>";
        let tags = ["img", "img", "img", "link", "input", "video", "p"];
        let read = |chunk: usize, window: bool| {
            let source = RefCell::new(Source::default());
            let seen = RefCell::new(Vec::new());
            let settings = Settings::new().append_element_content_handler(element!("*", |el| {
                let tag = el.tag_name();
                if tags.contains(&tag.as_str()) {
                    let src = source.borrow();
                    let got = present_attrs(el, &tag, window.then_some(&*src));
                    seen.borrow_mut().push(got);
                }
                Ok(())
            }));
            rewrite_in_chunks(settings, &source, page.as_bytes(), chunk);
            seen.into_inner()
        };
        let want = read(page.len(), false);
        assert_eq!(want.len(), tags.len());
        assert_eq!(
            want[0],
            [
                ("src", "a.png".to_string()),
                ("srcset", "b.png 2x".to_string()),
                ("style", "background:url(c.png)".to_string())
            ]
        );
        assert_eq!(want[1][0], ("src", "1".to_string()), "the first duplicate");
        for chunk in [1, 3, 8, 21, page.len()] {
            assert_eq!(read(chunk, true), want, "chunks of {chunk}");
        }
    }

    #[test]
    fn every_tag_fits_the_attribute_slots() {
        for tag in [
            "img", "image", "iframe", "frame", "embed", "audio", "track", "input", "video",
            "source", "object", "link", "a", "area", "feimage", "use", "script", "p",
        ] {
            assert!(super::url_attrs(tag).len() <= super::MAX_URL_ATTRS, "{tag}");
        }
    }

    #[test]
    fn srcset_as_the_spec_splits_it() {
        assert_eq!(
            srcset_urls("a.png 1x, b.png 2x,c.png"),
            vec!["a.png", "b.png", "c.png"]
        );
        // a comma inside the URL (userinfo) is part of it (review C13)
        assert_eq!(
            srcset_urls("https://x,@www.facebook.com/tr?id=1 1x"),
            vec!["https://x,@www.facebook.com/tr?id=1"]
        );
        assert_eq!(srcset_urls("a.png,, b.png"), vec!["a.png", "b.png"]);
        assert_eq!(srcset_urls("  "), Vec::<String>::new());
    }
}
