-- namel3ss.nvim: the Neovim client side of namel3ss-lsp (Namel3ss .ai files, Ollama models).
--
-- Neovim 0.11+:          vim.lsp.enable("namel3ss")  (uses lsp/namel3ss.lua from this plugin)
-- with nvim-lspconfig:   require("lspconfig").namel3ss.setup({ settings = { namel3ss = {...} } })
--                        (any version from v0.1.6; see lua/namel3ss/lspconfig.lua)
-- Neovim 0.7 to 0.10:    require("namel3ss").setup({ settings = { ollama = { baseUrl = "..." } } })
-- Use one of them, not two: you would get two clients.
--
-- Settings are the `namel3ss` section of DESIGN.md section 3 (checked by namel3ss.settings). They
-- reach the server as initializationOptions and through workspace/didChangeConfiguration (0.7 has
-- no workspace/configuration), and through workspace/configuration on the versions that have it.
-- Other modules: namel3ss.status (status per document), namel3ss.try (:Namel3ssTry),
-- namel3ss.commands, namel3ss.health.
local M = {}

local NAME = "namel3ss"
local STATUS_METHOD = "namel3ss/ollamaStatus"

M.defaults = {
  cmd = { "namel3ss-lsp" },
  filetypes = { "namel3ss" },
  root_markers = { ".git", ".hg", "namel3ss.toml", "pyproject.toml" },
  settings = {},
  autostart = true,
  -- Extra per-client handlers, capabilities and on_attach(client, bufnr), as for any LSP client.
  handlers = nil,
  capabilities = nil,
  on_attach = nil,
}

M.config = vim.deepcopy(M.defaults)

-- State shared by every namel3ss client of this Neovim.
M.state = {
  status = nil, -- last namel3ss/ollamaStatus params
  status_by_url = {}, -- baseUrl -> params
  progress = {}, -- "clientid:token" -> { title, message, percentage }
  tries = {}, -- id -> pending :Namel3ssTry
}

local has = function(feature)
  return vim.fn.has(feature) == 1
end

local function notify(msg, level)
  vim.notify(msg, level or vim.log.levels.INFO, { title = "namel3ss" })
end

-- JSON needs an object, never an empty Lua table (which encodes as []).
local function as_object(tbl)
  if tbl == nil or next(tbl) == nil then
    return vim.empty_dict()
  end
  return tbl
end

local function client_request(client, method, params, handler, bufnr)
  if has("nvim-0.11") then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.client_notify(client, method, params)
  if has("nvim-0.11") then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

--- namel3ss clients, those attached to `bufnr` first.
function M.clients(bufnr)
  local all
  if vim.lsp.get_clients then
    all = vim.lsp.get_clients({ name = NAME })
  else
    all = {}
    for _, c in pairs(vim.lsp.get_active_clients()) do
      if c.name == NAME then
        table.insert(all, c)
      end
    end
  end
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  table.sort(all, function(a, b)
    local aa, ba = vim.lsp.buf_is_attached(bufnr, a.id), vim.lsp.buf_is_attached(bufnr, b.id)
    if aa ~= ba then
      return aa
    end
    return a.id < b.id
  end)
  return all
end

function M.first_client(bufnr)
  local c = M.clients(bufnr)[1]
  if not c then
    notify("namel3ss-lsp is not running (open a .ai file first)", vim.log.levels.WARN)
  end
  return c
end

---------------------------------------------------------------------------------------------
-- Status (namel3ss/ollamaStatus) and the statusline
---------------------------------------------------------------------------------------------

local function refresh_statusline()
  pcall(vim.api.nvim_exec_autocmds, "User", { pattern = "Namel3ssStatus", modeline = false })
  pcall(vim.cmd, "redrawstatus!")
end

function M.on_status(_, params, ctx, _)
  if type(params) ~= "table" then
    return
  end
  M.state.status = params
  if params.baseUrl and params.baseUrl ~= vim.NIL then
    M.state.status_by_url[params.baseUrl] = params
  end
  require("namel3ss.status").record(params, type(ctx) == "table" and ctx.client_id or nil)
  vim.schedule(refresh_statusline)
