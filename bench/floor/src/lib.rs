//! The size floor of issue 16 item 2 (docs/BENCHMARKS.md, "Floors, stop
//! 15"): a Worker made of the mandated blocks alone. `fetch` asks the origin
//! (the `ORIGIN` var, no trailing slash, then the request's path and
//! query) and returns its body:
//! (a) no feature: a fixed response, no origin; (b) `stream`: the body
//! streamed back unchanged; (c) `rewrite`: the body streamed through
//! lol_html (UTF-8 in and out) with one element handler (`script[src]`: an
//! attribute set) and one text handler (`script`: a text chunk removed when
//! it names a tracker).
//!
//! Re-run (from this directory; `.cargo/config.toml` of the repository gives
//! the SIMD rustflags, Cargo.toml the profile and wasm-opt flags):
//!
//! ```sh
//! T=/work/main/node_modules/.bin
//! for f in a: b:"--features stream" c:"--features rewrite"; do
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
//! `target/` and `out/` are not committed.

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
    let origin = format!("{}/{path}", env.var("ORIGIN")?.to_string());
    let mut resp = Fetch::Request(Request::new(&origin, Method::Get)?)
        .send()
        .await?;
    let status = resp.status_code();
    let headers = resp.headers().clone();
    let body = resp.stream()?;
    #[cfg(feature = "rewrite")]
    let body = rewrite::through_lol_html(body);
    Ok(Response::from_stream(body)?
        .with_status(status)
        .with_headers(headers))
}

#[cfg(feature = "rewrite")]
mod rewrite {
    use futures_util::stream::{self, Stream, StreamExt};
    use lol_html::{element, text, HtmlRewriter, Settings};
    use std::cell::RefCell;
    use std::rc::Rc;
    use worker::{ByteStream, Error, Result};

    type Sink = Rc<RefCell<Vec<u8>>>;

    /// The origin's chunks written to lol_html one by one, each step
    /// yielding what lol_html has output so far; `end` after the last.
    pub fn through_lol_html(body: ByteStream) -> impl Stream<Item = Result<Vec<u8>>> {
        let out: Sink = Rc::default();
        let sink = out.clone();
        let rewriter = HtmlRewriter::new(
            Settings::new()
                .append_element_content_handler(element!("script[src]", |el| {
                    el.set_attribute("data-floor", "1")?;
                    Ok(())
                }))
                .append_element_content_handler(text!("script", |t| {
                    if t.as_str().contains("gtag(") {
                        t.remove();
                    }
                    Ok(())
                })),
            move |c: &[u8]| sink.borrow_mut().extend_from_slice(c),
        );
        stream::unfold(Some((body, rewriter, out)), |state| async move {
            let (mut body, mut rewriter, out) = state?;
            let more = match body.next().await {
                Some(Ok(chunk)) => rewriter.write(&chunk).map(|()| Some(rewriter)),
                Some(Err(e)) => return Some((Err(e), None)),
                None => rewriter.end().map(|()| None),
            };
            let chunk = std::mem::take(&mut *out.borrow_mut());
            match more {
                Ok(Some(rewriter)) => Some((Ok(chunk), Some((body, rewriter, out)))),
                Ok(None) => Some((Ok(chunk), None)),
                Err(e) => Some((Err(Error::RustError(e.to_string())), None)),
            }
        })
    }
}
