"""Completion of declared names where a reference goes: `llm: |`, `tools: [a, |`, `memory: "|`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from namel3ss_lsp.language.analysis import Analysis
from namel3ss_lsp.language.context import _block_start_fast, _enclosing_headers
from namel3ss_lsp.language.types import Position, Range
from namel3ss_lsp.semantics.index import WorkspaceIndex
from namel3ss_lsp.semantics.references import reference_rule
from namel3ss_lsp.semantics.summary import Declared

# `key: value`, `key: [a, b, pre`, `key: "pre` on the line before the cursor.
_LINE = re.compile(r"""\s*(?P<key>[A-Za-z_][\w\-]*)\s*:\s*(?P<rest>.*)$""")
_LAST_ITEM = re.compile(r"""(?P<quote>["']?)(?P<prefix>[A-Za-z0-9_]*)$""")
_HEADER_WORDS = re.compile(r"[A-Za-z_][\w]*")
MAX_NAMES = 1000  # names in one answer at most, as for model names (lsp/model_completion.py)


@dataclass(frozen=True)
class ReferenceSlot:
    key: str
    kinds: frozenset[str] | None
    prefix: str
    replace_range: Range
    quoted: bool


def _context_keyword(headers: list[str]) -> str | None:
    """The keywords of the innermost enclosing declaration header (`ai model x` -> "ai model")."""
    for header in reversed(headers):
        words = _HEADER_WORDS.findall(header)
        if not words or header.rstrip().endswith(":") or header.strip() in ("[", "("):
            continue
        if words[:2] == ["ai", "model"]:
            return "ai model"
        return words[0]
    return None


def reference_slot(analysis: Analysis, position: Position) -> ReferenceSlot | None:
    """The reference being typed at `position`, or None when the cursor is not in one."""
    text, index = analysis.text, analysis.line_index
    cursor = index.offset(position)
    line_start = index.line_starts[index.line_of(cursor)]
    match = _LINE.match(text, line_start, cursor)
    if match is None or "#" in match.group("rest"):
        return None
    rest = match.group("rest")
    if rest.startswith("["):
        rest = rest[rest.rfind(",") + 1 :] if "," in rest else rest[1:]
        rest = rest.lstrip()
    item = _LAST_ITEM.fullmatch(rest)
    if item is None:
        return None
    try:
        headers = _enclosing_headers(text, _block_start_fast(text, cursor), line_start)
    except Exception:  # pragma: no cover - completion must never fail
        return None
    rule = reference_rule(match.group("key"), _context_keyword(headers))
    if rule is None:
        return None
    prefix = item.group("prefix")
    end = cursor
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    return ReferenceSlot(match.group("key"), rule.kinds, prefix, index.range(cursor - len(prefix), end), bool(item.group("quote")))


def reference_candidates(index: WorkspaceIndex, slot: ReferenceSlot, limit: int = MAX_NAMES) -> tuple[list[Declared], bool]:
    """Declared names of the kinds the slot takes, from every file of the workspace, and whether
    that is only part of them: with more than `limit` names, the first `limit` of those matching
    what is typed (starting with it, then containing it, ignoring case), so typing more narrows it
    (a workspace of 90,000 tools answered 38,700 items in 1.1 s)."""
    names = index.names(slot.kinds)
    if len(names) <= limit:
        return index.names_of(slot.kinds, names), False
    typed = slot.prefix.lower()
    starting: list[str] = []
    containing: list[str] = []
    for name in names:
        lowered = name.lower()
        if lowered.startswith(typed):
            starting.append(name)
            if len(starting) >= limit:
                break
        elif len(containing) < limit and typed in lowered:
            containing.append(name)
    return index.names_of(slot.kinds, (starting + containing)[:limit]), True
