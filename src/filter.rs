//! The lol_html streaming rewriter that neutralises refused trackers.
//!
//! One [`Filter`] per HTML response: [`Filter::new`], then [`Filter::write`]
//! for every chunk of the origin's body (each call returns the transformed
//! bytes that can be sent on right away), then [`Filter::end`].
//!
//! # What it does
//!
//! For every vendor of the [`Catalog`] whose category the visitor has not
//! granted (and that is not allowed outright, by `[trackers] allow` or by the
//! route's `allow_vendors`):
//!
//! | markup | neutralised as (`[filter] blocking = "neutralize"`) |
//! |---|---|
//! | `<script src=tracker>` | `type="text/plain"`, `data-consent-category`, `data-consent-vendor`, original `type` kept in `data-consent-type` |
//! | inline `<script>` (JavaScript types only) whose text contains a vendor's snippet signature | same as above (the start tag is rewritten) |
//! | `img`, `video`, `audio`, `source`, `embed`, `object`, `link` (preconnect, dns-prefetch, preload, prefetch, modulepreload, prerender, stylesheet), `a[ping]` | the URL attribute moves to `data-consent-src` / `-srcset` / `-data` / `-href` / `-ping` / `-poster`, plus `data-consent-category` and `data-consent-vendor` |
//! | `<iframe src=tracker>` | as media, plus `hidden data-consent-hidden`, and a placeholder `div.consent-edge-placeholder` with an "Allow" button right before it |
//! | `<noscript>` content (raw text to the parser) | parsed as a fragment and the tracker `img`/`iframe`/… in it neutralised the same way (no placeholder) |
//! | `<iframe srcdoc>` (a whole document in an attribute) | the value, entity-decoded, is filtered by a nested filter (scripts, snippets, media, noscript: everything above; no placeholder, no injection) and written back into `srcdoc`; the original value moves to `data-consent-srcdoc` and `data-consent-category` names the strictest category refused inside (the iframe stays visible) |
//!
//! With `blocking = "remove"` the element is dropped entirely instead.
//! (For `srcdoc`: the trackers inside are dropped, no original is kept.)
//!
//! A `srcdoc` in which nothing is refused is left byte for byte (unless an
//! author-tagged element in it is activated). A `srcdoc` inside a `srcdoc`
//! is filtered too; one more level down (`MAX_SRCDOC_DEPTH`) the value is
//! emptied unless every category is granted. Named character references in
//! `srcdoc` are decoded only where they stand for ASCII (all numeric ones
//! are): what any markup or tracker URL is made of.
//!
//! Author-tagged elements (`<script type="text/plain" data-consent="analytics">`,
//! `<img data-consent="functional" data-consent-src=…>`) are activated when
//! their category is granted (`type` restored from `data-consent-type` or
//! removed; `data-consent-src` → `src`, and likewise for srcset, data, href,
//! ping, poster) and left inert otherwise.
//!
//! The filter also inserts [`Page::head_start`] right after the `<head>`
//! start tag (before `<body>` if there is no `<head>` tag), [`Page::body_end`]
//! right before `</body>` (at the end of the document if there is none), and
//! fills elements carrying `data-consent-declaration` / `data-consent-status`.
//!
//! # Streaming
//!
//! Output leaves as soon as lol_html has produced it, with one exception: the
//! text of an inline JavaScript `<script>` (and of a `<noscript>`) is held back
//! from its start tag until either a refused vendor's signature is found in
//! it (the start tag is rewritten and everything is released), or its end tag
//! arrives. A script longer than `[filter] max_held_bytes` is released
//! unchanged past that point (signatures further in are not caught); a
//! `<noscript>` that long has its content dropped.
//!
//! # When the memory limit trips (fail-safe)
//!
//! lol_html runs with `[filter] memory_limit` and graceful bail-out. If the
//! limit is exceeded (or the parser meets markup it cannot parse safely, or any
//! handler fails) the visitor gets: everything already emitted (filtered), held
//! bytes of a pending script or noscript are discarded, then the raw-text
//! element that was open is closed (`</script>`, `</style>`, …), a comment
//! `<!--consent-edge: document truncated-->` and [`Page::body_end`] (the banner)
//! if it was not emitted yet. The rest of the origin's document is **not** sent:
//! unfiltered tracker markup never passes. Further [`Filter::write`] calls
//! return nothing.
//!
//! # Charsets
//!
//! The charset comes from the `Content-Type` header
//! ([`charset_from_content_type`]); without one, lol_html follows
//! `<meta charset>`. Untouched markup passes byte for byte in any
//! ASCII-compatible encoding (windows-1252, ISO-8859-x, Shift_JIS, …);
//! inserted text is encoded into the page's charset (numeric character
//! references for what it cannot represent).

use crate::consent::{Category, Grants};
use crate::trackers::{with_host_path, Catalog, UnknownScripts, Vendor};
use encoding_rs::Encoding;
use lol_html::html_content::{ContentType, Element, EndTag};
use lol_html::{
    end, AsciiCompatibleEncoding, ElementContentHandlers, HandlerResult, HtmlRewriter,
    MemorySettings, OutputSink, Selector, Settings,
};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::OnceLock;

/// `[filter]` in `consent.toml` (defined with the rest of the
/// configuration in `consent-edge-config`).
pub use consent_edge_config::{Blocking, FilterSettings as Config};

