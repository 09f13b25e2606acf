//! The filter alone in wasm, for `bench/wasm-filter.mjs`: a page is copied
//! into [`buf`], [`run`] filters it as the worker would (16 KiB chunks,
//! `Filter::new`, `write`, `end`), [`parts`] times `banner::page_with` and
//! its pieces, [`lol`] runs the same chunks through lol_html alone (no
//! handlers, or no-op ones): the floor under the filter. No imports are called on these paths (the worker's shell is
//! compiled in but never entered), so node instantiates the module with
//! stubs.
//!
//! The global allocator is a feature: std's dlmalloc (none, as in the
//! worker), `classes` (free lists for small blocks in front of dlmalloc),
//! `talc`, `rlsf`, or `bump` — the floor: nothing is freed, and
//! [`run`] resets it to the mark [`mark`] set after the warm-up, so each page
//! allocates from the same memory (measurement only: it would exhaust an
//! isolate's memory in a few hundred pages).

use consent_edge::banner::{self, PageExtras, PageRequest, PageSettings, View};
use consent_edge::consent::{Grants, State};
use consent_edge::filter::{Config, Filter, Page};
use consent_edge::jurisdiction::Regime;
use consent_edge::trackers::Catalog;
use std::cell::RefCell;

// bench/floor's two handlers (`lol` mode 3), the same code as there.
#[path = "../floor/src/handlers.rs"]
mod floor_handlers;

#[cfg(feature = "talc")]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(feature = "rlsf")]
#[global_allocator]
static ALLOC: rlsf::GlobalTlsf = rlsf::GlobalTlsf::new();

#[cfg(feature = "bump")]
mod bump {
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::Cell;

    const PAGE: usize = 64 * 1024;

    /// Bump allocation in wasm memory grown on demand; the last block grows
    /// in place.
    pub struct Bump {
        next: Cell<usize>,
        end: Cell<usize>,
        mark: Cell<usize>,
    }

    // SAFETY: wasm32 without atomics is single-threaded.
    unsafe impl Sync for Bump {}

    impl Bump {
        pub fn mark(&self) {
            self.mark.set(self.next.get());
        }

        pub fn reset(&self) {
            if self.mark.get() != 0 {
                self.next.set(self.mark.get());
            }
        }
    }

    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let start = (self.next.get() + l.align() - 1) & !(l.align() - 1);
            let new = start + l.size();
            if new > self.end.get() {
                let pages = (new - self.end.get()).div_ceil(PAGE) + 16;
                let prev = core::arch::wasm32::memory_grow(0, pages);
                if prev == usize::MAX {
                    return std::ptr::null_mut();
                }
                if self.end.get() != prev * PAGE {
                    // Not contiguous (the first growth): start afresh there.
                    self.next.set(prev * PAGE);
                    self.end.set((prev + pages) * PAGE);
                    return self.alloc(l);
                }
                self.end.set((prev + pages) * PAGE);
            }
            self.next.set(new);
            start as *mut u8
        }

        unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}

        unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
            let at = p as usize;
            if at + l.size() == self.next.get() && at + size <= self.end.get() {
                self.next.set(at + size);
                return p;
            }
            if size <= l.size() {
                return p;
            }
            let q = self.alloc(Layout::from_size_align_unchecked(size, l.align()));
            if !q.is_null() {
                std::ptr::copy_nonoverlapping(p, q, l.size());
            }
            q
        }
    }

    #[global_allocator]
    pub static ALLOC: Bump = Bump {
        next: Cell::new(0),
        end: Cell::new(0),
        mark: Cell::new(0),
    };
}

/// Free lists per size class for small blocks in front of dlmalloc: what
/// the worker could use instead of dlmalloc alone (measured, not adopted:
/// docs/BENCHMARKS.md, "Wasm path, stop 13").
#[cfg(feature = "classes")]
mod classes {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;
    use std::ptr;

    /// Classes of 16, 32, …, 256 bytes; alignment up to 8.
    const STEP: usize = 16;
    const CLASSES: usize = 16;
    const ALIGN: usize = 8;

    pub struct Classes {
        /// Head of each class's free list; a free block holds the next
        /// one's address in its first word.
        free: [Cell<*mut u8>; CLASSES],
    }

    // SAFETY: wasm32 without atomics is single-threaded.
    unsafe impl Sync for Classes {}

