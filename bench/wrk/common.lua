-- Shared by the scenarios: auth header, the seeded ids, a per-thread random stream.
local M = {}
M.token = os.getenv("SCIM_TOKEN")
M.users = tonumber(os.getenv("SCIM_USERS"))
M.headers = { ["Authorization"] = "Bearer " .. M.token, ["Content-Type"] = "application/scim+json" }
function M.ids()
  local ids = {}
  for line in io.lines(os.getenv("SCIM_IDS")) do ids[#ids + 1] = line end
  return ids
end
function M.path(suffix)
  return os.getenv("SCIM_BASE"):match("^https?://[^/]+(/.*)$") .. suffix
end
return M
