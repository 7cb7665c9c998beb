"""Diagnostics that need the whole workspace: unknown references, and declarations that conflict
with one in another file."""

from __future__ import annotations

import difflib
from bisect import bisect_left

from namel3ss_lsp.language.types import Diagnostic, Severity
from namel3ss_lsp.semantics.index import WorkspaceIndex
from namel3ss_lsp.semantics.summary import Referenced
from namel3ss_lsp.semantics.references import MODEL_KINDS

UNKNOWN_REFERENCE = "unknown-reference"
DUPLICATE_DECLARATION = "duplicate-declaration"
RELATED_MAX = 20  # other declarations listed as relatedInformation of one duplicate
CLOSE_SCAN = 2000  # names compared with an unknown one, at most


def kinds_text(kinds: frozenset[str] | None) -> str:
    """How a message names what a reference expects: "model", "tool", "dataset or memory"."""
    if kinds is None:
        return "name"
    if kinds <= MODEL_KINDS:
        return "model"
    names = sorted({"model" if k in MODEL_KINDS else k for k in kinds})
    return " or ".join(names)


def file_name(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def reference_diagnostics(index: WorkspaceIndex, uri: str) -> list[Diagnostic]:
    summary = index.file(uri)
    if summary is None:
        return []
    out: list[Diagnostic] = []
    # A reference's verdict depends on its file, name and kinds only: found once per name and kinds
    # (3,000 `llm: a` in one file, each resolved against 3,000 agents `a`, took 4.4 s).
    verdicts: dict[tuple, tuple[str, dict] | None] = {}
    for ref in summary.references:
        if not (ref.strict or not ref.quoted):
            continue
        key = (ref.name, ref.kinds)
        if key not in verdicts:
            verdicts[key] = None if index.resolve(ref) else _unknown(index, ref)
        verdict = verdicts[key]
        if verdict is None:
            continue
        message, data = verdict
        out.append(Diagnostic(ref.range, message, UNKNOWN_REFERENCE, Severity.WARNING, data=dict(data)))
    # Same-named declarations of a file share their conflicts: found once per name and kind (a
    # file of 600 `tool t` beside another took 29 s), and at most RELATED_MAX of them listed.
    conflicts: dict[tuple, tuple[str, tuple]] = {}
    for decl in summary.declarations:
        key = (decl.name, decl.kind, decl.top_level)
        found = conflicts.get(key)
        if found is None:
            others = index.conflicts(decl)
            if not others:
                conflicts[key] = found = ("", ())
            else:
                first = others[0]
                message = (f"duplicate declaration: {decl.kind} '{decl.name}' is also declared in {file_name(first.uri)}"
                           f" (line {first.name_range.start.line + 1})")
                if len(others) > RELATED_MAX:
                    message += f"; {len(others)} declarations in other files, the first {RELATED_MAX} listed"
                related = tuple((o.uri, o.selection_range, f"{o.kind} '{o.name}' declared here") for o in others[:RELATED_MAX])
                conflicts[key] = found = (message, related)
        message, related = found
        if message:
            out.append(Diagnostic(decl.selection_range, message, DUPLICATE_DECLARATION, Severity.ERROR, related=related))
    return out


def _unknown(index: WorkspaceIndex, ref: Referenced) -> tuple[str, dict]:
    """The message and data of an `unknown-reference` for a name nothing declares."""
    close = close_name(ref.name, index.names(ref.kinds))
    what = kinds_text(ref.kinds)
    message = f"unknown {what} '{ref.name}': no file of the workspace declares it"
    if close:
        message += f"; did you mean '{close}'?"
    else:
        other = index.declarations_named(ref.name)
        if other:
            message += f" ('{ref.name}' is a {other[0].kind}, not a {what})"
    return message, {"name": ref.name, "kinds": sorted(ref.kinds) if ref.kinds else None, "replacement": close}


def close_name(name: str, names: list[str]) -> str | None:
    """The declared name closest to `name` (difflib's ratio at least 0.6), or None. `names` is
    sorted. Among more than CLOSE_SCAN names only those starting with the same three characters
    are compared, at most CLOSE_SCAN of them, as for model names (`ollama.close_names`): all
    90,000 names of a big workspace took 0.3 s per unknown name, and a file being indexed has many."""
    if len(names) > CLOSE_SCAN:
        start = name[:3]
        first = bisect_left(names, start)
        names = names[first : first + CLOSE_SCAN]
        names = names[: bisect_left(names, start + "\U0010ffff")]  # those starting with `start`
    found = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return found[0] if found else None
