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

/** The crate a demangled Rust symbol belongs to ("lol_html", "core", ...). */
export function crateOf(name) {
  // Legacy-mangled symbol (`_ZN8lol_html6parser...E`): the first segment.
  const mangled = /^_ZN(\d+)/.exec(name);
  if (mangled) return name.slice(3 + mangled[1].length, 3 + mangled[1].length + Number(mangled[1]));
  // `<lol_html::x::Y as core::fmt::Debug>::fmt` belongs to lol_html;
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
      const name = r.name();
      if (name === "name") {
        while (r.pos < end) {
          const sub = r.byte();
          const len = r.u32();
          const subEnd = r.pos + len;
          if (sub === 1) {
            const n = r.u32();
            for (let i = 0; i < n; i++) {
              const idx = r.u32();
              names.set(idx, r.name());
            }
          }
          r.pos = subEnd;
        }
      }
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
