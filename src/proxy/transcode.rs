//! The document body on its way through the filter: the first bytes are
//! sniffed ([`sniff`]), then each chunk is either filtered as it is or
//! decoded to UTF-8 first, chunk by chunk (`encoding_rs`'s streaming
//! [`Decoder`] keeps a character split across chunks — half a UTF-16 code
//! unit, a surrogate pair, an ISO-2022-JP escape — until its rest arrives).
//! The whole body is never held: at most
//! [`PRESCAN_BYTES`](super::encoding::PRESCAN_BYTES) before the
//! decision, then one chunk.
//!
//! This is the path the worker runs (`crates/edge/src/stream.rs` only moves bytes) and
//! the one `tests/oracle_encoding.rs` judges.

use super::encoding::{filter_charset, sniff, Document, Reading, UTF8_BOM};
use crate::filter::{Config, Filter, Page};
use crate::trackers::Catalog;
use encoding_rs::{Decoder, Encoding};

/// The filter to build once the encoding is known.
type MakeFilter = Box<dyn FnOnce(Option<&str>) -> Filter>;

enum Stage {
    /// Waiting for enough bytes to decide.
    Sniffing { head: Vec<u8>, make: MakeFilter },
    /// Filtering the bytes as they are.
    AsIs { filter: Filter, cut_at_escape: bool },
    /// Decoding to UTF-8, then filtering.
    Transcode { decoder: Decoder, filter: Filter },
    /// Cut (an ESC byte where ISO-2022-JP could be read) or ended.
    Done,
}

/// One document body: [`DocumentBody::write`] each chunk, then
/// [`DocumentBody::end`].
pub struct DocumentBody {
    declared: Option<&'static Encoding>,
    stage: Stage,
    cut: bool,
}

impl std::fmt::Debug for DocumentBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentBody")
            .field("declared", &self.declared)
            .field("cut", &self.cut)
            .finish()
    }
}

impl DocumentBody {
    /// The body of `doc` ([`super::encoding::treat`]), filtered for `page`.
    pub fn new(doc: &Document, catalog: &'static Catalog, cfg: &Config, page: Page) -> Self {
        let cfg = cfg.clone();
        DocumentBody::with(
            doc.declared,
            Box::new(move |charset| Filter::new(catalog, &cfg, page, charset)),
        )
    }

    /// A body whose filter `make` builds for the charset it is given.
    pub fn with(declared: Option<&'static Encoding>, make: MakeFilter) -> Self {
        DocumentBody {
            declared,
            stage: Stage::Sniffing {
                head: Vec::new(),
                make,
            },
            cut: false,
        }
    }

    /// Whether the document was cut at an ESC byte (see [`sniff`]).
    pub fn was_cut(&self) -> bool {
        self.cut
    }

    /// Feeds a chunk of the origin's body; returns the bytes to send now.
    pub fn write(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match &mut self.stage {
            Stage::Sniffing { head, .. } => {
                head.extend_from_slice(chunk);
                if let Some(reading) = sniff(self.declared, head, false) {
                    out = self.start(reading);
                }
            }
            _ => self.feed(chunk, false, &mut out),
        }
        out
    }

    /// Ends the document; returns the remaining bytes.
    pub fn end(mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Stage::Sniffing { head, .. } = &self.stage {
            let reading = sniff(self.declared, head, true).unwrap_or(Reading::AsIs {
                encoding: None,
                cut_at_escape: true,
            });
            out = self.start(reading);
        }
        self.feed(&[], true, &mut out);
        out
    }

    /// Builds the filter for `reading` and feeds it what was sniffed.
    fn start(&mut self, reading: Reading) -> Vec<u8> {
        let Stage::Sniffing { head, make } = std::mem::replace(&mut self.stage, Stage::Done) else {
            return Vec::new();
        };
        let filter = make(filter_charset(&reading));
        let mut out = Vec::new();
        let rest = match reading {
            Reading::AsIs { cut_at_escape, .. } => {
                self.stage = Stage::AsIs {
                    filter,
                    cut_at_escape,
                };
                &head[..]
            }
            Reading::Transcode { from, skip } => {
                out.extend_from_slice(UTF8_BOM);
                self.stage = Stage::Transcode {
                    decoder: from.new_decoder_without_bom_handling(),
                    filter,
                };
                &head[skip..]
            }
        };
        self.feed(rest, false, &mut out);
        out
    }

    /// Runs `chunk` through the current stage (`last`: end of body).
    fn feed(&mut self, chunk: &[u8], last: bool, out: &mut Vec<u8>) {
        match &mut self.stage {
            Stage::AsIs {
                filter,
                cut_at_escape,
            } => {
                let esc = if *cut_at_escape {
                    chunk.iter().position(|&b| b == 0x1B)
                } else {
                    None
                };
                append(out, filter.write(&chunk[..esc.unwrap_or(chunk.len())]));
                if esc.is_some() {
                    self.cut = true;
                    self.finish(out, true);
                } else if last {
                    self.finish(out, false);
                }
            }
            Stage::Transcode { decoder, filter } => {
                let utf8 = decode(decoder, chunk, last);
                append(out, filter.write(&utf8));
                if last {
                    self.finish(out, false);
                }
            }
            Stage::Sniffing { .. } | Stage::Done => {}
        }
    }

    /// Ends the filter (`cut`: with the fail-safe, the rest is not sent).
    fn finish(&mut self, out: &mut Vec<u8>, cut: bool) {
        let filter = match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::AsIs { filter, .. } | Stage::Transcode { filter, .. } => filter,
            _ => return,
        };
        append(out, if cut { filter.cut() } else { filter.end() });
    }
}

/// `bytes` after `out`: moved when `out` is still empty (the usual case, one
/// chunk in, one filter output out), so the filter's output is not copied
/// a second time on its way to the pump.
fn append(out: &mut Vec<u8>, bytes: Vec<u8>) {
    if out.is_empty() {
        *out = bytes;
    } else {
        out.extend_from_slice(&bytes);
    }
}

/// `chunk` decoded to UTF-8; malformed input becomes U+FFFD, as in the
/// browser's decoder, and a character split at the chunk's end waits in
/// `decoder` (at `last`, an incomplete one becomes U+FFFD).
fn decode(decoder: &mut Decoder, chunk: &[u8], last: bool) -> Vec<u8> {
    let cap = decoder
        .max_utf8_buffer_length(chunk.len())
        .unwrap_or(chunk.len() * 3 + 16);
    let mut buf = vec![0u8; cap];
    let (_, read, written, _) = decoder.decode_to_utf8(chunk, &mut buf, last);
    debug_assert_eq!(read, chunk.len(), "the buffer was sized for the worst case");
    buf.truncate(written);
    buf
}

#[cfg(test)]
#[path = "transcode_tests.rs"]
mod tests;
