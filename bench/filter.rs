//! `cargo bench --bench filter`: lol_html with no handlers vs. the full
//! consent filter in each consent state, on the htmlparser-benchmark corpus.

#[path = "filtered.rs"]
mod filtered;

use consent_edge::consent::{Category, Grants};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use filtered::{filtered, CHUNK};
use lol_html::{HtmlRewriter, Settings};
use std::path::PathBuf;
use std::time::Duration;

fn pages() -> Vec<Vec<u8>> {
    let dir = std::env::var_os("HTMLPARSER_BENCHMARK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("node_modules/htmlparser-benchmark/files")
        });
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
        Err(_) => {
            eprintln!("NOTICE: {} missing, filter bench skipped", dir.display());
            return Vec::new();
        }
    };
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// `html` through lol_html with `settings`, in the bench's chunks: the
/// length of the output.
fn rewrite(settings: Settings<'_, '_>, html: &[u8]) -> usize {
    let mut n = 0;
    let mut rw = HtmlRewriter::new(settings, |c: &[u8]| n += c.len());
    for c in html.chunks(CHUNK) {
        rw.write(c).unwrap();
    }
    rw.end().unwrap();
    n
}

fn baseline(html: &[u8]) -> usize {
    rewrite(Settings::new(), html)
}

/// lol_html with no-op handlers on the same selectors the filter uses: the
/// cost floor of full lexing, before any filter logic.
fn noop_handlers(html: &[u8]) -> usize {
    let settings = Settings::new()
        .append_element_content_handler(lol_html::element!(
            "script, noscript, img, iframe, embed, object, video, audio, source, link[href], a[ping], style, title, textarea",
            |_el| Ok(())
        ));
    rewrite(settings, html)
}

/// lol_html with no-op handlers on exactly what the filter registers for a
/// response without injection (the bench's pages): one element handler on
/// `*` (`src/filter/handlers/mod.rs`, `element_handler`, which dispatches by
/// tag name), the text of `style`, when something can be refused (`refusing`)
/// the comments and text of `svg, math`, and the document end. The ceiling
/// the filter's own logic is measured against: lexing, selector matching
/// and handler dispatch on the same elements, nothing else.
fn noop_filter_selectors(html: &[u8], refusing: bool) -> usize {
    use lol_html::{element, end, text};
    let mut s = Settings::new()
        .append_element_content_handler(element!("*", |_el| Ok(())))
        .append_element_content_handler(text!("style", |_t| Ok(())));
    if refusing {
        s = s
            .append_element_content_handler(lol_html::comments!("svg, math", |_c| Ok(())))
            .append_element_content_handler(text!("svg, math", |_t| Ok(())));
    }
    let s = s.append_document_content_handler(end!(|_e| Ok(())));
    rewrite(s, html)
}

/// The ceiling as it was before the one element handler (main 47ccd42):
/// no-op handlers on the media list (`MEDIA_SELECTOR`, as it was),
/// `script`, `noscript`, `style` (and its text), when refusing `*` and
/// `svg, math` (with their comments and text), the raw-text list and the
/// document end. Kept to compare the two ceilings.
fn noop_old_filter_selectors(html: &[u8], refusing: bool) -> usize {
    use lol_html::{element, end, text};
    const OLD_MEDIA: &str = "img, image, iframe, frame, embed, object, video, audio, source, \
         track, input, link, a[ping], a[data-consent], area[ping], use, feimage, script, base, \
         [background], [style], [data-consent]";
    let mut s = Settings::new()
        .append_element_content_handler(element!(OLD_MEDIA, |_el| Ok(())))
        .append_element_content_handler(element!("script", |_el| Ok(())))
        .append_element_content_handler(element!("noscript", |_el| Ok(())))
        .append_element_content_handler(element!("style", |_el| Ok(())))
        .append_element_content_handler(text!("style", |_t| Ok(())));
    if refusing {
        s = s
            .append_element_content_handler(element!("*", |_el| Ok(())))
            .append_element_content_handler(element!("svg, math", |_el| Ok(())))
            .append_element_content_handler(lol_html::comments!("svg, math", |_c| Ok(())))
            .append_element_content_handler(text!("svg, math", |_t| Ok(())));
    }
    let s = s
        .append_element_content_handler(element!(
            "style, textarea, title, xmp, noembed, noframes",
            |_el| Ok(())
        ))
        .append_document_content_handler(end!(|_e| Ok(())));
    rewrite(s, html)
}

fn bench(c: &mut Criterion) {
    let pages = pages();
    if pages.is_empty() {
        return;
    }
    let total: usize = pages.iter().map(|p| p.len()).sum();
    let mut sizes: Vec<&Vec<u8>> = pages.iter().collect();
    sizes.sort_by_key(|p| p.len());
    let median = sizes[sizes.len() / 2];
    let mut states = vec![("none", Grants::NECESSARY_ONLY)];
    for cat in Category::OPTIONAL {
        states.push((cat.id(), Grants::from_categories([cat])));
    }
    states.push(("all", Grants::ALL));

    for (label, set, bytes) in [
        ("corpus", pages.iter().collect::<Vec<_>>(), total),
        ("median_page", vec![median], median.len()),
    ] {
        let mut g = c.benchmark_group(label);
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .throughput(Throughput::Bytes(bytes as u64));
        g.bench_function("lol_html_no_handlers", |b| {
            b.iter(|| set.iter().map(|p| baseline(black_box(p))).sum::<usize>())
        });
        g.bench_function("lol_html_noop_handlers", |b| {
            b.iter(|| {
                set.iter()
                    .map(|p| noop_handlers(black_box(p)))
                    .sum::<usize>()
            })
        });
        type Noop = fn(&[u8], bool) -> usize;
        let ceilings: [(&str, Noop); 2] = [
            ("lol_html_noop_filter_selectors", noop_filter_selectors),
            (
                "lol_html_noop_old_filter_selectors",
                noop_old_filter_selectors,
            ),
        ];
        for (row, noop) in ceilings {
            for (name, refusing) in [("none", true), ("all", false)] {
                g.bench_function(BenchmarkId::new(row, name), |b| {
                    b.iter(|| {
                        set.iter()
                            .map(|p| noop(black_box(p), refusing))
                            .sum::<usize>()
                    })
                });
            }
        }
        for (name, grants) in &states {
            g.bench_with_input(BenchmarkId::new("filter", name), grants, |b, grants| {
                b.iter(|| {
                    set.iter()
                        .map(|p| filtered(black_box(p), *grants))
                        .sum::<usize>()
                })
            });
        }
        g.finish();
    }

    // Fixed cost per response: `Filter::new` (rewriter and selector
    // compilation) and `end` on an empty body.
    let mut g = c.benchmark_group("per_response");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("filter_new_and_end", |b| {
        b.iter(|| filtered(black_box(b""), Grants::NECESSARY_ONLY))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
