//! The independent oracle of issue 12: what would a browser FETCH or RUN
//! from the filter's output?
//!
//! Nothing here uses the filter's own parsing or matching. The output is
//! parsed with `html5ever` (servo's WHATWG tree builder: `<image>` becomes
//! `img`, foreign content breakouts pop every SVG/MathML level, `<noscript>`
//! is raw text with scripting on), every element of every namespace is
//! walked (template contents, the text of `<noscript>` parsed again as HTML
//! with scripting off, `srcdoc` and `data:text/html` documents parsed
//! recursively), and every URL is resolved with `url::Url` (the WHATWG URL
//! parser: tab/newline stripping, backslashes, userinfo, ports, UTS-46 host
//! mapping) against the document base URL (`<base href>`). CSS is tokenized
//! with `cssparser`. Hosts are then mapped to catalog vendors by this
//! module's own suffix lookup over `Catalog::vendors()` host patterns (not
//! `Catalog::match_url`), and every fetch or piece of code that reaches a
//! vendor whose category the visitor refused is a violation.
//!
//! [`TABLE`] lists every row the walker knows, with its spec reference; each
//! [`Hit`] names the row it came from.

#![allow(dead_code)]

#[path = "../corpus_pages/mod.rs"]
mod corpus_pages;

use consent_edge::consent::{Category, Grants};
use consent_edge::filter::{Config, Filter, Page};
use consent_edge::trackers::Catalog;
use html5ever::tendril::TendrilSink;
use html5ever::tree_builder::TreeBuilderOpts;
use html5ever::{ns, ParseOpts, QualName};
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use url::Url;

/// The URL of the page under test (first party).
pub const PAGE_URL: &str = "https://site.example/blog/post.html";

/// One row of what a browser fetches or runs.
pub struct Row {
    /// Row id used in [`Hit::row`].
    pub id: &'static str,
    /// Markup.
    pub what: &'static str,
    /// Where the behaviour is specified.
    pub spec: &'static str,
}

/// Every URL-bearing or code-bearing construct the walker knows.
pub const TABLE: &[Row] = &[
    Row { id: "script-src", what: "<script src> when the type is JS: absent or empty `type` (whatever `language` says), a JavaScript MIME type essence, `module`", spec: "HTML §4.12.1.1 'prepare the script element' steps 8-10 (type string; JavaScript MIME type essence match, MIME Sniffing §4.6)" },
    Row { id: "script-loader", what: "<script type=text/partytown | <hash>-text/javascript>: types no browser runs but loaders execute", spec: "Partytown docs (partytown.builder.io 'Configuration': scripts are marked type=\"text/partytown\" and run in a web worker); Cloudflare Rocket Loader docs (rewrites type to '<hash>-text/javascript' and runs them itself)" },
    Row { id: "script-inline", what: "inline <script> text of a JS (or loader) type", spec: "HTML §4.12.1.1 'prepare the script element' (inline classic/module script)" },
    Row { id: "importmap", what: "<script type=importmap>: imports and scopes entries", spec: "HTML §8.1.5.3 import maps ('parse an import map string', 'resolve a module specifier')" },
    Row { id: "svg-script", what: "SVG <script href | xlink:href> and its text", spec: "SVG 2 §15.2 'The script element' (href, xlink:href)" },
    Row { id: "img", what: "<img src srcset> (the tree builder renames <image> to img)", spec: "HTML §4.8.4.3 'update the image data'; §13.2.6.4.7 'A start tag whose tag name is \"image\"'; srcset: §4.8.4.3.10 'parse a srcset attribute'" },
    Row { id: "source", what: "<source src srcset> (picture, video, audio)", spec: "HTML §4.8.2 picture/source selection; §4.8.11.5 media resource selection" },
    Row { id: "input-image", what: "<input type=image src>", spec: "HTML §4.10.5.1.19 Image Button state (the image is fetched)" },
    Row { id: "media", what: "<video src poster>, <audio src>, <track src>", spec: "HTML §4.8.9 video poster, §4.8.11.5 resource selection, §4.8.13 track" },
    Row { id: "embed", what: "<embed src>", spec: "HTML §4.8.6 the embed element" },
    Row { id: "object", what: "<object data>", spec: "HTML §4.8.7 the object element" },
    Row { id: "iframe", what: "<iframe src>, <frame src>", spec: "HTML §4.8.5 'process the iframe attributes'; §16.? obsolete frames (still rendered, 'frame')" },
    Row { id: "srcdoc", what: "<iframe srcdoc>: a document parsed recursively (its base: the container's)", spec: "HTML §4.8.5 srcdoc; §4.2.3 'fallback base URL' for about:srcdoc" },
    Row { id: "link", what: "<link href> for rel stylesheet, preload, modulepreload, prefetch, preconnect, dns-prefetch, prerender, icon, apple-touch-icon(-precomposed), mask-icon, manifest; and imagesrcset", spec: "HTML §4.6.7 link types; §4.2.4 imagesrcset; Web App Manifest §'Linking to a manifest'; Apple 'Configuring Web Applications' (apple-touch-icon)" },
    Row { id: "ping", what: "<a ping>, <area ping> (space-separated URLs)", spec: "HTML §4.6.6 hyperlink auditing" },
    Row { id: "background", what: "background= on any HTML element (body, table, td, th, …)", spec: "HTML §15.3.3 'The page' (body background), §15.3.8 tables: 'background' maps to background-image" },
    Row { id: "svg-ref", what: "SVG <image>, <feImage>, <use> href | xlink:href", spec: "SVG 2 §12.3 image, §5.6 use (external references); Filter Effects 1 §15.15 feImage" },
    Row { id: "svg-paint", what: "SVG presentation attributes holding url(): fill, stroke, filter, mask, clip-path, marker-*, cursor", spec: "SVG 2 §6.6 presentation attributes (parsed as CSS values)" },
    Row { id: "refresh", what: "<meta http-equiv=refresh content=\"n; url=…\">", spec: "HTML §4.2.5.3 refresh pragma, 'shared declarative refresh steps'" },
    Row { id: "base", what: "<base href>: the document base URL for every relative URL (first base with href in tree order)", spec: "HTML §4.2.3 the base element; §2.4.1 'document base URL'" },
    Row { id: "css", what: "url(), @import, image-set() strings in style= (any namespace) and <style> text", spec: "CSS Values 4 §4.5 url(); CSS Cascade 4 §2 @import; CSS Images 4 §2.2 image-set(); CSS Style Attributes; HTML §4.2.6 style" },
    Row { id: "on-handler", what: "on* attributes on any element (HTML, SVG, MathML): their code", spec: "HTML §8.1.8.1 event handler content attributes" },
    Row { id: "javascript-url", what: "javascript: URLs in any non-data-* attribute (frames run them on load, links on click): their code", spec: "HTML §7.4.2.3 'evaluate a javascript: URL'" },
    Row { id: "data-url", what: "data: URLs: text/html and SVG in frames parsed recursively; JS in script src is code", spec: "Fetch §4.2 'data: URL processor' (RFC 2397); HTML §4.8.5 (frame navigates to it)" },
    Row { id: "noscript", what: "<noscript> text parsed as HTML with scripting disabled", spec: "HTML §4.12.2 noscript; §13.2.6.4.4 'in head noscript' (scripting flag)" },
    Row { id: "template", what: "<template> contents (inert until cloned: walked conservatively)", spec: "HTML §4.12.3 template contents" },
];

