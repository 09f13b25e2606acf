//! Prints the client guard's `<script>` tag for a visitor, as the worker
//! would inject it:
//! `cargo run --example guard_script -- [--nonce N] [--allow vendor-id]… [granted categories…]`.
//! The Chromium tests (tests/browser/guard.test.mjs) load the guard through
//! this, so they exercise the configuration `src/guard.rs` builds from the
//! shipped catalog, not a hand-written copy.

use consent_edge::consent::{Category, Grants};
use consent_edge::guard::guard_script_for_page;
use consent_edge::trackers::Catalog;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut nonce = None;
    let mut cats = Vec::new();
    let mut allow = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--nonce" {
            nonce = args.next();
            continue;
        }
        if a == "--allow" {
            allow.extend(args.next());
            continue;
        }
        match Category::from_id(&a) {
            Some(c) => cats.push(c),
            None => {
                eprintln!("unknown category {a:?} (functional, analytics, advertising)");
                return ExitCode::from(2);
            }
        }
    }
    let grants = Grants::from_categories(cats);
    match guard_script_for_page(Catalog::embedded(), grants, &allow, nonce.as_deref()) {
        Some(tag) => println!("{tag}"),
        None => println!(),
    }
    ExitCode::SUCCESS
}
