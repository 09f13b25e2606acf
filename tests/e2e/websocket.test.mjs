// Websocket upgrades pass through the worker untouched.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import { once } from "node:events";
import { startWorker } from "./harness.mjs";

test("a websocket upgrade reaches the origin and messages flow back", async () => {
  const server = http.createServer((req, res) => { res.writeHead(426); res.end(); });
  server.on("upgrade", (req, socket) => {
    const accept = crypto.createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    socket.write(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Accept: ${accept}`, "", ""].join("\r\n"));
    const payload = Buffer.from("hello from origin");
    socket.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload])); // one unmasked text frame
    socket.on("error", () => {});
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const mf = await startWorker({ ORIGIN: `http://127.0.0.1:${server.address().port}` });
  try {
    const res = await mf.dispatchFetch("https://site.example/ws", { headers: { upgrade: "websocket" } });
    assert.equal(res.status, 101);
    const ws = res.webSocket;
    assert.ok(ws, "a websocket is handed back");
    const got = new Promise((resolve) => ws.addEventListener("message", (e) => resolve(e.data)));
    ws.accept();
    assert.equal(await got, "hello from origin");
    ws.close();
  } finally {
    await mf.dispose();
    server.closeAllConnections?.();
    server.close();
  }
});