/// What a browser would do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Fetch (or navigate to) this URL.
    Fetch(Url),
    /// Run this code (inline script, handler, javascript:/data: payload).
    Code(String),
}

/// One thing found, in document order.
#[derive(Debug, Clone)]
pub struct Hit {
    /// [`TABLE`] row id.
    pub row: &'static str,
    /// Where: element and attribute (`iframe@src`, nested documents prefixed).
    pub at: String,
    pub effect: Effect,
}

// ---------------------------------------------------------------------------
// Parsing and walking

const MAX_DEPTH: u8 = 4;

/// Everything a browser would fetch or run from `html`, parsed as the
/// document of `page_url`.
pub fn browser_effects(html: &str, page_url: &Url) -> Vec<Hit> {
    effects(html, page_url, None)
}

/// [`browser_effects`] once the banner's script (src/banner/banner.js,
/// `ok()` and the two activation loops) has re-activated every neutralised
/// or author-tagged element whose labelled categories are all in `grants`:
/// what the visitor gets after granting, without a reload.
pub fn effects_after_activation(html: &str, page_url: &Url, grants: Grants) -> Vec<Hit> {
    effects(html, page_url, Some(grants))
}

fn effects(html: &str, page_url: &Url, activate: Option<Grants>) -> Vec<Hit> {
    let mut w = Walker {
        hits: Vec::new(),
        activate,
    };
    w.document(html, Some(page_url.clone()), true, "", 0);
    w.hits
}

struct Walker {
    hits: Vec<Hit>,
    /// Simulate the banner's re-activation for these grants.
    activate: Option<Grants>,
}

/// The banner's re-activation of one element (banner.js: `ok(el, g)` needs
/// every category of `data-consent-category` (else `data-consent`), split on
/// spaces and commas, to be `necessary` or granted; scripts must be
/// `type="text/plain"`; then `data-consent-{src,srcset,data,href,ping,srcdoc}`
/// become live, and a script gets `data-consent-type` back as its type).
fn banner_activate(attrs: &mut Vec<html5ever::Attribute>, local: &str, g: Grants) {
    let label = attr(attrs, "data-consent-category").or_else(|| attr(attrs, "data-consent"));
    let Some(label) = label else { return };
    let cats: Vec<&str> = label
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|c| !c.is_empty())
        .collect();
    let ok = !cats.is_empty()
        && cats
            .iter()
            .all(|c| Category::from_id(c).is_some_and(|c| g.has(c)));
    if !ok || attr(attrs, "data-consent-placeholder").is_some() {
        return;
    }
    let set = |attrs: &mut Vec<html5ever::Attribute>, name: &str, v: Option<String>| {
        attrs.retain(|a| !(a.name.ns == ns!() && &*a.name.local == name));
        if let Some(v) = v {
            attrs.push(html5ever::Attribute {
                name: QualName::new(None, ns!(), name.into()),
                value: v.into(),
            });
        }
    };
    if local == "script" {
        if attr(attrs, "type").as_deref() != Some("text/plain") {
            return;
        }
        let ty = attr(attrs, "data-consent-type");
        set(attrs, "type", ty);
        if let Some(src) = attr(attrs, "data-consent-src") {
            set(attrs, "src", Some(src));
        }
        return;
    }
    for a in ["src", "srcset", "data", "href", "ping", "srcdoc"] {
        if let Some(v) = attr(attrs, &format!("data-consent-{a}")) {
            set(attrs, a, Some(v));
        }
    }
}

