"""Big inputs: 5,000 declarations, a megabyte with errors everywhere. What they must yield, not how
fast: durations are measured by `python benchmarks/run.py --only parser` (figure 8), side by side
and on purpose, never asserted here (a shared, busy machine makes any bound flaky)."""

from __future__ import annotations

from namel3ss_lsp.language import analyze

DECL = """ai model m{i} {{
    provider: ollama
    model: llama3:8b
    config: {{
        temperature: 0.7
        num_ctx: 4096
    }}
    description: "model {i}"
}}
"""


def test_five_thousand_declarations():
    text = "".join(DECL.format(i=i) for i in range(5000))
    analysis = analyze(text)
    assert len(analysis.models) == 5000 and analysis.diagnostics == []
    assert [m.name for m in analysis.models[:2]] == ["m0", "m1"] and analysis.models[-1].name == "m4999"
    assert analyze(text).diagnostics == []  # again, from the chunk cache


def test_a_megabyte_with_errors_everywhere():
    broken = "".join(DECL.format(i=i).replace("num_ctx: 4096", "num_ctx = 4096") for i in range(1200))
    analysis = analyze(broken)
    assert len(analysis.syntax_errors) == 1200 and len(analysis.models) == 1200
    assert all("expected ':'" in d.message for d in analysis.syntax_errors)


def test_the_outline_of_a_big_file_leaves_the_cyclic_collector_alone():
    """The tree and what is built from it have no cycles: building the outline of a big file runs no
    collection (with the collector on, its 23,000 symbols set off a full pass over the 10 MB file's
    tree: 0.5 s of the 0.96 s for outline and folding), and the collector is on again afterwards,
    or still off if it was off."""
    import gc

    from namel3ss_lsp.language import folding_ranges, symbols

    analysis = analyze("".join(DECL.format(i=i) for i in range(5000)))
    passes: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            passes.append(info["generation"])

    gc.callbacks.append(count)
    try:
        outline = symbols(analysis)
    finally:
        gc.callbacks.remove(count)
    assert passes == [] and gc.isenabled()
    assert len(outline) == 5000 and outline[-1].name == "m4999"
    assert len(folding_ranges(analysis)) == 10000 and gc.isenabled()
    gc.disable()
    try:
        assert len(symbols(analysis)) == 5000 and not gc.isenabled()
    finally:
        gc.enable()


class _CountingModel:
    """Stands in for a ModelDecl in `inherit_providers`, counting how often its `extends` is read."""

    reads = 0

    def __init__(self, name: str, provider: str | None, extends: str | None) -> None:
        self.name, self.provider, self._extends = name, provider, extends

    @property
    def extends(self) -> str | None:
        _CountingModel.reads += 1
        return self._extends


def _inherited_one_walk_each(models) -> list:
    """The definition: each model without a provider takes the first one up its `extends` chain."""
    by_name = {m.name: m for m in models if m.name}
    out = []
    for m in models:
        base, seen = m, {id(m)}
        while base.provider is None and base.extends in by_name:
            base = by_name[base.extends]
            if id(base) in seen:
                break
            seen.add(id(base))
        out.append(base.provider)
    return out


def test_extends_chains_and_cycles_are_walked_once():
    """3,000 models in one `extends` chain or cycle (90 KB of text): each link is followed a few
    times, not once per model below it (4.5 million reads, 3 s of the event loop per keystroke)."""
    from namel3ss_lsp.language.models import inherit_providers

    n = 3000
    for cyclic in (False, True):
        models = [_CountingModel(f"m{i}", None, f"m{(i + 1) % n}" if cyclic or i + 1 < n else None) for i in range(n)]
        if not cyclic:
            models[-1].provider = "ollama"
        _CountingModel.reads = 0
        inherit_providers(models)
        assert _CountingModel.reads <= 3 * n
        assert [m.provider for m in models] == ([None] * n if cyclic else ["ollama"] * n)


def test_inherited_providers_follow_the_definition_on_random_graphs():
    import random

    from namel3ss_lsp.language.models import inherit_providers

    rng = random.Random(17)
    for _ in range(300):
        n = rng.randint(1, 12)
        names = [f"m{rng.randint(0, n)}" for _ in range(n)]  # duplicates: the last one wins, as in the file
        specs = [(name, rng.choice([None, None, "ollama", "openai"]), rng.choice([None, *names, "absent"])) for name in names]
        expected = _inherited_one_walk_each([_CountingModel(*s) for s in specs])
        models = [_CountingModel(*s) for s in specs]
        inherit_providers(models)
        assert [m.provider for m in models] == expected, specs
