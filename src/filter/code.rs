//! Code outside `<script>` text (issue 12 classes 4, 8 and 9): event
//! handler attributes, `javascript:` and `data:` URLs, `<meta refresh>`,
//! import maps, and the nested-foreign-content parser differential.
//!
//! "Code reaches a refused vendor" ([`refused_in_code`]) means: one of its
//! catalog signatures occurs in it, or it names a catalog host literally
//! (`//host/path`, also with JSON-escaped slashes `\/\/`), which it would
//! load at run time. For handlers and URLs the second rule costs nothing in
//! false positives worth keeping: an `onclick` or a `javascript:` link that
//! spells out a tracker's URL is a tracker call.
//!
//! Every decision here is taken on one element or one held text as a whole,
//! so it does not depend on how the input was chunked.

use super::handlers::Rewriting;
use super::policy::Ctx;
use super::source::Source;
use super::Blocking;
use crate::consent::Category;
use crate::html::decode_attribute;
use crate::markup;
use encoding_rs::Encoding;
use lol_html::html_content::{Attribute, Comment, Element, EndTag, TextChunk, TextType};
use lol_html::{ElementContentHandlers, HandlerResult, Selector};
use std::borrow::Cow;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::OnceLock;

/// A refused verdict: the category and the vendor id to label with.
pub(super) type Refusal = (Category, String);

const HTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// The code checks, when something can be refused: on every element
/// (the one element handler, [`super::handlers::element_handler`], calls
/// [`CodeChecks::any`]) handlers, URLs, refresh and the breakout check; on
/// `svg` and `math` elements ([`CodeChecks::foreign`]) their nesting, and
/// the comments and CDATA inside them ([`CodeChecks::register`]), for the
/// nested-foreign-content fail-safe ([`breakout_check`]).
///
/// The comment and text handlers sit on `svg, math` only, not on the
/// document: lol_html re-encodes every text chunk a handler sees, which
/// would replace invalid bytes of a mislabelled page everywhere (the
/// filter passes untouched markup byte for byte).
///
/// `None` (and nothing to register) when the visitor granted every
/// category: nothing can be refused, and the page passes byte for byte
/// (the differential cut included: it only protects refusals).
pub(super) fn code_checks(ctx: &Rc<Ctx>) -> Option<CodeChecks> {
    ctx.strictest_refused()?;
    Some(CodeChecks {
        ctx: ctx.clone(),
        foreign: Rc::new(Cell::new(0u32)),
    })
}

/// The code checks of one response (see [`code_checks`]); a clone shares
/// its state.
#[derive(Clone)]
pub(super) struct CodeChecks {
    ctx: Rc<Ctx>,
    /// Open `svg`/`math` elements, shared with their comment and text
    /// handlers.
    foreign: Rc<Cell<u32>>,
}

impl CodeChecks {
    /// Every element: the breakout check, then the attributes (read from
    /// `source` where it holds them).
    pub(super) fn any(&self, el: &mut Element, source: &Source) -> HandlerResult {
        breakout_check(el)?;
        handle_code_attrs(&self.ctx, el, Some(source));
        Ok(())
    }

    /// An `svg` or `math` element: counts it open until its end tag.
    pub(super) fn foreign(&self, el: &mut Element) -> HandlerResult {
        count_foreign(&self.foreign, el)
    }

    /// Registers the comment and text handlers on `svg, math`.
    pub(super) fn register(&self, s: Rewriting) -> Rewriting {
        static FOREIGN: OnceLock<Selector> = OnceLock::new();
        let sel = FOREIGN.get_or_init(|| "svg, math".parse().expect("foreign selector"));
        let (f2, f3) = (self.foreign.clone(), self.foreign.clone());
        let handlers = ElementContentHandlers::default()
            .comments(move |com: &mut Comment| {
                if f2.get() >= 2 && com.text().contains('<') {
                    return Err(Differential.into());
                }
                Ok(())
            })
            .text(move |t: &mut TextChunk| {
                // Any CDATA text, not only text holding `<`: lol_html hands
                // it over in chunks, and the cut must fall at the same place
                // however the input was chunked (at its first chunk).
                if f3.get() >= 2
                    && t.text_type() == TextType::CDataSection
                    && !t.as_str().is_empty()
                {
                    return Err(Differential.into());
                }
                Ok(())
            });
        s.append_element_content_handler((Cow::Borrowed(sel), handlers))
    }
}

