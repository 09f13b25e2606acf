use super::*;
use crate::consent::{Decision, Grants, Method};

fn cfg() -> Config {
    Config::default()
}

fn view<'a>(variant: &'a str, model: Model, grants: Grants, decided: bool) -> View<'a> {
    View {
        variant,
        model,
        grants,
        decided,
        gpc: false,
        decision: None,
        lang: "en",
        return_to: "/shop?item=1&x=2",
        endpoint: "/__consent",
        policy_url: "/cookie-policy.html",
        nonce: None,
        jurisdiction: "eu",
        token: Some("1.1700000000.tok"),
        residual: 0,
    }
}

fn decision(grants: Grants, method: Method) -> Decision {
    Decision {
        grants,
        revision: 1,
        decided_at: 1_700_000_000,
        consent_id: "AbC_123-xyz".into(),
        method,
        jurisdiction: "eu".into(),
        gpc: false,
    }
}

/// The opening tag (`<…>`) around the first occurrence of `needle`.
fn tag_around<'h>(html: &'h str, needle: &str) -> &'h str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in html"));
    let start = if needle.starts_with('<') {
        at
    } else {
        html[..at].rfind('<').expect("tag start")
    };
    let end = at + html[at..].find('>').expect("tag end");
    &html[start..=end]
}

fn attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    let j = tag[i..].find('"')?;
    Some(&tag[i..i + j])
}

/// The html without the inline `<style>` and `<script>` assets.
fn markup(html: &str) -> String {
    let mut s = html.to_string();
    for (open, close) in [("<style", "</style>"), ("<script", "</script>")] {
        while let Some(i) = s.find(open) {
            let j = s[i..].find(close).expect("closed") + i + close.len();
            s.replace_range(i..j, "");
        }
    }
    s
}

// --- structure -------------------------------------------------------------

#[test]
fn opt_in_first_layer_has_three_equal_controls_and_nothing_ticked() {
    let html = banner_html(
        &view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false),
        &cfg(),
    );
    let m = markup(&html);
    let accept = tag_around(&m, "value=\"accept_all\"");
    let reject = tag_around(&m, "value=\"reject_all\"");
    let custom = tag_around(&m, "<summary");
    assert_eq!(attr(accept, "class"), Some("ce-btn"));
    assert_eq!(attr(reject, "class"), attr(accept, "class"));
    assert_eq!(attr(custom, "class"), attr(accept, "class"));
    // Same row, in the order Accept, Reject, Customize.
    let row = m.find("class=\"ce-actions\"").expect("actions row");
    let (a, r, c) = (
        m.find("accept_all").unwrap(),
        m.find("reject_all").unwrap(),
        m.find("<summary").unwrap(),
    );
    assert!(row < a && a < r && r < c, "{m}");
    // No style singles out one of them.
    for v in ["accept_all", "reject_all", "summary.ce-btn{", "details>"] {
        assert!(!CSS.contains(v), "css treats {v} specially");
    }
    // Nothing pre-ticked, all three toggles present.
    assert!(!m.contains("checked"), "{m}");
    for c in ["functional", "analytics", "advertising"] {
        let input = tag_around(&m, &format!("name=\"{c}\""));
        assert!(input.starts_with("<input type=\"checkbox\""), "{input}");
        assert_eq!(attr(input, "value"), Some("on"));
        assert!(m.contains(&format!("<label for=\"ce-c-{c}\">")));
    }
    // Open (no hidden attribute) and linked to the policy.
    let dialog = tag_around(&m, "role=\"dialog\"");
    assert!(!dialog.contains("hidden"), "{dialog}");
    assert_eq!(attr(dialog, "aria-modal"), Some("false"));
    assert_eq!(attr(dialog, "aria-labelledby"), Some("ce-title"));
    assert!(m.contains("<h2 id=\"ce-title\""));
    assert!(m.contains("href=\"/cookie-policy.html\""));
    // Not a cookie wall: no overlay covering the page.
    assert!(!CSS.contains("inset:0") && !CSS.contains("100vw"));
}

