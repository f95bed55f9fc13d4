package.path = "bench/wrk/?.lua;" .. package.path
local c = require("common")
local ids = c.ids()
local flip = false
request = function()
  flip = not flip
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"' ..
    (flip and "False" or "True") .. '"},{"op":"Replace","path":"name.familyName","value":"Patched"}]}'
  return wrk.format("PATCH", c.path("/Users/" .. ids[math.random(#ids)]), c.headers, body)
end
