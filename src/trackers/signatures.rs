//! The inline-script signature automaton, in two tiers.
//!
//! Measured natively (examples/startup.rs; shared machine, median of 15,
//! same run; docs/BENCHMARKS.md "Startup (stop 11)") on the shipped 745
//! signatures: a DFA takes 32–48 ms to build and 6.5 MiB, and scans the
//! corpus' 4.7 MiB of script text in 28 ms; a contiguous NFA takes 6–13 ms
//! and 0.3–0.45 MiB, and scans the same text in 61 ms. The DFA was built on
//! the first request and was most of the cold start.
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
use super::NameRow;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Script bytes scanned on the NFA before the DFA is built: the NFA costs
/// about 7 ms more per MiB scanned than the DFA ((61 − 28) ms / 4.7 MiB),
/// the DFA about 32 ms to build.
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
    pub(crate) fn for_scan(&self, signatures: &[NameRow], len: usize) -> Option<&AhoCorasick> {
        if signatures.is_empty() {
            return None;
        }
        let build = |kind| signature_automaton(kind, signatures.iter().map(|s| s.0.as_ref())).ok();
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