#[test]
fn no_js_form_fields() {
    let html = banner_html(
        &view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false),
        &cfg(),
    );
    let m = markup(&html);
    let form = tag_around(&m, "<form");
    assert_eq!(attr(form, "method"), Some("post"));
    assert_eq!(attr(form, "action"), Some("/__consent"));
    let ret = tag_around(&m, "name=\"return_to\"");
    assert_eq!(attr(ret, "type"), Some("hidden"));
    assert_eq!(attr(ret, "value"), Some("/shop?item=1&amp;x=2"));
    for action in ["accept_all", "reject_all", "save"] {
        let b = tag_around(&m, &format!("value=\"{action}\""));
        assert!(b.starts_with("<button"), "{b}");
        assert_eq!(attr(b, "name"), Some("action"));
        assert_eq!(attr(b, "type"), Some("submit"));
    }
    // The toggles and Save live in <details>: reachable without JS.
    let d = m.find("<details").unwrap();
    let d_end = m.find("</details>").unwrap();
    assert!(d < m.find("name=\"analytics\"").unwrap());
    assert!(m.find("value=\"save\"").unwrap() < d_end);
    // Every control is inside the form.
    assert!(m.find("</form>").unwrap() > d_end);
    // Unsafe return paths fall back to "/".
    let mut v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false);
    v.return_to = "//evil.example/x";
    let m = markup(&banner_html(&v, &cfg()));
    assert_eq!(
        attr(tag_around(&m, "name=\"return_to\""), "value"),
        Some("/")
    );
}

#[test]
fn decided_banner_is_hidden_but_reopenable_with_current_grants() {
    let g = Grants::from_categories([Category::Analytics]);
    let d = decision(g, Method::Custom);
    let mut v = view("opt-in", Model::OptIn, g, true);
    v.decision = Some(&d);
    let m = markup(&banner_html(&v, &cfg()));
    assert!(tag_around(&m, "role=\"dialog\"").contains(" hidden"));
    assert!(tag_around(&m, "name=\"analytics\"").contains(" checked"));
    assert!(!tag_around(&m, "name=\"functional\"").contains("checked"));
    assert!(!tag_around(&m, "name=\"advertising\"").contains("checked"));
    assert!(m.contains("value=\"withdraw\""));
    let reopen = tag_around(&m, "data-consent-open");
    assert_eq!(attr(reopen, "href"), Some("#ce-dialog"));
    assert_eq!(attr(tag_around(&m, "<aside"), "data-decided"), Some("1"));
    assert_eq!(
        attr(tag_around(&m, "<aside"), "data-grants"),
        Some("analytics")
    );
}

#[test]
fn banner_is_revealed_only_once_complete() {
    // Hidden by the first stylesheet, shown by a second one after the last
    // control: a browser painting mid-parse never shows a half-built dialog
    // (whose growth would be a layout shift). Both carry the CSP nonce.
    let mut v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false);
    v.nonce = Some("n0nce");
    let html = banner_html(&v, &cfg());
    assert!(
        CSS.starts_with("#consent-edge{") && CSS.lines().next().unwrap().contains("display:none}")
    );
    let reveal = html
        .find("<style nonce=\"n0nce\">@media not print{#consent-edge{display:block}}</style>")
        .expect("reveal stylesheet");
    for last in ["</section>", "class=\"ce-reopen", "value=\"accept_all\""] {
        assert!(
            html.find(last).unwrap() < reveal,
            "{last} comes before the reveal"
        );
    }
    assert!(reveal < html.find("<script").unwrap());
    assert!(CSS.contains("@media print{#consent-edge{display:none}}"));
}

#[test]
fn reopen_button_is_configurable() {
    let v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, true);
    let mut c = cfg();
    assert!(banner_html(&v, &c).contains("class=\"ce-reopen\""));
    c.reopen_button = ReopenButton::BottomRight;
    assert!(banner_html(&v, &c).contains("class=\"ce-reopen ce-reopen-right\""));
    c.reopen_button = ReopenButton::Off;
    assert!(!markup(&banner_html(&v, &c)).contains("ce-reopen"));
    c.position = Position::Top;
    assert!(banner_html(&v, &c).contains("class=\"ce ce-top\""));
}

#[test]
fn opt_out_has_do_not_sell_and_honours_gpc() {
    let g = Grants::ALL.with(Category::Advertising, false);
    let mut v = view("opt-out", Model::OptOut, g, false);
    v.gpc = true;
    let m = markup(&banner_html(&v, &cfg()));
    assert!(m.contains("Your opt-out preference signal has been honoured"));
    assert!(m.contains("Do Not Sell or Share My Personal Information"));
    // The DNS form keeps the other grants and refuses advertising.
    let dns = &m[m.find("ce-dns").unwrap()..];
    let dns = &dns[..dns.find("</form>").unwrap()];
    assert!(dns.contains("name=\"functional\" value=\"on\""));
    assert!(dns.contains("name=\"analytics\" value=\"on\""));
    assert!(!dns.contains("advertising"));
    assert!(dns.contains("name=\"return_to\""));
    // Opt-out toggles show the state in effect.
    assert!(tag_around(&m, "id=\"ce-c-analytics\"").contains("checked"));
    assert!(!tag_around(&m, "id=\"ce-c-advertising\"").contains("checked"));
    // No GPC: no message.
    v.gpc = false;
    let m = markup(&banner_html(&v, &cfg()));
    assert!(!m.contains("preference signal"));
    assert!(!m.contains("accept_all"));
}

