"""Diagnostics: debounced per document, pushed with the document version, never stale.

Syntax and schema results (the language core) are published as soon as the document is analysed;
Ollama results come from what the hub already knows (no waiting on the network) and join when a
background refresh changes what is known — the hub's listener republishes every open document.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Generator

from lsprotocol import types

from namel3ss_lsp.ide.reference_checks import reference_diagnostics
from namel3ss_lsp.language.types import Severity
from namel3ss_lsp.ollama import diagnostics as classifier

from . import convert
from .documents import Document, debounce_delay, off_loop

from .context import ServerContext

logger = logging.getLogger(__name__)

REPUBLISH_DELAY = 0.02
PREPARED_FROM = 300  # diagnostics: a publication this big is serialised in a worker thread
MAX_LANGUAGE_DIAGNOSTICS = 1000  # per document and publication (see language_diagnostics)
decl_options = classifier.declaration_options  # literal options, deployment_config nested


def ollama_declarations(analysis: Any) -> list[Any]:
    """Model declarations served by Ollama with a usable model id."""
    return classifier.ollama_declarations(getattr(analysis, "models", None) or [])


def _listing(hub: Any, base: str) -> Any:
    """What the hub knows about `base` (no I/O); starts a background refresh when stale or unknown."""
    error, models = hub.error(base), hub.models(base)
    if (error is None and models is None) or hub.is_stale(base):
        hub.ensure_models(base)
    if error is not None:
        return error
    if models is None:
        return None
    index = hub.model_index(base)  # the names and their keys, computed once per model list
    return None if index is None else index.names


def _context_length(hub: Any, base: str, installed: str) -> Any:
    info = hub.info_peek(base, installed)
    return info.get("context_length") if isinstance(info, dict) else None


OLLAMA_SLICE = 0.005  # seconds of Ollama checks between two turns of the event loop (big documents)
CONVERT_CHECK_EVERY = 64  # diagnostics converted between two looks at the clock


def ollama_diagnostics(
    analysis: Any, hub: Any, settings: Any, on_unreachable: Any = None
) -> list[types.Diagnostic]:
    """The Ollama checks from what the hub already knows; results join when a refresh republishes."""
    return classifier.run_steps(_ollama_steps(analysis, hub, settings, on_unreachable, None))


async def ollama_diagnostics_sliced(
    analysis: Any, hub: Any, settings: Any, on_unreachable: Any = None, slice_seconds: float = OLLAMA_SLICE
) -> list[types.Diagnostic]:
    """`ollama_diagnostics`, letting the event loop turn after every `slice_seconds` of work: the
    checks of a 10 MB document (833 Ollama declarations, 577 diagnostics) took 25-30 ms in one
    go. Those of a small document take less than a slice, and never wait for a turn."""
    return await run_in_slices(_ollama_steps(analysis, hub, settings, on_unreachable, slice_seconds))


async def run_in_slices(steps: Generator[None, None, Any], still_wanted: Callable[[], bool] | None = None) -> Any:
    """Run a generator of steps to its end, with a turn of the event loop after each step; its
    return value, or None (and the generator closed) once `still_wanted()` says no."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
        await asyncio.sleep(0)
        if still_wanted is not None and not still_wanted():
            steps.close()
            return None


def _ollama_steps(analysis: Any, hub: Any, settings: Any, on_unreachable: Any,
                  slice_seconds: float | None) -> Generator[None, None, list[types.Diagnostic]]:
    severity = str(getattr(settings, "missing_model", "warning"))
    diags = yield from classifier.classify_steps(
        getattr(analysis, "models", None) or [],
        base_url_of=hub.base_url_for,
        allowed=hub.allowed,
        listing=lambda base: _listing(hub, base),
        context_length=lambda base, installed: _context_length(hub, base, installed),
        missing_severity=None if severity == "off" else Severity.__members__.get(severity.upper(), Severity.WARNING),
        on_unreachable=on_unreachable,
        memo=getattr(hub, "classify_memo", None),
        slice_seconds=slice_seconds,
    )
    out: list[types.Diagnostic] = []
    since = time.perf_counter()
    for position, diag in enumerate(diags):
        if (slice_seconds is not None and position % CONVERT_CHECK_EVERY == 0
                and time.perf_counter() - since > slice_seconds):
            yield
            since = time.perf_counter()
        out.append(convert.diagnostic(diag))
    return out


def language_diagnostics(analysis: Any) -> list[types.Diagnostic]:
    """The language core's syntax and schema diagnostics as LSP objects (CPU only, thread-safe);
    at most MAX_LANGUAGE_DIAGNOSTICS of them, the most severe first, and then one saying how many
    more there are (20,000 of them made a 6 MB notification that held the server for 0.2 s)."""
    found = list(getattr(analysis, "diagnostics", None) or [])
    extra = 0
    if len(found) > MAX_LANGUAGE_DIAGNOSTICS:
        extra = len(found) - MAX_LANGUAGE_DIAGNOSTICS
        found = sorted(found, key=_severity_rank)[:MAX_LANGUAGE_DIAGNOSTICS]  # stable: in order within a severity
        found.sort(key=lambda d: (d.range.start, d.range.end))
    out: list[types.Diagnostic] = []
    for diag in found:
        try:
            out.append(convert.diagnostic(diag))
        except Exception:
            logger.exception("could not convert diagnostic %r", diag)
    if extra:
        origin = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
        out.append(types.Diagnostic(
            range=origin, severity=types.DiagnosticSeverity.Information, code="too-many-diagnostics", source="namel3ss",
            message=f"{extra:,} more problems in this file are not shown (at most {MAX_LANGUAGE_DIAGNOSTICS:,} are, "
                    "errors first); `namel3ss-lsp check` lists them all"))
    return out


