"""Diagnostics that need the whole workspace: unknown references, and declarations that conflict
with one in another file."""

from __future__ import annotations

import difflib

from namel3ss_lsp.language.types import Diagnostic, Severity
from namel3ss_lsp.semantics.index import WorkspaceIndex
from namel3ss_lsp.semantics.summary import Referenced
from namel3ss_lsp.semantics.references import MODEL_KINDS

UNKNOWN_REFERENCE = "unknown-reference"
DUPLICATE_DECLARATION = "duplicate-declaration"
RELATED_MAX = 20  # other declarations listed as relatedInformation of one duplicate


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
    candidates: dict[frozenset | None, list[str]] = {}
    # A reference's verdict depends on its file, name and kinds only: found once per name and kinds
    # (3,000 `llm: a` in one file, each resolved against 3,000 agents `a`, took 4.4 s).
    verdicts: dict[tuple, tuple[str, dict] | None] = {}
    for ref in summary.references:
        if not (ref.strict or not ref.quoted):
            continue
        key = (ref.name, ref.kinds)
        if key not in verdicts:
            verdicts[key] = None if index.resolve(ref) else _unknown(index, ref, candidates)
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


def _unknown(index: WorkspaceIndex, ref: Referenced, candidates: dict[frozenset | None, list[str]]) -> tuple[str, dict]:
    """The message and data of an `unknown-reference` for a name nothing declares."""
    if ref.kinds not in candidates:
        candidates[ref.kinds] = sorted({d.name for d in index.names_of(ref.kinds)})
    close = difflib.get_close_matches(ref.name, candidates[ref.kinds], n=1, cutoff=0.6)
    what = kinds_text(ref.kinds)
    message = f"unknown {what} '{ref.name}': no file of the workspace declares it"
    if close:
        message += f"; did you mean '{close[0]}'?"
    else:
        other = index.declarations_named(ref.name)
        if other:
            message += f" ('{ref.name}' is a {other[0].kind}, not a {what})"
    return message, {"name": ref.name, "kinds": sorted(ref.kinds) if ref.kinds else None, "replacement": close[0] if close else None}
