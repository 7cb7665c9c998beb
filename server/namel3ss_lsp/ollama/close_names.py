"""'Did you mean': the installed model names close to a missing one.

Used by the `ollama-model-missing` diagnostics (`closeMatches`, the `Replace with` quick fixes).
A big list (a server with 200,000 models) keeps its lookup structures and answers, built once
(the language server builds them in the thread that indexes the list: `prepare_close_names`).
"""

from __future__ import annotations

import difflib
import weakref
from dataclasses import dataclass, field
from typing import Any

CLOSE_NAMES_SCAN = 2000
CLOSE_INDEX_FROM = 1000  # lists this long keep their lookup structures (and answers) per list object
CLOSE_INDEXES_KEPT = 4  # the big lists whose structures are kept (one model list per server in use)


@dataclass
class CloseIndex:
    """What `close_names` looks up in one list of installed names. With 200,000 models, building
    it took 130-190 ms, per missing model and per publish: a big list keeps it (and its answers)."""

    lowered: dict[str, str]  # lower case -> the installed spelling (the last one wins)
    by_start: dict[str, list[str]]  # the first three characters -> lowered names, in order
    by_model: dict[str, list[str]]  # the part before ':' -> lowered names, in order
    answers: dict[tuple[str, int], list[str]] = field(default_factory=dict)


def close_index(installed: list[str]) -> CloseIndex:
    lowered = {name.lower(): name for name in installed}
    by_start: dict[str, list[str]] = {}
    by_model: dict[str, list[str]] = {}
    for name in lowered:
        by_start.setdefault(name[:3], []).append(name)
        by_model.setdefault(name.split(":", 1)[0], []).append(name)
    return CloseIndex(lowered, by_start, by_model)


_close_indexes: list[tuple[Any, CloseIndex]] = []  # (weak reference to a big list, its index), newest first


def _kept_close_index(installed: list[str]) -> CloseIndex | None:
    """The index of a big list, built once per list object (lists are never changed once made:
    the hub's are read-only); None for a short list, or one that cannot be referenced weakly."""
    if len(installed) < CLOSE_INDEX_FROM:
        return None
    for ref, index in _close_indexes:
        if ref() is installed:
            return index
    try:
        ref = weakref.ref(installed)
    except TypeError:  # a plain list (the check command's): built for this call only
        return None
    index = close_index(installed)
    _close_indexes.insert(0, (ref, index))
    del _close_indexes[CLOSE_INDEXES_KEPT:]
    return index


def prepare_close_names(installed: list[str]) -> None:
    """Build (and keep) the lookup of a big list ahead of time: the language server does it in the
    worker thread that indexes the list, so no publish builds it on the event loop."""
    _kept_close_index(installed)


def close_names(model: str, installed: list[str], limit: int = 3) -> list[str]:
    """Installed names close to `model` (for 'did you mean' and `Replace with` quickfixes)."""
    index = _kept_close_index(installed)
    if index is not None and (model, limit) in index.answers:
        return list(index.answers[(model, limit)])
    found = _close_names(model, index or close_index(installed), limit)
    if index is not None:
        if len(index.answers) >= 1024:
            index.answers.clear()
        index.answers[(model, limit)] = list(found)
    return found


def _close_names(model: str, index: CloseIndex, limit: int) -> list[str]:
    wanted = model.lower()
    candidates = list(index.lowered)
    if len(candidates) > CLOSE_NAMES_SCAN:  # 200,000 models: difflib over all would take seconds
        candidates = index.by_start.get(wanted[:3], [])[:CLOSE_NAMES_SCAN]
    matches = difflib.get_close_matches(wanted, candidates, n=limit, cutoff=0.6)
    for name in index.by_model.get(wanted.split(":", 1)[0], ()):  # same model, other tag: llama3:70b
        if len(matches) >= limit:  # when llama3:8b is installed
            break
        if name not in matches:
            matches.append(name)
    return [index.lowered[m] for m in matches[:limit]]