fn parse(html: &str, scripting: bool) -> RcDom {
    let opts = ParseOpts {
        tree_builder: TreeBuilderOpts {
            scripting_enabled: scripting,
            ..Default::default()
        },
        ..Default::default()
    };
    html5ever::parse_document(RcDom::default(), opts).one(html)
}

fn attr(attrs: &[html5ever::Attribute], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.name.ns == ns!() && &*a.name.local == name)
        .map(|a| a.value.to_string())
}

fn text_of(node: &Handle) -> String {
    let mut s = String::new();
    for c in node.children.borrow().iter() {
        if let NodeData::Text { contents } = &c.data {
            s.push_str(&contents.borrow());
        }
    }
    s
}

/// The first `<base href>` in tree order (template contents excluded).
fn first_base(node: &Handle) -> Option<String> {
    if let NodeData::Element { name, attrs, .. } = &node.data {
        if name.ns == ns!(html) && &*name.local == "base" {
            if let Some(h) = attr(&attrs.borrow(), "href") {
                return Some(h);
            }
        }
    }
    node.children.borrow().iter().find_map(first_base)
}

/// ASCII whitespace as HTML strips it from URL attributes.
fn trim_ws(s: &str) -> &str {
    s.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c'))
}

/// The scheme of a URL value as the URL parser reads it (tabs and newlines
/// removed, C0 and space trimmed), lowercase.
fn scheme_of(v: &str) -> Option<String> {
    if !v.contains(':') {
        return None; // the common case, without allocating
    }
    let s: String = v
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let colon = s.find(':')?;
    let sch = &s[..colon];
    (!sch.is_empty()
        && sch.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && sch
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| sch.to_ascii_lowercase())
}

fn resolve(base: &Option<Url>, v: &str) -> Option<Url> {
    match base {
        Some(b) => b.join(&whatwg_slashes(b, v)).ok(),
        None => Url::parse(v).ok(),
    }
}

/// rust-url 2.5 rejects `///host` (`EmptyHost`) where the URL standard, on
/// a special base, skips every leading `/` and `\` after the first two
/// ("special authority ignore slashes state"; WPT urltestdata `///test`,
/// servo/rust-url PR #1136 not merged) and browsers fetch `host`. The run
/// is collapsed to `//` first, after the C0/space trim and tab/newline
/// removal the standard also makes — so the oracle sees those fetches too.
fn whatwg_slashes<'a>(base: &Url, v: &'a str) -> std::borrow::Cow<'a, str> {
    if !base.is_special() {
        return v.into();
    }
    let cleaned: String = v
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let rest = cleaned.trim_start_matches(['/', '\\']);
    if cleaned.len() - rest.len() > 2 {
        format!("//{rest}").into()
    } else {
        v.into()
    }
}

/// The decoded payload and MIME type of a `data:` URL.
fn data_url(v: &str) -> Option<(String, String)> {
    let s: String = v
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let rest = s.get(5..)?;
    let comma = rest.find(',')?;
    let meta = rest[..comma].to_ascii_lowercase();
    let body: Vec<u8> = percent_encoding::percent_decode_str(&rest[comma + 1..]).collect();
    let body = if meta.trim_end().ends_with(";base64") {
        base64_decode(&body)?
    } else {
        body
    };
    let mime = meta.split(';').next().unwrap_or("").trim().to_string();
    Some((mime, String::from_utf8_lossy(&body).into_owned()))
}

fn base64_decode(b: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let clean: Vec<u8> = b
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(clean)
        .ok()
}

const JS_MIME: &[&str] = &[
    "application/ecmascript",
    "application/javascript",
    "application/x-ecmascript",
    "application/x-javascript",
    "text/ecmascript",
    "text/javascript",
    "text/javascript1.0",
    "text/javascript1.1",
    "text/javascript1.2",
    "text/javascript1.3",
    "text/javascript1.4",
    "text/javascript1.5",
    "text/jscript",
    "text/livescript",
    "text/x-ecmascript",
    "text/x-javascript",
];