/// Counts the open `svg`/`math` elements (start tags less end tags seen).
fn count_foreign(foreign: &Rc<Cell<u32>>, el: &mut Element) -> HandlerResult {
    if el.is_self_closing() || el.namespace_uri() == HTML_NS {
        return Ok(());
    }
    foreign.set(foreign.get() + 1);
    let f = foreign.clone();
    el.on_end_tag(lol_html::end_tag!(move |_e: &mut EndTag| {
        f.set(f.get().saturating_sub(1));
        Ok(())
    }))
}

/// The error that makes lol_html bail out (the fail-safe cut) on a parser
/// differential.
#[derive(Debug, thiserror::Error)]
#[error("nested foreign content: lol_html and the HTML tree builder disagree")]
struct Differential;

/// The HTML elements whose start tag, inside SVG or MathML, makes the tree
/// builder pop EVERY foreign element (HTML §13.2.6.5, "any other start tag"
/// breakout list; `font` only with `color`, `face` or `size`).
const BREAKOUT: &[&str] = &[
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "center",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "i",
    "img",
    "li",
    "listing",
    "menu",
    "meta",
    "nobr",
    "ol",
    "p",
    "pre",
    "ruby",
    "s",
    "small",
    "span",
    "strong",
    "strike",
    "sub",
    "sup",
    "table",
    "tt",
    "u",
    "ul",
    "var",
];

/// The parser-differential fail-safe (issue 12 class 8).
///
/// lol_html 3.0.3 leaves ONE foreign level on a breakout tag
/// (`tree_builder_simulator::leave_ns`); the browser pops them all. Inside
/// nested SVG/MathML (`<svg><svg><p>`) lol_html therefore stays in foreign
/// content where the browser is back in HTML: it reads `<![CDATA[` as CDATA
/// and `<style>` content as markup, and a `<script>` the browser runs is
/// text to it. Two signals, both exact or conservative:
///
/// * a breakout element that lol_html reports in a foreign namespace: the
///   browser has it in HTML, so lol_html's view is wrong from here on;
/// * while two or more `svg`/`math` elements are open (counted from their
///   start and end tags, an over-estimate when end tags are missing), a
///   non-empty CDATA section or a comment holding `<` (lol_html hands a
///   comment over whole, CDATA text in chunks): what an end-tag breakout
///   (`</p>`, `</br>`, not visible to element handlers) could hide.
///
/// Either one makes the handler fail, and lol_html's graceful bail-out cuts
/// the document cleanly there ([`super::failsafe`]): nothing after it is
/// sent. Real pages rarely nest `<svg>` without closing it.
fn breakout_check(el: &mut Element) -> HandlerResult {
    if el.namespace_uri() == HTML_NS {
        return Ok(());
    }
    let tag = el.tag_name();
    let font = tag == "font"
        && ["color", "face", "size"]
            .iter()
            .any(|a| el.has_attribute(a));
    if font || BREAKOUT.contains(&tag.as_str()) {
        return Err(Differential.into());
    }
    Ok(())
}

