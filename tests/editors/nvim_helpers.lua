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
  return require("namel3ss").clients(bufnr)
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
  return { ok = ok, name = c and c.name, server = c and c.server_info and c.server_info.name or vim.NIL }
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
  return { ok = ok, text = N3T.statusline_text(), fn = require("namel3ss").statusline() }
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

return true
