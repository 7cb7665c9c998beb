-- :Namel3ssTry: run a model once (namel3ss.ollama.tryModel) and show the reply in a scratch buffer,
-- filled from the server's $/progress reports (each carries the text produced since the previous
-- one) and ended with the figures line. Closing the buffer cancels the request.
local M = {}

local function n3()
  return require("namel3ss")
end

local function notify(msg, level)
  vim.notify(msg, level or vim.log.levels.INFO, { title = "namel3ss" })
end

--- The pending try a progress token belongs to (binding it on its "begin" report), or nil.
function M.find(client_id, token, title)
  local key = n3().progress_key(client_id, token)
  for _, t in pairs(n3().state.tries) do
    if t.client_id == client_id and (t.token == key or t.own_token == key) then
      return t
    end
  end
  if title == nil then
    return nil
  end
  -- The server created its own token (window/workDoneProgress/create): bind the first unbound
  -- pending try whose model the title names, or the only one if the title says "try".
  local candidates = {}
  for _, t in pairs(n3().state.tries) do
    if t.client_id == client_id and not t.token then
      table.insert(candidates, t)
    end
  end
  local lower = title:lower()
  for _, t in ipairs(candidates) do
    if title:find(t.model, 1, true) and not lower:find("^%s*pull") then
      t.token = key
      return t
    end
  end
  if #candidates == 1 and lower:find("try") then
    candidates[1].token = key
    return candidates[1]
  end
  return nil
end

local function set_try_lines(t, extra)
  if not vim.api.nvim_buf_is_valid(t.buf) then
    return
  end
  local lines = vim.split(t.text, "\n", { plain = true })
  for _, l in ipairs(extra or {}) do
    table.insert(lines, l)
  end
  vim.bo[t.buf].modifiable = true
  vim.api.nvim_buf_set_lines(t.buf, 0, -1, false, lines)
  vim.bo[t.buf].modifiable = false
  vim.bo[t.buf].modified = false
end

function M.chunk(t, message)
  if type(message) ~= "string" or message == "" then
    return
  end
  -- Each report's message is the text produced since the previous report (the server contract).
  t.text = t.text .. message
  t.chunks = t.chunks + 1
  pcall(vim.api.nvim_buf_set_var, t.buf, "namel3ss_try_chunks", t.chunks)
  set_try_lines(t, { "", "…" })
end

--- "42 tokens, 37.5 tok/s, 1.2 s" from a tryModel result.
function M.format_figures(result)
  local tokens = type(result.tokens) == "table" and result.tokens or {}
  local n = tonumber(tokens.completion) or tonumber(tokens.total) or 0
  local tps = tonumber(result.tokensPerSecond) or 0
  local secs = (tonumber(result.totalDurationMs) or 0) / 1000
  return string.format("%d tokens, %.1f tok/s, %.1f s", n, tps, secs)
end

local try_counter = 0

--- Run the model once (namel3ss.ollama.tryModel) and show the streamed reply in a scratch buffer,
--- ending with a line like "42 tokens, 37.5 tok/s, 1.2 s". Closing the buffer cancels the request.
--- Returns the scratch buffer number.
function M.run(model, prompt)
  local source = vim.api.nvim_get_current_buf()
  if not model or model == "" then
    model = n3().model_at_cursor(source)
  end
  if not model then
    notify("Namel3ssTry: which model?", vim.log.levels.WARN)
    return nil
  end
  local client = n3().first_client(source)
  if not client then
    return nil
  end
  try_counter = try_counter + 1
  local id = try_counter
  local token = "namel3ss-try-" .. id

  vim.cmd("botright new")
  local buf = vim.api.nvim_get_current_buf()
  local name = "namel3ss://try/" .. model
  if vim.fn.bufexists(name) == 1 then
    name = name .. " (" .. id .. ")"
  end
  pcall(vim.api.nvim_buf_set_name, buf, name)
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].swapfile = false
  vim.bo[buf].filetype = "markdown"
  vim.api.nvim_buf_set_var(buf, "namel3ss_try_model", model)

  local t = {
    id = id,
    model = model,
    buf = buf,
    text = "",
    client_id = client.id,
    own_token = n3().progress_key(client.id, token),
    token = nil,
    chunks = 0,
  }
  n3().state.tries[id] = t
  set_try_lines(t, { "Trying " .. model .. " …" })

  vim.api.nvim_create_autocmd("BufWipeout", {
    buffer = buf,
    once = true,
    callback = function()
      if n3().state.tries[id] then
        n3().state.tries[id] = nil
        local tok = (t.token or t.own_token):match("^%d+:(.*)$")
        pcall(n3().client_notify, client, "window/workDoneProgress/cancel", { token = tok })
      end
    end,
  })

  local arg = { model = model }
  if prompt and prompt ~= "" then
    arg.prompt = prompt
  end
  if vim.lsp.buf_is_attached(source, client.id) then
    -- Lets the server use the declaration's config (temperature, num_ctx, base_url, ...).
    arg.uri = vim.uri_from_bufnr(source)
  end
  n3().execute("namel3ss.ollama.tryModel", arg, function(err, result)
    vim.schedule(function()
      n3().state.tries[id] = nil
      if err then
        local lines = { "" }
        for _, l in ipairs(vim.split("Error: " .. n3().err_text(err), "\n", { plain = true })) do
          table.insert(lines, l)
        end
        set_try_lines(t, lines)
        pcall(vim.api.nvim_buf_set_var, buf, "namel3ss_try_error", n3().err_text(err))
        pcall(vim.api.nvim_buf_set_var, buf, "namel3ss_try_done", true)
        return
      end
      if type(result) == "table" then
        if type(result.text) == "string" then
          t.text = result.text
        end
        set_try_lines(t, { "", M.format_figures(result) })
        pcall(vim.api.nvim_buf_set_var, buf, "namel3ss_try_result", result)
      end
      pcall(vim.api.nvim_buf_set_var, buf, "namel3ss_try_done", true)
    end)
  end, { client = client, bufnr = source, work_done_token = token })
  return buf
end

return M