/// Event handlers, `javascript:`/`data:` URLs and `<meta refresh>` on one
/// element (also called for `<noscript>` fragments).
///
/// * an `on*` attribute whose code reaches a refused vendor is removed (the
///   banner's script has no way to restore handlers; the page's next view
///   after consent has it back);
/// * a `javascript:` URL in any attribute, or a `data:` URL whose HTML, SVG
///   or JavaScript payload reaches one: a URL attribute the banner restores
///   (`src`, `href`, `data`, …: [`markup::URL_ATTRS`]) moves to its
///   `data-consent-` stash with the category and vendor (re-activated on
///   consent), any other attribute is removed;
/// * `<meta http-equiv=refresh>` to a refused vendor loses `http-equiv`.
///
/// Author-tagged elements (`data-consent`) are left to their own handler.
///
/// `source`: the input the element came from, to read names and values
/// as spelled there ([`raw_attr`]) rather than allocated one by one.
pub(super) fn handle_code_attrs(ctx: &Ctx, el: &mut Element, source: Option<&Source>) {
    if el.removed() || ctx.strictest_refused().is_none() {
        // Everything granted (a `<noscript>` fragment): nothing to refuse.
        return;
    }
    // One pass over the attributes, each name read (allocated) once: the
    // author tag and `http-equiv` are noticed on the way instead of looked
    // up (`has_attribute`/`tag_name` allocate too), and nothing changes the
    // element before the loop ends.
    let mut hits: Vec<(String, Option<String>, Refusal)> = Vec::new();
    let mut http_equiv = false;
    for a in el.attributes() {
        let raw = source.and_then(|s| raw_attr(s, a));
        let decoded;
        let name = match raw {
            Some((n, _)) => n,
            None => {
                decoded = a.name();
                decoded.as_bytes()
            }
        };
        if starts_with_ci(name, b"data-") {
            if name.eq_ignore_ascii_case(markup::CONSENT.as_bytes()) {
                // Left to the author-tag handler.
                return;
            }
            continue;
        }
        http_equiv |= name.eq_ignore_ascii_case(b"http-equiv");
        if name.len() > 2 && starts_with_ci(name, b"on") {
            if let Some(r) = refused_in_code(ctx, &decode_attribute(&a.value())) {
                hits.push((a.name(), None, r));
            }
            continue;
        }
        if raw.is_some_and(|(_, v)| !may_be_code_url(v)) {
            continue;
        }
        let value = a.value();
        if !may_be_code_url(value.as_bytes()) {
            continue;
        }
        if let Some(r) = url_code_refused(ctx, &value) {
            hits.push((a.name(), Some(value), r));
        }
    }
    if http_equiv && el.tag_name() == "meta" {
        if let Some(r) = refresh_refused(ctx, el) {
            el.remove_attribute("http-equiv");
            ctx.saw(r.0);
        }
    }
    let Some(strictest) = hits.iter().map(|h| &h.2).max_by_key(|r| r.0).cloned() else {
        return;
    };
    ctx.saw(strictest.0);
    let mut stashed = false;
    for (name, value, _) in hits {
        el.remove_attribute(&name);
        match value {
            Some(v)
                if ctx.blocking == Blocking::Neutralize
                    && markup::URL_ATTRS.contains(&name.as_str()) =>
            {
                let _ = el.set_attribute(&markup::stash(&name), &v);
                stashed = true;
            }
            _ => {}
        }
    }
    if stashed {
        // The element may be labelled already (a tracker `src` next to a
        // `javascript:` `href`): the strictest refused category wins.
        let before = el
            .get_attribute(markup::CATEGORY)
            .and_then(|c| Category::from_id(c.trim()))
            .filter(|c| !ctx.grants.has(*c));
        if before.is_none_or(|b| b < strictest.0) {
            let _ = el.set_attribute(markup::CATEGORY, strictest.0.id());
            let _ = el.set_attribute(markup::VENDOR, &strictest.1);
        }
    }
}

/// An attribute's name and value as the source spelled them, if `source`
/// still holds them and they answer every test of [`handle_code_attrs`]
/// as lol_html's decoded `name()`/`value()` would: lol_html rewrites only
/// ASCII-compatible encodings, in which a byte below 0x80 at a character
/// boundary is that ASCII character, so an ASCII prefix (`data-`, `on`,
/// `javascript:`) or an ASCII name reads the same either way, and `&` is
/// never part of a multi-byte character. A name or value whose first byte
/// is 0x80 or above is left to lol_html: its decoding honours a leading
/// byte-order mark (`EF BB BF`, `FE FF`, `FF FE`), which can turn the rest
/// into other characters. An attribute written without a value has an
/// empty one.
fn raw_attr<'s>(source: &'s Source, a: &Attribute<'_>) -> Option<(&'s [u8], &'s [u8])> {
    let name = source.attr_name(a)?;
    let value = match a.value_source_location() {
        Some(v) => source.get(v.bytes())?,
        None => b"",
    };
    if value.first().is_some_and(|b| *b >= 0x80) {
        return None;
    }
    // The offsets are lol_html's: check them against its own reading
    // (`Source::attr_name` checks the name).
    #[cfg(debug_assertions)]
    if value.is_ascii() {
        debug_assert_eq!(a.value().as_bytes(), value, "attribute value");
    }
    Some((name, value))
}

