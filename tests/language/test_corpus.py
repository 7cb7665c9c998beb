"""The real corpus (tests/corpus): what must parse, what must fail, and where."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CORPUS, corpus_files
from namel3ss_lsp.language import Declaration, Severity, analyze

CORPUS_PARTS = ("brace", "doc_snippets")


def _files(part: str) -> list[Path]:
    return corpus_files(part)


def test_corpus_is_there():
    for part in CORPUS_PARTS + ("invalid", "mixed"):
        assert _files(part), part


@pytest.mark.parametrize("part", CORPUS_PARTS)
def test_valid_corpus_has_no_syntax_error_and_no_error(part):
    problems = []
    for path in _files(part):
        analysis = analyze(path.read_text(encoding="utf-8"))
        for d in analysis.diagnostics:
            if d.code == "syntax-error" or d.severity == Severity.ERROR:
                problems.append(f"{path}:{d.range.start.line + 1}: {d.code}: {d.message}")
    assert problems == []


@pytest.mark.parametrize("part", CORPUS_PARTS)
def test_valid_corpus_has_no_false_warning(part):
    # Every warning the corpus produced was reviewed; today there are none. A new one must be
    # looked at (true problem in the corpus, or a false alarm to fix) before this test changes.
    warnings = [
        (path.name, d.range.start.line + 1, d.message)
        for path in _files(part)
        for d in analyze(path.read_text(encoding="utf-8")).diagnostics
    ]
    assert warnings == []


# 1-based line of the syntax error each negative fixture must report.
INVALID_LINES = {
    "invalid_property_syntax.ai": 2,  # `description = "..."`: '=' instead of ':'
    "malformed_block.ai": 2,  # `invalid syntax here`
    "missing_brace.ai": 1,  # `app "MissingBrace" {` never closed
    "nested_braces.ai": 1,  # `app "TestApp" { { }`
    "unclosed_string.ai": 2,  # `description: "Test` with no closing quote
}


def test_every_invalid_file_is_listed():
    assert {p.name for p in _files("invalid")} == set(INVALID_LINES)


@pytest.mark.parametrize("name, line", sorted(INVALID_LINES.items()))
def test_invalid_corpus_fails_on_the_right_line(corpus_dir, name, line):
    (path,) = [p for p in _files("invalid") if p.name == name]
    analysis = analyze(path.read_text(encoding="utf-8"))
    lines = {d.range.start.line + 1 for d in analysis.syntax_errors}
    assert line in lines, [(d.range.start.line + 1, d.message) for d in analysis.syntax_errors]
    assert lines == {line}  # and nowhere else


def test_invalid_messages_say_what_is_wrong():
    by_name = {p.name: analyze(p.read_text(encoding="utf-8")) for p in _files("invalid")}
    assert "':'" in by_name["invalid_property_syntax.ai"].syntax_errors[0].message
    assert "unterminated string" in by_name["unclosed_string.ai"].syntax_errors[0].message
    assert "not closed" in by_name["missing_brace.ai"].syntax_errors[0].message


def test_mixed_files_do_not_crash_and_keep_their_brace_declarations():
    bench = CORPUS / "mixed/examples/llm_benchmark_lab/benchmark.ai"
    analysis = analyze(bench.read_text(encoding="utf-8"))
    assert analysis.syntax_errors == []
    names = {(d.keyword, d.name) for d in analysis.module.items if isinstance(d, Declaration)}
    assert {("llm", "fast_eval"), ("llm", "grounded_eval"), ("prompt", "benchmark_prompt"), ("memory", "run_cache")} <= names
    assert ("dataset", "benchmark_cases") in names
    assert [m.name for m in analysis.models] == ["fast_eval", "grounded_eval"]
    assert analysis.models[0].options()["temperature"] == 0.35
    assert len(analysis.module.legacy) == 4  # the four `page ... :` indentation blocks

    demo = CORPUS / "mixed/examples/action_demo.ai"
    analysis = analyze(demo.read_text(encoding="utf-8"))
    assert analysis.syntax_errors == []
    names = {(d.keyword, d.name) for d in analysis.module.items if isinstance(d, Declaration)}
    assert names == {("app", "Action System Demo"), ("memory", "app_state")}
    assert analysis.module.items[1].get("kind").value == "key_value"


def test_local_model_chat_models():
    path = CORPUS / "brace/examples/local-model-chat/app.ai"
    analysis = analyze(path.read_text(encoding="utf-8"))
    chat, vllm, localai = analysis.models
    assert (chat.name, chat.provider, chat.model) == ("chat_model", "ollama", "llama3:8b")
    assert chat.options()["num_ctx"] == 4096 and chat.is_local and chat.is_ollama
    assert chat.deployment_config["keep_alive"].value == "10m"
    assert (vllm.provider, vllm.model) == ("vllm", "microsoft/DialoGPT-large")
    assert localai.provider == "local_ai" and not localai.is_ollama
    # The long python/layout block strings hold braces and quotes: they must not leak.
    page = [d for d in analysis.module.declarations if d.keyword == "page"][0]
    assert page.get("layout").value.startswith("<!DOCTYPE html>")
    endpoints = [d.name for d in analysis.module.declarations if d.keyword == "endpoint"]
    assert endpoints[0] == "GET /api/models" and "POST /api/models/{model_name}/start" in endpoints


def test_doc_snippet_model_ids_are_single_values():
    path = CORPUS / "doc_snippets/docs__LOCAL_MODEL_DEPLOYMENT.ai"
    analysis = analyze(path.read_text(encoding="utf-8"))
    models = {m.name: m for m in analysis.models}
    assert models["local_llama"].model == "meta-llama/Llama-2-7b-chat-hf"
    assert models["high_throughput"].model == "mistralai/Mixtral-8x7B-Instruct-v0.1"
    assert models["quick_responder"].model == "phi3:mini"
    assert models["specialized_model"].provider == "vllm"  # inherited through `extends: base_config`
