//! Checks `consent.toml` and `trackers.toml` at build time (a malformed file
//! fails the build with file:line:column) and converts them to JSON, which
//! the worker embeds so it needs no TOML parser at run time.

use std::{env, fs, path::Path};

#[path = "buildscript/minify.rs"]
mod minify;

fn main() {
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    minify::banner_assets(&out);
    for name in ["consent", "trackers"] {
        let src = format!("{name}.toml");
        println!("cargo:rerun-if-changed={src}");
        let text = fs::read_to_string(&src).unwrap_or_else(|e| panic!("{src}: {e}"));
        // toml's error text names the line and column and shows the spot.
        let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{src}: {e}"));
        let json = serde_json::to_string(&value).unwrap_or_else(|e| panic!("{src}: {e}"));
        fs::write(Path::new(&out).join(format!("{name}.json")), json)
            .unwrap_or_else(|e| panic!("writing {name}.json: {e}"));
    }
}
