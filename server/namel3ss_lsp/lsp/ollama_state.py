"""The server's view of the Ollama servers in use: one `OllamaEditorTools`, base URL resolution,
the host allowlist, and background refreshes of model lists and `/api/show` facts.

Nothing here makes a request on behalf of a feature that must answer quickly: features peek at what
is known and call `ensure_models` / `info_peek`, which start a background refresh; when the result
changes what we know, listeners (diagnostics, code lenses) are told.

Each model list is indexed once (`model_index`: lookup by name, newest-first order, search): on the
event loop for lists up to INLINE_INDEX_LIMIT models, in a worker thread above, so a server with
200,000 models does not stop the loop while its names are read. The models loaded in memory
(`/api/ps`) are read with each health check (`refresh_running`), never on a feature's request.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from namel3ss_lsp import model_names
from namel3ss_lsp.ollama import OllamaEditorTools, OllamaError, host_allowed, resolve_base_url
from namel3ss_lsp.ollama.close_names import prepare_close_names
from namel3ss_lsp.ollama.diagnostics import ClassifyMemo, url_options_key
from namel3ss_lsp.ollama.urls import BASE_URL_ENV, OLLAMA_HOST_ENV

from .guard import TaskGroup
from .model_index import ModelIndex, build_index, name_key
from .settings import Settings

logger = logging.getLogger(__name__)

Listener = Callable[[str, str], None]  # (base_url, what changed: "models" | "info")
INLINE_INDEX_LIMIT = 5000  # longer model lists are indexed in a worker thread
BASE_URL_MEMO = 1024  # resolved base URLs remembered (distinct URL options seen; cleared when full)


def _key(base_url: str, model: str) -> tuple[str, str]:
    try:
        return base_url, model_names.parse(model).key
    except Exception:
        return base_url, model.lower()


@dataclass(frozen=True)
class ModelState:
    """The one answer to "which server, is it allowed, is the model there?" for a model id as a
    declaration (or a command) names it. What is known now: no I/O."""

    model: str
    base_url: str
    allowed: bool  # the host is in ollama.allowedHosts (else it is never contacted)
    listed: bool  # the server's model list is known (possibly stale)
    error: OllamaError | None  # the last failure to list the server's models
    installed: str | None  # the installed name the model id matches, if any

    @property
    def missing(self) -> bool:
        """Known not to be installed: the list is known, the server answers, the model is not in it."""
        return self.allowed and self.listed and self.error is None and self.installed is None


def _index_big_list(models: list, previous: ModelIndex | None) -> ModelIndex:
    """`build_index` for a big list (worker thread), with what the first publish would otherwise
    build on the event loop: the name list and the 'did you mean' lookup (200,000 models: ~0.7 s)."""
    built = build_index(models, previous)
    prepare_close_names(built.names)
    return built


class OllamaHub:
    def __init__(self, tasks: TaskGroup, settings: Settings) -> None:
        self._tasks = tasks
        self.settings = settings
        self.tools: OllamaEditorTools
        self.tools = self._make_tools(settings)
        self._listeners: list[Listener] = []
        self._refreshing: dict[str, asyncio.Task] = {}
        self._attempted: dict[str, float] = {}
        self._signatures: dict[str, Any] = {}
        self._info: dict[tuple[str, str], dict] = {}
        self.info_version = 0  # bumped when /api/show facts arrive: cached completion items go stale
        self._info_failed: dict[tuple[str, str], float] = {}
        self._info_tasks: dict[tuple[str, str], asyncio.Task] = {}
        self._indexes: dict[str, ModelIndex] = {}  # base URL -> index of its latest model list
        self._index_tasks: dict[str, tuple[list, asyncio.Task]] = {}
        self._running: dict[str, list[dict] | None] = {}  # base URL -> /api/ps at the last health check
        # what the Ollama checks read of each declaration, by its text: a keystroke re-reads only
        # the declaration it changed (ollama/declarations.py ClassifyMemo; nothing there depends on us)
        self.classify_memo = ClassifyMemo()
        self._base_urls: dict[tuple, str] = {}  # see base_url_for

    def _make_tools(self, settings: Settings) -> OllamaEditorTools:
        tools = OllamaEditorTools(
            request_timeout=settings.request_timeout,
            model_cache_ttl=settings.model_cache_ttl,
            health_check_interval=settings.health_check_interval,
        )
        self._guard_tools(tools)
        return tools

    def _guard_tools(self, tools: OllamaEditorTools) -> None:
        """Second line of defence: the client itself refuses hosts outside the allowlist."""
        try:
            tools.set_allowed_hosts(self.settings.allowed_hosts, self.always_allowed_hosts())
        except Exception:
            logger.exception("set_allowed_hosts failed")

    def reconfigure(self, settings: Settings) -> None:
        old = self.settings
        self.settings = settings
        self._guard_tools(self.tools)
        if (old.request_timeout, old.model_cache_ttl, old.health_check_interval) != (
            settings.request_timeout,
            settings.model_cache_ttl,
            settings.health_check_interval,
        ):
            previous, self.tools = self.tools, self._make_tools(settings)
            self._signatures.clear()
            self._tasks.spawn(previous.aclose(), "close-old-ollama-tools")

    async def aclose(self) -> None:
        indexing = [task for _, task in self._index_tasks.values()]
        for task in list(self._refreshing.values()) + list(self._info_tasks.values()) + indexing:
            task.cancel()
        await self.tools.aclose()

    # --- listeners -------------------------------------------------------------------------------
    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self, base_url: str, what: str = "models") -> None:
        for listener in list(self._listeners):
            try:
                listener(base_url, what)
            except Exception:
                logger.exception("model list listener failed for %s", base_url)

    # --- base URLs and the allowlist -------------------------------------------------------------
    def default_base_url(self) -> str:
        return resolve_base_url({}, setting=self.settings.base_url)

    def base_url_for(self, options: Mapping[str, Any] | None) -> str:
        """The server of a declaration's options (resolve_base_url with our setting). Remembered by
        the options it reads and what else decides it: every publish, hover and status check asks it
        for every declaration, and normalising a URL is ~50 us."""
        key = url_options_key(options) if isinstance(options, Mapping) else None
        if key is None:
            return resolve_base_url(dict(options or {}), setting=self.settings.base_url)
        key = (key, self.settings.base_url, os.environ.get(BASE_URL_ENV), os.environ.get(OLLAMA_HOST_ENV))
        found = self._base_urls.get(key)
        if found is None:
            if len(self._base_urls) >= BASE_URL_MEMO:
                self._base_urls.clear()
            found = self._base_urls[key] = resolve_base_url(dict(options), setting=self.settings.base_url)
        return found

    def always_allowed_hosts(self) -> tuple[str, ...]:
        hosts = []
        for url in (self.settings.base_url, self.default_base_url()):
            if url:
                try:
                    host = urlsplit(url if "://" in url else f"http://{url}").hostname
                except ValueError:
                    host = None
                if host:
                    hosts.append(host)
        return tuple(hosts)

    def allowed(self, base_url: str) -> bool:
        try:
            return bool(
                host_allowed(
                    base_url, self.settings.allowed_hosts, always_allowed=self.always_allowed_hosts()
                )
            )
        except Exception:
            logger.exception("host_allowed failed for %r; refusing", base_url)
            return False

    # --- model lists -----------------------------------------------------------------------------
    def models(self, base_url: str) -> list[dict] | None:
        """The last known model list (may be stale), or None when never fetched. No I/O."""
        try:
            return self.tools.cached_models(base_url)
        except Exception:
            logger.exception("cached_models failed for %s", base_url)
            return None

    def error(self, base_url: str) -> OllamaError | None:
        try:
            return self.tools.last_error(base_url)
        except Exception:
            return None

    def known(self, base_url: str) -> bool:
        return self.models(base_url) is not None or self.error(base_url) is not None

    def is_stale(self, base_url: str) -> bool:
        try:
            age = self.tools.cache_age(base_url)
        except Exception:
            age = None
        return age is None or age >= self.settings.model_cache_ttl

    def ensure_models(self, base_url: str) -> asyncio.Task | None:
        """Start a background refresh when the list is unknown or stale; returns the running task."""
        if not self.allowed(base_url):
            return None
        running = self._refreshing.get(base_url)
        if running is not None and not running.done():
            return running
        if self.known(base_url) and not self.is_stale(base_url):
            return None
        if self.error(base_url) is not None:
            # a failing server is retried at most every health-check interval (capped at 5 s) here;
            # the health checks themselves notice when it comes back
            last = self._attempted.get(base_url)
            now = asyncio.get_running_loop().time()
            if last is not None and now - last < min(5.0, self.settings.health_check_interval):
                return None
        return self.refresh(base_url)

    def refresh(self, base_url: str, *, force: bool = False) -> asyncio.Task | None:
        if not self.allowed(base_url):
            return None
        running = self._refreshing.get(base_url)
        if running is not None and not running.done() and not force:
            return running
        task = self._tasks.spawn(self._refresh(base_url, force), f"models:{base_url}")
        if task is not None:
            self._refreshing[base_url] = task
            self._attempted[base_url] = asyncio.get_running_loop().time()
        return task

    async def _refresh(self, base_url: str, force: bool) -> None:
        try:
            await self.tools.list_available_models(base_url, force=force)
        except OllamaError as exc:
            logger.info("model list of %s unavailable: %s", base_url, getattr(exc, "kind", exc))
        except Exception:
            logger.exception("model list of %s: unexpected failure", base_url)
        self.note(base_url)

    def note(self, base_url: str) -> None:
        """Tell listeners if what we know about `base_url` changed."""
        models = self.models(base_url)
        error = self.error(base_url)
        if error is not None:
            signature: Any = ("error", getattr(error, "kind", None), str(error))
        elif models is not None:
            index = self.model_index(base_url)
            if index is None or index.models is not models:
                return  # a big list being indexed in a thread: told when it is done
            signature = index.signature
        else:
            signature = None
        if self._signatures.get(base_url) != signature:
            self._signatures[base_url] = signature
            self._changed(base_url)

    async def reload(self, base_url: str) -> None:
        """Re-read the model list now (after a pull/remove) and tell listeners."""
        try:
            self.tools.invalidate(base_url)
        except Exception:
            logger.debug("invalidate failed", exc_info=True)
        try:
            await self.tools.list_available_models(base_url, force=True)
        except OllamaError as exc:
            logger.info("model list of %s unavailable after change: %s", base_url, exc)
        self._info = {k: v for k, v in self._info.items() if k[0] != base_url}
        self._info_failed = {k: v for k, v in self._info_failed.items() if k[0] != base_url}
        self._signatures.pop(base_url, None)
        self.note(base_url)

    # --- the index of each model list --------------------------------------------------------------
    def model_index(self, base_url: str) -> ModelIndex | None:
        """The index of the server's latest model list. No I/O. A list of up to INLINE_INDEX_LIMIT
        models is indexed now; a longer one in a worker thread (meanwhile the previous list's
        index is returned, or None the first time), and listeners are told when it is ready."""
        models = self.models(base_url)
        if models is None:
            return None
        index = self._indexes.get(base_url)
        if index is not None and index.models is models:
            return index
        if len(models) <= INLINE_INDEX_LIMIT:
            index = build_index(models, index)
            self._indexes[base_url] = index
            return index
        self._index_later(base_url, models, index)
        return index

    async def current_index(self, base_url: str) -> ModelIndex | None:
        """The index of the latest list, waiting for its worker thread if it is being built (for
        commands, which may wait; features use `model_index`)."""
        index = self.model_index(base_url)
        task = self.index_task(base_url)
        if task is not None:
            await asyncio.wait([task])
            index = self.model_index(base_url)
        return index

    def index_task(self, base_url: str) -> asyncio.Task | None:
        """The worker-thread indexing of the latest list, while it runs."""
        running = self._index_tasks.get(base_url)
        return running[1] if running is not None and not running[1].done() else None

    def _index_later(self, base_url: str, models: list, previous: ModelIndex | None) -> None:
        running = self._index_tasks.get(base_url)
        if running is not None and running[0] is models and not running[1].done():
            return

        async def index() -> None:
            built = await asyncio.to_thread(_index_big_list, models, previous)
            if self.models(base_url) is models:
                self._indexes[base_url] = built
                self.note(base_url)

        task = self._tasks.spawn(index(), f"index-models:{base_url}")
        if task is not None:
            self._index_tasks[base_url] = (models, task)

    def installed_name(self, base_url: str, model: str) -> str | None:
        entry = self.model_entry(base_url, model)
        return str(entry.get("name")) if entry is not None else None

    def model_state(self, model: str, options: Mapping[str, Any] | None = None, *, base_url: str | None = None) -> ModelState:
        """Where `model` lives for a declaration's `options` (or an explicit base URL) and what is
        known of it; starts a background refresh when the list is unknown or stale."""
        base = base_url or self.base_url_for(options)
        allowed = self.allowed(base)
        if not allowed:
            return ModelState(model, base, False, False, None, None)
        if not self.known(base) or self.is_stale(base):
            self.ensure_models(base)
        index = self.model_index(base)
        installed = self.installed_name(base, model)
        return ModelState(model, base, True, index is not None, self.error(base), installed)

    def model_entry(self, base_url: str, model: str) -> dict | None:
        """The installed entry (/api/tags) a model id names, or None. No I/O."""
        index = self.model_index(base_url)
        try:
            return index.entry(model) if index is not None else None
        except Exception:
            return None

    # --- loaded models (/api/ps), read with the health checks ---------------------------------------
    async def refresh_running(self, base_url: str) -> list[dict] | None:
        """Read `/api/ps` now (called by the health check, never per keystroke); None when the
        server cannot say (unreachable, too old for /api/ps, not allowed)."""
        running: list[dict] | None = None
        if self.allowed(base_url):
            try:
                running = [dict(m) for m in await self.tools.list_running_models(base_url)]
            except OllamaError as exc:
                logger.debug("running models of %s unavailable: %s", base_url, getattr(exc, "kind", exc))
            except Exception:
                logger.exception("running models of %s: unexpected failure", base_url)
        self._running[base_url] = running
        return running

    def forget_running(self, base_url: str) -> None:
        self._running.pop(base_url, None)

    def running(self, base_url: str) -> list[dict] | None:
        """The models loaded in memory at the last health check; None when not known."""
        return self._running.get(base_url)

    def running_entry(self, base_url: str, model: str) -> dict | None:
        """The /api/ps entry of a model id when it was loaded at the last health check."""
        key = name_key(model) if isinstance(model, str) and model else None
        for entry in self._running.get(base_url) or []:
            if key is not None and name_key(str(entry.get("name", ""))) == key:
                return entry
        return None

    # --- /api/show facts -------------------------------------------------------------------------
    def info_peek(self, base_url: str, model: str, *, fetch: bool = True) -> dict | None:
        key = _key(base_url, model)
        info = self._info.get(key)
        if info is None and fetch and self.allowed(base_url):
            self._fetch_info(base_url, model)
        return info

    def _fetch_info(self, base_url: str, model: str) -> asyncio.Task | None:
        key = _key(base_url, model)
        running = self._info_tasks.get(key)
        if running is not None and not running.done():
            return running
        loop = asyncio.get_running_loop()
        failed_at = self._info_failed.get(key)
        retry_after = min(self.settings.model_cache_ttl, max(1.0, self.settings.health_check_interval))
        if failed_at is not None and loop.time() - failed_at < retry_after:
            return None
        task = self._tasks.spawn(self._info_fetch(base_url, model, key), f"show:{base_url}:{model}")
        if task is not None:
            self._info_tasks[key] = task
        return task

    async def _info_fetch(self, base_url: str, model: str, key: tuple[str, str]) -> None:
        try:
            info = await self.tools.model_info(model, base_url)
        except Exception as exc:  # OllamaError, or a bug: either way retried later, not in a loop
            level = logging.INFO if isinstance(exc, OllamaError) else logging.ERROR
            logger.log(level, "model info of %s on %s unavailable: %s", model, base_url, exc)
            self._info_failed[key] = asyncio.get_running_loop().time()
            return
        if isinstance(info, dict):
            self._info[key] = info
            self.info_version += 1
            self._info_failed.pop(key, None)
            self._changed(base_url, "info")

    async def model_info(self, base_url: str, model: str, timeout: float) -> dict | None:
        """`/api/show` facts, waiting at most `timeout` seconds (for hover)."""
        info = self.info_peek(base_url, model, fetch=False)
        if info is not None:
            return info
        task = self._fetch_info(base_url, model)
        if task is not None:
            await asyncio.wait([task], timeout=timeout)
        return self._info.get(_key(base_url, model))
