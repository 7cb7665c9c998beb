"""Go to definition, find references, document highlights and rename, across the workspace."""

from __future__ import annotations

from dataclasses import dataclass

from namel3ss_lsp.language.types import Position, Range
from namel3ss_lsp.semantics.index import WorkspaceIndex
from namel3ss_lsp.semantics.references import is_identifier, kind_group
from namel3ss_lsp.semantics.summary import Declared, Referenced


@dataclass(frozen=True)
class Location:
    uri: str
    range: Range


@dataclass(frozen=True)
class Highlight:
    range: Range
    is_declaration: bool


class RenameError(ValueError):
    """A rename that cannot be done; the message says why (and is shown to the user)."""


def symbol_at(index: WorkspaceIndex, uri: str, position: Position) -> Declared | Referenced | None:
    """The declaration name or reference under `position` in file `uri`."""
    summary = index.file(uri)
    if summary is None:
        return None
    for ref in summary.references:
        if ref.full_range.contains(position):
            return ref
    for decl in summary.declarations:
        if decl.selection_range.contains(position):
            return decl
    return None


def targets(index: WorkspaceIndex, uri: str, position: Position) -> list[Declared]:
    """The declarations the symbol under `position` stands for (itself, for a declaration)."""
    symbol = symbol_at(index, uri, position)
    if isinstance(symbol, Declared):
        return [symbol]
    if isinstance(symbol, Referenced):
        return index.resolve(symbol)
    return []


def definition(index: WorkspaceIndex, uri: str, position: Position) -> list[Declared]:
    return targets(index, uri, position)


def references(index: WorkspaceIndex, uri: str, position: Position, include_declaration: bool) -> list[Location]:
    symbol = symbol_at(index, uri, position)
    found = targets(index, uri, position)
    if not found:
        if isinstance(symbol, Referenced):  # unresolved: still show where the same name is used
            return [Location(r.uri, r.range) for r in _same_name_references(index, symbol)]
        return []
    out: list[Location] = []
    seen: set[tuple] = set()
    if include_declaration:
        for decl in found:
            _add(out, seen, Location(decl.uri, decl.name_range))
    for ref in index.references_to(found):
        _add(out, seen, Location(ref.uri, ref.range))
    return out


def _add(out: list[Location], seen: set, loc: Location) -> None:
    key = (loc.uri, loc.range.start, loc.range.end)
    if key not in seen:
        seen.add(key)
        out.append(loc)


def _same_name_references(index: WorkspaceIndex, ref: Referenced) -> list[Referenced]:
    return [r for f in index.files() for r in f.references if r.name == ref.name and r.kinds == ref.kinds]


def highlights(index: WorkspaceIndex, uri: str, position: Position) -> list[Highlight]:
    """The occurrences of the symbol under `position` in the same file."""
    locations = references(index, uri, position, include_declaration=True)
    declared = {(d.uri, d.name_range.start) for d in targets(index, uri, position)}
    return [Highlight(loc.range, (loc.uri, loc.range.start) in declared) for loc in locations if loc.uri == uri]


def prepare_rename(index: WorkspaceIndex, uri: str, position: Position) -> tuple[Range, str]:
    """The range and text a rename at `position` would change; RenameError when it cannot."""
    symbol = symbol_at(index, uri, position)
    if symbol is None:
        raise RenameError("Only a declared name or a reference to one can be renamed here (not a key, keyword or value).")
    if isinstance(symbol, Referenced) and not index.resolve(symbol):
        raise RenameError(f"'{symbol.name}' is not declared in any file of the workspace: nothing to rename.")
    if isinstance(symbol, Declared) and not is_identifier(symbol.name):
        raise RenameError(f"'{symbol.name}' is not a name that references can use; rename it by editing the text.")
    rng = symbol.name_range if isinstance(symbol, Declared) else symbol.range
    return rng, symbol.name


def rename(index: WorkspaceIndex, uri: str, position: Position, new_name: str) -> dict[str, list[tuple[Range, str]]]:
    """Edits per file (the declaration's name and every reference to it), each occurrence keeping
    its own style: a quoted name stays quoted, a bare one stays bare."""
    prepare_rename(index, uri, position)
    found = targets(index, uri, position)
    if not is_identifier(new_name):
        raise RenameError(f"'{new_name}' is not a valid name: use letters, digits and '_', not starting with a digit.")
    old = found[0].name
    if new_name == old:
        return {}
    for group in {kind_group(d.kind) for d in found}:
        for other in index.declarations_named(new_name):
            if kind_group(other.kind) == group:
                where = other.uri.rsplit("/", 1)[-1]
                raise RenameError(f"A {other.kind} named '{new_name}' already exists ({where}, line {other.name_range.start.line + 1}).")
    edits: dict[str, list[tuple[Range, str]]] = {}
    seen: set[tuple] = set()
    for decl in found:
        _edit(edits, seen, decl.uri, decl.name_range, new_name)
    for ref in index.references_to(found):
        _edit(edits, seen, ref.uri, ref.range, new_name)
    for items in edits.values():
        items.sort(key=lambda e: e[0].start)
    return edits


def _edit(edits: dict, seen: set, uri: str, rng: Range, text: str) -> None:
    key = (uri, rng.start, rng.end)
    if key not in seen:
        seen.add(key)
        edits.setdefault(uri, []).append((rng, text))