#[test]
fn notice_is_dismissible_and_none_renders_nothing() {
    let v = view("notice", Model::Notice, Grants::ALL, false);
    let m = markup(&banner_html(&v, &cfg()));
    assert!(m.contains(">OK</button>"));
    assert!(!m.contains("accept_all") && !m.contains("reject_all"));
    assert!(m.contains("<details"));
    let none = view("none", Model::Notice, Grants::ALL, false);
    assert_eq!(banner_html(&none, &cfg()), "");
    // A custom variant name falls back to the model's variant.
    let custom = view(
        "spring-campaign",
        Model::OptIn,
        Grants::NECESSARY_ONLY,
        false,
    );
    assert!(banner_html(&custom, &cfg()).contains("accept_all"));
}

// --- escaping, nonce -------------------------------------------------------

#[test]
fn config_text_is_escaped() {
    let c: crate::config::Config = crate::config::Config::parse(
        "t.toml",
        "[policy]\nrevision = 1\n[banner.strings.en]\ntitle = \"<script>alert('x')</script> & co\"\naccept_all = '\"><img src=x onerror=alert(1)>'\n",
    )
    .expect("valid");
    let mut v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false);
    v.policy_url = "javascript:alert(1)";
    v.return_to = "/a\"><b>";
    let html = banner_html(&v, &c.banner);
    let m = markup(&html);
    assert!(m.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
    assert!(m.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!m.contains("<img"));
    assert!(!m.contains("javascript:"), "{m}");
    assert!(m.contains("value=\"/a&quot;&gt;&lt;b&gt;\""));
    // Only our own elements carry script/style: one script, the banner's
    // stylesheet and its reveal rule.
    assert_eq!(html.matches("<script").count(), 1);
    assert_eq!(html.matches("<style").count(), 2);
    assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
}

#[test]
fn nonce_parsing() {
    assert_eq!(
        csp_nonce("default-src 'self'; script-src 'self' 'nonce-abc123+/=' https:"),
        Some("abc123+/=".into())
    );
    assert_eq!(
        csp_nonce("default-src 'nonce-DEF'; img-src *"),
        Some("DEF".into())
    );
    // script-src wins over default-src; case-insensitive names.
    assert_eq!(
        csp_nonce("default-src 'nonce-AAA'; SCRIPT-SRC 'NONCE-BBB'"),
        Some("BBB".into())
    );
    assert_eq!(
        csp_nonce("script-src-elem 'nonce-E1'; script-src 'nonce-S1'"),
        Some("E1".into())
    );
    // Second policy of a comma-joined header.
    assert_eq!(
        csp_nonce("img-src *, script-src 'nonce-x_y-z'"),
        Some("x_y-z".into())
    );
    assert_eq!(csp_nonce("style-src 'nonce-STYLE'"), None);
    assert_eq!(csp_nonce("script-src 'self' 'unsafe-inline'"), None);
    assert_eq!(csp_nonce("script-src 'nonce-'"), None);
    assert_eq!(csp_nonce("script-src 'nonce-a\"b'"), None);
    assert_eq!(csp_nonce("script-src 'nonce-abc"), None);
    assert_eq!(csp_nonce(""), None);

    let mut v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false);
    v.nonce = Some("r4nd0m");
    let html = banner_html(&v, &cfg());
    assert!(html.contains("<style nonce=\"r4nd0m\">"));
    assert!(html.contains("<script nonce=\"r4nd0m\">"));
    assert!(head_signals(&v, &cfg()).starts_with("<script nonce=\"r4nd0m\">"));
    v.nonce = None;
    assert!(banner_html(&v, &cfg()).contains("<style>"));
}

// --- language ----------------------------------------------------------------

