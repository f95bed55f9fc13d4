-- The soak's mixed IdP workload: existence checks by filter, reads by id, user PATCHes
-- (Entra's and Okta's shapes), and group membership churn (add, then remove, a member).
package.path = "bench/wrk/?.lua;" .. package.path
local c = require("common")
local users = c.ids()
local groups = {}
for line in io.lines(os.getenv("SCIM_GROUP_IDS")) do groups[#groups + 1] = line end
local patch = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":['
local flip = false

request = function()
  local roll = math.random(100)
  local user = users[math.random(#users)]
  if roll <= 40 then
    local n = math.random(0, c.users - 1)
    return wrk.format("GET", c.path("/Users?filter=userName%20eq%20%22user" .. n .. "%40example.com%22"), c.headers)
  elseif roll <= 60 then
    return wrk.format("GET", c.path("/Users/" .. user), c.headers)
  elseif roll <= 70 then
    return wrk.format("GET", c.path("/Groups?filter=displayName%20eq%20%22Soak%20group%20" .. math.random(0, #groups - 1) .. "%22&excludedAttributes=members"), c.headers)
  elseif roll <= 85 then
    flip = not flip
    local body = patch .. '{"op":"Replace","path":"active","value":' .. (flip and "false" or "true") ..
      '},{"op":"replace","value":{"displayName":"Soak ' .. roll .. '","title":"Rep"}}]}'
    return wrk.format("PATCH", c.path("/Users/" .. user), c.headers, body)
  else
    local group = groups[math.random(#groups)]
    local body
    if roll <= 93 then
      body = patch .. '{"op":"add","path":"members","value":[{"value":"' .. user .. '"}]}]}'
    else
      body = patch .. '{"op":"remove","path":"members[value eq \\"' .. user .. '\\"]"}]}'
    end
    return wrk.format("PATCH", c.path("/Groups/" .. group), c.headers, body)
  end
end

done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
