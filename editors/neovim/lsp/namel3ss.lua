-- namel3ss-lsp for Neovim 0.11+:
--   vim.lsp.config("namel3ss", { settings = { namel3ss = { ollama = { baseUrl = "http://127.0.0.1:11434" } } } })
--   vim.lsp.enable("namel3ss")
-- `settings.namel3ss` is also sent as initializationOptions; the handlers show the Ollama status
-- (require("namel3ss").statusline()) and stream :Namel3ssTry replies.
return require("namel3ss").lsp_config()