/// What a `<script>` with this `type`/`language` is to the browser (or a
/// loader that runs it): `Some(row)` if it runs, `Some("importmap")` for an
/// import map, `None` if nothing executes it.
fn script_kind(ty: Option<&str>, language: Option<&str>) -> Option<&'static str> {
    // HTML "prepare the script element" step 8: the type string.
    let t = match (ty, language) {
        (Some(""), _) => "text/javascript".to_string(),
        (Some(t), _) => trim_ws(t).to_ascii_lowercase(),
        (None, Some("")) => "text/javascript".to_string(),
        (None, Some(l)) => format!("text/{}", trim_ws(l).to_ascii_lowercase()),
        (None, None) => "text/javascript".to_string(),
    };
    if JS_MIME.contains(&t.as_str()) || t == "module" {
        Some("script-src")
    } else if t == "importmap" {
        Some("importmap")
    } else if t == "text/partytown" || t.ends_with("-text/javascript") {
        Some("script-loader")
    } else {
        None
    }
}

/// Spec "parse a srcset attribute" (HTML §4.8.4.3.10), URLs only.
fn srcset_urls(v: &str) -> Vec<String> {
    let b = v.as_bytes();
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0c);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (ws(b[i]) || b[i] == b',') {
            i += 1;
        }
        let s = i;
        while i < b.len() && !ws(b[i]) {
            i += 1;
        }
        if s == i {
            break;
        }
        let mut url = &v[s..i];
        if url.ends_with(',') {
            url = url.trim_end_matches(',');
        } else {
            // descriptors: up to a comma outside parentheses
            let mut depth = 0;
            while i < b.len() {
                match b[i] {
                    b'(' => depth += 1,
                    b')' => depth = (depth - 1).max(0),
                    b',' if depth == 0 => break,
                    _ => {}
                }
                i += 1;
            }
        }
        if !url.is_empty() {
            out.push(url.to_string());
        }
    }
    out
}

