//! `<base href>` (issue 12 class 5): the first one sets the document base
//! URL (HTML §2.4.1), so every later relative URL is read against it.
//!
//! * The first `<base href>` is recorded in the policy ([`Ctx::set_base`]):
//!   when it points at another host than the page, relative URLs are
//!   resolved against it before they are matched (`<base
//!   href="https://www.googletagmanager.com/"><script src="gtag/js">` is
//!   Google's script).
//! * If it points at a refused vendor itself it is neutralised like any
//!   tracker URL (`href` moved to `data-consent-href`), so lazy resources
//!   before it are not resolved against it either; relative URLs after it
//!   are still read against it (the banner can bring it back).
//! * Every later `<base href>` loses its `href`: a browser ignores it while
//!   the first one stands, and it must not take over once the first is
//!   neutralised.

use super::media::neutralize;
use crate::filter::policy::Ctx;
use lol_html::html_content::Element;

/// Every `<base>` of the document.
pub(super) fn handle_base(ctx: &Ctx, el: &mut Element) {
    let Some(href) = el.get_attribute("href") else {
        return;
    };
    if ctx.base_seen.get() {
        el.remove_attribute("href");
        return;
    }
    ctx.set_base(&href);
    if let Some(v) = ctx.refused_url(&href) {
        neutralize(
            ctx,
            el,
            "base",
            &[("href", href)],
            &[v.category],
            Some(v),
            false,
        );
    }
}
