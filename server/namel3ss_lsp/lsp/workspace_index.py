"""The workspace index service: keeps the semantic index current for every `.ai` file.

- After `initialized`, every `.ai` file under the workspace folders is read and summarised in a
  worker thread, in batches, with `$/progress` ("Indexing 120 files"). Bad files are skipped and
  logged: unreadable, not a regular file (a link to /dev/zero, a FIFO), undecodable, binary or
  Adobe Illustrator content, over MAX_FILE_SIZE.
- Open documents are summarised from their own analysis (the editor's text wins over the disk).
- Files changed on disk arrive through `workspace/didChangeWatchedFiles` (a `**/*.ai` watcher is
  registered when the client supports dynamic registration); a closed document is read from disk.
- When a change alters which names are declared, the open documents that refer to them get fresh
  diagnostics without being edited.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import multiprocessing
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.uris import from_fs_path

from namel3ss_lsp.language import analyze
from namel3ss_lsp.language.analysis import Analysis
from namel3ss_lsp.language.foreign import foreign_reason as refusal  # why a file is not indexed: the one detector
from namel3ss_lsp.semantics import FileSummary, SummaryMemo, WorkspaceIndex, summarize
from namel3ss_lsp.source_files import read_source

from .guard import guarded
from .progress import WorkDone

from .context import ServerContext

logger = logging.getLogger(__name__)

MAX_FILE_SIZE = 5_000_000  # bytes: larger files are not indexed (logged)
MAX_FILES = 50_000  # .ai files indexed at most per workspace
BATCH = 32  # files summarised per worker call
FILES_PER_TURN = 25  # watched-file events handled between two turns of the event loop
# A cold index of more files than this is parsed in worker processes (one per core, at most 4):
# parsing is pure Python, so threads would share one core. Fewer files go to a thread.
PROCESS_POOL_FROM = 200
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"})
WATCHER_ID = "namel3ss-ai-files"


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def path_to_uri(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def read_summary(path: Path, uri: str) -> FileSummary | str:
    """Read and summarise one file from disk (worker thread), or say why it is skipped. The
    caller logs on the event loop (worker threads do not write to the client)."""
    try:
        data = read_source(path, MAX_FILE_SIZE)  # regular files only: not a link to /dev/zero or a FIFO
    except OSError as exc:
        return str(exc.strerror or exc)
    why = refusal(data)
    if why is not None:
        return why
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    return summarize(uri, analyze(text, remember=False))


def read_batch(batch: list[tuple[Path, str]]) -> list[FileSummary | str]:
    """`read_summary` for a batch of files (runs in a worker thread or process)."""
    return [read_summary(path, uri) for path, uri in batch]


def _summary(path: Path, result: FileSummary | str) -> FileSummary | None:
    if isinstance(result, str):
        logger.info("index: skipped %s (%s)", path, result)
        return None
    return result


def find_ai_files(root: Path, limit: int = MAX_FILES) -> list[Path]:
    """`.ai` files under `root`; symlinked folders are not followed (no loops), and hidden and
    dependency folders are skipped."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False, onerror=lambda e: logger.info("index: %s", e)):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        for name in files:
            if name.endswith(".ai"):
                found.append(Path(folder) / name)
                if len(found) >= limit:
                    logger.warning("index: more than %d .ai files under %s; the rest are not indexed", limit, root)
                    return found
    return found


