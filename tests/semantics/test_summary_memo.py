"""An open file's summary re-made with its memo (only changed items summarised again) equals the
summary made from scratch, after any sequence of edits: typing inside a line, new lines above
(items move), deleted lines, a changed `extends` provider (inherited from another item)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from namel3ss_lsp.language import analyze
from namel3ss_lsp.semantics import summarize
from namel3ss_lsp.semantics.summary import SummaryMemo
from tests.conftest import corpus_files

URI = "file:///ws/main.ai"

INHERITED = (
    'ai model base {\n    provider: ollama\n    model: llama3:8b\n}\n\n'
    'ai model child {\n    extends: base\n    model: mistral\n}\n\n'
    'agent a {\n    llm: child\n    tools: [search, "fetch"]\n}\n'
)


def _resummarize(memo: SummaryMemo, text: str):
    analysis = analyze(text)
    return summarize(URI, analysis, memo), summarize(URI, analysis)


def test_a_provider_inherited_from_another_item_is_not_taken_from_the_memo() -> None:
    memo: SummaryMemo = {}
    with_memo, fresh = _resummarize(memo, INHERITED)
    assert with_memo == fresh
    child = next(d for d in with_memo.declarations if d.name == "child")
    assert child.provider == "ollama"
    # Only the other item changes; `child`'s text and place do not, its inherited provider does.
    with_memo, fresh = _resummarize(memo, INHERITED.replace("provider: ollama", "provider: openai"))
    assert with_memo == fresh
    assert next(d for d in with_memo.declarations if d.name == "child").provider == "openai"


def test_items_below_new_lines_move_with_them() -> None:
    memo: SummaryMemo = {}
    _resummarize(memo, INHERITED)
    with_memo, fresh = _resummarize(memo, "# a comment\n\n" + INHERITED)
    assert with_memo == fresh
    agent_ref = next(r for r in with_memo.references if r.name == "child")
    assert agent_ref.range.start.line == 13  # was 11


def test_the_memo_holds_only_the_last_summary_s_items() -> None:
    memo: SummaryMemo = {}
    _resummarize(memo, INHERITED)
    assert len(memo) == 3
    _resummarize(memo, 'ai model only {\n    provider: ollama\n    model: x\n}\n')
    assert len(memo) == 1


_SOURCES = [p.read_text(encoding="utf-8", errors="replace") for p in corpus_files("brace")[:8] + corpus_files("mixed")[:4]] + [INHERITED]
_PIECES = ["x", "\n", "\n\n", "}", "{", '"', "    model: llama3\n", "provider: openai", "extends: base\n",
           "agent b {\n    llm: base\n}\n", "# note\n", ""]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from(_SOURCES),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 40), st.sampled_from(_PIECES)), min_size=1, max_size=8),
)
def test_with_memo_equals_from_scratch_after_any_edits(source: str, edits) -> None:
    memo: SummaryMemo = {}
    text = source
    with_memo, fresh = _resummarize(memo, text)
    assert with_memo == fresh
    for where, removed, piece in edits:
        at = int(where * len(text))
        text = text[:at] + piece + text[at + removed:]
        with_memo, fresh = _resummarize(memo, text)
        assert with_memo == fresh
