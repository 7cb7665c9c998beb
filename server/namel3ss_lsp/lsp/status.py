"""Server health: background checks of each Ollama server in use and `namel3ss/ollamaStatus`.

The notification is sent after `initialized`, whenever a server's reachability, version or model
count changes, and after each status command. A reachable -> unreachable transition also shows one
`window/showMessage` (not one per check).

Per document: each notification lists in `uris` the open documents whose status it is (a
document's status is that of the server its first Ollama declaration uses, or the default
server's when it has none), and `default` says whether it is the default server's. When a
document moves to another server (an edit, a close), both servers' notifications are sent again,
so a status bar can show the status of the document in focus.

Loaded models: each health check of a reachable server also reads `/api/ps` (never per keystroke),
and the notification carries `loadedModels`, `[{name, size, sizeVram, contextLength, expiresAt}]`
(null when the server cannot say); a change of that list is a change worth a notification.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
import time

from lsprotocol import types

from ..ollama import diagnostics as classifier
from .analysis_queue import sweep_garbage
from .diagnostics import OLLAMA_SLICE as SLICE, decl_options, ollama_declarations, run_in_slices
from .guard import cancel_and_wait

from .context import ServerContext

logger = logging.getLogger(__name__)

STATUS_NOTIFICATION = "namel3ss/ollamaStatus"
RETRY_FIRST = 2.0  # seconds before the first re-check of an unreachable server (then doubling)


def loaded_models(running: list | None) -> list[dict] | None:
    """/api/ps entries as the notification's `loadedModels` (camelCase; bytes, tokens, RFC 3339)."""
    if running is None:
        return None
    return [
        {
            "name": m.get("name"),
            "size": m.get("size"),
            "sizeVram": m.get("size_vram"),
            "contextLength": m.get("context_length"),
            "expiresAt": m.get("expires_at"),
        }
        for m in running
        if isinstance(m, dict)
    ]


def to_notification(status: dict, base_url: str) -> dict:
    return {
        "baseUrl": status.get("base_url") or base_url,
        "reachable": bool(status.get("reachable")),
        "version": status.get("version"),
        "modelsCount": status.get("models_count"),
        "responseTimeMs": status.get("response_time_ms"),
        "error": status.get("error"),
        "suggestion": status.get("suggestion"),
        "checkedAt": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "loadedModels": loaded_models(status.get("loaded_models")),
    }


def _change_key(payload: dict) -> tuple:
    loaded = payload.get("loadedModels")
    loaded_key = None if loaded is None else tuple(tuple(sorted(m.items())) for m in loaded)
    return (payload["reachable"], payload["version"], payload["modelsCount"], loaded_key)