/// Everything one response needs.
#[derive(Debug, Clone)]
pub struct Page {
    /// The visitor's granted categories.
    pub grants: Grants,
    /// Vendor ids allowed outright on this route.
    pub allow_vendors: Vec<String>,
    /// Host of the page (e.g. `www.example.com`); scripts from it (or its
    /// subdomains, `www.` ignored) are first-party for the unknown-script
    /// policy. Empty: only relative URLs and `[trackers] first_party` are.
    pub site_host: String,
    /// Raw HTML inserted right after the `<head>` start tag (consent signals).
    pub head_start: String,
    /// Raw HTML inserted before `</body>` (the banner); at the end of the
    /// document if there is no `</body>`.
    pub body_end: String,
    /// Inner HTML of every element with `data-consent-declaration`.
    pub declaration_html: Option<String>,
    /// Inner HTML of every element with `data-consent-status`.
    pub status_html: Option<String>,
    /// Id of a form that every `<button data-consent-open>` is made to
    /// submit (`type="submit" form="…"`), so the page's own "cookie
    /// settings" buttons reopen the banner without JavaScript too. `None`:
    /// buttons untouched (no banner on the page).
    pub reopen_form: Option<&'static str>,
    /// Placeholder text for blocked iframes; `{vendor}` and `{category}` are
    /// replaced (everything is HTML-escaped).
    pub placeholder_text: String,
    /// Text of the placeholder's button.
    pub allow_text: String,
    /// Localised category labels, in [`Category::ALL`] order.
    pub category_labels: [String; 4],
}

impl Default for Page {
    fn default() -> Self {
        Page {
            grants: Grants::NECESSARY_ONLY,
            allow_vendors: Vec::new(),
            site_host: String::new(),
            head_start: String::new(),
            body_end: String::new(),
            declaration_html: None,
            status_html: None,
            reopen_form: None,
            placeholder_text: "This {vendor} content needs {category} cookies.".into(),
            allow_text: "Allow".into(),
            category_labels: [
                "Necessary".into(),
                "Functional".into(),
                "Analytics".into(),
                "Advertising".into(),
            ],
        }
    }
}

/// The charset named by a `Content-Type` header value, if lol_html can
/// rewrite it (ASCII-compatible). Returns the WHATWG encoding name.
pub fn charset_from_content_type(ct: &str) -> Option<&'static str> {
    let enc = charset_encoding(ct)?;
    Some(enc.name())
}

fn charset_encoding(ct: &str) -> Option<&'static Encoding> {
    for param in ct.split(';').skip(1) {
        let (k, v) = match param.split_once('=') {
            Some(kv) => kv,
            None => continue,
        };
        if k.trim().eq_ignore_ascii_case("charset") {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            let enc = Encoding::for_label_no_replacement(v.as_bytes())?;
            return AsciiCompatibleEncoding::new(enc).map(|_| enc);
        }
    }
    None
}

/// Per-response facts every handler reads.
struct Ctx {
    catalog: &'static Catalog,
    grants: Grants,
    allow_vendors: Vec<String>,
    site_host: String,
    blocking: Blocking,
    max_held: usize,
    max_sig: usize,
    /// Some refused vendor has script signatures: inline scripts are worth
    /// scanning (when everything is granted they are only held).
    scan_scripts: bool,
    placeholder_text: String,
    allow_text: String,
    labels: [String; 4],
    /// lol_html memory limit, for the nested rewriters of `srcdoc` documents.
    memory_limit: usize,
    /// 0 for the response; 1 inside an `<iframe srcdoc>`, 2 inside a srcdoc
    /// in a srcdoc (see [`MAX_SRCDOC_DEPTH`]).
    depth: u8,
    /// The strictest category of what this rewriter neutralised or removed
    /// (read by the parent of a `srcdoc` document).
    refused_seen: Cell<Option<Category>>,
}

impl Ctx {
    /// Notes that a tracker of category `c` was neutralised or removed.
    fn saw(&self, c: Category) {
        if self.refused_seen.get().is_none_or(|s| s < c) {
            self.refused_seen.set(Some(c));
        }
    }

    /// The strictest category the visitor has not granted.
    fn strictest_refused(&self) -> Option<Category> {
        Category::ALL
            .iter()
            .rev()
            .copied()
            .find(|c| *c != Category::Necessary && !self.grants.has(*c))
    }

    fn refused(&self, v: &Vendor) -> bool {
        !v.allowed
            && v.category != Category::Necessary
            && !self.grants.has(v.category)
            && !self.allow_vendors.iter().any(|a| *a == v.id)
    }

    /// The refused vendor a URL points at.
    fn refused_url(&self, url: &str) -> Option<&'static Vendor> {
        self.catalog.match_url(url).filter(|v| self.refused(v))
    }

    /// Same for a script `src`, including the unknown third-party policy.
    fn refused_script_src(&self, url: &str) -> Option<&'static Vendor> {
        with_host_path(url, |host, path| {
            match self.catalog.match_host_path(host, path) {
                Some(v) => Some(v).filter(|v| self.refused(v)),
                None => match self.catalog.unknown_scripts() {
                    UnknownScripts::Allow => None,
                    UnknownScripts::Category(_) => {
                        let v = self.catalog.unknown_vendor();
                        (!self.catalog.is_first_party(host, &self.site_host) && self.refused(v))
                            .then_some(v)
                    }
                },
            }
        })
        .flatten()
    }

    fn label(&self, c: Category) -> &str {
        let i = Category::ALL.iter().position(|x| *x == c).unwrap_or(0);
        &self.labels[i]
    }

    fn placeholder(&self, v: &Vendor) -> String {
        let cat = v.category.id();
        let text = self
            .placeholder_text
            .replace("{vendor}", &v.name)
            .replace("{category}", self.label(v.category));
        format!(
            "<div class=\"consent-edge-placeholder\" data-consent-placeholder=\"{cat}\" data-consent-vendor=\"{}\"><p>{}</p><button type=\"button\" data-consent-allow=\"{cat}\">{}</button></div>",
            escape(&v.id),
            escape(&text),
            escape(&self.allow_text)
        )
    }
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// An attribute value as lol_html serialises a modified one.
fn attr_value(v: &str) -> String {
    v.replace('"', "&quot;")
}

enum HoldKind {
    /// An inline JavaScript script: its start tag's attributes.
    Script(Vec<(String, String)>),
    Noscript,
}