/// The URL of a refresh `content` (HTML "shared declarative refresh steps").
fn refresh_url(content: &str) -> Option<String> {
    let s = content.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let s = s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let s = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let s = s.strip_prefix([';', ','])?;
    let mut s = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    if s.len() >= 3 && s[..3].eq_ignore_ascii_case("url") {
        let r = s[3..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        if let Some(r) = r.strip_prefix('=') {
            s = r.trim_start_matches(|c: char| c.is_ascii_whitespace());
        }
    }
    let s = match s.chars().next() {
        Some(q @ ('"' | '\'')) => s[1..].split(q).next().unwrap_or(""),
        _ => s,
    };
    (!s.is_empty()).then(|| s.to_string())
}

/// Every URL in a piece of CSS (a stylesheet or a declaration list).
pub fn css_urls(css: &str) -> Vec<String> {
    let mut input = cssparser::ParserInput::new(css);
    let mut p = cssparser::Parser::new(&mut input);
    let mut out = Vec::new();
    css_walk(&mut p, &mut out, false);
    out
}

fn css_walk(p: &mut cssparser::Parser<'_, '_>, out: &mut Vec<String>, strings_are_urls: bool) {
    use cssparser::Token;
    let mut after_import = false;
    loop {
        let tok = match p.next_including_whitespace_and_comments() {
            Ok(t) => t.clone(),
            Err(_) => break,
        };
        let nested = match &tok {
            Token::UnquotedUrl(u) => {
                out.push(u.to_string());
                None
            }
            Token::AtKeyword(k) => {
                after_import = k.eq_ignore_ascii_case("import");
                continue;
            }
            Token::QuotedString(s) if after_import || strings_are_urls => {
                out.push(s.to_string());
                None
            }
            Token::WhiteSpace(_) | Token::Comment(_) => continue,
            Token::Function(name) => {
                let n = name.to_ascii_lowercase();
                Some(matches!(
                    n.as_str(),
                    "url" | "src" | "image-set" | "-webkit-image-set" | "image" | "cross-fade"
                ))
            }
            Token::ParenthesisBlock => Some(strings_are_urls),
            Token::SquareBracketBlock | Token::CurlyBracketBlock => Some(false),
            _ => None,
        };
        after_import = false;
        if let Some(urls) = nested {
            let _ = p.parse_nested_block(|p| {
                css_walk(p, out, urls);
                Ok::<(), cssparser::ParseError<'_, ()>>(())
            });
        }
    }
}

const SVG_PAINT_ATTRS: &[&str] = &[
    "fill",
    "stroke",
    "filter",
    "mask",
    "clip-path",
    "marker-start",
    "marker-mid",
    "marker-end",
    "cursor",
];

impl Walker {
    fn document(&mut self, html: &str, base: Option<Url>, scripting: bool, at: &str, depth: u8) {
        if depth > MAX_DEPTH {
            return;
        }
        let dom = parse(html, scripting);
        // The document base URL (HTML §2.4.1): the first <base href>,
        // resolved against the fallback base.
        let base = match first_base(&dom.document) {
            Some(h) => resolve(&base, trim_ws(&h)).or(base),
            None => base,
        };
        self.node(&dom.document, &base, at, depth);
    }

    fn push(&mut self, row: &'static str, at: String, effect: Effect) {
        self.hits.push(Hit { row, at, effect });
    }

    fn url(&mut self, row: &'static str, at: String, base: &Option<Url>, v: &str) {
        if let Some(u) = resolve(base, trim_ws(v)) {
            self.push(row, at, Effect::Fetch(u));
        }
    }

    /// A URL that navigates a frame: javascript: runs, data: documents are
    /// parsed, anything else is fetched.
    fn frame_url(&mut self, row: &'static str, at: String, base: &Option<Url>, v: &str, d: u8) {
        match scheme_of(v).as_deref() {
            Some("javascript") => {} // reported by the generic javascript: rule
            Some("data") => {
                if let Some((mime, body)) = data_url(v) {
                    if mime.contains("html") || mime.contains("svg") || mime.contains("xml") {
                        self.document(&body, None, true, &format!("{at}→data:"), d + 1);
                    } else if JS_MIME.contains(&mime.as_str()) {
                        self.push("data-url", at, Effect::Code(body));
                    }
                }
            }
            _ => self.url(row, at, base, v),
        }
    }

    fn css(&mut self, at: String, base: &Option<Url>, css: &str) {
        for u in css_urls(css) {
            self.url("css", at.clone(), base, &u);
        }
    }

    fn node(&mut self, node: &Handle, base: &Option<Url>, at: &str, d: u8) {
        if let NodeData::Element {
            name,
            attrs,
            template_contents,
            ..
        } = &node.data
        {
            let mut attrs = attrs.borrow().clone();
            if let Some(g) = self.activate {
                banner_activate(&mut attrs, &name.local, g);
            }
            self.element(node, name, &attrs, base, at, d);
            if let Some(t) = template_contents.borrow().as_ref() {
                self.node(t, base, &format!("{at}template>"), d);
            }
        }
        for c in node.children.borrow().iter() {
            self.node(c, base, at, d);
        }
    }

    fn element(
        &mut self,
        node: &Handle,
        name: &QualName,
        attrs: &[html5ever::Attribute],
        base: &Option<Url>,
        at: &str,
        d: u8,
    ) {
        let local: &str = &name.local;
        let here = |a: &str| format!("{at}{local}@{a}");
        // Rules for every element of every namespace.
        for a in attrs {
            let an: &str = &a.name.local;
            if an.starts_with("data-") {
                continue; // inert by definition
            }
            if a.name.ns == ns!() && an.len() > 2 && an[..2].eq_ignore_ascii_case("on") {
                self.push("on-handler", here(an), Effect::Code(a.value.to_string()));
            }
            if a.name.ns == ns!() && an == "style" {
                self.css(here(an), base, &a.value);
            }
            if scheme_of(&a.value).as_deref() == Some("javascript") {
                let v = a.value.trim_matches(|c: char| c <= ' ');
                let code = v.split_once(':').map_or("", |x| x.1);
                let code = percent_encoding::percent_decode_str(code)
                    .decode_utf8_lossy()
                    .into_owned();
                self.push("javascript-url", here(an), Effect::Code(code));
            }
        }
        let get = |n: &str| attr(attrs, n);
        if name.ns == ns!(svg) {
            self.svg_element(node, local, attrs, base, at);
            return;
        }
        if name.ns != ns!(html) {
            return;
        }
        if let Some(bg) = get("background") {
            self.url("background", here("background"), base, &bg);
        }
        match local {
            "script" => {
                let Some(kind) = script_kind(get("type").as_deref(), get("language").as_deref())
                else {
                    return;
                };
                if kind == "importmap" {
                    self.importmap(&text_of(node), base, here("importmap"));
                    return;
                }
                match get("src") {
                    Some(src) if scheme_of(&src).as_deref() == Some("data") => {
                        if let Some((_, body)) = data_url(&src) {
                            self.push("data-url", here("src"), Effect::Code(body));
                        }
                    }
                    Some(src) => self.url(kind, here("src"), base, &src),
                    None => {
                        let row = if kind == "script-loader" {
                            kind
                        } else {
                            "script-inline"
                        };
                        self.push(row, here("text"), Effect::Code(text_of(node)));
                    }
                }
            }
            "img" | "source" => {
                if let Some(v) = get("src") {
                    self.url(local_row(local), here("src"), base, &v);
                }
                if let Some(v) = get("srcset") {
                    for u in srcset_urls(&v) {
                        self.url(local_row(local), here("srcset"), base, &u);
                    }
                }
            }
            "input" if get("type").is_some_and(|t| trim_ws(&t).eq_ignore_ascii_case("image")) => {
                if let Some(v) = get("src") {
                    self.url("input-image", here("src"), base, &v);
                }
            }
            "video" | "audio" | "track" => {
                for a in ["src", "poster"] {
                    if let Some(v) = get(a) {
                        self.url("media", here(a), base, &v);
                    }
                }
            }
            "embed" | "iframe" | "frame" | "object" => {
                let a = if local == "object" { "data" } else { "src" };
                let row = match local {
                    "embed" => "embed",
                    "object" => "object",
                    _ => "iframe",
                };
                if let Some(v) = get(a) {
                    self.frame_url(row, here(a), base, &v, d);
                }
                if local == "iframe" {
                    if let Some(doc) = get("srcdoc") {
                        self.document(&doc, base.clone(), true, &here("srcdoc→"), d + 1);
                    }
                }
            }
            "link" => self.link(attrs, base, &here("")),
            "a" | "area" => {
                if let Some(p) = get("ping") {
                    for u in p.split_ascii_whitespace() {
                        self.url("ping", here("ping"), base, u);
                    }
                }
            }
            "meta"
                if get("http-equiv")
                    .is_some_and(|h| trim_ws(&h).eq_ignore_ascii_case("refresh")) =>
            {
                if let Some(u) = get("content").as_deref().and_then(refresh_url) {
                    self.frame_url("refresh", here("content"), base, &u, d);
                }
            }
            "style" => self.css(here("text"), base, &text_of(node)),
            "noscript" => {
                let t = text_of(node);
                if !t.is_empty() {
                    self.document(&t, base.clone(), false, &here("text→"), d + 1);
                }
            }
            _ => {}
        }
    }

    fn link(&mut self, attrs: &[html5ever::Attribute], base: &Option<Url>, at: &str) {
        const RELS: &[&str] = &[
            "stylesheet",
            "preload",
            "modulepreload",
            "prefetch",
            "preconnect",
            "dns-prefetch",
            "prerender",
            "icon",
            "apple-touch-icon",
            "apple-touch-icon-precomposed",
            "mask-icon",
            "manifest",
        ];
        let rel = attr(attrs, "rel").unwrap_or_default().to_ascii_lowercase();
        if !rel.split_ascii_whitespace().any(|r| RELS.contains(&r)) {
            return;
        }
        if let Some(h) = attr(attrs, "href") {
            self.url("link", format!("{at}href"), base, &h);
        }
        if let Some(s) = attr(attrs, "imagesrcset") {
            for u in srcset_urls(&s) {
                self.url("link", format!("{at}imagesrcset"), base, &u);
            }
        }
    }

    fn svg_element(
        &mut self,
        node: &Handle,
        local: &str,
        attrs: &[html5ever::Attribute],
        base: &Option<Url>,
        at: &str,
    ) {
        let here = |a: &str| format!("{at}svg:{local}@{a}");
        let hrefs: Vec<String> = attrs
            .iter()
            .filter(|a| &*a.name.local == "href" && (a.name.ns == ns!() || a.name.ns == ns!(xlink)))
            .map(|a| a.value.to_string())
            .collect();
        match local {
            "script" => {
                let ty = attr(attrs, "type");
                // SVG 2: no type = application/ecmascript; otherwise as HTML.
                if script_kind(ty.as_deref(), None).is_none() {
                    return;
                }
                for h in &hrefs {
                    self.url("svg-script", here("href"), base, h);
                }
                self.push("svg-script", here("text"), Effect::Code(text_of(node)));
            }
            "image" | "feImage" | "use" => {
                for h in &hrefs {
                    self.url("svg-ref", here("href"), base, h);
                }
            }
            "style" => self.css(here("text"), base, &text_of(node)),
            _ => {}
        }
        for a in attrs {
            if a.name.ns == ns!() && SVG_PAINT_ATTRS.contains(&&*a.name.local) {
                for u in css_urls(&a.value) {
                    self.url("svg-paint", here(&a.name.local), base, &u);
                }
            }
        }
    }

    fn importmap(&mut self, json: &str, base: &Option<Url>, at: String) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
            return;
        };
        let mut urls = Vec::new();
        if let Some(m) = v.get("imports").and_then(|m| m.as_object()) {
            urls.extend(m.values().filter_map(|u| u.as_str().map(String::from)));
        }
        if let Some(s) = v.get("scopes").and_then(|m| m.as_object()) {
            for m in s.values().filter_map(|m| m.as_object()) {
                urls.extend(m.values().filter_map(|u| u.as_str().map(String::from)));
            }
        }
        for u in urls {
            self.url("importmap", at.clone(), base, &u);
        }
    }
}

