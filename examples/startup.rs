//! Times each step the worker takes on its first request, natively:
//! `cargo run --release --example startup [-- ROUNDS]`.
//!
//! Two kinds of figures, each a median over `ROUNDS` (default 21) so one
//! slow round on a shared machine does not decide:
//! - **first use**: the example runs itself `ROUNDS` times as a fresh
//!   process (`--first`) and times what an isolate does once: loading the
//!   configuration, the catalog, the first inline-script scan (the
//!   signature automaton), the first filter (the selectors), the first
//!   guard tag, and the `start` event's warm-up (`proxy::warm::run`, once
//!   everything before it is built);
//! - **in process**: one step repeated (the old JSON path, a catalog
//!   compiled at run time, each automaton kind's build, memory and scan
//!   speed over the corpus pages).
//!
//! Results: docs/BENCHMARKS.md, "Startup (stop 11)" and "(stop 12)".

use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use consent_edge::config::Config;
use consent_edge::consent::Grants;
use consent_edge::filter::{Filter, Page};
use consent_edge::trackers::Catalog;
use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<R>(rounds: usize, mut f: impl FnMut() -> R) -> Duration {
    median(
        (0..rounds)
            .map(|_| {
                let t = Instant::now();
                black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn row(name: &str, d: Duration) {
    println!("| {name} | {:.3} |", ms(d));
}

const FIRST_STEPS: [&str; 7] = [
    "first serde_json of consent.json (the settings' path before stop 12; the JSON made untimed)",
    "first Config::embedded() (settings from the generated Rust expression)",
    "first Catalog::configured()",
    "first inline-script scan (automaton)",
    "first Filter::new (selectors)",
    "first guard tag (nothing granted)",
    "first warm-up (proxy::warm::run, the rest already built)",
];

/// One fresh process: each first-use step once, in nanoseconds.
fn first_use() {
    let mut out = Vec::new();
    let mut step = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        out.push(t.elapsed().as_nanos().to_string());
    };
    let json = consent_edge_config::from_toml(
        consent_edge::config::EMBEDDED,
        consent_edge::trackers::EMBEDDED,
    )
    .expect("valid")
    .to_json()
    .0;
    step(&mut || {
        black_box(serde_json::from_str::<consent_edge::config::Settings>(&json).expect("valid"));
    });
    step(&mut || {
        black_box(Config::embedded());
    });
    step(&mut || {
        black_box(Catalog::configured());
    });
    let cat = Catalog::configured();
    step(&mut || {
        black_box(cat.match_script_all(b"window.dataLayer=[];console.log(1)"));
    });
    let cfg = Config::embedded();
    step(&mut || {
        let page = Page {
            grants: Grants::NECESSARY_ONLY,
            ..Page::default()
        };
        black_box(Filter::new(cat, &cfg.filter, page, None));
    });
    step(&mut || {
        black_box(consent_edge::guard::guard_script(
            cat,
            Grants::NECESSARY_ONLY,
            Some("n"),
        ));
    });
    step(&mut || {
        black_box(consent_edge::proxy::warm::run(cfg, cat).expect("warm-up"));
    });
    println!("{}", out.join(" "));
}

fn corpus() -> Vec<Vec<u8>> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/node_modules/htmlparser-benchmark/files"
    );
    let mut pages: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    pages.sort();
    pages
}

/// The text of every `<script>` element of the pages (a rough cut on the
/// bytes, enough to scan what the filter scans).
fn inline_scripts(pages: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let find = |h: &[u8], n: &[u8], from: usize| {
        h.get(from..)?
            .windows(n.len())
            .position(|w| w.eq_ignore_ascii_case(n))
            .map(|p| p + from)
    };
    let mut out = Vec::new();
    for p in pages {
        let mut at = 0;
        while let Some(open) = find(p, b"<script", at) {
            let Some(gt) = find(p, b">", open) else { break };
            let Some(close) = find(p, b"</script", gt) else {
                break;
            };
            out.push(p[gt + 1..close].to_vec());
            at = close + 8;
        }
    }
    out
}

fn automata(rounds: usize, patterns: &[&str]) {
    let pages = corpus();
    let scripts = inline_scripts(&pages);
    let kib = |v: &[Vec<u8>]| v.iter().map(Vec::len).sum::<usize>() / 1024;
    println!(
        "\nsignature patterns: {}; scan = is_match, then the overlapping find when it matches (as `match_script_all`), over the {} corpus pages whole ({} KiB) and over their {} script texts ({} KiB)\n",
        patterns.len(),
        pages.len(),
        kib(&pages),
        scripts.len(),
        kib(&scripts)
    );
    println!(
        "| kind | build ms | memory KiB | scan pages ms | scan scripts ms |\n|---|---|---|---|---|"
    );
    let kinds = [
        (AhoCorasickKind::DFA, 3),
        (AhoCorasickKind::ContiguousNFA, 3),
        (AhoCorasickKind::ContiguousNFA, 6),
        (AhoCorasickKind::ContiguousNFA, 12),
        (AhoCorasickKind::NoncontiguousNFA, 3),
    ];
    for (kind, depth) in kinds {
        let build = || {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(kind))
                .dense_depth(depth)
                .build(patterns)
                .expect("automaton")
        };
        let built = time(rounds, build);
        let ac = build();
        let scan = |texts: &[Vec<u8>]| {
            time(rounds, || {
                let mut n = 0;
                for p in texts {
                    if ac.is_match(p.as_slice()) {
                        n += ac.find_overlapping_iter(p.as_slice()).count();
                    }
                }
                n
            })
        };
        println!(
            "| {kind:?}, dense depth {depth} | {:.2} | {} | {:.2} | {:.2} |",
            ms(built),
            ac.memory_usage() / 1024,
            ms(scan(&pages)),
            ms(scan(&scripts))
        );
    }
}

