-- GCRA over several quotas at once, atomically: a request is allowed only when every
-- quota allows it, and only then are the keys' TATs moved. Time is the Redis server's,
-- so every node shares one clock. Mirrors gcra.rs.
-- KEYS[i]: one per quota. ARGV[2i-1]: emission interval (µs); ARGV[2i]: count.
-- Returns {allowed, remaining_1, retry_us_1, reset_us_1, ...}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local allowed = 1
local out = {}
local news = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local count = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - interval * count
  if now < allow_at then
    allowed = 0
    out[#out + 1] = 0
    out[#out + 1] = allow_at - now
    out[#out + 1] = tat - now
  else
    news[i] = new_tat
    out[#out + 1] = math.floor((now - allow_at) / interval)
    out[#out + 1] = 0
    out[#out + 1] = new_tat - now
  end
end
if allowed == 1 then
  for i = 1, #KEYS do
    redis.call('SET', KEYS[i], string.format('%d', news[i]), 'PX', math.ceil((news[i] - now) / 1000) + 1000)
  end
end
table.insert(out, 1, allowed)
return out