#[test]
fn language_negotiation() {
    let c = cfg();
    let n = |h: &str| negotiate(Some(h), &c);
    assert_eq!(negotiate(None, &c), "en");
    assert_eq!(n(""), "en");
    assert_eq!(n("de"), "de");
    assert_eq!(n("pt-BR,pt;q=0.9,en;q=0.8"), "pt");
    assert_eq!(n("sv-SE,sv;q=0.9,fr;q=0.5,en;q=0.4"), "fr");
    assert_eq!(n("en;q=0.5, nl;q=0.8"), "nl");
    assert_eq!(n("hr;q=0, pl"), "pl");
    assert_eq!(n("ja, *;q=0.5"), "en");
    assert_eq!(n("it;q=1.0, es;q=1"), "it");
    assert_eq!(n("es;q=2, it;q=0.1"), "it"); // malformed q ignored
    assert_eq!(n("<script>, de;q=0.3"), "de");
    assert_eq!(n("FR-ca"), "fr");
    // Region-specific strings and added languages from config.
    let mut c2 = cfg();
    c2.default_lang = "de".into();
    c2.strings.insert(
        "pt-BR".into(),
        Strings {
            save: Some("Salvar escolhas".into()),
            ..Strings::default()
        },
    );
    c2.strings.insert(
        "sv".into(),
        Strings {
            accept_all: Some("Godkänn alla".into()),
            ..Strings::default()
        },
    );
    assert_eq!(negotiate(Some("pt-BR"), &c2), "pt-br");
    assert_eq!(negotiate(Some("pt-PT"), &c2), "pt");
    assert_eq!(negotiate(Some("sv-SE"), &c2), "sv");
    assert_eq!(negotiate(Some("ja"), &c2), "de");
    let t = texts("pt-br", &c2);
    assert_eq!(t.save, "Salvar escolhas");
    assert_eq!(t.accept_all, "Aceitar tudo");
    assert_eq!(texts("pt", &c2).save, "Guardar escolhas");
    let sv = texts("sv", &c2);
    assert_eq!(sv.accept_all, "Godkänn alla");
    assert_eq!(sv.reject_all, "Alle ablehnen"); // rest from the default language
                                                // The banner root carries the language.
    let mut v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false);
    v.lang = "pt-br";
    let html = banner_html(&v, &c2);
    assert!(html.contains("lang=\"pt-br\""));
    assert!(html.contains(">Salvar escolhas</button>"));
}

#[test]
fn builtin_languages_are_complete_and_translated() {
    let en = i18n::english();
    for lang in BUILTIN_LANGS {
        let t = texts(lang, &cfg());
        assert_eq!(t.lang, lang);
        assert!(t.placeholder.contains("{vendor}") && t.placeholder.contains("{category}"));
        let p = t.placeholder_text("YouTube", Category::Functional);
        assert!(p.contains("YouTube") && p.contains(&t.functional), "{p}");
        let all = [
            &t.title,
            &t.accept_all,
            &t.reject_all,
            &t.customize,
            &t.save,
            &t.withdraw,
            &t.do_not_sell,
            &t.gpc_honoured,
            &t.reopen,
            &t.granted,
            &t.refused,
        ];
        assert!(all.iter().all(|s| !s.trim().is_empty()), "{lang}");
        if lang != "en" {
            assert_ne!(t.accept_all, en.accept_all, "{lang}");
            assert_ne!(t.body_opt_in, en.body_opt_in, "{lang}");
        }
        // The three first-layer labels are distinct.
        assert!(t.accept_all != t.reject_all && t.reject_all != t.customize);
    }
}

// --- accessibility: contrast ------------------------------------------------

fn css_color(name: &str) -> [u8; 3] {
    let key = format!("--ce-{name}:#");
    let i = CSS.find(&key).unwrap_or_else(|| panic!("{key} missing")) + key.len();
    let hex = &CSS[i..i + 6];
    let p = |k: usize| u8::from_str_radix(&hex[k..k + 2], 16).expect("hex colour");
    [p(0), p(2), p(4)]
}

fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let ch = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)
}

fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn contrast_ratio_meets_wcag_aa() {
    // Known values: black on white is 21:1, #777 on white about 4.48:1.
    assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
    assert!(contrast([0x77, 0x77, 0x77], [255, 255, 255]) < 4.5);
    for (fg, bg, min) in [
        ("fg", "bg", 4.5),
        ("muted", "bg", 4.5),
        ("accent", "bg", 4.5),
        ("btn-fg", "btn-bg", 4.5),
        ("focus", "bg", 3.0),
        ("border", "bg", 3.0),
    ] {
        let r = contrast(css_color(fg), css_color(bg));
        assert!(r >= min, "{fg} on {bg}: {r:.2} < {min}");
    }
    // The reopen control uses the button colours; the quiet button the bg/accent pair.
    assert!(CSS.contains(".ce-reopen{") && CSS.contains("color:var(--ce-btn-fg)"));
    assert!(CSS.contains(":focus-visible{outline:3px solid var(--ce-focus)"));
    assert!(CSS.contains(".ce-dialog{position:fixed"));
}

