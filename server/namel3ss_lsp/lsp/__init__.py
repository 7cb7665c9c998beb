"""The language server: a thin pygls 2.x layer over `namel3ss_lsp.language` and `namel3ss_lsp.ollama`.

    server.py        the LanguageServer subclass, lifecycle, logging, `serve()` (called by cli.py)
    settings.py      the `namel3ss` settings section and its three sources
    documents.py     open documents, incremental sync (LSP line breaks, UTF-16), analysis (threaded
                     for big files)
    sync.py          didOpen / didChange / didClose (+ the `namel3ss/debug/documentText` test aid)
    diagnostics.py   debounced, versioned publishing; Ollama checks from what is already known
    ollama_state.py  the OllamaHub: base URLs, allow-list, background model-list / show refreshes
    status.py        health checks and `namel3ss/ollamaStatus`
    completion.py, hover.py, code_actions.py, code_lens.py, symbols.py, folding.py   features
    commands.py      the seven commands (argument validation, error mapping); pull.py, remove.py,
                     start.py, try_model.py implement the long ones
    progress.py      work-done progress: client or server tokens, <= 10 reports/s, cancellation
    guard.py         handler wrapper (a failure is logged with context, never kills the server)
                     and the TaskGroup of background tasks cancelled at shutdown
"""
