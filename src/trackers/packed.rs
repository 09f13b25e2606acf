//! `trackers.toml` packed into one string (issue 16 item 2: wasm size).
//!
//! `build.rs` (through `buildscript/catalog.rs`, which includes this file
//! with `#[path]`) packs the validated catalog file; the worker unpacks it
//! once per isolate into the config crate's owned types
//! (`trackers/embedded.rs`). Every string of the catalog, in file order,
//! each ended by a control character that no catalog string may hold:
//!
//! ```text
//! catalog     = vendor* END  tag_ids* END  library* END
//! vendor      = CATEGORY str(id) str(name) list(hosts) list(scripts)
//!               list(cookies) list(cookie_prefixes) str(source)
//!               self_hosted* END
//! self_hosted = str(file) opt(dir) opt(attribute) opt(query)
//! tag_ids     = str(name) list(urls) list(paths) str(param) list(calls)
//!               list(keys) (str(prefix) str(vendor id))* END str(source)
//! library     = str(name) list(hosts) str(source)
//! list        = str* END
//! opt         = NONE | str
//! str         = text UNIT
//! ```
//!
//! `CATEGORY` is one digit, the index in [`Category::ALL`]. A string
//! starts with neither `END` nor `NONE`, so each choice is decided by one
//! character. Why: the former `static` rows, one `&'static str` (an 8-byte
//! pointer and length, relocated) per field and a slice per list, were
//! ≈ 137 KB raw / 51 KB gzip of the wasm; this text is 78.5 KB raw,
//! 24.4 KB gzip alone (docs/BENCHMARKS.md, "Wasm size, stop 13"; separate
//! length bytes instead of end marks compressed 3 KB worse). Reading it is
//! one pass, each string a slice of the text (no copy until the caller
//! makes it a `String`).

use consent_edge_config::{CatalogFile, Category, Library, SelfHosted, TagIds, Vendor};

/// Ends every string.
const UNIT: char = '\u{1f}';
/// Ends a list, and the vendor, tag ID and library tables.
const END: char = '\u{1e}';
/// An absent optional string.
const NONE: char = '\u{1d}';

/// `file` packed, or what cannot be: a string holding one of the three
/// marks (the error names it).
#[cfg_attr(not(test), allow(dead_code))] // build.rs and the tests pack
pub fn pack(file: &CatalogFile) -> Result<String, String> {
    let mut p = Packer(String::with_capacity(1 << 17));
    for v in &file.vendor {
        p.category(v.category);
        p.strs([&v.id, &v.name])?;
        for list in [&v.hosts, &v.scripts, &v.cookies, &v.cookie_prefixes] {
            p.list(list)?;
        }
        p.str(&v.source)?;
        for r in &v.self_hosted {
            p.str(&r.file)?;
            for o in [&r.dir, &r.attribute, &r.query] {
                p.opt(o.as_deref())?;
            }
        }
        p.0.push(END);
    }
    p.0.push(END);
    for t in &file.tag_ids {
        p.str(&t.name)?;
        p.list(&t.urls)?;
        p.list(&t.paths)?;
        p.str(&t.param)?;
        p.list(&t.calls)?;
        p.list(&t.keys)?;
        for (prefix, vendor) in &t.prefixes {
            p.strs([prefix, vendor])?;
        }
        p.0.push(END);
        p.str(&t.source)?;
    }
    p.0.push(END);
    for l in &file.library {
        p.str(&l.name)?;
        p.list(&l.hosts)?;
        p.str(&l.source)?;
    }
    p.0.push(END);
    Ok(p.0)
}

/// The packed text being written.
#[cfg_attr(not(test), allow(dead_code))]
struct Packer(String);

#[cfg_attr(not(test), allow(dead_code))]
impl Packer {
    fn str(&mut self, s: &str) -> Result<(), String> {
        if let Some(c) = s.chars().find(|c| [UNIT, END, NONE].contains(c)) {
            return Err(format!(
                "trackers.toml: {s:?} holds the control character {c:?}, which no catalog string may"
            ));
        }
        self.0.push_str(s);
        self.0.push(UNIT);
        Ok(())
    }

    fn strs<'a>(&mut self, v: impl IntoIterator<Item = &'a String>) -> Result<(), String> {
        v.into_iter().try_for_each(|s| self.str(s))
    }

    fn list(&mut self, v: &[String]) -> Result<(), String> {
        self.strs(v)?;
        self.0.push(END);
        Ok(())
    }

    fn opt(&mut self, s: Option<&str>) -> Result<(), String> {
        match s {
            Some(s) => self.str(s),
            None => {
                self.0.push(NONE);
                Ok(())
            }
        }
    }

    fn category(&mut self, c: Category) {
        let i = Category::ALL.iter().position(|&a| a == c).unwrap_or(0);
        self.0.push(char::from(b'0' + i as u8));
    }
}