// --- size ----------------------------------------------------------------------

#[test]
fn largest_banner_is_at_most_8_kib_gzipped() {
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;
    let d = decision(Grants::ALL, Method::AcceptAll);
    let mut largest = (0, 0, String::new());
    for variant in ["opt-in", "opt-out", "notice"] {
        for lang in BUILTIN_LANGS {
            let mut v = view(variant, Model::OptOut, Grants::ALL, true);
            v.gpc = true;
            v.decision = Some(&d);
            v.lang = lang;
            v.nonce = Some("0123456789abcdefghijklmnop");
            let html = banner_html(&v, &cfg()) + &head_signals(&v, &cfg());
            let mut z = GzEncoder::new(Vec::new(), Compression::default());
            z.write_all(html.as_bytes()).expect("gzip");
            let n = z.finish().expect("gzip").len();
            if n > largest.0 {
                largest = (n, html.len(), format!("{variant}/{lang}"));
            }
        }
    }
    assert!(largest.1 > 4000, "suspiciously small: {largest:?}");
    eprintln!("largest banner: {largest:?}");
    assert!(largest.0 <= 8 * 1024, "{largest:?}");
}

// --- head signals --------------------------------------------------------------

#[test]
fn head_signals_map_categories() {
    let g = Grants::from_categories([Category::Analytics]);
    let v = view("opt-in", Model::OptIn, g, false);
    let mut c = cfg();
    let s = head_signals(&v, &c);
    assert!(s.starts_with("<script>") && s.ends_with("</script>"));
    assert!(s.contains("gtag('consent','default',{ad_storage:'denied',ad_user_data:'denied',ad_personalization:'denied',analytics_storage:'granted',functionality_storage:'denied',personalization_storage:'denied',security_storage:'granted',wait_for_update:500})"), "{s}");
    assert!(s.contains("uetq.push('consent','default',{ad_storage:'denied'})"));
    assert!(s.contains("if(typeof window.clarity==='function')window.clarity('consentv2',{ad_Storage:'denied',analytics_Storage:'granted'})"));
    assert!(!s.contains("ads_data_redaction") && !s.contains("url_passthrough"));
    // Decided: no wait.
    let v2 = view("opt-in", Model::OptIn, Grants::ALL, true);
    let s2 = head_signals(&v2, &c);
    assert!(!s2.contains("wait_for_update"));
    assert!(s2.contains("ad_storage:'granted'") && s2.contains("functionality_storage:'granted'"));
    c.ads_data_redaction = true;
    c.url_passthrough = true;
    let s = head_signals(&v, &c);
    assert!(s.contains("gtag('set','ads_data_redaction',true)"));
    assert!(s.contains("gtag('set','url_passthrough',true)"));
    assert!(!head_signals(&v2, &c).contains("ads_data_redaction"));
    c.google_consent_mode = ConsentMode::Off;
    c.microsoft_uet = false;
    assert!(!head_signals(&v, &c).contains("gtag"));
    c.microsoft_clarity = false;
    assert_eq!(head_signals(&v, &c), "");
    assert!(!cfg().allow_google_before_consent());
    c.google_consent_mode = ConsentMode::Advanced;
    assert!(c.allow_google_before_consent());
}

#[test]
fn banner_config_parses_from_toml() {
    let c = crate::config::Config::parse(
        "t.toml",
        "[policy]\nrevision = 1\n[banner]\nposition = \"top\"\nreopen_button = \"off\"\ngoogle_consent_mode = \"advanced\"\nwait_for_update_ms = 800\n[banner.strings.de]\nsave = \"Speichern\"\n",
    )
    .expect("valid");
    assert_eq!(c.banner.position, Position::Top);
    assert_eq!(c.banner.reopen_button, ReopenButton::Off);
    assert!(c.banner.allow_google_before_consent());
    assert_eq!(texts("de", &c.banner).save, "Speichern");
    let err = crate::config::Config::parse(
        "t.toml",
        "[policy]\nrevision = 1\n[banner.strings.de]\nsav = \"x\"\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown field"), "{err}");
    let err = crate::config::Config::parse(
        "t.toml",
        "[policy]\nrevision = 1\n[banner]\ngoogle_consent_mode = \"sometimes\"\n",
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("t.toml:4:"), "{err}");
}

