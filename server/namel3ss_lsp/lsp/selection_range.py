"""Selection ranges ("expand selection"), from the language core's chains, for each position."""

from __future__ import annotations

import logging

from lsprotocol import types

from namel3ss_lsp.language.selection import SelectionRange, selection_ranges

from . import convert
from .documents import off_loop
from .guard import guarded

from .context import ServerContext

logger = logging.getLogger(__name__)

# lsprotocol serialises nested parents recursively: a chain in a 10,000-deep file keeps its
# innermost steps and the whole file, and stays far from the recursion limit.
MAX_DEPTH = 64


def to_lsp(chain: SelectionRange) -> types.SelectionRange:
    ranges = []
    node: SelectionRange | None = chain
    while node is not None:
        ranges.append(node.range)
        node = node.parent
    if len(ranges) > MAX_DEPTH:
        ranges = ranges[: MAX_DEPTH - 1] + ranges[-1:]
    parent = None
    for rng in reversed(ranges):
        parent = types.SelectionRange(range=convert.range_(rng), parent=parent)
    return parent


def build(analysis, positions: list) -> list[types.SelectionRange]:
    return [to_lsp(chain) for chain in selection_ranges(analysis, positions)]


def register(ls: ServerContext) -> None:
    @ls.feature(types.TEXT_DOCUMENT_SELECTION_RANGE)
    @guarded("selectionRange", default=list)
    async def selection_range(ls: ServerContext, params: types.SelectionRangeParams) -> list:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return []
        analysis = await ls.documents.analysis(doc)
        return await off_loop(doc, build, analysis, list(params.positions))
