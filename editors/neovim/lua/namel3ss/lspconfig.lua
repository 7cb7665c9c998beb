-- nvim-lspconfig support: the `namel3ss` entry of require("lspconfig.configs"), so that
--   require("lspconfig").namel3ss.setup({ settings = { namel3ss = { ollama = { ... } } } })
-- works with every nvim-lspconfig that has that framework (v0.1.x on Neovim 0.7 up to the 2.x
-- releases, where it is deprecated in favour of vim.lsp.enable("namel3ss")).
--
-- nvim-lspconfig finds it two ways: plugin/namel3ss.lua registers it at startup when
-- nvim-lspconfig is on the runtimepath (`configs.namel3ss = ...`, the documented way for a server
-- it does not ship), and lua/lspconfig/configs/namel3ss.lua (and server_configurations/ for
-- v0.1.x) answer nvim-lspconfig's own lookup when setup() runs earlier, e.g. in init.lua.
local M = {}

local function set_omnifunc(_, bufnr)
  -- Neovim 0.10+ does this itself; 0.7 to 0.9 do not: <C-x><C-o> completes from the server.
  if vim.bo[bufnr].omnifunc == "" then
    vim.bo[bufnr].omnifunc = "v:lua.vim.lsp.omnifunc"
  end
end

--- The definition nvim-lspconfig takes: { default_config = ..., on_new_config = ..., docs = ... }.
function M.definition()
  local n3 = require("namel3ss")
  -- Added to the runtimepath late (after filetype detection ran): still detect *.ai, and the
  -- :Namel3ss* commands exist even when plugin/namel3ss.lua was never sourced.
  n3.ensure_filetype_detection()
  require("namel3ss.commands").create()
  return {
    default_config = {
      cmd = vim.deepcopy(n3.defaults.cmd),
      filetypes = vim.deepcopy(n3.defaults.filetypes),
      root_dir = function(fname)
        return n3.root_for(fname)
      end,
      single_file_support = true,
      handlers = n3.handlers(),
    },
    on_new_config = function(config)
      require("namel3ss.settings").check_client(config.settings)
      -- The settings also go out as initializationOptions (the server reads them before any
      -- workspace/configuration round trip); init_options given by the user win.
      local section = type(config.settings) == "table" and config.settings.namel3ss
      section = type(section) == "table" and vim.deepcopy(section) or {}
      local init = vim.tbl_deep_extend("force", section, config.init_options or {})
      config.init_options = next(init) == nil and vim.empty_dict() or init
      if vim.fn.has("nvim-0.10") == 0 then
        local user = config.on_attach
        config.on_attach = function(client, bufnr)
          set_omnifunc(client, bufnr)
          if user then
            user(client, bufnr)
          end
        end
      end
    end,
    docs = {
      description = [[
Language server for Namel3ss `.ai` files, built around local models served by Ollama:
completion of the installed models, diagnostics for missing models, pull/remove/try commands.

`pip install namel3ss-lsp`, and put the namel3ss-lsp folder `editors/neovim` on the runtimepath
(it gives `*.ai` files the `namel3ss` filetype and shows the Ollama status in the statusline).

```lua
require('lspconfig').namel3ss.setup({
  settings = { namel3ss = { ollama = { baseUrl = 'http://127.0.0.1:11434' } } },
})
```
]],
      default_config = {
        root_dir = [[root_pattern(".git", ".hg", "namel3ss.toml", "pyproject.toml") or the file's folder]],
      },
    },
  }
end

--- Register `namel3ss` with nvim-lspconfig when it is installed and does not define it already.
--- Returns true when require("lspconfig").namel3ss is available.
function M.register()
  if #vim.api.nvim_get_runtime_file("lua/lspconfig/configs.lua", false) == 0 then
    return false -- nvim-lspconfig is not installed (or not on the runtimepath yet)
  end
  local ok, configs = pcall(require, "lspconfig.configs")
  if not ok or type(configs) ~= "table" then
    return false -- e.g. an nvim-lspconfig too new for this Neovim
  end
  if not configs.namel3ss then
    configs.namel3ss = M.definition()
  end
  return true
end

return M
