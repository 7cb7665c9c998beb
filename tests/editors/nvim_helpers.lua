-- Test helpers loaded into the Neovim under test (tests/editors/test_neovim.py).
-- They only observe and answer prompts the way a user would (pick an item in vim.ui.select, type a
-- number in inputlist); the plugin under test is editors/neovim, loaded from the user's init.lua.
N3T = N3T or {}

N3T.notes = N3T.notes or {}
local orig_notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(N3T.notes, { msg = tostring(msg), level = level })
  return orig_notify(msg, level, opts)
end

-- What the "user" answers in pickers: the first item whose text contains N3T.answer.
N3T.answer = nil
N3T.prompts = {}
vim.ui.select = function(items, opts, on_choice)
  opts = opts or {}
  local texts = {}
  for i, item in ipairs(items) do
    local text = opts.format_item and opts.format_item(item) or (type(item) == "table" and item.title) or tostring(item)
    texts[i] = text
  end
  table.insert(N3T.prompts, { kind = "select", prompt = opts.prompt, items = texts })
  for i, text in ipairs(texts) do
    if N3T.answer and text:find(N3T.answer, 1, true) then
      return on_choice(items[i], i)
    end
  end
  return on_choice(nil, nil)
end

-- Neovim 0.7's window/showMessageRequest handler asks with inputlist(): answer it by number.
local orig_inputlist = vim.fn.inputlist
vim.fn.inputlist = function(lines)
  table.insert(N3T.prompts, { kind = "inputlist", items = lines })
  for _, line in ipairs(lines) do
    local n, text = tostring(line):match("^(%d+)%. (.*)$")
    if n and N3T.answer and text:find(N3T.answer, 1, true) then
      return tonumber(n)
    end
  end
  return 0
end
N3T.orig_inputlist = orig_inputlist

