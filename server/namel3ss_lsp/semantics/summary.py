"""One file's summary: the declarations it makes and the names it refers to.

A summary is small and immutable: it keeps no syntax tree, so the index can hold one for every
file of a large workspace, and a closed file costs only its summary. It is rebuilt from each new
analysis of a file (the analysis itself is incremental, so unchanged declarations are not
re-parsed).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from typing import Iterable, Iterator, Mapping

from namel3ss_lsp.language.analysis import Analysis, chunk_trees
from namel3ss_lsp.language.models import model_from_declaration
from namel3ss_lsp.language.tree import Atom, Declaration, Entry, ListNode, Map, Value
from namel3ss_lsp.language.types import Position, Range
from namel3ss_lsp.semantics.references import MODEL_KINDS, is_identifier, reference_rule

# Header keywords that declare nothing (statements, imports) and so are not in the index.
NOT_DECLARATIONS = frozenset({"module", "import", "use", "export", "from", "include", "language_version", "show"})
_PREVIEW_LINES = 8
_PREVIEW_CHARS = 600


@dataclass(frozen=True)
class Declared:
    """A named declaration: `llm fast_llm { ... }`, `tool "search_web" { ... }`."""

    name: str
    kind: str  # the keywords: "llm", "ai model", "tool", ...
    uri: str
    selection_range: Range  # the name as written (quotes included)
    name_range: Range  # the name's text only (inside the quotes)
    quoted: bool
    top_level: bool
    container: str | None  # the enclosing declaration's name, for nested ones
    preview: str  # the declaration's first lines, for hover
    # Model declarations: what a reference to them resolves to in the end.
    provider: str | None = None
    model: str | None = None
    model_options: Mapping[str, object] | None = None  # plain values; read-only by convention (picklable)
    extends: str | None = None


@dataclass(frozen=True)
class Referenced:
    """A name used as a value where the reference table expects one: `llm: fast_llm`."""

    name: str
    kinds: frozenset[str] | None  # what it may name (None: any kind)
    uri: str
    range: Range  # the name's text only (inside the quotes)
    full_range: Range  # with the quotes
    quoted: bool
    strict: bool  # an unknown name is reported even when quoted
    key: str
    context: str | None  # the enclosing declaration's keywords


@dataclass(frozen=True)
class FileSummary:
    uri: str
    declarations: tuple[Declared, ...] = ()
    references: tuple[Referenced, ...] = ()
    is_app: bool = False  # declares an `app`: a program of its own (see index.py)
    size: int = 0


# What one top-level item contributes: its declarations, its references, whether it is an `app`.
ItemParts = tuple[tuple["Declared", ...], tuple["Referenced", ...], bool]
# An open file's parts by item, from its previous summary: (the hash and length of the item's text,
# its first column, the providers of the model declarations in it) -> (its first line, its parts).
SummaryMemo = dict[tuple, tuple[int, ItemParts]]


def summarize(uri: str, analysis: Analysis, memo: SummaryMemo | None = None) -> FileSummary:
    """Declarations and references of one analysed file. Never raises on odd trees.

    `memo` (an open file's, kept by the caller between edits) makes a re-summary cost what changed:
    a top-level item whose text, first column and model providers (`extends` can inherit one from
    another item) are those of an item last time reuses that item's parts, moved to its new line.
    Typing in a 5,000-line file re-summarised every item (15-50 ms); now it is one item. The memo
    is rewritten to hold this summary's items only."""
    text = analysis.text
    if analysis.lean:
        return _joined(uri, _lean_parts(uri, analysis), len(text))
    models = {id(md.decl): md for md in analysis.models}
    every: list[ItemParts] = []
    previous = memo.copy() if memo else {}
    if memo is not None:
        memo.clear()
    index = analysis.line_index
    providers = _providers_by_item(analysis) if memo is not None else None
    for number, item in enumerate(analysis.module.items):
        parts = None
        if memo is not None:
            start = index.position(item.start)
            source = text[item.start : item.end]
            # the text's hash and length, not the text: a memo of every open file's items held a
            # second copy of their text (5.7 MB for 200 files of 500 lines)
            key = (hash(source), len(source), start.character, providers[number])
            found = previous.get(key)
            if found is None:
                parts = _item_parts(uri, item, text, models)
            else:
                parts = found[1] if found[0] == start.line else _moved(found[1], start.line - found[0])
            memo[key] = (start.line, parts)
        else:
            parts = _item_parts(uri, item, text, models)
        every.append(parts)
    return _joined(uri, every, len(text))


def _joined(uri: str, every: Iterable[ItemParts], size: int) -> FileSummary:
    """One file's summary from the parts of its top-level items, in order."""
    declarations: list[Declared] = []
    references: list[Referenced] = []
    is_app = False
    for declared, referenced, app in every:
        declarations.extend(declared)
        references.extend(referenced)
        is_app = is_app or app
    return FileSummary(uri, tuple(declarations), tuple(references), is_app, size)


def _lean_parts(uri: str, analysis: Analysis) -> Iterator[ItemParts]:
    """The parts of a huge document analysed without a tree: its chunks parsed again one at a time
    (seconds for megabytes: run it in a worker thread). Model declarations take their facts
    (providers inherited through `extends`) from the analysis's models, matched by offset."""
    by_start = {md.decl.start: md for md in analysis.models}
    for piece in chunk_trees(analysis):
        models = {id(d): by_start[d.start] for d in piece.decls if d.start in by_start}
        for item in piece.items:
            yield _item_parts(uri, item, analysis.text, models)


def _providers_by_item(analysis: Analysis) -> list[tuple]:
    """For each top-level item, the providers of the model declarations inside it, in order."""
    items = analysis.module.items
    found: list[list] = [[] for _ in items]
    starts = [item.start for item in items]
    for md in analysis.models:
        number = bisect_right(starts, md.decl.start) - 1
        if number >= 0:
            found[number].append(md.provider)
    return [tuple(p) for p in found]


def _moved(parts: ItemParts, lines: int) -> ItemParts:
    """An item's parts, `lines` lines further down (up when negative)."""
    def move(r: Range) -> Range:
        return Range(Position(r.start.line + lines, r.start.character), Position(r.end.line + lines, r.end.character))

    declared = tuple(replace(d, selection_range=move(d.selection_range), name_range=move(d.name_range)) for d in parts[0])
    referenced = tuple(replace(r, range=move(r.range), full_range=move(r.full_range)) for r in parts[1])
    return declared, referenced, parts[2]


def _item_parts(uri: str, item: object, text: str, models: dict) -> ItemParts:
    """The declarations and references of one top-level item (iterative: nesting may be deep)."""
    declarations: list[Declared] = []
    references: list[Referenced] = []
    is_app = False
    # (node, enclosing declaration keyword, enclosing declaration name, top level?)
    todo: list[tuple[object, str | None, str | None, bool]] = [(item, None, None, True)]
    while todo:
        node, context, container, top = todo.pop()
        if isinstance(node, Declaration):
            keyword = node.keyword
            if top and keyword == "app":
                is_app = True
            if node.name is not None and node.keywords and node.keywords[0] not in NOT_DECLARATIONS and keyword != "app":
                declarations.append(_declared(uri, node, text, top, container, models.get(id(node))))
            if node.body is not None:
                inner = node.name if node.name is not None else container
                todo.extend((item, keyword or context, inner, False) for item in reversed(node.body.items))
        elif isinstance(node, Entry):
            _entry_references(uri, node, context, None, references)
            if node.value_node is not None:
                for m in reversed(_maps_in_lists(node.value_node)):
                    todo.append((m, context, container, False))
        elif isinstance(node, Map):
            step_kind = _step_kind(node)
            for item in node.items:
                if isinstance(item, Entry):
                    _entry_references(uri, item, context, step_kind, references)
            todo.extend((item, context, container, False) for item in reversed(node.items) if isinstance(item, Declaration))
            for item in reversed(node.items):
                if isinstance(item, Entry) and item.value_node is not None:
                    todo.extend((m, context, container, False) for m in reversed(_maps_in_lists(item.value_node)))
    return tuple(declarations), tuple(references), is_app


def _declared(uri: str, decl: Declaration, text: str, top: bool, container: str | None, md=None) -> Declared:
    index = decl.doc.index
    name_start, name_end = decl.name_start, decl.name_end
    quoted = text[name_start : name_start + 1] in ("\"", "'") and name_end - name_start >= 2
    written = index.range(name_start, name_end)
    inner = written
    if quoted:  # the quotes are one character each, on the same line as the name
        s, e = written.start, written.end
        inner = Range(Position(s.line, s.character + 1), Position(e.line, e.character - 1))
    preview = "\n".join(text[decl.start : min(decl.end, decl.start + _PREVIEW_CHARS)].split("\n", _PREVIEW_LINES)[:_PREVIEW_LINES])
    provider = model = extends = None
    options: Mapping[str, object] | None = None
    if decl.keyword in MODEL_KINDS:
        provider, model, extends, options = _model_facts(decl, md)
    return Declared(decl.name, decl.keyword, uri, written, inner, quoted, top, container, preview, provider, model, options, extends)


def _literal(value: object) -> bool:
    return (isinstance(value, str) and type(value) is str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _model_facts(decl: Declaration, md=None):
    """(provider, model, extends, literal options) of an `ai model` / `llm` declaration (`md`: its
    ModelDecl from the analysis, when it has one)."""
    if md is None:
        md = model_from_declaration(decl)
    options: dict[str, object] = {}
    try:
        options = {k: v for k, v in md.options().items() if _literal(v) or isinstance(v, bool)}
        deployment = {k: v for k, v in md.deployment_options().items() if _literal(v) or isinstance(v, bool)}
        if deployment:
            options["deployment_config"] = deployment
    except Exception:  # pragma: no cover - options of a broken declaration: none
        options = {}
    model = md.model if isinstance(md.model, str) else None
    return md.provider, model, md.extends, options


def _step_kind(node: Map) -> str | None:
    entry = node.get("kind")
    value = entry.value if entry is not None else None
    return str(value) if isinstance(value, str) else None


def _maps_in_lists(value: Value) -> list[Map]:
    """Maps that are elements of the value's lists, at any depth (`edges: [{...}]`, chain steps),
    in source order. A map that is the value itself (`input_schema: {...}`) holds settings and
    types, not references, and is not searched."""
    found: list[Map] = []
    todo = [part for part in value.parts if isinstance(part, ListNode)]
    while todo:
        for item in todo.pop().items:
            for part in item.parts:
                if isinstance(part, Map):
                    found.append(part)
                elif isinstance(part, ListNode):
                    todo.append(part)
    found.sort(key=lambda m: m.start)
    return found


def _entry_references(uri: str, entry: Entry, context: str | None, step_kind: str | None, out: list[Referenced]) -> None:
    rule = reference_rule(entry.key, context, step_kind)
    if rule is None or entry.value_node is None:
        return
    for atom in _name_atoms(entry.value_node):
        name = atom.value if atom.kind == "string" else atom.text
        if not isinstance(name, str) or not is_identifier(name) or name in rule.excluded:
            continue
        quoted = atom.kind == "string"
        full = atom.range
        out.append(Referenced(name, rule.kinds, uri, atom.inner_range if quoted else full, full, quoted, rule.strict, entry.key, context))


def _name_atoms(value: Value) -> list[Atom]:
    """The value's name: a single word or string, or those of a list of them (`[a, "b"]`). An
    element with more than one part (`step "x" { ... }`) is not a name."""
    atoms: list[Atom] = []
    todo = [value]
    while todo:
        current = todo.pop()
        part = current.single
        if isinstance(part, Atom):
            if part.kind == "word" or (part.kind == "string" and part.end - part.start >= 2):
                atoms.append(part)
        elif isinstance(part, ListNode) and current is value:  # one level of list
            todo.extend(reversed(part.items))
    return atoms


__all__ = ["Declared", "FileSummary", "NOT_DECLARATIONS", "Referenced", "SummaryMemo", "summarize"]
