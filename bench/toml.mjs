// A tiny TOML reader, enough for trackers.toml: comments, [table] and
// [[array-of-tables]] headers (dotted names not needed), and values that are
// basic/literal strings, integers, floats, booleans, one-line inline tables
// or (multi-line) arrays of those. Anything else is an error with a line number, never a silent guess.

/** Parses `text`; returns a plain object. */
export function parseToml(text) {
  const root = {};
  let table = root;
  let i = 0;
  let line = 1;
  const fail = (msg) => {
    throw new Error(`trackers TOML line ${line}: ${msg}`);
  };
  const skipWs = (newlines) => {
    for (;;) {
      const c = text[i];
      if (c === " " || c === "\t" || c === "\r") i++;
      else if (c === "\n" && newlines) { i++; line++; }
      else if (c === "#") { while (i < text.length && text[i] !== "\n") i++; }
      else return;
    }
  };
  const bareKey = () => {
    const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i, i + 128));
    if (m) { i += m[0].length; return m[0]; }
    if (text[i] === '"' || text[i] === "'") return str();
    return fail(`expected a key, found ${JSON.stringify(text[i])}`);
  };
  const str = () => {
    const q = text[i++];
    let out = "";
    while (i < text.length && text[i] !== q) {
      const c = text[i++];
      if (c === "\n") fail("newline in string");
      if (c === "\\" && q === '"') {
        const e = text[i++];
        const simple = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", '"': '"', "\\": "\\" };
        if (e in simple) out += simple[e];
        else if (e === "u" || e === "U") {
          const n = e === "u" ? 4 : 8;
          out += String.fromCodePoint(parseInt(text.slice(i, i + n), 16));
          i += n;
        } else fail(`bad escape \\${e}`);
      } else out += c;
    }
    if (text[i] !== q) fail("unterminated string");
    i++;
    return out;
  };
  const value = () => {
    const c = text[i];
    if (c === '"' || c === "'") {
      if (text.startsWith(c.repeat(3), i)) fail("multi-line strings are not supported");
      return str();
    }
    if (c === "[") {
      i++;
      const arr = [];
      for (;;) {
        skipWs(true);
        if (text[i] === "]") { i++; return arr; }
        arr.push(value());
        skipWs(true);
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return arr; }
        fail(`expected , or ] in array, found ${JSON.stringify(text[i])}`);
      }
    }
    if (c === "{") {
      // Inline table: `{ key = value, ... }` on one line (TOML 1.0 §inline-table).
      i++;
      const obj = {};
      for (;;) {
        skipWs(false);
        if (text[i] === "}") { i++; return obj; }
        const k = bareKey();
        skipWs(false);
        if (text[i] !== "=") fail(`expected = after ${k} in inline table`);
        i++;
        skipWs(false);
        obj[k] = value();
        skipWs(false);
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return obj; }
        fail(`expected , or } in inline table, found ${JSON.stringify(text[i])}`);
      }
    }
    const m = /^(true|false|[+-]?\d[\d_]*(\.\d+)?)/.exec(text.slice(i, i + 64));
    if (!m) fail(`unsupported value starting ${JSON.stringify(text.slice(i, i + 12))}`);
    i += m[0].length;
    if (m[0] === "true" || m[0] === "false") return m[0] === "true";
    return Number(m[0].replace(/_/g, ""));
  };
  for (;;) {
    skipWs(true);
    if (i >= text.length) return root;
    if (text[i] === "[") {
      const arrayTable = text[i + 1] === "[";
      i += arrayTable ? 2 : 1;
      skipWs(false);
      const name = bareKey();
      skipWs(false);
      if (!text.startsWith(arrayTable ? "]]" : "]", i)) fail("bad table header");
      i += arrayTable ? 2 : 1;
      if (arrayTable) {
        if (!Array.isArray(root[name] ??= [])) fail(`${name} is not an array of tables`);
        table = {};
        root[name].push(table);
      } else {
        table = root[name] ??= {};
      }
    } else {
      const key = bareKey();
      skipWs(false);
      if (text[i] !== "=") fail(`expected = after ${key}`);
      i++;
      skipWs(false);
      if (key in table) fail(`duplicate key ${key}`);
      table[key] = value();
    }
    skipWs(false);
    if (i < text.length && text[i] !== "\n") fail(`trailing characters ${JSON.stringify(text.slice(i, i + 12))}`);
  }
}
