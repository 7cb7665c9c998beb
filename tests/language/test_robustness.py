"""Property test: mangled real files never break the core (no internal error, no exception)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from namel3ss_lsp.language import Position, analyze, completion_context, folding_ranges, node_at, symbols
from tests.conftest import corpus_files

SNIPPETS = ["{", "}", "[", "]", "(", ")", '"', "'", '"""', ":", "|", "#", "\n", ",", "=", "🦙", "ai model x {", "model: ", "\t"]
_FILES: list[str] = []


def _corpus_texts() -> list[str]:
    if not _FILES:
        _FILES.extend(p.read_text(encoding="utf-8")[:2500] for p in corpus_files())
        fixtures = Path(__file__).resolve().parent / "fixtures"
        _FILES.extend(p.read_text(encoding="utf-8") for p in sorted(fixtures.glob("*.ai")))
    return _FILES


edits = st.lists(st.tuples(st.floats(0, 1), st.sampled_from(SNIPPETS), st.integers(0, 12)), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), edits, st.floats(0, 1), st.floats(0, 1))
def test_mangled_files_are_handled(which, changes, line_frac, col_frac):
    texts = _corpus_texts()
    text = texts[which % len(texts)]
    for where, snippet, cut in changes:
        at = int(where * len(text))
        text = text[:at] + snippet + text[at + cut :]
    analysis = analyze(text)
    assert not any("internal error" in d.message for d in analysis.diagnostics)
    lines = text.split("\n")
    line = int(line_frac * (len(lines) - 1))
    pos = Position(line, int(col_frac * len(lines[line])))
    completion_context(analysis, pos)
    node_at(analysis, pos)
    symbols(analysis)
    folding_ranges(analysis)