// --- declaration and status -------------------------------------------------------

fn decl(name: &str, prefix: bool, cat: Category, third: bool) -> CookieDecl {
    CookieDecl {
        name: name.into(),
        prefix,
        provider: "Prov <b>".into(),
        category: cat,
        purpose: "Purpose & more".into(),
        duration: "2 years".into(),
        third_party: third,
    }
}

#[test]
fn declaration_groups_by_category_and_localizes() {
    let cookies = [
        decl("_ga", false, Category::Analytics, false),
        decl("sid", false, Category::Necessary, false),
        decl("_ga_", true, Category::Analytics, false),
        decl("_fbp", false, Category::Advertising, true),
        decl("_ga", false, Category::Analytics, false), // duplicate (e.g. from the catalog)
    ];
    let mut v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false);
    v.lang = "de";
    let h = declaration_html(&v, &cfg(), &cookies);
    assert!(h.starts_with("<div class=\"ce-declaration\" lang=\"de\">"));
    let nec = h.find("data-category=\"necessary\"").unwrap();
    let ana = h.find("data-category=\"analytics\"").unwrap();
    let adv = h.find("data-category=\"advertising\"").unwrap();
    assert!(nec < ana && ana < adv);
    assert!(!h.contains("data-category=\"functional\""));
    assert_eq!(h.matches("<code>_ga</code>").count(), 1);
    assert!(h.contains("<code>_ga_*</code>"));
    assert!(h.contains("<th scope=\"col\">Anbieter</th>"));
    assert!(h.contains("Drittanbieter-Cookie") && h.contains("Eigenes Cookie"));
    assert!(h.contains("Prov &lt;b&gt;") && h.contains("Purpose &amp; more"));
    assert!(h.contains(">Statistik</h3>"));
    let empty = declaration_html(&v, &cfg(), &[]);
    assert!(empty.contains("Es sind keine Cookies angegeben."));
}

#[test]
fn status_shows_decision_and_controls() {
    let g = Grants::from_categories([Category::Functional]);
    let d = decision(g, Method::Custom);
    let mut v = view("opt-in", Model::OptIn, g, true);
    v.decision = Some(&d);
    let h = status_html(&v, &cfg());
    assert!(h.contains("<code data-consent-field=\"id\">AbC_123-xyz</code>"));
    assert!(h.contains("datetime=\"2023-11-14T22:13:20Z\""));
    assert!(h.contains(">Custom selection</dd>"));
    assert!(h.contains("<p data-consent-field=\"undecided\" hidden>"));
    assert!(h.contains("data-method-accept-all=\"Accepted all\""));
    assert!(h.contains(
        "data-consent-state=\"functional\" data-on=\"Allowed\" data-off=\"Refused\">Allowed</dd>"
    ));
    assert!(h.contains(
        "data-consent-state=\"analytics\" data-on=\"Allowed\" data-off=\"Refused\">Refused</dd>"
    ));
    assert!(h.contains(
        "data-consent-state=\"necessary\" data-on=\"Allowed\" data-off=\"Refused\">Allowed</dd>"
    ));
    assert!(h.contains("data-consent-open=\"customize\""));
    let form = tag_around(&h, "<form");
    assert_eq!(attr(form, "method"), Some("post"));
    assert_eq!(attr(form, "action"), Some("/__consent"));
    assert!(form.contains("data-consent-form"));
    assert!(h.contains("name=\"action\" value=\"withdraw\">Withdraw consent</button>"));
    assert!(h.contains("name=\"return_to\" value=\"/shop?item=1&amp;x=2\""));
    assert!(
        !h.contains("data-consent-field=\"residual\""),
        "nothing residual"
    );
    // The residual audit: refused cookies the browser still sent.
    let mut v = view("opt-in", Model::OptIn, g, true);
    v.decision = Some(&d);
    v.residual = 3;
    v.lang = "de";
    let h = status_html(&v, &cfg());
    assert!(h.contains("data-consent-field=\"residual\" data-count=\"3\">Abgelehnte Cookies, die noch vorhanden waren und erneut gelöscht wurden: 3</p>"), "{h}");
    // No decision yet.
    let v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false);
    let h = status_html(&v, &cfg());
    assert!(h.contains("<p data-consent-field=\"undecided\">You have not made a choice yet."));
    // The decision's details are there for the script, hidden and empty.
    assert!(h.contains("<dl class=\"ce-status-meta\" data-consent-field=\"meta\" hidden>"));
    assert!(h.contains("<code data-consent-field=\"id\"></code>"));
    assert!(h.contains("data-method-withdrawn=\"Consent withdrawn\""));
}

