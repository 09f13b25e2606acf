//! Fuzz target: see `check_filter` in `fuzz/checks.rs` for the properties.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_filter(data));
