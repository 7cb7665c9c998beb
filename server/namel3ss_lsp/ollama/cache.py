"""Caches of model lists and model details per server (cachetools TTL caches), and single-flight:
concurrent callers asking for the same thing share one HTTP request.

Besides the TTL cache, the last good model list of every server is kept (with its time), so an
editor can answer completion instantly from `peek()` while a refresh runs in the background.

Cached values are read-only (`freeze`): a model list is a `FrozenList` of `FrozenDict`s, which are
a list and dicts for every reader (indexing, iteration, `isinstance(x, dict)`, `json.dumps`) but
refuse changes with a TypeError. So a cache hit hands every caller the very same object, in O(1),
and no caller can change what the next one reads. To change one, copy it: `dict(m)`, `list(models)`
and `copy.deepcopy(...)` give plain, mutable ones.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any, Awaitable, Callable, Hashable, TypeVar

from cachetools import TTLCache

from .errors import OllamaError

T = TypeVar("T")

_READ_ONLY = "a cached Ollama value is read-only (shared by every caller): copy it to change it, e.g. dict(x) or list(x)"


class FrozenDict(dict):
    """A dict that refuses changes (see the module docstring); copies of it are plain dicts."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(_READ_ONLY)

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo: dict) -> dict:
        return {k: copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self) -> tuple:  # pickles (and unpickles) as a plain dict
        return (dict, (dict(self),))


class FrozenList(list):
    """A list that refuses changes (see the module docstring); copies of it are plain lists."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(_READ_ONLY)

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse  # type: ignore[assignment]
    append = extend = insert = remove = pop = clear = sort = reverse = _refuse  # type: ignore[assignment]

    def __copy__(self) -> list:
        return list(self)

    def __deepcopy__(self, memo: dict) -> list:
        return [copy.deepcopy(v, memo) for v in self]

    def __reduce__(self) -> tuple:
        return (list, (list(self),))


_LEAVES = frozenset({str, int, float, bool, type(None), FrozenDict, FrozenList})


FREEZE_DEPTH = 32  # no real Ollama answer nests more than a few levels


def freeze(value: Any, _depth: int = 0) -> Any:
    """`value` with every dict and list in it made read-only (copied once); other values, and parts
    already frozen, as they are. A model list of 1,000 entries takes ~1 ms. A dict or list nested
    more than FREEZE_DEPTH levels deep is garbage from a broken server: it becomes None, where
    following it (here, in comparisons, in JSON for the editor) raised RecursionError."""
    if type(value) in _LEAVES:
        return value
    if _depth >= FREEZE_DEPTH and isinstance(value, (dict, list)):
        return None
    if isinstance(value, dict):
        out = FrozenDict(value)  # one C-level copy; the few nested containers are replaced below
        for key, item in value.items():
            if type(item) not in _LEAVES:
                frozen = freeze(item, _depth + 1)
                if frozen is not item:
                    dict.__setitem__(out, key, frozen)
        return out
    if isinstance(value, list):
        return FrozenList([item if type(item) in _LEAVES else freeze(item, _depth + 1) for item in value])
    return value


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

    async def cancel_all(self) -> None:
        """Cancel the calls in flight on the running loop and wait until they have ended. Closing
        the HTTP clients under a call instead made it fail with a lost connection, which asyncio
        then logged as an unhandled exception with its traceback when the process exited."""
        loop = asyncio.get_running_loop()
        tasks = [task for task in self._calls.values() if not task.done() and task.get_loop() is loop]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


COMPARED_AT_ONCE = 1000  # entries per C-level comparison in `_equal`


def _equal(old: list, new: list) -> bool:
    """`old == new`, a slice at a time: one comparison of 200,000 entries is one C call that holds
    the interpreter lock (in a worker thread) while the event loop waits for it."""
    if len(old) != len(new):
        return False
    return all(old[i : i + COMPARED_AT_ONCE] == new[i : i + COMPARED_AT_ONCE] for i in range(0, len(old), COMPARED_AT_ONCE))


def refreeze(models: list, old: list | None) -> list:
    """`freeze(models)`, reusing `old` (an earlier frozen model list) when equal, and its entries
    that are equal to the new ones of the same name."""
    if old is None or not isinstance(models, list):
        return freeze(models)
    if _equal(old, models):
        return old
    by_name = {entry.get("name"): entry for entry in old if isinstance(entry, dict)}
    out = []
    for entry in models:
        same = by_name.get(entry.get("name")) if isinstance(entry, dict) else None
        out.append(same if same is not None and same == entry else freeze(entry))
    return FrozenList(out)


class ModelCache:
    """Per-server model lists and per-model details with a TTL; `ttl <= 0` disables freshness.

    Everything it returns is read-only and shared (see `freeze`): stored once, never copied on a read.
    """

    def __init__(self, ttl: float = 60.0, *, maxsize: int = 256):
        self.ttl = float(ttl)
        self._fresh: TTLCache | None = TTLCache(maxsize=maxsize, ttl=self.ttl) if self.ttl > 0 else None
        self._info: TTLCache | None = TTLCache(maxsize=maxsize * 8, ttl=self.ttl) if self.ttl > 0 else None
        self._last: dict[str, tuple[list[dict[str, Any]], float]] = {}
        self._errors: dict[str, OllamaError] = {}

    def fresh_models(self, base_url: str) -> list[dict[str, Any]] | None:
        """The model list if younger than the TTL (read-only, shared), else None."""
        if self._fresh is None:
            return None
        return self._fresh.get(base_url)

    def store_models(self, base_url: str, models: list[dict[str, Any]], *, frozen: bool = False) -> list[dict[str, Any]]:
        """Keep a read-only copy of `models` (made once, here) and return it. A refresh that brings
        the same list back keeps the stored object (so caches built on it stay valid), and entries
        that did not change are reused: an equality test is cheaper than a copy. `frozen`: `models`
        is already `refreeze(models, self.peek(base_url))` (made in a worker thread for a big list)."""
        previous = self._last.get(base_url)
        if not frozen:
            models = refreeze(models, previous[0] if previous is not None else None)
        frozen_list = models
        if self._fresh is not None:
            self._fresh[base_url] = frozen_list
        self._last[base_url] = (frozen_list, time.monotonic())
        self._errors.pop(base_url, None)
        return frozen_list

    def store_error(self, base_url: str, error: OllamaError) -> None:
        self._errors[base_url] = error

    def peek(self, base_url: str) -> list[dict[str, Any]] | None:
        """The last model list stored (however old; read-only, shared), or None."""
        entry = self._last.get(base_url)
        return entry[0] if entry is not None else None

    def age(self, base_url: str) -> float | None:
        entry = self._last.get(base_url)
        return time.monotonic() - entry[1] if entry is not None else None

    def last_error(self, base_url: str) -> OllamaError | None:
        return self._errors.get(base_url)

    def info(self, key: Hashable) -> dict[str, Any] | None:
        """Model facts if younger than the TTL (read-only, shared), else None."""
        if self._info is None:
            return None
        return self._info.get(key)

    def store_info(self, key: Hashable, value: dict[str, Any]) -> dict[str, Any]:
        """Keep a read-only copy of `value` (made once, here) and return it."""
        frozen = freeze(value)
        if self._info is not None:
            self._info[key] = frozen
        return frozen

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

    def forget(self, base_url: str) -> None:
        """Forget everything about one server: fresh and last known model lists, model facts,
        the last error. The next lookup asks the server; other servers are untouched."""
        self.invalidate(base_url)
        self._last.pop(base_url, None)
        self._errors.pop(base_url, None)
