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
