//! Validates `consent.toml` and `trackers.toml` at build time and writes
//! what the worker embeds, so it needs no TOML parser and parses no catalog
//! at request time: the tracker catalog as `static` Rust data and one
//! packed string (`catalog.rs`, `catalog.txt`, `buildscript/catalog.rs`) and `consent.toml`'s settings as
//! a Rust expression that builds them (`settings.rs`,
//! `buildscript/settings.rs`; canonical JSON deserialised once per isolate
//! before: docs/BENCHMARKS.md, "Startup (stop 12)").
//!
//! Any error — TOML syntax, a value of the wrong type, an unknown key, or a
//! semantic one (an unknown vendor id, a bad banner variant, a max age over
//! the ceiling, a route that can never match, …) — is printed as
//! `consent.toml:LINE:COL: what is wrong` and fails the build, and with it
//! `make build` and `wrangler deploy`.

use std::{env, fs, path::Path, process::ExitCode};

#[path = "buildscript/catalog.rs"]
mod catalog;
#[path = "buildscript/minify.rs"]
mod minify;
#[path = "src/trackers/packed.rs"]
mod packed;
#[path = "buildscript/settings.rs"]
mod settings;
#[path = "buildscript/suffixes.rs"]
mod suffixes;
#[path = "src/trackers/tables.rs"]
mod tables;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            // cargo shows a failing build script's stderr; one line per
            // error, no panic backtrace.
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let out = env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?;
    minify::banner_assets(&out);
    suffixes::emit(&out)?;
    let read = |name: &str| {
        println!("cargo:rerun-if-changed={name}");
        fs::read_to_string(name).map_err(|e| format!("{name}: {e}"))
    };
    let (consent, trackers) = (read("consent.toml")?, read("trackers.toml")?);
    let valid = consent_edge_config::from_toml(&consent, &trackers).map_err(|e| e.to_string())?;
    let write = |name: &str, text: String| {
        fs::write(Path::new(&out).join(name), text).map_err(|e| format!("writing {name}: {e}"))
    };
    write("settings.rs", settings::source(&valid.config)?)?;
    let (catalog_rs, packed_catalog) = catalog::source(&valid)?;
    write("catalog.rs", catalog_rs)?;
    write("catalog.txt", packed_catalog)?;
    println!("cargo:rerun-if-changed=src/trackers/tables.rs");
    println!("cargo:rerun-if-changed=src/trackers/packed.rs");
    println!("cargo:rerun-if-changed=buildscript");
    Ok(())
}
