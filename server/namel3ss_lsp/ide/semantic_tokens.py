"""Semantic tokens: declarations, references by kind, keys, strings, numbers and model ids.

The legend (README, "Semantic tokens"): token types are LSP's standard ones so every theme
colours them; what each stands for here:

    namespace  app, module          class      ai model / llm names and references to them
    function   tool, chain, fn      variable   other declarations and references (agent, memory, ...)
    property   keys                 string     strings          number   numbers
    type       Ollama model ids     keyword    declaration keywords
    modifiers: declaration (where a name is declared), defaultLibrary (an Ollama model id)
"""

from __future__ import annotations

from namel3ss_lsp.language.analysis import Analysis
from namel3ss_lsp.language.tree import Atom, Declaration, Entry, ListNode, Map
from namel3ss_lsp.language.types import Range
from namel3ss_lsp.semantics.references import MODEL_KINDS
from namel3ss_lsp.semantics.summary import FileSummary

TOKEN_TYPES = ["namespace", "class", "function", "variable", "property", "string", "number", "type", "keyword"]
TOKEN_MODIFIERS = ["declaration", "defaultLibrary"]
_TYPE = {name: i for i, name in enumerate(TOKEN_TYPES)}
_DECLARATION, _LIBRARY = 1, 2
_FUNCTION_KINDS = frozenset({"tool", "chain", "fn", "action", "step", "endpoint", "api"})


def _kind_type(kind: str | None, kinds: frozenset[str] | None = None) -> int:
    if kind in MODEL_KINDS or (kinds is not None and kinds <= MODEL_KINDS):
        return _TYPE["class"]
    if kind in _FUNCTION_KINDS or (kinds is not None and kinds and kinds <= _FUNCTION_KINDS):
        return _TYPE["function"]
    if kind in ("app", "module"):
        return _TYPE["namespace"]
    return _TYPE["variable"]


def tokens(analysis: Analysis, summary: FileSummary, window: Range | None = None) -> list[tuple[int, int, int, int, int]]:
    """(line, start character, length, type, modifiers), sorted, one line each, in `window` if given."""
    raw: dict[tuple[int, int], tuple[int, int, int, int, int]] = {}

    def add(rng: Range, token_type: int, modifiers: int = 0, *, replace: bool = False) -> None:
        if rng.start.line != rng.end.line or rng.end.character <= rng.start.character:
            return  # multi-line tokens (triple-quoted strings) are left to the grammar
        if window is not None and (rng.end < window.start or rng.start > window.end):
            return
        key = (rng.start.line, rng.start.character)
        if replace or key not in raw:
            raw[key] = (rng.start.line, rng.start.character, rng.end.character - rng.start.character, token_type, modifiers)

    # A window is compared as offsets first: ranges are made only for the nodes it touches (100
    # lines of a 40,000-line file took as long as the whole file: 430 ms, making every range).
    first, last = (0, len(analysis.text)) if window is None else (analysis.line_index.offset(window.start), analysis.line_index.offset(window.end))
    model_ids = {(m.model_range.start, m.model_range.end) for m in analysis.models if m.model_range is not None}
    for decl in analysis.declarations:
        if decl.end < first or decl.start > last:
            continue
        if decl.keywords and decl.parts:
            kw_end = decl.parts[min(len(decl.keywords), len(decl.parts)) - 1]
            add(decl.doc.index.range(decl.parts[0].start, kw_end.end), _TYPE["keyword"])
    for node in analysis.maps:
        if node.end < first or node.start > last:
            continue
        for item in node.items:
            if isinstance(item, Entry) and first <= item.end and item.start <= last:
                add(item.key_range, _TYPE["property"])
                if item.value_node is not None:
                    for atom in _atoms(item.value_node.parts):
                        rng = atom.range
                        if (atom.inner_range.start, atom.inner_range.end) in model_ids:
                            add(rng, _TYPE["type"], _LIBRARY)
                        elif atom.kind == "string":
                            add(rng, _TYPE["string"])
                        elif atom.kind == "number":
                            add(rng, _TYPE["number"])
    for ref in summary.references:  # after strings: a reference wins over "string"
        add(ref.full_range, _kind_type(None, ref.kinds), replace=True)
    for decl in summary.declarations:
        add(decl.selection_range, _kind_type(decl.kind), _DECLARATION, replace=True)
    # Tokens must not overlap (we do not rely on the client's overlappingTokenSupport): a token
    # starting inside the one before it on its line is dropped (`{x}: 1` gave `{x}` and `x`).
    out: list[tuple[int, int, int, int, int]] = []
    line = end = -1
    for key in sorted(raw):
        token = raw[key]
        if token[0] == line and token[1] < end:
            continue
        out.append(token)
        line, end = token[0], token[1] + token[2]
    return out


def _atoms(parts: list) -> list[Atom]:
    out: list[Atom] = []
    todo = list(parts)
    while todo:
        part = todo.pop()
        if isinstance(part, Atom):
            out.append(part)
        elif isinstance(part, ListNode) and not isinstance(part, Map):
            for item in part.items:
                todo.extend(item.parts)
    return out


def encode(items: list[tuple[int, int, int, int, int]]) -> list[int]:
    """LSP's relative encoding: deltas of line and start, then length, type, modifiers."""
    data: list[int] = []
    prev_line = prev_start = 0
    for line, start, length, token_type, modifiers in items:
        delta_line = line - prev_line
        delta_start = start - prev_start if delta_line == 0 else start
        data += [delta_line, delta_start, length, token_type, modifiers]
        prev_line, prev_start = line, start
    return data