end

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

--- The text for a statusline (lualine: `sections = { lualine_x = { require("namel3ss").statusline } }`,
--- plain: `set statusline+=%{v:lua.require'namel3ss'.statusline()}`): "Ollama ✓ 12 models",
--- "Ollama unreachable", "Ollama: Pulling phi3:mini 40%" while a pull runs, "" before any news.
--- The status is the one of the Ollama server the buffer (default: the current one) uses.
function M.statusline(bufnr)
  for key, p in pairs(M.state.progress) do
    local client = vim.lsp.get_client_by_id(tonumber(key:match("^(%d+):")) or -1)
    if not client then
      M.state.progress[key] = nil -- the server went away without ending its progress
    elseif p.title and not p.is_try then
      local pct = p.percentage and string.format(" %d%%", p.percentage) or ""
      return string.format("Ollama: %s%s", p.title, pct)
    end
  end
  local s = M.status(type(bufnr) == "number" and bufnr or nil)
  if not s then
    return ""
  end
  if s.reachable == true then
    local count = tonumber(s.modelsCount)
    if count then
      return "Ollama ✓ " .. plural(count, "model")
    end
    return "Ollama ✓"
  end
  return "Ollama unreachable"
end

--- The status object (namel3ss/ollamaStatus params) of the Ollama server a buffer (default: the
--- current one) uses, or nil before any news.
function M.status(bufnr)
  return require("namel3ss.status").for_buffer(bufnr)
end

---------------------------------------------------------------------------------------------
-- $/progress: pulls (statusline) and :Namel3ssTry (scratch buffer)
---------------------------------------------------------------------------------------------

function M.progress_key(client_id, token)
  return tostring(client_id) .. ":" .. tostring(token)
end

function M.on_progress(err, result, ctx, config)
  local default = vim.lsp.handlers["$/progress"]
  if default then
    pcall(default, err, result, ctx, config)
  end
  if type(result) ~= "table" or type(result.value) ~= "table" then
    return
  end
  local v = result.value
  local key = M.progress_key(ctx.client_id, result.token)
  local t = require("namel3ss.try").find(ctx.client_id, result.token, v.kind == "begin" and v.title or nil)
  if v.kind == "begin" then
    M.state.progress[key] = { title = v.title, message = v.message, percentage = v.percentage, is_try = t ~= nil }
  elseif v.kind == "report" then
    local p = M.state.progress[key] or { is_try = t ~= nil }
    p.message = v.message or p.message
    p.percentage = v.percentage or p.percentage
    M.state.progress[key] = p
    if t then
      require("namel3ss.try").chunk(t, v.message)
    end
  elseif v.kind == "end" then
    M.state.progress[key] = nil
  end
  vim.schedule(refresh_statusline)
end

---------------------------------------------------------------------------------------------
-- Commands (workspace/executeCommand, DESIGN.md section 3)
---------------------------------------------------------------------------------------------

function M.err_text(err)
  if type(err) == "table" then
    return err.message or vim.inspect(err)
  end
  return tostring(err)
end

