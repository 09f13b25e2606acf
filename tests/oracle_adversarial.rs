//! The adversarial corpus of issue 12, judged by the spec-parser oracle
//! (tests/oracle): every class of the issue that lives in the HTML × several
//! vendors × consent states × whole, byte-by-byte and random chunkings.
//!
//! A template is OPEN when any of its runs lets a refused vendor through,
//! in the filter's output or once the banner's script has re-activated what
//! the state grants (mixed-vendor labels, author tags), or runs a Google tag
//! before the Consent Mode defaults. The open ones are
//! listed in [`KNOWN_OPEN`] — closed by issue 12 work. The test asserts that
//! every template NOT in the list passes everywhere, AND that every template
//! in the list still fails somewhere: fixing one forces its removal.
//!
//! The summary (templates, passing, open per class, one example run per
//! open template): `cargo test --test oracle_adversarial -- --nocapture`.

mod oracle;

use consent_edge::consent::{Category, Grants};
use consent_edge::filter::{Config, Page};
use oracle::{Chunking, Consent};
use std::collections::{BTreeMap, HashMap};

/// Templates that still let a refused tracker through (`class/template`),
/// as of the filter at the start of issue 12: closed by issue 12 work. The
/// engineers fixing the filter remove an id once it passes (the test fails
/// until they do).
const KNOWN_OPEN: &[&str] = &[];

/// A vendor for the templates: a URL on its host and an inline snippet
/// that carries one of its catalog signatures.
struct V {
    id: &'static str,
    host: &'static str,
    path: &'static str,
    sig: &'static str,
}

const VENDORS: &[V] = &[
    V {
        id: "google-analytics",
        host: "www.google-analytics.com",
        path: "/analytics.js",
        sig: "(function(i,s,o,g,r){i['GoogleAnalyticsObject']=r;})(window,document,'script','//www.google-analytics.com/analytics.js','ga');",
    },
    V {
        id: "meta-pixel",
        host: "connect.facebook.net",
        path: "/en_US/fbevents.js",
        sig: "fbq('init', '1234');fbq('track', 'PageView');",
    },
    V {
        id: "youtube",
        host: "www.youtube.com",
        path: "/embed/abc",
        sig: "var t=document.createElement('script');t.src='https://www.youtube.com/iframe_api';",
    },
    V {
        id: "bing-uet",
        host: "bat.bing.com",
        path: "/bat.js",
        sig: "window.uetq=window.uetq||[];window.uetq.push('pageLoad');",
    },
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No refused vendor reached.
    Plain,
    /// Plain, with `max_held_bytes` at its minimum (1 KiB) and a longer script.
    LongScript,
    /// Plain, at the default `max_held_bytes` (256 KiB): whole and random only.
    Huge,
    /// Consent Mode "advanced": Google vendors allowed, no Google tag before the
    /// `gtag('consent','default',…)` that `head_start` carries.
    ConsentOrder,
}

struct Template {
    class: &'static str,
    id: &'static str,
    kind: Kind,
    html: String,
}

fn t(class: &'static str, id: &'static str, html: String) -> Template {
    Template {
        class,
        id,
        kind: Kind::Plain,
        html,
    }
}

/// Host spellings the URL parser maps to `host` (issue 12 class 6).
fn shy(host: &str) -> String {
    format!("{}&shy;{}", &host[..1], &host[1..])
}
fn fullwidth_first_letter(host: &str) -> String {
    let c = host.chars().next().unwrap();
    let fw = char::from_u32(c as u32 - 'a' as u32 + 0xFF41).unwrap();
    format!("{fw}{}", &host[1..])
}
fn zeros_dec(host: &str) -> String {
    format!("&#0000000{};{}", host.as_bytes()[0], &host[1..])
}
fn zeros_hex(host: &str) -> String {
    format!("&#x00000000{:x};{}", host.as_bytes()[0], &host[1..])
}
fn pct_first(host: &str) -> String {
    format!("%{:02X}{}", host.as_bytes()[0], &host[1..])
}
fn css_escape_first(host: &str) -> String {
    format!("\\{:x} {}", host.as_bytes()[0], &host[1..])
}

