"""The chunk cache and the incremental scan: an analysis after edits, served mostly from cache,
must equal a cold analysis of the same text in every observable detail."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from namel3ss_lsp.language import analyze, clear_cache
from namel3ss_lsp.language import chunk_cache, rescan
from namel3ss_lsp.language.analysis import Stepper
from namel3ss_lsp.language.scan import scan
from tests.conftest import CORPUS, corpus_files
from tests.language.snapshot import snapshot

# Edits that move chunks, add or remove lines, open or close brackets and strings, make errors.
SNIPPETS = [
    "x", "7", " ", "\n", "\n\n", "\r\n", "{", "}", "[", "]", "(", ")", '"', "'", '"""', ":", ": |\n  a\n", "#", ",", "=",
    "🦙", "é", "\t", "model: llama3:8b\n", "provider: ollama\n", "temperature: 9\n", "temperature: 0.5\n",
    "ai model x {\n", "ai model dup {\n  provider: ollama\n  model: a\n}\n", "llm y {\n  provider: ollama\n}\n",
    "extends: base\n", "  num_ctx: 1\n  num_ctx: 2\n", 'page "P" at "/":\n  show text "x"\n', "app \"A\" {\n",
]
_TEXTS: list[str] = []


def _texts() -> list[str]:
    if not _TEXTS:
        _TEXTS.extend(p.read_text(encoding="utf-8") for p in corpus_files("brace"))
        _TEXTS.extend(p.read_text(encoding="utf-8") for p in [p for p in corpus_files() if "brace" not in p.relative_to(CORPUS).parts[:1]])
        fixtures = Path(__file__).resolve().parent / "fixtures"
        _TEXTS.extend(p.read_text(encoding="utf-8") for p in sorted(fixtures.glob("*.ai")))
    return _TEXTS


def _edit(text: str, where: float, snippet: str, cut: int) -> str:
    at = int(where * len(text))
    if where > 0.5:  # also edit at line starts (before a chunk), where chunks begin and end
        at = text.rfind("\n", 0, at) + 1
    return text[:at] + snippet + text[at + cut :]


def _cold(text: str) -> dict:
    clear_cache()
    return snapshot(analyze(text))


edits = st.lists(st.tuples(st.floats(0, 1), st.sampled_from(SNIPPETS), st.sampled_from([0, 0, 1, 2, 5, 30, 200])), min_size=1, max_size=5)


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 10_000), changes=edits)
def test_warm_analysis_after_edits_equals_cold(which, changes):
    texts = _texts()
    text = texts[which % len(texts)]
    analyze(text)  # warm: the cache and the remembered scan hold this version
    for where, snippet, cut in changes:
        text = _edit(text, where, snippet, cut)
        warm = snapshot(analyze(text))
        assert warm == _cold(text)  # the cold run leaves this version in the cache for the next edit


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 10_000), changes=edits)
def test_analysis_lent_the_previous_one_equals_cold(which, changes):
    """The server passes each document's last analysis (`previous`): chunks before the first change
    are taken from it as they are."""
    texts = _texts()
    text = texts[which % len(texts)]
    previous = analyze(text)
    for where, snippet, cut in changes:
        text = _edit(text, where, snippet, cut)
        current = analyze(text, previous=previous)
        assert snapshot(current) == _cold(text)
        previous = current


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 10_000), changes=edits)
def test_analysis_spending_the_previous_one_equals_cold(which, changes):
    """The server's way on the event loop: chunks after the change are moved out of the previous
    analysis in place (`spend_previous`) instead of copied."""
    texts = _texts()
    text = texts[which % len(texts)]
    previous = analyze(text)
    for where, snippet, cut in changes:
        text = _edit(text, where, snippet, cut)
        current = analyze(text, previous=previous, spend_previous=True)
        assert snapshot(current) == _cold(text)
        previous = current


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 10_000), change=edits)
def test_an_abandoned_analysis_puts_back_what_it_moved(which, change):
    """A newer version drops the analysis under way (`Stepper.close`) after any of its steps: the
    previous analysis is as it was, and lends its chunks to the next one just as well."""
    texts = _texts()
    text = texts[which % len(texts)]
    edited = text
    for where, snippet, cut in change:
        edited = _edit(edited, where, snippet, cut)
    steps = 0
    while True:  # abandoned after 0, 1, 2, ... steps, until one run finishes first
        previous = analyze(text)
        before = snapshot(previous)
        stepper = Stepper(edited, previous=previous, spend_previous=True)
        try:
            for _ in range(steps):
                next(stepper._steps)  # one step at a time: a budget of 0 would stop after each pause
        except StopIteration as done:  # finished: now the previous analysis is spent
            assert snapshot(done.value) == _cold(edited)
            return
        stepper.close()
        assert snapshot(previous) == before, f"abandoned after {steps} steps"
        assert snapshot(analyze(edited, previous=previous, spend_previous=True)) == _cold(edited)
        steps += 1