struct Hold {
    kind: HoldKind,
    /// Where the held element starts in `Core::out`.
    mark: usize,
    /// Length of its start tag, once known.
    tag_len: Option<usize>,
    /// How far (from `mark`) the text has been scanned.
    scanned: usize,
    /// The strictest refused vendor found so far (the first, by position,
    /// of the strictest category) — decided only when the scan is complete,
    /// so the verdict never depends on how the input was chunked.
    refused: Option<&'static Vendor>,
}

/// Mutable per-response state, shared by the handlers and the output sink.
struct Core {
    out: Vec<u8>,
    encoding: &'static Encoding,
    hold: Option<Hold>,
    /// Dropping output until the current script/noscript ends.
    dropping: bool,
    /// The rewriter bailed out: ignore its raw flush.
    bailed: bool,
    open_raw: Option<&'static str>,
    head_done: bool,
    body_done: bool,
}

impl Core {
    fn push(&mut self, ctx: &Ctx, chunk: &[u8]) {
        if self.bailed || self.dropping {
            return;
        }
        self.out.extend_from_slice(chunk);
        if self.hold.is_some() {
            self.scan_hold(ctx, false);
        }
    }

    /// Looks at what is held; decides when a refused signature is found, at
    /// the end (`at_end`), or when too much is held.
    fn scan_hold(&mut self, ctx: &Ctx, at_end: bool) {
        let Some(h) = self.hold.as_mut() else { return };
        let held = &self.out[h.mark..];
        if h.tag_len.is_none() {
            h.tag_len = start_tag_len(held);
            if let Some(t) = h.tag_len {
                h.scanned = t;
            }
        }
        let Some(tag_len) = h.tag_len else {
            if held.len() > ctx.max_held {
                // Not even a start tag: give up holding (cannot happen with lol_html output).
                self.hold = None;
            }
            return;
        };
        match &h.kind {
            HoldKind::Script(_) => {
                // Only the first `max_held` bytes of a script are scanned, so
                // the verdict is the same for every chunking of the input.
                let limit = held.len().min(tag_len + ctx.max_held);
                let from = h.scanned.saturating_sub(ctx.max_sig).max(tag_len);
                if ctx.scan_scripts && from < limit {
                    for v in ctx.catalog.match_script_all(&held[from..limit]) {
                        if ctx.refused(v) && h.refused.is_none_or(|r| v.category > r.category) {
                            h.refused = Some(v);
                        }
                    }
                }
                h.scanned = h.scanned.max(limit);
                if at_end || held.len() > tag_len + ctx.max_held {
                    match h.refused {
                        Some(v) => self.block_held_script(ctx, v),
                        None => self.hold = None,
                    }
                }
            }
            HoldKind::Noscript => {
                if at_end {
                    let mark = h.mark;
                    let content = self.out[mark + tag_len..].to_vec();
                    self.out.truncate(mark + tag_len);
                    let rewritten = rewrite_fragment(ctx, &content, self.encoding);
                    self.out.extend_from_slice(&rewritten);
                    self.hold = None;
                } else if held.len() > ctx.max_held {
                    let mark = h.mark;
                    self.out.truncate(mark + tag_len);
                    self.hold = None;
                    self.dropping = true;
                }
            }
        }
    }

    fn block_held_script(&mut self, ctx: &Ctx, v: &Vendor) {
        let Some(h) = self.hold.take() else { return };
        let (HoldKind::Script(attrs), Some(tag_len)) = (h.kind, h.tag_len) else {
            return;
        };
        ctx.saw(v.category);
        match ctx.blocking {
            Blocking::Remove => {
                self.out.truncate(h.mark);
                self.dropping = true;
            }
            Blocking::Neutralize => {
                let mut tag = String::from("<script");
                let mut orig_type = None;
                for (n, val) in &attrs {
                    if n.eq_ignore_ascii_case("type") {
                        orig_type = Some(val.clone());
                        continue;
                    }
                    if n.eq_ignore_ascii_case("data-consent-type")
                        || n.eq_ignore_ascii_case("data-consent-category")
                        || n.eq_ignore_ascii_case("data-consent-vendor")
                    {
                        continue;
                    }
                    tag.push(' ');
                    tag.push_str(n);
                    tag.push_str("=\"");
                    tag.push_str(&attr_value(val));
                    tag.push('"');
                }
                tag.push_str(" type=\"text/plain\"");
                if let Some(t) = orig_type {
                    tag.push_str(" data-consent-type=\"");
                    tag.push_str(&attr_value(&t));
                    tag.push('"');
                }
                tag.push_str(&format!(
                    " data-consent-category=\"{}\" data-consent-vendor=\"{}\">",
                    v.category.id(),
                    attr_value(&v.id)
                ));
                let text = self.out.split_off(h.mark + tag_len);
                self.out.truncate(h.mark);
                let (bytes, _, _) = self.encoding.encode(&tag);
                self.out.extend_from_slice(&bytes);
                self.out.extend_from_slice(&text);
            }
        }
    }
}