function N3T.clients(bufnr)
  local ok, n3 = pcall(require, "namel3ss")
  if ok then
    return n3.clients(bufnr)
  end
  -- Without the plugin (nvim-lspconfig's lsp/namel3ss.lua alone): Neovim 0.11's own list.
  return vim.lsp.get_clients({ name = "namel3ss", bufnr = bufnr })
end

-- Every namel3ss/ollamaStatus notification, in order (for failure messages).
N3T.status_log = N3T.status_log or {}
do
  local ok, status = pcall(require, "namel3ss.status")
  if ok and not status.n3t_wrapped then
    status.n3t_wrapped = true
    local record = status.record
    status.record = function(params, client_id)
      local e = record(params, client_id)
      table.insert(N3T.status_log, string.format("%d %s reachable=%s models=%s default=%s uris=%s", e.seq,
        tostring(params.baseUrl), tostring(params.reachable), tostring(params.modelsCount),
        tostring(params.default), vim.inspect(params.uris, { newline = "", indent = "" })))
      return e
    end
  end
end

-- The namel3ss/ollamaStatus notifications received so far (the plugin's per-server record).
function N3T.status_entries()
  local out = {}
  for _, e in pairs(require("namel3ss.status").entries) do
    local uris = {}
    for uri in pairs(e.uris or {}) do
      table.insert(uris, uri)
    end
    table.insert(out, {
      seq = e.seq,
      baseUrl = e.params.baseUrl,
      reachable = e.params.reachable,
      default = e.params.default == nil and vim.NIL or e.params.default,
      has_uris = e.params.uris ~= nil,
      uris = uris,
    })
  end
  table.sort(out, function(a, b)
    return a.seq < b.seq
  end)
  return out
end

-- Wait for a notification about `base_url` newer than `after_seq` (0: any); returns its entry.
function N3T.wait_status_of(base_url, after_seq, ms)
  local found
  vim.wait(ms, function()
    for _, e in ipairs(N3T.status_entries()) do
      if e.baseUrl == base_url and e.seq > after_seq then
        found = e
        return true
      end
    end
    return false
  end, 20)
  return found or vim.NIL
end

function N3T.last_seq()
  return require("namel3ss.status").seq
end

function N3T.wait_attached(bufnr, ms)
  local ok = vim.wait(ms, function()
    for _, c in ipairs(N3T.clients(bufnr)) do
      if vim.lsp.buf_is_attached(bufnr, c.id) and c.initialized ~= false and c.server_capabilities ~= nil then
        return true
      end
    end
    return false
  end, 20)
  local c = N3T.clients(bufnr)[1]
  return {
    ok = ok,
    name = c and c.name,
    server = c and c.server_info and c.server_info.name or vim.NIL,
    count = #N3T.clients(bufnr),
  }
end

function N3T.diagnostics(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    table.insert(out, {
      lnum = d.lnum,
      col = d.col,
      end_col = d.end_col,
      message = d.message,
      code = d.code or lsp.code,
      severity = d.severity,
    })
  end
  return out
end

local function has_missing(bufnr, model)
  for _, d in ipairs(N3T.diagnostics(bufnr)) do
    if d.code == "ollama-model-missing" and d.message:find(model, 1, true) then
      return d
    end
  end
  return nil
end

function N3T.wait_missing(bufnr, model, present, ms)
  local ok = vim.wait(ms, function()
    return (has_missing(bufnr, model) ~= nil) == present
  end, 20)
  return { ok = ok, diagnostic = has_missing(bufnr, model) or vim.NIL, all = N3T.diagnostics(bufnr) }
end

function N3T.statusline_text()
  return vim.api.nvim_eval_statusline(vim.o.statusline, {}).str
end

function N3T.wait_statusline(pattern, ms)
  local ok = vim.wait(ms, function()
    return N3T.statusline_text():find(pattern, 1, true) ~= nil
  end, 20)
  return { ok = ok, text = N3T.statusline_text(), fn = require("namel3ss").statusline(), log = N3T.status_log }
end

-- Run the code actions of the cursor line, answering the picker with `answer`.
function N3T.code_action(answer)
  N3T.answer = answer
  vim.lsp.buf.code_action()
end

-- The :Namel3ssTry scratch buffer, once its last line is the figures line.
function N3T.wait_try(ms)
  local found
  local ok = vim.wait(ms, function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      local ok_var, done = pcall(vim.api.nvim_buf_get_var, b, "namel3ss_try_done")
      if ok_var and done then
        found = b
        return true
      end
    end
    return false
  end, 20)
  if not found then
    return { ok = false }
  end
  local ok_res, result = pcall(vim.api.nvim_buf_get_var, found, "namel3ss_try_result")
  local ok_chunks, chunks = pcall(vim.api.nvim_buf_get_var, found, "namel3ss_try_chunks")
  local ok_err, err = pcall(vim.api.nvim_buf_get_var, found, "namel3ss_try_error")
  return {
    ok = ok,
    buf = found,
    name = vim.api.nvim_buf_get_name(found),
    buftype = vim.bo[found].buftype,
    lines = vim.api.nvim_buf_get_lines(found, 0, -1, false),
    result = ok_res and result or vim.NIL,
    chunks = ok_chunks and chunks or 0,
    error = ok_err and err or vim.NIL,
  }
end

-- A :Namel3ssTry buffer that has received streamed text but not the final line yet.
function N3T.wait_streaming(ms)
  local found
  vim.wait(ms, function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      local ok_var, chunks = pcall(vim.api.nvim_buf_get_var, b, "namel3ss_try_chunks")
      if ok_var and chunks >= 1 then
        local lines = vim.api.nvim_buf_get_lines(b, 0, -1, false)
        if lines[#lines] == "…" then
          found = { buf = b, lines = lines, chunks = chunks }
          return true
        end
      end
    end
    return false
  end, 10)
  return found or { buf = -1 }
end

function N3T.wait_note(pattern, ms)
  local found
  vim.wait(ms, function()
    for _, n in ipairs(N3T.notes) do
      if n.msg:find(pattern, 1, true) then
        found = n.msg
        return true
      end
    end
    return false
  end, 20)
  return found or vim.NIL
end

-- Workspace index (issue 13): wait until the server answers a definition at (row, col) (0-based)
-- of `bufnr` with a location (the index of the files on disk is built in the background).
function N3T.wait_definition_ready(bufnr, row, col, ms)
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = row, character = col } }
  local last
  local ok = vim.wait(ms, function()
    local answers = vim.lsp.buf_request_sync(bufnr, "textDocument/definition", params, 2000) or {}
    for _, answer in pairs(answers) do
      local r = answer.result
      if type(r) == "table" and (r.uri or r.targetUri or (r[1] and (r[1].uri or r[1].targetUri))) then
        last = r
        return true
      end
      last = answer.err or r
    end
    return false
  end, 200)
  return { ok = ok, result = last or vim.NIL }
end

-- The buffer of a file (by path), and whether it is loaded; its lines when it is.
function N3T.file_buffer(path)
  local nr = vim.fn.bufnr(path)
  local loaded = nr ~= -1 and vim.api.nvim_buf_is_loaded(nr)
  return { nr = nr, loaded = loaded, lines = loaded and vim.api.nvim_buf_get_lines(nr, 0, -1, false) or {} }
end

-- Wait until line `lnum` (1-based) of the buffer of `path` reads `text`.
function N3T.wait_line(path, lnum, text, ms)
  local ok = vim.wait(ms, function()
    local b = N3T.file_buffer(path)
    return b.loaded and b.lines[lnum] == text
  end, 20)
  local b = N3T.file_buffer(path)
  return { ok = ok, lines = b.lines, loaded = b.loaded, notes = N3T.notes }
end

-- Wait until the current buffer is the file whose name ends with `suffix`; where the cursor is.
function N3T.wait_current(suffix, ms)
  local ok = vim.wait(ms, function()
    local name = vim.api.nvim_buf_get_name(0)
    return name:sub(-#suffix) == suffix
  end, 20)
  return { ok = ok, name = vim.api.nvim_buf_get_name(0), cursor = vim.api.nvim_win_get_cursor(0), notes = N3T.notes }
end

-- Semantic tokens (Neovim 0.9+): the highlight groups of the tokens at (row, col) (0-based), once
-- there are some.
function N3T.wait_semantic(bufnr, row, col, ms)
  local groups = {}
  vim.wait(ms, function()
    groups = {}
    for _, t in ipairs(vim.inspect_pos(bufnr, row, col).semantic_tokens or {}) do
      table.insert(groups, t.opts and t.opts.hl_group or "?")
    end
    return #groups > 0
  end, 50)
  return groups
end

return true