def test_the_previous_analysis_is_left_as_it_was_and_extends_still_follow():
    base = "ai model base {\n  provider: ollama\n  model: llama3:8b\n}\n"
    child = "ai model child {\n  extends: base\n  config: {\n    bogus: 1\n  }\n}\n"
    first = analyze(base + child)
    before = snapshot(first)
    assert first.model_named("child").provider == "ollama"
    # the child chunk is unchanged and first: lent as it is, but its provider is inherited anew
    text = child + base.replace("ollama", "openai")
    second = analyze(text, previous=analyze(child + base))
    assert second.model_named("child").provider == "openai"
    assert snapshot(second) == _cold(text)
    analyze("\n" + base + child, previous=first)
    assert snapshot(first) == before


def test_lent_chunks_point_at_few_old_texts():
    """Each analysis keeps at most a few old texts alive through the nodes it took over."""
    text = "".join(f"ai model m{i} {{\n  provider: ollama\n  model: llama3:8b\n}}\n" for i in range(40))
    analysis = analyze(text)
    for i in reversed(range(40)):  # edits moving up the file: every analysis lends a shorter prefix
        text = text.replace(f"m{i} ", f"n{i} ")
        analysis = analyze(text, previous=analysis)
        docs = {id(item.doc) for item in analysis.module.items}
        assert len(docs) <= 3
    assert snapshot(analysis) == _cold(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 10_000), changes=edits)
def test_incremental_scan_equals_full_scan(which, changes):
    texts = _texts()
    text = texts[which % len(texts)]
    rescan.rescan(text)
    for where, snippet, cut in changes:
        text = _edit(text, where, snippet, cut)
        got, want = rescan.rescan(text), scan(text)
        assert (got.chunks, got.errors, got.blocks) == (want.chunks, want.errors, want.blocks)
        assert got.masked == want.masked


def test_lines_added_before_a_chunk_move_its_ranges_and_messages():
    body = "ai model a {\n  provider: ollama\n  model: llama3:8b\n  config: {\n    num_ctx: 1\n    num_ctx: 2\n    temperature: 7\n  }\n}\n"
    analyze(body)
    moved = "# a comment\n\nllm other {\n  provider: ollama\n  model: bad name\n}\n" + body
    warm = analyze(moved)
    assert snapshot(warm) == _cold(moved)
    dup = [d for d in warm.diagnostics if d.code == "duplicate-key"]
    assert dup and dup[0].range.start.line == 11 and "first set on line 11" in dup[0].message
    assert warm.model_named("a").range.start.line == 6


def test_model_checks_follow_extends_in_other_chunks():
    base = "ai model base {\n  provider: ollama\n  model: llama3:8b\n}\n"
    child = "ai model child {\n  extends: base\n  config: {\n    bogus: 1\n  }\n}\n"
    analyze(base + child)
    for text in (child, base.replace("ollama", "openai") + child, "ai model child {\n  provider: ollama\n}\n" + base.replace("base", "other")):
        assert snapshot(analyze(text)) == _cold(text)
        analyze(base + child)


