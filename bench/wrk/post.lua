package.path = "bench/wrk/?.lua;" .. package.path
local c = require("common")
local counter = 0
local threads = 0
-- Runs in the main state: gives each thread its own id, so userNames never collide.
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
request = function()
  counter = counter + 1
  local name = "load-" .. tid .. "-" .. counter .. "@example.com"
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' .. name ..
    '","active":true,"name":{"givenName":"Load","familyName":"Test"},"emails":[{"value":"' .. name ..
    '","type":"work","primary":true}]}'
  return wrk.format("POST", c.path("/Users"), c.headers, body)
end