    fn class(l: Layout) -> Option<usize> {
        (l.size() > 0 && l.size() <= STEP * CLASSES && l.align() <= ALIGN)
            .then(|| (l.size() - 1) / STEP)
    }

    fn block(c: usize) -> Layout {
        // SAFETY: 16..=256 bytes, a power-of-two alignment.
        unsafe { Layout::from_size_align_unchecked((c + 1) * STEP, ALIGN) }
    }

    unsafe impl GlobalAlloc for Classes {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let Some(c) = class(l) else {
                return System.alloc(l);
            };
            let head = self.free[c].get();
            if head.is_null() {
                return System.alloc(block(c));
            }
            self.free[c].set(head.cast::<*mut u8>().read());
            head
        }

        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            match class(l) {
                Some(c) => {
                    p.cast::<*mut u8>().write(self.free[c].get());
                    self.free[c].set(p);
                }
                None => System.dealloc(p, l),
            }
        }

        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            if class(l).is_none() {
                return System.alloc_zeroed(l);
            }
            let p = self.alloc(l);
            if !p.is_null() {
                ptr::write_bytes(p, 0, l.size());
            }
            p
        }

        unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
            let new = Layout::from_size_align_unchecked(size, l.align());
            match (class(l), class(new)) {
                (Some(a), Some(b)) if a == b => p,
                (None, None) => System.realloc(p, l, size),
                _ => {
                    let q = self.alloc(new);
                    if !q.is_null() {
                        ptr::copy_nonoverlapping(p, q, l.size().min(size));
                        self.dealloc(p, l);
                    }
                    q
                }
            }
        }
    }

    #[global_allocator]
    static ALLOC: Classes = Classes {
        free: [const { Cell::new(ptr::null_mut()) }; CLASSES],
    };
}

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Room for an `n`-byte page; the caller writes it there before [`run`].
#[no_mangle]
pub extern "C" fn buf(n: usize) -> *mut u8 {
    INPUT.with_borrow_mut(|b| {
        // Reserved once, large enough for the corpus: no allocation after
        // the bump allocator's mark.
        b.reserve(256 * 1024);
        b.clear();
        b.resize(n, 0);
        b.as_mut_ptr()
    })
}

/// The bump allocator's reset point (no-op with the others).
#[no_mangle]
pub extern "C" fn mark() {
    #[cfg(feature = "bump")]
    bump::ALLOC.mark();
}

/// Filters the first `n` bytes of [`buf`] for a visitor who granted nothing
/// (`all == 0`) or everything, with nothing to inject (`inject == 0`) or the
/// worker's injection (banner, guard, declaration, status) for the embedded
/// configuration (1); 2: also the worker's catalog and filter settings (from
/// `consent.toml`) and the `Content-Type` charset. Returns the output's
/// length.
#[no_mangle]
pub extern "C" fn run(n: usize, all: u32, inject: u32) -> usize {
    #[cfg(feature = "bump")]
    bump::ALLOC.reset();
    let grants = grants(all);
    let page = if inject == 0 {
        Page {
            grants,
            ..Page::default()
        }
    } else {
        injected(grants)
    };
    INPUT.with_borrow(|html| {
        let mut f = if inject < 2 {
            Filter::new(Catalog::embedded(), &Config::default(), page, None)
        } else {
            let cfg = consent_edge::config::Config::embedded().settings();
            Filter::new(Catalog::configured(), &cfg.filter, page, Some("utf-8"))
        };
        let mut out = 0;
        for c in html[..n].chunks(16 * 1024) {
            out += f.write(c).len();
        }
        out + f.end().len()
    })
}

