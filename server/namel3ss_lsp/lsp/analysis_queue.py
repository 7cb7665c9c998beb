"""The analysis queue: every analysis of an open document, one job per document.

Analysis is pure CPU work, and the event loop must keep answering while it runs (issue 17):

- A job runs on the event loop in slices of a few milliseconds (the language core's analysis
  pauses between chunks, `language.analysis.Stepper`), with a turn of the loop between slices, so
  a request is answered within a slice or two whatever is queued.
- The document a request is about goes first: its job is marked urgent and runs before the queued
  analyses of other documents (whose own jobs wait, half done, where they are).
- A newer version drops the job of the older one at once; whoever waited goes again for the new one.
- A big document (over THREADED_FROM characters) is analysed in a worker thread instead, so that
  the steps that cannot be sliced (the first scan of 10 MB) do not hold the loop either; over
  `LEAN_FROM` characters it is analysed lean (no syntax tree kept: see `language.analysis`).
- The cyclic garbage collector is paused while jobs run; when they settle, young garbage is
  collected, and once many objects are in the collector's view (new trees) they are frozen out of
  it (`sweep_garbage`): a full collection over the trees of ten big documents took ~1 s, all of it
  with the loop stopped, while the trees hold no reference cycles at all.
- An analysis that is replaced or closed is `bury`-ed: once nothing else holds it, it is taken
  apart a few thousand nodes at a time between turns of the loop (freeing a 10 MB document's
  analysis in one go held the loop for 0.1-0.3 s).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import ctypes.util
import gc
import itertools
import logging
import sys
import time
from typing import Any, Callable

from namel3ss_lsp.language.analysis import LEAN_FROM, Analysis, Stepper

logger = logging.getLogger(__name__)

SLICE = 0.003  # seconds of analysis on the event loop between two turns of the loop
SWEEP_LIMIT = 20_000  # objects in the collector's view at most for `sweep_garbage` to walk them (~5 ms)
# characters: bigger documents are analysed in a worker thread, where the steps that cannot be cut
# into slices (scanning the whole text, the file-wide checks) only share the interpreter's lock
THREADED_FROM = 250_000
BURY_DELAY = 0.2  # seconds between two looks at whether a buried analysis is free to take apart
BURY_TRIES = 25  # then it is left to whoever still holds it
BURY_BATCH = 256  # list items let go of at a time


class _Job:
    """The analysis of one text of one document."""

    __slots__ = ("uri", "text", "version", "stepper", "future", "urgent", "order", "dropped", "threaded")

    def __init__(self, doc: Any, order: int) -> None:
        self.uri = doc.uri
        self.text = doc.text
        self.version = doc.version
        self.threaded = len(doc.text) >= THREADED_FROM
        # Chunks go to the chunk cache once the document is edited, not on didOpen (a branch switch
        # opening 100 files must not churn it); huge documents are analysed lean (no tree kept).
        # The previous analysis lends the chunks before the first changed character as they are.
        # On the loop, the previous analysis is spent: the chunks after the edit move out of it in
        # place (put back if this job is dropped: `Stepper.close`). Not in the thread, where a
        # request on the loop could read the previous analysis while its nodes move.
        previous = doc.analysis if isinstance(doc.analysis, Analysis) else None
        self.stepper = Stepper(doc.text, remember=doc.analysis is not None, lean=len(doc.text) >= LEAN_FROM,
                               previous=previous, spend_previous=not self.threaded)
        self.future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.urgent = False
        self.order = order
        self.dropped = False


class AnalysisQueue:
    """The analyses to run, one job per document: urgent jobs first, then in order of arrival.
    `document(uri)` is the open document of that uri (or None), where results are stored."""

    def __init__(self, document: Callable[[str], Any]) -> None:
        self._document = document
        self._jobs: dict[str, _Job] = {}
        self._order = itertools.count()
        self._pump: asyncio.Task | None = None
        self._lane: concurrent.futures.ThreadPoolExecutor | None = None  # huge documents, one at a time
        self.completed = 0
        self.dropped = 0

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def job_for(self, doc: Any, urgent: bool) -> _Job:
        job = self._jobs.get(doc.uri)
        if job is not None and job.text is not doc.text:
            self.drop(doc.uri)
            job = None
        if job is None:
            job = self._jobs[doc.uri] = _Job(doc, next(self._order))
            gc.disable()  # until the queue is empty again (see the module docstring)
            if job.threaded:
                self._start_in_thread(job)
        if not job.threaded and self._pump is None:
            self._pump = asyncio.ensure_future(self._run())
        if urgent and not job.urgent:
            job.urgent, job.order = True, next(self._order)  # urgent ones in the order they were asked
        return job

    def drop(self, uri: str) -> None:
        """Stop the analysis of `uri` (its text is outdated or it closed); its waiters go again."""
        job = self._jobs.pop(uri, None)
        if job is None:
            return
        job.dropped = True
        self.dropped += 1
        if not job.threaded:
            job.stepper.close()  # a thread closes its own
        if not job.future.done():
            job.future.set_result(None)
        self._settle()

    async def _run(self) -> None:
        """The slicing pump: a few milliseconds of the most urgent job, then a turn of the loop."""
        try:
            while True:
                job = min((j for j in self._jobs.values() if not j.threaded), key=_priority, default=None)
                if job is None:
                    return
                try:
                    result = job.stepper.advance(SLICE)
                    if result is not None:
                        self._finish(job, result)
                except Exception:  # pragma: no cover - the stepper never raises; the pump must not die
                    logger.exception("analysis of %s failed", job.uri)
                    self.drop(job.uri)
                await asyncio.sleep(0)
        finally:
            self._pump = None

    def _start_in_thread(self, job: _Job) -> None:
        if self._lane is None:
            self._lane = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="n3-analysis")
        running = asyncio.get_running_loop().run_in_executor(self._lane, _advance_until_dropped, job)

        def finished(running: asyncio.Future) -> None:
            result = None if running.cancelled() or running.exception() is not None else running.result()
            if job.dropped:
                job.stepper.close()
            elif result is not None:
                self._finish(job, result)
            else:  # pragma: no cover - the stepper never raises; the executor might be shut down
                self.drop(job.uri)

        running.add_done_callback(finished)

    def _finish(self, job: _Job, result: Analysis) -> None:
        if self._jobs.get(job.uri) is job:
            del self._jobs[job.uri]
        doc = self._document(job.uri)
        if doc is not None and doc.text is job.text:
            bury(doc.analysis)
            doc.analysis, doc.analysis_version = result, job.version
        if not job.future.done():
            job.future.set_result(result)
        self.completed += 1
        self._settle()

    def _settle(self) -> None:
        if not self._jobs:
            # Young garbage goes; a big new tree leaves the collector's view (it holds no cycles,
            # and scanning it was the longest pause of the server).
            sweep_garbage(1)
            gc.enable()


def _priority(job: _Job) -> tuple[bool, int]:
    return (not job.urgent, job.order)


def _advance_until_dropped(job: _Job) -> Analysis | None:
    """A huge document's analysis in the worker thread, checking every 50 ms whether it is still wanted."""
    while not job.dropped:
        result = job.stepper.advance(0.05)
        if result is not None:
            return result
    return None