class StatusMonitor:
    def __init__(self, ls: ServerContext) -> None:
        self._ls = ls
        self._last: dict[str, tuple] = {}
        self._last_payload: dict[str, dict] = {}
        self._loop_task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._checking: dict[str, asyncio.Task] = {}
        self._bases: dict[str, tuple] = {}
        self._warned: dict[str, bool] = {}  # servers whose "no longer reachable" is showing
        self._document_base: dict[str, str] = {}  # open document uri -> the server its status is

    def bases_in_use(self) -> list[str]:
        hub = self._ls.hub
        bases = [hub.default_base_url()]
        docs = self._ls.documents.all()
        open_uris = {doc.uri for doc in docs}
        for uri in [u for u in self._bases if u not in open_uris]:
            del self._bases[uri]
        for doc in docs:
            for base in self._doc_bases(doc):
                if base not in bases and hub.allowed(base):
                    bases.append(base)
        return bases

    def _doc_bases(self, doc) -> list[str]:
        """The servers a document's declarations use (remembered per analysis and settings)."""
        return classifier.run_steps(self._doc_bases_steps(doc, None))

    def _doc_bases_steps(self, doc, slice_seconds: float | None):
        analysis = doc.analysis
        if analysis is None:
            return []
        settings = self._ls.settings
        cached = self._bases.get(doc.uri)
        if cached is not None and cached[0] is analysis and cached[1] is settings:
            return cached[2]
        found: list[str] = []
        hub = self._ls.hub
        memo = getattr(hub, "classify_memo", None)  # what the Ollama checks read, by declaration text
        seen: set[int] = set()  # the memo keeps one copy of equal URL options: each is resolved once
        since = time.perf_counter()
        for position, decl in enumerate(ollama_declarations(analysis)):
            # 27,000 declarations of a 10 MB document: a turn of the loop every `slice_seconds`
            if slice_seconds is not None and position % 256 == 255 and time.perf_counter() - since > slice_seconds:
                yield
                since = time.perf_counter()
            try:
                # the URL options the checks already read (decl_options of 4,178 declarations of a
                # 10 MB document took 25-44 ms of the loop after every edit)
                options = memo.facts(decl)[0].url_options if memo is not None else decl_options(decl)
                if id(options) in seen:
                    continue
                if memo is not None:
                    seen.add(id(options))
                base = hub.base_url_for(options)
            except Exception:
                continue
            if base not in found:
                found.append(base)
        self._bases[doc.uri] = (analysis, settings, found)
        return found

    def document_base(self, uri: str) -> str:
        doc = self._ls.documents.get(uri)
        bases = self._doc_bases(doc) if doc is not None else []
        return bases[0] if bases else self._ls.hub.default_base_url()

    def documents_for(self, base_url: str) -> list[str]:
        return sorted(uri for uri, base in self._document_base.items() if base == base_url)

    async def document_analysed(self, uri: str) -> None:
        """`document_changed`, reading the document's declarations a slice at a time first."""
        doc = self._ls.documents.get(uri)
        if doc is not None:
            still_open = lambda: self._ls.documents.get(uri) is doc  # noqa: E731
            await run_in_slices(self._doc_bases_steps(doc, SLICE), still_open)
            if not still_open():
                return
        self.document_changed(uri)

    def document_changed(self, uri: str) -> None:
        """After a new analysis of `uri`: when its server changed, tell the clients of both."""
        base = self.document_base(uri)
        old = self._document_base.get(uri)
        if old == base:
            return
        self._document_base[uri] = base
        self._renotify({old, base} - {None})

    def document_closed(self, uri: str) -> None:
        self._bases.pop(uri, None)  # its remembered servers (and the analysis they came from)
        old = self._document_base.pop(uri, None)
        if old is not None:
            self._renotify({old})

    def _renotify(self, bases: set) -> None:
        for base in bases:
            payload = self._last_payload.get(base)
            if payload is not None:
                self.notify(payload)
            elif self._loop_task is not None:
                self.poke()  # never checked yet: the check will notify

    def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = self._ls.tasks.spawn(self._run(), "health-checks")

    async def stop(self) -> None:
        """Cancel the checks under way and wait for them: they are shielded from the cancelled
        health-check loop, and the HTTP clients must not close under them (at shutdown)."""
        await cancel_and_wait(self._checking.values())

    def poke(self) -> None:
        """Check now (settings changed, a new server came into use)."""
        self._wake.set()

    async def _run(self) -> None:
        await self.check_all(force_notify=True)
        retry = RETRY_FIRST
        while True:
            interval = max(0.05, float(self._ls.settings.health_check_interval))
            if any(payload.get("reachable") is False for payload in self._last_payload.values()):
                # A server is down: look again soon (2, 4, 8 ... s) so recovery shows at once.
                interval, retry = min(interval, retry), min(retry * 2, interval)
            else:
                retry = RETRY_FIRST
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            await self.check_all()

    async def check_all(self, *, force_notify: bool = False) -> None:
        bases = self.bases_in_use()
        await asyncio.gather(*(self.check(b, force_notify=force_notify) for b in bases), return_exceptions=True)

    async def check(self, base_url: str, *, force_notify: bool = False, fresh: bool = False) -> dict:
        """Check one server (joined with a check of the same server already running, unless
        `fresh`: after a pull or remove, a check begun before it would report the old count)."""
        running = self._checking.get(base_url)
        if fresh or running is None or running.done():
            running = asyncio.ensure_future(self._check(base_url))
            self._checking[base_url] = running
        status = await asyncio.shield(running)
        payload = to_notification(status, base_url)
        key = _change_key(payload)
        previous = self._last.get(base_url)
        self._last[base_url] = key
        self._last_payload[base_url] = payload
        if force_notify or previous != key:
            self.notify(payload)
        if previous is not None and previous != key:
            if not previous[0] and key[0] and self._warned.pop(base_url, False):
                # the warning below stays in the client's notification list: say it is over
                self._ls.window_show_message(
                    types.ShowMessageParams(type=types.MessageType.Info, message=f"Ollama at {base_url} is reachable again.")
                )
            if previous[0] and not key[0]:
                self._warned[base_url] = True
                self._ls.window_show_message(
                    types.ShowMessageParams(
                        type=types.MessageType.Warning,
                        message=f"Ollama at {base_url} is no longer reachable: {payload['error'] or 'no answer'}"
                        + (f" {payload['suggestion']}" if payload.get("suggestion") else ""),
                    )
                )
        # check_status re-read the model list (or recorded the failure): let diagnostics follow.
        self._ls.hub.note(base_url)
        sweep_garbage()  # the old generation too, here only: every health-check interval (30 s by default)
        return status

    async def _check(self, base_url: str) -> dict:
        if not self._ls.hub.allowed(base_url):
            return {
                "reachable": False,
                "base_url": base_url,
                "error": "host not in ollama.allowedHosts",
                "suggestion": "Add the host to the ollama.allowedHosts setting if you trust it.",
            }
        try:
            status = await self._ls.hub.tools.check_status(base_url)
        except Exception as exc:  # check_status should not raise; never let it kill the loop
            logger.exception("check_status(%s) failed", base_url)
            status = {"reachable": False, "base_url": base_url, "error": str(exc)}
        if not isinstance(status, dict):
            status = {"reachable": False, "base_url": base_url}
        running = await self._ls.hub.refresh_running(base_url) if status.get("reachable") else None
        if not status.get("reachable"):
            self._ls.hub.forget_running(base_url)
        return {**status, "loaded_models": running}

    def notify(self, payload: dict) -> None:
        base = payload.get("baseUrl")
        payload = {**payload, "uris": self.documents_for(base), "default": base == self._ls.hub.default_base_url()}
        self._ls.protocol.notify(STATUS_NOTIFICATION, payload)

    def last(self, base_url: str) -> dict | None:
        return self._last_payload.get(base_url)