/// Whether `s` starts with `prefix`, ASCII case-insensitively.
fn starts_with_ci(s: &[u8], prefix: &[u8]) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Whether an attribute value can be a `javascript:` or `data:` URL,
/// without allocating (the hot path: every attribute of every element).
/// A value with a character reference goes to the full check (the scheme
/// may be spelled with references); otherwise the scheme is read as the
/// URL parser reads it: leading C0 controls and spaces skipped, tabs and
/// newlines ignored, ASCII case-insensitive.
fn may_be_code_url(v: &[u8]) -> bool {
    if v.contains(&b'&') {
        return true;
    }
    let mut letters = v
        .iter()
        .copied()
        .skip_while(|b| *b <= b' ')
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\r'))
        .map(|b| b.to_ascii_lowercase());
    let starts =
        |want: &[u8], it: &mut dyn Iterator<Item = u8>| want.iter().all(|w| it.next() == Some(*w));
    match letters.next() {
        Some(b'j') => starts(b"avascript:", &mut letters),
        Some(b'd') => starts(b"ata:", &mut letters),
        _ => false,
    }
}

/// `<meta http-equiv=refresh content="n; url=…">` to a refused vendor.
fn refresh_refused(ctx: &Ctx, el: &Element) -> Option<Refusal> {
    let equiv = el.get_attribute("http-equiv")?;
    if !equiv.trim().eq_ignore_ascii_case("refresh") {
        return None;
    }
    let content = decode_attribute(&el.get_attribute("content")?).into_owned();
    let url = refresh_url(&content)?;
    url_code_refused(ctx, url).or_else(|| ctx.refused_url(url).map(|v| (v.category, v.id.clone())))
}

/// The URL of a refresh `content` (HTML "shared declarative refresh steps":
/// digits and dots, `;` or `,`, optional `url=`, optional quotes).
fn refresh_url(content: &str) -> Option<&str> {
    let ws = |c: char| c.is_ascii_whitespace();
    let s = content.trim_start_matches(ws);
    let s = s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let s = s.trim_start_matches(ws).strip_prefix([';', ','])?;
    let mut s = s.trim_start_matches(ws);
    if s.len() >= 3 && s.is_char_boundary(3) && s[..3].eq_ignore_ascii_case("url") {
        if let Some(r) = s[3..].trim_start_matches(ws).strip_prefix('=') {
            s = r.trim_start_matches(ws);
        }
    }
    let s = match s.chars().next() {
        Some(q @ ('"' | '\'')) => s[1..].split(q).next().unwrap_or(""),
        _ => s,
    };
    (!s.is_empty()).then_some(s)
}

/// The scheme of a URL attribute value as the URL parser reads it (entities
/// decoded, C0 controls and spaces trimmed, tabs and newlines removed),
/// lowercase; and the rest after the colon.
fn scheme_and_rest(raw: &str) -> Option<(String, String)> {
    let v = decode_attribute(raw);
    let v: String = v
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let colon = v.find(':')?;
    let sch = &v[..colon];
    let ok = sch.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && sch
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then(|| (sch.to_ascii_lowercase(), v[colon + 1..].to_string()))
}

/// A `javascript:` URL whose code, or a `data:` URL whose payload, reaches
/// a refused vendor ([`data_url_refused`]).
fn url_code_refused(ctx: &Ctx, raw: &str) -> Option<Refusal> {
    let (scheme, rest) = scheme_and_rest(raw)?;
    match scheme.as_str() {
        "javascript" => {
            let code = percent_encoding::percent_decode_str(&rest).decode_utf8_lossy();
            refused_in_code(ctx, &code)
        }
        "data" => data_url_refused(ctx, raw),
        _ => None,
    }
}

