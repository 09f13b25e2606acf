//! The windowed inline-script scan ([`Catalog::match_inline`]) against the
//! full scan it replaced (the plain scan, then [`Catalog::match_inline_extra`]
//! over the whole normalised text): the same vendors in the same order, on
//! scripts made of the catalog's real signatures cut into pieces by every
//! joint `normalise` undoes, and noise.

use super::normalise::normalise;
use super::{Catalog, Vendor};
use proptest::prelude::*;

/// The full scan's vendors, duplicates dropped: the order the filter
/// weighs them in (the strictest refused wins, the first among equals).
/// The normalised text is scanned whole whenever normalising had work to
/// do (the old code skipped it only when it had none, and then it finds
/// only what the plain scan found).
fn full_scan(c: &Catalog, text: &[u8]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let plain = c.match_script_all(text);
    let norm = normalise(text);
    let again = c.match_script_all(&norm.text);
    let extra = c.match_inline_extra(text);
    for v in plain.into_iter().chain(again).chain(extra) {
        if !ids.contains(&v.id) {
            ids.push(v.id.clone());
        }
    }
    ids
}

fn windowed(c: &Catalog, text: &[u8]) -> Vec<String> {
    c.match_inline(text)
        .iter()
        .map(|v: &&Vendor| v.id.clone())
        .collect()
}

/// Every stretch of the normalised text that no changed range overlaps
/// or cuts is a substring of the text as written.
fn assert_unchanged_stretches_are_written(text: &[u8]) {
    let norm = normalise(text);
    let t = &norm.text;
    let mut cuts: Vec<usize> = vec![0, t.len()];
    for r in &norm.changed {
        assert!(r.start <= r.end && r.end <= t.len(), "{r:?} in {}", t.len());
        cuts.extend([r.start, r.end]);
    }
    cuts.sort_unstable();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let inside = norm
            .changed
            .iter()
            .any(|r| r.start <= a && b <= r.end && r.start < r.end);
        if a < b && !inside {
            let s = &t[a..b];
            assert!(
                text.windows(s.len()).any(|x| x == s),
                "{:?} (of {:?}) is not in {:?}",
                String::from_utf8_lossy(s),
                String::from_utf8_lossy(t),
                String::from_utf8_lossy(text)
            );
        }
    }
}

fn check(text: &[u8]) {
    let c = Catalog::embedded();
    assert_eq!(
        windowed(c, text),
        full_scan(c, text),
        "{:?}",
        String::from_utf8_lossy(text)
    );
    assert_unchanged_stretches_are_written(text);
}

/// One piece of a generated script.
#[derive(Debug, Clone)]
enum Part {
    /// A signature (index into the catalog's), cut at these fractions of
    /// its length and joined back by `joint` (0: `'+'`, 1: `"+"`, 2:
    /// `' + '`, 3: `"\n+ '`, 4: an array `[…].join('')`), with `/`
    /// escaped as `\/` when `escape`.
    Signature {
        index: usize,
        cuts: Vec<u8>,
        joint: u8,
        escape: bool,
    },
    Noise(String),
}

fn part() -> impl Strategy<Value = Part> {
    prop_oneof![
        (
            any::<usize>(),
            prop::collection::vec(any::<u8>(), 0..4),
            0u8..5,
            any::<bool>()
        )
            .prop_map(|(index, cuts, joint, escape)| Part::Signature {
                index,
                cuts,
                joint,
                escape
            }),
        "[a-z0-9 '\"+\\\\/\\[\\]().,;=\n]{0,12}".prop_map(Part::Noise),
    ]
}

