//! Minifies the banner's script and stylesheet (src/banner/banner.js,
//! banner.css: readable, commented sources) and the client guard
//! (src/banner/guard.js) into `OUT_DIR` with the npm
//! `esbuild` the project installs (`make tools`); src/banner/mod.rs
//! includes the results. Pulled into build.rs with `#[path]`.
//!
//! Which esbuild: `$ESBUILD_BIN` (the Makefile exports it), else
//! `node_modules/.bin/esbuild` of the package. Missing: the build fails and
//! says to run `make tools`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

/// Writes `banner.min.js`, `guard.min.js` and `banner.min.css` to `out`.
pub fn banner_assets(out: &str) {
    let esbuild = esbuild();
    // The script: identifiers renamed, ES2015 as the floor (the source is
    // ES5, so nothing is transformed, only shortened).
    minify(
        &esbuild,
        "src/banner/banner.js",
        &["--minify", "--target=es2015"],
        out,
        "banner.min.js",
    );
    // The client guard (src/guard.rs): the same treatment as the banner's
    // script; it is inlined first in <head> of every page that refuses
    // something.
    minify(
        &esbuild,
        "src/banner/guard.js",
        &["--minify", "--target=es2015"],
        out,
        "guard.min.js",
    );
    // The stylesheet: whitespace only. Full minification would rewrite
    // colours (`#ffffff` → `#fff`), which the contrast test reads as written,
    // and save 13 bytes.
    minify(
        &esbuild,
        "src/banner/banner.css",
        &["--minify-whitespace"],
        out,
        "banner.min.css",
    );
}

fn esbuild() -> PathBuf {
    println!("cargo:rerun-if-env-changed=ESBUILD_BIN");
    if let Some(bin) = env::var_os("ESBUILD_BIN").filter(|b| Path::new(b).is_file()) {
        return PathBuf::from(bin);
    }
    let local = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("node_modules/.bin/esbuild");
    if local.is_file() {
        return local;
    }
    panic!(
        "esbuild not found (neither $ESBUILD_BIN nor {}): it minifies the banner's \
         script and stylesheet at build time. Run `make tools` to install it.",
        local.display()
    );
}

fn minify(esbuild: &Path, src: &str, flags: &[&str], out: &str, name: &str) {
    println!("cargo:rerun-if-changed={src}");
    let result = Command::new(esbuild)
        .arg(src)
        .args(flags)
        .arg("--log-level=warning")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}. Run `make tools`.", esbuild.display()));
    let stderr = String::from_utf8_lossy(&result.stderr);
    if !result.status.success() {
        panic!("esbuild {src}: {}\n{stderr}", result.status);
    }
    let text = String::from_utf8(result.stdout).expect("esbuild writes UTF-8");
    let text = text.trim_end();
    // Inlined into <script>/<style>: nothing may end the element early.
    let lower = text.to_ascii_lowercase();
    for bad in ["</script", "</style", "<!--"] {
        assert!(
            !lower.contains(bad),
            "{src}: minified output contains {bad}"
        );
    }
    fs::write(Path::new(out).join(name), text).unwrap_or_else(|e| panic!("writing {name}: {e}"));
}
