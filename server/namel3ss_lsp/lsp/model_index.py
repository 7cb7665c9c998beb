"""What the editor features ask of one model list, computed once per list: lookup by name as Ollama
matches names (defaults, case-insensitive), the completion order (newest first), a signature to tell
whether the list changed, and a search for huge lists (200,000 models: prefix first, then substring,
bounded). Pure and thread-safe to build: the hub builds a big list's index in a worker thread, so
the event loop never parses 200,000 names.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from namel3ss_lsp import model_names

SEARCHABLE_FROM = 1000  # lists longer than this get the search structures (sorted names, one text)
_PREFIX = f"{model_names.DEFAULT_HOST}/{model_names.DEFAULT_NAMESPACE}/"
_LAST = "\U0010ffff"


def name_key(name: str) -> str:
    """`model_names.parse(name).key` without the parse for the common `model:tag` form."""
    if "/" not in name:
        colon = name.rfind(":")
        if 0 < colon < len(name) - 1:
            return (_PREFIX + name).lower()
    try:
        return model_names.parse(name).key
    except Exception:  # noqa: BLE001 - a name we cannot parse is only itself
        return name.lower()


def timestamp(text: Any) -> float:
    """Seconds since the epoch of an RFC 3339 time with up to 9 fraction digits (Ollama's
    modified_at); -inf when missing or unreadable, so such models sort last."""
    if not isinstance(text, str) or len(text) < 19:
        return float("-inf")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    dot = value.find(".", 19)
    if dot != -1:
        end = dot + 1
        while end < len(value) and value[end].isdigit():
            end += 1
        value = value[:dot] + value[dot:min(end, dot + 7)].ljust(7, "0") + value[end:]
    try:
        parsed = _dt.datetime.fromisoformat(value)
    except ValueError:
        return float("-inf")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return parsed.timestamp()


class NameList(list):
    """The installed names of a list, in the server's order, with `by_key` (name_key -> name): what
    the missing-model check needs, computed with the index instead of once per publish."""

    by_key: dict[str, str]


@dataclass(eq=False)
class ModelIndex:
    """One model list (`models`, read-only, the very list object it was built from), indexed."""

    models: list[dict]
    by_key: dict[str, dict]  # name_key -> entry
    ranked: list[dict]  # newest first (modified_at), the server's order for ties
    signature: tuple[int, int]  # (count, hash of the sorted names): equal lists, equal signatures
    lowered: list[str] = field(default_factory=list)  # names of `ranked`, lower case (searchable lists)
    _sorted: list[str] = field(default_factory=list)  # `lowered`, sorted
    _sorted_ranks: list[int] = field(default_factory=list)  # rank of each `_sorted` name
    _text: str = ""  # `lowered` joined by newlines, for substring search at C speed
    _starts: list[int] = field(default_factory=list)  # offset of each name in `_text`
    _searches: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    _names: NameList | None = None

    @property
    def names(self) -> NameList:
        """The installed names (server order) with `.by_key`; built once."""
        if self._names is None:
            names = NameList(str(m.get("name", "")) for m in self.models if m.get("name"))
            names.by_key = {key: str(entry.get("name", "")) for key, entry in self.by_key.items()}
            self._names = names
        return self._names

    def entry(self, model: str) -> dict | None:
        """The installed entry a model id names (Ollama's matching: defaults, case), or None."""
        if not isinstance(model, str) or not model:
            return None
        return self.by_key.get(name_key(model))

    def search(self, query: str, limit: int) -> list[int]:
        """Ranks (positions in `ranked`) of at most `limit` models matching `query`: the names
        starting with it, newest first, then those containing it, newest first. An empty query
        gives the newest `limit`."""
        query = query.lower()
        total = len(self.ranked)
        if not query:
            return list(range(min(total, limit)))
        key = (query, limit)
        found = self._searches.get(key)
        if found is not None:
            return found
        if not self._sorted:  # a short list: a plain scan
            lowered = self.lowered or [str(m.get("name", "")).lower() for m in self.ranked]
            prefix = [i for i, name in enumerate(lowered) if name.startswith(query)]
            inner = [i for i, name in enumerate(lowered) if query in name and not name.startswith(query)]
            found = (prefix + inner)[:limit]
        else:
            found = self._search(query, limit)
        if len(self._searches) >= 64:
            self._searches.pop(next(iter(self._searches)))
        self._searches[key] = found
        return found

    def _search(self, query: str, limit: int) -> list[int]:
        lo = bisect.bisect_left(self._sorted, query)
        hi = bisect.bisect_left(self._sorted, query + _LAST, lo)
        if hi - lo >= limit:
            if hi - lo <= 20 * limit:
                return sorted(self._sorted_ranks[lo:hi])[:limit]
            # dense: the newest `limit` are found long before the end of the list
            matches = (i for i, name in enumerate(self.lowered) if name.startswith(query))
            return list(itertools.islice(matches, limit))
        found = sorted(self._sorted_ranks[lo:hi])
        taken = set(found)
        text, starts, pos = self._text, self._starts, 0
        while len(found) < limit:
            pos = text.find(query, pos)
            if pos < 0:
                break
            rank = bisect.bisect_right(starts, pos) - 1
            if rank not in taken:
                found.append(rank)
            pos = starts[rank + 1] if rank + 1 < len(starts) else len(text)
        return found


def build_index(models: list[dict], previous: ModelIndex | None = None) -> ModelIndex:
    """Index `models` (CPU only; safe in a worker thread: `models` is only read). When `previous`
    was built from an equal list, its structures are reused for the new list object."""
    if previous is not None and len(previous.models) == len(models) and previous.models == models:
        return ModelIndex(models, previous.by_key, previous.ranked, previous.signature, previous.lowered,
                          previous._sorted, previous._sorted_ranks, previous._text, previous._starts,
                          _names=previous._names)
    by_key: dict[str, dict] = {}
    for entry in models:
        name = entry.get("name")
        if isinstance(name, str) and name:
            by_key.setdefault(name_key(name), entry)
    ranked = sorted((m for m in models if isinstance(m.get("name"), str) and m.get("name")),
                    key=lambda m: timestamp(m.get("modified_at")), reverse=True)
    names = sorted(str(m["name"]) for m in ranked)
    index = ModelIndex(models, by_key, ranked, (len(names), hash(tuple(names))))
    if len(ranked) > SEARCHABLE_FROM:
        lowered = [str(m["name"]).lower() for m in ranked]
        order = sorted(range(len(lowered)), key=lowered.__getitem__)
        index.lowered = lowered
        index._sorted = [lowered[i] for i in order]
        index._sorted_ranks = order
        index._text = "\n".join(lowered)
        starts, offset = [], 0
        for name in lowered:
            starts.append(offset)
            offset += len(name) + 1
        index._starts = starts
        index.names  # noqa: B018 - built here, in the worker thread
    return index
