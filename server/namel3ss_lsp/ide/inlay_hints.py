"""Inlay hints: after an installed model id its size and quantization (`4.7 GB · Q4_0`), after a
missing one "not installed", and after a reference to a model declaration the Ollama model it
resolves to (`-> llama3:8b`). From what is already known only: the caller's `facts` answers from
cached model lists, never the network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from namel3ss_lsp.ide.display import human_size
from namel3ss_lsp.language.analysis import Analysis
from namel3ss_lsp.language.models import ModelDecl
from namel3ss_lsp.language.types import Position, Range
from namel3ss_lsp.semantics.index import WorkspaceIndex
from namel3ss_lsp.semantics.references import MODEL_KINDS
from namel3ss_lsp.semantics.summary import FileSummary


@dataclass(frozen=True)
class ModelFacts:
    installed: bool
    size: int | None = None  # bytes on disk
    quantization: str | None = None


@dataclass(frozen=True)
class InlayHint:
    position: Position
    label: str
    tooltip: str | None = None


# facts(model id, declaration options) -> what is known, or None when nothing is known yet
FactsLookup = Callable[[str, dict], "ModelFacts | None"]


def _inside(rng: Range, window: Range | None) -> bool:
    return window is None or not (rng.end < window.start or rng.start > window.end)


def inlay_hints(
    analysis: Analysis,
    summary: FileSummary | None,
    index: WorkspaceIndex,
    facts: FactsLookup,
    options_of: Callable[[ModelDecl], dict],
    *,
    window: Range | None = None,
    model_facts: bool = True,
    references: bool = True,
) -> list[InlayHint]:
    out: list[InlayHint] = []
    if model_facts:
        for md in analysis.models:
            if not md.is_ollama or not md.model or md.model_range is None or not _inside(md.model_range, window):
                continue
            known = facts(md.model, options_of(md))
            if known is None:
                continue
            if known.installed:
                label = " · ".join(p for p in (human_size(known.size), known.quantization) if p)
                if label:
                    out.append(InlayHint(md.model_range.end, f" {label}", "installed on the Ollama server"))
            else:
                out.append(InlayHint(md.model_range.end, " not installed", "not on the Ollama server: pull it with the quick fix"))
    if references and summary is not None:
        targets: dict[tuple, Any] = {}  # (name, kinds): the model it ends in, found once per name in a file
        for ref in summary.references:
            if ref.kinds is None or not ref.kinds <= MODEL_KINDS or not _inside(ref.full_range, window):
                continue
            key = (ref.name, ref.kinds)
            if key not in targets:
                found = index.resolve(ref)
                targets[key] = index.model_target(found[0]) if found else None
            target = targets[key]
            if target is not None and target.model:
                out.append(InlayHint(ref.full_range.end, f" → {target.model}", f"{target.kind} '{target.name}' uses {target.model}"))
    out.sort(key=lambda h: h.position)
    return out
