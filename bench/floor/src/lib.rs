//! The size floor of issue 16 item 2 (docs/BENCHMARKS.md, "Floors, stop
//! 15"): a Worker made of the mandated blocks alone. `fetch` asks the origin
//! (the `ORIGIN` var, no trailing slash, then the request's path and
//! query) and returns its body:
//! (a) no feature: a fixed response, no origin; (b) `stream`: the body
//! streamed back unchanged; (c) `rewrite`: the body streamed through
//! lol_html (UTF-8 in and out) with one element handler (`script[src]`: an
//! attribute set) and one text handler (`script`: a text chunk removed when
//! it names a tracker); (d) `star`: (c) and a no-op element handler on `*`
//! (every tag lexed, as under the filter's own `*` handler). For latency,
//! (e)–(g) `pump`: (b)–(d) with the body pumped by the project's JavaScript
//! BYOB pump (`crates/edge/src/stream.rs`) instead of the `worker` crate's
//! streams (identity: each chunk copied into wasm and out).
//!
//! Re-run (from this directory; `.cargo/config.toml` of the repository gives
//! the SIMD rustflags, Cargo.toml the profile and wasm-opt flags):
//!
//! ```sh
//! T=/work/main/node_modules/.bin
//! for f in a: b:"--features stream" c:"--features rewrite" \
//!   d:"--features star" e:"--features pump" f:"--features pump,rewrite" \
//!   g:"--features pump,star"; do
//!   WASM_BINDGEN_BIN=$HOME/.cargo/bin/wasm-bindgen ESBUILD_BIN=$T/esbuild \
//!     WASM_OPT_BIN=$T/wasm-opt worker-build --release --out-dir out/${f%%:*} . ${f#*:}
//!   # as the Makefile's build target: the name section dropped
//!   $T/wasm-opt --enable-mutable-globals --enable-sign-ext \
//!     --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue \
//!     --enable-reference-types --enable-exception-handling --enable-simd \
//!     --strip-debug --strip-producers out/${f%%:*}/index_bg.wasm -o out/${f%%:*}/shipped.wasm
//!   wc -c < out/${f%%:*}/shipped.wasm; gzip -9 -c out/${f%%:*}/shipped.wasm | wc -c
//! done
//! twiggy top -f csv -n 100000 out/c/index_bg.wasm   # names kept before the strip
//! ```
//!
//! What lol_html would weigh if only UTF-8 reached encoding_rs (measurement
//! only: encoding_rs's dispatch to every other charset cut, see
//! `utf8only/patch.py`): `python3 utf8only/patch.py /tmp/encoding_rs`, then
//! the same commands with `--config
//! 'patch.crates-io.encoding_rs.path="/tmp/encoding_rs"'` after the features
//! (and `git checkout Cargo.lock` afterwards).
//!
//! `node bench/floor/check.mjs` (from the repository) checks what each build
//! answers. `target/` and `out/` are not committed.

use worker::*;

#[cfg(not(feature = "stream"))]
#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    Response::ok("floor")
}

#[cfg(feature = "stream")]
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    // The origin's URL as a string: `Request::url` and `Fetch::Url` would
    // link the `url` crate and its IDNA tables (≈ 100 KB, measured apart).
    let url = req.inner().url();
    let path = url.splitn(4, '/').nth(3).unwrap_or_default();
    let origin = format!("{}/{path}", env.var("ORIGIN")?);
    let mut resp = Fetch::Request(Request::new(&origin, Method::Get)?)
        .send()
        .await?;
    let status = resp.status_code();
    let headers = resp.headers().clone();
    respond(&mut resp, status, headers)
}

/// The `worker` crate's own stream path: `ByteStream` (the default reader)
/// to a Rust `Stream`, back through `Response::from_stream` (wasm-streams).
#[cfg(all(feature = "stream", not(feature = "pump")))]
fn respond(resp: &mut Response, status: u16, headers: Headers) -> Result<Response> {
    let body = resp.stream()?;
    #[cfg(feature = "rewrite")]
    let body = rewrite::through_lol_html(body);
    Ok(Response::from_stream(body)?
        .with_status(status)
        .with_headers(headers))
}

