"""Document symbols: the outline of declarations with their kind (hierarchical when the client
supports it, flat SymbolInformation otherwise)."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from namel3ss_lsp.language import symbols as outline

from . import convert
from .documents import off_loop
from .guard import guarded

from .context import ServerContext

logger = logging.getLogger(__name__)

_KINDS = {name.lower(): kind for name, kind in types.SymbolKind.__members__.items()}


def symbol_kind(kind: Any) -> types.SymbolKind:
    if isinstance(kind, types.SymbolKind):
        return kind
    if isinstance(kind, int) and not isinstance(kind, bool):
        try:
            return types.SymbolKind(kind)
        except ValueError:
            return types.SymbolKind.Object
    return _KINDS.get(str(kind).lower().replace("_", "").replace(" ", ""), types.SymbolKind.Object)


def _document_symbol(sym: Any, depth: int = 0) -> types.DocumentSymbol:
    rng = convert.range_(sym.range)
    selection = convert.range_(getattr(sym, "selection_range", None) or sym.range)
    children = [] if depth > 200 else [_document_symbol(c, depth + 1) for c in getattr(sym, "children", None) or []]
    return types.DocumentSymbol(
        name=str(sym.name) or "<anonymous>",
        kind=symbol_kind(getattr(sym, "lsp_kind", None) or getattr(sym, "kind", None)),
        range=rng,
        selection_range=selection,
        detail=getattr(sym, "detail", None) or None,
        children=children or None,
    )


def _flatten(uri: str, symbols: list[types.DocumentSymbol], container: str | None, out: list) -> None:
    for sym in symbols:
        out.append(
            types.SymbolInformation(
                name=sym.name, kind=sym.kind, location=types.Location(uri=uri, range=sym.range), container_name=container
            )
        )
        if sym.children:
            _flatten(uri, sym.children, sym.name, out)


def build(analysis: Any, uri: str, hierarchical: bool) -> list:
    result = [_document_symbol(s) for s in outline(analysis) or []]
    if hierarchical:
        return result
    flat: list = []
    _flatten(uri, result, None, flat)
    return flat


def register(ls: ServerContext) -> None:
    @ls.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded("documentSymbol", default=list)
    async def document_symbol(ls: ServerContext, params: types.DocumentSymbolParams) -> list:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return []
        analysis = await ls.documents.analysis(doc)
        hierarchical = ls.client_supports("text_document.document_symbol.hierarchical_document_symbol_support")
        return await off_loop(doc, build, analysis, doc.uri, hierarchical)
