//! The inline-script signature automaton, in two tiers.
//!
//! Measured natively (examples/startup.rs, median of 15, two runs on the
//! shared machine, load ≈ 7 then quiet; docs/BENCHMARKS.md "Startup
//! (stop 11)") on the shipped 745 signatures: a DFA takes 32 / 13 ms to
//! build and 6.5 MiB, and scans the corpus' 4.6 MiB of script text in
//! 28 / 14.5 ms; a contiguous NFA takes 6 / 4.2 ms and 0.45 MiB, and scans
//! the same text in 61 / 35.6 ms (a larger dense depth buys nothing). The
//! DFA was built on the first request and was most of the cold start.
//!
//! So an isolate starts on the contiguous NFA, built when the first inline
//! script is scanned (a request without one never builds anything), and
//! moves to the DFA once it has scanned [`DFA_AFTER`] bytes of script: the
//! NFA's extra scanning time then about equals the DFA's build time (the
//! rent-or-buy rule, never more than twice the better choice in hindsight),
//! and a busy isolate keeps the DFA's hot-path speed from there on. Both
//! kinds report the same matches with the same pattern ids, so which one
//! ran is invisible to the filter.

use super::tables::signature_automaton;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Script bytes scanned on the NFA before the DFA is built: the NFA costs
/// 4.6–7 ms more per MiB scanned than the DFA, the DFA 13–32 ms to build
/// (the two runs above), so they break even after 3–4.5 MiB.
pub(crate) const DFA_AFTER: usize = 4 << 20;

/// The two tiers, each built on first need.
#[derive(Debug, Default)]
pub(crate) struct Signatures {
    nfa: OnceLock<Option<AhoCorasick>>,
    dfa: OnceLock<Option<AhoCorasick>>,
    scanned: AtomicUsize,
}

impl Signatures {
    /// Tiers with the NFA already built (a catalog compiled at run time
    /// builds it eagerly to report a signature set that cannot be built).
    pub(crate) fn with_nfa(nfa: AhoCorasick) -> Signatures {
        let s = Signatures::default();
        let _ = s.nfa.set(Some(nfa));
        s
    }

    /// The automaton to scan `len` more bytes with: the DFA once it exists
    /// or is due, else the NFA; `None` without signatures. `build.rs`
    /// built both from these very signatures, so neither can fail in a
    /// built worker; if the DFA did anyway, the NFA goes on.
    pub(crate) fn for_scan<'a>(
        &self,
        signatures: impl Fn() -> Vec<&'a str>,
        len: usize,
    ) -> Option<&AhoCorasick> {
        let build = |kind| {
            let sigs = signatures();
            (!sigs.is_empty())
                .then(|| signature_automaton(kind, sigs).ok())
                .flatten()
        };
        if let Some(Some(dfa)) = self.dfa.get() {
            return Some(dfa);
        }
        let before = self.scanned.fetch_add(len, Ordering::Relaxed);
        if before.saturating_add(len) >= DFA_AFTER {
            if let Some(dfa) = self.dfa.get_or_init(|| build(AhoCorasickKind::DFA)) {
                return Some(dfa);
            }
        }
        self.nfa
            .get_or_init(|| build(AhoCorasickKind::ContiguousNFA))
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfa_first_then_dfa_with_the_same_matches() {
        let sigs = || vec!["gtag('config'", "fbq(", "_hmt.push"];
        let tiers = Signatures::default();
        let text = "x;FBQ('init');gtag('config','G-1');_hmt.push(1)";
        let ids = |ac: &AhoCorasick| -> Vec<usize> {
            ac.find_overlapping_iter(text)
                .map(|m| m.pattern().as_usize())
                .collect()
        };
        let nfa = tiers.for_scan(sigs, text.len()).expect("automaton");
        assert_eq!(nfa.kind(), AhoCorasickKind::ContiguousNFA);
        let before = ids(nfa);
        assert_eq!(before, [1, 0, 2]);
        // Still the NFA just below the threshold, the DFA from it on.
        let nfa = tiers
            .for_scan(sigs, DFA_AFTER - 2 * text.len())
            .expect("automaton");
        assert_eq!(nfa.kind(), AhoCorasickKind::ContiguousNFA);
        let dfa = tiers.for_scan(sigs, text.len()).expect("automaton");
        assert_eq!(dfa.kind(), AhoCorasickKind::DFA);
        assert_eq!(ids(dfa), before);
        assert_eq!(
            tiers.for_scan(sigs, 1).map(AhoCorasick::kind),
            Some(AhoCorasickKind::DFA)
        );
        assert!(Signatures::default().for_scan(Vec::new, 10).is_none());
    }
}
