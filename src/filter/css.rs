//! The URLs in a piece of CSS (a `style` attribute or a `<style>` text):
//! a small scanner after the CSS Syntax 3 tokenizer (§4.3), enough to find
//! every URL a browser could fetch from it.
//!
//! It returns the contents of every `url(…)` token (unquoted, escapes
//! decoded; the function name itself may be escaped, `\75 rl(`) and of
//! **every** quoted string. Strings are taken whatever their context
//! (`url("…")`, `image-set("…" 1x)`, `@import "…"`, `src("…")`) because
//! telling them apart would need the full grammar, and a string that is not
//! a URL never matches a catalog host: the only cost is over-blocking a
//! stylesheet that quotes a tracker URL as text. Comments are skipped.

/// Every URL candidate in `css` (see the module docs), escapes decoded.
pub(crate) fn css_urls(css: &str) -> Vec<String> {
    // Every candidate is a quoted string or follows a `(` (`url(`, its name
    // possibly escaped): CSS with neither, most `style=` values
    // (`display:none;width:10px`), has none, and is not copied to chars.
    if !css.bytes().any(|b| matches!(b, b'"' | b'\'' | b'(')) {
        return Vec::new();
    }
    let c: Vec<char> = css.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '/' if c.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < c.len() && !(c[i] == '*' && c.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
            }
            q @ ('"' | '\'') => {
                let (s, next) = string(&c, i + 1, q);
                out.push(s);
                i = next;
            }
            ch if starts_ident(ch) => {
                let (name, next) = ident(&c, i);
                i = next.max(i + 1);
                if c.get(i) == Some(&'(') && name.eq_ignore_ascii_case("url") {
                    i += 1;
                    while c.get(i).is_some_and(|x| x.is_whitespace()) {
                        i += 1;
                    }
                    if !matches!(c.get(i), Some('"' | '\'')) {
                        let (u, next) = unquoted_url(&c, i);
                        out.push(u);
                        i = next;
                    }
                }
            }
            _ => i += 1,
        }
    }
    out
}

fn starts_ident(ch: char) -> bool {
    ch.is_ascii_alphabetic() || ch == '-' || ch == '_' || ch == '\\' || !ch.is_ascii()
}

/// An identifier from `i` (escapes decoded) and the index after it.
fn ident(c: &[char], mut i: usize) -> (String, usize) {
    let mut s = String::new();
    while i < c.len() {
        let ch = c[i];
        if ch == '\\' {
            if c.get(i + 1).is_none_or(|n| *n == '\n') {
                break;
            }
            let (e, next) = escape(c, i + 1);
            s.push(e);
            i = next;
        } else if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || !ch.is_ascii() {
            s.push(ch);
            i += 1;
        } else {
            break;
        }
    }
    (s, i)
}

/// A string's value from `i` (just after the opening quote `q`).
fn string(c: &[char], mut i: usize, q: char) -> (String, usize) {
    let mut s = String::new();
    while i < c.len() {
        match c[i] {
            ch if ch == q => return (s, i + 1),
            // An unescaped newline ends a (bad) string.
            '\n' => return (s, i),
            '\\' => match c.get(i + 1) {
                None => i += 1,
                Some('\n') => i += 2,
                Some(_) => {
                    let (e, next) = escape(c, i + 1);
                    s.push(e);
                    i = next;
                }
            },
            ch => {
                s.push(ch);
                i += 1;
            }
        }
    }
    (s, i)
}

/// An unquoted `url(` token's value from `i`, up to `)`.
fn unquoted_url(c: &[char], mut i: usize) -> (String, usize) {
    let mut s = String::new();
    while i < c.len() && c[i] != ')' {
        if c[i] == '\\' && c.get(i + 1).is_some_and(|n| *n != '\n') {
            let (e, next) = escape(c, i + 1);
            s.push(e);
            i = next;
        } else {
            s.push(c[i]);
            i += 1;
        }
    }
    (s.trim().to_string(), i + 1)
}

/// A consumed escape (CSS Syntax §4.3.7) from `i` (just after the `\`):
/// 1-6 hex digits and one optional whitespace, or the next character.
fn escape(c: &[char], i: usize) -> (char, usize) {
    let mut j = i;
    let mut v: u32 = 0;
    while j < c.len() && j - i < 6 && c[j].is_ascii_hexdigit() {
        v = v * 16 + c[j].to_digit(16).unwrap_or(0);
        j += 1;
    }
    if j == i {
        return c.get(i).map_or(('\u{fffd}', i), |ch| (*ch, i + 1));
    }
    if c.get(j).is_some_and(|w| w.is_whitespace()) {
        j += 1;
    }
    let ch = match v {
        0 => '\u{fffd}',
        v => char::from_u32(v).unwrap_or('\u{fffd}'),
    };
    (ch, j)
}

#[cfg(test)]
mod tests {
    use super::css_urls;

    #[test]
    fn finds_every_url_shape() {
        let css = r#"a{background:url( https://a.example/x.png )}
            /* url(https://comment.example/) */
            @import "https://b.example/s.css";
            @import url('https://c.example/t.css');
            b{background-image:image-set("https://d.example/1.png" 1x, 'https://e.example/2.png' 2x)}
            @font-face{src:url(https://f.example/f.woff) format("woff")}
            c{background:\75 rl(https://g.example/\67.png)}
            d{background:URL("h\74tps://h.example/")}"#;
        let u = css_urls(css);
        for want in [
            "https://a.example/x.png",
            "https://b.example/s.css",
            "https://c.example/t.css",
            "https://d.example/1.png",
            "https://e.example/2.png",
            "https://f.example/f.woff",
            "https://g.example/g.png",
            "https://h.example/",
        ] {
            assert!(u.iter().any(|x| x == want), "{want} not in {u:?}");
        }
        assert!(!u.iter().any(|x| x.contains("comment")), "{u:?}");
    }

    #[test]
    fn odd_input_never_panics() {
        for css in [
            "url(",
            "'abc",
            "\\",
            "/*",
            "url(\\",
            "\"\\",
            "\\110000 x",
            "u\\",
        ] {
            let _ = css_urls(css);
        }
        assert_eq!(css_urls("x{a:url(a\\)b)}"), vec!["a)b".to_string()]);
    }
}
