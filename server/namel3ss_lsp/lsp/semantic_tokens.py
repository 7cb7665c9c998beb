"""Semantic tokens (full and range) from `namel3ss_lsp.ide.semantic_tokens`; the legend is
documented there and in README.md."""

from __future__ import annotations


from lsprotocol import types

from namel3ss_lsp.ide import semantic_tokens as tokens
from namel3ss_lsp.language.types import Position, Range
from namel3ss_lsp.semantics import summarize

from .documents import off_loop
from .guard import guarded

from .context import ServerContext

LEGEND = types.SemanticTokensLegend(token_types=tokens.TOKEN_TYPES, token_modifiers=tokens.TOKEN_MODIFIERS)


async def _data(ls: ServerContext, uri: str, window: Range | None) -> list[int]:
    doc = ls.documents.get(uri)
    if doc is None:
        return []
    analysis = await ls.documents.analysis(doc)
    if analysis.lean:  # a huge document, no tree kept: no tokens (and its summary is seconds of parsing)
        return []
    ls.workspace_index.update_open(uri, analysis)
    summary = ls.workspace_index.index.file(uri) or summarize(uri, analysis)
    return await off_loop(doc, lambda: tokens.encode(tokens.tokens(analysis, summary, window)))


def register(ls: ServerContext) -> None:
    @ls.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, types.SemanticTokensRegistrationOptions(legend=LEGEND, full=True, range=True))
    @guarded("semanticTokens/full", default=lambda: types.SemanticTokens(data=[]))
    async def full(ls: ServerContext, params: types.SemanticTokensParams) -> types.SemanticTokens:
        return types.SemanticTokens(data=await _data(ls, params.text_document.uri, None))

    @ls.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE)
    @guarded("semanticTokens/range", default=lambda: types.SemanticTokens(data=[]))
    async def by_range(ls: ServerContext, params: types.SemanticTokensRangeParams) -> types.SemanticTokens:
        r = params.range
        window = Range(Position(r.start.line, r.start.character), Position(r.end.line, r.end.character))
        return types.SemanticTokens(data=await _data(ls, params.text_document.uri, window))
