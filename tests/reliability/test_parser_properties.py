"""Property-based tests of the language core: `analyze(text)` never raises, and every range it
reports (diagnostics, declarations, maps, model ids, providers, config entries, outline symbols,
folding ranges) lies inside the document by the LSP's own rules: lines end at `\\n`, `\\r\\n` or
`\\r`; columns are UTF-16 code units and never point inside a line break or past the line's end.
Inputs: arbitrary text, token soup biased towards the language, and mutations of the real corpus
(tests/corpus). `completion_context` and `node_at` are probed at random positions too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

import pytest
from tests.conftest import corpus_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from namel3ss_lsp.language import analyze, completion_context, folding_ranges, node_at, symbols
from namel3ss_lsp.language.types import Position

_BREAK = re.compile(r"\r\n|\r|\n")

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def lsp_lines(text: str) -> list[int]:
    """UTF-16 length of every line, split the LSP way."""
    lines = _BREAK.split(text)
    return [len(line.encode("utf-16-le")) // 2 for line in lines]


class Bounds:
    def __init__(self, text: str) -> None:
        self.text = text
        self.widths = lsp_lines(text)

    def check_pos(self, pos: Any, what: str) -> None:
        line, character = pos.line, pos.character
        assert isinstance(line, int) and isinstance(character, int), (what, pos)
        assert 0 <= line < len(self.widths), f"{what}: line {line} outside 0..{len(self.widths) - 1} in {self.text!r}"
        assert 0 <= character <= self.widths[line], (
            f"{what}: character {character} past the end ({self.widths[line]}) of line {line} in {self.text!r}"
        )

    def check_range(self, rng: Any, what: str) -> None:
        if rng is None:
            return
        self.check_pos(rng.start, what + ".start")
        self.check_pos(rng.end, what + ".end")
        assert (rng.start.line, rng.start.character) <= (rng.end.line, rng.end.character), f"{what}: start after end: {rng}"


def _entries(section: Any) -> Iterable:
    return (section or {}).values() if isinstance(section, dict) else []


def check_analysis(text: str) -> Any:
    analysis = analyze(text)  # must not raise
    bounds = Bounds(text)
    for d in analysis.diagnostics:
        bounds.check_range(d.range, f"diagnostic {d.code}")
        assert isinstance(d.message, str) and d.message
    for decl in getattr(analysis, "declarations", []) or []:
        bounds.check_range(decl.range, "declaration")
        bounds.check_range(decl.name_range, "declaration name")
        bounds.check_range(decl.selection_range, "declaration selection")
    for node in getattr(analysis, "maps", []) or []:
        bounds.check_range(node.range, "map")
    for m in analysis.models:
        for attr in ("range", "name_range", "model_range", "provider_range"):
            bounds.check_range(getattr(m, attr, None), f"model {attr}")
        for entry in list(_entries(m.config)) + list(_entries(m.deployment_config)):
            bounds.check_range(entry.key_range, f"config key {entry.key}")
            bounds.check_range(entry.value_range, f"config value {entry.key}")
    stack = list(symbols(analysis) or [])
    while stack:
        sym = stack.pop()
        bounds.check_range(sym.range, f"symbol {sym.name}")
        bounds.check_range(sym.selection_range, f"symbol selection {sym.name}")
        # LSP: the selection range must be contained in the range (VS Code rejects the outline otherwise)
        assert (sym.range.start.line, sym.range.start.character) <= (sym.selection_range.start.line, sym.selection_range.start.character)
        assert (sym.selection_range.end.line, sym.selection_range.end.character) <= (sym.range.end.line, sym.range.end.character)
        stack.extend(getattr(sym, "children", None) or [])
    for fold in folding_ranges(analysis) or []:
        start, end = fold[0], fold[1]
        assert 0 <= start <= end < len(bounds.widths), (fold, len(bounds.widths))
    return analysis


TOKENS = [
    "ai model", "llm", "app", "page", "agent", "prompt", "module", "import", " ", "  ", "\n", "\r\n", "\r", "\t",
    "{", "}", "[", "]", "(", ")", ":", ",", "=", "=>", '"', "'", '"""', "'''", "#", "# 🦙 comment\n", "|", "\\",
    "provider", "ollama", "model", "llama3:8b", "hf.co/bartowski/Qwen2.5-7B-GGUF:Q4_K_M", "config", "deployment_config",
    "temperature", "0.7", "-1e9", "num_ctx", "4096", "true", "null", "base_url", '"http://localhost:11434"',
    "host", "port", "keep_alive", '"5m"', "{{var}}", "env.OPENAI_API_KEY", "uuid(primary_key=true)", "fn(x) => x",
    "list[object] = []", "é", "😀", "\u2028", "\x0c", "\x00", "\ufeff", "GET /api/models/{id}", "at \"/route\"",
]

