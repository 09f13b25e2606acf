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
use super::source::{SharedSource, Source};
use super::{code, failsafe};
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

/// Registers the tracker handlers: ONE element handler on `*`
/// ([`element_handler`]), then the text of `style` elements, then (when
/// something can be refused) the comments and text in `svg, math`
/// ([`code::CodeChecks::register`]).
pub(super) fn tracker_handlers(
    s: Rewriting,
    ctx: &Rc<Ctx>,
    core: &SharedCore,
    source: &SharedSource,
) -> Rewriting {
    let sel = selectors();
    let (style_element, style_text) = style::style_handlers(&sel.style, ctx);
    let code = code::code_checks(ctx);
    let s = s.append_element_content_handler(on(
        &sel.any,
        element_handler(ctx, core, source, style_element, code.clone()),
    ));
    let s = s.append_element_content_handler(style_text);
    match code {
        Some(code) => code.register(s),
        None => s,
    }
}

/// The one element handler: what each element gets, by its tag name (and
/// for media, its attributes), in the order the separate handlers it
/// replaces were registered in (lol_html runs one element's handlers in
/// registration order, each on the element as the ones before left it,
/// and stops at the first error):
///
/// 1. media and author-tagged elements ([`media_or_tagged`], on what
///    [`MEDIA_TAGS`] and [`is_media`] select), an `<iframe>` also tracked
///    as raw text for the bail-out tail;
/// 2. `script` ([`script::handle_script`]);
/// 3. `noscript` ([`script::hold_noscript`]);
/// 4. `style` (its end tag, [`style::style_handlers`]);
/// 5. every element, when something can be refused: the code checks
///    ([`code::CodeChecks::any`]), then for `svg` and `math` their nesting;
/// 6. the raw-text elements [`RAW_TEXT`] tracked for the bail-out tail.
///
/// lol_html's selector VM matched the 22 selectors of the media list, four
/// of them on attributes (which made every element wait for its
/// attributes), and six more selectors, on every element: one `*` costs it
/// next to nothing, and the tag name is read from the input window
/// ([`Source::tag_name`]) instead of through lol_html.
fn element_handler(
    ctx: &Rc<Ctx>,
    core: &SharedCore,
    source: &SharedSource,
    mut style_element: impl FnMut(&mut Element) -> HandlerResult + 'static,
    code: Option<code::CodeChecks>,
) -> impl FnMut(&mut Element) -> HandlerResult + 'static {
    let (c, k, src) = (ctx.clone(), core.clone(), source.clone());
    move |el: &mut Element| {
        let src = src.borrow();
        let tag = known_tag(el, &src);
        if is_media(el, tag, &src) {
            let name = el.tag_name();
            media_or_tagged(&c, el, false, &name, Some(&src));
            if tag == Some("iframe") {
                failsafe::track_raw_text(&k, el, "iframe")?;
            }
        }
        match tag {
            Some("script") => script::handle_script(&c, &k, el)?,
            Some("noscript") => script::hold_noscript(&c, &k, el)?,
            Some("style") => style_element(el)?,
            _ => {}
        }
        if let Some(code) = &code {
            code.any(el, &src)?;
            if matches!(tag, Some("svg" | "math")) {
                code.foreign(el)?;
            }
        }
        if let Some(raw) = tag.filter(|t| RAW_TEXT.contains(t)) {
            failsafe::track_raw_text(&k, el, raw)?;
        }
        Ok(())
    }
}

/// The elements [`media_or_tagged`] acts on by their tag name alone
/// (`script` for SVG's `<script href>`; `<base>` for the document base
/// URL).
const MEDIA_TAGS: [&str; 16] = [
    "img", "image", "iframe", "frame", "embed", "object", "video", "audio", "source", "track",
    "input", "link", "use", "feimage", "script", "base",
];

/// The raw-text elements tracked for the bail-out tail by the element
/// handler itself (`script`, `noscript` and `iframe` are tracked by their
/// own handlers).
const RAW_TEXT: [&str; 6] = ["style", "textarea", "title", "xmp", "noembed", "noframes"];

