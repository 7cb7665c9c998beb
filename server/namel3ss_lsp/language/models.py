"""The model view: `ai model` and `llm` declarations read into `ModelDecl`s."""

from __future__ import annotations

from dataclasses import dataclass, field

from namel3ss_lsp.language.schema import LOCAL_PROVIDERS
from namel3ss_lsp.language.tree import Atom, Declaration, Entry, Ref
from namel3ss_lsp.language.types import Position, Range

# Top-level keys of an `llm` that are not generation options (the rest are, flat).
_NOT_OPTIONS = frozenset({
    "provider", "model", "config", "deployment_config", "description", "extends", "local_model_path",
    "metadata", "system_prompt", "system", "api_key", "timeout", "stream", "max_retries",
})


@dataclass(eq=False)
class ModelDecl:
    kind: str  # "ai model" | "llm"
    name: str | None
    name_range: Range | None
    range: Range
    decl: Declaration
    provider: str | None = None  # lowercased, unquoted; inherited through `extends` when absent
    provider_range: Range | None = None
    model: str | None = None
    model_range: Range | None = None  # the id text only, without quotes
    config: dict[str, Entry] = field(default_factory=dict)
    deployment_config: dict[str, Entry] = field(default_factory=dict)
    description: str | None = None
    entries: dict[str, Entry] = field(default_factory=dict)  # top-level keys (last one wins)
    extends: str | None = None

    @property
    def is_local(self) -> bool:
        return self.provider in LOCAL_PROVIDERS

    @property
    def is_ollama(self) -> bool:
        return self.provider == "ollama"

    @property
    def model_entry(self) -> Entry | None:
        return self.entries.get("model")

    def options(self) -> dict[str, object]:
        """Plain values of `config`; for `llm`, also the flat option keys next to provider/model."""
        out: dict[str, object] = {}
        if self.kind == "llm":
            out.update({k: e.value for k, e in self.entries.items() if k not in _NOT_OPTIONS})
        out.update({k: e.value for k, e in self.config.items()})
        return out

    def deployment_options(self) -> dict[str, object]:
        return {k: e.value for k, e in self.deployment_config.items()}


def _as_text(value: object) -> str | None:
    if isinstance(value, str):  # str, Ref and Expr alike
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _last_by_key(entries) -> dict[str, Entry]:
    return {e.key: e for e in entries}


def model_from_declaration(decl: Declaration) -> ModelDecl:
    entries = _last_by_key(decl.entries)
    md = ModelDecl(decl.keyword, decl.name, decl.name_range, decl.range, decl, entries=entries)
    provider = entries.get("provider")
    if provider is not None:
        text = _as_text(provider.value)
        if text is not None:
            md.provider = text.strip().lower()
            atom = provider.value_node.single if provider.value_node else None
            md.provider_range = atom.inner_range if isinstance(atom, Atom) else provider.value_range
    model = entries.get("model")
    if model is not None and model.value_node is not None:
        atom = model.value_node.single
        if isinstance(atom, Atom) and atom.kind in ("word", "string", "number", "path"):
            md.model = str(atom.value) if atom.kind != "word" else atom.text
            md.model_range = atom.inner_range
        else:
            md.model = _as_text(model.value)
            md.model_range = model.value_range
    _read_sections(md, entries)
    description = entries.get("description")
    if description is not None:
        md.description = _as_text(description.value)
    extends = entries.get("extends")
    if extends is not None:
        md.extends = _as_text(extends.value)
    return md


def _read_sections(md: ModelDecl, entries: dict[str, Entry]) -> None:
    for section in ("config", "deployment_config"):
        entry = entries.get(section)
        if entry is not None and entry.map is not None:
            setattr(md, section, _last_by_key(entry.map.entries))


def _moved(rng: Range | None, lines: int) -> Range | None:
    if rng is None or not lines:
        return rng  # ranges are immutable: an unmoved one is shared
    start, end = rng.start, rng.end
    return Range(Position(start.line + lines, start.character), Position(end.line + lines, end.character))


def copy_model(md: ModelDecl, decl: Declaration, lines: int) -> ModelDecl:
    """`model_from_declaration(decl)` for a copy `decl` of `md.decl` moved down by `lines` lines.

    Faster than reading the declaration again: only the entry maps are rebuilt (they must hold
    the copy's entries); the other fields are `md`'s, ranges moved. `md` must not have inherited
    its provider yet. Built without `__init__`: its defaults would be overwritten anyway.
    """
    copy = object.__new__(ModelDecl)
    fields = copy.__dict__
    fields.update(md.__dict__)
    fields["decl"] = decl
    if lines:
        for name in ("name_range", "range", "provider_range", "model_range"):
            fields[name] = _moved(fields[name], lines)
    entries = fields["entries"] = _last_by_key(decl.entries)
    fields["config"] = {}
    fields["deployment_config"] = {}
    _read_sections(copy, entries)
    return copy


def moved_model(md: ModelDecl, lines: int) -> ModelDecl:
    """A copy of `md` (whose declaration was moved in place, `clone.move`), ranges `lines` lines
    further down; it shares `md`'s declaration and entry maps, which nobody changes."""
    copy = object.__new__(ModelDecl)
    fields = copy.__dict__
    fields.update(md.__dict__)
    if lines:
        for name in ("name_range", "range", "provider_range", "model_range"):
            fields[name] = _moved(fields[name], lines)
    return copy


def model_declarations(declarations: list[Declaration]) -> list[Declaration]:
    """The declarations `extract_models` reads, in order."""
    found = [d for d in declarations if d.body is not None and d.keywords and d.keyword in ("ai model", "llm")]
    found.sort(key=lambda d: d.start)
    return found


def extract_models(declarations: list[Declaration]) -> list[ModelDecl]:
    """Every `ai model` / `llm` declaration with a body, top-level or nested (inside `app`), in order."""
    models = [model_from_declaration(d) for d in model_declarations(declarations)]
    inherit_providers(models)
    return models


def inherit_providers(models: list[ModelDecl]) -> None:
    """`extends: base` without its own provider takes the base's provider (chains, no cycles)."""
    # Each chain is walked once: every model met on the way shares the provider found at its end.
    # Walking it again from each model was quadratic: a 90 KB document of 3,000 models in one
    # `extends` cycle held the analysis (and the event loop) for 3 s on every keystroke.
    by_name = {m.name: m for m in models if m.name}
    done: set[int] = set()  # ids of models whose provider is final
    for m in models:
        if id(m) in done:
            continue
        chain: list[ModelDecl] = []
        on_chain: set[int] = set()
        base, provider = m, None
        while True:
            if base.provider is not None or id(base) in done:
                provider = base.provider
                break
            if id(base) in on_chain:  # a cycle without a provider
                break
            chain.append(base)
            on_chain.add(id(base))
            if not base.extends or base.extends not in by_name:
                break
            base = by_name[base.extends]
        for link in chain:
            link.provider = provider
        done.update(on_chain)


def is_reference(value: object) -> bool:
    return isinstance(value, Ref)
