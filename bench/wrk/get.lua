package.path = "bench/wrk/?.lua;" .. package.path
local c = require("common")
local ids = c.ids()
request = function()
  return wrk.format("GET", c.path("/Users/" .. ids[math.random(#ids)]), c.headers)
end