/// A `data:` URL (in a frame, object, embed or script) whose payload
/// reaches a refused vendor: HTML, SVG and XML documents are run through a
/// nested [`Filter`] (as `srcdoc` is) and scanned as code; JavaScript is
/// scanned as code. A payload that cannot be decoded (bad base64) in one
/// of those types is refused as the strictest refused category (fail closed).
pub(super) fn data_url_refused(ctx: &Ctx, raw: &str) -> Option<Refusal> {
    let (scheme, rest) = scheme_and_rest(raw)?;
    if scheme != "data" {
        return None;
    }
    let (meta, body) = rest.split_once(',')?;
    let meta = meta.to_ascii_lowercase();
    let mime = meta.split(';').next().unwrap_or("").trim().to_string();
    let doc = mime.contains("html") || mime.contains("svg") || mime.contains("xml");
    let js = mime.contains("javascript") || mime.contains("ecmascript") || mime.contains("jscript");
    if !doc && !js {
        return None;
    }
    let strictest = || {
        ctx.strictest_refused()
            .map(|c| (c, ctx.catalog.unknown_vendor().id.clone()))
    };
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(body).collect();
    let bytes = if meta.trim_end().ends_with(";base64") {
        use base64::Engine;
        let clean: Vec<u8> = bytes
            .into_iter()
            .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
            .collect();
        match base64::engine::general_purpose::STANDARD_NO_PAD.decode(clean) {
            Ok(b) => b,
            Err(_) => return strictest(),
        }
    } else {
        bytes
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut found = refused_in_code(ctx, &text);
    if doc {
        if let Some(c) = nested_document_refused(ctx, &text) {
            if found.as_ref().is_none_or(|f| f.0 < c) {
                found = Some((c, ctx.catalog.unknown_vendor().id.clone()));
            }
        }
    }
    found
}

/// The strictest category a nested [`Filter`] refuses in `doc` (a document
/// the browser would load in a frame); one level deeper than
/// [`super::handlers::srcdoc`]'s limit, anything with markup is refused.
fn nested_document_refused(ctx: &Ctx, doc: &str) -> Option<Category> {
    if ctx.depth >= 2 {
        return ctx.strictest_refused().filter(|_| doc.contains('<'));
    }
    // The same nested run as a `srcdoc` document (its failure counts as the
    // strictest refused category); only the verdict is kept.
    super::handlers::srcdoc::filter_srcdoc(ctx, doc).1
}

/// The strictest refused vendor that a piece of code reaches: by a catalog
/// signature, or by naming a catalog host (`//host/path`).
pub(super) fn refused_in_code(ctx: &Ctx, code: &str) -> Option<Refusal> {
    let mut best: Option<Refusal> = None;
    let mut take = |c: Category, id: &str| {
        if best.as_ref().is_none_or(|b| b.0 < c) {
            best = Some((c, id.to_string()));
        }
    };
    if ctx.scan_scripts {
        for v in ctx.catalog.match_script_all(code.as_bytes()) {
            if ctx.refused(v) {
                take(v.category, &v.id);
            }
        }
    }
    let code = code.replace("\\/", "/");
    host_literals(&code, |host, path| {
        if let Some(v) = ctx.catalog.match_host_path(host, path) {
            if ctx.refused(v) {
                take(v.category, &v.id);
            }
        }
    });
    best
}

/// Calls `f` with every host (lowercase) and path written as `//host/path`
/// in `code`.
fn host_literals(code: &str, mut f: impl FnMut(&str, &str)) {
    let b = code.as_bytes();
    let mut i = 0;
    while let Some(p) = code[i..].find("//") {
        let s = i + p + 2;
        let mut e = s;
        while e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'.' || b[e] == b'-') {
            e += 1;
        }
        if e > s {
            let mut pe = e;
            while pe < b.len()
                && !matches!(
                    b[pe],
                    b'"' | b'\'' | b'`' | b' ' | b')' | b'?' | b'#' | b'\\' | b'<' | b'>'
                )
            {
                pe += 1;
            }
            let host = code[s..e].trim_end_matches('.').to_ascii_lowercase();
            let path = if b.get(e) == Some(&b'/') {
                &code[e..pe]
            } else {
                "/"
            };
            f(&host, path);
        }
        i = s;
    }
}

