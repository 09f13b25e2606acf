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
//!
//! With `blocking = "remove"` the element is dropped entirely instead.
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
use crate::trackers::{parse_url, Catalog, UnknownScripts, Vendor};
use encoding_rs::Encoding;
use lol_html::html_content::{ContentType, Element, EndTag};
use lol_html::{
    element, end, AsciiCompatibleEncoding, HtmlRewriter, MemorySettings, OutputSink, Settings,
};
use serde::Deserialize;
use std::cell::RefCell;
use std::rc::Rc;

/// How a refused tracker is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocking {
    /// Keep the element, inert, so the banner's script can activate it
    /// without a reload (the default).
    #[default]
    Neutralize,
    /// Drop the element entirely.
    Remove,
}

/// `[filter]` in `consent.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `"neutralize"` (default) or `"remove"`.
    #[serde(default)]
    pub blocking: Blocking,
    /// lol_html memory limit per response, in bytes (default 4 MiB).
    #[serde(default = "default_memory_limit")]
    pub memory_limit: usize,
    /// How much of one inline script / noscript is held back while looking
    /// for tracker signatures, in bytes (default 256 KiB).
    #[serde(default = "default_max_held")]
    pub max_held_bytes: usize,
}

fn default_memory_limit() -> usize {
    4 << 20
}

fn default_max_held() -> usize {
    256 << 10
}

impl Default for Config {
    fn default() -> Self {
        Config {
            blocking: Blocking::Neutralize,
            memory_limit: default_memory_limit(),
            max_held_bytes: default_max_held(),
        }
    }
}

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
    placeholder_text: String,
    allow_text: String,
    labels: [String; 4],
}

