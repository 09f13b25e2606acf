//! Renders the corpus pages through the filter into a directory, for a
//! byte-identical check of a change that must not alter the output:
//! `cargo run --release --example render_corpus -- OUT_DIR`, once with the
//! code before and once after, then `diff -r BEFORE AFTER`.
//!
//! The pages are those of `tests/corpus_pages` (npm `htmlparser-benchmark`,
//! the set `bench/filter.rs` reads), with the bench's catalog and settings
//! (`Catalog::embedded()`, `Config::default()`) and an activation token.
//! One file per page × consent state (`none`: nothing granted, `all`:
//! everything granted) × chunking (16 KiB and 997 bytes) × injection
//! (`bare`: none, as in the bench; `inject`: a head and a body-end
//! injection, which register the injection handlers too), named
//! `PAGE.STATE.CHUNK.INJECTION.html`.

#[path = "../tests/corpus_pages/mod.rs"]
mod corpus_pages;

use consent_edge::consent::Grants;
use consent_edge::filter::{Config, Filter, Page};
use consent_edge::trackers::Catalog;
use std::path::PathBuf;
use std::process::ExitCode;

fn render(html: &[u8], grants: Grants, chunk: usize, inject: bool) -> Vec<u8> {
    let mut page = Page {
        grants,
        token: "t0k3n".into(),
        ..Page::default()
    };
    if inject {
        page.head_start = "<script>/*head*/</script>".into();
        page.body_end = "<div id=\"banner\"></div>".into();
    }
    let mut f = Filter::new(Catalog::embedded(), &Config::default(), page, None);
    let mut out = Vec::with_capacity(html.len() + 1024);
    for c in html.chunks(chunk) {
        out.extend_from_slice(&f.write(c));
    }
    out.extend_from_slice(&f.end());
    out
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: render_corpus OUT_DIR");
        return ExitCode::FAILURE;
    };
    let Some(pages) = corpus_pages::pages("render_corpus") else {
        return ExitCode::FAILURE;
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("{}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let mut files = 0;
    for (name, html) in &pages {
        for (state, grants) in [("none", Grants::NECESSARY_ONLY), ("all", Grants::ALL)] {
            for chunk in [16 * 1024, 997] {
                for (inj, inject) in [("bare", false), ("inject", true)] {
                    let out = render(html, grants, chunk, inject);
                    let file = dir.join(format!("{name}.{state}.{chunk}.{inj}.html"));
                    if let Err(e) = std::fs::write(&file, out) {
                        eprintln!("{}: {e}", file.display());
                        return ExitCode::FAILURE;
                    }
                    files += 1;
                }
            }
        }
    }
    println!("{files} files in {}", dir.display());
    ExitCode::SUCCESS
}