/// Length of the start tag at the beginning of `b` (the HTML tokenizer's
/// rules for attribute quoting), `None` if it is not complete.
fn start_tag_len(b: &[u8]) -> Option<usize> {
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    let n = b.len();
    if b.first() != Some(&b'<') {
        return None;
    }
    let mut i = 1;
    while i < n && !ws(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    loop {
        while i < n && (ws(b[i]) || b[i] == b'/') {
            i += 1;
        }
        if i >= n {
            return None;
        }
        if b[i] == b'>' {
            return Some(i + 1);
        }
        i += 1;
        while i < n && !ws(b[i]) && b[i] != b'/' && b[i] != b'>' && b[i] != b'=' {
            i += 1;
        }
        while i < n && ws(b[i]) {
            i += 1;
        }
        if i < n && b[i] == b'=' {
            i += 1;
            while i < n && ws(b[i]) {
                i += 1;
            }
            if i >= n {
                return None;
            }
            match b[i] {
                q @ (b'"' | b'\'') => {
                    i += 1;
                    while i < n && b[i] != q {
                        i += 1;
                    }
                    if i >= n {
                        return None;
                    }
                    i += 1;
                }
                b'>' => return Some(i + 1),
                _ => {
                    while i < n && !ws(b[i]) && b[i] != b'>' {
                        i += 1;
                    }
                }
            }
        }
    }
}

struct Sink {
    core: Rc<RefCell<Core>>,
    ctx: Rc<Ctx>,
}

impl OutputSink for Sink {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        if !chunk.is_empty() {
            self.core.borrow_mut().push(&self.ctx, chunk);
        }
    }

    fn set_encoding(&mut self, enc: AsciiCompatibleEncoding) {
        self.core.borrow_mut().encoding = enc.into();
    }
}

/// Whether a `<script>` with this `type` (and `language`) runs as JavaScript.
fn is_js_type(ty: Option<&str>, language: Option<&str>) -> bool {
    let t = ty.map(|t| t.trim()).unwrap_or("");
    if t.is_empty() {
        return match language.map(str::trim) {
            None | Some("") => true,
            Some(l) => is_js_mime(&format!("text/{l}")),
        };
    }
    if t.eq_ignore_ascii_case("module") {
        return true;
    }
    // Parameters are ignored: blocking a few more scripts is the safe side.
    is_js_mime(t.split(';').next().unwrap_or("").trim())
}

fn is_js_mime(t: &str) -> bool {
    const JS: &[&str] = &[
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
    JS.iter().any(|j| j.eq_ignore_ascii_case(t))
}

/// The URL attributes of a media-like element that can point at a tracker.
fn url_attrs(tag: &str) -> &'static [&'static str] {
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

const LINK_RELS: &[&str] = &[
    "preconnect",
    "dns-prefetch",
    "preload",
    "prefetch",
    "modulepreload",
    "prerender",
    "stylesheet",
];

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

/// Sends an element to [`handle_media`] or [`handle_author_tagged`],
/// exactly as if each had its own handler, registered in that order, on
///
/// * media: `img, iframe, embed, object, video, audio, source, link[href],
///   a[ping], area[ping]` (elements with `data-consent` are left alone);
/// * author tags: `script, img, iframe, embed, object, video, audio, source,
///   link, a` with `[data-consent]`.
///
/// One handler on one selector list ([`MEDIA_SELECTOR`], or `*` for
/// `<noscript>` fragments) costs lol_html much less per tag than twenty
/// selectors, and reads the tag name once. Scripts come here only from
/// fragments; in the document [`handle_script`] does this for them.
fn media_or_tagged(ctx: &Ctx, el: &mut Element, in_noscript: bool, tag: &str) {
    if el.has_attribute("data-consent") {
        if matches!(
            tag,
            "script"
                | "img"
                | "iframe"
                | "embed"
                | "object"
                | "video"
                | "audio"
                | "source"
                | "link"
                | "a"
        ) {
            handle_author_tagged(ctx, el, tag);
        }
        if tag == "iframe" {
            handle_srcdoc(ctx, el);
        }
        return;
    }
    let media = match tag {
        "img" | "iframe" | "embed" | "object" | "video" | "audio" | "source" => true,
        "link" => el.has_attribute("href"),
        "a" | "area" => el.has_attribute("ping"),
        _ => false,
    };
    if media {
        handle_media(ctx, el, in_noscript, tag);
    }
    if tag == "iframe" && !el.removed() {
        handle_srcdoc(ctx, el);
    }
}

/// The document's selector for [`media_or_tagged`]: every element it can
/// act on except `script` (see [`handle_script`]).
const MEDIA_SELECTOR: &str =
    "img, iframe, embed, object, video, audio, source, link, a[ping], a[data-consent], area[ping]";

/// Every selector the filter uses, parsed once per process. lol_html still
/// compiles them for each rewriter, but parsing the text again was about a
/// third of the fixed cost of [`Filter::new`].
struct Selectors {
    media: Selector,
    script: Selector,
    noscript: Selector,
    raw_text: Selector,
    head: Selector,
    body: Selector,
    declaration: Selector,
    status: Selector,
    reopen: Selector,
    any: Selector,
}

fn selectors() -> &'static Selectors {
    static SELECTORS: OnceLock<Selectors> = OnceLock::new();
    SELECTORS.get_or_init(|| {
        // Constant, valid CSS (every test builds a filter).
        let p = |css: &str| css.parse::<Selector>().expect("filter selector");
        Selectors {
            media: p(MEDIA_SELECTOR),
            script: p("script"),
            noscript: p("noscript"),
            // `iframe` is raw text too; the media handler tracks it.
            raw_text: p("style, textarea, title, xmp, noembed, noframes"),
            head: p("head"),
            body: p("body"),
            declaration: p("[data-consent-declaration]"),
            status: p("[data-consent-status]"),
            reopen: p("button[data-consent-open]"),
            any: p("*"),
        }
    })
}

/// An element handler on a pre-parsed selector (what `lol_html::element!`
/// builds from a selector string).
fn on<'h>(
    selector: &'static Selector,
    handler: impl FnMut(&mut Element<'_, '_>) -> HandlerResult + 'h,
) -> (Cow<'static, Selector>, ElementContentHandlers<'h>) {
    (
        Cow::Borrowed(selector),
        ElementContentHandlers::default().element(handler),
    )
}