/// The first `n` bytes of [`buf`] through lol_html alone, in the same
/// 16 KiB chunks and into the same kind of sink as [`run`] (the output taken
/// as a fresh `Vec` after each write, as `Filter::write` returns it), with
/// `mode` 0: no handler (lol_html's parse and serialisation, nothing
/// matched); 1: a no-op element handler on `*` and a no-op text handler on
/// `script`; 2: no-op handlers on what the filter registers for a refusing
/// visitor (`src/filter/handlers/mod.rs`: the element handler on `*`, the
/// text of `style`, comments and text in `svg, math`, the document end; as
/// `bench/filter.rs`'s `noop_filter_selectors`); 3: `bench/floor`'s two
/// handlers (`script[src]`: an attribute set; `script` text: a chunk removed
/// when it names `gtag(`), to set its workerd figures beside V8's. Returns
/// the output's length.
#[no_mangle]
pub extern "C" fn lol(n: usize, mode: u32) -> usize {
    use lol_html::{comments, element, end, text, HtmlRewriter, Settings};
    #[cfg(feature = "bump")]
    bump::ALLOC.reset();
    let mut s = Settings::new();
    if mode == 1 {
        s = s
            .append_element_content_handler(element!("*", |_el| Ok(())))
            .append_element_content_handler(text!("script", |_t| Ok(())));
    } else if mode == 2 {
        s = s
            .append_element_content_handler(element!("*", |_el| Ok(())))
            .append_element_content_handler(text!("style", |_t| Ok(())))
            .append_element_content_handler(comments!("svg, math", |_c| Ok(())))
            .append_element_content_handler(text!("svg, math", |_t| Ok(())))
            .append_document_content_handler(end!(|_e| Ok(())));
    } else if mode == 3 {
        s = floor_handlers::two_handlers(s);
    }
    let sink = std::rc::Rc::new(RefCell::new(Vec::new()));
    let into = sink.clone();
    let mut rw = HtmlRewriter::new(s, move |c: &[u8]| into.borrow_mut().extend_from_slice(c));
    INPUT.with_borrow(|html| {
        let mut out = 0;
        for c in html[..n].chunks(16 * 1024) {
            if rw.write(c).is_err() {
                return 0;
            }
            out += std::mem::take(&mut *sink.borrow_mut()).len();
        }
        if rw.end().is_err() {
            return 0;
        }
        out + std::mem::take(&mut *sink.borrow_mut()).len()
    })
}

fn grants(all: u32) -> Grants {
    if all == 0 {
        Grants::NECESSARY_ONLY
    } else {
        Grants::ALL
    }
}

fn state(grants: Grants) -> State {
    let mut state = State::with_decision(Regime::strictest(), None, false);
    state.grants = grants;
    state
}

/// What the worker's `proxy::response` builds for a page of the bench (no
/// `Accept-Language`, no CSP, a form token).
fn injected(grants: Grants) -> Page {
    let cfg = consent_edge::config::Config::embedded().settings();
    let state = state(grants);
    banner::page_with(
        &PageRequest {
            state: &state,
            route: None,
            accept_language: None,
            return_to: "/corpus/page.html",
            csp: None,
            host: "127.0.0.1",
            token: Some("1.2.3.4.5"),
        },
        &PageSettings::of(cfg),
        &PageExtras {
            catalog: Some(Catalog::embedded()),
            token: &banner::token_from(&[7; 16]),
            frame: false,
        },
    )
}

/// `page_with` (`part` 0) or one of its pieces, `iters` times: 1 `texts`,
/// 2 `banner_html`, 3 `declaration_html`, 4 `status_html`, 5
/// `head_signals`, 6 `negotiate` alone, 7 the guard tag. Pieces 1–5 include
/// `negotiate`. Returns a length, so nothing is optimised away.
#[no_mangle]
pub extern "C" fn parts(iters: u32, all: u32, part: u32) -> usize {
    let grants = grants(all);
    let state = state(grants);
    let cfg = consent_edge::config::Config::embedded().settings();
    let ps = PageSettings::of(cfg);
    let mut n = 0;
    for _ in 0..iters {
        if part == 0 {
            let p = injected(grants);
            n += p.head_start.len() + p.body_end.len();
            continue;
        }
        if part == 7 {
            let tag =
                consent_edge::guard::guard_script_for_page(Catalog::embedded(), grants, &[], None);
            n += tag.map_or(0, |s| s.len());
            continue;
        }
        let lang = banner::negotiate(None, ps.banner);
        let view = View {
            variant: &state.regime.variant,
            model: state.regime.model,
            grants,
            decided: false,
            gpc: false,
            decision: None,
            lang: &lang,
            return_to: "/corpus/page.html",
            endpoint: ps.endpoint,
            policy_url: ps.policy_url,
            nonce: None,
            jurisdiction: &state.regime.id,
            token: Some("1.2.3.4.5"),
            residual: 0,
        };
        n += match part {
            1 => banner::texts(&lang, ps.banner).title.len(),
            2 => banner::banner_html(&view, ps.banner).len(),
            3 => banner::declaration_html(&view, ps.banner, ps.cookies).len(),
            4 => banner::status_html(&view, ps.banner).len(),
            5 => banner::head_signals(&view, ps.banner).len(),
            _ => lang.len(),
        };
    }
    n
}
