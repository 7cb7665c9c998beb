-- namel3ss/ollamaStatus per document: the server sends one notification per Ollama server, with
-- `uris` (the open documents whose status it is) and `default` (true for the default server).
-- The status of a buffer is the latest payload whose `uris` holds the buffer's URI, else the
-- default server's, else the most recent; payloads of clients attached to the buffer come first.
local M = {}

M.entries = {} -- "client id|baseUrl" -> { params, seq, client_id, uris = set, default }
M.seq = 0

local function val(x)
  if x == vim.NIL then
    return nil
  end
  return x
end

--- Remember a notification (`client_id` may be nil when called by hand).
function M.record(params, client_id)
  M.seq = M.seq + 1
  local key = tostring(client_id or 0) .. "|" .. tostring(val(params.baseUrl) or "")
  local entry = { params = params, seq = M.seq, client_id = client_id, default = params.default == true }
  if type(params.uris) == "table" then
    entry.uris = {}
    for _, uri in ipairs(params.uris) do
      if type(uri) == "string" then
        entry.uris[uri] = true
      end
    end
    -- A document has one status: it leaves the other servers of the same client.
    for other_key, other in pairs(M.entries) do
      if other_key ~= key and other.client_id == client_id and other.uris then
        for uri in pairs(entry.uris) do
          other.uris[uri] = nil
        end
      end
    end
  end
  M.entries[key] = entry
  return entry
end

local function attached_ids(bufnr)
  local ids = {}
  for _, c in ipairs(require("namel3ss").clients(bufnr)) do
    if vim.lsp.buf_is_attached(bufnr, c.id) then
      ids[c.id] = true
    end
  end
  return ids
end

--- The status params for a buffer (default: the current one), or nil before any news.
function M.for_buffer(bufnr)
  if bufnr == nil or bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  local uri = vim.api.nvim_buf_is_valid(bufnr) and vim.api.nvim_buf_get_name(bufnr) ~= "" and vim.uri_from_bufnr(bufnr)
  local ids = attached_ids(bufnr)
  local only_attached = next(ids) ~= nil
  local best = { {}, {}, {} } -- by rule: uri, default, any
  for key, e in pairs(M.entries) do
    if e.client_id and not vim.lsp.get_client_by_id(e.client_id) then
      M.entries[key] = nil -- the client went away
    elseif not only_attached or ids[e.client_id] then
      local rules = { uri and e.uris and e.uris[uri], e.default, true }
      for i = 1, 3 do
        if rules[i] and (best[i].seq or 0) < e.seq then
          best[i] = e
        end
      end
    end
  end
  for _, e in ipairs(best) do
    if e.params then
      return e.params
    end
  end
  return nil
end

return M
