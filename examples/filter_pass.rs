//! Passes over the corpus through the filter, as `bench/filter.rs` does
//! (`Catalog::embedded()`, `Config::default()`, 16 KiB chunks), for an
//! instruction count that a loaded machine does not blur:
//!
//! ```text
//! cargo build --release --example filter_pass
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/filter_pass none 3
//! ```
//!
//! `STATE` is `none` (nothing granted) or `all` (everything granted);
//! `PASSES` whole passes over the 258 pages. The difference between the
//! counts of 3 and 1 passes is two passes without the loading and the
//! first-use builds (selectors, signature automata).

#[path = "../tests/corpus_pages/mod.rs"]
mod corpus_pages;
#[path = "../bench/filtered.rs"]
mod filtered;

use consent_edge::consent::Grants;
use filtered::filtered;
use std::hint::black_box;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let grants = match args.first().map(String::as_str) {
        Some("none") => Grants::NECESSARY_ONLY,
        Some("all") => Grants::ALL,
        _ => {
            eprintln!("usage: filter_pass none|all [PASSES]");
            return ExitCode::FAILURE;
        }
    };
    let passes: usize = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(1);
    let Some(pages) = corpus_pages::pages("filter_pass") else {
        return ExitCode::FAILURE;
    };
    let mut total = 0;
    for _ in 0..passes {
        for (_, html) in &pages {
            total += filtered(black_box(html), grants);
        }
    }
    println!("{passes} passes, {total} bytes out");
    ExitCode::SUCCESS
}
