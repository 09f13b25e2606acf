//! Unit tests of the consent filter: per vendor snippet, per element kind,
//! per URL quirk, author tags, injection, modes, charsets, memory limit.

use consent_edge::consent::{Category, Grants};
use consent_edge::filter::{charset_from_content_type, Blocking, Config, Filter, Page};
use consent_edge::trackers::Catalog;

fn run_with(
    html: &[u8],
    grants: Grants,
    cfg: &Config,
    page: Page,
    charset: Option<&str>,
    chunk: usize,
) -> Vec<u8> {
    let mut f = Filter::new(Catalog::embedded(), cfg, Page { grants, ..page }, charset);
    let mut out = Vec::new();
    for c in html.chunks(chunk.max(1)) {
        out.extend(f.write(c));
    }
    out.extend(f.end());
    out
}

fn run(html: &str, grants: Grants) -> String {
    let whole = run_with(
        html.as_bytes(),
        grants,
        &Config::default(),
        Page::default(),
        None,
        usize::MAX,
    );
    let bytewise = run_with(
        html.as_bytes(),
        grants,
        &Config::default(),
        Page::default(),
        None,
        1,
    );
    assert_eq!(
        String::from_utf8_lossy(&whole),
        String::from_utf8_lossy(&bytewise),
        "chunking changed the output"
    );
    String::from_utf8(whole).unwrap()
}

fn refused(html: &str) -> String {
    run(html, Grants::NECESSARY_ONLY)
}

fn only(c: Category) -> Grants {
    Grants::from_categories([c])
}

#[test]
fn everything_granted_is_byte_identical() {
    let html = r#"<!doctype html><html><head><script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>
<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}gtag('config','G-1');</script></head>
<body><iframe src="https://www.youtube.com/embed/x"></iframe><noscript><img src="https://www.facebook.com/tr?id=1"></noscript></body></html>"#;
    assert_eq!(run(html, Grants::ALL), html);
}

