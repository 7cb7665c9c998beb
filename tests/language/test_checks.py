"""One test (at least) per diagnostic code of the language core."""

from __future__ import annotations

from pathlib import Path

import pytest

from namel3ss_lsp.language import Severity, analyze

from .helpers import decl, only, text_at


def test_clean_declaration_has_no_diagnostic():
    text = decl("    config: {\n        temperature: 0.7\n        stop: [\"User:\"]\n        keep_alive: \"5m\"\n    }\n")
    assert analyze(text).diagnostics == []


def test_unknown_key_in_ollama_config_suggests_the_right_key():
    text = decl("    config: {\n        temprature: 0.7\n    }\n")
    (d,) = analyze(text).diagnostics
    assert d.code == "unknown-key" and d.severity == Severity.WARNING
    assert "did you mean 'temperature'?" in d.message
    assert text_at(text, d.range) == "temprature"


def test_unknown_top_level_key_of_a_model_declaration():
    (d,) = analyze(decl("    providr_url: 1\n")).diagnostics
    assert d.code == "unknown-key" and "ai model 'm'" in d.message


def test_unknown_key_only_where_the_schema_is_authoritative():
    vllm = decl("    config: {\n        context_length: 2048\n    }\n    deployment_config: {\n        gpu_memory_utilization: 0.9\n    }\n", provider="vllm", model="meta-llama/Llama-2-7b-chat-hf")
    assert analyze(vllm).diagnostics == []
    # Keys of other declarations are never checked.
    assert analyze("agent a {\n    whatever_key: 1\n}\n").diagnostics == []
    # An openai `llm` takes provider-specific flat keys.
    assert analyze('llm x {\n  provider: "openai"\n  model: "gpt-4"\n  frequency_penalty: 0.2\n}\n').diagnostics == []


def test_ollama_llm_flat_keys_are_checked():
    text = 'llm x {\n  provider: "ollama"\n  model: "llama3"\n  temperature: 9\n  num_ctxx: 4\n}\n'
    found = {d.code for d in analyze(text).diagnostics}
    assert found == {"out-of-range", "unknown-key"}


def test_invalid_type():
    text = decl("    config: {\n        temperature: \"hot\"\n        num_ctx: 4096.5\n        auto_pull_model: \"yes\"\n        stop: \"User:\"\n        base_url: \"localhost\"\n        keep_alive: \"300\"\n    }\n")
    diags = only(analyze(text), "invalid-type")
    assert len(diags) == 6
    assert all(d.severity == Severity.ERROR for d in diags)
    assert "must be a number" in diags[0].message
    assert "missing" not in diags[-1].message and "unit" in diags[-1].message


def test_references_are_not_type_checked():
    assert analyze(decl("    config: {\n        temperature: env.TEMPERATURE\n    }\n")).diagnostics == []


def test_out_of_range():
    text = decl("    config: {\n        temperature: 2.5\n        top_p: 1.5\n        top_k: 0\n        repeat_penalty: 0\n        port: 70000\n    }\n")
    diags = only(analyze(text), "out-of-range")
    assert [text_at(text, d.range) for d in diags] == ["2.5", "1.5", "0", "0", "70000"]
    assert "0 to 2" in diags[0].message and "greater than 0" in diags[3].message


def test_duplicate_key():
    text = decl("    config: {\n        temperature: 0.1\n        temperature: 0.2\n    }\n")
    (d,) = analyze(text).diagnostics
    assert d.code == "duplicate-key" and d.severity == Severity.WARNING
    assert d.range.start.line == 5 and "line 5" in d.message


def test_duplicate_declaration():
    text = decl("", name="same") + decl("", name="same") + 'llm same {\n  provider: "openai"\n  model: "gpt-4"\n}\n'
    diags = only(analyze(text), "duplicate-declaration")
    assert len(diags) == 2 and all(d.severity == Severity.ERROR for d in diags)
    assert "line 1" in diags[0].message
    # Statements and different kinds are not duplicates.
    assert analyze('page p {\n  show text "a"\n  show text "b"\n}\ndataset x from table x\nmemory x { kind: "a" }\n').diagnostics == []


