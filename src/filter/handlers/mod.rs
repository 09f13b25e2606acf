//! The element handlers, one file per kind of element, and the selectors
//! they are registered on.

pub(super) mod author;
pub(super) mod base;
pub(super) mod inject;
pub(super) mod media;
pub(super) mod script;
pub(super) mod srcdoc;
pub(super) mod style;

use super::hold::SharedCore;
use super::policy::Ctx;
use crate::markup;
use encoding_rs::Encoding;
use lol_html::html_content::Element;
use lol_html::{
    AsciiCompatibleEncoding, ElementContentHandlers, HandlerResult, HtmlRewriter, MemorySettings,
    Selector, Settings,
};
use std::borrow::Cow;
use std::rc::Rc;
use std::sync::OnceLock;

/// The settings the handlers are appended to.
pub(super) type Rewriting = Settings<'static, 'static>;

/// Registers the tracker handlers, in this order (lol_html runs the
/// handlers of one element in registration order): media and author-tagged
/// elements (and `srcdoc`), scripts, noscripts.
pub(super) fn tracker_handlers(s: Rewriting, ctx: &Rc<Ctx>, core: &SharedCore) -> Rewriting {
    let sel = selectors();
    // An `<iframe>` is also raw text to track for the bail-out tail, done
    // here rather than by a handler of its own (same order: media first).
    let (c, k) = (ctx.clone(), core.clone());
    let s = s.append_element_content_handler(on(&sel.media, move |el| {
        let tag = el.tag_name();
        media_or_tagged(&c, el, false, &tag);
        if tag == "iframe" {
            super::failsafe::track_raw_text(&k, el, "iframe")
        } else {
            Ok(())
        }
    }));
    let (c, k) = (ctx.clone(), core.clone());
    let s = s.append_element_content_handler(on(&sel.script, move |el| {
        script::handle_script(&c, &k, el)
    }));
    let (c, k) = (ctx.clone(), core.clone());
    let s = s.append_element_content_handler(on(&sel.noscript, move |el| {
        script::hold_noscript(&c, &k, el)
    }));
    s.append_element_content_handler(style::style_handlers(&sel.style, ctx))
}

/// Sends an element to [`media::handle_media`] or
/// [`author::handle_author_tagged`], exactly as if each had its own handler,
/// registered in that order, on
///
/// * media: `img, iframe, embed, object, video, audio, source, link[href],
///   a[ping], area[ping]` (elements with `data-consent` are left alone);
/// * author tags: `script, img, iframe, embed, object, video, audio, source,
///   link, a` with `[data-consent]`.
///
/// One handler on one selector list ([`MEDIA_SELECTOR`], or `*` for
/// `<noscript>` fragments) costs lol_html much less per tag than twenty
/// selectors, and reads the tag name once. Scripts come here only from
/// fragments; in the document [`script::handle_script`] does this for them.
pub(super) fn media_or_tagged(ctx: &Ctx, el: &mut Element, in_noscript: bool, tag: &str) {
    let lower;
    let tag = if tag.bytes().any(|b| b.is_ascii_uppercase()) {
        lower = tag.to_ascii_lowercase();
        lower.as_str()
    } else {
        tag
    };
    if tag == "base" {
        base::handle_base(ctx, el);
        return;
    }
    if el.has_attribute(markup::CONSENT) {
        // In the document a `script[data-consent]` is the script handler's
        // (it calls the author handler itself); in fragments it is ours.
        if tag != "script" || in_noscript {
            author::handle_author_tagged(ctx, el, tag);
        }
        if tag == "iframe" && !el.removed() {
            srcdoc::handle_srcdoc(ctx, el);
        }
        return;
    }
    media::handle_media(ctx, el, in_noscript, tag);
    if tag == "iframe" && !el.removed() {
        srcdoc::handle_srcdoc(ctx, el);
    }
}

