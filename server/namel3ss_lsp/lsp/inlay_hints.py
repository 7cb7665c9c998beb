"""`textDocument/inlayHint` over `namel3ss_lsp.ide.inlay_hints`, from cached facts only; refreshed
with `workspace/inlayHint/refresh` when a model list or model facts change. The settings
`inlayHints.modelFacts` and `inlayHints.references` turn each kind off."""

from __future__ import annotations

import logging

from lsprotocol import types

from namel3ss_lsp.ide import inlay_hints as hints
from namel3ss_lsp.language.types import Position, Range

from . import convert
from .context import ServerContext
from .diagnostics import decl_options
from .guard import guarded

logger = logging.getLogger(__name__)


def _facts(ls: ServerContext):
    def facts(model: str, options: dict) -> hints.ModelFacts | None:
        state = ls.hub.model_state(model, options)
        if not state.allowed or not state.listed or state.error is not None:
            return None
        if state.installed is None:
            return hints.ModelFacts(installed=False)
        entry = ls.hub.model_entry(state.base_url, model) or {}
        details = entry.get("details") or {}
        size = entry.get("size")
        return hints.ModelFacts(True, size if isinstance(size, int) else None, details.get("quantization_level") or None)

    return facts


def register(ls: ServerContext) -> None:
    @ls.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    @guarded("inlayHint", default=list)
    async def inlay_hint(ls: ServerContext, params: types.InlayHintParams) -> list[types.InlayHint]:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return []
        analysis = await ls.documents.analysis(doc)
        index = await ls.workspace_index.current(doc.uri)
        r = params.range
        window = Range(Position(r.start.line, r.start.character), Position(r.end.line, r.end.character))
        settings = ls.settings
        found = hints.inlay_hints(
            analysis, index.file(doc.uri), index, _facts(ls), decl_options, window=window,
            model_facts=settings.inlay_model_facts, references=settings.inlay_references,
        )
        return [
            types.InlayHint(position=convert.position(h.position), label=h.label, kind=types.InlayHintKind.Type, tooltip=h.tooltip)
            for h in found
        ]

    def refresh(_base_url: str, _what: str = "models") -> None:
        if not ls.client_supports("workspace.inlay_hint.refresh_support"):
            return
        try:
            ls.workspace_inlay_hint_refresh(None)
        except Exception:
            logger.exception("workspace/inlayHint/refresh failed")

    ls.hub.on_change(refresh)
