//! The floor's two handlers, shared with `bench/wasm-filter` (its `lol`
//! mode 3, `#[path]`-included) so that V8's and workerd's figures are for
//! the same work: `script[src]` gets an attribute set; a `script` text
//! chunk that names `gtag(` is removed.

use lol_html::{element, text, Settings};

/// `settings` with the two handlers appended.
pub fn two_handlers<'h, 's>(settings: Settings<'h, 's>) -> Settings<'h, 's> {
    settings
        .append_element_content_handler(element!("script[src]", |el| {
            el.set_attribute("data-floor", "1")?;
            Ok(())
        }))
        .append_element_content_handler(text!("script", |t| {
            if t.as_str().contains("gtag(") {
                t.remove();
            }
            Ok(())
        }))
}
