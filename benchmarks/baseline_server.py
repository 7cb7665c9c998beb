"""The baselines: bare pygls 2 language servers that do the minimum.

Two modes, chosen with ``$N3BENCH_BASELINE``:

* ``minimal`` (the default): the floor of a pygls server. ``textDocument/completion`` returns 1,000
  items carrying a label only (the installed models' names, read from the JSON list named by
  ``$N3BENCH_COMPLETION_LABELS``, else 1,000 synthetic names), precomputed at start-up. This is
  what "ours / baseline" compares with: any pygls server answering `model: ` with 1,000 models
  pays at least this.
* ``same-items``: ``textDocument/completion`` returns a precomputed copy of the very list our
  server returned for the 1,000 installed models (the JSON file named by
  ``$N3BENCH_COMPLETION_ITEMS``, captured earlier in the same run), or 1,000 synthetic items of
  the old, heavy shape. It measures what pygls itself costs to serialise and send our payload,
  not our work: a ratio near 1 against it says little about our own cost.

In both, ``textDocument/didOpen`` / ``didChange`` publish an empty diagnostic list for the
document; nothing else: no parsing, no analysis, no network. Same interpreter, same pygls, same
stdio transport and the same (incremental) text synchronisation as the real server.
Run: ``python benchmarks/baseline_server.py`` (stdio).
"""

from __future__ import annotations

import json
import os
import sys

from lsprotocol import types
from pygls.lsp.server import LanguageServer

MODE = os.environ.get("N3BENCH_BASELINE", "minimal")


def synthetic_labels(n: int = 1000) -> list[str]:
    return [f"bench-model-{i:04d}:{(i % 13) + 1}b" for i in range(n)]


def synthetic_items(n: int = 1000) -> list[dict]:
    """1,000 items of the shape our server used to send per model (documentation, sortText and a
    textEdit on every item), for the same-items mode run without a captured list."""
    items = []
    for i, name in enumerate(synthetic_labels(n)):
        items.append(
            {
                "label": name,
                "kind": 9,  # Module
                "detail": "7B · Q4_K_M · 4.1 GB",
                "documentation": {
                    "kind": "markdown",
                    "value": f"**{name}** (installed)\n- family: llama\n- modified: 2026-01-01",
                },
                "filterText": name,
                "sortText": f"0{i:04d}",
                "textEdit": {
                    "range": {"start": {"line": 2, "character": 11}, "end": {"line": 2, "character": 11}},
                    "newText": name,
                },
            }
        )
    return items


def _load_json(var: str) -> object:
    path = os.environ.get(var)
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    return None


def load_items(server: LanguageServer) -> types.CompletionList:
    if MODE == "same-items":
        raw = _load_json("N3BENCH_COMPLETION_ITEMS")
        if raw is None:
            raw = {"isIncomplete": False, "items": synthetic_items()}
        if isinstance(raw, list):
            raw = {"isIncomplete": False, "items": raw}
        return server.protocol._converter.structure(raw, types.CompletionList)
    labels = _load_json("N3BENCH_COMPLETION_LABELS") or synthetic_labels()
    return types.CompletionList(is_incomplete=False, items=[types.CompletionItem(label=str(l)) for l in labels])


server = LanguageServer(f"namel3ss-baseline-{MODE}", "1.0")
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
    if os.environ.get("N3BENCH_COMPLETION_ITEMS") or os.environ.get("N3BENCH_COMPLETION_LABELS"):
        ITEMS = load_items(server)  # precomputed before the first request
    server.start_io()


if __name__ == "__main__":
    sys.exit(main())