fn local_row(local: &str) -> &'static str {
    if local == "img" {
        "img"
    } else {
        "source"
    }
}

// ---------------------------------------------------------------------------
// Vendors: our own suffix lookup over the catalog's host list.

/// A vendor as the oracle sees it.
#[derive(Debug, Clone)]
pub struct VendorRef {
    pub id: String,
    pub category: Category,
    pub allowed: bool,
    pub signatures: Vec<String>,
}

/// The oracle's own host index (no code shared with the filter's matcher).
pub struct Vendors {
    pub vendors: Vec<VendorRef>,
    /// host suffix → (lowercase path prefix or "", vendor index)
    patterns: std::collections::HashMap<String, Vec<(String, usize)>>,
    /// Every catalog signature, and the vendor index of each.
    signatures: aho_corasick::AhoCorasick,
    signature_vendor: Vec<usize>,
}

impl Vendors {
    pub fn of(cat: &Catalog) -> Vendors {
        let mut vendors = Vec::new();
        let mut patterns: std::collections::HashMap<String, Vec<(String, usize)>> =
            Default::default();
        for (i, v) in cat.vendors().iter().enumerate() {
            vendors.push(VendorRef {
                id: v.id.clone(),
                category: v.category,
                allowed: v.allowed,
                signatures: v.scripts.clone(),
            });
            for h in &v.hosts {
                let (host, path) = match h.find('/') {
                    Some(p) => (&h[..p], &h[p..]),
                    None => (h.as_str(), ""),
                };
                patterns
                    .entry(host.to_ascii_lowercase())
                    .or_default()
                    .push((path.to_ascii_lowercase(), i));
            }
        }
        let (sigs, signature_vendor): (Vec<&str>, Vec<usize>) = cat
            .vendors()
            .iter()
            .enumerate()
            .flat_map(|(i, v)| v.scripts.iter().map(move |s| (s.as_str(), i)))
            .unzip();
        let signatures = aho_corasick::AhoCorasick::new(sigs).expect("signatures compile");
        Vendors {
            vendors,
            patterns,
            signatures,
            signature_vendor,
        }
    }

