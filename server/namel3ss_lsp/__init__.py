"""namel3ss-lsp: a language server for Namel3ss `.ai` files, built around Ollama.

Packages:
    language  pure core: text in, syntax tree and diagnostics out (no I/O)
    ollama    the OllamaEditorTools / OllamaProvider API over Ollama's HTTP API
    lsp       thin pygls adapters, one module per feature
"""

__version__ = "0.1.0"