/// The host lookup of the hot path: the static hashed table (FNV-1a
/// buckets, `trackers/tables.rs`) against the `HashMap` it replaced, rebuilt here from
/// the same entries, on the same host/path pairs.
fn host_lookup(rounds: usize, cat: &Catalog) {
    use std::collections::HashMap;
    let mut map: HashMap<String, Vec<(String, usize)>> = HashMap::new();
    for (h, p, i) in cat.host_entries() {
        map.entry(h.to_string())
            .or_default()
            .push((p.to_ascii_lowercase(), i));
    }
    let old = |host: &str, path: &str| -> Option<usize> {
        let mut h = host;
        loop {
            if let Some(es) = map.get(h) {
                for (p, i) in es {
                    let ok = p.is_empty()
                        || (path.len() >= p.len()
                            && path.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
                            && (path.len() == p.len() || path.as_bytes()[p.len()] == b'/'));
                    if ok {
                        return Some(*i);
                    }
                }
            }
            h = &h[h.find('.')? + 1..];
        }
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (i, (h, p, _)) in cat.host_entries().enumerate() {
        pairs.push((format!("cdn.{h}"), format!("{p}/x.js")));
        pairs.push((format!("www.site{i}.example.com"), "/img/a.png".into()));
    }
    let new_t = time(rounds, || {
        pairs
            .iter()
            .filter(|(h, p)| cat.match_host_path(h, p).is_some())
            .count()
    });
    let old_t = time(rounds, || {
        pairs.iter().filter(|(h, p)| old(h, p).is_some()).count()
    });
    println!(
        "\nhost lookup, {} host/path pairs (half on catalog hosts, half not): static hashed table {:.3} ms, HashMap {:.3} ms",
        pairs.len(),
        ms(new_t),
        ms(old_t)
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("--first") {
        return first_use();
    }
    let rounds: usize = first.and_then(|a| a.parse().ok()).unwrap_or(21);
    println!("median of {rounds} rounds, native release build\n");

    let exe = std::env::current_exe().expect("own path");
    let mut runs: Vec<Vec<Duration>> = vec![Vec::new(); FIRST_STEPS.len()];
    for _ in 0..rounds {
        let out = Command::new(&exe).arg("--first").output().expect("child");
        let text = String::from_utf8_lossy(&out.stdout);
        for (i, n) in text.split_whitespace().enumerate() {
            runs[i].push(Duration::from_nanos(n.parse().expect("nanoseconds")));
        }
    }
    println!("| first use, fresh process | ms |\n|---|---|");
    for (name, r) in FIRST_STEPS.iter().zip(runs) {
        row(name, median(r));
    }

    // The JSON build.rs wrote before stop 11 (both files), made here.
    let json = consent_edge_config::from_toml(
        consent_edge::config::EMBEDDED,
        consent_edge::trackers::EMBEDDED,
    )
    .expect("valid")
    .to_json();
    let cfg = Config::embedded();
    println!("\n| in process | ms |\n|---|---|");
    row(
        &format!(
            "both files from JSON ({} + {} bytes) + validate (the wasm's path before stop 11)",
            json.0.len(),
            json.1.len()
        ),
        time(rounds, || {
            consent_edge_config::from_json(&json.0, &json.1).expect("valid")
        }),
    );
    row(
        &format!(
            "consent.json alone ({} bytes), serde_json (the wasm's path before stop 12)",
            json.0.len()
        ),
        time(rounds, || {
            serde_json::from_str::<consent_edge::config::Settings>(&json.0).expect("valid")
        }),
    );
    row(
        "settings from the generated Rust expression (config::static_settings, stop 12)",
        time(rounds, consent_edge::config::static_settings),
    );
    row(
        "Catalog::from_config: compiled at run time, automaton included",
        time(rounds, || Catalog::from_config(cfg).expect("valid")),
    );
    let cat = Catalog::configured();
    row(
        "later Filter::new",
        time(rounds, || {
            let page = Page {
                grants: Grants::NECESSARY_ONLY,
                ..Page::default()
            };
            Filter::new(cat, &cfg.filter, page, None)
        }),
    );
    row(
        "later guard tag (nothing granted)",
        time(rounds, || {
            consent_edge::guard::guard_script(cat, Grants::NECESSARY_ONLY, Some("n"))
        }),
    );
    row(
        "later warm-up (proxy::warm::run: one synthetic page, nothing granted)",
        time(rounds, || {
            consent_edge::proxy::warm::run(cfg, cat).expect("warm-up")
        }),
    );
    host_lookup(rounds, cat);
    let patterns: Vec<&str> = cat
        .vendors()
        .iter()
        .flat_map(|v| v.scripts.iter().map(String::as_str))
        .collect();
    automata(rounds, &patterns);
}