def sweep_garbage(generation: int = 2) -> None:
    """Collect the cyclic garbage of generations up to `generation` among the objects not frozen
    when those generations hold few (a few ms); when they hold many (new trees, a model list),
    freeze everything instead: that is what the server keeps, and out of view nothing walks it again.

    The server has no automatic full passes (`server.serve`). It used to freeze everything after
    every analysis, so whatever was alive then and died later as a cycle (a request in flight, a
    failed connection: exception, traceback, frames, anyio events, ~13 KB) was never freed: 4 MB a
    minute with Ollama down, a health check a second and a keystroke every half second."""
    # Counted in C calls only (map, len, sum), so no other thread runs while a list of
    # `gc.get_objects` exists: the list holds a reference to every tracked object, a tuple that a
    # worker thread is still filling (`tuple(generator)`) among them, and resizing that tuple then
    # failed with SystemError, failing the worker's analysis: a valid document published one
    # "internal error" diagnostic (seen twice, for a 400 KB and a 1.2 MB document).
    if sum(map(len, map(gc.get_objects, range(generation + 1)))) > SWEEP_LIMIT:
        gc.freeze()
    else:
        gc.collect(generation)


def trim_heap() -> None:
    """Hand the heap freed by closed documents back to the operating system (glibc only)."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None


# ---- taking old analyses apart ------------------------------------------------------------------

_buried: list[list] = []  # [analysis, looks]
_digger: asyncio.Task | None = None
_trim = False  # a closed document's analysis is among them: hand the heap back once they are gone


def bury(analysis: Any, *, closed: bool = False) -> None:
    """`analysis` is no longer the current one of its document (`closed`: nor is the document
    open): free it a little at a time."""
    global _digger, _trim
    if not isinstance(analysis, Analysis):
        return
    _trim = _trim or closed
    _buried.append([analysis, 0])
    if _digger is None or _digger.done():
        try:
            _digger = asyncio.get_running_loop().create_task(_dig())
        except RuntimeError:  # no loop (tests calling the store directly): let it go as usual
            _buried.clear()


async def _dig() -> None:
    global _trim
    while _buried:
        await asyncio.sleep(BURY_DELAY)
        entries: Any = list(_buried)
        _buried.clear()
        entry: Any = None
        for entry in entries:
            # Held only here (this entry, getrefcount's argument): nothing reads it any more, so
            # emptying its lists cannot disturb anyone. Otherwise look again later, or give up.
            if sys.getrefcount(entry[0]) <= 2:
                await _take_apart(entry.pop(0))
            elif entry[1] + 1 < BURY_TRIES:
                entry[1] += 1
                _buried.append(entry)
        entries = entry = None  # no reference of ours left behind while sleeping
    if _trim:
        _trim = False
        trim_heap()


def _own_piece_lists(analysis: Analysis) -> list[list]:
    """The node lists of the analysis's chunks that no later analysis took over (an unchanged
    chunk's lists are shared with the next one); the pieces themselves are let go of."""
    pieces, analysis.pieces = analysis.pieces, []
    own = []
    for piece in pieces:
        for items in (piece.items, piece.maps, piece.decls):
            if sys.getrefcount(items) <= 3:  # this piece, `items` and getrefcount's argument
                own.append(items)
    return own


async def _take_apart(analysis: Analysis) -> None:
    """Let go of an analysis's lists a batch at a time, with a turn of the loop every few ms; each
    batch frees the subtrees only it held (a tree has no cycles: reference counts free it). The
    text and line index stay whole: a node somebody kept still has its positions."""
    lists = [analysis.declarations, analysis.maps, analysis.module.items, analysis.models,
             analysis.diagnostics, analysis.outline, analysis.folds]
    lists += _own_piece_lists(analysis)
    del analysis
    started = time.perf_counter()
    while lists:
        items = lists.pop()
        # a list that anything else holds (besides `items` and getrefcount's argument) is left alone
        if not isinstance(items, list) or sys.getrefcount(items) > 2:
            continue
        while items:
            del items[-BURY_BATCH:]
            if time.perf_counter() - started > SLICE:
                await asyncio.sleep(0)
                started = time.perf_counter()
