-- User commands of namel3ss.nvim (created by plugin/namel3ss.lua and by setup()).
local M = {}

local function complete_models(arglead)
  local out = {}
  for _, name in ipairs(require("namel3ss").installed_models(500)) do
    if name:sub(1, #arglead) == arglead then
      table.insert(out, name)
    end
  end
  return out
end

function M.create()
  if vim.g.namel3ss_commands_created then
    return
  end
  vim.g.namel3ss_commands_created = 1
  local cmd = vim.api.nvim_create_user_command
  cmd("Namel3ssPull", function(o)
    require("namel3ss").pull(o.args)
  end, { nargs = "?", desc = "Pull an Ollama model (default: the model at the cursor)" })
  cmd("Namel3ssRemove", function(o)
    require("namel3ss").remove(o.args, o.bang)
  end, {
    nargs = "?",
    bang = true,
    complete = complete_models,
    desc = "Remove an Ollama model (asks first; ! does not ask)",
  })
  cmd("Namel3ssStatus", function()
    require("namel3ss").status_command()
  end, { nargs = 0, desc = "Show the Ollama server status" })
  cmd("Namel3ssRefresh", function()
    require("namel3ss").refresh()
  end, { nargs = 0, desc = "Re-read the Ollama models and re-check open .ai files" })
  cmd("Namel3ssTry", function(o)
    local model, prompt = o.args:match("^%s*(%S+)%s*(.-)%s*$")
    require("namel3ss").try(model, prompt)
  end, {
    nargs = "*",
    complete = complete_models,
    desc = "Run a model once: :Namel3ssTry [model [prompt]] (streamed reply + tokens/s)",
  })
end

return M
