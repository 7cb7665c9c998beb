"""Caches of model lists and model details per server (cachetools TTL caches), and single-flight:
concurrent callers asking for the same thing share one HTTP request.

Besides the TTL cache, the last good model list of every server is kept (with its time), so an
editor can answer completion instantly from `peek()` while a refresh runs in the background.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any, Awaitable, Callable, Hashable, TypeVar

from cachetools import TTLCache

from .errors import OllamaError

T = TypeVar("T")


class SingleFlight:
    """`await flight.do(key, factory)`: while a call for `key` runs, later callers await the same
    task instead of starting another. A caller that is cancelled does not cancel the shared call."""

    def __init__(self) -> None:
        self._calls: dict[Hashable, asyncio.Task] = {}

    def running(self, key: Hashable) -> bool:
        task = self._calls.get(key)
        return task is not None and not task.done()

    async def do(self, key: Hashable, factory: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        task = self._calls.get(key)
        if task is None or task.done() or task.get_loop() is not loop:
            task = loop.create_task(factory())
            self._calls[key] = task

            def _finished(t: asyncio.Task, key: Hashable = key) -> None:
                if self._calls.get(key) is t:
                    del self._calls[key]
                if not t.cancelled():
                    t.exception()  # retrieved: no "exception was never retrieved" warnings

            task.add_done_callback(_finished)
        return await asyncio.shield(task)


class ModelCache:
    """Per-server model lists and per-model details with a TTL; `ttl <= 0` disables freshness."""

    def __init__(self, ttl: float = 60.0, *, maxsize: int = 256):
        self.ttl = float(ttl)
        self._fresh: TTLCache | None = TTLCache(maxsize=maxsize, ttl=self.ttl) if self.ttl > 0 else None
        self._info: TTLCache | None = TTLCache(maxsize=maxsize * 8, ttl=self.ttl) if self.ttl > 0 else None
        self._last: dict[str, tuple[list[dict[str, Any]], float]] = {}
        self._errors: dict[str, OllamaError] = {}

    def fresh_models(self, base_url: str) -> list[dict[str, Any]] | None:
        if self._fresh is None:
            return None
        models = self._fresh.get(base_url)
        return copy.deepcopy(models) if models is not None else None

    def store_models(self, base_url: str, models: list[dict[str, Any]]) -> None:
        if self._fresh is not None:
            self._fresh[base_url] = models
        self._last[base_url] = (copy.deepcopy(models), time.monotonic())
        self._errors.pop(base_url, None)

    def store_error(self, base_url: str, error: OllamaError) -> None:
        self._errors[base_url] = error

    def peek(self, base_url: str) -> list[dict[str, Any]] | None:
        entry = self._last.get(base_url)
        return entry[0] if entry is not None else None  # read-only: copied once when stored

    def age(self, base_url: str) -> float | None:
        entry = self._last.get(base_url)
        return time.monotonic() - entry[1] if entry is not None else None

    def last_error(self, base_url: str) -> OllamaError | None:
        return self._errors.get(base_url)

    def info(self, key: Hashable) -> dict[str, Any] | None:
        if self._info is None:
            return None
        value = self._info.get(key)
        return copy.deepcopy(value) if value is not None else None

    def store_info(self, key: Hashable, value: dict[str, Any]) -> None:
        if self._info is not None:
            self._info[key] = value

    def invalidate(self, base_url: str | None = None) -> None:
        """Forget freshness (of one server, or all); the last known list stays available to peek."""
        for cache in (self._fresh, self._info):
            if cache is None:
                continue
            if base_url is None:
                cache.clear()
            else:
                for key in [k for k in cache.keys() if k == base_url or isinstance(k, tuple) and k[0] == base_url]:
                    cache.pop(key, None)