/// The project's pump (`crates/edge/src/stream.rs`): a BYOB reader in a few
/// lines of JavaScript calling into wasm synchronously for each chunk.
#[cfg(feature = "pump")]
fn respond(resp: &mut Response, status: u16, headers: Headers) -> Result<Response> {
    let builder = ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers);
    Ok(match resp.body() {
        ResponseBody::Stream(input) => builder.stream(pump::filtered(input)),
        _ => builder.empty(),
    })
}

#[cfg(feature = "rewrite")]
mod handlers;
#[cfg(feature = "rewrite")]
mod rewrite {
    #[cfg(feature = "star")]
    use lol_html::element;
    use lol_html::{HtmlRewriter, OutputSink, Settings};
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Where lol_html writes; taken after each chunk.
    #[derive(Clone, Default)]
    pub struct Sink(pub Rc<RefCell<Vec<u8>>>);

    impl OutputSink for Sink {
        fn handle_chunk(&mut self, chunk: &[u8]) {
            self.0.borrow_mut().extend_from_slice(chunk);
        }
    }

    pub type Rewriter = HtmlRewriter<'static, Sink>;

    /// UTF-8 in and out (lol_html's default), one element handler and one
    /// text handler (and with `star`, a no-op one on `*` first).
    pub fn rewriter(out: &Sink) -> Rewriter {
        let settings = Settings::new();
        #[cfg(feature = "star")]
        let settings = settings.append_element_content_handler(element!("*", |_el| Ok(())));
        HtmlRewriter::new(crate::handlers::two_handlers(settings), out.clone())
    }

    /// The origin's chunks written to lol_html one by one, each step
    /// yielding what lol_html has output so far; `end` after the last.
    #[cfg(not(feature = "pump"))]
    pub fn through_lol_html(
        body: worker::ByteStream,
    ) -> impl futures_util::Stream<Item = worker::Result<Vec<u8>>> {
        use futures_util::stream::{self, StreamExt};
        let out = Sink::default();
        let rw = rewriter(&out);
        stream::unfold(Some((body, rw, out)), |state| async move {
            let (mut body, mut rw, out) = state?;
            let more = match body.next().await {
                Some(Ok(chunk)) => rw.write(&chunk).map(|()| Some(rw)),
                Some(Err(e)) => return Some((Err(e), None)),
                None => rw.end().map(|()| None),
            };
            let chunk = std::mem::take(&mut *out.0.borrow_mut());
            match more {
                Ok(Some(rw)) => Some((Ok(chunk), Some((body, rw, out)))),
                Ok(None) => Some((Ok(chunk), None)),
                Err(e) => Some((Err(worker::Error::RustError(e.to_string())), None)),
            }
        })
    }
}

/// `crates/edge/src/stream.rs`'s pump, cut to its bones: the JavaScript
/// reads with a BYOB reader into a reused 64 KiB buffer and calls `write`
/// (the chunk copied into wasm memory, lol_html's output copied out: the
/// identity without `rewrite`) and `end`; per-response state in a slab by
/// handle. (No `free` on cancel or garbage collection: a bench needs none.)
#[cfg(feature = "pump")]
mod pump {
    use std::cell::RefCell;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};

    #[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