#[test]
fn iso8601_dates() {
    assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
    assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
    assert_eq!(iso8601(4_107_542_399), "2100-02-28T23:59:59Z");
    assert_eq!(iso8601(253_402_300_799), "9999-12-31T23:59:59Z");
}

#[test]
fn script_handles_the_documented_hooks() {
    // The inline script is the JS half of the contract; make sure every hook
    // the filter and the pages rely on is handled. (esbuild picks the quote
    // character of each string; the hooks are written with single quotes.)
    let js = JS.replace('"', "'");
    for hook in [
        "data-consent-category",
        "data-consent-type",
        "data-consent-src",
        // the URL attributes to restore come from the root (markup::URL_ATTRS)
        "'data-attrs'",
        "data-consent-hidden",
        ".consent-edge-placeholder[data-consent-placeholder]",
        "data-consent-allow",
        "data-consent-open",
        "data-consent-form",
        "consent-edge:change",
        "'consent','update'",
        "'consentv2'",
        "application/json",
    ] {
        assert!(js.contains(hook), "banner.js lacks {hook}");
    }
    assert!(!JS.contains("innerHTML"), "no HTML injection from script");
}

#[test]
fn embedded_inventory_renders() {
    let c = crate::config::Config::parse("consent.toml", crate::config::EMBEDDED).expect("valid");
    assert!(c.cookies.len() >= 10);
    let v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false);
    let h = declaration_html(&v, &c.banner, &c.cookies);
    for name in [
        "_ga_*",
        "_hjSessionUser_*",
        "_fbp",
        "VISITOR_INFO1_LIVE",
        "li_sugr",
        "_ttp",
    ] {
        assert!(h.contains(&format!("<code>{name}</code>")), "{name}");
    }
    assert_eq!(h.matches("<table").count(), 4);
}

#[test]
fn reopen_form_keeps_the_query_and_lands_on_the_dialog() {
    let mut v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, true);
    v.return_to = "/shop/a b?q=caf%C3%A9&x=%22%3E&q=2";
    let html = banner_html(&v, &cfg());
    let form = tag_around(&html, "id=\"ce-open\"");
    assert_eq!(attr(form, "method"), Some("get"));
    assert_eq!(attr(form, "action"), Some("/shop/a b#ce-dialog"));
    assert!(form.contains(" hidden"));
    let start = html.find("id=\"ce-open\"").unwrap();
    let body = &html[start..start + html[start..].find("</form>").unwrap()];
    assert_eq!(
        body.matches("<input type=\"hidden\"").count(),
        3,
        "one field per query pair, repeats kept: {body}"
    );
    assert!(body.contains("name=\"q\" value=\"café\""));
    assert!(body.contains("name=\"x\" value=\"&quot;&gt;\""), "{body}");
    // Inside the banner, before the reveal rule.
    assert!(start < html.find("@media not print").unwrap());
    // An unsafe return path falls back to the site root.
    v.return_to = "//evil.example/x?y=1";
    let html = banner_html(&v, &cfg());
    assert_eq!(
        attr(tag_around(&html, "id=\"ce-open\""), "action"),
        Some("/#ce-dialog")
    );
}

#[test]
fn every_form_posting_a_choice_carries_the_render_token() {
    let g = Grants::from_categories([Category::Functional]);
    let v = view("opt-out", Model::OptOut, g, true);
    let banner = banner_html(&v, &cfg());
    let status = status_html(&v, &cfg());
    let field = "<input type=\"hidden\" name=\"token\" value=\"1.1700000000.tok\">";
    // the main form and the "Do not sell" form; the status block's withdraw form
    let posts = banner.matches("method=\"post\"").count();
    assert_eq!(posts, 2, "{banner}");
    assert_eq!(banner.matches(field).count(), posts, "{banner}");
    assert_eq!(status.matches(field).count(), 1, "{status}");
    // the script reads it from its own root
    let root = tag_around(&banner, "id=\"consent-edge\"");
    assert_eq!(attr(root, "data-form-token"), Some("1.1700000000.tok"));
    // escaped like any attribute value; without a token, no field
    let mut v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false);
    v.token = Some("a\"b<c");
    let h = banner_html(&v, &cfg());
    assert!(h.contains("value=\"a&quot;b&lt;c\""), "{h}");
    v.token = None;
    let h = banner_html(&v, &cfg());
    assert!(!h.contains("name=\"token\""));
    assert!(!status_html(&v, &cfg()).contains("name=\"token\""));
}

