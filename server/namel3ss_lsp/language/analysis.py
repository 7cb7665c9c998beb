"""`analyze(text)`: the one entry point: text in, tree + model view + diagnostics out."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from namel3ss_lsp.language.checks import check_all
from namel3ss_lsp.language.models import ModelDecl, extract_models
from namel3ss_lsp.language.parser import Collected, parse_region
from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.language.scan import scan
from namel3ss_lsp.language.tree import Declaration, Doc, Map, Module
from namel3ss_lsp.language.types import Diagnostic, Range, Severity


@dataclass
class Analysis:
    text: str
    line_index: LineIndex
    module: Module
    # Every declaration and map of the file, in source order (no tree walk needed to visit them).
    declarations: list = field(default_factory=list)
    maps: list = field(default_factory=list)
    models: list[ModelDecl] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def syntax_errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.code == "syntax-error"]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == Severity.ERROR]

    def model_named(self, name: str) -> ModelDecl | None:
        for m in self.models:
            if m.name == name:
                return m
        return None


def _syntax(index: LineIndex, start: int, end: int, message: str) -> Diagnostic:
    return Diagnostic(index.range(start, max(start, end)), message, "syntax-error", Severity.ERROR)


def analyze(text: str) -> Analysis:
    """Parse and check one document. Never raises: an internal failure becomes a diagnostic."""
    index = LineIndex(text)
    doc = Doc(text, index)
    # The tree is acyclic, but building ~10^5 nodes triggers full cyclic-GC passes that cost more
    # than the parse itself; pausing the collector while building is safe and halves the time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(text, index, doc)
    except Exception as exc:  # pragma: no cover - a bug must not take the editor down with it
        rng = Range(index.position(0), index.position(0))
        diag = Diagnostic(rng, f"internal error while analysing this file: {type(exc).__name__}: {exc}", "syntax-error", Severity.ERROR)
        return Analysis(text, index, Module([], [], doc), diagnostics=[diag])
    finally:
        if gc_was_enabled:
            gc.enable()


def _analyze(text: str, index: LineIndex, doc: Doc) -> Analysis:
    result = scan(text)
    masked = result.masked
    items: list = []
    sink = Collected()
    legacy: list[tuple[int, int]] = []
    diagnostics: list[Diagnostic] = [_syntax(index, s, e, msg) for s, e, msg in result.errors]
    for chunk in result.chunks:
        if chunk.kind == "legacy":
            legacy.append((chunk.start, chunk.end))
            continue
        chunk_items, errors = parse_region(masked, chunk.start, chunk.end, doc, sink)
        for start, end, message, at_eof in errors:
            if at_eof and chunk.unclosed is not None:
                continue  # the scan already said which bracket is never closed
            diagnostics.append(_syntax(index, start, end, message))
        for item in chunk_items:
            if isinstance(item, Declaration) and not item.keywords and item.parts and isinstance(item.parts[0], Map):
                diagnostics.append(_syntax(index, item.start, item.start + 1, "unexpected '{': a block needs a declaration header before it"))
        items.extend(chunk_items)
    module = Module(items, legacy, doc)
    models = extract_models(sink.decls)
    diagnostics.extend(check_all(items, sink.maps, models))
    diagnostics = _dedupe(diagnostics)
    diagnostics.sort(key=lambda d: (d.range.start, d.range.end))
    sink.decls.sort(key=_by_start)
    sink.maps.sort(key=_by_start)
    return Analysis(text, index, module, sink.decls, sink.maps, models, diagnostics)


def _by_start(node) -> int:
    return node.start


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen = set()
    out = []
    for d in diagnostics:
        key = (d.range.start, d.code, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
