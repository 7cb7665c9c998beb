"""OllamaError's text is the guide's format; kinds let callers branch."""

from __future__ import annotations

import pickle

from namel3ss_lsp.ollama import ERROR_KINDS, METRIC_NAMES, OllamaError
from namel3ss_lsp.ollama import errors


def test_guide_format():
    err = OllamaError("Ollama model 'mistral:latest' is not available locally.", model="mistral:latest",
                      base_url="http://localhost:11434",
                      suggestion="Run: ollama pull mistral:latest\nOr enable auto_pull in your configuration.")
    assert str(err) == (
        "Ollama model 'mistral:latest' is not available locally.\n"
        "Model: mistral:latest\n"
        "Server: http://localhost:11434\n"
        "\n"
        "Suggestion: Run: ollama pull mistral:latest\n"
        "Or enable auto_pull in your configuration."
    )
    assert err.description == err.message == "Ollama model 'mistral:latest' is not available locally."
    assert err.kind == "http" and err.original_error is None


def test_optional_parts_are_left_out():
    assert str(OllamaError("Boom")) == "Boom"
    assert str(OllamaError("Boom", base_url="http://x:1")) == "Boom\nServer: http://x:1"


def test_constructors_carry_kind_and_suggestion():
    cases = [
        errors.unreachable("http://localhost:11434"),
        errors.timeout("http://localhost:11434", 5, "the model list request"),
        errors.stalled("http://localhost:11434", 5, "pull", model="x:1"),
        errors.model_missing("x:1", "http://localhost:11434"),
        errors.invalid_name("a b", "the model name has a space"),
        errors.protocol("http://localhost:11434", "bad"),
        errors.cancelled("http://localhost:11434", "Pull"),
        errors.context_exceeded("x:1", "http://localhost:11434", "too long", 2048),
        errors.host_not_allowed("http://evil:1"),
        errors.http_status("http://localhost:11434", 500, "oops", "the model list request"),
    ]
    for err in cases:
        assert err.kind in ERROR_KINDS and err.suggestion
    assert "ollama serve" in cases[0].suggestion
    assert "ollama pull x:1" in cases[3].suggestion


def test_picklable_and_dict():
    err = errors.model_missing("x:1", "http://localhost:11434")
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.kind == "not_found"
    assert err.to_dict()["baseUrl"] == "http://localhost:11434"


def test_install_suggestion_mentions_both_ways():
    assert "curl -fsSL https://ollama.com/install.sh | sh" in errors.INSTALL_SUGGESTION
    assert "https://ollama.com/download" in errors.INSTALL_SUGGESTION


def test_metric_names_are_the_guides():
    for name in ("ollama.request.duration", "ollama.tokens.total", "ollama.tokens.prompt",
                 "ollama.tokens.completion", "ollama.throughput.tokens_per_second",
                 "ollama.model.check_duration", "ollama.model.pull_duration", "ollama.stream.chunks",
                 "ollama.health.check_duration"):
        assert name in METRIC_NAMES


def test_what_a_server_says_in_an_error_is_cut():
    """An error's text becomes a diagnostic's message and a status error: an `{"error": ...}` of a
    megabyte, as an answer or as a stream line, is cut to ERROR_TEXT_MAX characters."""
    import httpx

    from namel3ss_lsp.ollama.client import ERROR_TEXT_MAX, _error_text

    answer = httpx.Response(500, json={"error": "E" * 1_000_000})
    assert len(_error_text(answer)) == ERROR_TEXT_MAX and _error_text(answer).endswith("…")
    assert _error_text(httpx.Response(404, json={"error": "model 'x' not found"})) == "model 'x' not found"
    html = httpx.Response(502, text="<html><body>" + "bad gateway " * 100 + "</body></html>")
    assert len(_error_text(html)) == 200