def _severity_rank(diag: Any) -> int:
    severity = getattr(diag, "severity", None)
    return int(getattr(severity, "value", severity) or 4)


class DiagnosticsPublisher:
    def __init__(self, ls: ServerContext) -> None:
        self._ls = ls
        self._pending: dict[str, asyncio.Task] = {}
        self._syntax: dict[str, tuple[Any, list[types.Diagnostic]]] = {}
        self.published_count = 0
        # Called with (base URL, declaration options) when a document's server is unreachable:
        # the server hooks `auto_start_server` here (commands/start.py), so this module needs
        # no import of the commands.
        self.on_unreachable: Callable[[str, dict], None] | None = None

    def schedule(self, uri: str, *, delay: float | None = None) -> None:
        doc = self._ls.documents.get(uri)
        if doc is None:
            return
        previous = self._pending.pop(uri, None)
        if previous is not None and not previous.done():
            previous.cancel()
        if delay is None:
            delay = debounce_delay(len(doc.text))
        task = self._ls.tasks.spawn(self._run(doc, doc.version, delay), f"diagnostics:{uri}")
        if task is not None:
            self._pending[uri] = task

    def republish_all(self) -> None:
        """Every open document again (model lists changed...); bursts coalesce within 20 ms."""
        for doc in self._ls.documents.all():
            self.schedule(doc.uri, delay=max(REPUBLISH_DELAY, debounce_delay(len(doc.text))))

    async def _run(self, doc: Document, version: Any, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self._ls.documents.get(doc.uri) is not doc or doc.version != version:
            return
        analysis = await self._ls.documents.analysis(doc, urgent=False)  # requests go first
        if self._ls.documents.get(doc.uri) is not doc or doc.version != version:
            return  # a newer version arrived while analysing: its own run will publish
        cached = self._syntax.get(doc.uri)
        if cached is not None and cached[0] is analysis:
            syntax = cached[1]
        else:  # converted once per analysis, reused when only the Ollama part changes
            syntax = await off_loop(doc, language_diagnostics, analysis)
            self._syntax[doc.uri] = (analysis, syntax)
        # Each step below is milliseconds of a big document: a turn of the event loop between them
        # lets requests through (ten documents publishing in a row must not hold the loop).
        await asyncio.sleep(0)
        if self._ls.documents.get(doc.uri) is not doc or doc.version != version:
            return
        self._ls.workspace_index.update_open(doc.uri, analysis)
        await asyncio.sleep(0)
        if self._ls.documents.get(doc.uri) is not doc or doc.version != version:
            return
        try:  # a big document's in slices, a turn of the event loop between them
            ollama = await ollama_diagnostics_sliced(analysis, self._ls.hub, self._ls.settings, self._on_unreachable)
        except Exception:
            logger.exception("Ollama diagnostics failed for %s", doc.uri)
            ollama = []
        if self._ls.documents.get(doc.uri) is not doc or doc.version != version:
            return
        params = self.params(doc, analysis, syntax, ollama)
        protocol = self._ls.protocol
        if len(params.diagnostics) > PREPARED_FROM and hasattr(protocol, "notify_prepared"):
            # Serialising 1,578 diagnostics held the loop 36-55 ms: done in a worker thread.
            text = await asyncio.to_thread(protocol.json_in_batches, params)
            if self._ls.documents.get(doc.uri) is not doc or doc.version != version:
                return
            self.published_count += 1
            protocol.notify_prepared(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, text)
        else:
            self.published_count += 1
            self._ls.text_document_publish_diagnostics(params)
        await asyncio.sleep(0)
        if self._ls.documents.get(doc.uri) is doc:
            await self._ls.status.document_analysed(doc.uri)

    def publish(self, doc: Document, analysis: Any, syntax: list[types.Diagnostic],
                ollama: list[types.Diagnostic] | None = None) -> None:
        """Publish `syntax`, the Ollama checks (`ollama`, else made now) and the workspace's."""
        self.published_count += 1
        self._ls.text_document_publish_diagnostics(self.params(doc, analysis, syntax, ollama))

    def params(self, doc: Document, analysis: Any, syntax: list[types.Diagnostic],
               ollama: list[types.Diagnostic] | None = None) -> types.PublishDiagnosticsParams:
        """`syntax`, the Ollama checks (`ollama`, else made now) and the workspace's, for `doc`."""
        diagnostics = list(syntax)
        try:
            if ollama is None:
                ollama = ollama_diagnostics(analysis, self._ls.hub, self._ls.settings, self._on_unreachable)
            diagnostics.extend(ollama)
        except Exception:
            logger.exception("Ollama diagnostics failed for %s", doc.uri)
        try:
            index = self._ls.workspace_index
            index.update_open(doc.uri, analysis)
            diagnostics.extend(convert.diagnostic(d) for d in reference_diagnostics(index.index, doc.uri))
        except Exception:
            logger.exception("workspace diagnostics failed for %s", doc.uri)
        return types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=diagnostics, version=doc.version)

    def _on_unreachable(self, base_url: str, options: dict) -> None:
        if self.on_unreachable is not None:
            self.on_unreachable(base_url, options)

    def clear(self, uri: str) -> None:
        self._syntax.pop(uri, None)
        task = self._pending.pop(uri, None)
        if task is not None and not task.done():
            task.cancel()
        self._ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