/// img, iframe, embed, object, video, audio, source, link[href], a[ping],
/// area[ping] without `data-consent` (see [`media_or_tagged`]).
fn handle_media(ctx: &Ctx, el: &mut Element, in_noscript: bool, tag: &str) {
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
        let _ = el.set_attribute(&format!("data-consent-{attr}"), value);
    }
    let _ = el.set_attribute("data-consent-category", first.category.id());
    let _ = el.set_attribute("data-consent-vendor", &first.id);
    if tag == "iframe" {
        let _ = el.set_attribute("hidden", "");
        let _ = el.set_attribute("data-consent-hidden", "");
        // No placeholder where no banner script could make its button work.
        if !in_noscript && ctx.depth == 0 {
            el.before(&ctx.placeholder(first), ContentType::Html);
        }
    }
}

/// How many `srcdoc` levels are filtered: the iframe's document (1) and an
/// iframe's `srcdoc` inside it (2). A `srcdoc` deeper than that is emptied
/// when something could be refused (every category granted: left as is).
const MAX_SRCDOC_DEPTH: u8 = 2;

/// `<iframe srcdoc>`: the attribute is a whole document, filtered with a
/// nested [`Filter`] (same grants and mode, no injection, no placeholders).
///
/// Nothing changed: the attribute is left byte for byte. Otherwise `srcdoc`
/// gets the filtered document, and when something was refused, in
/// neutralize mode, the original value moves to `data-consent-srcdoc` and
/// `data-consent-category` names the strictest refused category (the banner
/// swaps it back). Not at nested levels: there is no banner inside.
fn handle_srcdoc(ctx: &Ctx, el: &mut Element) {
    let Some(raw) = el.get_attribute("srcdoc") else {
        return;
    };
    let doc = decode_attribute(&raw);
    let (filtered, refused) = if ctx.depth >= MAX_SRCDOC_DEPTH {
        match ctx.strictest_refused() {
            Some(c) if doc.contains('<') => (String::new(), Some(c)),
            _ => return,
        }
    } else {
        filter_srcdoc(ctx, &doc)
    };
    if refused.is_none() && filtered == doc {
        return;
    }
    let _ = el.set_attribute("srcdoc", &encode_attribute(&filtered));
    let Some(cat) = refused else { return };
    ctx.saw(cat);
    if ctx.blocking == Blocking::Remove || ctx.depth > 0 {
        return;
    }
    // The iframe's own `src`, or its author tag, may already ask for one.
    let before = el
        .get_attribute("data-consent-category")
        .or_else(|| el.get_attribute("data-consent"))
        .and_then(|c| Category::from_id(c.trim()))
        .filter(|c| !ctx.grants.has(*c));
    let cat = before.map_or(cat, |b| b.max(cat));
    let _ = el.set_attribute("data-consent-srcdoc", &raw);
    let _ = el.set_attribute("data-consent-category", cat.id());
}

/// Runs a `srcdoc` document through a nested [`Filter`]: the filtered
/// document and the strictest category refused in it. A document the nested
/// filter cannot finish (memory limit) comes back truncated, as the
/// strictest category the visitor has not granted.
fn filter_srcdoc(ctx: &Ctx, doc: &str) -> (String, Option<Category>) {
    let cfg = Config {
        blocking: ctx.blocking,
        memory_limit: ctx.memory_limit,
        max_held_bytes: ctx.max_held,
    };
    let page = Page {
        grants: ctx.grants,
        allow_vendors: ctx.allow_vendors.clone(),
        site_host: ctx.site_host.clone(),
        ..Page::default()
    };
    let mut f = Filter::nested(ctx.catalog, &cfg, page, Some("utf-8"), ctx.depth + 1);
    let inner = f.ctx.clone();
    let mut out = f.write(doc.as_bytes());
    let (tail, failed) = f.finish();
    out.extend(tail);
    let mut refused = inner.refused_seen.get();
    if failed {
        refused = refused.max(ctx.strictest_refused());
    }
    let out = match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    (out, refused)
}

/// An attribute value as the browser reads it: character references decoded
/// (HTML's rules for attributes: `&amp` without `;` before a letter, digit
/// or `=` stays as it is).
///
/// Numeric references are decoded in full, named ones only when they stand
/// for ASCII (`&quot;`, `&lt;`, `&sol;`, `&colon;`, …): every character of
/// markup and of a tracker's URL. Others (`&eacute;`) are kept as written,
/// which the `srcdoc` document's own parser then decodes in text and
/// attributes alike (only in `<script>`/`<style>` of a rewritten `srcdoc`
/// would they stay literal).
fn decode_attribute(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    let mut copied = 0;
    while let Some(off) = raw[i..].find('&') {
        let amp = i + off;
        i = amp + 1;
        let (text, end) = if b.get(i) == Some(&b'#') {
            match numeric_reference(raw, i + 1) {
                Some(r) => r,
                None => continue,
            }
        } else {
            let n = b[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            let name = &raw[i..i + n];
            let next = b.get(i + n).copied();
            match (named_reference(name), next) {
                (Some(t), Some(b';')) => (t, i + n + 1),
                (Some(t), next)
                    if matches!(
                        name,
                        "amp" | "AMP" | "lt" | "LT" | "gt" | "GT" | "quot" | "QUOT"
                    ) && next != Some(b'=') =>
                {
                    (t, i + n)
                }
                _ => continue,
            }
        };
        out.push_str(&raw[copied..amp]);
        out.push_str(&text);
        copied = end;
        i = end;
    }
    out.push_str(&raw[copied..]);
    Cow::Owned(out)
}

/// `&#…` from `at` (right after the `#`): the text and where it ends.
fn numeric_reference(raw: &str, at: usize) -> Option<(Cow<'static, str>, usize)> {
    let b = raw.as_bytes();
    let (radix, start) = match b.get(at) {
        Some(b'x' | b'X') => (16, at + 1),
        _ => (10, at),
    };
    let n = b[start.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || radix == 16 && c.is_ascii_hexdigit())
        .count();
    if n == 0 {
        return None;
    }
    let digits = raw[start..start + n].trim_start_matches('0');
    let value = if digits.len() > 8 {
        u32::MAX
    } else {
        u32::from_str_radix(digits, radix).unwrap_or(0)
    };
    let mut end = start + n;
    if b.get(end) == Some(&b';') {
        end += 1;
    }
    // Windows-1252 for 0x80..0x9F, as the HTML parser does.
    const C1: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    let value = match value {
        0x80..=0x9F => C1[(value - 0x80) as usize],
        v => v,
    };
    let c = match value {
        0 => '\u{FFFD}',
        v => char::from_u32(v).unwrap_or('\u{FFFD}'),
    };
    Some((Cow::Owned(c.to_string()), end))
}

/// The named character references that stand for ASCII text.
fn named_reference(name: &str) -> Option<Cow<'static, str>> {
    let t = match name {
        "Tab" => "\t",
        "NewLine" => "\n",
        "excl" => "!",
        "quot" | "QUOT" => "\"",
        "num" => "#",
        "dollar" => "$",
        "percnt" => "%",
        "amp" | "AMP" => "&",
        "apos" => "'",
        "lpar" => "(",
        "rpar" => ")",
        "ast" | "midast" => "*",
        "plus" => "+",
        "comma" => ",",
        "period" => ".",
        "sol" => "/",
        "colon" => ":",
        "semi" => ";",
        "lt" | "LT" => "<",
        "equals" => "=",
        "gt" | "GT" => ">",
        "quest" => "?",
        "commat" => "@",
        "lsqb" | "lbrack" => "[",
        "bsol" => "\\",
        "rsqb" | "rbrack" => "]",
        "Hat" => "^",
        "lowbar" | "UnderBar" => "_",
        "grave" | "DiacriticalGrave" => "`",
        "lcub" | "lbrace" => "{",
        "verbar" | "vert" | "VerticalLine" => "|",
        "rcub" | "rbrace" => "}",
        "fjlig" => "fj",
        _ => return None,
    };
    Some(Cow::Borrowed(t))
}

