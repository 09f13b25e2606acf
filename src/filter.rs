//! The lol_html streaming rewriter that neutralises refused trackers.
//!
//! (Foundation stage: the rewriter only marks the document with
//! `<meta name="consent-edge">` in `<head>`; the filtering lands with the
//! tracker catalog.)

use lol_html::html_content::ContentType;
use lol_html::{element, HtmlRewriter, Settings};
use serde::Deserialize;
use std::cell::RefCell;
use std::rc::Rc;

/// `[filter]` in `consent.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {}

/// What one HTML response needs.
#[derive(Debug, Clone, Default)]
pub struct Page {}

type Sink = Rc<RefCell<Vec<u8>>>;

/// A streaming filter for one HTML document: feed chunks, get chunks.
pub struct Filter {
    rewriter: HtmlRewriter<'static, Box<dyn FnMut(&[u8])>>,
    out: Sink,
}

impl Filter {
    /// A filter for one document.
    pub fn new(_cfg: &Config, _page: Page) -> Filter {
        let out: Sink = Rc::default();
        let sink = out.clone();
        let output: Box<dyn FnMut(&[u8])> =
            Box::new(move |c: &[u8]| sink.borrow_mut().extend_from_slice(c));
        let rewriter = HtmlRewriter::new(
            Settings::new().append_element_content_handler(element!("head", |el| {
                el.prepend(
                    r#"<meta name="consent-edge" content="1">"#,
                    ContentType::Html,
                );
                Ok(())
            })),
            output,
        );
        Filter { rewriter, out }
    }

    /// Feeds one chunk; returns the transformed bytes available so far.
    pub fn write(&mut self, chunk: &[u8]) -> Vec<u8> {
        let _ = self.rewriter.write(chunk);
        std::mem::take(&mut *self.out.borrow_mut())
    }

    /// Ends the document; returns the remaining bytes.
    pub fn end(self) -> Vec<u8> {
        let out = self.out.clone();
        let _ = self.rewriter.end();
        let rest = std::mem::take(&mut *out.borrow_mut());
        rest
    }
}
