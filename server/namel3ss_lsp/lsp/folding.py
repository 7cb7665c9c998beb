"""Folding ranges: declaration bodies, maps, lists and multi-line strings (from the language core)."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from namel3ss_lsp.language import folding_ranges

from .documents import off_loop
from .guard import guarded

from .context import ServerContext

logger = logging.getLogger(__name__)

_KINDS = {"comment": types.FoldingRangeKind.Comment, "imports": types.FoldingRangeKind.Imports, "region": types.FoldingRangeKind.Region}


def _as_range(item: Any) -> types.FoldingRange | None:
    if isinstance(item, (tuple, list)):
        start, end, kind = (list(item) + [None, None, None])[:3]
    else:
        start, end, kind = getattr(item, "start_line", None), getattr(item, "end_line", None), getattr(item, "kind", None)
    if not isinstance(start, int) or not isinstance(end, int) or end <= start:
        return None
    return types.FoldingRange(start_line=start, end_line=end, kind=_KINDS.get(str(kind)) if kind else None)


def build(analysis: Any) -> list[types.FoldingRange]:
    return [r for r in (_as_range(i) for i in folding_ranges(analysis) or []) if r is not None]


def register(ls: ServerContext) -> None:
    @ls.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    @guarded("foldingRange", default=list)
    async def folding_range(ls: ServerContext, params: types.FoldingRangeParams) -> list:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return []
        analysis = await ls.documents.analysis(doc)
        out = await off_loop(doc, build, analysis)
        try:
            limit = ls.client_capabilities.text_document.folding_range.range_limit
        except AttributeError:
            limit = None
        return out[:limit] if isinstance(limit, int) and limit > 0 else out