#[test]
fn script_src_neutralised_with_contract_attributes() {
    let out =
        refused(r#"<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>"#);
    assert!(out.contains(r#"type="text/plain""#), "{out}");
    assert!(
        out.contains(r#"data-consent-category="analytics""#),
        "{out}"
    );
    assert!(
        out.contains(r#"data-consent-vendor="google-analytics""#),
        "{out}"
    );
    assert!(!out.contains("data-consent-type"), "{out}");
    let out = refused(
        r#"<script type="module" src="//cdn.segment.com/analytics.js/v1/x/analytics.min.js"></script>"#,
    );
    assert!(
        out.contains(r#"data-consent-type="module""#) && out.contains(r#"type="text/plain""#),
        "{out}"
    );
    // granted category passes untouched
    let html = r#"<script src="https://static.hotjar.com/c/hotjar-1.js"></script>"#;
    assert_eq!(run(html, only(Category::Analytics)), html);
    // other category still blocked
    assert!(run(html, only(Category::Advertising)).contains("text/plain"));
    // non-JS types are not touched
    let html =
        r#"<script type="application/ld+json" src="https://www.google-analytics.com/x"></script>"#;
    assert_eq!(refused(html), html);
}

#[test]
fn vendor_snippets_as_published() {
    let cases: &[(&str, &str, &str)] = &[
        ("google-tag-manager", "analytics", "<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':\nnew Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],\nj=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=\n'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);\n})(window,document,'script','dataLayer','GTM-XXXX');</script>"),
        ("google-analytics", "analytics", "<script>\n  window.dataLayer = window.dataLayer || [];\n  function gtag(){dataLayer.push(arguments);}\n  gtag('js', new Date());\n\n  gtag('config', 'G-XXXXXXX');\n</script>"),
        ("google-analytics", "analytics", "<script>(function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;i[r]=i[r]||function(){(i[r].q=i[r].q||[]).push(arguments)},i[r].l=1*new Date();a=s.createElement(o),m=s.getElementsByTagName(o)[0];a.async=1;a.src=g;m.parentNode.insertBefore(a,m)})(window,document,'script','https://www.google-analytics.com/analytics.js','ga');ga('create', 'UA-XXXXX-Y', 'auto');ga('send', 'pageview');</script>"),
        ("meta-pixel", "advertising", "<script>\n!function(f,b,e,v,n,t,s)\n{if(f.fbq)return;n=f.fbq=function(){n.callMethod?\nn.callMethod.apply(n,arguments):n.queue.push(arguments)};\nif(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';\nn.queue=[];t=b.createElement(e);t.async=!0;\nt.src=v;s=b.getElementsByTagName(e)[0];\ns.parentNode.insertBefore(t,s)}(window, document,'script',\n'https://connect.facebook.net/en_US/fbevents.js');\nfbq('init', '1234');\nfbq('track', 'PageView');\n</script>"),
        ("microsoft-clarity", "analytics", "<script type=\"text/javascript\">\n    (function(c,l,a,r,i,t,y){\n        c[a]=c[a]||function(){(c[a].q=c[a].q||[]).push(arguments)};\n        t=l.createElement(r);t.async=1;t.src=\"https://www.clarity.ms/tag/\"+i;\n        y=l.getElementsByTagName(r)[0];y.parentNode.insertBefore(t,y);\n    })(window, document, \"clarity\", \"script\", \"abcdef\");\n</script>"),
        ("hotjar", "analytics", "<script>\n    (function(h,o,t,j,a,r){\n        h.hj=h.hj||function(){(h.hj.q=h.hj.q||[]).push(arguments)};\n        h._hjSettings={hjid:1,hjsv:6};\n        a=o.getElementsByTagName('head')[0];\n        r=o.createElement('script');r.async=1;\n        r.src=t+h._hjSettings.hjid+j+h._hjSettings.hjsv;\n        a.appendChild(r);\n    })(window,document,'https://static.hotjar.com/c/hotjar-','.js?sv=');\n</script>"),
        ("linkedin-insight", "advertising", "<script type=\"text/javascript\">\n_linkedin_partner_id = \"123\";\nwindow._linkedin_data_partner_ids = window._linkedin_data_partner_ids || [];\nwindow._linkedin_data_partner_ids.push(_linkedin_partner_id);\n</script>"),
        ("tiktok-pixel", "advertising", "<script>!function (w, d, t) {w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.load('ABC');ttq.page();}(window, document, 'ttq');</script>"),
        ("x-pixel", "advertising", "<script>!function(e,t,n,s,u,a){e.twq||(s=e.twq=function(){s.exe?s.exe.apply(s,arguments):s.queue.push(arguments);},s.version='1.1',s.queue=[],u=t.createElement(n),u.async=!0,u.src='https://static.ads-twitter.com/uwt.js',a=t.getElementsByTagName(n)[0],a.parentNode.insertBefore(u,a))}(window,document,'script');twq('config','abc');</script>"),
        ("pinterest-tag", "advertising", "<script>!function(e){if(!window.pintrk){window.pintrk=function(){};var n=window.pintrk;n.queue=[],n.version=\"3.0\";var t=document.createElement(\"script\");t.async=!0,t.src=e;var r=document.getElementsByTagName(\"script\")[0];r.parentNode.insertBefore(t,r)}}(\"https://s.pinimg.com/ct/core.js\");pintrk('load', '123');pintrk('page');</script>"),
        ("snap-pixel", "advertising", "<script>(function(e,t,n){if(e.snaptr)return;var a=e.snaptr=function(){};a.queue=[];var s='script';r=t.createElement(s);r.async=!0;r.src=n;var u=t.getElementsByTagName(s)[0];u.parentNode.insertBefore(r,u);})(window,document,'https://sc-static.net/scevent.min.js');snaptr('init', 'x');</script>"),
        ("reddit-pixel", "advertising", "<script>!function(w,d){if(!w.rdt){var p=w.rdt=function(){};p.callQueue=[];var t=d.createElement(\"script\");t.src=\"https://www.redditstatic.com/ads/pixel.js\",t.async=!0;var s=d.getElementsByTagName(\"script\")[0];s.parentNode.insertBefore(t,s)}}(window,document);rdt('init','a2_x');rdt('track', 'PageVisit');</script>"),
        ("bing-uet", "advertising", "<script>(function(w,d,t,r,u){var f,n,i;w[u]=w[u]||[],f=function(){var o={ti:\"1\"};o.q=w[u],w[u]=new UET(o),w[u].push(\"pageLoad\")},n=d.createElement(t),n.src=r,n.async=1,i=d.getElementsByTagName(t)[0],i.parentNode.insertBefore(n,i)})(window,document,\"script\",\"//bat.bing.com/bat.js\",\"uetq\");</script>"),
        ("hubspot", "analytics", "<script type=\"text/javascript\" id=\"hs-script-loader\">var _hsq = window._hsq = window._hsq || [];_hsq.push(['setPath', '/']);</script>"),
        ("matomo-cloud", "analytics", "<script>\n  var _paq = window._paq = window._paq || [];\n  _paq.push(['trackPageView']);\n  _paq.push(['enableLinkTracking']);\n</script>"),
        ("yandex-metrica", "analytics", "<script type=\"text/javascript\">(function(m,e,t,r,i,k,a){m[i]=m[i]||function(){(m[i].a=m[i].a||[]).push(arguments)};k=e.createElement(t),a=e.getElementsByTagName(t)[0],k.async=1,k.src=r,a.parentNode.insertBefore(k,a)})(window, document, \"script\", \"https://mc.yandex.ru/metrika/tag.js\", \"ym\");ym(1, \"init\", {});</script>"),
        ("baidu-tongji", "analytics", "<script>var _hmt = _hmt || [];(function() {var hm = document.createElement(\"script\");hm.src = \"https://hm.baidu.com/hm.js?abc\";var s = document.getElementsByTagName(\"script\")[0]; s.parentNode.insertBefore(hm, s);})();</script>"),
        ("intercom", "functional", "<script>window.intercomSettings = {api_base: \"https://api-iam.intercom.io\", app_id: \"x\"};</script>"),
        ("crisp", "functional", "<script type=\"text/javascript\">window.$crisp=[];window.CRISP_WEBSITE_ID=\"x\";(function(){d=document;s=d.createElement(\"script\");s.src=\"https://client.crisp.chat/l.js\";s.async=1;d.getElementsByTagName(\"head\")[0].appendChild(s);})();</script>"),
        ("mixpanel", "analytics", "<script>mixpanel.init('token', {track_pageview: true});</script>"),
    ];
    for (vendor, cat, html) in cases {
        let out = refused(html);
        assert!(out.contains(r#"type="text/plain""#), "{vendor}: {out}");
        assert!(
            out.contains(&format!(r#"data-consent-vendor="{vendor}""#)),
            "{vendor}: {out}"
        );
        assert!(
            out.contains(&format!(r#"data-consent-category="{cat}""#)),
            "{vendor}: {out}"
        );
        // the script text is kept for later activation
        let body = &html[html.find('>').unwrap() + 1..];
        assert!(out.ends_with(body), "{vendor}: text changed: {out}");
        // granted → untouched
        let cat = Category::from_id(cat).unwrap();
        assert_eq!(run(html, only(cat)), *html, "{vendor}");
        // remove mode
        let cfg = Config {
            blocking: Blocking::Remove,
            ..Config::default()
        };
        let out = run_with(
            html.as_bytes(),
            Grants::NECESSARY_ONLY,
            &cfg,
            Page::default(),
            None,
            7,
        );
        assert_eq!(out, b"", "{vendor}");
    }
    // an ordinary script is untouched and keeps its attributes verbatim
    let html = "<script nonce='abc' data-x=1>console.log('hi')</script>";
    assert_eq!(refused(html), html);
}

#[test]
fn inline_script_keeps_attributes_and_type() {
    let out = refused("<script id=\"fb\" nonce=\"n1\" type=\"text/javascript\">fbq('init', '1');</script><p>after</p>");
    assert_eq!(
        out,
        "<script id=\"fb\" nonce=\"n1\" type=\"text/plain\" data-consent-type=\"text/javascript\" data-consent-category=\"advertising\" data-consent-vendor=\"meta-pixel\">fbq('init', '1');</script><p>after</p>"
    );
    // a non-JS inline script with a signature is data, not code
    let html = "<script type=\"text/template\">fbq('init', '1');</script>";
    assert_eq!(refused(html), html);
}

#[test]
fn media_elements() {
    let out = refused(
        r#"<img src="https://www.facebook.com/tr?id=1&amp;ev=PageView" width=1 height=1 alt="">"#,
    );
    assert_eq!(
        out,
        r#"<img width=1 height=1 alt="" data-consent-src="https://www.facebook.com/tr?id=1&amp;ev=PageView" data-consent-category="advertising" data-consent-vendor="meta-pixel">"#
    );
    let out = refused(
        r#"<img srcset="https://px.ads.linkedin.com/a.gif 1x, /local.png 2x" src="/ok.png">"#,
    );
    assert!(
        out.contains("data-consent-srcset=") && out.contains(r#"src="/ok.png""#),
        "{out}"
    );
    let out = refused(
        r#"<video src="https://player.vimeo.com/x.mp4" poster="https://i.vimeocdn.com/p.jpg"></video>"#,
    );
    assert!(
        out.contains("data-consent-src=")
            && out.contains("data-consent-poster=")
            && !out.contains(" src="),
        "{out}"
    );
    let out = refused(r#"<audio><source src="https://w.soundcloud.com/a.mp3"></audio>"#);
    assert!(
        out.contains("data-consent-src=") && out.contains(r#"data-consent-vendor="soundcloud""#),
        "{out}"
    );
    let out = refused(
        r#"<embed src="https://www.youtube.com/v/x"><object data="https://www.youtube.com/v/y"></object>"#,
    );
    assert!(
        out.contains("<embed data-consent-src=") && out.contains("<object data-consent-data="),
        "{out}"
    );
    for rel in [
        "preconnect",
        "dns-prefetch",
        "preload",
        "prefetch",
        "modulepreload",
        "PreConnect",
    ] {
        let out = refused(&format!(
            r#"<link rel="{rel}" href="https://www.google-analytics.com">"#
        ));
        assert!(out.contains("data-consent-href="), "{rel}: {out}");
    }
    let html = r#"<link rel="canonical" href="https://www.youtube.com/watch?v=1">"#;
    assert_eq!(refused(html), html);
    let out = refused(r#"<a href="/x" ping="/local https://www.google-analytics.com/ping">x</a>"#);
    assert!(
        out.contains("data-consent-ping=") && out.contains(r#"href="/x""#),
        "{out}"
    );
    // plain links to a tracker host are navigation, not tracking
    let html = r#"<a href="https://www.youtube.com/watch?v=1">video</a>"#;
    assert_eq!(refused(html), html);
}

#[test]
fn iframe_placeholder() {
    let page = Page {
        placeholder_text: "Dieser {vendor}-Inhalt braucht {category} <Cookies>.".into(),
        allow_text: "Erlauben".into(),
        category_labels: [
            "Nötig".into(),
            "Funktional".into(),
            "Statistik".into(),
            "Werbung".into(),
        ],
        ..Page::default()
    };
    let out = run_with(
        br#"<iframe width="560" src="https://www.youtube-nocookie.com/embed/x"></iframe>"#,
        Grants::NECESSARY_ONLY,
        &Config::default(),
        page,
        None,
        3,
    );
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out,
        r#"<div class="consent-edge-placeholder" data-consent-placeholder="functional" data-consent-vendor="youtube"><p>Dieser YouTube-Inhalt braucht Funktional &lt;Cookies&gt;.</p><button type="button" data-consent-allow="functional">Erlauben</button></div><iframe width="560" data-consent-src="https://www.youtube-nocookie.com/embed/x" data-consent-category="functional" data-consent-vendor="youtube" hidden="" data-consent-hidden=""></iframe>"#
    );
    let out = run(
        r#"<iframe src="https://www.google.com/maps/embed?pb=1"></iframe>"#,
        only(Category::Analytics),
    );
    assert!(out.contains("data-consent-vendor=\"google-maps\""), "{out}");
    let html = r#"<iframe src="https://www.google.com/maps/embed?pb=1"></iframe>"#;
    assert_eq!(run(html, only(Category::Functional)), html);
}

#[test]
fn url_quirks_in_attributes() {
    for src in [
        r#"src="//www.google-analytics.com/analytics.js""#,
        r#"src="HTTPS://WWW.GOOGLE-ANALYTICS.COM/analytics.js""#,
        r#"src=https://www.google-analytics.com/analytics.js"#,
        r#"src="   https://www.google-analytics.com/analytics.js  ""#,
        r#"src="https&#x3A;&#x2F;&#x2F;www.google-analytics.com/analytics.js""#,
        r#"src='https&colon;//www&period;google-analytics&period;com/analytics.js'"#,
        r#"SRC="https://www.google-analytics.com/analytics.js""#,
    ] {
        let out = refused(&format!("<script {src}></script>"));
        assert!(out.contains("text/plain"), "{src}: {out}");
        let out = refused(&format!("<img {src}>"));
        assert!(out.contains("data-consent-src"), "{src}: {out}");
    }
}

#[test]
fn noscript_pixels() {
    let html = "<noscript><img height=\"1\" width=\"1\" style=\"display:none\" src=\"https://www.facebook.com/tr?id=1&ev=PageView&noscript=1\"/></noscript><p>x</p>";
    let out = refused(html);
    assert!(
        out.contains(
            "data-consent-src=\"https://www.facebook.com/tr?id=1&ev=PageView&noscript=1\""
        ),
        "{out}"
    );
    assert!(!out.contains(" src="), "{out}");
    assert!(out.ends_with("</noscript><p>x</p>"), "{out}");
    let gtm = "<noscript><iframe src=\"https://www.googletagmanager.com/ns.html?id=GTM-X\" height=\"0\" width=\"0\" style=\"display:none;visibility:hidden\"></iframe></noscript>";
    let out = refused(gtm);
    assert!(
        out.contains("data-consent-src=") && !out.contains("consent-edge-placeholder"),
        "{out}"
    );
    assert_eq!(run(gtm, Grants::ALL), gtm);
    let cfg = Config {
        blocking: Blocking::Remove,
        ..Config::default()
    };
    let out = run_with(
        gtm.as_bytes(),
        Grants::NECESSARY_ONLY,
        &cfg,
        Page::default(),
        None,
        5,
    );
    assert_eq!(String::from_utf8(out).unwrap(), "<noscript></noscript>");
}

#[test]
fn author_tagged_elements() {
    let html = r#"<script type="text/plain" data-consent="analytics">track()</script><script type="text/plain" data-consent="analytics" data-consent-type="module">m()</script><img data-consent="functional" data-consent-src="/map.png">"#;
    assert_eq!(refused(html), html);
    let out = run(html, Grants::ALL);
    assert!(out.starts_with(r#"<script data-consent="analytics">track()</script><script type="module" data-consent="analytics">m()</script>"#), "{out}");
    assert!(
        out.contains(r#"<img data-consent="functional" src="/map.png">"#),
        "{out}"
    );
    let out = run(html, only(Category::Functional));
    assert!(
        out.contains(r#"src="/map.png""#)
            && out.contains(r#"type="text/plain" data-consent="analytics">track()"#),
        "{out}"
    );
}

#[test]
fn allow_lists() {
    let html = r#"<script src="https://plausible.io/js/script.js"></script>"#;
    let page = Page {
        allow_vendors: vec!["plausible".into()],
        ..Page::default()
    };
    assert_eq!(
        run_with(
            html.as_bytes(),
            Grants::NECESSARY_ONLY,
            &Config::default(),
            page,
            None,
            4
        ),
        html.as_bytes()
    );
    let cfg: consent_edge::trackers::Config =
        toml::from_str("allow = [\"plausible\"]\nunknown_scripts = \"advertising\"").unwrap();
    let cat: &'static Catalog = Box::leak(Box::new(Catalog::with_config(&cfg).unwrap()));
    let page = Page {
        site_host: "www.shop.test".into(),
        ..Page::default()
    };
    let doc = r#"<script src="https://plausible.io/js/script.js"></script><script src="https://cdn.unknown.test/x.js"></script><script src="/own.js"></script><script src="https://static.shop.test/a.js"></script>"#;
    let mut f = Filter::new(cat, &Config::default(), page, None);
    let mut out = f.write(doc.as_bytes());
    out.extend(f.end());
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out,
        r#"<script src="https://plausible.io/js/script.js"></script><script src="https://cdn.unknown.test/x.js" type="text/plain" data-consent-category="advertising" data-consent-vendor="unknown"></script><script src="/own.js"></script><script src="https://static.shop.test/a.js"></script>"#
    );
}

#[test]
fn injection() {
    let page = Page {
        head_start: "<meta name=consent>".into(),
        body_end: "<div id=banner></div>".into(),
        declaration_html: Some("<table>decl</table>".into()),
        status_html: Some("<b>status</b>".into()),
        ..Page::default()
    };
    let html = "<html><head><title>t</title></head><body><div data-consent-declaration>old</div><p data-consent-status></p></body></html>";
    let out = run_with(
        html.as_bytes(),
        Grants::ALL,
        &Config::default(),
        page.clone(),
        None,
        2,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<html><head><meta name=consent><title>t</title></head><body><div data-consent-declaration><table>decl</table></div><p data-consent-status><b>status</b></p><div id=banner></div></body></html>"
    );
    let out = run_with(
        b"<p>no body tag",
        Grants::ALL,
        &Config::default(),
        page.clone(),
        None,
        1,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<p>no body tag<div id=banner></div>"
    );
    let out = run_with(
        b"<body><p>x</body>",
        Grants::ALL,
        &Config::default(),
        page,
        None,
        1,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<meta name=consent><body><p>x<div id=banner></div></body>"
    );
}

#[test]
fn output_streams_before_the_end() {
    let mut f = Filter::new(
        Catalog::embedded(),
        &Config::default(),
        Page::default(),
        None,
    );
    let first = f.write(b"<html><body><p>hello</p><div>");
    assert!(!first.is_empty() && b"<html><body><p>hello</p><div>".starts_with(&first));
    // an inline script is held until decided
    let held = f.write(b"<p>a</p><script>var x = 1;");
    assert_eq!(held, b"<p>a</p>"[..held.len()].to_vec());
    let rest = f.write(b"</script><p>b</p>");
    let mut all = first;
    all.extend(held);
    all.extend(rest);
    all.extend(f.end());
    assert_eq!(
        all,
        b"<html><body><p>hello</p><div><p>a</p><script>var x = 1;</script><p>b</p>".to_vec()
    );
}

#[test]
fn memory_limit_fails_safe() {
    let cfg = Config {
        memory_limit: 8 << 10,
        ..Config::default()
    };
    let page = Page {
        body_end: "<div id=banner></div>".into(),
        ..Page::default()
    };
    let big = "x".repeat(64 << 10);
    let html = format!(
        "<html><body><p>before</p><img alt=\"{big}\" src=\"/local.png\"><script src=\"https://connect.facebook.net/en_US/fbevents.js\"></script><img src=\"https://www.facebook.com/tr?id=1\"></body></html>"
    );
    let mut f = Filter::new(Catalog::embedded(), &cfg, page, None);
    let mut out = Vec::new();
    for c in html.as_bytes().chunks(1000) {
        out.extend(f.write(c));
    }
    assert!(f.failed());
    out.extend(f.end());
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.starts_with("<html><body><p>before</p>"),
        "{}",
        &out[..100.min(out.len())]
    );
    assert!(
        out.ends_with("<!--consent-edge: document truncated--><div id=banner></div>"),
        "{}",
        &out[out.len().saturating_sub(200)..]
    );
    assert!(!out.contains("facebook"), "tracker markup passed");
    assert!(out.len() < html.len());

    // bail-out while an inline tracker script is held: nothing of it passes
    let cfg = Config {
        memory_limit: 8 << 10,
        max_held_bytes: 1 << 20,
        ..Config::default()
    };
    let html = format!("<p>a</p><script>var a='{big}';</script><img title=\"{big}\">");
    let mut f = Filter::new(Catalog::embedded(), &cfg, Page::default(), None);
    let mut out = Vec::new();
    for c in html.as_bytes().chunks(100) {
        out.extend(f.write(c));
    }
    out.extend(f.end());
    let out = String::from_utf8(out).unwrap();
    assert!(out.starts_with("<p>a</p>"), "{out:.200}");
    assert!(
        out.ends_with("<!--consent-edge: document truncated-->"),
        "{}",
        &out[out.len().saturating_sub(200)..]
    );
}

#[test]
fn charsets_keep_bytes() {
    assert_eq!(
        charset_from_content_type("text/html; charset=ISO-8859-1"),
        Some("windows-1252")
    );
    assert_eq!(
        charset_from_content_type("text/html;charset=\"Shift_JIS\""),
        Some("Shift_JIS")
    );
    assert_eq!(charset_from_content_type("text/html; charset=utf-16"), None);
    assert_eq!(charset_from_content_type("text/html"), None);
    // windows-1252 bytes (é = 0xE9, € = 0x80) and every high byte pass intact
    let mut html = b"<html><head><title>Caf\xe9 \x80</title></head><body><p>".to_vec();
    html.extend((0x80u8..=0xff).collect::<Vec<u8>>());
    html.extend_from_slice(b"</p><img src=\"https://www.facebook.com/tr?id=1\"></body></html>");
    let page = Page {
        placeholder_text: "x".into(),
        ..Page::default()
    };
    for cs in [Some("windows-1252"), Some("iso-8859-2"), None] {
        let out = run_with(&html, Grants::ALL, &Config::default(), page.clone(), cs, 3);
        assert_eq!(out, html, "{cs:?}");
        let out = run_with(
            &html,
            Grants::NECESSARY_ONLY,
            &Config::default(),
            page.clone(),
            cs,
            3,
        );
        assert!(out.starts_with(&html[..html.len() - 60]), "{cs:?}");
        assert!(out.windows(16).any(|w| w == b"data-consent-src"));
    }
    // Shift_JIS page, charset from <meta>, text inserted in the page's charset
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("<html><head><meta charset=\"shift_jis\"><title>日本語</title></head><body><iframe src=\"https://www.youtube.com/embed/x\"></iframe></body></html>");
    let page = Page {
        placeholder_text: "{vendor}の動画".into(),
        ..Page::default()
    };
    let out = run_with(
        &sjis,
        Grants::NECESSARY_ONLY,
        &Config::default(),
        page.clone(),
        None,
        5,
    );
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&out);
    assert!(
        !bad && text.contains("<p>YouTubeの動画</p>") && text.contains("<title>日本語</title>"),
        "{text}"
    );
    assert_eq!(
        run_with(&sjis, Grants::ALL, &Config::default(), page, None, 5),
        sjis.to_vec()
    );
}

// ---- <iframe srcdoc> -------------------------------------------------------

/// The value of the first `name="…"` in `html`, as the filter writes it
/// (double-quoted, only `&` and `"` escaped), decoded.
fn attr(html: &str, name: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = html[start..].find('"')?;
    Some(
        html[start..start + len]
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

const SRCDOC: &str = r#"<iframe srcdoc="&lt;img src=&quot;https://bat.bing.com/action/0?ti=1&quot; alt=&quot;&quot;&gt;&lt;script src=&quot;https://connect.facebook.net/en_US/fbevents.js&quot;&gt;&lt;/script&gt;" title="inline document"></iframe>"#;

#[test]
fn srcdoc_trackers_are_neutralised_and_the_original_kept() {
    let page = Page {
        head_start: "<meta name=ce-head>".into(),
        body_end: "<div id=consent-edge></div><script>/*banner*/</script>".into(),
        ..Page::default()
    };
    let out = run_with(
        SRCDOC.as_bytes(),
        Grants::NECESSARY_ONLY,
        &Config::default(),
        page,
        None,
        3,
    );
    let out = String::from_utf8(out).unwrap();
    let doc = attr(&out, "srcdoc").expect("srcdoc kept");
    // The inner document, filtered like a top-level one.
    assert!(
        doc.contains(r#"data-consent-src="https://bat.bing.com/action/0?ti=1""#),
        "{doc}"
    );
    assert!(!doc.contains(" src=\"https://bat.bing.com"), "{doc}");
    assert!(doc.contains(r#"type="text/plain""#), "{doc}");
    assert!(doc.contains(r#"data-consent-vendor="meta-pixel""#), "{doc}");
    // Nothing injected inside: no banner, no consent signals.
    assert!(
        !doc.contains("consent-edge") && !doc.contains("ce-head"),
        "{doc}"
    );
    assert_eq!(out.matches("id=consent-edge").count(), 1, "{out}");
    // The original, byte for byte, for the banner to swap back.
    let original = SRCDOC
        .split("srcdoc=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    assert!(
        out.contains(&format!(r#"data-consent-srcdoc="{original}""#)),
        "{out}"
    );
    assert!(
        out.contains(r#"data-consent-category="advertising""#),
        "{out}"
    );
    // Not hidden, no placeholder: the inline document itself is harmless now.
    assert!(!out.contains("hidden"), "{out}");
    assert!(!out.contains("consent-edge-placeholder"), "{out}");
    assert!(out.contains(r#"title="inline document""#), "{out}");
}

#[test]
fn srcdoc_category_is_the_strictest_refused_inside() {
    // A Google Maps embed (functional) and GA (analytics) inside.
    let html = r#"<iframe srcdoc="<iframe src='https://www.google.com/maps/embed?pb=1'></iframe><script async src='https://www.googletagmanager.com/gtag/js?id=G-1'></script>"></iframe>"#;
    let out = refused(html);
    assert!(
        out.contains(r#"data-consent-category="analytics""#),
        "{out}"
    );
    let doc = attr(&out, "srcdoc").unwrap();
    // Placeholders need the banner's script: none inside.
    assert!(!doc.contains("consent-edge-placeholder"), "{doc}");
    assert!(doc.contains("data-consent-hidden"), "{doc}");
    // Functional and analytics granted: nothing refused, byte-identical.
    let g = Grants::from_categories([Category::Functional, Category::Analytics]);
    assert_eq!(run(html, g), html);
    // Functional only: GA is refused, the map is not.
    let out = run(html, only(Category::Functional));
    let doc = attr(&out, "srcdoc").unwrap();
    assert!(
        doc.contains("<iframe src='https://www.google.com/maps"),
        "{doc}"
    );
    assert!(
        out.contains(r#"data-consent-category="analytics""#),
        "{out}"
    );
}

#[test]
fn srcdoc_with_nothing_refused_is_byte_identical() {
    assert_eq!(run(SRCDOC, Grants::ALL), SRCDOC);
    assert_eq!(run(SRCDOC, only(Category::Advertising)), SRCDOC);
    // Harmless content, odd encodings included, is never re-encoded.
    let html = "<iframe srcdoc='<p class=\"x\">caf&eacute; &amp &#x26; &quot &lt;b&gt;'></iframe>\
                <iframe srcdoc></iframe><iframe srcdoc=\"\"></iframe>";
    assert_eq!(refused(html), html);
}

#[test]
fn srcdoc_in_remove_mode() {
    let cfg = Config {
        blocking: Blocking::Remove,
        ..Config::default()
    };
    let out = run_with(
        SRCDOC.as_bytes(),
        Grants::NECESSARY_ONLY,
        &cfg,
        Page::default(),
        None,
        5,
    );
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out,
        r#"<iframe srcdoc="&lt;img src=&quot;https://bat.bing.com/action/0?ti=1&quot; alt=&quot;&quot;&gt;&lt;script src=&quot;https://connect.facebook.net/en_US/fbevents.js&quot;&gt;&lt;/script&gt;" title="inline document"></iframe>"#
            .replace(
                r#"srcdoc="&lt;img src=&quot;https://bat.bing.com/action/0?ti=1&quot; alt=&quot;&quot;&gt;&lt;script src=&quot;https://connect.facebook.net/en_US/fbevents.js&quot;&gt;&lt;/script&gt;""#,
                r#"srcdoc="""#
            ),
        "both trackers removed, the original not kept"
    );
    // Other content stays.
    let out = run_with(
        br#"<iframe srcdoc="<h1>Hi</h1><script>fbq('init', '1');</script><p>there"></iframe>"#,
        Grants::NECESSARY_ONLY,
        &cfg,
        Page::default(),
        None,
        4,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"<iframe srcdoc="<h1>Hi</h1><p>there"></iframe>"#
    );
}

#[test]
fn srcdoc_entity_encodings() {
    // Literal double quotes inside a single-quoted value, numeric and
    // legacy (no `;`) references, and a URL hidden behind `&sol;`/`&period;`.
    for html in [
        r#"<iframe srcdoc='<img src="https://bat.bing.com/action/0?ti=1">'></iframe>"#,
        r#"<iframe srcdoc="<img src=&#34;https://bat.bing.com/action/0?ti=1&#x22;>"></iframe>"#,
        r#"<iframe srcdoc="&lt;img src=&quot;https://bat.bing.com/action/0?ti=1&quot &gt"></iframe>"#,
        r#"<iframe srcdoc="<img src=https:&sol;&sol;bat&period;bing&period;com/action/0>"></iframe>"#,
        r#"<IFRAME SRCDOC="&#60;img src=https://bat.bing.com/action/0&#62;"></IFRAME>"#,
    ] {
        let out = refused(html);
        let doc = attr(&out, "srcdoc").unwrap_or_else(|| panic!("{out}"));
        assert!(doc.contains("data-consent-src="), "{html} -> {out}");
        assert!(!doc.contains(" src="), "{html} -> {out}");
        assert!(
            out.contains(r#"data-consent-category="advertising""#),
            "{out}"
        );
    }
    // `&amp` before a letter or `=` is not a reference in an attribute, so
    // this is not markup and not a tracker; and `&amp;lt;` is text.
    let html = r#"<iframe srcdoc="&ampltimg src=https://bat.bing.com/x&gt; &amp;lt;img src=https://bat.bing.com/x&amp;gt;"></iframe>"#;
    assert_eq!(refused(html), html);
    // What the filter writes back decodes to what it filtered: `&` and `"`
    // inside survive the round trip.
    let html = r#"<iframe srcdoc="<p title='a &amp;amp; &quot;b&quot;'>x &amp;lt; y</p><img src='https://bat.bing.com/action/0?a=1&amp;b=2'>"></iframe>"#;
    let out = refused(html);
    let doc = attr(&out, "srcdoc").unwrap();
    assert!(
        doc.starts_with(r#"<p title='a &amp; "b"'>x &lt; y</p><img"#),
        "{doc}"
    );
    assert!(
        doc.contains(r#"data-consent-src="https://bat.bing.com/action/0?a=1&b=2""#),
        "{doc}"
    );
}

#[test]
fn srcdoc_inline_snippets_and_noscript() {
    let html = r#"<iframe srcdoc="<script>!function(f){}(window);fbq('init', '1');</script><noscript><img src='https://www.facebook.com/tr?id=1'></noscript>"></iframe>"#;
    let out = refused(html);
    let doc = attr(&out, "srcdoc").unwrap();
    assert!(
        doc.starts_with(r#"<script type="text/plain" data-consent-category="advertising""#),
        "{doc}"
    );
    assert!(doc.contains("<noscript><img data-consent-src="), "{doc}");
    // An iframe with srcdoc inside a <noscript> (JavaScript off).
    let html = r#"<noscript><iframe srcdoc="<img src='https://bat.bing.com/action/0'>"></iframe></noscript>"#;
    let out = refused(html);
    let doc = attr(&out, "srcdoc").unwrap();
    assert!(
        doc.contains("data-consent-src=\"https://bat.bing.com"),
        "{out}"
    );
    assert!(out.contains("data-consent-srcdoc="), "{out}");
}

#[test]
fn srcdoc_with_a_refused_src_too() {
    // A YouTube iframe (functional) whose srcdoc carries GA (analytics):
    // the iframe waits for both (both listed: granting one is not enough).
    let html = r#"<iframe src="https://www.youtube.com/embed/x" srcdoc="<script src='https://www.googletagmanager.com/gtag/js?id=G-1'></script>"></iframe>"#;
    let out = refused(html);
    assert!(
        out.contains(r#"data-consent-category="functional analytics""#),
        "{out}"
    );
    assert!(out.contains(r#"data-consent-vendor="youtube""#), "{out}");
    assert_eq!(out.matches(" data-consent-category=\"").count(), 1, "{out}");
    // Author-tagged iframe: its own category counts too.
    let html = r#"<iframe data-consent="advertising" data-consent-src="/ad" srcdoc="<img src='https://www.google-analytics.com/collect'>"></iframe>"#;
    let out = refused(html);
    assert!(
        out.contains(r#"data-consent-category="analytics advertising""#),
        "{out}"
    );
    assert!(out.contains("data-consent-srcdoc="), "{out}");
}

#[test]
fn nested_srcdoc_depth_limit() {
    // Level 2 (a srcdoc in the srcdoc) is filtered.
    let html = r#"<iframe srcdoc="<iframe srcdoc='&lt;img src=&quot;https://bat.bing.com/action/0&quot;&gt;'></iframe>"></iframe>"#;
    let out = refused(html);
    let level1 = attr(&out, "srcdoc").unwrap();
    assert!(level1.starts_with("<iframe srcdoc=\""), "{level1}");
    let level2 = attr(&level1, "srcdoc").unwrap();
    assert!(
        level2.contains("data-consent-src=\"https://bat.bing.com"),
        "{level2}"
    );
    assert!(!level2.contains(" src="), "{level2}");
    // Only the outermost iframe keeps the original (the banner lives there).
    assert_eq!(out.matches("data-consent-srcdoc").count(), 1, "{out}");
    // Level 3 is beyond the limit: emptied when something may be refused...
    let html = r#"<iframe srcdoc="<iframe srcdoc='<iframe srcdoc=&quot;<p>hello&quot;></iframe>'></iframe>"></iframe>"#;
    let out = refused(html);
    let level1 = attr(&out, "srcdoc").unwrap();
    let level2 = attr(&level1, "srcdoc").unwrap();
    assert_eq!(attr(&level2, "srcdoc").as_deref(), Some(""), "{out}");
    assert!(out.contains("data-consent-srcdoc="), "{out}");
    // ... and left alone when everything is granted.
    assert_eq!(run(html, Grants::ALL), html);
}

#[test]
fn reopen_buttons_submit_the_banner_form() {
    let html = r#"<button type="button" data-consent-open>Cookie settings</button><a href="/p" data-consent-open>p</a><button data-x>other</button>"#;
    let with = Page {
        reopen_form: Some("ce-open"),
        ..Page::default()
    };
    let out = run_with(
        html.as_bytes(),
        Grants::NECESSARY_ONLY,
        &Config::default(),
        with,
        None,
        3,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"<button type="submit" data-consent-open form="ce-open">Cookie settings</button><a href="/p" data-consent-open>p</a><button data-x>other</button>"#
    );
    // No banner on the page: the site's buttons are left alone.
    assert_eq!(run(html, Grants::NECESSARY_ONLY), html);
}

// ---------------------------------------------------------------------------
// Issue 12: author tags (class 2), <base> (5), elements (7), CSS (9),
// mixed vendors (13), lazy-load attributes.

const FBT: &str = "https://www.facebook.com/tr?id=1";
const GA: &str = "https://www.google-analytics.com/analytics.js";

#[test]
fn author_tags_are_no_exemption() {
    // A live script labelled with a refused category is neutralised.
    let out = refused(&format!(
        "<script data-consent=\"analytics\" src=\"{GA}\"></script>"
    ));
    assert!(out.contains("type=\"text/plain\""), "{out}");
    assert!(!out.contains(" src="), "{out}");
    // Empty or unknown labels count as advertising.
    let out = run(
        &format!("<img data-consent=\"x\" src=\"{FBT}\">"),
        only(Category::Analytics),
    );
    assert!(out.contains("data-consent-src="), "{out}");
    assert!(out.contains("advertising"), "{out}");
    // A declared category granted does not let another vendor through.
    let out = run(
        &format!("<img data-consent=\"analytics\" src=\"{FBT}\">"),
        only(Category::Analytics),
    );
    assert!(out.contains("data-consent-src="), "{out}");
    assert!(
        out.contains("data-consent-category=\"analytics advertising\""),
        "{out}"
    );
    // A live first-party element of a refused category is neutralised too.
    let out = refused("<iframe data-consent=\"functional\" src=\"/map\"></iframe>");
    assert!(out.contains("data-consent-src=\"/map\""), "{out}");
}

#[test]
fn author_activation_takes_only_web_urls() {
    // `necessary` never activates a stashed URL server side, and a stashed
    // javascript: URL is dropped.
    let out =
        refused("<a data-consent=\"necessary\" data-consent-href=\"javascript:alert(1)\">x</a>");
    assert!(!out.contains("javascript"), "{out}");
    assert!(!out.contains(" href="), "{out}");
    let out = refused(&format!(
        "<img data-consent=\"necessary\" data-consent-src=\"{FBT}\">"
    ));
    assert!(!out.contains(" src="), "{out}");
    assert!(
        out.contains("data-consent-category=\"necessary advertising\""),
        "{out}"
    );
    // Granted: activated, unless a stashed URL is a refused vendor's.
    let out = run(
        "<img data-consent=\"functional\" data-consent-src=\"/a.png\">",
        only(Category::Functional),
    );
    assert!(out.contains(" src=\"/a.png\""), "{out}");
    let out = run(
        &format!("<img data-consent=\"functional\" data-consent-src=\"{FBT}\">"),
        only(Category::Functional),
    );
    assert!(!out.contains(" src="), "{out}");
    let out = run(
        "<iframe data-consent=\"functional\" data-consent-src=\"java&#9;script:alert(1)\"></iframe>",
        only(Category::Functional),
    );
    assert!(!out.contains("script:"), "{out}");
}

#[test]
fn base_href_makes_relative_urls_third_party() {
    let out = refused(
        "<base href=\"https://www.googletagmanager.com/\"><script src=\"gtag/js?id=G-1\"></script><img src=\"/x.png\">",
    );
    assert!(
        out.contains("<script src=\"gtag/js?id=G-1\" type=\"text/plain\""),
        "{out}"
    );
    // the base itself points at a refused vendor: neutralised
    assert!(out.contains("<base data-consent-href="), "{out}");
    let out = refused(
        "<p>x</p><base href=\"//connect.facebook.net/x/\"><img src=\"/en_US/fbevents.js\"><base href=\"https://www.facebook.com/\">",
    );
    assert!(out.contains("<img data-consent-src="), "{out}");
    // a later <base> loses its href (the browser ignores it)
    assert!(out.ends_with("<base>"), "{out}");
    // a first-party base changes nothing
    let html = "<base href=\"/blog/\"><img src=\"a.png\">";
    assert_eq!(refused(html), html);
}

#[test]
fn every_url_bearing_element() {
    for html in [
        format!("<image src=\"{FBT}\">"),
        format!("<input type=\"image\" src=\"{FBT}\">"),
        format!("<body background=\"{FBT}\">"),
        format!("<table><tr><td background=\"{FBT}\">x</td></tr></table>"),
        format!("<link rel=\"shortcut icon\" href=\"{FBT}\">"),
        format!("<link rel=\"apple-touch-icon\" href=\"{FBT}\">"),
        format!("<link rel=\"manifest\" href=\"{FBT}\">"),
        format!("<link rel=\"preload\" as=\"image\" imagesrcset=\"/a.png 1x, {FBT} 2x\">"),
        format!("<svg><image href=\"{FBT}\"/></svg>"),
        format!("<svg><image xlink:href=\"{FBT}\"/></svg>"),
        format!("<svg><filter><feImage href=\"{FBT}\"/></filter></svg>"),
        format!("<svg><use href=\"{FBT}#x\"/></svg>"),
        format!("<svg><script href=\"{GA}\"></script></svg>"),
        format!("<video><track src=\"{FBT}\"></video>"),
        format!("<frameset><frame src=\"{FBT}\"></frameset>"),
        format!("<img src=\"/p.gif\" data-src=\"{FBT}\">"),
        format!("<img data-lazy-srcset=\"{FBT} 1x\">"),
        format!("<iframe data-original=\"{FBT}\"></iframe>"),
        format!("<div style=\"background:url({FBT})\">x</div>"),
        "<img srcset=\"https://x,@www.facebook.com/tr?id=1 1x\">".to_string(),
    ] {
        let out = refused(&html);
        assert!(out.contains("data-consent-category="), "{html}\n{out}");
        assert!(!out.contains(" href=\"https://www.f"), "{out}");
        assert!(!out.contains(" src=\"https://www.f"), "{out}");
        assert!(!out.contains(" background="), "{out}");
        assert!(!out.contains(" style="), "{out}");
    }
    // a link that fetches nothing and an input that is no image are left
    for html in [
        format!("<link rel=\"canonical\" href=\"{FBT}\">"),
        format!("<input type=\"text\" src=\"{FBT}\">"),
    ] {
        assert_eq!(refused(&html), html);
    }
}

#[test]
fn mixed_vendors_wait_for_every_category() {
    let yt = "https://www.youtube.com/embed/x";
    for html in [
        format!("<img src=\"{GA}\" srcset=\"{FBT} 1x\">"),
        format!("<a href=\"/x\" ping=\"{GA} {FBT}\">x</a>"),
        format!("<picture><source srcset=\"{GA} 1x, {FBT} 2x\"></picture>"),
    ] {
        let out = refused(&html);
        assert!(
            out.contains("data-consent-category=\"analytics advertising\""),
            "{out}"
        );
    }
    // only the refused vendors count
    let out = run(
        &format!("<img src=\"{yt}\" srcset=\"{FBT} 1x\">"),
        only(Category::Functional),
    );
    assert!(
        out.contains("data-consent-category=\"advertising\""),
        "{out}"
    );
    assert!(out.contains(&format!(" src=\"{yt}\"")), "{out}");
}

#[test]
fn style_sheets_with_tracker_urls_are_made_inert() {
    let html = format!("<style>body{{background:url({FBT})}}</style><p>x</p>");
    let out = refused(&html);
    assert!(
        out.starts_with(
            "<style></style><template data-consent-style data-consent-category=\"advertising\">"
        ),
        "{out}"
    );
    assert!(out.ends_with("</template><p>x</p>"), "{out}");
    // streamed byte by byte: same result
    let cfg = Config::default();
    let mut f = Filter::new(Catalog::embedded(), &cfg, Page::default(), None);
    let mut bytes = Vec::new();
    for b in html.as_bytes() {
        bytes.extend(f.write(std::slice::from_ref(b)));
    }
    bytes.extend(f.end());
    assert_eq!(String::from_utf8(bytes).unwrap(), out);
    for html in [
        format!("<style>@import \"{FBT}\";</style>"),
        "<style>@import url(https://www.f\\61 cebook.com/tr);</style>".to_string(),
        format!("<svg><style>svg{{fill:url('{FBT}')}}</style></svg>"),
    ] {
        let out = refused(&html);
        assert!(out.contains("<style></style><template"), "{out}");
    }
    // nothing refused in it: untouched, also when chunked
    let html = "<style>/* url(x) */ a{background:url(/a.png)} @import 'b.css';</style>";
    assert_eq!(refused(html), html);
}

// ---------------------------------------------------------------------------
// Issue 12 classes 4, 8, 9 (code), 10: src/filter/code.rs, script.rs, hold.rs
/// Whole and byte-by-byte through `cfg`: the same output.
fn run_cfg(html: &str, grants: Grants, cfg: &Config) -> String {
    let whole = run_with(
        html.as_bytes(),
        grants,
        cfg,
        Page::default(),
        None,
        usize::MAX,
    );
    let bytes = run_with(html.as_bytes(), grants, cfg, Page::default(), None, 1);
    assert_eq!(whole, bytes, "chunking changed the output");
    String::from_utf8(whole).unwrap()
}

const GTAG: &str = "https://www.googletagmanager.com/gtag/js?id=G-X";
const FBQ: &str = "https://connect.facebook.net/en_US/fbevents.js";

#[test]
fn script_types_as_the_spec_and_loaders_read_them() {
    // a present but empty type is JavaScript whatever `language` says
    let out = refused(&format!(
        "<script type=\"\" language=\"vbscript\" src=\"{GTAG}\"></script>"
    ));
    assert!(out.contains("type=\"text/plain\""), "{out}");
    let out = refused("<script type=\"\" language=\"vbscript\">fbq('init', '1');</script>");
    assert!(out.contains("type=\"text/plain\""), "{out}");
    // absent type: `language` decides (vbscript never runs: left alone)
    let html = format!("<script language=\"vbscript\" src=\"{GTAG}\"></script>");
    assert_eq!(refused(&html), html);
    // loaders: Partytown, Rocket Loader; the original type is kept for re-activation
    for ty in [
        "text/partytown",
        "4f3a9c1e2b7d8a6f-text/javascript",
        "4f3a9c1e2b7d8a6f-module",
    ] {
        let out = refused(&format!("<script type=\"{ty}\" src=\"{GTAG}\"></script>"));
        assert!(out.contains("type=\"text/plain\""), "{ty}: {out}");
        assert_eq!(
            attr(&out, "data-consent-type").as_deref(),
            Some(ty),
            "{out}"
        );
        let out = refused(&format!("<script type=\"{ty}\">fbq('init', '1');</script>"));
        assert!(out.contains("type=\"text/plain\""), "{ty}: {out}");
    }
    // a non-JS type nobody runs stays as it is
    let html = format!("<script type=\"text/template\" src=\"{GTAG}\"></script>");
    assert_eq!(refused(&html), html);
}

#[test]
fn import_maps_to_refused_vendors_are_neutralised() {
    for map in [
        format!("{{\"imports\":{{\"g\":\"{GTAG}\"}}}}"),
        format!(
            "{{\"scopes\":{{\"/\":{{\"g\":\"{}\"}}}}}}",
            GTAG.replace('/', "\\/")
        ),
    ] {
        let html = format!("<script type=\"importmap\">{map}</script><script type=\"module\">import \"g\";</script>");
        let out = refused(&html);
        assert!(
            out.starts_with("<script type=\"text/plain\" data-consent-type=\"importmap\""),
            "{out}"
        );
        assert!(
            out.contains(&map),
            "the map is kept for re-activation: {out}"
        );
        assert_eq!(run(&html, Grants::ALL), html);
    }
    // first-party modules and invalid JSON (no import map to the browser): untouched
    for html in [
        "<script type=\"importmap\">{\"imports\":{\"a\":\"/js/a.js\"}}</script>",
        "<script type=\"importmap\">{\"imports\":</script>",
    ] {
        assert_eq!(refused(html), html);
    }
}

#[test]
fn an_inline_script_longer_than_max_held_fails_closed() {
    let cfg = Config {
        max_held_bytes: 1024,
        ..Config::default()
    };
    let pad = "x".repeat(4096);
    let html = format!("<p>a</p><script>/*{pad}*/fbq('init', '1');</script><p>b</p>");
    // nothing scanned past 1 KiB: neutralised as the strictest refused category
    let out = run_cfg(&html, Grants::NECESSARY_ONLY, &cfg);
    assert!(out.contains("<script type=\"text/plain\" data-consent-category=\"advertising\" data-consent-vendor=\"unknown\">"), "{out:.200}");
    assert!(out.ends_with("</script><p>b</p>"));
    let out = run_cfg(&html, only(Category::Advertising), &cfg);
    assert!(
        out.contains("data-consent-category=\"analytics\""),
        "{out:.200}"
    );
    // a signature within the limit still names its vendor
    let early = format!("<script>fbq('init', '1');/*{pad}*/</script>");
    let out = run_cfg(&early, Grants::NECESSARY_ONLY, &cfg);
    assert!(
        out.contains("data-consent-vendor=\"meta-pixel\""),
        "{out:.200}"
    );
    // everything granted: released as it is
    assert_eq!(run_cfg(&html, Grants::ALL, &cfg), html);
}

#[test]
fn event_handlers_that_reach_a_refused_vendor_are_removed() {
    let load =
        format!("var s=document.createElement('script');s.src='{FBQ}';document.head.append(s)");
    for html in [
        format!("<img src=\"/logo.png\" onload=\"{load}\">"),
        format!("<svg onload=\"{load}\"></svg>"),
        format!("<math onclick=\"{load}\"><mi>x</mi></math>"),
        "<body onload=\"fbq(&quot;init&quot;, &quot;1&quot;)\"><p>x</p></body>".to_string(),
    ] {
        let out = refused(&html);
        assert!(!out.contains("onload") && !out.contains("onclick"), "{out}");
        assert_eq!(run(&html, only(Category::Advertising)), html);
    }
    // handlers that name no refused vendor, and share links in them, stay
    for html in [
        "<button onclick=\"toggle(this)\">x</button>",
        "<a href=\"/x\" onclick=\"window.open('https://www.example.org/share')\">x</a>",
    ] {
        assert_eq!(refused(html), html);
    }
}

#[test]
fn javascript_and_data_urls_carrying_tracker_code_are_neutralised() {
    let ga = "https://www.google-analytics.com/analytics.js";
    let cases = [
        (
            format!("<a href=\"javascript:s.src='{FBQ}'\">x</a>"),
            "href",
        ),
        (
            format!("<iframe src=\"java&#9;script:'<script src={ga}></script>'\"></iframe>"),
            "src",
        ),
        (
            format!("<iframe src=\"data:text/html,<script src={ga}></script>\"></iframe>"),
            "src",
        ),
        (
            format!("<iframe src=\"data:text/html;base64,{}\"></iframe>", {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(format!("<img src={FBQ}>"))
            }),
            "src",
        ),
        (
            format!("<object data=\"data:text/html,<img src={FBQ}>\"></object>"),
            "data",
        ),
        (
            format!("<embed src=\"data:image/svg+xml,<svg><image href='{FBQ}'/></svg>\">"),
            "src",
        ),
    ];
    for (html, a) in &cases {
        let out = refused(html);
        assert!(out.contains(&format!("data-consent-{a}=")), "{out}");
        assert!(attr(&out, a).is_none(), "{out}");
        assert!(attr(&out, "data-consent-category").is_some(), "{out}");
        assert_eq!(run(html, Grants::ALL), *html);
    }
    // a data: script
    let out = refused("<script src=\"data:text/javascript,fbq('init','1')\"></script>");
    assert!(out.contains("type=\"text/plain\""), "{out}");
    // harmless ones stay
    for html in [
        "<a href=\"javascript:void(0)\">x</a>",
        "<img src=\"data:image/png;base64,iVBORw0KGgo=\">",
        "<iframe src=\"data:text/html,<p>hello</p>\"></iframe>",
    ] {
        assert_eq!(refused(html), html);
    }
}

#[test]
fn meta_refresh_to_a_refused_vendor_is_neutralised() {
    let html = format!("<meta http-equiv=\"refresh\" content=\"0; url={FBQ}\">");
    let out = refused(&html);
    assert!(!out.contains("http-equiv"), "{out}");
    assert_eq!(run(&html, Grants::ALL), html);
    let own = "<meta http-equiv=\"refresh\" content=\"5; url=/next\">";
    assert_eq!(refused(own), own);
}

#[test]
fn nested_foreign_content_breakouts_cut_the_page() {
    let script = format!("<script src=\"{GTAG}\"></script>");
    // lol_html stays in SVG where the browser is back in HTML: cut there
    for html in [
        format!("<p>a</p><svg><svg><p><![CDATA[>{script}]]>"),
        format!("<p>a</p><svg><svg><p><style><!--</style>{script}<!-- -->"),
        format!("<p>a</p><math><math><div><![CDATA[>{script}]]>"),
        // end-tag breakout (no element to see): CDATA / comment with markup
        format!("<p>a</p><svg><svg></p><![CDATA[>{script}]]>"),
        format!("<p>a</p><svg><svg></p><style><!--</style>{script}<!-- -->"),
        // any CDATA while nested: the cut must not depend on the chunking
        "<p>a</p><svg><svg><style><![CDATA[.a{fill:red}]]></style>".to_string(),
    ] {
        let out = refused(&html);
        assert!(out.starts_with("<p>a</p>"), "{out}");
        assert!(
            out.ends_with("<!--consent-edge: document truncated-->"),
            "{html}\n{out}"
        );
        assert!(!out.contains("googletagmanager"), "{out}");
        assert!(!out.contains("fill:red"), "{out}");
        // everything granted: nothing to protect, byte for byte
        assert_eq!(run(&html, Grants::ALL), html);
    }
    // well-formed nesting, one level (CDATA included): untouched
    for html in [
        "<svg><svg><rect/></svg><p>x</p></svg><div>y</div>",
        "<svg><p>x</p></svg><div>y</div>",
        "<svg><style><![CDATA[.a{fill:red}]]></style><!-- icon --></svg>",
        "<svg><foreignObject><div>x</div></foreignObject></svg>",
    ] {
        assert_eq!(refused(html), html);
    }
}
