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