/// Every tag name [`element_handler`] looks for.
const KNOWN_TAGS: [&str; 27] = [
    "img", "image", "iframe", "frame", "embed", "object", "video", "audio", "source", "track",
    "input", "link", "use", "feimage", "script", "base", "a", "area", "noscript", "style", "svg",
    "math", "textarea", "title", "xmp", "noembed", "noframes",
];

/// The element's tag name if it is one of [`KNOWN_TAGS`] (ASCII
/// case-insensitively, as lol_html's selectors match a type): read from
/// the input window when its start tag is held there, else through
/// lol_html.
fn known_tag(el: &Element, source: &Source) -> Option<&'static str> {
    match source.tag_name(el) {
        Some(raw) => KNOWN_TAGS
            .iter()
            .find(|k| k.as_bytes().eq_ignore_ascii_case(raw))
            .copied(),
        None => {
            let name = el.tag_name();
            KNOWN_TAGS.iter().find(|k| **k == name).copied()
        }
    }
}

/// Whether the media list selects the element: `img, image, iframe, frame,
/// embed, object, video, audio, source, track, input, link, a[ping],
/// a[data-consent], area[ping], use, feimage, script, base, [background],
/// [style], [data-consent]` (the `MEDIA_SELECTOR` the handler had).
fn is_media(el: &Element, tag: Option<&'static str>, source: &Source) -> bool {
    if tag.is_some_and(|t| MEDIA_TAGS.contains(&t)) {
        return true;
    }
    let pinged = matches!(tag, Some("a" | "area"));
    el.attributes().iter().any(|a| {
        let decoded;
        let name = match source.attr_name(a) {
            Some(n) => n,
            None => {
                decoded = a.name();
                decoded.as_bytes()
            }
        };
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        is("background") || is("style") || is(markup::CONSENT) || (pinged && is("ping"))
    })
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
/// Called by the one element handler ([`element_handler`], or the `*`
/// handler of `<noscript>` fragments): one handler costs lol_html much
/// less per tag than twenty selectors, and reads the tag name once. Scripts come here only from
/// fragments; in the document [`script::handle_script`] does this for them.
///
/// `source`: the input window the attribute names are read from where it
/// holds them (`None` in fragments, whose offsets are not the input's).
pub(super) fn media_or_tagged(
    ctx: &Ctx,
    el: &mut Element,
    in_noscript: bool,
    tag: &str,
    source: Option<&Source>,
) {
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
    if has_attr(el, source, markup::CONSENT) {
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
    media::handle_media(ctx, el, in_noscript, tag, source);
    if tag == "iframe" && !el.removed() {
        srcdoc::handle_srcdoc(ctx, el);
    }
}

/// Whether `el` has attribute `name` (ASCII), as `Element::has_attribute`
/// answers, reading the names from `source` where it holds them
/// (`has_attribute` allocates the lower-cased name it looks for).
fn has_attr(el: &Element, source: Option<&Source>, name: &str) -> bool {
    el.attributes()
        .iter()
        .any(|a| match source.and_then(|s| s.attr_name(a)) {
            Some(n) => n.eq_ignore_ascii_case(name.as_bytes()),
            None => a.name() == name,
        })
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
            media_or_tagged(ctx, el, true, &tag, None);
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

/// Every selector the filter uses, parsed once per process. lol_html still
/// compiles them for each rewriter, but parsing the text again was about a
/// third of the fixed cost of [`super::Filter::new`].
pub(super) struct Selectors {
    pub(super) script: Selector,
    pub(super) style: Selector,
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
            script: p("script"),
            style: p("style"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::source::{rewrite_in_chunks, Source};
    use lol_html::{element, HtmlRewriter, Settings};
    use std::cell::RefCell;

    /// Elements the old selectors and the one handler must sort alike:
    /// every tag it knows in several cases, media by attribute, SVG and
    /// MathML, names it must not mistake (prefixes, `<a>` without `ping`),
    /// attribute names in odd cases and places.
    const PAGE: &str = "<!doctype html><HTML><head><Title>t</Title><STYLE>a{}</STYLE>\
        <script>x</script><SCRIPT src=a.js></SCRIPT><noscript><img src=x></noscript>\
        <link rel=icon href=i><Base href=/></head><body background=b.png>\
        <div STYLE='color:red'>d</div><p data-consent=analytics>p</p><P Data-Consent>q</P>\
        <a href=x>a</a><a PING=/p href=y>b</a><area ping=/q><area href=z>\
        <abbr ping=/x>c</abbr><imgx src=1><img/src=2><IMG\tsrc=3><image href=4>\
        <iframe src=f></iframe><frame src=g><embed src=h><object data=i></object>\
        <video poster=j><source src=k><track src=l></video><audio src=m></audio>\
        <input type=image src=n><textarea>t</textarea><xmp>x</xmp><noembed>e</noembed>\
        <noframes>f</noframes><svg><use href=#u /><feImage href=o /><script href=p></script>\
        <style>s{}</style><a ping=/r>r</a></svg><math><mi>x</mi></math><Svg></Svg>\
        <span data-consent-src=x backgroundx=1 styles=2 pingx=3>s</span>\
        <div a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 style>long</div></body></HTML>";

    /// Per element, in document order, the old selectors that matched it
    /// (media list, script, noscript, style, svg/math, raw-text list).
    fn by_selectors(chunk: usize) -> Vec<Vec<&'static str>> {
        const OLD_MEDIA: &str = "img, image, iframe, frame, embed, object, video, audio, \
            source, track, input, link, a[ping], a[data-consent], area[ping], use, feimage, \
            script, base, [background], [style], [data-consent]";
        let seen: RefCell<Vec<Vec<&'static str>>> = RefCell::default();
        let mark = |label: &'static str| {
            let seen = &seen;
            move |_: &mut Element| -> HandlerResult {
                seen.borrow_mut().last_mut().expect("element").push(label);
                Ok(())
            }
        };
        let settings = Settings::new()
            .append_element_content_handler(element!("*", |_el| {
                seen.borrow_mut().push(Vec::new());
                Ok(())
            }))
            .append_element_content_handler(element!(OLD_MEDIA, mark("media")))
            .append_element_content_handler(element!("script", mark("script")))
            .append_element_content_handler(element!("noscript", mark("noscript")))
            .append_element_content_handler(element!("style", mark("style")))
            .append_element_content_handler(element!("svg, math", mark("foreign")))
            .append_element_content_handler(element!(
                "style, textarea, title, xmp, noembed, noframes",
                mark("raw")
            ));
        let mut rw = HtmlRewriter::new(settings, |_: &[u8]| {});
        for c in PAGE.as_bytes().chunks(chunk) {
            rw.write(c).unwrap();
        }
        rw.end().unwrap();
        seen.into_inner()
    }

    /// The same, as the one element handler decides it.
    fn by_tag(chunk: usize) -> Vec<Vec<&'static str>> {
        let source = RefCell::new(Source::default());
        let seen: RefCell<Vec<Vec<&'static str>>> = RefCell::default();
        let settings = Settings::new().append_element_content_handler(element!("*", |el| {
            let src = source.borrow();
            let tag = known_tag(el, &src);
            let mut got = Vec::new();
            if is_media(el, tag, &src) {
                got.push("media");
            }
            if let Some(t @ ("script" | "noscript" | "style")) = tag {
                got.push(t);
            }
            if matches!(tag, Some("svg" | "math")) {
                got.push("foreign");
            }
            if tag.is_some_and(|t| RAW_TEXT.contains(&t)) {
                got.push("raw");
            }
            seen.borrow_mut().push(got);
            Ok(())
        }));
        rewrite_in_chunks(settings, &source, PAGE.as_bytes(), chunk);
        seen.into_inner()
    }

    #[test]
    fn one_handler_selects_what_the_selectors_selected() {
        let want = by_selectors(PAGE.len());
        assert_eq!(want.len(), 46, "every element seen");
        for (label, n) in [("media", 27), ("raw", 7), ("foreign", 3)] {
            let count = want.iter().filter(|w| w.contains(&label)).count();
            assert_eq!(count, n, "{label}: the page covers it");
        }
        // Chunkings that cut start tags (names read through lol_html
        // then) and that keep them whole (read from the window).
        for chunk in [1, 2, 5, 13, 64, PAGE.len()] {
            assert_eq!(by_tag(chunk), by_selectors(chunk), "chunks of {chunk}");
        }
    }
}
