// What the wasm is made of: function body bytes grouped by the crate in the
// function's (demangled) name, from the binary's "name" custom section, plus
// the data segments. Only the sections needed are decoded.

function reader(buf) {
  let pos = 0;
  const r = {
    get pos() {
      return pos;
    },
    set pos(p) {
      pos = p;
    },
    byte: () => buf[pos++],
    u32() {
      let result = 0;
      let shift = 0;
      for (;;) {
        const b = buf[pos++];
        result += (b & 0x7f) * 2 ** shift;
        if (!(b & 0x80)) return result;
        shift += 7;
      }
    },
    name() {
      const n = r.u32();
      const s = buf.toString("utf8", pos, pos + n);
      pos += n;
      return s;
    },
  };
  return r;
}

/**
 * Undoes rustc's legacy symbol escapes, which the name section of the
 * wasm rustc links (before wasm-bindgen) keeps: `_$LT$a..B$u20$as$u20$c..D$GT$`
 * is `<a::B as c::D>`.
 */
/**
 * Reads one subsection of the `name` custom section (up to `end`) into
 * `names` (index → name): 1 = function names, 9 = data segment names.
 */
function readNames(r, end, wanted, names) {
  while (r.pos < end) {
    const sub = r.byte();
    const len = r.u32();
    const subEnd = r.pos + len;
    if (sub === wanted) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const idx = r.u32();
        names.set(idx, r.name());
      }
    }
    r.pos = subEnd;
  }
}

export function unescapeLegacy(name) {
  if (!name.includes("$")) return name;
  const map = { LT: "<", GT: ">", RF: "&", BP: "*", C: ",", SP: "@", LP: "(", RP: ")" };
  return name
    .replace(/^_(?=\$)/, "")
    .replace(/\$([A-Z]{1,2})\$/g, (m, k) => map[k] ?? m)
    .replace(/\$u([0-9a-f]{2})\$/g, (_, h) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\.\./g, "::");
}

/**
 * The crate a Rust symbol belongs to ("lol_html", "core", ...): the first
 * path segment; for `<T as Trait>::f` the crate of T, or of the trait when
 * T is a core/alloc/std type (`<PhantomData<T> as serde::DeserializeSeed>`
 * is serde code, instantiated for this crate's types).
 */