    pub fn embedded() -> &'static Vendors {
        static V: std::sync::OnceLock<Vendors> = std::sync::OnceLock::new();
        V.get_or_init(|| Vendors::of(Catalog::embedded()))
    }

    /// The most specific vendor for a host (lowercase ASCII as `url` gives it)
    /// and a path: the longest host suffix on a label boundary, then the
    /// longest path prefix on a segment boundary.
    pub fn lookup(&self, host: &str, path: &str) -> Option<&VendorRef> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let path = percent_encoding::percent_decode_str(path)
            .decode_utf8_lossy()
            .to_ascii_lowercase();
        // Walk the host's suffixes on label boundaries, longest first; at
        // each, the longest path prefix on a segment boundary.
        let mut h = host.as_str();
        loop {
            if let Some(entries) = self.patterns.get(h) {
                let best = entries
                    .iter()
                    .filter(|(p, _)| {
                        p.is_empty()
                            || path == *p
                            || (path.starts_with(p.as_str())
                                && path[p.len()..].starts_with(['/', '?', '#']))
                    })
                    .max_by_key(|(p, _)| p.len());
                if let Some((_, i)) = best {
                    return Some(&self.vendors[*i]);
                }
            }
            h = &h[h.find('.')? + 1..];
        }
    }

    /// The vendor a URL reaches, for the network schemes.
    pub fn of_url(&self, u: &Url) -> Option<&VendorRef> {
        if !matches!(u.scheme(), "http" | "https" | "ws" | "wss" | "ftp") {
            return None;
        }
        match u.host()? {
            url::Host::Domain(d) => self.lookup(d, u.path()),
            _ => None,
        }
    }

    /// Vendors whose catalog signature or host occurs in a piece of code.
    pub fn in_code(&self, code: &str) -> Vec<(&VendorRef, How)> {
        let code = code.replace("\\/", "/");
        let mut out: Vec<(&VendorRef, How)> = Vec::new();
        for m in self.signatures.find_overlapping_iter(&code) {
            let v = &self.vendors[self.signature_vendor[m.pattern().as_usize()]];
            if !out.iter().any(|(o, _)| o.id == v.id) {
                out.push((v, How::Signature));
            }
        }
        let b = code.as_bytes();
        let mut i = 0;
        while let Some(p) = code[i..].find("//") {
            let s = i + p + 2;
            let mut e = s;
            while e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'.' || b[e] == b'-') {
                e += 1;
            }
            let mut pe = e;
            while pe < b.len()
                && !matches!(
                    b[pe],
                    b'"' | b'\'' | b'`' | b' ' | b')' | b'?' | b'#' | b'\\'
                )
            {
                pe += 1;
            }
            if e > s {
                let path = if b.get(e) == Some(&b'/') {
                    &code[e..pe]
                } else {
                    "/"
                };
                if let Some(v) = self.lookup(&code[s..e], path) {
                    if !out.iter().any(|(o, _)| o.id == v.id) {
                        out.push((v, How::HostInCode));
                    }
                }
            }
            i = s;
        }
        out
    }
}

/// Who the visitor agreed to.
#[derive(Debug, Clone)]
pub struct Consent {
    pub grants: Grants,
    /// Vendor ids allowed outright (route or Consent Mode "advanced").
    pub allow_vendors: Vec<String>,
}

impl Consent {
    pub fn refuses(&self, v: &VendorRef) -> bool {
        !self.grants.has(v.category) && !v.allowed && !self.allow_vendors.contains(&v.id)
    }
}

/// How a refused vendor is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum How {
    /// A URL on its host is fetched (or navigated to).
    Fetch,
    /// Code that runs carries one of its catalog signatures.
    Signature,
    /// Code that runs names its host (`//host/…`) but no signature: the
    /// code would load it at run time.
    HostInCode,
}

/// One refused vendor reached.
#[derive(Debug, Clone)]
pub struct Violation {
    pub row: &'static str,
    pub at: String,
    pub vendor: String,
    pub category: Category,
    pub how: How,
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {} {:?} {} ({}, {})",
            self.row, self.at, self.how, self.detail, self.vendor, self.category
        )
    }
}

/// Every fetch or piece of code in `html` that reaches a refused vendor.
pub fn violations(html: &[u8], consent: &Consent) -> Vec<Violation> {
    let page = Url::parse(PAGE_URL).unwrap();
    judge(
        browser_effects(&String::from_utf8_lossy(html), &page),
        consent,
    )
}