/// A reading position in a packed catalog: each accessor returns the next
/// item and moves past it. Strings are slices of the packed text
/// (`&'static str` for the embedded one): nothing is allocated. Where the
/// text does not hold the item asked for, the accessor returns an empty
/// value and the cursor is spoiled for good ([`Cursor::is_done`] is then
/// false): no early returns, so the reader stays straight-line code
/// (measured: an early return at every field, with the drops of half-built
/// rows each needs, was 8.1 KB of wasm code before wasm-opt, this 6.9 KB).
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    rest: &'a str,
    spoiled: bool,
    scratch: Vec<&'a str>,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `packed`.
    pub fn new(packed: &'a str) -> Cursor<'a> {
        Cursor {
            rest: packed,
            spoiled: false,
            scratch: Vec::new(),
        }
    }

    /// Whether the whole text has been read, as the grammar says.
    pub fn is_done(&self) -> bool {
        self.rest.is_empty() && !self.spoiled
    }

    fn spoil(&mut self) {
        self.spoiled = true;
        self.rest = "";
    }

    /// The next string. A mark other than `UNIT` before the next `UNIT`
    /// means the text is out of step with the grammar.
    #[inline(never)] // see `Cursor::vendor`
    pub fn str(&mut self) -> &'a str {
        // bytes, not `str::find` with a `char` set, which decodes every
        // character (first `Config::embedded()`, natively: 0.271 → 0.255
        // ms); the marks are ASCII, so their position is a char boundary
        let mark = |b: u8| (NONE as u8..=UNIT as u8).contains(&b);
        if let Some(at) = self.rest.bytes().position(mark) {
            let (s, rest) = self.rest.split_at(at);
            if let Some(rest) = rest.strip_prefix(UNIT) {
                self.rest = rest;
                return s;
            }
        }
        self.spoil();
        ""
    }

    /// Consumes an `END` if one is next.
    pub fn end(&mut self) -> bool {
        match self.rest.strip_prefix(END) {
            Some(r) => {
                self.rest = r;
                true
            }
            None => false,
        }
    }

    /// Whether an item comes before the next `END` (else consumes it).
    fn more(&mut self) -> bool {
        !self.end() && !self.spoiled
    }

    /// An optional string: `NONE`, or a string.
    pub fn opt(&mut self) -> Option<&'a str> {
        match self.rest.strip_prefix(NONE) {
            Some(r) => {
                self.rest = r;
                None
            }
            None => Some(self.str()),
        }
    }

    /// A category digit.
    pub fn category(&mut self) -> Category {
        let d = self.rest.as_bytes().first().map(|d| d.wrapping_sub(b'0'));
        match d.and_then(|d| Category::ALL.get(usize::from(d))) {
            Some(&c) => {
                self.rest = self.rest.get(1..).unwrap_or_default();
                c
            }
            None => {
                self.spoil();
                Category::Advertising
            }
        }
    }

    fn string(&mut self) -> String {
        self.str().to_owned()
    }

    /// The strings up to the next `END` (consumed), owned, allocated at
    /// their exact length: gathered in `scratch` first, not grown push by
    /// push (first `Config::embedded()`, natively: 0.255 → 0.243 ms;
    /// copying the former static rows was 0.138 ms).
    #[inline(never)] // see `Cursor::vendor`
    fn strings(&mut self) -> Vec<String> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        while self.more() {
            scratch.push(self.str());
        }
        let v = scratch.iter().map(|s| s.to_string()).collect();
        self.scratch = scratch;
        v
    }

    /// The next `[[vendor]]`.
    ///
    /// Not inlined, nor are `str` and `strings`: with the whole reader
    /// inlined into `unpack`, workerd's `ready` was later than with the
    /// former static rows in 16 of 18 alternated cold-start runs (median
    /// +20 ms, load average 2–3); with these three apart, −3 to +11 ms
    /// (four runs, median 0). Running the reader ten times in `start`
    /// cost only ≈ 8 ms more, so it was not the reading itself; most
    /// likely V8 recompiling one large hot function in its optimising
    /// tier on a loaded machine (docs/BENCHMARKS.md, "Wasm size, stop 13").
    #[inline(never)]
    pub fn vendor(&mut self) -> Vendor {
        let category = self.category();
        let (id, name) = (self.string(), self.string());
        let (hosts, scripts) = (self.strings(), self.strings());
        let (cookies, cookie_prefixes) = (self.strings(), self.strings());
        let source = self.string();
        let mut self_hosted = Vec::new();
        while self.more() {
            let file = self.string();
            let mut opt = || self.opt().map(str::to_owned);
            let (dir, attribute, query) = (opt(), opt(), opt());
            self_hosted.push(SelfHosted {
                file,
                dir,
                attribute,
                query,
            });
        }
        Vendor {
            id,
            name,
            category,
            hosts,
            scripts,
            cookies,
            cookie_prefixes,
            source,
            self_hosted,
            allowed: false,
        }
    }

    /// The next `[[tag_ids]]` family.
    pub fn tag_ids(&mut self) -> TagIds {
        let name = self.string();
        let (urls, paths) = (self.strings(), self.strings());
        let param = self.string();
        let (calls, keys) = (self.strings(), self.strings());
        // inserted: collecting pairs into the map instantiates a sort of
        // `(String, String)` (measured: 1.2 KB more code)
        let mut prefixes = std::collections::BTreeMap::new();
        while self.more() {
            let (prefix, vendor) = (self.string(), self.string());
            prefixes.insert(prefix, vendor);
        }
        let source = self.string();
        TagIds {
            name,
            urls,
            paths,
            param,
            calls,
            keys,
            prefixes,
            source,
        }
    }

    /// The next `[[library]]`.
    pub fn library(&mut self) -> Library {
        let name = self.string();
        let hosts = self.strings();
        let source = self.string();
        Library {
            name,
            hosts,
            source,
        }
    }
}