/// Text as a double-quoted attribute value (`&` and `"` escaped).
fn encode_attribute(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;")
}

/// Author-tagged elements: activate when their category is granted.
fn handle_author_tagged(ctx: &Ctx, el: &mut Element, tag: &str) {
    let Some(cat) = el
        .get_attribute("data-consent")
        .and_then(|c| Category::from_id(c.trim()))
    else {
        return;
    };
    if !ctx.grants.has(cat) {
        return;
    }
    for attr in ["src", "srcset", "data", "href", "ping", "poster"] {
        let name = format!("data-consent-{attr}");
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
        match el.get_attribute("data-consent-type") {
            Some(t) => {
                el.remove_attribute("data-consent-type");
                let _ = el.set_attribute("type", &t);
            }
            None => el.remove_attribute("type"),
        }
    }
}

fn neutralize_script_src(ctx: &Ctx, el: &mut Element, v: &Vendor) {
    ctx.saw(v.category);
    if ctx.blocking == Blocking::Remove {
        el.remove();
        return;
    }
    if let Some(t) = el.get_attribute("type") {
        let _ = el.set_attribute("data-consent-type", &t);
    }
    let _ = el.set_attribute("type", "text/plain");
    let _ = el.set_attribute("data-consent-category", v.category.id());
    let _ = el.set_attribute("data-consent-vendor", &v.id);
}

/// Runs the media and author-tag handlers over a `<noscript>`'s content.
fn rewrite_fragment(ctx: &Ctx, content: &[u8], encoding: &'static Encoding) -> Vec<u8> {
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

/// The streaming consent filter for one HTML response.
pub struct Filter {
    rewriter: Option<HtmlRewriter<'static, Sink>>,
    core: Rc<RefCell<Core>>,
    ctx: Rc<Ctx>,
    body_end: Rc<str>,
    failed: bool,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("failed", &self.failed)
            .finish()
    }
}

impl Filter {
    /// A filter for one response. `charset` is the `Content-Type` charset
    /// (see [`charset_from_content_type`]); `None` lets `<meta charset>` decide.
    pub fn new(
        catalog: &'static Catalog,
        cfg: &Config,
        page: Page,
        charset: Option<&str>,
    ) -> Filter {
        Filter::nested(catalog, cfg, page, charset, 0)
    }

