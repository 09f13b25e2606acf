//! Fuzz target: see `check_endpoint` in `fuzz/checks.rs` for the properties.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_endpoint(data));