/// An import map (held text, in the page's encoding) that maps a specifier
/// to a refused vendor: its `imports` and `scopes` values are matched as
/// script URLs. One longer than `max_held` (`over`) is refused as the
/// strictest refused category (fail closed). Invalid JSON is no import map
/// to the browser (nothing is fetched): not refused.
pub(super) fn importmap_refused(
    ctx: &Ctx,
    text: &[u8],
    encoding: &'static Encoding,
    over: bool,
) -> Option<Refusal> {
    if over {
        return ctx
            .strictest_refused()
            .map(|c| (c, ctx.catalog.unknown_vendor().id.clone()));
    }
    let (json, _) = encoding.decode_without_bom_handling(text);
    let map: serde_json::Value = serde_json::from_str(&json).ok()?;
    fn values(m: &serde_json::Value) -> impl Iterator<Item = &str> {
        m.as_object()
            .into_iter()
            .flat_map(|o| o.values().filter_map(|u| u.as_str()))
    }
    let mut urls: Vec<&str> = map
        .get("imports")
        .map(values)
        .into_iter()
        .flatten()
        .collect();
    if let Some(s) = map.get("scopes").and_then(|s| s.as_object()) {
        urls.extend(s.values().flat_map(values));
    }
    urls.into_iter()
        .filter_map(|u| ctx.refused_script_src(u, &|_| false))
        .max_by_key(|v| v.category)
        .map(|v| (v.category, v.id.clone()))
}

#[cfg(test)]
mod tests {
    use super::{may_be_code_url, refresh_url};
    use crate::consent::Grants;
    use crate::filter::{Config, Filter, Page};
    use crate::trackers::Catalog;

    fn filtered(html: &[u8], chunk: usize) -> Vec<u8> {
        let page = Page {
            grants: Grants::NECESSARY_ONLY,
            ..Page::default()
        };
        let mut f = Filter::new(Catalog::embedded(), &Config::default(), page, None);
        let mut out = Vec::new();
        for c in html.chunks(chunk) {
            out.extend(f.write(c));
        }
        out.extend(f.end());
        out
    }

    /// Names and values read from the source window ([`super::raw_attr`])
    /// or, for a tag longer than the window or a leading byte-order mark,
    /// through lol_html: the same verdicts however the input is chunked.
    #[test]
    fn attributes_read_alike_from_the_source_or_through_lol_html() {
        let html = "<p><a ID=x OnClick=\"fetch('//www.google-analytics.com/collect')\" \
             href=\"javascript:fetch('//www.google-analytics.com/g')\">a</a>\
             <a href=\"\u{feff}javascript:fetch('//www.google-analytics.com/g')\">b</a>\
             <a DATA-consent=analytics href=\"javascript:x()\">c</a>\
             <a title=ok href=/x>d</a></p>";
        let whole = filtered(html.as_bytes(), html.len());
        let text = String::from_utf8(whole.clone()).unwrap();
        assert!(
            !text.contains("OnClick") && !text.contains("onclick"),
            "{text}"
        );
        assert!(
            text.contains("<a ID=x data-consent-href=\"javascript:"),
            "{text}"
        );
        // lol_html's decoding drops the byte-order mark: refused too.
        assert!(
            text.contains("<a data-consent-href=\"javascript:"),
            "{text}"
        );
        assert!(
            text.contains("DATA-consent=analytics href=\"javascript:x()\""),
            "{text}"
        );
        assert!(text.contains("<a title=ok href=/x>d</a>"), "{text}");
        for chunk in [1, 2, 7, 16, 61] {
            assert_eq!(filtered(html.as_bytes(), chunk), whole, "chunks of {chunk}");
        }
    }

    #[test]
    fn code_url_precheck_lets_every_spelling_through() {
        for v in [
            "javascript:x",
            " JavaScript:x",
            "\x01java\tscript:x",
            "java\nscript:x",
            "DATA:text/html,x",
            "&#106;avascript:x",
            "java&#9;script:x",
        ] {
            assert!(may_be_code_url(v.as_bytes()), "{v:?}");
        }
        for v in [
            "https://a.b/",
            "/javascript:x",
            "color:red",
            "dat:x",
            "",
            "j",
        ] {
            assert!(!may_be_code_url(v.as_bytes()), "{v:?}");
        }
    }

    #[test]
    fn refresh_urls_as_the_spec_reads_them() {
        assert_eq!(refresh_url("0; url=https://a.b/x"), Some("https://a.b/x"));
        assert_eq!(refresh_url("5,URL='https://a.b/x'"), Some("https://a.b/x"));
        assert_eq!(refresh_url(" 1.5 ; https://a.b/x"), Some("https://a.b/x"));
        assert_eq!(refresh_url("30"), None);
    }
}