export function crateOf(rawName) {
  // Legacy-mangled symbol (`_ZN8lol_html6parser...E`): its first segment.
  const mangled = /^_ZN(\d+)/.exec(rawName);
  const name = unescapeLegacy(
    mangled ? rawName.slice(3 + mangled[1].length, 3 + mangled[1].length + Number(mangled[1])) : rawName,
  );
  // v0-mangled (`_RNvNtCs1a2b_4core3fmt...`): the first crate root.
  const v0 = /^_R.*?C(?:s[0-9A-Za-z]*_)?(\d+)/.exec(name);
  if (v0) return name.substr(v0.index + v0[0].length, Number(v0[1]));
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return name;
  const seg = /^[&*\s]*(?:dyn |mut |const )*([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?(?:::|$)/;
  const impl = /^<(.*) as ([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::/.exec(name);
  if (impl) {
    const self = seg.exec(impl[1]);
    if (self && !["core", "alloc", "std"].includes(self[1])) return self[1];
    if (self || !/^[<(\[]/.test(impl[1])) return impl[2];
  }
  // `core::ptr::drop_in_place<lol_html::X>` is generic glue, counted as core.
  // v0 demangling writes `core[c5930c85a12de822]::...`.
  const m = /^[<&*\s]*(?:dyn |mut |const )*([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::/.exec(name);
  if (m) return m[1];
  if (/^__wbg|^__wbindgen|^wasm_bindgen|-> Externref$|^Closure\(/.test(name)) return "wasm_bindgen";
  if (/^<(?:i|u)(?:8|16|32|64|128|size)>|^<(?:char|str|f32|f64|bool)[ >]/.test(name)) return "core";
  if (/^(mem|str|strn|bcmp)[a-z]*$|^__/.test(name)) return "compiler builtins / libc";
  return "(other)";
}

/**
 * Breaks a wasm binary down. Returns { total, code, data, named, sections, crates }:
 * `sections` is [{ name, start, end }] for every section ("code", "data",
 * "custom:name", ...); `crates` is [[crate, code bytes], ...], largest first
 * (`named` is false when the binary has no name section).
 */
export function wasmBreakdown(buf) {
  const r = reader(buf);
  if (buf.readUInt32LE(0) !== 0x6d736100) throw new Error("not a wasm binary");
  r.pos = 8;
  let imports = 0;
  const bodies = [];
  let data = 0;
  const names = new Map();
  const sections = [];
  const ids = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount", "tag"];
  while (r.pos < buf.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 0) {
      const at = r.pos;
      sections.push({ name: `custom:${r.name()}`, start, end });
      r.pos = at;
    } else sections.push({ name: ids[id] || `section ${id}`, start, end });
    if (id === 2) {
      // Imports: count function imports so body i is function imports + i.
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) {
          r.u32();
          imports++;
        } else if (kind === 1) {
          r.byte();
          const flags = r.byte();
          r.u32();
          if (flags & 1) r.u32();
        } else if (kind === 2) {
          const flags = r.byte();
          r.u32();
          if (flags & 1) r.u32();
        } else if (kind === 3) {
          r.byte();
          r.byte();
        } else if (kind === 4) {
          r.byte();
          r.u32();
        } else throw new Error(`unknown import kind ${kind}`);
      }
    } else if (id === 10) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const len = r.u32();
        bodies.push(len);
        r.pos += len;
      }
    } else if (id === 11) {
      data = size;
    } else if (id === 0) {
      if (r.name() === "name") readNames(r, end, 1, names);
    }
    r.pos = end;
  }
  const byCrate = new Map();
  let code = 0;
  bodies.forEach((len, i) => {
    code += len;
    const name = names.get(imports + i);
    const crate = name ? crateOf(name) : "(unnamed)";
    byCrate.set(crate, (byCrate.get(crate) || 0) + len);
  });
  return {
    total: buf.length,
    code,
    data,
    named: names.size > 0,
    sections,
    crates: [...byCrate.entries()].sort((a, b) => b[1] - a[1]),
  };
}

/**
 * The active data segments: [{ index, name, offset, bytes }] (`name` from
 * the name section's data names when present, `offset` the i32.const the
 * segment is placed at, null for another init expression).
 */
export function dataSegments(buf) {
  const r = reader(buf);
  r.pos = 8;
  const segs = [];
  const names = new Map();
  while (r.pos < buf.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 11) {
      const n = r.u32();
      for (let index = 0; index < n; index++) {
        const flags = r.u32();
        let offset = null;
        if (flags !== 1) {
          if (flags === 2) r.u32();
          const op = r.byte();
          if (op === 0x41) {
            // i32.const, signed LEB128.
            let v = 0;
            let shift = 0;
            let b;
            do {
              b = r.byte();
              v |= (b & 0x7f) << shift;
              shift += 7;
            } while (b & 0x80);
            offset = shift < 32 && b & 0x40 ? v | (~0 << shift) : v;
          }
          while (r.byte() !== 0x0b);
        }
        const len = r.u32();
        segs.push({ index, name: null, offset, bytes: buf.subarray(r.pos, r.pos + len) });
        r.pos += len;
      }
    } else if (id === 0 && r.name() === "name") {
      readNames(r, end, 9, names);
    }
    r.pos = end;
  }
  for (const s of segs) s.name = names.get(s.index) ?? null;
  return segs;
}

/**
 * Where the bytes of `needle` (a file embedded with `include_bytes!`, a
 * crate's table) sit among `segs`: [[segment index, bytes matched], ...],
 * most first, matching 32-byte pieces (wasm-opt splits segments at zero
 * runs, so a file is not always one contiguous run; pieces mostly zero
 * are skipped as ambiguous).
 */
export function locate(segs, needle) {
  const hits = new Map();
  for (let i = 0; i + 32 <= needle.length; i += 32) {
    const piece = needle.subarray(i, i + 32);
    if (piece.filter((b) => b === 0).length > 12) continue;
    const s = segs.find((seg) => seg.bytes.indexOf(piece) >= 0);
    if (s) hits.set(s.index, (hits.get(s.index) || 0) + 32);
  }
  return [...hits.entries()].sort((a, b) => b[1] - a[1]);
}

// `node bench/wasmsize.mjs FILE.wasm [N] [--find FILE...]`: sections (raw,
// gzip -9 each), the N largest crates by code bytes (needs a name section:
// the wasm rustc links, or worker-build's output before the Makefile strips
// it) and the N largest data segments; `--find` says which segments hold
// each given file (e.g. target/wasm32-unknown-unknown/release/build/
// consent-edge-*/out/*: the suffix table, the catalog, the page assets).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { readFileSync } = await import("node:fs");
  const { gzipSync } = await import("node:zlib");
  const args = process.argv.slice(2);
  const find = args.includes("--find") ? args.splice(args.indexOf("--find")).slice(1) : [];
  process.argv.splice(2, Infinity, ...args);
  const buf = readFileSync(process.argv[2]);
  const gz = (b) => gzipSync(b, { level: 9 }).length;
  const b = wasmBreakdown(buf);
  console.log(`total ${b.total} B, gzip -9 ${gz(buf)} B; code ${b.code} B, data ${b.data} B`);
  console.log("| section | raw B | gzip -9 B |\n| --- | ---: | ---: |");
  for (const s of b.sections) console.log(`| ${s.name} | ${s.end - s.start} | ${gz(buf.subarray(s.start, s.end))} |`);
  if (b.named) {
    console.log("| crate | code B |\n| --- | ---: |");
    for (const [c, n] of b.crates.slice(0, Number(process.argv[3] || 30))) console.log(`| ${c} | ${n} |`);
  }
  const segs = dataSegments(buf);
  console.log("| data segment | raw B | gzip -9 B | printable |\n| --- | ---: | ---: | ---: |");
  for (const s of [...segs].sort((x, y) => y.bytes.length - x.bytes.length).slice(0, Number(process.argv[3] || 30))) {
    const printable = s.bytes.filter((c) => c >= 32 && c < 127).length / Math.max(1, s.bytes.length);
    console.log(`| ${s.name ?? s.index} | ${s.bytes.length} | ${gz(s.bytes)} | ${Math.round(printable * 100)} % |`);
  }
  for (const f of find) {
    const where = locate(segs, readFileSync(f));
    const label = (i) => segs[i].name ?? i;
    console.log(`${f}: ${where.length ? where.map(([i, n]) => `${label(i)} ${n} B`).join(", ") : "not found"}`);
  }
}