/// Every template for vendor `v`, with `w` a vendor of another category
/// (mixed-vendor elements).
fn templates(v: &V, w: &V) -> Vec<Template> {
    let (h, p) = (v.host, v.path);
    let u = format!("https://{h}{p}");
    let u2 = format!("https://{}{}", w.host, w.path);
    let prel = &p[1..];
    let sig = v.sig;
    let load =
        format!("var s=document.createElement('script');s.src='{u}';document.head.append(s)");
    let mut out = vec![
        // Baseline: markup the filter handles today (must pass).
        t("0.baseline", "script-src", format!("<script src=\"{u}\"></script>")),
        t("0.baseline", "script-inline", format!("<script>{sig}</script>")),
        t("0.baseline", "img-src", format!("<img src=\"{u}\">")),
        t("0.baseline", "iframe-src", format!("<iframe src=\"{u}\"></iframe>")),
        t("0.baseline", "link-preload", format!("<link rel=preload as=script href=\"{u}\">")),
        t("0.baseline", "a-ping", format!("<a href=\"/x\" ping=\"{u}\">x</a>")),
        t("0.baseline", "noscript-img", format!("<noscript><img src=\"{u}\"></noscript>")),
        t("0.baseline", "srcdoc", format!("<iframe srcdoc=\"<script src=&quot;{u}&quot;></script>\"></iframe>")),
        t("0.baseline", "template-img", format!("<template><img src=\"{u}\"></template>")),
        t("0.baseline", "entity-colon", format!("<script src=\"https&colon;//{h}{p}\"></script>")),
        t("0.baseline", "upper-tab-newline", format!("<script src=\" HTTPS:/\t/{}\n{p} \"></script>", h.to_uppercase())),
        t("0.baseline", "backslashes", format!("<script src=\"https:\\\\{h}{p}\"></script>")),
        t("0.baseline", "userinfo-port-dot", format!("<script src=\"https://u:p@{h}.:443{p}\"></script>")),
        // 2. author-tagged markup (security review A2)
        t("2.author-tagged", "script-data-consent-analytics", format!("<script data-consent=\"analytics\" src=\"{u}\"></script>")),
        t("2.author-tagged", "script-data-consent-empty", format!("<script data-consent src=\"{u}\"></script>")),
        t("2.author-tagged", "img-data-consent-bogus", format!("<img data-consent=\"x\" src=\"{u}\">")),
        t("2.author-tagged", "iframe-data-consent-functional", format!("<iframe data-consent=\"functional\" src=\"{u}\"></iframe>")),
        t("2.author-tagged", "necessary-activates-tracker", format!("<img data-consent=\"necessary\" data-consent-src=\"{u}\">")),
        t("2.author-tagged", "necessary-javascript-href", format!("<a data-consent=\"necessary\" data-consent-href=\"javascript:{load}\">x</a>")),
        t("2.author-tagged", "necessary-javascript-iframe", format!("<iframe data-consent=\"necessary\" data-consent-src=\"javascript:{load}\"></iframe>")),
        // 4. script types
        t("4.script-types", "empty-type-vbscript", format!("<script type=\"\" language=\"vbscript\" src=\"{u}\"></script>")),
        t("4.script-types", "empty-type", format!("<script type=\"\" src=\"{u}\"></script>")),
        t("4.script-types", "empty-language", format!("<script language=\"\" src=\"{u}\"></script>")),
        t("4.script-types", "language-javascript12", format!("<script language=\"JavaScript1.2\" src=\"{u}\"></script>")),
        t("4.script-types", "type-padded-case", format!("<script type=\" TEXT/JavaScript \" src=\"{u}\"></script>")),
        t("4.script-types", "type-module-case", format!("<script type=\"MODULE\" src=\"{u}\"></script>")),
        t("4.script-types", "type-jscript", format!("<script type=\"text/jscript\" src=\"{u}\"></script>")),
        t("4.script-types", "partytown-src", format!("<script type=\"text/partytown\" src=\"{u}\"></script>")),
        t("4.script-types", "partytown-inline", format!("<script type=\"text/partytown\">{sig}</script>")),
        t("4.script-types", "rocket-loader-src", format!("<script type=\"4f3a9c1e2b7d8a6f5e4d3c2b-text/javascript\" src=\"{u}\"></script>")),
        t("4.script-types", "rocket-loader-inline", format!("<script type=\"4f3a9c1e2b7d8a6f5e4d3c2b-text/javascript\">{sig}</script>")),
        t("4.script-types", "empty-type-inline", format!("<script type=\"\" language=\"vbscript\">{sig}</script>")),
        t("4.script-types", "importmap", format!("<script type=\"importmap\">{{\"imports\":{{\"t\":\"{u}\"}}}}</script><script type=\"module\">import \"t\";</script>")),
        t("4.script-types", "importmap-scopes", format!("<script type=\"importmap\">{{\"scopes\":{{\"/\":{{\"t\":\"{u}\"}}}}}}</script><script type=\"module\">import \"t\";</script>")),
        // 5. <base href>
        t("5.base-href", "base-script", format!("<base href=\"https://{h}/\"><script src=\"{prel}\"></script>")),
        t("5.base-href", "base-img", format!("<base href=\"https://{h}/\"><img src=\"{prel}\">")),
        t("5.base-href", "base-in-body", format!("<p>x</p><base href=\"https://{h}/\"><iframe src=\"{prel}\"></iframe>")),
        t("5.base-href", "base-protocol-relative", format!("<base href=\"//{h}/x/\"><script src=\"{p}\"></script>")),
        // 6. host spellings (IDNA/UTS-46, numeric references)
        t("6.host-spelling", "scheme-relative-three-slashes", format!("<script src=\"///{h}{p}\"></script>")),
        t("6.host-spelling", "scheme-relative-slash-backslash", format!("<img src=\"/\\/{h}{p}\">")),
        t("6.host-spelling", "soft-hyphen-entity", format!("<script src=\"https://{}{p}\"></script>", shy(h))),
        t("6.host-spelling", "soft-hyphen-raw", format!("<script src=\"https://{}\u{ad}{}{p}\"></script>", &h[..1], &h[1..])),
        t("6.host-spelling", "ideographic-full-stop", format!("<script src=\"https://{}{p}\"></script>", h.replace('.', "\u{3002}"))),
        t("6.host-spelling", "fullwidth-full-stop", format!("<script src=\"https://{}{p}\"></script>", h.replace('.', "\u{ff0e}"))),
        t("6.host-spelling", "fullwidth-letter", format!("<script src=\"https://{}{p}\"></script>", fullwidth_first_letter(h))),
        t("6.host-spelling", "numeric-ref-zeros-dec", format!("<script src=\"https://{}{p}\"></script>", zeros_dec(h))),
        t("6.host-spelling", "numeric-ref-zeros-hex", format!("<script src=\"https://{}{p}\"></script>", zeros_hex(h))),
        t("6.host-spelling", "percent-encoded-host", format!("<script src=\"https://{}{p}\"></script>", pct_first(h))),
        t("6.host-spelling", "tab-in-host-entity", format!("<img src=\"https://{}&#9;{}{p}\">", &h[..2], &h[2..])),
        // 7. elements and attributes
        t("7.elements", "image-element", format!("<image src=\"{u}\">")),
        t("7.elements", "input-type-image", format!("<input type=\"image\" src=\"{u}\">")),
        t("7.elements", "body-background", format!("<body background=\"{u}\"><p>x</p></body>")),
        t("7.elements", "td-background", format!("<table><tr><td background=\"{u}\">x</td></tr></table>")),
        t("7.elements", "link-icon", format!("<link rel=\"icon\" href=\"{u}\">")),
        t("7.elements", "link-shortcut-icon", format!("<link rel=\"shortcut icon\" href=\"{u}\">")),
        t("7.elements", "link-apple-touch-icon", format!("<link rel=\"apple-touch-icon\" href=\"{u}\">")),
        t("7.elements", "link-manifest", format!("<link rel=\"manifest\" href=\"{u}\">")),
        t("7.elements", "link-imagesrcset", format!("<link rel=\"preload\" as=\"image\" imagesrcset=\"{u} 1x\">")),
        t("7.elements", "link-href-and-imagesrcset", format!("<link rel=\"preload\" as=\"image\" href=\"/a.png\" imagesrcset=\"/a.png 1x, {u} 2x\">")),
        t("7.elements", "svg-image-href", format!("<svg><image href=\"{u}\"/></svg>")),
        t("7.elements", "svg-image-xlink", format!("<svg><image xlink:href=\"{u}\"/></svg>")),
        t("7.elements", "svg-feimage", format!("<svg><filter id=f><feImage href=\"{u}\"/></filter></svg>")),
        t("7.elements", "svg-use", format!("<svg><use href=\"{u}#x\"/></svg>")),
        t("7.elements", "svg-script-href", format!("<svg><script href=\"{u}\"></script></svg>")),
        t("7.elements", "svg-script-xlink", format!("<svg><script xlink:href=\"{u}\"></script></svg>")),
        t("7.elements", "svg-script-inline", format!("<svg><script>{sig}</script></svg>")),
        t("7.elements", "video-poster", format!("<video poster=\"{u}\"></video>")),
        t("7.elements", "track-src", format!("<video><track src=\"{u}\"></video>")),
        t("7.elements", "frameset-frame", format!("<frameset><frame src=\"{u}\"></frameset>")),
        // 8. parser differentials (nested foreign content)
        t("8.parser-differential", "svg-svg-p-cdata", format!("<svg><svg><p><![CDATA[><script src=\"{u}\"></script>]]>")),
        t("8.parser-differential", "svg-svg-p-style-comment", format!("<svg><svg><p><style><!--</style><script src=\"{u}\"></script><!-- -->")),
        t("8.parser-differential", "math-style-img", format!("<math><style><img src=\"{u}\"></style></math>")),
        t("8.parser-differential", "svg-style-img", format!("<svg><style><img src=\"{u}\"></style></svg>")),
        t("8.parser-differential", "template-svg-svg-p-cdata", format!("<template><svg><svg><p><![CDATA[><script src=\"{u}\"></script>]]></template>")),
        t("8.parser-differential", "svg-cdata-hides", format!("<svg><![CDATA[</svg><script src=\"{u}\"></script>]]></svg>")),
        // 9. CSS, handlers, javascript:/data: URLs
        t("9.css-handlers-urls", "style-attr-url", format!("<div style=\"background:url({u})\">x</div>")),
        t("9.css-handlers-urls", "style-attr-quoted", format!("<div style='background-image:url(\"{u}\")'>x</div>")),
        t("9.css-handlers-urls", "style-attr-image-set", format!("<div style=\"background-image:image-set('{u}' 1x)\">x</div>")),
        t("9.css-handlers-urls", "style-attr-css-escape", format!("<div style='background:url(\"https://{}{p}\")'>x</div>", css_escape_first(h))),
        t("9.css-handlers-urls", "style-element-url", format!("<style>body{{background:url({u})}}</style>")),
        t("9.css-handlers-urls", "style-import-string", format!("<style>@import \"{u}\";</style>")),
        t("9.css-handlers-urls", "style-import-url", format!("<style>@import url({u});</style>")),
        t("9.css-handlers-urls", "style-font-face", format!("<style>@font-face{{font-family:x;src:url({u}) format(\"woff\")}}</style>")),
        t("9.css-handlers-urls", "svg-style-element", format!("<svg><style>svg{{background:url({u})}}</style></svg>")),
        t("9.css-handlers-urls", "img-onload", format!("<img src=\"/logo.png\" onload=\"{load}\">")),
        t("9.css-handlers-urls", "body-onload-snippet", format!("<body onload=\"{}\"><p>x</p></body>", sig.replace('"', "&quot;"))),
        t("9.css-handlers-urls", "svg-onload", format!("<svg onload=\"{load}\"></svg>")),
        t("9.css-handlers-urls", "math-onclick", format!("<math onclick=\"{load}\"><mi>x</mi></math>")),
        t("9.css-handlers-urls", "iframe-javascript-url", format!("<iframe src=\"javascript:'<script src={u}></script>'\"></iframe>")),
        t("9.css-handlers-urls", "iframe-javascript-entity-tab", format!("<iframe src=\"java&#9;script:'<script src={u}></script>'\"></iframe>")),
        t("9.css-handlers-urls", "a-javascript-href", format!("<a href=\"javascript:{load}\">x</a>")),
        t("9.css-handlers-urls", "iframe-data-html", format!("<iframe src=\"data:text/html,<script src={u}></script>\"></iframe>")),
        t("9.css-handlers-urls", "iframe-data-html-base64", format!("<iframe src=\"data:text/html;base64,{}\"></iframe>", b64(&format!("<script src={u}></script>")))),
        t("9.css-handlers-urls", "object-data-html", format!("<object data=\"data:text/html,<img src={u}>\"></object>")),
        t("9.css-handlers-urls", "embed-data-svg", format!("<embed src=\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'><image href='{u}'/></svg>\">")),
        t("9.css-handlers-urls", "script-data-js", format!("<script src=\"data:text/javascript,{}\"></script>", sig.replace('"', "&quot;"))),
        t("9.css-handlers-urls", "meta-refresh", format!("<meta http-equiv=\"refresh\" content=\"0; url={u}\">")),
        // 13. mixed vendors on one element
        t("13.mixed-vendors", "img-src-srcset", format!("<img src=\"{u}\" srcset=\"{u2} 1x\">")),
        t("13.mixed-vendors", "ping-two", format!("<a href=\"/x\" ping=\"{u} {u2}\">x</a>")),
        t("13.mixed-vendors", "source-srcset-two", format!("<picture><source srcset=\"{u} 1x, {u2} 2x\"><img src=\"/a.png\"></picture>")),
        t("13.mixed-vendors", "video-src-poster", format!("<video src=\"{u}\" poster=\"{u2}\"></video>")),
        t("13.mixed-vendors", "inline-two-snippets", format!("<script>{sig}{}</script>", w.sig)),
    ];
    // 10. fail-open limits
    let pad = "x".repeat(4096);
    out.push(Template {
        class: "10.fail-open-limits",
        id: "inline-script-over-max-held",
        kind: Kind::LongScript,
        html: format!("<script>/*{pad}*/{sig}</script>"),
    });
    out.push(Template {
        class: "10.fail-open-limits",
        id: "noscript-over-max-held",
        kind: Kind::LongScript,
        html: format!("<noscript><!--{pad}--><img src=\"{u}\"></noscript>"),
    });
    out.push(Template {
        class: "10.fail-open-limits",
        id: "inline-script-over-256k-default",
        kind: Kind::Huge,
        html: format!("<script>/*{}*/{sig}</script>", "x".repeat(257 << 10)),
    });
    out
}