fn build(parts: &[Part]) -> Vec<u8> {
    let sigs: Vec<&str> = Catalog::embedded().signature_texts();
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Noise(s) => out.push_str(s),
            Part::Signature {
                index,
                cuts,
                joint,
                escape,
            } => {
                let sig = sigs[index % sigs.len()];
                let mut at: Vec<usize> = cuts
                    .iter()
                    .map(|c| usize::from(*c) * sig.len() / 256)
                    .filter(|&i| sig.is_char_boundary(i))
                    .collect();
                at.sort_unstable();
                at.dedup();
                let mut pieces = Vec::new();
                let mut from = 0;
                for i in at.into_iter().chain([sig.len()]) {
                    pieces.push(&sig[from..i]);
                    from = i;
                }
                let esc = |s: &str| {
                    if *escape {
                        s.replace('/', "\\/")
                    } else {
                        s.to_string()
                    }
                };
                let pieces: Vec<String> = pieces.into_iter().map(esc).collect();
                let joined = match joint {
                    0 => format!("'{}'", pieces.join("'+'")),
                    1 => format!("\"{}\"", pieces.join("\"+\"")),
                    2 => format!("'{}'", pieces.join("' + '")),
                    3 => format!("\"{}'", pieces.join("\"\n+ '")),
                    _ => format!("['{}'].join('')", pieces.join("','")),
                };
                out.push_str(&joined);
            }
        }
    }
    out.into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn windowed_scan_names_what_the_full_scan_names(parts in prop::collection::vec(part(), 0..8)) {
        check(&build(&parts));
    }
}

#[test]
fn the_window_reaches_as_far_as_the_longest_signature() {
    // The windowed scan's reach is the automaton's longest pattern: the
    // longest signature text, nothing shorter.
    let c = Catalog::embedded();
    let longest = c.signature_texts().iter().map(|s| s.len()).max();
    assert_eq!(Some(c.max_signature_len()), longest);
    assert!(c.max_signature_len() > 10);
}

#[test]
fn signatures_at_the_window_edges() {
    let c = Catalog::embedded();
    let longest = c
        .signature_texts()
        .into_iter()
        .max_by_key(|s| s.len())
        .unwrap();
    let pad = |n: usize| "x".repeat(n);
    let cases = [
        // A signature that only a joint spells out, at the start and the
        // end of the text, and one byte less or more than the longest
        // signature away from the joint.
        "'//static.'+'hotjar.com/c/hotjar-'".to_string(),
        format!("{}'google-analytics.com/analytics.js", pad(3)),
        format!("'google-'+'analytics.com/analytics.js'{}", pad(60)),
        format!("'{}'+'{}'", &longest[..1], &longest[1..]),
        format!(
            "'{}'+'{}'",
            &longest[..longest.len() - 1],
            &longest[longest.len() - 1..]
        ),
        format!("{}'{}'+''", pad(100), longest),
        format!("''+'{}'{}", longest, pad(100)),
        format!("'{}'+'{}'+'{}'", pad(57), longest, pad(57)),
        // A signature written out whole next to a joint (the plain scan's),
        // and one across an escaped slash and a joined array.
        format!("'{longest}'+'x'"),
        "s='googletagmanager.com\\/gtm.js'".to_string(),
        "['https://connect','facebook','net/en_US/fbevents'].join('.')".to_string(),
        "['www.google-','analytics.com/analytics.js'].join('')".to_string(),
        // An array whose `[` is inside a piece joined before it.
        "[\"[\",\"'googletagmanager.com/gtm\"].join('')].join('')+'.js'".to_string(),
        // Tag IDs in calls after normalising.
        "gtag('con'+'fig','AW-1')".to_string(),
        // A quote before `+` that starts no joint: nothing to scan again.
        "a='x'+b;c=\"y\" + d".to_string(),
        String::new(),
    ];
    for case in &cases {
        check(case.as_bytes());
    }
    // The second-last case changes nothing: no copy and no window.
    let n = normalise(b"a='x'+b;c=\"y\" + d");
    assert!(matches!(n.text, std::borrow::Cow::Borrowed(_)) && n.changed.is_empty());
    // Signatures only a joint spells out are found through the window.
    let ids = |s: &str| windowed(c, s.as_bytes());
    assert!(ids("'//static.'+'hotjar.com/c/hotjar-'").contains(&"hotjar".to_string()));
    assert!(ids(&format!(
        "{}'google-'+'analytics.com/ga.js'{}",
        pad(500),
        pad(500)
    ))
    .contains(&"google-analytics".to_string()));
}
