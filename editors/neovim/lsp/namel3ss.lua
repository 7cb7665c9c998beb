-- namel3ss-lsp for Neovim 0.11+, with or without nvim-lspconfig:
--   vim.lsp.config("namel3ss", { settings = { namel3ss = { ollama = { baseUrl = "http://127.0.0.1:11434" } } } })
--   vim.lsp.enable("namel3ss")
-- `settings.namel3ss` is also sent as initializationOptions (a wrongly shaped table gets a warning);
-- the handlers show the Ollama status (require("namel3ss").statusline()) and stream :Namel3ssTry
-- replies. upstream/lsp/namel3ss.lua is the same config, standalone, in nvim-lspconfig's form.
return require("namel3ss").lsp_config()
