"""Text synchronisation: didOpen / didChange (incremental) / didClose feed the DocumentStore and
schedule diagnostics. Unknown documents, edits before open and odd ranges are logged no-ops."""

from __future__ import annotations

import logging

from lsprotocol import types

from .guard import guarded

from .context import ServerContext

logger = logging.getLogger(__name__)

DEBUG_DOCUMENT_TEXT = "namel3ss/debug/documentText"
DEBUG_RAISE = "namel3ss/debug/raise"


class DebugHookError(RuntimeError):
    """Raised on purpose by `namel3ss/debug/raise`, to prove that a failing handler is survived."""


def register(ls: ServerContext) -> None:
    @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded("didOpen")
    def did_open(ls: ServerContext, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        ls.documents.open(item.uri, item.text, item.version, item.language_id)
        ls.diagnostics.schedule(item.uri)

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded("didChange")
    def did_change(ls: ServerContext, params: types.DidChangeTextDocumentParams) -> None:
        doc = ls.documents.change(params.text_document.uri, params.text_document.version, list(params.content_changes))
        if doc is not None:
            ls.diagnostics.schedule(doc.uri)

    @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded("didClose")
    def did_close(ls: ServerContext, params: types.DidCloseTextDocumentParams) -> None:
        ls.documents.close(params.text_document.uri)  # drops its analysis job; its caches go shortly
        ls.diagnostics.clear(params.text_document.uri)
        ls.status.document_closed(params.text_document.uri)
        ls.tasks.spawn(ls.workspace_index.closed(params.text_document.uri), f"index-closed:{params.text_document.uri}")

    @ls.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @guarded("didSave")
    def did_save(ls: ServerContext, params: types.DidSaveTextDocumentParams) -> None:
        return None

    @ls.feature(DEBUG_DOCUMENT_TEXT)
    @guarded("documentText")
    def document_text(ls: ServerContext, params) -> dict | None:
        """Test/debug aid: the server's view of a document, `{"uri": ...}` -> `{"text", "version"}`."""
        uri = params.get("uri") if isinstance(params, dict) else getattr(params, "uri", None)
        doc = ls.documents.get(uri) if isinstance(uri, str) else None
        if doc is None:
            return None
        return {"text": doc.text, "version": doc.version}

    @ls.feature(DEBUG_RAISE)
    @guarded("debug/raise", raise_errors=True)
    def debug_raise(ls: ServerContext, params) -> None:
        """Test aid, off unless the setting `test.debugHooks` is true: fail on purpose in a request,
        a notification or a background task (`{"uri", "in": "request"|"notification"|"background"}`)."""
        if ls.settings.extra.get("test.debugHooks") is not True:
            return None
        where = params.get("in") if isinstance(params, dict) else getattr(params, "in", "request")
        uri = params.get("uri") if isinstance(params, dict) else getattr(params, "uri", None)
        if where == "background":
            async def fail() -> None:
                raise DebugHookError(f"{DEBUG_RAISE} in a background task for {uri}")

            ls.tasks.spawn(fail(), f"{DEBUG_RAISE} {uri}")
            return None
        raise DebugHookError(f"{DEBUG_RAISE} in a {where} for {uri}")