/// Class 14 (Consent Mode ordering): Google only, one set.
fn consent_order_templates() -> Vec<Template> {
    let gtag = "https://www.googletagmanager.com/gtag/js?id=G-X";
    let inline = "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());gtag('config','G-X');";
    let c = |id, html: String| Template {
        class: "14.consent-mode-order",
        id,
        kind: Kind::ConsentOrder,
        html,
    };
    vec![
        c("with-head", format!("<!doctype html><html><head><script async src=\"{gtag}\"></script><script>{inline}</script></head><body>x</body></html>")),
        c("body-only", format!("<!doctype html><body><script async src=\"{gtag}\"></script><script>{inline}</script></body>")),
        c("no-head-no-body", format!("<!doctype html><title>x</title><script>{inline}</script><script async src=\"{gtag}\"></script><p>x</p>")),
        c("script-before-head-tag", format!("<!doctype html><script async src=\"{gtag}\"></script><html><head><title>x</title></head><body>x</body></html>")),
        c("gateway-no-head", "<!doctype html><title>x</title><script async src=\"/metrics/gtag/js?id=G-X\"></script><p>x</p>".into()),
    ]
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

const MARKER: &str = "gtag('consent','default'";

fn consent_head() -> String {
    format!("<script>window.dataLayer=window.dataLayer||[];window.gtag=window.gtag||function(){{dataLayer.push(arguments)}};{MARKER},{{ad_storage:'denied',analytics_storage:'denied',wait_for_update:500}});</script>")
}

fn states() -> Vec<(&'static str, Grants)> {
    vec![
        ("none", Grants::NECESSARY_ONLY),
        ("analytics", Grants::from_categories([Category::Analytics])),
        (
            "functional",
            Grants::from_categories([Category::Functional]),
        ),
    ]
}

/// The consent states a visitor can move to from `grants` by granting more
/// (itself included), with the same outright-allowed vendors.
fn later_states(grants: Grants, c: &Consent) -> Vec<(&'static str, Consent)> {
    let mut out = vec![("nothing more", c.clone())];
    for (name, g) in states() {
        if g != grants && g.bits() & grants.bits() == grants.bits() {
            out.push((
                name,
                Consent {
                    grants: g,
                    allow_vendors: c.allow_vendors.clone(),
                },
            ));
        }
    }
    out
}

/// Runs one template everywhere; returns the failures (state, chunking, vendor, what).
fn run(tpl: &Template, vendor: &str) -> Vec<String> {
    let mut fails = Vec::new();
    let chunkings: Vec<Chunking> = match tpl.kind {
        Kind::Huge => vec![Chunking::Whole, Chunking::Random(7)],
        _ => vec![
            Chunking::Whole,
            Chunking::Bytes,
            Chunking::Random(0x9e37_79b9),
            Chunking::Random(42),
        ],
    };
    let cfg = match tpl.kind {
        Kind::LongScript => Config {
            max_held_bytes: 1024,
            ..Config::default()
        },
        _ => Config::default(),
    };
    let states = if tpl.kind == Kind::ConsentOrder {
        vec![("advanced-none", Grants::NECESSARY_ONLY)]
    } else {
        states()
    };
    for (state, grants) in states {
        let mut page = Page {
            grants,
            ..Page::default()
        };
        if tpl.kind == Kind::ConsentOrder {
            page.allow_vendors = ["google-analytics", "google-tag-manager", "google-ads"]
                .map(String::from)
                .to_vec();
            page.head_start = consent_head();
        }
        let consent = Consent {
            grants,
            allow_vendors: page.allow_vendors.clone(),
        };
        let mut seen: HashMap<Vec<u8>, Vec<String>> = HashMap::new();
        for ch in &chunkings {
            let (out, _) = oracle::run_filter(tpl.html.as_bytes(), page.clone(), &cfg, *ch);
            let v = seen
                .entry(out.clone())
                .or_insert_with(|| {
                    let mut v: Vec<String> = oracle::violations(&out, &consent)
                        .iter()
                        .map(|x| x.to_string())
                        .collect();
                    // and once the visitor grants more on this page (no
                    // reload) and the banner's script re-activates it
                    for (later, g) in later_states(grants, &consent) {
                        v.extend(
                            oracle::violations_after_activation(&out, &g)
                                .iter()
                                .map(|x| format!("after granting {later} and re-activation: {x}")),
                        );
                    }
                    if tpl.kind == Kind::ConsentOrder {
                        v.extend(oracle::google_tags_before_default(&out, MARKER));
                    }
                    v
                })
                .clone();
            for x in v {
                fails.push(format!("{vendor} [{state}, {ch}]: {x}"));
            }
        }
    }
    fails
}

#[test]
fn vendors_are_what_the_oracle_thinks_they_are() {
    let vs = oracle::Vendors::embedded();
    for v in VENDORS {
        let u = url::Url::parse(&format!("https://{}{}", v.host, v.path)).unwrap();
        assert_eq!(vs.of_url(&u).map(|x| x.id.as_str()), Some(v.id), "{u}");
        let code: Vec<_> = vs.in_code(v.sig).iter().map(|x| x.0.id.clone()).collect();
        assert!(code.iter().any(|c| c == v.id), "{}: {code:?}", v.sig);
    }
}

#[test]
fn adversarial_corpus() {
    let mut results: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut runs = 0usize;
    for (i, v) in VENDORS.iter().enumerate() {
        // partner: the next vendor of another category
        let w = VENDORS
            .iter()
            .cycle()
            .skip(i + 1)
            .find(|w| {
                oracle::Vendors::embedded()
                    .vendors
                    .iter()
                    .find(|x| x.id == w.id)
                    .map(|x| x.category)
                    != oracle::Vendors::embedded()
                        .vendors
                        .iter()
                        .find(|x| x.id == v.id)
                        .map(|x| x.category)
            })
            .unwrap();
        for tpl in templates(v, w) {
            // the unfiltered template must reach the vendor: a case that
            // cannot fail proves nothing (except the author-tagged ones that
            // are inert as written and only live if the filter activates them)
            let raw = oracle::violations(
                tpl.html.as_bytes(),
                &Consent {
                    grants: Grants::NECESSARY_ONLY,
                    allow_vendors: Vec::new(),
                },
            );
            assert!(
                !raw.is_empty() || tpl.id == "svg-cdata-hides" || tpl.id.starts_with("necessary-"),
                "{}/{} for {}: the oracle sees no tracker in the raw template\n{}",
                tpl.class,
                tpl.id,
                v.id,
                tpl.html
            );
            let f = run(&tpl, v.id);
            runs += 1;
            results
                .entry((tpl.class.to_string(), tpl.id.to_string()))
                .or_default()
                .extend(f);
        }
    }
    for tpl in consent_order_templates() {
        let f = run(&tpl, "google");
        runs += 1;
        results
            .entry((tpl.class.to_string(), tpl.id.to_string()))
            .or_default()
            .extend(f);
    }
    // Summary per class.
    let mut per_class: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for ((class, _), f) in &results {
        let e = per_class.entry(class.as_str()).or_default();
        e.0 += 1;
        if !f.is_empty() {
            e.1 += 1;
        }
    }
    let open_n: usize = per_class.values().map(|x| x.1).sum();
    eprintln!(
        "oracle adversarial: {} templates ({runs} template×vendor runs × states × chunkings), {} passing, {open_n} open",
        results.len(),
        results.len() - open_n
    );
    for (class, (n, open)) in &per_class {
        eprintln!(
            "  {class:<24} {n:>3} templates, {:>3} passing, {open:>3} open",
            n - open
        );
    }
    let mut unexpected = Vec::new();
    let mut now_open = Vec::new();
    for ((class, id), f) in &results {
        let key = format!("{class}/{id}");
        let listed = KNOWN_OPEN.contains(&key.as_str());
        if !f.is_empty() {
            now_open.push(format!("    \"{key}\","));
            eprintln!("OPEN {key}: {} failing runs, e.g. {}", f.len(), f[0]);
        }
        match (listed, f.is_empty()) {
            (false, false) => unexpected.push(format!("{key} fails:\n  {}", f.join("\n  "))),
            (true, true) => unexpected.push(format!("{key} now passes: remove it from KNOWN_OPEN")),
            _ => {}
        }
    }
    for k in KNOWN_OPEN {
        assert!(
            results.keys().any(|(c, i)| format!("{c}/{i}") == *k),
            "KNOWN_OPEN names an unknown template {k}"
        );
    }
    assert!(
        unexpected.is_empty(),
        "{}\n\nthe open list today:\n{}",
        unexpected.join("\n"),
        now_open.join("\n")
    );
}