_LONE_CR = re.compile(r"\r(?!\n)")


def no_lone_cr(text: str) -> str:
    """Lone `\r` line breaks have their own test (test_lone_carriage_return_is_a_line_break), so that
    the properties below keep hunting for other bugs."""
    return _LONE_CR.sub("\n", text)


token_soup = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join).map(no_lone_cr)
arbitrary = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400).map(no_lone_cr)


@SETTINGS
@given(text=st.one_of(arbitrary, token_soup))
def test_arbitrary_text(text: str):
    check_analysis(text)


@SETTINGS
@given(text=token_soup, data=st.data())
def test_context_and_node_at_random_positions(text: str, data):
    analysis = check_analysis(text)
    widths = lsp_lines(text)
    for _ in range(3):
        line = data.draw(st.integers(min_value=-1, max_value=len(widths) + 1))
        character = data.draw(st.integers(min_value=-1, max_value=(widths[line] if 0 <= line < len(widths) else 3) + 2))
        pos = Position(line, character)
        ctx = completion_context(analysis, pos)
        completion_context(text, pos)
        node_at(analysis, pos)
        rng = getattr(ctx, "replace_range", None)
        if rng is not None and 0 <= line < len(widths) and 0 <= character <= widths[line]:
            Bounds(text).check_range(rng, "replace_range")


# --- mutations of the real corpus ---------------------------------------------------------------

CORPUS = corpus_files()


@st.composite
def mutated_corpus(draw) -> str:
    path = draw(st.sampled_from(CORPUS))
    text = path.read_text(encoding="utf-8", errors="replace")
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        n = len(text)
        a = draw(st.integers(min_value=0, max_value=n))
        b = draw(st.integers(min_value=a, max_value=min(n, a + 200)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "duplicate", "truncate", "crlf"]))
        if op == "delete":
            text = text[:a] + text[b:]
        elif op == "insert":
            text = text[:a] + draw(st.one_of(st.sampled_from(TOKENS), arbitrary)) + text[a:]
        elif op == "replace":
            text = text[:a] + draw(token_soup) + text[b:]
        elif op == "duplicate":
            text = text[:b] + text[a:b] + text[b:]
        elif op == "truncate":
            text = text[:a]
        elif op == "crlf":
            text = text.replace("\n", "\r\n")
    return no_lone_cr(text)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=mutated_corpus())
def test_mutated_corpus(text: str):
    check_analysis(text)


@pytest.mark.parametrize("breaks", ["lf", "crlf"])
def test_corpus_with_each_line_break(breaks: str):
    for path in CORPUS:
        text = path.read_text(encoding="utf-8", errors="replace")
        check_analysis(text if breaks == "lf" else text.replace("\n", "\r\n"))


LONE_CR_CASES = {
    "model-after-cr-lines": "# old mac file\rai model chat {\r    provider: ollama\r    model: \"bad name\"\r}\r",
    "cr-before-declaration": "\rai model",
    "corpus-doc-with-cr": "ai model m {\r    provider: ollama\r    model: llama3:8b\r    config: {\r        temperature: 9\r    }\r}\r",
}


@pytest.mark.parametrize("case", list(LONE_CR_CASES))
def test_lone_carriage_return_is_a_line_break(case: str):
    """LSP 3.17: line breaks are \\n, \\r\\n and \\r. The server's document store follows it, so the
    core's positions must too, or diagnostics land on the wrong line in files with old Mac line ends."""
    text = LONE_CR_CASES[case]
    analysis = check_analysis(text)
    if case != "cr-before-declaration":
        # the same diagnostics, at the same positions, as the \\n version of the file
        expected = [(d.code, d.range) for d in analyze(text.replace("\r", "\n")).diagnostics]
        assert [(d.code, d.range) for d in analysis.diagnostics] == expected