const BUF = 64 * 1024;
export function pumpStream(src, h, write, end) {
  let reader, byob = true;
  try { reader = src.getReader({ mode: "byob" }); } catch { reader = src.getReader(); byob = false; }
  let buf = null;
  return new ReadableStream({
    async pull(ctl) {
      for (;;) {
        const into = byob ? buf || new Uint8Array(BUF) : null;
        buf = null;
        const r = byob ? await reader.read(into) : await reader.read();
        if (r.done) {
          const tail = end(h);
          if (tail.length) ctl.enqueue(tail);
          return ctl.close();
        }
        const o = write(h, r.value);
        if (byob) buf = new Uint8Array(r.value.buffer);
        if (o.length) return ctl.enqueue(o);
      }
    },
    cancel(reason) { return reader.cancel(reason); },
  });
}
"#)]
    extern "C" {
        #[wasm_bindgen(js_name = pumpStream)]
        fn pump_stream(
            src: &web_sys::ReadableStream,
            handle: u32,
            write: &js_sys::Function,
            end: &js_sys::Function,
        ) -> web_sys::ReadableStream;
    }

    #[cfg(feature = "rewrite")]
    type Body = (super::rewrite::Rewriter, super::rewrite::Sink);
    #[cfg(not(feature = "rewrite"))]
    type Body = ();

    type WriteHook = dyn FnMut(u32, js_sys::Uint8Array) -> Result<js_sys::Uint8Array, JsValue>;
    type EndHook = dyn FnMut(u32) -> Result<js_sys::Uint8Array, JsValue>;

    thread_local! {
        static BODIES: RefCell<Vec<Option<Body>>> = const { RefCell::new(Vec::new()) };
        static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        static HOOKS: (Closure<WriteHook>, Closure<EndHook>) = (
            Closure::new(|h: u32, chunk: js_sys::Uint8Array| {
                SCRATCH.with_borrow_mut(|buf| {
                    buf.resize(chunk.length() as usize, 0);
                    chunk.copy_to(buf);
                    BODIES.with_borrow_mut(|b| {
                        let body = b.get_mut(h as usize).and_then(Option::as_mut);
                        let body = body.ok_or_else(|| JsValue::from_str("unknown handle"))?;
                        write(body, buf)
                    })
                })
            }),
            Closure::new(|h: u32| {
                let body = BODIES.with_borrow_mut(|b| b.get_mut(h as usize).and_then(Option::take));
                end(body.ok_or_else(|| JsValue::from_str("unknown handle"))?)
            }),
        );
    }

    #[cfg(feature = "rewrite")]
    fn write(body: &mut Body, chunk: &[u8]) -> Result<js_sys::Uint8Array, JsValue> {
        body.0
            .write(chunk)
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        Ok(js_sys::Uint8Array::from(
            std::mem::take(&mut *body.1 .0.borrow_mut()).as_slice(),
        ))
    }

    #[cfg(not(feature = "rewrite"))]
    fn write(_: &mut Body, chunk: &[u8]) -> Result<js_sys::Uint8Array, JsValue> {
        Ok(js_sys::Uint8Array::from(chunk.to_vec().as_slice()))
    }

    #[cfg(feature = "rewrite")]
    fn end(body: Body) -> Result<js_sys::Uint8Array, JsValue> {
        let (rw, out) = body;
        rw.end().map_err(|e| JsValue::from_str(&e.to_string()))?;
        Ok(js_sys::Uint8Array::from(out.0.take().as_slice()))
    }

    #[cfg(not(feature = "rewrite"))]
    fn end(_: Body) -> Result<js_sys::Uint8Array, JsValue> {
        Ok(js_sys::Uint8Array::new_with_length(0))
    }

    /// The origin's body through a new slot's body, pumped by JavaScript.
    pub fn filtered(input: &web_sys::ReadableStream) -> web_sys::ReadableStream {
        #[cfg(feature = "rewrite")]
        let body = {
            let out = super::rewrite::Sink::default();
            (super::rewrite::rewriter(&out), out)
        };
        #[cfg(not(feature = "rewrite"))]
        let body = ();
        let h = BODIES.with_borrow_mut(|b| match b.iter().position(Option::is_none) {
            Some(i) => {
                b[i] = Some(body);
                i
            }
            None => {
                b.push(Some(body));
                b.len() - 1
            }
        });
        HOOKS.with(|(w, e)| {
            pump_stream(
                input,
                h as u32,
                w.as_ref().unchecked_ref(),
                e.as_ref().unchecked_ref(),
            )
        })
    }
}
