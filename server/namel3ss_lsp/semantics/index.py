"""The workspace index: every file's summary, and the name tables across them.

Name rules (README, "Names across files"):
- A file that declares an `app` is a program of its own; files without one are shared modules.
- A reference resolves to the declarations of its kinds and name in its own file; when its file
  has none, to those in shared modules; when no module has one either, to those anywhere in the
  workspace. A name no file declares is unknown.
- Two top-level declarations of the same kind and name conflict when they are in one file (the
  language core reports that) or in two shared modules (reported here, across files). Two apps
  may each declare their own `llm "gpt4"`, and each app's references go to its own.

The index is updated one file at a time (`set_file`, `remove_file`); each update says which names
changed, so the server can refresh the diagnostics of the files that refer to them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from namel3ss_lsp.semantics.references import MODEL_KINDS, kind_group
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


MAX_EXTENDS = 8  # `extends` levels followed to find the model a declaration ends in


class WorkspaceIndex:
    def __init__(self) -> None:
        self._files: dict[str, FileSummary] = {}
        self._defs: dict[str, list[Declared]] = defaultdict(list)
        self._refs: dict[str, list[Referenced]] = defaultdict(list)
        self._local: dict[str, dict[str, list[Declared]]] = {}  # uri -> name -> its declarations
        self.generation = 0  # bumped whenever any file's declarations change
        self._names: dict[frozenset[str] | None, tuple[int, list[str]]] = {}  # kinds -> (generation, names)

    # ---- updates -------------------------------------------------------------------------------

    def set_file(self, summary: FileSummary) -> set[str]:
        """Put (or replace) one file's summary. Returns the names whose declarations changed."""
        old = self._files.get(summary.uri)
        if old is summary:
            return set()
        self._drop(old)
        self._files[summary.uri] = summary
        local: dict[str, list[Declared]] = {}
        for d in summary.declarations:
            self._defs[d.name].append(d)
            local.setdefault(d.name, []).append(d)
        self._local[summary.uri] = local
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
        self._local.pop(old.uri, None)
        # Once per name: 3,000 same-named declarations here and 3,000 in another file were each
        # filtered out of the 3,000 others again (0.33 s of the event loop per keystroke).
        for name in {d.name for d in old.declarations}:
            self._remove(self._defs, name, old.uri)
        for name in {r.name for r in old.references}:
            self._remove(self._refs, name, old.uri)

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
        found.sort(key=lambda d: (d.uri != prefer, d.uri, d.selection_range.start))
        return found

    def resolve(self, ref: Referenced) -> list[Declared]:
        """What `ref` names, by the rules of the module docstring."""
        kinds = ref.kinds
        local = [d for d in self._local.get(ref.uri, {}).get(ref.name, ()) if kinds is None or d.kind in kinds]
        if local:
            return local
        return self._shared_or_all(ref.name, kinds, ref.uri)

    def _shared_or_all(self, name: str, kinds: frozenset[str] | None, prefer: str | None = None) -> list[Declared]:
        found = self.declarations_named(name, kinds, prefer=prefer)
        shared = [d for d in found if not self._is_app(d.uri)]
        return shared or found

    def _is_app(self, uri: str) -> bool:
        summary = self._files.get(uri)
        return summary is not None and summary.is_app

    def references_to(self, decls: Declared | Iterable[Declared]) -> list[Referenced]:
        """Every reference (in any file) that resolves to one of `decls`."""
        targets = [decls] if isinstance(decls, Declared) else list(decls)
        wanted = {id(d) for d in targets}
        # Resolution depends only on (file has its own declaration?, name, kinds): memoised.
        fallback: dict[tuple, set[int]] = {}
        found: list[Referenced] = []
        for name in {d.name for d in targets}:
            for ref in self._refs.get(name, ()):
                kinds = ref.kinds
                local = [d for d in self._local.get(ref.uri, {}).get(name, ()) if kinds is None or d.kind in kinds]
                if local:
                    hit = any(id(d) in wanted for d in local)
                else:
                    key = (name, kinds)
                    if key not in fallback:
                        fallback[key] = {id(d) for d in self._shared_or_all(name, kinds)}
                    hit = not wanted.isdisjoint(fallback[key])
                if hit:
                    found.append(ref)
        found.sort(key=lambda r: (r.uri, r.range.start))
        return found

    def model_target(self, decl: Declared) -> Declared | None:
        """The Ollama model declaration a model declaration ends in (itself, or what it
        `extends`, followed up to 8 levels, depth first: the first parent's line before the
        second's), or None.

        What a name's declarations end in, with so many levels left, is the same whichever
        declaration extends that name: found once (per name, file preferred and levels left) and
        reused. Following each path instead cost k^8 lookups for k same-named declarations that
        extend their own name (7 of them froze the server for 38 s), and even with each
        declaration followed once a level, 3,000 of them took 40 s: 8 x 3,000 x 3,000 steps."""
        known: dict[tuple[str, str, int], Declared | None] = {}

        def ends_in(current: Declared, levels: int) -> Declared | None:
            if current.provider == "ollama" and current.model:
                return current
            if not current.extends or levels == 0:
                return None
            key = (current.extends, current.uri, levels - 1)
            if key not in known:  # levels strictly decrease: a cycle never comes back to its own key
                found = None
                for parent in self.declarations_named(current.extends, MODEL_KINDS, prefer=current.uri):
                    found = ends_in(parent, levels - 1)
                    if found is not None:
                        break
                known[key] = found
            return known[key]

        return ends_in(decl, MAX_EXTENDS)

    def referring_files(self, names: Iterable[str]) -> set[str]:
        """Files with a reference to any of `names` (whose diagnostics may change with them)."""
        out: set[str] = set()
        for name in names:
            out.update(r.uri for r in self._refs.get(name, ()))
        return out

    def declaring_files(self, names: Iterable[str]) -> set[str]:
        """Files that declare any of `names` (whose conflicts may change with them)."""
        out: set[str] = set()
        for name in names:
            out.update(d.uri for d in self._defs.get(name, ()))
        return out

    def names_of(self, kinds: frozenset[str] | None, names: Iterable[str] | None = None) -> list[Declared]:
        """One declaration per (kind, name) of the given kinds, for completion; only those called
        one of `names` when given."""
        seen: dict[tuple[str, str], Declared] = {}
        groups = self._defs.values() if names is None else [self._defs.get(name, ()) for name in names]
        for items in groups:
            for d in items:
                if kinds is None or d.kind in kinds:
                    seen.setdefault((d.kind, d.name), d)
        return sorted(seen.values(), key=lambda d: (d.name, d.kind))

    def names(self, kinds: frozenset[str] | None) -> list[str]:
        """The names declared with one of `kinds` (any kind for None), sorted, each once. Kept until
        declarations change: which names a kind has follows from each file's signature (a workspace
        of 90,000 declarations took 42 ms to list them, once per file diagnosed)."""
        kept = self._names.get(kinds)
        if kept is not None and kept[0] == self.generation:
            return kept[1]
        found = sorted(name for name, items in self._defs.items() if any(kinds is None or d.kind in kinds for d in items))
        self._names[kinds] = (self.generation, found)
        return found

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
        out.sort(key=lambda d: (d.uri, d.selection_range.start))
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
                scored.append(((rank, len(name), name, d.uri, d.selection_range.start), d))
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
