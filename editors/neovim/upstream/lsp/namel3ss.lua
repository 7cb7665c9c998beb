---@brief
---
--- https://github.com/namel3ss-Ai/namel3ss-programming-language
---
--- `namel3ss-lsp`, a language server for Namel3ss `.ai` files built around local models served
--- by [Ollama](https://ollama.com): completion of the models installed on your Ollama server,
--- diagnostics for unknown keys, invalid or missing models and an unreachable server, code actions
--- to pull a missing model. It can be installed via `pip`:
---
--- ```sh
--- pip install namel3ss-lsp
--- ```
---
--- Nvim detects `*.ai` as PostScript (Adobe Illustrator). Map Namel3ss files to the `namel3ss`
--- filetype, keeping real Illustrator files (which start with `%!` or `%PDF-`) as they are:
---
--- ```lua
--- vim.filetype.add({
---   extension = {
---     ai = function(_, bufnr)
---       local first = bufnr and vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1] or ''
---       if first:find('^%%!') or first:find('^%%PDF%-') then
---         return 'postscr'
---       end
---       return 'namel3ss'
---     end,
---   },
--- })
--- ```
---
--- The Ollama server and the other options are the `namel3ss` settings section:
---
--- ```lua
--- vim.lsp.config('namel3ss', {
---   settings = {
---     namel3ss = {
---       ollama = { baseUrl = 'http://127.0.0.1:11434' },
---       diagnostics = { missingModel = 'error' },
---     },
---   },
--- })
--- ```
---
--- The namel3ss-lsp repository's `editors/neovim` plugin adds the filetype, syntax highlighting,
--- the Ollama status for the statusline and `:Namel3ssPull`/`:Namel3ssTry` commands.

---@type vim.lsp.Config
return {
  cmd = { 'namel3ss-lsp' },
  filetypes = { 'namel3ss' },
  root_markers = { 'namel3ss.toml', 'pyproject.toml', '.git', '.hg' },
}