/// Runs the media and author-tag handlers over a `<noscript>`'s content.
pub(super) fn rewrite_fragment(ctx: &Ctx, content: &[u8], encoding: &'static Encoding) -> Vec<u8> {
    if content.is_empty() {
        return Vec::new();
    }
    let Some(enc) = AsciiCompatibleEncoding::new(encoding) else {
        return Vec::new();
    };
    if !content.contains(&b'<') {
        // No element, nothing to rewrite: lol_html would pass it through as is.
        return content.to_vec();
    }
    let mut out = Vec::with_capacity(content.len());
    // A single `*` selector: compiling it is far cheaper than the document's
    // list, which matters as the rewriter is built for every `<noscript>`.
    let settings = Settings::new()
        .append_element_content_handler(on(&selectors().any, |el| {
            let tag = el.tag_name();
            media_or_tagged(ctx, el, true, &tag);
            // Offsets would be the fragment's: read through lol_html.
            super::code::handle_code_attrs(ctx, el, None);
            Ok(())
        }))
        .with_encoding(enc)
        .with_memory_settings(
            MemorySettings::new().with_max_allowed_memory_usage(ctx.max_held.saturating_mul(4)),
        );
    let mut rw = HtmlRewriter::new(settings, |c: &[u8]| out.extend_from_slice(c));
    let ok = rw.write(content).is_ok() && rw.end().is_ok();
    if ok {
        out
    } else {
        // Fail safe: a noscript we cannot filter is dropped.
        Vec::new()
    }
}

/// The document's selector for [`media_or_tagged`]: every element it can
/// act on except `script` (see [`script::handle_script`]).
/// (`script` for SVG's `<script href>`; `[background]` and `[style]` on
/// any element; `<base>` for the document base URL.)
const MEDIA_SELECTOR: &str = "img, image, iframe, frame, embed, object, video, audio, source, \
     track, input, link, a[ping], a[data-consent], area[ping], use, feimage, script, base, \
     [background], [style], [data-consent]";

/// Every selector the filter uses, parsed once per process. lol_html still
/// compiles them for each rewriter, but parsing the text again was about a
/// third of the fixed cost of [`super::Filter::new`].
pub(super) struct Selectors {
    pub(super) media: Selector,
    pub(super) script: Selector,
    pub(super) noscript: Selector,
    pub(super) style: Selector,
    pub(super) raw_text: Selector,
    pub(super) head: Selector,
    pub(super) body: Selector,
    pub(super) declaration: Selector,
    pub(super) status: Selector,
    pub(super) reopen: Selector,
    pub(super) any: Selector,
}

pub(super) fn selectors() -> &'static Selectors {
    static SELECTORS: OnceLock<Selectors> = OnceLock::new();
    SELECTORS.get_or_init(|| {
        // Constant, valid CSS (every test builds a filter).
        let p = |css: &str| css.parse::<Selector>().expect("filter selector");
        Selectors {
            media: p(MEDIA_SELECTOR),
            script: p("script"),
            noscript: p("noscript"),
            style: p("style"),
            // `iframe` is raw text too; the media handler tracks it.
            raw_text: p("style, textarea, title, xmp, noembed, noframes"),
            head: p("head"),
            body: p("body"),
            declaration: p(&format!("[{}]", markup::DECLARATION)),
            status: p(&format!("[{}]", markup::STATUS)),
            reopen: p(&format!("button[{}]", markup::OPEN)),
            any: p("*"),
        }
    })
}

/// An element handler on a pre-parsed selector (what `lol_html::element!`
/// builds from a selector string).
pub(super) fn on<'h>(
    selector: &'static Selector,
    handler: impl FnMut(&mut Element<'_, '_>) -> HandlerResult + 'h,
) -> (Cow<'static, Selector>, ElementContentHandlers<'h>) {
    (
        Cow::Borrowed(selector),
        ElementContentHandlers::default().element(handler),
    )
}