def test_missing_required_model():
    text = "ai model m {\n    provider: ollama\n}\n"
    (d,) = analyze(text).diagnostics
    assert d.code == "missing-required" and d.severity == Severity.ERROR
    assert text_at(text, d.range) == "m"


def test_templates_may_leave_out_the_model():
    text = "ai model base {\n  provider: ollama\n}\nai model child {\n  extends: base\n  model: llama3:8b\n}\n"
    analysis = analyze(text)
    assert analysis.diagnostics == []
    assert analysis.models[1].provider == "ollama"


def test_ollama_model_invalid_with_reason():
    text = decl("", model='"llama 3:8b"')
    (d,) = analyze(text).diagnostics
    assert d.code == "ollama-model-invalid" and d.severity == Severity.ERROR
    assert "space" in d.message
    assert d.data == {"model": "llama 3:8b", "baseUrl": None}
    assert text_at(text, d.range) == "llama 3:8b"


def test_model_names_are_only_checked_for_ollama():
    assert analyze(decl("", provider="vllm", model='"weird name!"')).diagnostics == []


def test_deployment_config_on_a_cloud_provider():
    text = decl("    deployment_config: {\n        num_gpu: 1\n    }\n", provider="openai", model="gpt-4o")
    (d,) = analyze(text).diagnostics
    assert d.code == "unknown-key" and d.severity == Severity.ERROR
    assert "local providers" in d.message and text_at(text, d.range) == "deployment_config"


def test_unknown_provider_is_a_warning():
    (d,) = analyze(decl("", provider="olama")).diagnostics
    assert d.code == "out-of-range" and d.severity == Severity.WARNING and "did you mean 'ollama'" in d.message


def test_ollama_deployment_config_keys():
    text = decl("    deployment_config: {\n        num_gpu: 1\n        num_threads: 8\n        auto_start_server: true\n    }\n")
    (d,) = analyze(text).diagnostics
    assert d.code == "unknown-key" and "did you mean 'num_thread'?" in d.message


def test_syntax_error_code_and_severity():
    (d,) = analyze("app a {\n  x = 1\n}\n").diagnostics
    assert d.code == "syntax-error" and d.severity == Severity.ERROR and d.source == "namel3ss"
    lsp = d.to_lsp()
    assert lsp["range"]["start"] == {"line": 1, "character": 4} and lsp["severity"] == 1


def test_typo_and_range_fixture():
    path = Path(__file__).parent / "fixtures" / "typo_and_range.ai"
    diags = analyze(path.read_text(encoding="utf-8")).diagnostics
    assert [(d.code, d.range.start.line + 1) for d in diags] == [("unknown-key", 5), ("out-of-range", 6)]


@pytest.mark.parametrize(
    "text, line, words",
    [
        ('app "One"\napp "Two"\n', 1, "second one"),
        ("import\nllm x {\n  provider: \"openai\"\n}\n", 0, "needs a module name"),
        ('llm fast_llm\nagent a {\n}\n', 0, "has no { } block"),
        ('tool "search"\n', 0, "has no { } block"),
    ],
)
def test_invalid_file_structure_is_an_error(text, line, words):
    errors = [d for d in analyze(text).diagnostics if d.severity == Severity.ERROR]
    assert [(d.range.start.line, words in d.message) for d in errors] == [(line, True)], errors


@pytest.mark.parametrize(
    "text",
    [
        'llm "gpt4" {\n  provider: "openai"\n}\n',  # a hosted provider needs no model here
        'app "Demo"\ndataset users from table users\n',  # complete one-line declarations
        'module a.b\nimport shared.tools\nuse tools\n',
    ],
)
def test_valid_declarations_get_no_error(text):
    assert [d for d in analyze(text).diagnostics if d.severity == Severity.ERROR] == []
