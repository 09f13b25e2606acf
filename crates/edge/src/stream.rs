//! The HTML body pump: the origin's stream through the filter, chunk by chunk.
//!
//!
//! The origin's body is pumped by a few lines of JavaScript (`filterStream` below)
//! that call into wasm synchronously for every chunk: no Rust future, no
//! wasm-streams adapter, no promise round trip through Rust. The JavaScript
//! reads with a BYOB reader into a 64 KiB buffer (reused) where the runtime
//! offers one, so each crossing carries whatever the origin has delivered so
//! far: an 84 KB page is ~3 reads, against ~20 of ~4 KiB with the default
//! reader, which is most of the pump's cost in workerd.
//!
//! Per-response state lives in `FILTERS`, a slab indexed by a handle the
//! JavaScript holds. The three entry points are closures created once per
//! isolate (`HOOKS`), never per request. A slot is released exactly once:
//! by `end` (end of body), or by `free` when the visitor cancels the
//! response, the pump fails, or the output stream is garbage-collected
//! without either having happened (`FinalizationRegistry`). The last one is
//! what happens when a visitor disconnects mid-page: workerd does not call
//! `cancel` then, it drops the request's I/O context (checked in workerd
//! 1.20260426: three disconnects, three slots freed by the registry).

use consent_edge::proxy::{DocumentBody, Slab};
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
const BUF = 64 * 1024;
const gone = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry(([free, h]) => free(h))
  : null;
export function filterStream(src, h, write, end, free) {
  let reader, byob = true;
  try { reader = src.getReader({ mode: "byob" }); } catch { reader = src.getReader(); byob = false; }
  let open = true, buf = null;
  const token = {};
  const release = () => {
    if (open) { open = false; if (gone) gone.unregister(token); free(h); }
  };
  const finish = (ctl) => {
    open = false;
    if (gone) gone.unregister(token);
    const tail = end(h);
    if (tail.length) ctl.enqueue(tail);
    ctl.close();
  };
  const out = new ReadableStream({
    async pull(ctl) {
      for (;;) {
        let r;
        try {
          const into = byob ? buf || new Uint8Array(BUF) : null;
          buf = null;
          r = byob ? await reader.read(into) : await reader.read();
        } catch (e) {
          // The origin broke off: close the document cleanly.
          console.error(`consent-edge: origin body ended early: ${e}`);
          if (open) finish(ctl);
          return;
        }
        if (!open) return;
        if (r.done) return finish(ctl);
        try {
          const o = write(h, r.value);
          // `write` copied the chunk into wasm memory: reuse its buffer.
          if (byob) buf = new Uint8Array(r.value.buffer);
          if (o.length) return ctl.enqueue(o);
        } catch (e) {
          release();
          throw e;
        }
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
  if (gone) gone.register(out, [free, h], token);
  return out;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = filterStream)]
    fn filter_stream(
        src: &web_sys::ReadableStream,
        handle: u32,
        write: &js_sys::Function,
        end: &js_sys::Function,
        free: &js_sys::Function,
    ) -> web_sys::ReadableStream;
}

type WriteHook =
    dyn FnMut(u32, js_sys::Uint8Array) -> std::result::Result<js_sys::Uint8Array, JsValue>;
type EndHook = dyn FnMut(u32) -> std::result::Result<js_sys::Uint8Array, JsValue>;

/// The JavaScript pump's entry points into wasm, one set per isolate.
struct Hooks {
    write: wasm_bindgen::closure::Closure<WriteHook>,
    end: wasm_bindgen::closure::Closure<EndHook>,
    free: wasm_bindgen::closure::Closure<dyn FnMut(u32)>,
}

thread_local! {
    /// The live filters of this isolate, by the handle the JavaScript holds.
    static FILTERS: std::cell::RefCell<Slab<DocumentBody>> = std::cell::RefCell::default();
    /// Input bytes of the chunk being filtered (reused: one allocation per isolate).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    static HOOKS: Hooks = Hooks {
        write: wasm_bindgen::closure::Closure::new(|h: u32, chunk: js_sys::Uint8Array| {
            SCRATCH.with_borrow_mut(|buf| {
                buf.resize(chunk.length() as usize, 0);
                chunk.copy_to(buf);
                let out = FILTERS
                    .with_borrow_mut(|s| s.get(h).map(|f| f.write(buf)))
                    .ok_or_else(|| JsValue::from_str("consent-edge: unknown filter handle"))?;
                if buf.capacity() > 1 << 20 {
                    *buf = Vec::new();
                }
                Ok(js_sys::Uint8Array::from(out.as_slice()))
            })
        }),
        end: wasm_bindgen::closure::Closure::new(|h: u32| {
            let f = FILTERS
                .with_borrow_mut(|s| s.remove(h))
                .ok_or_else(|| JsValue::from_str("consent-edge: unknown filter handle"))?;
            Ok(js_sys::Uint8Array::from(f.end().as_slice()))
        }),
        free: wasm_bindgen::closure::Closure::new(|h: u32| {
            drop(FILTERS.with_borrow_mut(|s| s.remove(h)));
        }),
    };
}

/// The origin's body through `filter`, as a stream the runtime can send:
/// each origin chunk goes through lol_html (decoded to UTF-8 first when the
/// document is not ASCII-compatible, see [`DocumentBody`]) and its output
/// leaves at once. `None` when this isolate already streams 65 536 responses.
pub fn filtered(
    input: &web_sys::ReadableStream,
    filter: DocumentBody,
) -> Option<web_sys::ReadableStream> {
    let handle = FILTERS.with_borrow_mut(|s| s.insert(filter))?;
    Some(HOOKS.with(|k| {
        filter_stream(
            input,
            handle,
            k.write.as_ref().unchecked_ref(),
            k.end.as_ref().unchecked_ref(),
            k.free.as_ref().unchecked_ref(),
        )
    }))
}
