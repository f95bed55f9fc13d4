package.path = "bench/wrk/?.lua;" .. package.path
local c = require("common")
request = function()
  local n = math.random(0, c.users - 1)
  return wrk.format("GET", c.path("/Users?filter=userName%20eq%20%22user" .. n .. "%40example.com%22&startIndex=1&count=100"), c.headers)
end