impl Ctx {
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
        let parts = parse_url(url)?;
        match self.catalog.match_host_path(&parts.host, &parts.path) {
            Some(v) => Some(v).filter(|v| self.refused(v)),
            None => match self.catalog.unknown_scripts() {
                UnknownScripts::Allow => None,
                UnknownScripts::Category(_) => {
                    let v = self.catalog.unknown_vendor();
                    (!self.catalog.is_first_party(&parts.host, &self.site_host) && self.refused(v))
                        .then_some(v)
                }
            },
        }
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
                let from = h.scanned.saturating_sub(ctx.max_sig).max(tag_len);
                let found = ctx.catalog.match_script_all(&held[from..]);
                h.scanned = held.len();
                let refused = found
                    .into_iter()
                    .filter(|v| ctx.refused(v))
                    .max_by_key(|v| v.category);
                if let Some(v) = refused {
                    self.block_held_script(ctx, v);
                } else if at_end || held.len() > ctx.max_held {
                    self.hold = None;
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

/// img, iframe, embed, object, video, audio, source, link, a.
fn handle_media(ctx: &Ctx, el: &mut Element, in_noscript: bool) {
    if el.has_attribute("data-consent") {
        return;
    }
    let tag = el.tag_name();
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
    for attr in url_attrs(&tag) {
        if let Some(value) = el.get_attribute(attr) {
            if let Some(v) = attr_refused(ctx, attr, &value) {
                hits.push((attr, value, v));
            }
        }
    }
    let Some(&(_, _, first)) = hits.first() else {
        return;
    };
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
        if !in_noscript {
            el.before(&ctx.placeholder(first), ContentType::Html);
        }
    }
}

/// Author-tagged elements: activate when their category is granted.
fn handle_author_tagged(ctx: &Ctx, el: &mut Element) {
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
    if el.tag_name() == "script"
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

/// Runs the media handlers over a `<noscript>`'s content.
fn rewrite_fragment(ctx: &Ctx, content: &[u8], encoding: &'static Encoding) -> Vec<u8> {
    if content.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(content.len());
    let settings = media_settings(Settings::new(), ctx, true);
    let Some(enc) = AsciiCompatibleEncoding::new(encoding) else {
        return Vec::new();
    };
    let settings = settings.with_encoding(enc).with_memory_settings(
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

/// Appends the media/author-tag handlers (shared by the document and the
/// noscript fragment rewriters). `ctx` is only read during the call for
/// fragments; for the document it is captured by `Rc`.
fn media_settings<'h>(
    settings: Settings<'h, 'static>,
    ctx: &'h Ctx,
    in_noscript: bool,
) -> Settings<'h, 'static> {
    settings
        .append_element_content_handler(element!(
            "img, iframe, embed, object, video, audio, source, link[href], a[ping], area[ping]",
            move |el| {
                handle_media(ctx, el, in_noscript);
                Ok(())
            }
        ))
        .append_element_content_handler(element!(AUTHOR_TAGGED, move |el| {
            handle_author_tagged(ctx, el);
            Ok(())
        }))
}

/// Elements whose author tags (`data-consent`) are honoured.
const AUTHOR_TAGGED: &str = "script[data-consent], img[data-consent], iframe[data-consent], embed[data-consent], object[data-consent], video[data-consent], audio[data-consent], source[data-consent], link[data-consent], a[data-consent]";

/// The streaming consent filter for one HTML response.
pub struct Filter {
    rewriter: Option<HtmlRewriter<'static, Sink>>,
    core: Rc<RefCell<Core>>,
    ctx: Rc<Ctx>,
    body_end: String,
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
        let ctx = Rc::new(Ctx {
            catalog,
            grants: page.grants,
            allow_vendors: page.allow_vendors,
            site_host: page.site_host,
            blocking: cfg.blocking,
            max_held: cfg.max_held_bytes.max(1024),
            max_sig: catalog.max_signature_len(),
            placeholder_text: page.placeholder_text,
            allow_text: page.allow_text,
            labels: page.category_labels,
        });
        let header_enc = charset.and_then(|c| {
            let e = Encoding::for_label_no_replacement(c.trim().as_bytes())?;
            AsciiCompatibleEncoding::new(e)
        });
        let enc = header_enc.unwrap_or_else(AsciiCompatibleEncoding::utf_8);
        let core = Rc::new(RefCell::new(Core {
            out: Vec::new(),
            encoding: enc.into(),
            hold: None,
            dropping: false,
            bailed: false,
            open_raw: None,
            head_done: page.head_start.is_empty(),
            body_done: page.body_end.is_empty(),
        }));

        let mut settings: Settings<'static, 'static> = Settings::new()
            .with_encoding(enc)
            .with_adjust_charset_on_meta_tag(header_enc.is_none())
            .with_memory_settings(
                MemorySettings::new()
                    .with_max_allowed_memory_usage(cfg.memory_limit.max(4096))
                    .with_graceful_bail_out_on_memory_limit_exceeded(true),
            )
            .with_graceful_bail_out_on_content_handler_error(true);

        // The document handlers hold an Rc; the shared media code wants &Ctx.
        {
            let c = ctx.clone();
            settings = settings.append_element_content_handler(element!(
                "img, iframe, embed, object, video, audio, source, link[href], a[ping], area[ping]",
                move |el| {
                    handle_media(&c, el, false);
                    Ok(())
                }
            ));
            let c = ctx.clone();
            settings =
                settings.append_element_content_handler(element!(AUTHOR_TAGGED, move |el| {
                    handle_author_tagged(&c, el);
                    Ok(())
                }));
        }

        // Scripts.
        {
            let (c, k) = (ctx.clone(), core.clone());
            settings = settings.append_element_content_handler(element!("script", move |el| {
                handle_script(&c, &k, el)
            }));
        }
        // Noscript: hold the raw content and rewrite it as a fragment at its end.
        {
            let k = core.clone();
            let c = ctx.clone();
            settings = settings.append_element_content_handler(element!("noscript", move |el| {
                let mut core = k.borrow_mut();
                core.open_raw = Some("noscript");
                if core.hold.is_none() && !core.dropping {
                    let mark = core.out.len();
                    core.hold = Some(Hold {
                        kind: HoldKind::Noscript,
                        mark,
                        tag_len: None,
                        scanned: 0,
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
            settings = settings.append_element_content_handler(element!(
                "style, textarea, title, xmp, noembed, noframes, iframe",
                move |el| {
                    let name: &'static str = match el.tag_name().as_str() {
                        "style" => "style",
                        "textarea" => "textarea",
                        "title" => "title",
                        "xmp" => "xmp",
                        "noembed" => "noembed",
                        "noframes" => "noframes",
                        _ => "iframe",
                    };
                    k.borrow_mut().open_raw = Some(name);
                    let k2 = k.clone();
                    el.on_end_tag(lol_html::end_tag!(move |_end: &mut EndTag| {
                        k2.borrow_mut().open_raw = None;
                        Ok(())
                    }))
                }
            ));
        }
        // Injection.
        if !page.head_start.is_empty() {
            let (k, html) = (core.clone(), page.head_start.clone());
            settings = settings.append_element_content_handler(element!("head", move |el| {
                let mut core = k.borrow_mut();
                if !core.head_done {
                    core.head_done = true;
                    drop(core);
                    el.prepend(&html, ContentType::Html);
                }
                Ok(())
            }));
        }
        if !page.head_start.is_empty() || !page.body_end.is_empty() {
            let (k, head, body) = (core.clone(), page.head_start.clone(), page.body_end.clone());
            settings = settings.append_element_content_handler(element!("body", move |el| {
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
            settings = settings.append_element_content_handler(element!(
                "[data-consent-declaration]",
                move |el| {
                    el.set_inner_content(&html, ContentType::Html);
                    Ok(())
                }
            ));
        }
        if let Some(html) = page.status_html {
            settings = settings.append_element_content_handler(element!(
                "[data-consent-status]",
                move |el| {
                    el.set_inner_content(&html, ContentType::Html);
                    Ok(())
                }
            ));
        }
        // Document end: resolve an unterminated script/noscript, then the banner.
        {
            let (k, c, body) = (core.clone(), ctx.clone(), page.body_end.clone());
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
            body_end: page.body_end,
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
    pub fn end(mut self) -> Vec<u8> {
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
        self.take(true)
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
        let taken: Vec<u8> = core.out.drain(..n).collect();
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

fn handle_script(
    ctx: &Rc<Ctx>,
    core: &Rc<RefCell<Core>>,
    el: &mut Element,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if el.has_attribute("data-consent") {
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
