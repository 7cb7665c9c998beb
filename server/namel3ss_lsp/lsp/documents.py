"""Open documents: text, version and the latest analysis.

We keep our own store instead of pygls' workspace so that line breaks follow the LSP rules exactly
(`\\n`, `\\r\\n` and `\\r` only — Python's `splitlines` also breaks on `\\f`, `\\x1c`, `\\u2028`, ...) and
so that positions are clamped instead of raising. Columns are UTF-16 code units.

Analyses are made by the `AnalysisQueue` (analysis_queue.py): in slices on the event loop, big
documents in a worker thread, the document a request is about first, an outdated text's analysis
dropped as soon as a newer version arrives. When documents close, what only they used is given
back (`release`): chunk-cache entries, remembered scans, their analyses (dismantled a little at a
time: freeing a big tree in one go held the loop for 0.1-0.3 s).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from namel3ss_lsp.language import analyze
from namel3ss_lsp.language import rescan as _rescan
from namel3ss_lsp.language.analysis import LEAN_FROM, Analysis, keep_only_chunks_of
from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.language.tree import forget_words

from .analysis_queue import THREADED_FROM, AnalysisQueue, bury, trim_heap

logger = logging.getLogger(__name__)

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FULL_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")  # a line and its break, by LSP's rules
_LINE_BREAK_AT_END = re.compile(r"(?:\r\n|\r|\n)\Z")
_BLOCK = 1 << 16  # characters whose line breaks are counted at once when looking for a line
THREAD_THRESHOLD = 100_000  # characters: above this, features' own CPU work (outline...) runs in a thread
BATCHED_FROM = 16  # changes in one didChange from which they are applied to a list of lines
RELEASE_DELAY = 0.1  # seconds after a close before its caches are released (a burst of closes: once)
RECLAIM_CHARS = 50_000  # open text at most this big after a close: collect frozen garbage (cheap then)
T = TypeVar("T")


async def off_loop(doc: "Document", fn: Callable[..., T], *args: Any) -> T:
    """Run CPU work about a document: inline for small documents, in a worker thread for big ones
    (so the event loop keeps answering other requests meanwhile)."""
    if len(doc.text) < THREAD_THRESHOLD:
        return fn(*args)
    return await asyncio.to_thread(fn, *args)


def debounce_delay(size: int) -> float:
    """Seconds to wait after an edit before analysing. Below THREADED_FROM characters analysis runs
    on the loop in slices and a newer version drops it at once, so an analysis started too early
    costs one slice (3 ms): a short pause is enough to let a burst of edits land (issue 14: 15 ms
    at 5,000 lines was a quarter of keystroke -> diagnostics). Bigger documents are analysed in a
    thread that finishes what it started: wait longer so a burst costs one analysis."""
    if size < THREADED_FROM:
        return 0.005
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
    start, line = _skip_blocks(text, line)
    for _ in range(line):
        match = _LINE_BREAK.search(text, start)
        if match is None:
            return None
        start = match.end()
    return start, _line_end(text, start)


def _skip_blocks(text: str, line: int) -> tuple[int, int]:
    """(offset, lines still to skip from there): whole blocks of text before line `line` are skipped
    by counting their line breaks at C speed (an edit at line 300,000 of 10 MB costs ~2 ms)."""
    start, size = 0, len(text)
    has_cr = "\r" in text
    while line > 0 and start < size:
        end = min(size, start + _BLOCK)
        while end < size and text[end - 1] == "\r":
            end += 1  # never split "\r\n" (nor "\r\r\n")
        breaks = text.count("\n", start, end)
        if has_cr:
            breaks += text.count("\r", start, end) - text.count("\r\n", start, end)
        if breaks >= line:
            break  # the line starts inside this block
        start, line = end, line - breaks
    return start, line


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


def apply_change(text: str, change: Any, index: LineIndex | None = None) -> str:
    """Apply one `TextDocumentContentChangeEvent` (partial with a range, or whole-document).
    `index`: a line index of `text` (without lone "\r" line breaks, which it does not count)."""
    new_text = getattr(change, "text", "")
    change_range = getattr(change, "range", None)
    if change_range is None:
        return new_text
    start = _offset(text, index, change_range.start)
    end = _offset(text, index, change_range.end)
    if end < start:
        start, end = end, start
    return text[:start] + new_text + text[end:]


def apply_changes(text: str, changes: list[Any], index: LineIndex | None = None) -> str:
    """Apply the changes of one `didChange` in order. Many at once (typing with many cursors,
    Replace All) are applied to the text as a list of lines, joined once at the end: applied one
    by one to the whole text, each costs a copy of it and a walk to its line (1,000 changes to a
    1.8 MB document: 1.1 s, against 22 ms as lines; below BATCHED_FROM changes one by one is the
    cheaper way)."""
    if len(changes) < BATCHED_FROM:
        for change in changes:
            text = apply_change(text, change, index)
            index = None
        return text
    lines = _lines(text)
    for change in changes:
        change_range = getattr(change, "range", None)
        if change_range is None:
            lines = _lines(getattr(change, "text", ""))
            continue
        start, end = _place(lines, change_range.start), _place(lines, change_range.end)
        if end < start:
            start, end = end, start
        (first, at), (last, to) = start, end
        pieces = _lines(lines[first][:at] + getattr(change, "text", "") + lines[last][to:])
        if last + 1 < len(lines):
            pieces.pop()  # the empty piece after the last line's break: the next line follows
        if first > 0 and pieces and pieces[0].startswith("\n") and lines[first - 1].endswith("\r"):
            first -= 1  # "\r" then "\n" is one line break: the two lines become one
            pieces = _lines(lines[first] + "".join(pieces))
            if last + 1 < len(lines):
                pieces.pop()
        lines[first : last + 1] = pieces
    return "".join(lines)


def _lines(text: str) -> list[str]:
    """The lines of `text`, each with its line break; the last one (maybe empty) has none."""
    lines = _FULL_LINES.findall(text)
    lines.append(text[max(text.rfind("\n"), text.rfind("\r")) + 1 :])
    return lines


def _place(lines: list[str], position: Any) -> tuple[int, int]:
    """(line, index in that line's text) of an LSP position, clamped as `offset_at` does."""
    line = max(position.line, 0)
    if line >= len(lines):
        return len(lines) - 1, len(_LINE_BREAK_AT_END.sub("", lines[-1]))
    content = _LINE_BREAK_AT_END.sub("", lines[line])
    return line, utf16_to_index(content, position.character)


def _offset(text: str, index: LineIndex | None, position: Any) -> int:
    if index is not None and position.line >= 0:
        return index.offset(position)  # a bisection instead of a walk to the line (~3 ms at line 2,500)
    return offset_at(text, position.line, position.character)


def _index_of(doc: Document) -> LineIndex | None:
    """The line index of the document's analysis when it is of the document's very text."""
    index = getattr(doc.analysis, "line_index", None)
    if isinstance(index, LineIndex) and index.text is doc.text and not index.has_cr:
        return index
    return None


@dataclass
class Document:
    uri: str
    text: str
    version: int | None
    language_id: str = "namel3ss"
    analysis: Any = None
    analysis_version: int | None = None


class DocumentStore:
    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self.queue = AnalysisQueue(self.get)
        self._release: asyncio.TimerHandle | None = None
        self.on_release: list[Callable[[], None]] = []  # other caches to empty when documents close

    def open(self, uri: str, text: str, version: int | None, language_id: str = "namel3ss") -> Document:
        self.queue.drop(uri)
        doc = Document(uri=uri, text=text, version=version, language_id=language_id)
        self._docs[uri] = doc
        return doc

    def change(self, uri: str, version: int | None, changes: list[Any]) -> Document | None:
        doc = self._docs.get(uri)
        if doc is None:
            logger.warning("didChange for %s which is not open: ignored", uri)
            return None
        doc.text = apply_changes(doc.text, changes, _index_of(doc))
        doc.version = version
        self.queue.drop(uri)  # the analysis under way is of an older text: stop it now
        return doc

    def close(self, uri: str) -> None:
        self.queue.drop(uri)
        doc = self._docs.pop(uri, None)
        if doc is not None:
            bury(doc.analysis, closed=True)
            doc.analysis = None
            self.release_soon()

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def all(self) -> list[Document]:
        return list(self._docs.values())

    def current(self, doc: Document) -> Analysis | None:
        """The analysis of the document's current text, if it is done."""
        if doc.analysis is not None and doc.analysis_version == doc.version and doc.version is not None:
            return doc.analysis
        return None

    async def analysis(self, doc: Document, *, urgent: bool = True) -> Any:
        """The analysis of the current version. `urgent` (requests): before the queued analyses of
        other documents; diagnostics pass False and wait their turn."""
        while True:
            done = self.current(doc)
            if done is not None:
                return done
            if self._docs.get(doc.uri) is not doc:  # closed meanwhile: one last analysis, off the loop
                return doc.analysis or await asyncio.to_thread(analyze, doc.text, remember=False, lean=len(doc.text) >= LEAN_FROM)
            job = self.queue.job_for(doc, urgent)
            result = await asyncio.shield(job.future)
            if result is not None:
                return result
            # dropped: a newer version arrived (or the document closed); go again for that one

    def release_soon(self) -> None:
        """`release` shortly, once for a burst of closes, after the other holders of the closed
        documents' analyses (workspace index, status) have let go of them."""
        if self._release is None or self._release.cancelled():
            self._release = asyncio.get_running_loop().call_later(RELEASE_DELAY, self._released)

    def _released(self) -> None:
        self._release = None
        self.release()

    def release(self) -> None:
        """Give back what only closed documents used: chunk-cache entries, remembered scans, frozen
        garbage (when little is left open) and freed heap."""
        docs = self.all()
        try:
            keep_only_chunks_of([d.analysis for d in docs if isinstance(d.analysis, Analysis)])
            _rescan.clear()  # the next edit of an open document scans it whole once
            forget_words()  # shared Refs made among the closed trees' nodes would pin their memory
            for release in self.on_release:
                release()
        except Exception:  # pragma: no cover - freeing memory must never break a close
            logger.exception("could not release the caches of closed documents")
        if not self.queue.busy and sum(len(d.text) for d in docs) <= RECLAIM_CHARS:
            gc.unfreeze()  # garbage frozen along with the analyses is collected now, while it is cheap
            gc.collect()
            gc.freeze()
        trim_heap()
