"""Open documents: text, version and the latest analysis.

We keep our own store instead of pygls' workspace so that line breaks follow the LSP rules exactly
(`\\n`, `\\r\\n` and `\\r` only — Python's `splitlines` also breaks on `\\f`, `\\x1c`, `\\u2028`, ...) and
so that positions are clamped instead of raising. Columns are UTF-16 code units.
Analysis is pure CPU work: small documents are analysed inline, large ones in a worker thread so the
event loop keeps answering requests.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from namel3ss_lsp.language import analyze

logger = logging.getLogger(__name__)

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
THREAD_THRESHOLD = 100_000  # characters: above this, analyse (and outline...) in a worker thread
T = TypeVar("T")


async def off_loop(doc: "Document", fn: Callable[..., T], *args: Any) -> T:
    """Run CPU work about a document: inline for small documents, in a worker thread for big ones
    (so the event loop keeps answering other requests meanwhile)."""
    if len(doc.text) < THREAD_THRESHOLD:
        return fn(*args)
    return await asyncio.to_thread(fn, *args)


def debounce_delay(size: int) -> float:
    """Seconds to wait after an edit before analysing: tiny for small files, more for huge ones."""
    if size < 20_000:
        return 0.005
    if size < 200_000:  # re-analysis is incremental (chunk cache): ~30-40 ms at 5,000 lines
        return 0.015
    if size < 1_000_000:
        return 0.05
    return 0.25


def utf16_to_index(line: str, units: int) -> int:
    """Index into `line` of the UTF-16 column `units` (clamped to the line's length)."""
    if units <= 0:
        return 0
    if line.isascii():
        return min(units, len(line))
    count = 0
    for index, char in enumerate(line):
        if count >= units:
            return index
        count += 2 if ord(char) > 0xFFFF else 1
    return len(line)


def index_to_utf16(line: str, index: int) -> int:
    prefix = line[:index]
    if prefix.isascii():
        return len(prefix)
    return sum(2 if ord(c) > 0xFFFF else 1 for c in prefix)


def line_bounds(text: str, line: int) -> tuple[int, int] | None:
    """(start offset, end offset excluding the break) of `line`, or None past the last line."""
    if line < 0:
        return 0, _line_end(text, 0)
    start = 0
    for _ in range(line):
        match = _LINE_BREAK.search(text, start)
        if match is None:
            return None
        start = match.end()
    return start, _line_end(text, start)


def _line_end(text: str, start: int) -> int:
    match = _LINE_BREAK.search(text, start)
    return match.start() if match else len(text)


def offset_at(text: str, line: int, character: int) -> int:
    """Offset of an LSP position; positions past a line end or past the document are clamped."""
    bounds = line_bounds(text, line)
    if bounds is None:
        return len(text)
    start, end = bounds
    return start + utf16_to_index(text[start:end], character)


def position_at(text: str, offset: int) -> tuple[int, int]:
    offset = max(0, min(offset, len(text)))
    line = 0
    start = 0
    for match in _LINE_BREAK.finditer(text, 0, offset):
        if match.end() > offset:  # offset between \r and \n: count as end of that line
            break
        line += 1
        start = match.end()
    return line, index_to_utf16(text[start:offset], offset - start)


def apply_change(text: str, change: Any) -> str:
    """Apply one `TextDocumentContentChangeEvent` (partial with a range, or whole-document)."""
    new_text = getattr(change, "text", "")
    change_range = getattr(change, "range", None)
    if change_range is None:
        return new_text
    start = offset_at(text, change_range.start.line, change_range.start.character)
    end = offset_at(text, change_range.end.line, change_range.end.character)
    if end < start:
        start, end = end, start
    return text[:start] + new_text + text[end:]


@dataclass
class Document:
    uri: str
    text: str
    version: int | None
    language_id: str = "namel3ss"
    analysis: Any = None
    analysis_version: int | None = None
    _analysing: "asyncio.Future[Any] | None" = field(default=None, repr=False)
    _analysing_text: str | None = field(default=None, repr=False)


class DocumentStore:
    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}

    def open(self, uri: str, text: str, version: int | None, language_id: str = "namel3ss") -> Document:
        doc = Document(uri=uri, text=text, version=version, language_id=language_id)
        self._docs[uri] = doc
        return doc

    def change(self, uri: str, version: int | None, changes: list[Any]) -> Document | None:
        doc = self._docs.get(uri)
        if doc is None:
            logger.warning("didChange for %s which is not open: ignored", uri)
            return None
        text = doc.text
        for change in changes:
            text = apply_change(text, change)
        doc.text = text
        doc.version = version
        return doc

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def all(self) -> list[Document]:
        return list(self._docs.values())

    def analysis_now(self, doc: Document) -> Any:
        """The analysis of the document's current text, computed inline if needed."""
        if doc.analysis is not None and doc.analysis_version == doc.version and doc.version is not None:
            return doc.analysis
        version, text = doc.version, doc.text
        result = analyze(text, remember=doc.analysis is not None)  # not on didOpen
        if doc.version == version and doc.text is text:
            doc.analysis, doc.analysis_version = result, version
        return result


    async def analysis(self, doc: Document) -> Any:
        """The analysis of the current version; big documents are analysed in a worker thread."""
        if doc.analysis is not None and doc.analysis_version == doc.version and doc.version is not None:
            return doc.analysis
        if len(doc.text) < THREAD_THRESHOLD:
            return self.analysis_now(doc)
        version, text = doc.version, doc.text
        running = doc._analysing
        if running is None or doc._analysing_text is not text:
            # one worker-thread analysis per version, shared by diagnostics, completion, hover...
            running = asyncio.ensure_future(asyncio.to_thread(functools.partial(analyze, text, remember=doc.analysis is not None)))
            doc._analysing, doc._analysing_text = running, text
        result = await asyncio.shield(running)
        if doc.version == version and doc.text is text:
            doc.analysis, doc.analysis_version = result, version
        if doc._analysing is running:
            doc._analysing, doc._analysing_text = None, None
        return result