    /// [`Filter::new`] for a document `depth` `srcdoc` levels down.
    fn nested(
        catalog: &'static Catalog,
        cfg: &Config,
        page: Page,
        charset: Option<&str>,
        depth: u8,
    ) -> Filter {
        let mut ctx = Ctx {
            catalog,
            grants: page.grants,
            allow_vendors: page.allow_vendors,
            site_host: page.site_host,
            blocking: cfg.blocking,
            max_held: cfg.max_held_bytes.max(1024),
            max_sig: catalog.max_signature_len(),
            scan_scripts: false,
            placeholder_text: page.placeholder_text,
            allow_text: page.allow_text,
            labels: page.category_labels,
            memory_limit: cfg.memory_limit,
            depth,
            refused_seen: Cell::new(None),
        };
        ctx.scan_scripts = catalog
            .vendors()
            .iter()
            .any(|v| !v.scripts.is_empty() && ctx.refused(v));
        let ctx = Rc::new(ctx);
        let header_enc = charset.and_then(|c| {
            let e = Encoding::for_label_no_replacement(c.trim().as_bytes())?;
            AsciiCompatibleEncoding::new(e)
        });
        let enc = header_enc.unwrap_or_else(AsciiCompatibleEncoding::utf_8);
        // Shared by the handlers below and the fail-safe tail: one copy of
        // the injected HTML per response, not one per handler.
        let head_start: Rc<str> = Rc::from(page.head_start);
        let body_end: Rc<str> = Rc::from(page.body_end);
        let core = Rc::new(RefCell::new(Core {
            out: Vec::new(),
            encoding: enc.into(),
            hold: None,
            dropping: false,
            bailed: false,
            open_raw: None,
            head_done: head_start.is_empty(),
            body_done: body_end.is_empty(),
        }));

        let sel = selectors();
        let mut settings: Settings<'static, 'static> = Settings::new()
            .with_encoding(enc)
            .with_adjust_charset_on_meta_tag(header_enc.is_none())
            .with_memory_settings(
                MemorySettings::new()
                    .with_max_allowed_memory_usage(cfg.memory_limit.max(4096))
                    .with_graceful_bail_out_on_memory_limit_exceeded(true),
            )
            .with_graceful_bail_out_on_content_handler_error(true);

        // Media and author-tagged elements. An `<iframe>` is also raw text
        // to track for the bail-out tail, done here rather than by a handler
        // of its own (same order: media first).
        {
            let (c, k) = (ctx.clone(), core.clone());
            settings = settings.append_element_content_handler(on(&sel.media, move |el| {
                let tag = el.tag_name();
                media_or_tagged(&c, el, false, &tag);
                if tag == "iframe" {
                    track_raw_text(&k, el, "iframe")
                } else {
                    Ok(())
                }
            }));
        }

        // Scripts.
        {
            let (c, k) = (ctx.clone(), core.clone());
            settings = settings.append_element_content_handler(on(&sel.script, move |el| {
                handle_script(&c, &k, el)
            }));
        }
        // Noscript: hold the raw content and rewrite it as a fragment at its end.
        {
            let k = core.clone();
            let c = ctx.clone();
            settings = settings.append_element_content_handler(on(&sel.noscript, move |el| {
                let mut core = k.borrow_mut();
                core.open_raw = Some("noscript");
                if core.hold.is_none() && !core.dropping {
                    let mark = core.out.len();
                    core.hold = Some(Hold {
                        kind: HoldKind::Noscript,
                        mark,
                        tag_len: None,
                        scanned: 0,
                        refused: None,
                    });
                }
                drop(core);
                let (k2, c2) = (k.clone(), c.clone());
                el.on_end_tag(lol_html::end_tag!(move |end: &mut EndTag| {
                    let mut core = k2.borrow_mut();
                    core.open_raw = None;
                    if core.hold.is_some() {
                        core.scan_hold(&c2, true);
                    }
                    if core.dropping {
                        core.dropping = false;
                    }
                    let _ = end;
                    Ok(())
                }))
            }));
        }
        // Other raw-text elements, to close them cleanly on bail-out.
        {
            let k = core.clone();
            settings = settings.append_element_content_handler(on(&sel.raw_text, move |el| {
                let name: &'static str = match el.tag_name().as_str() {
                    "style" => "style",
                    "textarea" => "textarea",
                    "title" => "title",
                    "xmp" => "xmp",
                    "noembed" => "noembed",
                    _ => "noframes",
                };
                track_raw_text(&k, el, name)
            }));
        }
        // Injection.
        if !head_start.is_empty() {
            let (k, html) = (core.clone(), head_start.clone());
            settings = settings.append_element_content_handler(on(&sel.head, move |el| {
                let mut core = k.borrow_mut();
                if !core.head_done {
                    core.head_done = true;
                    drop(core);
                    el.prepend(&html, ContentType::Html);
                }
                Ok(())
            }));
        }
        if !head_start.is_empty() || !body_end.is_empty() {
            let (k, head, body) = (core.clone(), head_start, body_end.clone());
            settings = settings.append_element_content_handler(on(&sel.body, move |el| {
                let mut core = k.borrow_mut();
                if !core.head_done {
                    core.head_done = true;
                    drop(core);
                    el.before(&head, ContentType::Html);
                } else {
                    drop(core);
                }
                if !body.is_empty() {
                    let (k2, body) = (k.clone(), body.clone());
                    el.on_end_tag(lol_html::end_tag!(move |end: &mut EndTag| {
                        let mut core = k2.borrow_mut();
                        if !core.body_done {
                            core.body_done = true;
                            drop(core);
                            end.before(&body, ContentType::Html);
                        }
                        Ok(())
                    }))?;
                }
                Ok(())
            }));
        }
        if let Some(html) = page.declaration_html {
            settings = settings.append_element_content_handler(on(&sel.declaration, move |el| {
                el.set_inner_content(&html, ContentType::Html);
                Ok(())
            }));
        }
        if let Some(html) = page.status_html {
            settings = settings.append_element_content_handler(on(&sel.status, move |el| {
                el.set_inner_content(&html, ContentType::Html);
                Ok(())
            }));
        }
        if let Some(form) = page.reopen_form {
            settings = settings.append_element_content_handler(on(&sel.reopen, move |el| {
                el.set_attribute("type", "submit")?;
                el.set_attribute("form", form)?;
                Ok(())
            }));
        }
        // Document end: resolve an unterminated script/noscript, then the banner.
        {
            let (k, c, body) = (core.clone(), ctx.clone(), body_end.clone());
            settings = settings.append_document_content_handler(end!(move |end| {
                let mut core = k.borrow_mut();
                if core.hold.is_some() {
                    core.scan_hold(&c, true);
                }
                core.dropping = false;
                let append = !core.body_done;
                core.body_done = true;
                drop(core);
                if append && !body.is_empty() {
                    end.append(&body, ContentType::Html);
                }
                Ok(())
            }));
        }
        {
            let k = core.clone();
            settings = settings.append_bail_out_handler(lol_html::bail_out!(move |_err, _b| {
                k.borrow_mut().bailed = true;
            }));
        }

