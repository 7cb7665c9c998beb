"""IDE features as pure functions over the workspace index: plain data in editor vocabulary.

No LSP types and no state: the LSP layer (`namel3ss_lsp.lsp`) converts positions in and results
out, and owns the index these functions query.
"""