// --- the rendering steps, alone -----------------------------------------

#[test]
fn unique_cookies_keeps_the_first_of_each_name_and_prefix_flag() {
    let decl = |name: &str, prefix: bool, provider: &str| CookieDecl {
        name: name.into(),
        prefix,
        provider: provider.into(),
        category: Category::Analytics,
        purpose: String::new(),
        duration: String::new(),
        third_party: false,
    };
    let all = [
        decl("_ga", false, "first"),
        decl("_ga", true, "prefix"),
        decl("_ga", false, "second"),
        decl("_gid", false, "other"),
    ];
    let kept: Vec<&str> = unique_cookies(&all)
        .iter()
        .map(|c| c.provider.as_str())
        .collect();
    assert_eq!(kept, ["first", "prefix", "other"]);
    assert!(unique_cookies(&[]).is_empty());
}

#[test]
fn signal_names_follow_the_config_in_head_signal_order() {
    let mut c = cfg();
    c.google_consent_mode = ConsentMode::Off;
    c.microsoft_uet = false;
    c.microsoft_clarity = false;
    assert!(signal_names(&c).is_empty());
    c.microsoft_clarity = true;
    c.microsoft_uet = true;
    assert_eq!(signal_names(&c), ["uet", "clarity"]);
    c.google_consent_mode = cfg().google_consent_mode;
    assert_ne!(c.google_consent_mode, ConsentMode::Off);
    assert_eq!(signal_names(&c), ["gtag", "uet", "clarity"]);
}

#[test]
fn post_form_escapes_once_and_keeps_return_to_on_this_site() {
    let mut v = view("opt-in", Model::OptIn, Grants::NECESSARY_ONLY, false);
    v.endpoint = "/__consent?a=\"b\"";
    v.return_to = "//evil.example/x";
    v.token = Some("t<1>");
    let mut h = String::new();
    PostForm::of(&v).open(&mut h, " class=\"x\"", " data-y");
    assert_eq!(
        h,
        "<form class=\"x\" method=\"post\" action=\"/__consent?a=&quot;b&quot;\" data-y>\
         <input type=\"hidden\" name=\"return_to\" value=\"/\">\
         <input type=\"hidden\" name=\"token\" value=\"t&lt;1&gt;\">"
    );
    v.token = None;
    v.return_to = "/a?b=1&c=2";
    let mut h = String::new();
    PostForm::of(&v).open(&mut h, "", "");
    assert!(h.ends_with("value=\"/a?b=1&amp;c=2\">"), "{h}");
}

/// The choice as it was written before stop 14 (every acceptable range
/// sorted by q, the earliest first among equals, then the first decisive
/// one), over the same reading of each range ([`language_range`],
/// [`range_answer`]): the oracle of the sort-free choice in [`negotiate`].
fn negotiate_by_sort(accept_language: &str, cfg: &Config) -> String {
    let avail = available(cfg);
    let mut ranges: Vec<(u16, usize, String)> = accept_language
        .split(',')
        .take(32)
        .enumerate()
        .filter_map(|(i, item)| language_range(item).map(|(tag, q)| (q, i, tag)))
        .collect();
    ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, tag) in ranges {
        match range_answer(tag, &avail) {
            Some(Some(lang)) => return lang,
            Some(None) => break,
            None => {}
        }
    }
    default_lang(cfg)
}

proptest::proptest! {
    /// Same answer as the sorting version on headers of up to 8 ranges from
    /// offered, unoffered, regional, wildcard and malformed tags, with
    /// equal, zero, absent and malformed q-values.
    #[test]
    fn negotiation_without_sort_matches_the_sorting_one(
        ranges in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "de", "fr", "en", "pt-BR", "pt", "sv-SE", "ja", "*", "x!", "", "FR-ca", "nl",
                ]),
                proptest::sample::select(vec![
                    "", ";q=1", ";q=0.5", ";q=0.5", ";q=0", ";q=0.8", ";q=2", ";Q=0.500", ";q=0.1",
                ]),
            ),
            0..8,
        )
    ) {
        let header = ranges
            .iter()
            .map(|(t, q)| format!("{t}{q}"))
            .collect::<Vec<_>>()
            .join(", ");
        let c = cfg();
        proptest::prop_assert_eq!(negotiate(Some(&header), &c), negotiate_by_sort(&header, &c));
    }
}