        let sink = Sink {
            core: core.clone(),
            ctx: ctx.clone(),
        };
        Filter {
            rewriter: Some(HtmlRewriter::new(settings, sink)),
            core,
            ctx,
            body_end,
            failed: false,
        }
    }

    /// Feeds a chunk of the origin's body; returns the transformed bytes
    /// available so far.
    pub fn write(&mut self, chunk: &[u8]) -> Vec<u8> {
        if let Some(rw) = self.rewriter.as_mut() {
            if rw.write(chunk).is_err() {
                self.rewriter = None;
                self.fail();
            }
        }
        self.take(false)
    }

    /// Ends the document; returns the remaining bytes.
    pub fn end(self) -> Vec<u8> {
        self.finish().0
    }

    /// [`Filter::end`], and whether the filter failed (see [`Filter::failed`]).
    fn finish(mut self) -> (Vec<u8>, bool) {
        if let Some(rw) = self.rewriter.take() {
            if rw.end().is_err() {
                self.fail();
            }
        }
        let mut core = self.core.borrow_mut();
        if let Some(h) = core.hold.take() {
            // Cannot happen after a clean end (the end handler resolves it).
            core.out.truncate(h.mark);
        }
        drop(core);
        (self.take(true), self.failed)
    }

    /// Whether the filter had to stop early (memory limit, unparseable
    /// markup); see the module docs for what the visitor gets.
    pub fn failed(&self) -> bool {
        self.failed
    }

    fn take(&mut self, all: bool) -> Vec<u8> {
        let mut core = self.core.borrow_mut();
        let n = match (&core.hold, all) {
            (Some(h), false) => h.mark,
            _ => core.out.len(),
        };
        // Copy out, then shift what is still held to the front (two memcpys;
        // collecting the `drain` iterator would copy byte by byte).
        let taken = core.out[..n].to_vec();
        core.out.drain(..n);
        if let Some(h) = core.hold.as_mut() {
            h.mark -= n;
        }
        taken
    }

    fn fail(&mut self) {
        self.failed = true;
        let mut core = self.core.borrow_mut();
        core.bailed = true;
        if let Some(h) = core.hold.take() {
            core.out.truncate(h.mark);
            if matches!(h.kind, HoldKind::Noscript) {
                core.open_raw = None;
            } else {
                core.open_raw = Some("script");
            }
        }
        let mut tail = String::new();
        if let Some(raw) = core.open_raw.take() {
            tail.push_str("</");
            tail.push_str(raw);
            tail.push('>');
        }
        tail.push_str("<!--consent-edge: document truncated-->");
        if !core.body_done {
            core.body_done = true;
            tail.push_str(&self.body_end);
        }
        let (bytes, _, _) = core.encoding.encode(&tail);
        core.out.extend_from_slice(&bytes);
        let _ = &self.ctx;
    }
}

/// Remembers that raw-text element `name` is open until its end tag, for
/// the bail-out tail.
fn track_raw_text(
    core: &Rc<RefCell<Core>>,
    el: &mut Element,
    name: &'static str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    core.borrow_mut().open_raw = Some(name);
    let k = core.clone();
    el.on_end_tag(lol_html::end_tag!(move |_end: &mut EndTag| {
        k.borrow_mut().open_raw = None;
        Ok(())
    }))
}

fn handle_script(
    ctx: &Rc<Ctx>,
    core: &Rc<RefCell<Core>>,
    el: &mut Element,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if el.has_attribute("data-consent") {
        // What a `script[data-consent]` author-tag handler would do.
        handle_author_tagged(ctx, el, "script");
        return Ok(());
    }
    let ty = el.get_attribute("type");
    if !is_js_type(ty.as_deref(), el.get_attribute("language").as_deref()) {
        return Ok(());
    }
    if let Some(src) = el.get_attribute("src") {
        if let Some(v) = ctx.refused_script_src(&src) {
            neutralize_script_src(ctx, el, v);
        }
        return Ok(());
    }
    // Inline script: hold its text until we know.
    {
        let mut c = core.borrow_mut();
        c.open_raw = Some("script");
        if c.hold.is_none() && !c.dropping {
            let attrs = el
                .attributes()
                .iter()
                .map(|a| (a.name_preserve_case(), a.value()))
                .collect();
            let mark = c.out.len();
            c.hold = Some(Hold {
                kind: HoldKind::Script(attrs),
                mark,
                tag_len: None,
                scanned: 0,
                refused: None,
            });
        }
    }
    let (k, c2) = (core.clone(), ctx.clone());
    el.on_end_tag(lol_html::end_tag!(move |end: &mut EndTag| {
        let mut c = k.borrow_mut();
        c.open_raw = None;
        if c.hold.is_some() {
            c.scan_hold(&c2, true);
        }
        if c.dropping {
            c.dropping = false;
            end.remove();
        }
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use super::{decode_attribute, encode_attribute};

    #[test]
    fn attribute_references_as_the_browser_decodes_them() {
        let cases = [
            ("plain", "plain"),
            ("&lt;a href=&quot;x&quot;&gt;", "<a href=\"x\">"),
            ("&#60;&#x3c;&#X3C;&#0060;&#x3C", "<<<<<"),
            (
                "&#0;&#xD800;&#x110000;&#99999999999;",
                "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}",
            ),
            ("&#x80;&#150;", "€–"),
            ("&#;&#x;&#xg", "&#;&#x;&#xg"),
            ("&amp &amp;&AMP;&ampx &amp=1 &amp", "& &&&ampx &amp=1 &"),
            ("&lt&gt &quot", "<> \""),
            (
                "&sol;&colon;&period;&lpar;&rpar;&equals;&Tab;&fjlig;",
                "/:.()=\tfj",
            ),
            ("&sol &eacute; &nosuch; & &;", "&sol &eacute; &nosuch; & &;"),
            ("é&#xE9;日本&#26085;", "éé日本日"),
        ];
        for (raw, want) in cases {
            assert_eq!(decode_attribute(raw), want, "{raw}");
        }
    }

    #[test]
    fn encoding_round_trips() {
        for s in ["<p a=\"1\" b='&amp;'>x & y</p>", "&quot;", "", "&&&\"\"\""] {
            let enc = encode_attribute(s);
            assert!(!enc.contains('"'));
            assert_eq!(decode_attribute(&enc), s);
        }
    }
}
