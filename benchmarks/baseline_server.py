"""The baseline: a bare pygls 2 language server that does the minimum.

* ``textDocument/completion`` returns a precomputed list of completion items, built once at start-up
  (from the JSON file named by ``$N3BENCH_COMPLETION_ITEMS`` — the benchmark writes there the exact
  items our server returned for 1,000 installed models — or, without that file, 1,000 synthetic
  model items of the same shape);
* ``textDocument/didOpen`` / ``didChange`` publish an empty diagnostic list for the document;
* nothing else: no parsing, no analysis, no network.

Same interpreter, same pygls, same stdio transport and the same (incremental) text synchronisation
as the real server, so the difference between the two is the cost of the real server's work.
Run: ``python benchmarks/baseline_server.py`` (stdio).
"""

from __future__ import annotations

import json
import os
import sys

from lsprotocol import types
from pygls.lsp.server import LanguageServer


def synthetic_items(n: int = 1000) -> list[dict]:
    items = []
    for i in range(n):
        name = f"model-{i:04d}:7b"
        items.append(
            {
                "label": name,
                "kind": 12,  # Value
                "detail": "7B · Q4_K_M · 4.1 GB",
                "documentation": {
                    "kind": "markdown",
                    "value": f"**{name}**\n\nfamily: llama · context length: 8192 · modified: 2026-01-01",
                },
                "sortText": f"{i:05d}",
                "textEdit": {
                    "range": {"start": {"line": 2, "character": 11}, "end": {"line": 2, "character": 11}},
                    "newText": name,
                },
            }
        )
    return items


def load_items(server: LanguageServer) -> types.CompletionList:
    path = os.environ.get("N3BENCH_COMPLETION_ITEMS")
    raw: object = None
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    if raw is None:
        raw = {"isIncomplete": False, "items": synthetic_items()}
    if isinstance(raw, list):
        raw = {"isIncomplete": False, "items": raw}
    return server.protocol._converter.structure(raw, types.CompletionList)


server = LanguageServer("namel3ss-baseline", "1.0")
ITEMS: types.CompletionList | None = None


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[":", " "]))
def completion(ls: LanguageServer, params: types.CompletionParams) -> types.CompletionList:
    global ITEMS
    if ITEMS is None:
        ITEMS = load_items(ls)
    return ITEMS


def _publish_empty(ls: LanguageServer, uri: str, version: int | None) -> None:
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=[], version=version)
    )


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    _publish_empty(ls, params.text_document.uri, params.text_document.version)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    _publish_empty(ls, params.text_document.uri, params.text_document.version)


def main() -> None:
    global ITEMS
    if os.environ.get("N3BENCH_COMPLETION_ITEMS"):
        ITEMS = load_items(server)  # precomputed before the first request
    server.start_io()


if __name__ == "__main__":
    sys.exit(main())
