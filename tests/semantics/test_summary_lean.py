"""A huge document is analysed lean (no tree kept); its summary parses it again chunk by chunk and
must be the summary of the ordinary analysis: every corpus file, and providers inherited through
`extends` from another chunk."""

from __future__ import annotations

import pytest

from namel3ss_lsp.language import analyze
from namel3ss_lsp.semantics import summarize
from tests.conftest import corpus_files

INHERITED = """ai model base {
    provider: ollama
    model: llama3:8b
}

tool lookup {
    description: "x"
}

ai model child {
    extends: base
    model: mistral
}

agent helper {
    llm: child
    tools: [lookup, missing_tool]
}
"""


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_the_lean_summary_is_the_summary(path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    uri = path.as_uri()
    assert summarize(uri, analyze(text, lean=True, remember=False)) == summarize(uri, analyze(text, remember=False))


def test_the_lean_summary_keeps_inherited_providers_and_references() -> None:
    text = INHERITED * 3
    lean = summarize("file:///w/app.ai", analyze(text, lean=True, remember=False))
    assert lean == summarize("file:///w/app.ai", analyze(text, remember=False))
    child = next(d for d in lean.declarations if d.name == "child")
    assert (child.provider, child.model, child.extends) == ("ollama", "mistral", "base")
    assert {r.name for r in lean.references} >= {"child", "lookup", "missing_tool"}
