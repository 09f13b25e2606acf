// A broken consent.toml must stop `make build` — the command `wrangler
// deploy` runs — with `consent.toml:LINE:COL: what is wrong`, never deploy a
// worker that silently runs on defaults. The project is copied to a temp
// dir, its consent.toml broken one way per case, and `make build` run there
// against this checkout's target dir (dependencies already built), so each
// case stops in build.rs within seconds.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// Not needed to build the worker, or large, or generated.
const SKIP = new Set(["target", "node_modules", "build", ".git", ".wrangler", "docs", "fuzz", ".dev.vars"]);
let dir, original;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "consent-edge-config-"));
  for (const name of fs.readdirSync(ROOT)) {
    if (SKIP.has(name)) continue;
    fs.cpSync(path.join(ROOT, name), path.join(dir, name), { recursive: true });
  }
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(dir, "node_modules"));
  original = fs.readFileSync(path.join(dir, "consent.toml"), "utf8");
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `make build` in the copy with consent.toml = `text`. */
function build(text) {
  fs.writeFileSync(path.join(dir, "consent.toml"), text);
  // -o tools: installing missing tools is `make tools`' job (make test runs
  // it first), not this test's.
  const r = spawnSync("make", ["-o", "tools", "-o", "rust-tools", "-o", "node-tools", "build"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, CARGO_TARGET_DIR: path.join(ROOT, "target"), CARGO_TERM_COLOR: "never" },
    // Each case stops in build.rs within seconds on the warm target dir `make
    // test` leaves (it builds first); a cold one compiles the dependencies once.
    timeout: 1_200_000,
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** `text` with the first line matching `re` replaced by `line` (or, with
 *  `after`, `line` inserted after it); returns the text and the 1-based
 *  number of the changed line. */
function edit(re, line, { after: insertAfter = false } = {}) {
  const lines = original.split("\n");
  const i = lines.findIndex((l) => re.test(l));
  assert.ok(i >= 0, `consent.toml has a line matching ${re}`);
  if (insertAfter) {
    lines.splice(i + 1, 0, line);
    return { text: lines.join("\n"), line: i + 2 };
  }
  lines[i] = line;
  return { text: lines.join("\n"), line: i + 1 };
}

function assertFails({ text, line }, col, what) {
  const { status, out } = build(text);
  assert.notEqual(status, 0, `make build must fail:\n${out.slice(-2000)}`);
  const at = `consent.toml:${line}:${col}: `;
  assert.ok(out.includes(at), `output names ${at}:\n${out.slice(-2000)}`);
  assert.ok(out.includes(what), `output says ${JSON.stringify(what)}:\n${out.slice(-2000)}`);
  assert.ok(!out.includes("panicked"), `a clear error, not a panic:\n${out.slice(-2000)}`);
}

test("a TOML syntax error fails the build at its position", () => {
  assertFails(edit(/^\[records\]$/, "[records"), 9, "invalid table header");
});

test("a value of the wrong type (revision = \"two\") fails the build", () => {
  assertFails(edit(/^revision = \d+$/, 'revision = "two"'), 12, "expected u32");
});

test("an unknown key fails the build", () => {
  assertFails(edit(/^\[policy\]$/, "revison = 2", { after: true }), 1, "unknown field `revison`");
});

test("an unknown vendor id in [trackers] allow fails the build", () => {
  assertFails(edit(/^allow = \[\]$/, 'allow = ["youtub"]'), 10, 'trackers.allow[0]: unknown vendor "youtub"');
});

test("an impossible max age fails the build", () => {
  const { text, line } = edit(/^eu = \{ model = "opt-in", max_age_days = 182 \}$/, 'eu = { model = "opt-in", max_age_days = 400 }');
  assertFails({ text, line }, 41, "jurisdictions.regimes.eu.max_age_days: 400 days");
});