/// The catalog file `packed` holds, or `None` if it is not a whole packed
/// catalog (anything left over included).
pub fn unpack(packed: &str) -> Option<CatalogFile> {
    let mut c = Cursor::new(packed);
    let mut file = CatalogFile::default();
    while c.more() {
        file.vendor.push(c.vendor());
    }
    while c.more() {
        file.tag_ids.push(c.tag_ids());
    }
    while c.more() {
        file.library.push(c.library());
    }
    c.is_done().then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn sample() -> CatalogFile {
        let vendor = |id: &str, category| Vendor {
            id: id.into(),
            name: format!("{id} name"),
            category,
            hosts: s(&["a.test", "b.test/x"]),
            scripts: s(&["", "x(\"y\")"]),
            cookies: Vec::new(),
            cookie_prefixes: s(&["_p_"]),
            source: String::new(),
            self_hosted: Vec::new(),
            allowed: false,
        };
        let mut a = vendor("a", Category::Advertising);
        a.self_hosted = vec![
            SelfHosted {
                file: "script*.js".into(),
                dir: None,
                attribute: Some(String::new()),
                query: Some("idsite".into()),
            },
            SelfHosted {
                file: String::new(),
                dir: Some("/js".into()),
                attribute: None,
                query: None,
            },
        ];
        CatalogFile {
            vendor: vec![a, vendor("é ü", Category::Necessary)],
            tag_ids: vec![TagIds {
                name: "t".into(),
                urls: s(&["g.test/js"]),
                paths: Vec::new(),
                param: "id".into(),
                calls: s(&["gtag"]),
                keys: Vec::new(),
                prefixes: [("AW-", "a"), ("G-", "é ü")]
                    .iter()
                    .map(|(p, v)| (p.to_string(), v.to_string()))
                    .collect(),
                source: "s".into(),
            }],
            library: vec![Library {
                name: "l".into(),
                hosts: Vec::new(),
                source: String::new(),
            }],
        }
    }

    #[test]
    fn round_trips_empty_strings_lists_options_and_unicode() {
        for file in [sample(), CatalogFile::default()] {
            let packed = pack(&file).unwrap();
            assert_eq!(unpack(&packed), Some(file));
        }
    }

    #[test]
    fn refuses_the_marks_in_strings() {
        for mark in [UNIT, END, NONE] {
            let mut file = sample();
            file.vendor[1].cookies.push(format!("a{mark}b"));
            let e = pack(&file).unwrap_err();
            assert!(e.contains("control character"), "{e}");
        }
    }

    #[test]
    fn malformed_text_is_none_not_a_panic() {
        let packed = pack(&sample()).unwrap();
        // every truncation, and every single character removed or doubled
        for (i, _) in packed.char_indices() {
            assert_eq!(unpack(&packed[..i]), None, "truncated at {i}");
            let (a, b) = packed.split_at(i);
            let mut chars = b.chars();
            let c = chars.next().unwrap();
            let removed = format!("{a}{}", chars.as_str());
            let doubled = format!("{a}{c}{b}");
            for bad in [removed, doubled] {
                if let Some(f) = unpack(&bad) {
                    assert_ne!(f, sample(), "{bad:?}");
                }
            }
        }
        assert_eq!(unpack(&format!("{packed}x")), None, "trailing text");
        assert_eq!(unpack("9"), None, "no such category");
    }

    /// The keys of a TOML table, each read as a string, a list of strings
    /// or a sub-table; a key the test does not read fails it (so a field
    /// added to the catalog cannot go unchecked).
    struct Row<'t>(&'t toml::Table, std::cell::RefCell<Vec<&'t str>>);

    impl<'t> Row<'t> {
        fn new(v: &'t toml::Value) -> Row<'t> {
            Row(v.as_table().expect("a table"), Default::default())
        }
        fn get(&self, key: &'t str) -> Option<&'t toml::Value> {
            self.1.borrow_mut().push(key);
            self.0.get(key)
        }
        /// A string field (absent: `""`, serde's default).
        fn str(&self, key: &'t str) -> Option<&'t str> {
            self.get(key).map(|v| v.as_str().expect("a string"))
        }
        fn list(&self, key: &'t str) -> Vec<&'t str> {
            let v = self.get(key).map(|v| v.as_array().expect("an array"));
            let v = v.map_or(&[][..], |a| a.as_slice());
            v.iter().map(|s| s.as_str().expect("a string")).collect()
        }
        fn all_read(&self) {
            let read = self.1.borrow();
            for k in self.0.keys() {
                assert!(read.contains(&k.as_str()), "key {k} not compared");
            }
        }
    }

    /// The embedded packed text, read field by field with the cursor,
    /// against `trackers.toml` parsed as plain TOML (not through the
    /// config crate's types, which the packer is given): every row, every
    /// field, in order, and nothing left over.
    #[test]
    fn embedded_text_reads_back_every_field_of_trackers_toml() {
        let toml: toml::Table = toml::from_str(crate::trackers::EMBEDDED).unwrap();
        let mut c = Cursor::new(super::super::embedded::PACKED);
        let table = |key| toml[key].as_array().expect("an array of tables");
        let vendors = table("vendor");
        for v in vendors {
            let v = Row::new(v);
            let id = v.str("id").unwrap();
            let cat = v.str("category").unwrap();
            assert_eq!(c.category().id(), cat, "{id}");
            assert_eq!(c.str(), id);
            assert_eq!(Some(c.str()), v.str("name"), "{id}");
            for key in ["hosts", "scripts", "cookies", "cookie_prefixes"] {
                assert_eq!(c.strings(), v.list(key), "{id} {key}");
            }
            assert_eq!(c.str(), v.str("source").unwrap_or(""), "{id}");
            let rules = v.get("self_hosted").map(|r| r.as_array().unwrap());
            for r in rules.map_or(&[][..], |a| a.as_slice()) {
                let r = Row::new(r);
                assert_eq!(Some(c.str()), r.str("file"), "{id}");
                for key in ["dir", "attribute", "query"] {
                    assert_eq!(c.opt(), r.str(key), "{id} {key}");
                }
                r.all_read();
            }
            assert!(c.end(), "{id}: more self_hosted rules than the TOML");
            v.all_read();
        }
        assert!(c.end(), "more vendors than the TOML");
        for t in table("tag_ids") {
            let t = Row::new(t);
            let name = t.str("name").unwrap();
            assert_eq!(c.str(), name);
            assert_eq!(c.strings(), t.list("urls"), "{name}");
            assert_eq!(c.strings(), t.list("paths"), "{name}");
            assert_eq!(Some(c.str()), t.str("param"), "{name}");
            assert_eq!(c.strings(), t.list("calls"), "{name}");
            assert_eq!(c.strings(), t.list("keys"), "{name}");
            let prefixes = t.get("prefixes").and_then(|p| p.as_table()).unwrap();
            let mut read = std::collections::BTreeMap::new();
            while c.more() {
                read.insert(c.str(), c.str());
            }
            let want = prefixes
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap()));
            assert_eq!(read, want.collect(), "{name}");
            assert_eq!(Some(c.str()), t.str("source"), "{name}");
            t.all_read();
        }
        assert!(c.end(), "more tag ID families than the TOML");
        for l in table("library") {
            let l = Row::new(l);
            let name = l.str("name").unwrap();
            assert_eq!(c.str(), name);
            assert_eq!(c.strings(), l.list("hosts"), "{name}");
            assert_eq!(Some(c.str()), l.str("source"), "{name}");
            l.all_read();
        }
        assert!(c.end() && c.is_done(), "more libraries than the TOML");
        for key in toml.keys() {
            assert!(
                ["vendor", "tag_ids", "library"].contains(&key.as_str()),
                "{key}"
            );
        }
        assert!(vendors.len() > 400, "{}", vendors.len());
    }
}
