"""The chunk cache: each top-level chunk's parse and local checks, reused while its text is unchanged.

A keystroke changes one chunk of the file; every other chunk has the same text as in the previous
analysis, maybe at another offset. Everything a chunk yields on its own (tree, syntax errors,
duplicate keys, model views and their checks) is kept here position-independent: nodes relative
to the chunk's first character with no document (see `clone.py`), diagnostics and ranges for the
line the chunk started on when it was parsed (a chunk starts at a line start, so moving it moves
every range by whole lines and leaves characters alone).

Model checks depend on two things outside the chunk: the provider a model inherits through
`extends` and whether another model extends it. They are kept with the values they were computed
for and recomputed when those differ.

The cache is an LRU bounded by the characters of chunk text it holds (the memory of the trees
grows with it), shared by all threads: lookups and insertions are batched under one lock, and an
entry never changes once inserted, so it is read outside the lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from namel3ss_lsp.language.checks import duplicate_key
from namel3ss_lsp.language.clone import Copier
from namel3ss_lsp.language.models import ModelDecl, copy_model
from namel3ss_lsp.language.tree import Doc
from namel3ss_lsp.language.types import Diagnostic, Position, Range

# Trees take about 50 bytes per character of chunk text (measured on model declarations), so
# this bounds the cache near 100 MB; it holds a 50,000-line file of model declarations twice over.
CHAR_LIMIT = 2_000_000


class Parsed:
    """One chunk's results, position-independent (see the module docstring)."""

    __slots__ = ("size", "line", "items", "maps", "decls", "syntax", "dup_keys", "models", "checks")

    def __init__(self, size, line, items, maps, decls, syntax, dup_keys, models) -> None:
        self.size = size  # characters of key text, for the cache's bound
        self.line = line  # the chunk's first line when parsed: the ranges below are for it
        self.items = items  # template nodes: offsets from the chunk's start, no document
        self.maps = maps  # every Map of the chunk, by start
        self.decls = decls  # every Declaration of the chunk, by start
        self.syntax: list[tuple[Diagnostic, bool]] = syntax  # (diagnostic, at end of chunk)
        self.dup_keys: list[tuple[Diagnostic, str, int]] = dup_keys  # (diagnostic, key, first line)
        self.models: list[tuple[ModelDecl, int]] = models  # (own-provider model, index in decls)
        # Per model: ((provider, extended by another model), diagnostics) computed for those.
        self.checks: list[tuple[tuple, list[Diagnostic]]] = []


class Piece:
    """One chunk's results in the current analysis (absolute offsets and lines)."""

    __slots__ = ("items", "maps", "decls", "syntax", "dup_keys", "models", "own_providers", "checks", "lines")

    def __init__(self, items, maps, decls, syntax, dup_keys, models, checks, lines=0) -> None:
        # An empty list is one more object for the garbage collector to walk, and most pieces
        # have no syntax errors, duplicate keys or models: ~40,000 of 540,000 objects at 4 MB.
        self.items = items or ()
        self.maps = maps or ()
        self.decls = decls or ()
        self.syntax = syntax or ()
        self.dup_keys = dup_keys or ()
        self.models = models or ()  # fresh ModelDecls, provider not inherited yet
        self.own_providers = [md.provider for md in models] if models else ()  # before inheriting (`extends`)
        # Per model ((provider, extended by another model), diagnostics): Parsed.checks, or those
        # of the previous analysis's piece, or (None until then) the ones made for this piece;
        # their diagnostics are still to be moved down by `lines` lines.
        self.checks = checks
        self.lines = lines


def moved(d: Diagnostic, lines: int) -> Diagnostic:
    """A diagnostic moved down by `lines` (shared when unmoved: only its `data` dict is mutable)."""
    if lines:
        s, e = d.range.start, d.range.end
        rng = Range(Position(s.line + lines, s.character), Position(e.line + lines, e.character))
    elif d.data is None:
        return d
    else:
        rng = d.range
    data = dict(d.data) if isinstance(d.data, dict) else d.data
    return Diagnostic(rng, d.message, d.code, d.severity, d.source, data)


def template(parsed_piece: Piece, start: int, line: int, size: int) -> Parsed:
    """The position-independent copy of a freshly parsed chunk (raises clone.TooDeep)."""
    cp = Copier(-start, None)
    items = cp.items(parsed_piece.items)
    decls = cp.same(parsed_piece.decls)
    index = {id(d): i for i, d in enumerate(parsed_piece.decls)}
    models = [(copy_model(md, decls[index[id(md.decl)]], 0), index[id(md.decl)]) for md in parsed_piece.models]
    return Parsed(size, line, items, cp.same(parsed_piece.maps), decls, parsed_piece.syntax, parsed_piece.dup_keys, models)


def reuse(parsed: Parsed, start: int, line: int, doc: Doc) -> Piece:
    """The cached chunk placed at offset `start`, line `line` of `doc` (raises RecursionError
    only if the caller's stack is already nearly exhausted)."""
    cp = Copier(start, doc)
    items = cp.items(parsed.items)
    decls = cp.same(parsed.decls)
    lines = line - parsed.line
    syntax = parsed.syntax if not lines else [(moved(d, lines), eof) for d, eof in parsed.syntax]
    dup_keys = parsed.dup_keys if not lines else [
        (duplicate_key(moved(d, lines).range, key, first + lines), key, first + lines) for d, key, first in parsed.dup_keys
    ]
    models = [copy_model(md, decls[i], lines) for md, i in parsed.models]
    return Piece(items, cp.same(parsed.maps), decls, syntax, dup_keys, models, parsed.checks, lines)


class ChunkCache:
    """LRU of `Parsed` by chunk text, bounded by total characters; thread-safe."""

    def __init__(self, limit: int = CHAR_LIMIT) -> None:
        self.limit = limit
        self._data: OrderedDict[object, Parsed] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    @property
    def size(self) -> int:
        return self._size

    def get_many(self, keys: list) -> list[Parsed | None]:
        with self._lock:
            data = self._data
            out = []
            for key in keys:
                found = data.get(key)
                if found is not None:
                    data.move_to_end(key)
                out.append(found)
            return out

    def put_many(self, pairs: list[tuple[object, Parsed]]) -> None:
        with self._lock:
            data = self._data
            for key, parsed in pairs:
                if key in data or parsed.size > self.limit:
                    continue
                data[key] = parsed
                self._size += parsed.size
            while self._size > self.limit:
                _, old = data.popitem(last=False)
                self._size -= old.size

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._size = 0


CACHE = ChunkCache()
