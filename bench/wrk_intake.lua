-- wrk script for bench/intake_load.py: every request is a new lead (unique external_id and phone).
--   wrk -t2 -c16 -d20s -s bench/wrk_intake.lua http://127.0.0.1:8400/api/v1/leads/ -- <token> <nonce 0-999> <run id>
-- Phones: +79 <nonce:3> <thread:1> <counter:5>, unique within one wrk call (the caller gives each call its
-- own nonce); external_id: bench-<run id>-<nonce>-<thread>-<n>, unique across runs.
-- done() prints one JSON line (latencies in microseconds) that intake_load.py reads.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   token = args[1] or ""
   nonce = tonumber(args[2] or "0")
   run_id = args[3] or "x"
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Token " .. token
end

function request()
   counter = counter + 1
   local phone = string.format("+79%03d%d%05d", nonce % 1000, tid % 10, counter % 100000)
   local body = string.format(
      '{"phone": "%s", "external_id": "bench-%s-%d-%d-%d", "name": "Bench %d", "city": "Москва", ' ..
      '"product_interest": "custom", "utm_source": "bench", "message": "load test"}',
      phone, run_id, nonce, tid, counter, counter)
   return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, ' ..
      '"timeout": %d, "p50": %d, "p95": %d, "p99": %d, "mean": %.1f, "max": %d}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
