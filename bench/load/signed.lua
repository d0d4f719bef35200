-- wrk script: each request posts the next pre-signed unique webhook from PAYLOADS
-- ("<signature> <body>" lines). Every thread takes its own stride so no body repeats.
local payloads = {}
local next_index = 1
local stride = 1
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("PAYLOADS")
  for line in io.lines(path) do
    local sig, body = line:match("^(%S+) (.*)$")
    -- Formatted once here: building each request while the clock runs would make wrk,
    -- not the server, the bottleneck.
    payloads[#payloads + 1] = wrk.format("POST", "/webhooks/load", {
      ["Content-Type"] = "application/json",
      ["X-Signature"] = sig,
    }, body)
  end
  next_index = id
  stride = tonumber(os.getenv("WRK_THREADS") or "1")
end

function request()
  local p = payloads[next_index]
  if p == nil then
    -- Out of unique payloads: resend the last one (a retry, answered alike, stored once).
    p = payloads[#payloads]
  else
    next_index = next_index + stride
  end
  return p
end
