-- namel3ss.nvim: user commands (:Namel3ssPull, :Namel3ssRemove, :Namel3ssStatus,
-- :Namel3ssRefresh, :Namel3ssTry). They talk to a running namel3ss-lsp client, however it was
-- started (require("namel3ss").setup(), vim.lsp.enable("namel3ss") or nvim-lspconfig).
if vim.g.loaded_namel3ss then
  return
end
vim.g.loaded_namel3ss = 1

-- Neovim 0.8+: also teach vim.filetype.match() (used by pickers and previewers) that *.ai is
-- Namel3ss, except for Adobe Illustrator files (PostScript or PDF inside), which stay "postscr".
-- Buffers themselves are handled by ftdetect/namel3ss.vim on every version.
if vim.fn.has("nvim-0.8") == 1 and vim.filetype and vim.filetype.add then
  vim.filetype.add({
    extension = {
      ai = function(_, bufnr)
        local first = ""
        if bufnr and vim.api.nvim_buf_is_valid(bufnr) then
          first = vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1] or ""
        end
        if first:sub(1, 2) == "%!" or first:sub(1, 5) == "%PDF-" or first:sub(1, 4) == "\197\208\211\198" then
          return "postscr"
        end
        return "namel3ss"
      end,
    },
  })
end

require("namel3ss.commands").create()

-- nvim-lspconfig installed: make require("lspconfig").namel3ss.setup({}) available.
require("namel3ss.lspconfig").register()
