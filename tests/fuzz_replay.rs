//! The short smoke version of `make fuzz`: every committed seed
//! (`fuzz/corpus/<target>/`) and every regression input found by the
//! fuzzers (`fuzz/regressions/<target>/`) goes through the same checks the
//! cargo-fuzz targets run (`fuzz/checks.rs`), natively, under `cargo test`.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

/// Runs `check` on every file of `fuzz/corpus/<target>` and
/// `fuzz/regressions/<target>`; returns how many inputs were replayed.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    replay_dirs(&["corpus", "regressions"], target, check)
}

fn replay_dirs(dirs: &[&str], target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            if f.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            let data = std::fs::read(&f).expect("readable input");
            let name = f.display().to_string();
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                panic!("{name} fails the {target} checks (replay with: cargo +nightly fuzz run {target} {name})");
            }
            n += 1;
        }
    }
    n
}

#[test]
fn cookie_inputs() {
    assert!(
        replay("cookie", checks::check_cookie) >= 5,
        "the cookie corpus is missing"
    );
}

#[test]
fn endpoint_inputs() {
    assert!(
        replay("endpoint", checks::check_endpoint) >= 5,
        "the endpoint corpus is missing"
    );
}

#[test]
fn enforce_inputs() {
    assert!(
        replay("enforce", checks::check_enforce) >= 3,
        "the enforce corpus is missing"
    );
}

#[test]
fn negotiate_inputs() {
    assert!(
        replay("negotiate", checks::check_negotiate) >= 3,
        "the negotiate corpus is missing"
    );
}

#[test]
fn filter_inputs() {
    assert!(
        replay("filter", checks::check_filter) >= 5,
        "the filter corpus is missing"
    );
}

/// The checks themselves can fail: a forged signature, an unsafe redirect
/// and a chunking-dependent output are caught.
#[test]
fn checks_catch_violations() {
    use consent_edge::consent::endpoint::safe_return_to;
    for bad in [
        "//evil.example",
        "/\\evil.example",
        "https:evil.example",
        "/%2F%2Fevil",
        "/%5Cevil",
        "/%252F%252Fevil",
    ] {
        assert_eq!(safe_return_to(bad), "/", "{bad}");
    }
    let page = checks::filter_page(consent_edge::consent::Grants::NECESSARY_ONLY, true);
    let html = b"<script>gtag('config','G-1')</script><body>x</body>";
    let cfg = consent_edge::filter::Config::default();
    let (a, _) = checks::filter_run(html, &cfg, &page, Some("utf-8"), &[usize::MAX]);
    let (b, _) = checks::filter_run(html, &cfg, &page, Some("utf-8"), &[1]);
    assert_eq!(a, b);
    assert!(String::from_utf8_lossy(&a).contains("text/plain"));
}
