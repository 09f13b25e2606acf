//! Fuzz target: see `check_url_host` in `fuzz/checks.rs` for the properties.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_url_host(data));