/// [`violations`] after the banner re-activated what `consent` grants.
pub fn violations_after_activation(html: &[u8], consent: &Consent) -> Vec<Violation> {
    let page = Url::parse(PAGE_URL).unwrap();
    let html = String::from_utf8_lossy(html);
    judge(
        effects_after_activation(&html, &page, consent.grants),
        consent,
    )
}

fn judge(hits: Vec<Hit>, consent: &Consent) -> Vec<Violation> {
    let vendors = Vendors::embedded();
    let mut out = Vec::new();
    for h in hits {
        let mut push = |v: &VendorRef, how: How, detail: String| {
            out.push(Violation {
                row: h.row,
                at: h.at.clone(),
                vendor: v.id.clone(),
                category: v.category,
                how,
                detail,
            })
        };
        match &h.effect {
            Effect::Fetch(u) => {
                if let Some(v) = vendors.of_url(u).filter(|v| consent.refuses(v)) {
                    push(v, How::Fetch, u.to_string());
                }
            }
            Effect::Code(c) => {
                let mut short: String = c.chars().take(80).collect();
                if short.len() < c.len() {
                    short.push('…');
                }
                for (v, how) in vendors.in_code(c) {
                    if consent.refuses(v) {
                        push(v, how, format!("{short:?}"));
                    }
                }
            }
        }
    }
    out
}

/// Google tags (Consent Mode) that come before the consent `default`
/// command in document order. `marker` identifies the defaults script.
pub fn google_tags_before_default(html: &[u8], marker: &str) -> Vec<String> {
    const GOOGLE: &[&str] = &["google-analytics", "google-tag-manager", "google-ads"];
    let page = Url::parse(PAGE_URL).unwrap();
    let html = String::from_utf8_lossy(html);
    let vendors = Vendors::embedded();
    let mut out = Vec::new();
    for h in browser_effects(&html, &page) {
        match &h.effect {
            Effect::Code(c) if c.contains(marker) => return out,
            Effect::Code(c) => {
                if c.contains("gtag('config'")
                    || c.contains("gtag(\"config\"")
                    || c.contains("gtm.start")
                {
                    out.push(format!(
                        "{}: code {:?} before the consent default",
                        h.at,
                        c.chars().take(60).collect::<String>()
                    ));
                }
            }
            Effect::Fetch(u) => {
                let google = vendors
                    .of_url(u)
                    .is_some_and(|v| GOOGLE.contains(&v.id.as_str()));
                // Google tag gateway: a first-party path ending in /gtag/js or /gtm.js with ?id=
                let gateway = (u.path().ends_with("/gtag/js") || u.path().ends_with("/gtm.js"))
                    && u.query_pairs().any(|(k, _)| k == "id");
                if (google || gateway)
                    && matches!(h.row, "script-src" | "script-loader" | "svg-script")
                {
                    out.push(format!("{}: {u} before the consent default", h.at));
                }
            }
        }
    }
    if out.is_empty() {
        vec!["the consent default never appears".into()]
    } else {
        out
    }
}

// ---------------------------------------------------------------------------
// Driving the filter

/// How the input is cut into `Filter::write` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunking {
    Whole,
    /// One byte per call.
    Bytes,
    /// Pseudo-random chunk lengths 1..=64 from this seed.
    Random(u64),
}

impl std::fmt::Display for Chunking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Chunking::Whole => f.write_str("whole"),
            Chunking::Bytes => f.write_str("bytes"),
            Chunking::Random(s) => write!(f, "random({s})"),
        }
    }
}

/// Runs the filter; returns the output and whether it bailed out.
pub fn run_filter(html: &[u8], page: Page, cfg: &Config, chunking: Chunking) -> (Vec<u8>, bool) {
    let mut f = Filter::new(Catalog::embedded(), cfg, page, None);
    let mut out = Vec::new();
    let mut rest = html;
    let mut seed = match chunking {
        Chunking::Random(s) => s | 1,
        _ => 0,
    };
    while !rest.is_empty() {
        let n = match chunking {
            Chunking::Whole => rest.len(),
            Chunking::Bytes => 1,
            Chunking::Random(_) => {
                // xorshift64
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed % 64 + 1) as usize
            }
        }
        .min(rest.len());
        out.extend(f.write(&rest[..n]));
        rest = &rest[n..];
    }
    let failed = f.failed();
    out.extend(f.end());
    (out, failed)
}

/// The 258 pages of npm `htmlparser-benchmark` (as in tests/filter_corpus.rs).
pub fn corpus() -> Option<Vec<(String, Vec<u8>)>> {
    corpus_pages::pages("corpus oracle")
}

/// Consent states: nothing, each optional category alone, everything.
pub fn states() -> Vec<(String, Grants)> {
    let mut s = vec![("none".to_string(), Grants::NECESSARY_ONLY)];
    for c in Category::OPTIONAL {
        s.push((c.id().to_string(), Grants::from_categories([c])));
    }
    s.push(("all".into(), Grants::ALL));
    s
}