--- Run a namel3ss.* server command; `callback(err, result)` (default: notify on error).
function M.execute(command, argument, callback, opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client = opts.client or M.first_client(bufnr)
  if not client then
    return nil
  end
  local params = { command = command, arguments = { as_object(argument) } }
  if opts.work_done_token then
    params.workDoneToken = opts.work_done_token
  end
  client_request(client, "workspace/executeCommand", params, function(err, result)
    if callback then
      callback(err, result, client)
    elseif err then
      notify(command .. ": " .. M.err_text(err), vim.log.levels.ERROR)
    end
  end, bufnr)
  return client
end

--- The model id on the cursor line, or of the nearest `model:` above the cursor, or the first.
function M.model_at_cursor(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local row = 1
  if bufnr == vim.api.nvim_get_current_buf() then
    row = vim.api.nvim_win_get_cursor(0)[1]
  end
  local function model_of(line)
    if not line then
      return nil
    end
    local code = line:gsub("%s#.*$", "")
    return code:match("%f[%w_]model%s*:%s*[\"']?([%w_][%w_%.:/@%+%-]*)")
  end
  for i = row, 1, -1 do
    local m = model_of(lines[i])
    if m then
      return m
    end
  end
  for i = row + 1, #lines do
    local m = model_of(lines[i])
    if m then
      return m
    end
  end
  return nil
end

function M.pull(model)
  if not model or model == "" then
    model = M.model_at_cursor()
  end
  if not model then
    return notify("Namel3ssPull: which model?", vim.log.levels.WARN)
  end
  notify("Pulling " .. model .. " …")
  M.execute("namel3ss.ollama.pullModel", { model = model }, function(err, result)
    if err then
      notify("Pull " .. model .. " failed: " .. M.err_text(err), vim.log.levels.ERROR)
    else
      notify("Pulled " .. ((type(result) == "table" and result.model) or model))
    end
  end)
end

--- Remove a model. The server asks for confirmation with window/showMessageRequest (answered by
--- Neovim's own handler: vim.ui.select on 0.10+, inputlist before); `force` skips the question.
function M.remove(model, force)
  if not model or model == "" then
    model = M.model_at_cursor()
  end
  if not model then
    return notify("Namel3ssRemove: which model?", vim.log.levels.WARN)
  end
  local arg = { model = model }
  if force then
    arg.confirmed = true
  end
  M.execute("namel3ss.ollama.removeModel", arg, function(err, result)
    if err then
      notify("Remove " .. model .. " failed: " .. M.err_text(err), vim.log.levels.ERROR)
    elseif type(result) == "table" and result.removed then
      notify("Removed " .. model)
    else
      notify("Kept " .. model)
    end
  end)
end

function M.status_command()
  M.execute("namel3ss.ollama.status", {}, function(err, s)
    if err then
      return notify("Ollama status: " .. M.err_text(err), vim.log.levels.ERROR)
    end
    if type(s) ~= "table" then
      return
    end
    local function val(x)
      return (x ~= nil and x ~= vim.NIL) and x or nil
    end
    local url = val(s.base_url) or val(s.baseUrl) or "?"
    if s.reachable then
      local parts = { "Ollama" }
      if val(s.version) then
        table.insert(parts, val(s.version))
      end
      table.insert(parts, "at " .. url .. ": reachable,")
      table.insert(parts, plural(tonumber(val(s.models_count) or val(s.modelsCount)) or 0, "model"))
      local ms = val(s.response_time_ms) or val(s.responseTimeMs)
      if ms then
        table.insert(parts, string.format("(%d ms)", ms))
      end
      notify(table.concat(parts, " "))
    else
      local msg = "Ollama at " .. url .. " is unreachable"
      if val(s.error) then
        msg = msg .. ": " .. val(s.error)
      end
      if val(s.suggestion) then
        msg = msg .. "\n" .. val(s.suggestion)
      end
      notify(msg, vim.log.levels.WARN)
    end
  end)
end

function M.refresh()
  M.execute("namel3ss.ollama.refresh", {}, function(err)
    if err then
      notify("Refresh failed: " .. M.err_text(err), vim.log.levels.ERROR)
    end
  end)
end

--- Installed model names (synchronous, for command completion; {} when the server is slow).
function M.installed_models(timeout_ms)
  local client = M.clients()[1]
  if not client then
    return {}
  end
  local done, names = false, {}
  M.execute("namel3ss.ollama.listModels", {}, function(err, result)
    if not err and type(result) == "table" then
      for _, m in ipairs(result) do
        if type(m) == "table" and m.name then
          table.insert(names, m.name)
        end
      end
    end
    done = true
  end, { client = client })
  vim.wait(timeout_ms or 500, function()
    return done
  end, 10)
  return names
end

--- "42 tokens, 37.5 tok/s, 1.2 s" from a tryModel result.
function M.format_figures(result)
  return require("namel3ss.try").format_figures(result)
end

--- Run the model once and show the streamed reply in a scratch buffer (:Namel3ssTry); returns
--- the scratch buffer number. See lua/namel3ss/try.lua.
function M.try(model, prompt)
  return require("namel3ss.try").run(model, prompt)
end

---------------------------------------------------------------------------------------------
-- Client configuration
---------------------------------------------------------------------------------------------

--- The handlers every namel3ss client gets.
function M.handlers(extra)
  return vim.tbl_extend("force", {
    [STATUS_METHOD] = M.on_status,
    ["$/progress"] = M.on_progress,
  }, extra or {})
end

--- The project folder of a file: the nearest folder above it holding one of `markers`, else the
--- file's own folder (the current directory for an unnamed buffer).
function M.root_for(path, markers)
  markers = markers or M.defaults.root_markers
  if path == nil or path == "" then
    return (vim.uv or vim.loop).cwd()
  end
  path = vim.fn.fnamemodify(path, ":p:h")
  if vim.fs and vim.fs.find then
    local found = vim.fs.find(markers, { path = path, upward = true })[1]
    if found then
      return vim.fn.fnamemodify(found, ":h")
    end
    return path
  end
  local dir = path
  while dir and dir ~= "" do
    for _, m in ipairs(markers) do
      if (vim.uv or vim.loop).fs_stat(dir .. "/" .. m) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      break
    end
    dir = parent
  end
  return path
end

--- The client config (vim.lsp.start / vim.lsp.start_client shape) for a buffer.
function M.client_config(bufnr, opts)
  opts = opts or M.config
  local settings = as_object(vim.deepcopy(opts.settings or {}))
  local capabilities = opts.capabilities or vim.lsp.protocol.make_client_capabilities()
  return {
    name = NAME,
    cmd = opts.cmd,
    root_dir = M.root_for(vim.api.nvim_buf_get_name(bufnr), opts.root_markers),
    init_options = settings,
    -- Sent as workspace/didChangeConfiguration after initialize, and the answer to
    -- workspace/configuration (section "namel3ss") where the client supports it.
    settings = { namel3ss = settings },
    capabilities = capabilities,
    handlers = M.handlers(opts.handlers),
    on_attach = function(client, bufnr)
      -- Neovim 0.10+ does this itself; 0.7 to 0.9 do not: <C-x><C-o> completes from the server.
      if vim.bo[bufnr].omnifunc == "" then
        vim.bo[bufnr].omnifunc = "v:lua.vim.lsp.omnifunc"
      end
      -- Likewise (recent versions do it): <C-]> goes to the definition, in another file too.
      if vim.bo[bufnr].tagfunc == "" then
        vim.bo[bufnr].tagfunc = "v:lua.vim.lsp.tagfunc"
      end
      if opts.on_attach then
        opts.on_attach(client, bufnr)
      end
    end,
  }
end

local clients_07 = {} -- root_dir -> client id (0.7 only; 0.8+ vim.lsp.start reuses clients)

--- Start (or reuse) the client for a buffer and attach it. Returns the client id.
function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local config = M.client_config(bufnr)
  if vim.lsp.start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = clients_07[config.root_dir]
  if not id or not vim.lsp.get_client_by_id(id) or vim.lsp.client_is_stopped(id) then
    id = vim.lsp.start_client(config)
    clients_07[config.root_dir] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- The `namel3ss` section from what setup() got: the section itself, or { namel3ss = section }.
function M.unwrap_settings(settings)
  if type(settings) ~= "table" then
    return {}
  end
  if type(settings.namel3ss) == "table" and next(settings, next(settings)) == nil then
    return settings.namel3ss
  end
  return settings
end

--- Send new settings to the running clients (and use them for the next ones).
function M.update_settings(settings)
  require("namel3ss.settings").check_section(settings)
  M.config.settings = M.unwrap_settings(settings)
  for _, client in ipairs(M.clients()) do
    client.config.settings = { namel3ss = as_object(vim.deepcopy(M.config.settings)) }
    if client.settings then
      client.settings = client.config.settings
    end
    M.client_notify(client, "workspace/didChangeConfiguration", { settings = client.config.settings })
  end
end

--- Make sure *.ai buffers get the namel3ss filetype even when this plugin was added to the
--- runtimepath after filetype detection was switched on (then ftdetect/ was never sourced).
function M.ensure_filetype_detection()
  if vim.g.namel3ss_ftdetect_loaded then
    return
  end
  vim.cmd("augroup filetypedetect | runtime! ftdetect/namel3ss.vim | augroup END")
  if not vim.g.namel3ss_ftdetect_loaded then
    -- Not on the runtimepath at all: the same rule, inline.
    vim.g.namel3ss_ftdetect_loaded = 1
    vim.api.nvim_create_autocmd({ "BufNewFile", "BufRead" }, {
      group = vim.api.nvim_create_augroup("namel3ss_ftdetect", { clear = true }),
      pattern = "*.ai",
      callback = function(args)
        local first = vim.api.nvim_buf_get_lines(args.buf, 0, 1, false)[1] or ""
        if first:sub(1, 2) == "%!" or first:sub(1, 5) == "%PDF-" or first:sub(1, 4) == "\197\208\211\198" then
          return
        end
        vim.bo[args.buf].filetype = "namel3ss"
      end,
    })
  end
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.api.nvim_buf_get_name(buf):match("%.ai$") then
      vim.api.nvim_buf_call(buf, function()
        pcall(vim.cmd, "doautocmd <nomodeline> filetypedetect BufRead")
        pcall(vim.cmd, "doautocmd <nomodeline> namel3ss_ftdetect BufRead")
      end)
    end
  end
end

--- For Neovim 0.7 to 0.10 (works on 0.11 too): start the server for every namel3ss buffer.
---   require("namel3ss").setup({
---     cmd = { "namel3ss-lsp" },
---     settings = { ollama = { baseUrl = "http://127.0.0.1:11434" } },
---     on_attach = function(client, bufnr) ... end,
---   })
function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  if opts and opts.settings then
    M.config.settings = vim.deepcopy(opts.settings) -- lists are replaced, not merged
  end
  require("namel3ss.settings").check_section(M.config.settings)
  M.config.settings = M.unwrap_settings(M.config.settings)
  M.ensure_filetype_detection()
  require("namel3ss.commands").create()
  local group = vim.api.nvim_create_augroup("namel3ss_lsp", { clear = true })
  if M.config.autostart then
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = M.config.filetypes,
      callback = function(args)
        M.attach(args.buf)
      end,
    })
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(M.config.filetypes, vim.bo[buf].filetype) then
        M.attach(buf)
      end
    end
  end
  return M
end

--- The configuration for vim.lsp.config (0.11+); lsp/namel3ss.lua returns this.
function M.lsp_config()
  return {
    cmd = vim.deepcopy(M.defaults.cmd),
    filetypes = vim.deepcopy(M.defaults.filetypes),
    root_markers = vim.deepcopy(M.defaults.root_markers),
    settings = { namel3ss = vim.empty_dict() },
    handlers = M.handlers(),
    -- The settings also go out as initializationOptions (the server reads them before any
    -- workspace/configuration round trip). init_options given by the user win.
    before_init = function(params, config)
      require("namel3ss.settings").check_client(config.settings)
      local settings = type(config.settings) == "table" and config.settings.namel3ss
      settings = type(settings) == "table" and vim.deepcopy(settings) or {}
      local init = vim.tbl_deep_extend("force", settings, config.init_options or {})
      params.initializationOptions = as_object(init)
    end,
  }
end

return M
