-- Checks the shape of the `namel3ss` settings and warns (vim.notify) about what the server would
-- ignore: a wrong type, an unknown key, a section in the wrong place. The server still starts.
local M = {}

local SEVERITIES = { "error", "warning", "information", "hint", "off" }

local function is_positive(v, allow_zero)
  return type(v) == "number" and v == v and v < math.huge and (v > 0 or (allow_zero and v == 0))
end

local function is_string_list(v)
  if type(v) ~= "table" then
    return false
  end
  for k, h in pairs(v) do
    if type(k) ~= "number" or type(h) ~= "string" then
      return false
    end
  end
  return true
end

-- "group.key" -> { check(value) -> ok, what it should be }
local FIELDS = {
  ["ollama.baseUrl"] = {
    function(v)
      return v == nil or v == vim.NIL or type(v) == "string"
    end,
    'a URL string such as "http://127.0.0.1:11434"',
  },
  ["ollama.allowedHosts"] = { is_string_list, 'a list of host names such as { "localhost", "127.0.0.1" }' },
  ["ollama.requestTimeout"] = { is_positive, "a number of seconds above 0" },
  ["ollama.healthCheckInterval"] = { is_positive, "a number of seconds above 0" },
  ["ollama.modelCacheTtl"] = {
    function(v)
      return is_positive(v, true)
    end,
    "a number of seconds, 0 or more",
  },
  ["ollama.allowServerStart"] = {
    function(v)
      return type(v) == "boolean"
    end,
    "true or false",
  },
  ["diagnostics.missingModel"] = {
    function(v)
      return type(v) == "string" and vim.tbl_contains(SEVERITIES, v:lower())
    end,
    'one of "' .. table.concat(SEVERITIES, '", "') .. '"',
  },
}
local GROUPS = { ollama = true, diagnostics = true }
-- Sections the VS Code extension keeps in the same object (how to start the server, tracing).
local CLIENT_SIDE = { server = true, trace = true }

local function show(v)
  if type(v) == "string" then
    return string.format("%q", v)
  end
  return vim.inspect(v, { newline = " ", indent = "" })
end

local function sorted_keys(tbl)
  local keys = {}
  for k in pairs(tbl) do
    table.insert(keys, k)
  end
  table.sort(keys, function(a, b)
    return tostring(a) < tostring(b)
  end)
  return keys
end

--- Problems with a `namel3ss` section (the table the server reads), as readable lines.
--- `where` names it in the messages: "settings" (setup()) or "settings.namel3ss" (vim.lsp.config).
function M.problems(section, where)
  local out = {}
  if section == nil or section == vim.NIL then
    return out
  end
  if type(section) ~= "table" then
    table.insert(out, string.format("%s must be a table, not %s", where, show(section)))
    return out
  end
  for _, key in ipairs(sorted_keys(section)) do
    local value = section[key]
    local path = where .. "." .. tostring(key)
    if FIELDS[key] then -- the dotted spelling, { ["ollama.baseUrl"] = ... }
      if not FIELDS[key][1](value) then
        table.insert(out, string.format("%s must be %s, not %s", path, FIELDS[key][2], show(value)))
      end
    elseif GROUPS[key] then
      if type(value) ~= "table" then
        table.insert(out, string.format("%s must be a table, not %s", path, show(value)))
      else
        for _, sub in ipairs(sorted_keys(value)) do
          local field = FIELDS[key .. "." .. tostring(sub)]
          if not field then
            table.insert(out, string.format("unknown key %s.%s", path, tostring(sub)))
          elseif not field[1](value[sub]) then
            table.insert(out, string.format("%s.%s must be %s, not %s", path, tostring(sub), field[2], show(value[sub])))
          end
        end
      end
    elseif not CLIENT_SIDE[key] then
      table.insert(out, string.format("unknown key %s (known: ollama, diagnostics)", path))
    end
  end
  return out
end

--- Problems with a client's `settings` table as vim.lsp.config and nvim-lspconfig take it:
--- `{ namel3ss = { ollama = {...}, diagnostics = {...} } }`.
function M.client_problems(settings)
  local out = {}
  if settings == nil or settings == vim.NIL then
    return out
  end
  if type(settings) ~= "table" then
    return { "settings must be a table such as { namel3ss = { ollama = { ... } } }, not " .. show(settings) }
  end
  for _, key in ipairs(sorted_keys(settings)) do
    if key ~= "namel3ss" then
      local hint = (GROUPS[key] or FIELDS[key]) and string.format(" (write settings = { namel3ss = { %s = ... } })", key)
        or " (the server reads only settings.namel3ss)"
      table.insert(out, string.format("unknown key settings.%s%s", tostring(key), hint))
    end
  end
  vim.list_extend(out, M.problems(settings.namel3ss, "settings.namel3ss"))
  return out
end

local warned = {}

--- vim.notify a warning listing `problems` (once per distinct text). Returns the text or nil.
function M.warn(problems)
  if not problems or #problems == 0 then
    return nil
  end
  local text = "namel3ss: ignoring settings the server cannot use:\n- " .. table.concat(problems, "\n- ")
  if not warned[text] then
    warned[text] = true
    vim.notify(text, vim.log.levels.WARN, { title = "namel3ss" })
  end
  return text
end

--- Warn about a `namel3ss` section (setup({ settings = ... }), update_settings(...)).
function M.check_section(section)
  if type(section) == "table" and section.namel3ss ~= nil and next(section, next(section)) == nil then
    return M.warn(M.problems(section.namel3ss, "settings.namel3ss")) -- the wrapped form works too
  end
  return M.warn(M.problems(section, "settings"))
end

--- Warn about a client's `settings` (vim.lsp.config / nvim-lspconfig shape).
function M.check_client(settings)
  return M.warn(M.client_problems(settings))
end

return M
