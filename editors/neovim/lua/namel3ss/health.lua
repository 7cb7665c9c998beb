-- :checkhealth namel3ss
local M = {}

function M.check()
  local health = vim.health or require("health")
  local start = health.start or health.report_start
  local ok = health.ok or health.report_ok
  local warn = health.warn or health.report_warn
  local info = health.info or health.report_info
  local error = health.error or health.report_error
  local n3 = require("namel3ss")

  start("namel3ss-lsp")
  local clients = n3.clients()
  local cmd = n3.config.cmd or n3.defaults.cmd
  if clients[1] and type(clients[1].config.cmd) == "table" then
    cmd = clients[1].config.cmd
  elseif vim.lsp.config then
    local ok_cfg, cfg = pcall(function()
      return vim.lsp.config.namel3ss
    end)
    if ok_cfg and type(cfg) == "table" and type(cfg.cmd) == "table" then
      cmd = cfg.cmd
    end
  end
  if vim.fn.executable(cmd[1]) == 1 then
    ok("server command found: " .. table.concat(cmd, " "))
  else
    error("server command not found: " .. cmd[1], { "pip install namel3ss-lsp", "or set cmd in setup() / vim.lsp.config" })
  end
  if vim.g.namel3ss_ftdetect_loaded then
    ok("*.ai files get the filetype namel3ss")
  else
    warn("ftdetect/namel3ss.vim was not loaded: add editors/neovim to 'runtimepath' before startup, or call setup()")
  end
  if #clients == 0 then
    info("no namel3ss-lsp client running (open a .ai file)")
  else
    for _, c in ipairs(clients) do
      ok(string.format("client %d running (root %s)", c.id, tostring(c.config.root_dir)))
    end
  end

  start("Ollama")
  local s = n3.status()
  if not s then
    info("no status received yet")
  elseif s.reachable == true then
    ok(string.format("%s at %s", n3.statusline(), tostring(s.baseUrl)))
  else
    local advice = {}
    if type(s.suggestion) == "string" then
      table.insert(advice, s.suggestion)
    end
    warn(string.format("Ollama at %s is unreachable: %s", tostring(s.baseUrl), tostring(s.error)), advice)
  end
end

return M