def test_identical_chunks_in_one_file_get_their_own_nodes():
    one = "ai model m {\n  provider: ollama\n  model: llama3:8b\n}\n"
    analyze(one)
    analysis = analyze(one * 3)
    decls = analysis.module.declarations
    assert len({id(d) for d in decls}) == 3 and [d.start for d in decls] == [0, len(one), 2 * len(one)]
    assert len([d for d in analysis.diagnostics if d.code == "duplicate-declaration"]) == 2
    assert snapshot(analysis) == _cold(one * 3)


def test_old_analyses_stay_valid_after_later_ones():
    text = "".join(f"ai model m{i} {{\n  provider: ollama\n  model: llama3:8b\n}}\n" for i in range(20))
    first = analyze(text)
    before = snapshot(first)
    analyze("\n\n" + text.replace("m3 ", "m33 "))
    assert snapshot(first) == before


def test_the_cache_stays_within_its_bound(monkeypatch):
    small = chunk_cache.ChunkCache(limit=6_000)
    monkeypatch.setattr(chunk_cache, "CACHE", small)
    from namel3ss_lsp.language import analysis as analysis_module

    monkeypatch.setattr(analysis_module, "CACHE", small)
    for n in range(5):
        text = "".join(f"ai model m{n}_{i} {{\n  provider: ollama\n  model: llama3:8b\n}}\n" for i in range(100))
        assert len(text) < small.limit  # a file bigger than the cache is not cached at all
        analyze(text)
        assert 0 < small.size <= small.limit
        assert snapshot(analyze(text)) == _cold(text)


def test_deep_nesting_is_not_cached_and_still_right():
    text = "app x {\n  a: " + "{ b: " * 60 + "1" + " }" * 60 + "\n}\n"
    first = snapshot(analyze(text))
    assert len(chunk_cache.CACHE) == 0  # too deep to copy cheaply: parsed again each time
    assert snapshot(analyze(text)) == first == _cold(text)


def test_threads_analysing_at_once_get_cold_results():
    texts = [t for t in _texts() if len(t) > 2000][:4]
    want = {t: _cold(t) for t in texts}
    clear_cache()
    failures: list = []

    def work(k: int) -> None:
        for i in range(6):
            text = texts[(k + i) % len(texts)]
            edited = text.replace("\n", "\n\n", k + i)
            try:
                got = snapshot(analyze(text))
                analyze(edited)
                if got != want[text]:
                    failures.append(text[:40])
            except Exception as exc:  # pragma: no cover - reported below
                failures.append(repr(exc))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# Shapes the parser's shortcut (language/fastpath.py) takes, and near misses it must leave to Lark.
BLOCK_SNIPPETS = SNIPPETS + [
    "  key: value  # note\n", "  # a comment line\n", "} x: 1\n", "}  # done\n", "},", "  inner {\n  }\n",
    "  a b \"c\" {\n", "  k: {\n", "  k: v w\n", "  k: \"unterminated\n", "  8b: 8b\n", "\f", "\ufeff", "\r",
]
block_edits = st.lists(st.tuples(st.floats(0, 1), st.sampled_from(BLOCK_SNIPPETS), st.sampled_from([0, 1, 3, 12])), min_size=0, max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 10_000), changes=block_edits)
def test_parser_shortcut_builds_what_lark_builds(monkeypatch, which, changes):
    from namel3ss_lsp.language import parser

    texts = _texts()
    text = texts[which % len(texts)]
    for where, snippet, cut in changes:
        text = _edit(text, where, snippet, cut)
    fast = _cold(text)

    class NoShortcut:
        def parse(self, text):
            return None

    with monkeypatch.context() as patch:
        patch.setattr(parser, "_fast_path", NoShortcut)
        assert _cold(text) == fast
