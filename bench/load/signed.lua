-- wrk script: each request posts the next pre-signed unique webhook from PAYLOADS
-- ("<signature> <body>" lines). Thread k of n keeps lines k, k+n, k+2n, ... so that no body
-- repeats across threads and each holds only its share.
local payloads = {}
local next_index = 1
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("PAYLOADS")
  local stride = tonumber(os.getenv("WRK_THREADS") or "1")
  local n = 0
  for line in io.lines(path) do
    if n % stride == id - 1 then
      local sig, body = line:match("^(%S+) (.*)$")
      -- Formatted once here: building each request while the clock runs would make wrk,
      -- not the server, the bottleneck.
      payloads[#payloads + 1] = wrk.format("POST", "/webhooks/load", {
        ["Content-Type"] = "application/json",
        ["X-Signature"] = sig,
      }, body)
    end
    n = n + 1
  end
  -- request() makes no garbage; without this the collector would walk the whole payload
  -- table again and again, and wrk's own CPU would cap the figures.
  collectgarbage("collect")
  collectgarbage("stop")
end

function request()
  local p = payloads[next_index]
  if p == nil then
    -- Out of unique payloads: resend the last one (a retry, answered alike, stored once).
    p = payloads[#payloads]
  else
    next_index = next_index + 1
  end
  return p
end
