"""Outline (document symbols) and folding ranges, as plain data for the LSP layer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from namel3ss_lsp.language.heap import building
from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.language.tree import Declaration
from namel3ss_lsp.language.types import Range

# LSP SymbolKind numbers, by declaration keyword.
_KINDS = {
    "app": 2, "module": 2, "import": 2, "use": 2,  # Module
    "page": 3, "graph": 3, "workflow": 3, "planning_workflow": 3, "chain": 3, "planner": 3,  # Namespace
    "ai model": 5, "llm": 5, "model": 5, "agent": 5,  # Class
    "endpoint": 12, "api": 12, "tool": 12, "fn": 12, "step": 12, "action": 12,  # Function
    "prompt": 15, "template": 15,  # String
    "dataset": 18, "index": 18, "memory": 18, "rag_pipeline": 18, "knowledge": 18,  # Array
}
_DEFAULT_KIND = 13  # Variable
# Two or more lines in a row that are comments (a line, as the line index counts them, starts
# after each "\n"): one regex pass finds every run, where testing each line took a Python step a line.
_COMMENT_RUN = re.compile(r"^[ \t]*#[^\n]*(?:\n[ \t]*#[^\n]*)+", re.MULTILINE)

if TYPE_CHECKING:  # analysis.py reads outlines chunk by chunk for huge documents: no import cycle
    from namel3ss_lsp.language.analysis import Analysis


@dataclass
class Symbol:
    name: str
    kind: str  # the declaration keyword ("ai model", "page", ...), or "legacy" for colon blocks
    lsp_kind: int  # LSP SymbolKind
    range: Range
    selection_range: Range
    detail: str = ""
    children: list["Symbol"] = field(default_factory=list)


def _symbol(decl: Declaration) -> Symbol:
    name = decl.name if decl.name is not None else decl.keyword or decl.source.split("\n", 1)[0][:40]
    detail = decl.keyword
    model = decl.get("model") if decl.keyword in ("ai model", "llm") else None
    if model is not None and isinstance(model.value, str):
        detail = f"{decl.keyword} · {model.value}"
    return Symbol(name, decl.keyword, _KINDS.get(decl.keyword, _DEFAULT_KIND), decl.range, decl.selection_range, detail)


def symbols(analysis: "Analysis") -> list[Symbol]:
    """Top-level declarations, with nested named declarations that have a body as children."""
    if analysis.foreign is not None:
        return []
    with building():  # a 10 MB file: 23,000 symbols, and a full GC pass over its tree otherwise
        return _symbols(analysis)


def _symbols(analysis: "Analysis") -> list[Symbol]:
    roots = list(analysis.outline) if analysis.outline is not None else declaration_symbols(analysis.module.items)
    index = analysis.line_index
    for start, end in analysis.module.legacy:
        header = analysis.text[start:end].split("\n", 1)[0].strip().rstrip(":")
        rng = index.range(start, end)
        line_range = index.range(start, start + len(analysis.text[start:end].split("\n", 1)[0]))
        roots.append(Symbol(header[:60], "legacy", _KINDS.get(header.split(" ", 1)[0], _DEFAULT_KIND), rng, line_range, "indentation block"))
    roots.sort(key=lambda s: s.range.start)
    return roots


def declaration_symbols(items: list) -> list[Symbol]:
    """The outline of these top-level items (declarations; nested ones with a body as children)."""
    roots: list[Symbol] = []
    # (declaration, list to append its symbol to); iterative, so deep nesting cannot recurse.
    todo = [(item, roots) for item in reversed(items) if isinstance(item, Declaration)]
    while todo:
        decl, target = todo.pop()
        if not decl.keywords:
            continue
        sym = _symbol(decl)
        target.append(sym)
        if decl.body is not None:
            nested = [d for d in decl.body.declarations if d.body is not None and d.keywords]
            todo.extend((d, sym.children) for d in reversed(nested))
    return roots


def block_folds(maps: list, index: LineIndex) -> list[tuple[int, int, str]]:
    """The folding ranges of these blocks (maps spanning more than one line)."""
    out: list[tuple[int, int, str]] = []
    for node in maps:
        start = index.line_of(node.start)
        end = index.line_of(max(node.start, node.end - 1))
        if end > start:
            out.append((start, end - 1 if end - 1 > start else end, "region"))
    return out


def folding_ranges(analysis: "Analysis") -> list[tuple[int, int, str]]:
    """(start_line, end_line, kind) with kind "region" (blocks) or "comment" (runs of # lines)."""
    if analysis.foreign is not None:
        return []
    with building():
        return _folding_ranges(analysis)


def _folding_ranges(analysis: "Analysis") -> list[tuple[int, int, str]]:
    index = analysis.line_index
    out = list(analysis.folds) if analysis.folds is not None else block_folds(analysis.maps, index)
    for start, end in analysis.module.legacy:
        first, last = index.line_of(start), index.line_of(max(start, end - 1))
        if last > first:
            out.append((first, last, "region"))
    line_of = index.line_of
    out += [(line_of(m.start()), line_of(m.end()), "comment") for m in _COMMENT_RUN.finditer(analysis.text)]
    out.sort()
    return out