class WorkspaceIndexService:
    def __init__(self, ls: ServerContext) -> None:
        self._ls = ls
        self.index = WorkspaceIndex()
        self._from_analysis: dict[str, Analysis] = {}  # uri -> the analysis its summary came from
        self._memos: dict[str, SummaryMemo] = {}  # uri -> its last summary's parts (re-summary costs what changed)
        self._pending: dict[str, asyncio.Task] = {}  # uri -> a huge document's summary, made in a thread
        self.indexed_files = 0

    # ---- open documents ------------------------------------------------------------------------

    def update_open(self, uri: str, analysis: Analysis) -> None:
        """The open document's summary from this analysis (once per analysis)."""
        if self._from_analysis.get(uri) is analysis:
            return
        # A memo from the second summary on: a file opened and not edited does not need one.
        memo = self._memos.get(uri) if uri not in self._from_analysis else self._memos.setdefault(uri, {})
        self._from_analysis[uri] = analysis
        self._drop_pending(uri)
        if analysis.lean:  # a huge document, analysed without a tree: its summary parses it again
            self._summarize_in_thread(uri, analysis)
            return
        changed = self.index.set_file(summarize(uri, analysis, memo))
        if changed:
            self._republish_dependents(changed, exclude=uri)

    def _summarize_in_thread(self, uri: str, analysis: Analysis) -> None:
        """Summarise a huge document in a worker thread (seconds of parsing); meanwhile the index
        keeps its previous summary. Bigger than an indexed file may be: not indexed, as on disk."""
        if len(analysis.text) > MAX_FILE_SIZE:
            logger.info("index: %s is not indexed while open (more than %d characters)", uri, MAX_FILE_SIZE)
            changed = self.index.remove_file(uri)
            if changed:
                self._republish_dependents(changed, exclude=uri)
            return

        async def summarize_and_set() -> None:
            summary = await asyncio.to_thread(summarize, uri, analysis)
            if self._from_analysis.get(uri) is not analysis:  # a newer text, or closed meanwhile
                return
            changed = self.index.set_file(summary)
            if changed:
                self._republish_dependents(changed, exclude=uri)

        task = self._ls.tasks.spawn(summarize_and_set(), f"summary of {uri}")
        if task is not None:
            self._pending[uri] = task
            task.add_done_callback(lambda t: self._pending.pop(uri, None) if self._pending.get(uri) is t else None)

    def _drop_pending(self, uri: str) -> None:
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()  # its thread finishes, and what it made is let go of

    async def closed(self, uri: str) -> None:
        """A closed document: its summary comes from the disk again (or it is gone)."""
        self._from_analysis.pop(uri, None)
        self._memos.pop(uri, None)
        self._drop_pending(uri)
        path = uri_to_path(uri)
        summary = None
        if path is not None and path.is_file():
            summary = _summary(path, await asyncio.to_thread(read_summary, path, uri))
        changed = self.index.set_file(summary) if summary is not None else self.index.remove_file(uri)
        if changed:
            self._republish_dependents(changed)

    # ---- the workspace on disk -----------------------------------------------------------------

    async def current(self, uri: str) -> WorkspaceIndex:
        """The index, with the document `uri` (when open) summarised from its current text."""
        doc = self._ls.documents.get(uri)
        if doc is not None:
            self.update_open(uri, await self._ls.documents.analysis(doc))
            pending = self._pending.get(uri)
            if pending is not None:  # a huge document's summary: the request is about it, wait
                await asyncio.wait([pending])
        return self.index

    def roots(self) -> list[Path]:
        workspace = self._ls.workspace
        uris = [folder.uri for folder in (getattr(workspace, "folders", None) or {}).values()]
        if not uris and getattr(workspace, "root_uri", None):
            uris = [workspace.root_uri]
        paths = [uri_to_path(u) for u in uris]
        return [p for p in paths if p is not None and p.is_dir()]

    async def index_workspace(self) -> None:
        """Index every `.ai` file of the workspace folders, in the background, with progress."""
        roots = self.roots()
        files: list[Path] = []
        for root in roots:
            files += await asyncio.to_thread(find_ai_files, root)
        progress = await WorkDone(self._ls, "Namel3ss", cancellable=False).begin(f"Indexing {len(files)} files", 0)
        changed: set[str] = set()
        loop = asyncio.get_running_loop()
        pool = _process_pool() if len(files) > PROCESS_POOL_FROM else None
        pool_in_use = pool
        in_flight: collections.deque = collections.deque()  # a few batches ahead keep workers busy

        def submit(batch: list) -> asyncio.Future:
            if pool is not None:
                return loop.run_in_executor(pool, read_batch, batch)
            return asyncio.ensure_future(asyncio.to_thread(read_batch, batch))

        async def apply(batch: list, future: asyncio.Future) -> None:
            nonlocal changed, done, pool
            try:
                results = await future
            except Exception as exc:  # a worker process died: the rest is done in a thread
                logger.warning("index: worker failed (%s); indexing in a thread instead", exc)
                if pool is not None:
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = None
                results = await asyncio.to_thread(read_batch, batch)
            for (path, _), result in zip(batch, results):
                summary = _summary(path, result)
                if summary is not None and self._ls.documents.get(summary.uri) is None:  # open: the editor's text wins
                    changed |= self.index.set_file(summary)
                    self.indexed_files += 1
            done += len(batch)
            progress.report(f"Indexing {len(files)} files ({done})", int(done * 100 / max(1, len(files))))

        done = 0
        try:
            for start in range(0, len(files), BATCH):
                batch = [(p, path_to_uri(p)) for p in files[start : start + BATCH]]
                batch = [(p, u) for p, u in batch if self._ls.documents.get(u) is None]
                in_flight.append((batch, submit(batch)))
                if len(in_flight) >= 4:
                    await apply(*in_flight.popleft())
            while in_flight:
                await apply(*in_flight.popleft())
        finally:
            if pool_in_use is not None:
                pool_in_use.shutdown(wait=False, cancel_futures=True)
            progress.end(f"Indexed {self.indexed_files} files")
        logger.info("index: %d files, %d declarations", len(self.index), sum(len(f.declarations) for f in self.index.files()))
        if changed:
            self._republish_dependents(changed)

    async def files_changed(self, changes: list[types.FileEvent]) -> None:
        changed: set[str] = set()
        for position, event in enumerate(changes):
            if position % FILES_PER_TURN == FILES_PER_TURN - 1:
                await asyncio.sleep(0)  # a branch switch changes hundreds of files: requests go between
            uri = event.uri
            if not uri.endswith(".ai") or self._ls.documents.get(uri) is not None:
                continue  # an open document follows the editor, not the disk
            path = uri_to_path(uri)
            if event.type == types.FileChangeType.Deleted or path is None or not path.is_file():
                changed |= self.index.remove_file(uri)
                continue
            summary = _summary(path, await asyncio.to_thread(read_summary, path, uri))
            changed |= self.index.set_file(summary) if summary is not None else self.index.remove_file(uri)
        if changed:
            self._republish_dependents(changed)

    async def register_watcher(self) -> None:
        if not self._ls.client_supports("workspace.did_change_watched_files.dynamic_registration"):
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[types.FileSystemWatcher(glob_pattern="**/*.ai")])
        registration = types.Registration(id=WATCHER_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)
        try:
            await asyncio.wait_for(self._ls.client_register_capability_async(types.RegistrationParams(registrations=[registration])), 10)
        except Exception as exc:
            logger.info("could not register the **/*.ai file watcher: %s", exc)

    def _republish_dependents(self, names: set[str], exclude: str | None = None) -> None:
        # Declarations that may now conflict (or no longer) are in the files that declare the names.
        # (Not `declarations_named`, which sorts: 150 files deleted at once, 45,000 names, held
        # the event loop ~160 ms.)
        uris = self.index.referring_files(names) | self.index.declaring_files(names)
        for uri in uris:
            if uri != exclude and self._ls.documents.get(uri) is not None:
                self._ls.diagnostics.schedule(uri, delay=0.02)


def _process_pool() -> concurrent.futures.ProcessPoolExecutor | None:
    """Worker processes for a big cold index ("spawn": the server has threads, so no fork), or
    None where processes cannot be had (then a thread does the work)."""
    try:
        workers = max(1, min(4, os.cpu_count() or 1))
        return concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    except Exception as exc:  # pragma: no cover - a sandbox without processes
        logger.info("index: no worker processes (%s); indexing in a thread", exc)
        return None


def register(ls: ServerContext) -> None:
    @ls.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded("didChangeWatchedFiles")
    async def did_change_watched_files(ls: ServerContext, params: types.DidChangeWatchedFilesParams) -> None:
        await ls.workspace_index.files_changed(list(params.changes or []))
