-- wrk script: GET the demo page under a rotating mix of consent states.
-- COOKIES (set by run.mjs through the environment) holds the Cookie header
-- values separated by "|"; an empty entry means no Cookie header (undecided).
-- Every response status is counted; done() prints one JSON line.
local states = {}
for s in ((os.getenv("COOKIES") or "") .. "|"):gmatch("([^|]*)|") do
  table.insert(states, s)
end
local path = os.getenv("LOAD_PATH") or "/"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  i = 0
  non2xx = 0
  ok = 0
end

function request()
  i = i + 1
  local c = states[(i % #states) + 1]
  local headers = { ["cf-ipcountry"] = "DE", ["accept-language"] = "de-DE,de;q=0.9,en;q=0.8" }
  if c ~= "" then
    headers["cookie"] = c
  end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local n2, okc = 0, 0
  for _, t in ipairs(threads) do
    n2 = n2 + t:get("non2xx")
    okc = okc + t:get("ok")
  end
  local e = summary.errors
  io.write(string.format(
    'LOAD-RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"ok":%d,"non2xx":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.0f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, okc, n2,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
