"""Grammar and tree: values, positions (UTF-16), error recovery, deep nesting, grammar loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from namel3ss_lsp.language import Declaration, Entry, Expr, Position, Ref, analyze, grammar_text
from namel3ss_lsp.language.parser import GRAMMAR_NAME

from .helpers import text_at

MODEL_IDS = [
    "llama3:8b",
    "phi3:mini",
    "meta-llama/Llama-2-7b-chat-hf",
    "hf.co/bartowski/Qwen2.5-7B-GGUF:Q4_K_M",
    "localhost:5000/team/model:v1",
    "mistralai/Mixtral-8x7B-Instruct-v0.1",
    "qwen2.5-coder:7b",
    "8x7b",
]


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_unquoted_model_id_is_one_value(model_id):
    text = f"ai model m {{\n    provider: ollama\n    model: {model_id}   # comment\n}}\n"
    analysis = analyze(text)
    assert analysis.syntax_errors == []
    (md,) = analysis.models
    assert md.model == model_id
    assert text_at(text, md.model_range) == model_id
    assert isinstance(md.entries["model"].value, Ref)


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_unquoted_model_id_inline_block(model_id):
    analysis = analyze(f"ai model m {{ provider: ollama, model: {model_id} }}")
    assert analysis.syntax_errors == []
    assert analysis.models[0].model == model_id


def test_quoted_model_id_range_excludes_quotes():
    text = 'llm x {\n  provider: "ollama"\n  model: "llama3:8b"\n}\n'
    md = analyze(text).models[0]
    assert md.provider == "ollama" and md.model == "llama3:8b"
    assert text_at(text, md.model_range) == "llama3:8b"
    assert text_at(text, md.provider_range) == "ollama"


def test_scalar_values():
    text = """x {
    a: 1
    b: -2.5e3
    c: true
    d: null
    e: "tab\\there \\"q\\""
    f: 'single'
    g: env.OPENAI_API_KEY
    h: [1, "two", three]
    i: {k: v, "quoted key": 2}
    j: list[object] = []
    k: uuid(primary_key=true)
    l: 1.0.0
    m: fn(x) => x
}"""
    analysis = analyze(text)
    assert analysis.syntax_errors == []
    body = analysis.module.items[0].body
    values = {e.key: e.value for e in body.entries}
    assert values["a"] == 1 and values["b"] == -2500.0 and values["c"] is True and values["d"] is None
    assert values["e"] == 'tab\there "q"' and values["f"] == "single"
    assert values["g"] == "env.OPENAI_API_KEY" and isinstance(values["g"], Ref)
    assert values["h"] == [1, "two", "three"]
    assert values["i"] == {"k": "v", "quoted key": 2}
    assert isinstance(values["j"], Expr) and values["j"] == "list[object] = []"
    assert values["k"] == "uuid(primary_key=true)"
    assert values["l"] == "1.0.0"
    assert values["m"] == "fn(x) => x"


def test_triple_quoted_and_block_strings():
    text = '''prompt p {
    template: """
    Hello {{name}} { unbalanced
    """
    python: |
        if x: {
            return "it's"
        }
    after: 1
}
'''
    analysis = analyze(text)
    assert analysis.syntax_errors == []
    decl = analysis.module.items[0]
    assert "{{name}} { unbalanced" in decl.get("template").value
    assert decl.get("python").value == 'if x: {\n    return "it\'s"\n}'
    assert decl.get("after").value == 1


def test_block_string_ends_at_key_indentation():
    text = "step s {\n    prompt: |\n        line one\n\n        line two\n    output: result\n}\n"
    decl = analyze(text).module.items[0]
    assert decl.get("prompt").value == "line one\n\nline two"
    assert decl.get("output").value == "result"
    assert decl.get("prompt").value_range.end == Position(4, 16)


def test_comments_commas_and_unknown_keywords():
    text = """# header comment 🦙
module demo.app
import ai.models as models
language_version: "1.0"
frobnicate "thing" with extras {  # unknown keyword, parsed generically
    a: 1, b: 2   # trailing comment
    nested "n" { c: 3 }
    show text "Hello"
}
dataset users from table users
endpoint GET /api/models/{id} {
    description: "x"
}
"""
    analysis = analyze(text)
    assert analysis.syntax_errors == []
    items = analysis.module.items
    kinds = [(i.keyword, i.name) if isinstance(i, Declaration) else ("entry", i.key) for i in items]
    assert kinds == [
        ("module", "demo.app"), ("import", "ai.models"), ("entry", "language_version"),
        ("frobnicate", "thing"), ("dataset", "users"), ("endpoint", "GET /api/models/{id}"),
    ]
    frob = items[3]
    assert [t.text for t in frob.tail] == ["with", "extras"]
    assert frob.get("b").value == 2
    nested = frob.body.declarations
    assert [(d.keyword, d.name) for d in nested] == [("nested", "n"), ("show", "text")]


def test_ranges_are_utf16_after_emoji():
    # 🦙 is one code point but two UTF-16 units: the model id must still be underlined exactly.
    text = 'ai model m {\n    provider: ollama\n    note: "🦙🦙", model: llama3:8b\n}\n'
    md = analyze(text).models[0]
    line = text.split("\n")[2]
    start_cp = line.index("llama3")
    start_utf16 = len(line[:start_cp].encode("utf-16-le")) // 2
    assert start_utf16 == start_cp + 2
    assert md.model_range.start == Position(2, start_utf16)
    assert md.model_range.end == Position(2, start_utf16 + len("llama3:8b"))
    index = analyze(text).line_index
    assert index.offset(md.model_range.start) == text.index("llama3")


def test_diagnostic_range_after_emoji_in_comment():
    text = 'ai model m {  # 🦙 my model 🦙\n    provider: ollama\n    model: "Llama 3"\n}\n'
    (diag,) = analyze(text).diagnostics
    assert diag.code == "ollama-model-invalid"
    assert diag.range.start == Position(2, 12) and diag.range.end == Position(2, 19)


def test_error_recovery_two_broken_one_good():
    path = Path(__file__).parent / "fixtures" / "two_broken_one_good.ai"
    analysis = analyze(path.read_text(encoding="utf-8"))
    assert [d.range.start.line + 1 for d in analysis.syntax_errors] == [3, 18]
    names = [m.name for m in analysis.models]
    assert names == ["broken_one", "good", "broken_two"]
    good = analysis.models[1]
    assert good.model == "mistral:7b" and good.options() == {"temperature": 0.4}
    # The entries of the broken declarations that parsed are still there.
    assert analysis.models[0].provider == "ollama"
    assert analysis.models[2].model == "phi3:mini"
    # ... and no cascade: the '=' line is not also reported as a missing `model`.
    assert "missing-required" not in [d.code for d in analysis.diagnostics]


def test_unclosed_declaration_does_not_swallow_the_next_one():
    text = "ai model a {\n    provider: ollama\n    config: {\n        temperature: 0.5\n\nai model b {\n    provider: ollama\n    model: mistral:7b\n}\n"
    analysis = analyze(text)
    errors = analysis.syntax_errors
    assert len(errors) == 1 and errors[0].range.start == Position(2, 12)
    assert [m.name for m in analysis.models] == ["a", "b"]
    assert analysis.models[1].model == "mistral:7b"


def test_several_errors_in_one_file_each_on_its_line():
    text = "app a {\n  x: 1\n  y = 2\n}\n\nllm b {\n  model: \"unterminated\n}\n\npage c {\n  ok: 1\n  bad words here\n}\n"
    lines = [d.range.start.line + 1 for d in analyze(text).syntax_errors]
    assert lines == [3, 7, 12]


def test_deeply_nested_maps_do_not_recurse():
    depth = 10_000
    text = "app deep {\n    a: " + "{ a: " * depth + "1" + " }" * depth + "\n}\n"
    analysis = analyze(text)
    assert analysis.syntax_errors == []
    assert len(analysis.maps) == depth + 1
    nested_lists = "app deep {\n    a: " + "[" * depth + "]" * depth + "\n}\n"
    assert analyze(nested_lists).syntax_errors == []


def test_analyze_never_raises_on_garbage():
    for text in ["", "\n\n", "}", "{{{", '"""', "ai model", "ai model x {", "a: |", "\0\1\2", "ä" * 10, "x: (((", "@@@"]:
        analysis = analyze(text)
        assert isinstance(analysis.diagnostics, list)


def test_entries_keep_key_and_value_ranges():
    text = "ai model m {\n    provider: ollama\n    model: llama3:8b\n    config: {\n        temperature: 0.7\n    }\n}\n"
    md = analyze(text).models[0]
    entry: Entry = md.config["temperature"]
    assert text_at(text, entry.key_range) == "temperature"
    assert text_at(text, entry.value_range) == "0.7"
    assert md.decl.selection_range == md.name_range
    assert text_at(text, md.name_range) == "m"


def test_the_loaded_grammar_is_the_repository_grammar():
    """Installed from a wheel or run from the checkout, the parser reads grammar/namel3ss.lark."""
    repo_grammar = Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR_NAME
    assert "PAIR" in grammar_text() and grammar_text() == repo_grammar.read_text(encoding="utf-8")
