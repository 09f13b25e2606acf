// A worker in bare workerd, for the cold-start rows of `make bench`: the same
// runtime binary Miniflare drives, started from a text config this file
// writes, the worker alone in its process and serving its own socket.
// Miniflare instead starts its own workers beside it (an entry worker in
// front, handing every request over a service binding); a worker started
// after a wasm worker makes V8 compile the wasm worker's code again on its
// first request, although its `start` event had compiled it (docs/
// BENCHMARKS.md, "Startup (stop 15)"). `make bench` measures both.
//
//   const w = await startBare({ main: "path/to/index.js", extra: ["path/to/index_bg.wasm"],
//                               bindings: { ORIGIN: "http://…", CATALOG: [...] } });
//   … requests to w.url …; await w.stop();
//
// `main` is the entry module (an ES module); `extra` are more modules from
// the same directory (`.wasm` files as wasm modules, the rest as ES modules).
// A string binding is a text binding; anything else a JSON binding. The
// worker may fetch any address (loopback origins included). "ready" is the
// time from spawning workerd to its `listen` message on the control pipe.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { once } from "node:events";
import workerd from "workerd";

const BINARY = workerd.default ?? workerd;

/** Starts one worker; resolves with { url, t0 (the spawn), readyMs, pid, stop }. */
export async function startBare({ main, extra = [], bindings = {}, compatibilityDate }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bare-workerd-"));
  // `embed` paths are relative to the config file: copy the modules in.
  const copy = (file) => {
    fs.copyFileSync(file, path.join(dir, path.basename(file)));
    return path.basename(file);
  };
  const q = JSON.stringify;
  const modules = [main, ...extra].map((file) => {
    const name = copy(file);
    return `(name = ${q(name)}, ${name.endsWith(".wasm") ? "wasm" : "esModule"} = embed ${q(name)})`;
  });
  const binds = Object.entries(bindings).map(([name, value], i) => {
    if (typeof value === "string") return `(name = ${q(name)}, text = ${q(value)})`;
    fs.writeFileSync(path.join(dir, `binding-${i}.json`), JSON.stringify(value));
    return `(name = ${q(name)}, json = embed ${q(`binding-${i}.json`)})`;
  });
  const config = path.join(dir, "config.capnp");
  fs.writeFileSync(
    config,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [${modules.join(", ")}],
  compatibilityDate = ${q(compatibilityDate)},
  bindings = [${binds.join(", ")}],
);
`,
  );
  const t0 = performance.now();
  const child = spawn(BINARY, ["serve", "--experimental", "--control-fd=3", config], { stdio: ["ignore", "ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill();
      await once(child, "exit");
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise((resolve, reject) => {
      let buf = "";
      child.stdio[3].on("data", (d) => {
        buf += d;
        const lines = buf.split("\n");
        buf = lines.pop();
        for (const line of lines) {
          const msg = JSON.parse(line);
          if (msg.event === "listen") resolve(msg.port);
        }
      });
      child.on("exit", (code) => reject(new Error(`workerd exited (${code}) before listening: ${stderr.trim()}`)));
    });
    return { url: `http://127.0.0.1:${port}/`, t0, readyMs: performance.now() - t0, pid: child.pid, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
