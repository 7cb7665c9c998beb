"""The workspace index: every file's summary, and the name tables across them.

Name rules (README, "Names across files"):
- A reference resolves to declarations of its kinds with its name in any file of the workspace,
  the referring file's own first. A name no file declares is unknown.
- A file that declares an `app` is a program of its own; files without one are shared modules.
  Two top-level declarations of the same kind and name conflict when they are in one file (the
  language core reports that) or in two shared modules (reported here, across files). Two apps
  may each declare their own `llm "gpt4"`.

The index is updated one file at a time (`set_file`, `remove_file`); each update says which names
changed, so the server can refresh the diagnostics of the files that refer to them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from namel3ss_lsp.semantics.references import kind_group
from namel3ss_lsp.semantics.summary import Declared, FileSummary, Referenced


def _signature(summary: FileSummary | None) -> dict[tuple[str, str], int]:
    """What other files can see of a file: (group, name) -> count of top-level declarations, plus
    its app-ness (which changes what conflicts)."""
    out: dict[tuple[str, str], int] = {}
    if summary is None:
        return out
    for d in summary.declarations:
        key = (kind_group(d.kind), d.name)
        out[key] = out.get(key, 0) + 1
    out[("", "app" if summary.is_app else "module")] = 1
    return out


class WorkspaceIndex:
    def __init__(self) -> None:
        self._files: dict[str, FileSummary] = {}
        self._defs: dict[str, list[Declared]] = defaultdict(list)
        self._refs: dict[str, list[Referenced]] = defaultdict(list)
        self.generation = 0  # bumped whenever any file's declarations change

    # ---- updates -------------------------------------------------------------------------------

    def set_file(self, summary: FileSummary) -> set[str]:
        """Put (or replace) one file's summary. Returns the names whose declarations changed."""
        old = self._files.get(summary.uri)
        if old is summary:
            return set()
        self._drop(old)
        self._files[summary.uri] = summary
        for d in summary.declarations:
            self._defs[d.name].append(d)
        for r in summary.references:
            self._refs[r.name].append(r)
        return self._changed(old, summary)

    def remove_file(self, uri: str) -> set[str]:
        old = self._files.pop(uri, None)
        self._drop(old)
        return self._changed(old, None)

    def _drop(self, old: FileSummary | None) -> None:
        if old is None:
            return
        for d in old.declarations:
            self._remove(self._defs, d.name, d.uri)
        for r in old.references:
            self._remove(self._refs, r.name, r.uri)

    @staticmethod
    def _remove(table: dict, name: str, uri: str) -> None:
        items = table.get(name)
        if not items:
            return
        kept = [x for x in items if x.uri != uri]
        if kept:
            table[name] = kept
        else:
            del table[name]

    def _changed(self, old: FileSummary | None, new: FileSummary | None) -> set[str]:
        before, after = _signature(old), _signature(new)
        if before == after:
            return set()
        self.generation += 1
        names = {name for (group, name) in before.keys() ^ after.keys() if group}
        names |= {name for key, count in before.items() if key[0] and after.get(key) not in (None, count) for name in (key[1],)}
        if before.get(("", "app")) != after.get(("", "app")):  # app-ness changes what conflicts
            names |= {name for (group, name) in after if group} | {name for (group, name) in before if group}
        return names

    # ---- queries -------------------------------------------------------------------------------

    def file(self, uri: str) -> FileSummary | None:
        return self._files.get(uri)

    def files(self) -> list[FileSummary]:
        return list(self._files.values())

    def __len__(self) -> int:
        return len(self._files)

    def declarations(self) -> Iterable[Declared]:
        for items in self._defs.values():
            yield from items

    def declarations_named(self, name: str, kinds: frozenset[str] | None = None, *, prefer: str | None = None) -> list[Declared]:
        """Declarations called `name` of one of `kinds` (any kind for None); `prefer`'s first."""
        found = [d for d in self._defs.get(name, ()) if kinds is None or d.kind in kinds]
        found.sort(key=lambda d: (d.uri != prefer, d.uri, d.range.start))
        return found

    def resolve(self, ref: Referenced) -> list[Declared]:
        return self.declarations_named(ref.name, ref.kinds, prefer=ref.uri)

    def references_to(self, decl: Declared) -> list[Referenced]:
        """Every reference that resolves to `decl`'s name and kind (in any file)."""
        found = [r for r in self._refs.get(decl.name, ()) if r.kinds is None or decl.kind in r.kinds]
        found.sort(key=lambda r: (r.uri, r.range.start))
        return found

    def referring_files(self, names: Iterable[str]) -> set[str]:
        """Files with a reference to any of `names` (whose diagnostics may change with them)."""
        out: set[str] = set()
        for name in names:
            out.update(r.uri for r in self._refs.get(name, ()))
        return out

    def names_of(self, kinds: frozenset[str] | None) -> list[Declared]:
        """One declaration per (kind, name) of the given kinds, for completion."""
        seen: dict[tuple[str, str], Declared] = {}
        for items in self._defs.values():
            for d in items:
                if kinds is None or d.kind in kinds:
                    seen.setdefault((d.kind, d.name), d)
        return sorted(seen.values(), key=lambda d: (d.name, d.kind))

    def conflicts(self, decl: Declared) -> list[Declared]:
        """Top-level declarations in other files that `decl` conflicts with (see the module doc)."""
        if not decl.top_level:
            return []
        mine = self._files.get(decl.uri)
        if mine is None or mine.is_app:
            return []
        group = kind_group(decl.kind)
        out = []
        for other in self._defs.get(decl.name, ()):
            if other.uri == decl.uri or not other.top_level or kind_group(other.kind) != group:
                continue
            theirs = self._files.get(other.uri)
            if theirs is not None and not theirs.is_app:
                out.append(other)
        out.sort(key=lambda d: (d.uri, d.range.start))
        return out

    def search(self, query: str, limit: int = 256) -> list[Declared]:
        """Fuzzy search over every declaration's name: the query's characters in order, any case.
        Exact and prefix matches first, then substrings, then the rest; shorter names first."""
        q = query.lower()
        scored: list[tuple[tuple, Declared]] = []
        for name, items in self._defs.items():
            rank = _fuzzy_rank(q, name.lower())
            if rank is None:
                continue
            for d in items:
                scored.append(((rank, len(name), name, d.uri, d.range.start), d))
        scored.sort(key=lambda pair: pair[0])
        return [d for _, d in scored[:limit]]


def _fuzzy_rank(query: str, name: str) -> int | None:
    if not query:
        return 3
    if name == query:
        return 0
    if name.startswith(query):
        return 1
    if query in name:
        return 2
    pos = 0
    for ch in query:
        pos = name.find(ch, pos)
        if pos < 0:
            return None
        pos += 1
    return 3
