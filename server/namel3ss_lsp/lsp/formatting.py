"""Formatting: whole document, a range of lines, and on typing '}' (re-indent the closed block).

All three read one plan from the language core (`language/format.py`) and answer with one
TextEdit per run of changed lines. Parts left unformatted (syntax errors) and files that cannot
be formatted at all (binary) are said in the log (`window/logMessage`), not in a popup: editors
format on save, and a message at every save of a half-typed file would be noise.
"""

from __future__ import annotations

import logging

from lsprotocol import types

from namel3ss_lsp.language.format import FormatOptions, Formatted, format_document

from . import convert
from .documents import off_loop
from .guard import guarded

from .context import ServerContext

logger = logging.getLogger(__name__)


def options(opts: types.FormattingOptions | None) -> FormatOptions:
    tab_size = getattr(opts, "tab_size", None)
    insert_spaces = getattr(opts, "insert_spaces", None)
    if not isinstance(tab_size, int) or isinstance(tab_size, bool) or tab_size < 1:
        tab_size = 4
    return FormatOptions(tab_size, insert_spaces is not False)


def text_edits(formatted: Formatted, first_line: int = 0, last_line: int | None = None) -> list[types.TextEdit]:
    return [types.TextEdit(range=convert.range_(e.range), new_text=e.new_text) for e in formatted.edits(first_line, last_line)]


def range_lines(rng: types.Range) -> tuple[int, int]:
    """The lines a range selects; a selection ending at the start of a line leaves that line out."""
    first, last = rng.start.line, rng.end.line
    if last > first and rng.end.character == 0:
        last -= 1
    return first, last


def _report(uri: str, formatted: Formatted) -> None:
    if formatted.error:
        logger.info("%s not formatted: %s", uri, formatted.error)
    for part in formatted.skipped:
        logger.info("%s lines %d-%d left as they are: %s", uri, part.first_line + 1, part.last_line + 1, part.reason)


async def _format(ls: ServerContext, uri: str, opts: types.FormattingOptions | None) -> Formatted | None:
    doc = ls.documents.get(uri)
    if doc is None:
        return None
    analysis = await ls.documents.analysis(doc)
    formatted = await off_loop(doc, format_document, doc.text, options(opts), analysis)
    _report(uri, formatted)
    return formatted


def register(ls: ServerContext) -> None:
    @ls.feature(types.TEXT_DOCUMENT_FORMATTING)
    @guarded("formatting", default=list)
    async def formatting(ls: ServerContext, params: types.DocumentFormattingParams) -> list:
        formatted = await _format(ls, params.text_document.uri, params.options)
        return [] if formatted is None else text_edits(formatted)

    @ls.feature(types.TEXT_DOCUMENT_RANGE_FORMATTING)
    @guarded("rangeFormatting", default=list)
    async def range_formatting(ls: ServerContext, params: types.DocumentRangeFormattingParams) -> list:
        formatted = await _format(ls, params.text_document.uri, params.options)
        return [] if formatted is None else text_edits(formatted, *range_lines(params.range))

    @ls.feature(
        types.TEXT_DOCUMENT_ON_TYPE_FORMATTING,
        types.DocumentOnTypeFormattingOptions(first_trigger_character="}"),
    )
    @guarded("onTypeFormatting", default=list)
    async def on_type_formatting(ls: ServerContext, params: types.DocumentOnTypeFormattingParams) -> list:
        if params.ch != "}":
            return []
        formatted = await _format(ls, params.text_document.uri, params.options)
        if formatted is None or formatted.index is None:
            return []
        block = formatted.block_lines(formatted.index.offset(params.position))
        return [] if block is None else text_edits(formatted, *block)
