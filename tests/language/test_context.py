"""completion_context on half-typed text, and node_at for hover."""

from __future__ import annotations

import pytest

from namel3ss_lsp.language import Position, analyze, completion_context, node_at


def _ctx(text: str):
    """Context at the '|' marker (removed from the text)."""
    offset = text.index("|")
    clean = text[:offset] + text[offset + 1 :]
    line = clean.count("\n", 0, offset)
    col = offset - (clean.rfind("\n", 0, offset) + 1)
    return completion_context(clean, Position(line, col)), clean


HEAD = "ai model chat {\n    provider: ollama\n"


@pytest.mark.parametrize(
    "body, prefix",
    [
        ("    model: lla|\n}\n", "lla"),
        ("    model: llama3:|\n}\n", "llama3:"),
        ("    model: |\n}\n", ""),
        ("    model:|\n}\n", ""),
        ("    model: lla|", "lla"),  # unfinished file, no closing brace
        ("    model: hf.co/org/re|\n}\n", "hf.co/org/re"),
    ],
)
def test_model_id_context(body, prefix):
    ctx, _ = _ctx(HEAD + body)
    assert ctx.kind == "model-id" and ctx.section == "top" and ctx.key == "model"
    assert ctx.prefix == prefix and not ctx.quoted
    assert ctx.decl is not None and ctx.decl.name == "chat" and ctx.decl.provider == "ollama"
    assert ctx.replace_range.start == Position(2, 11) if body.startswith("    model: ") else True


def test_model_id_inside_quotes():
    ctx, _ = _ctx(HEAD + '    model: "|\n}\n')
    assert ctx.kind == "model-id" and ctx.quoted and ctx.prefix == ""
    assert ctx.replace_range.start == Position(2, 12)
    ctx, _ = _ctx('llm x {\n  provider: "ollama"\n  model: "mis|tral"\n}\n')
    assert ctx.kind == "model-id" and ctx.prefix == "mis" and ctx.decl.name == "x"
    assert (ctx.replace_range.start, ctx.replace_range.end) == (Position(2, 10), Position(2, 17))


def test_replace_range_covers_the_whole_id():
    ctx, _ = _ctx(HEAD + "    model: lla|ma3:8b\n}\n")
    assert ctx.prefix == "lla"
    assert (ctx.replace_range.start, ctx.replace_range.end) == (Position(2, 11), Position(2, 20))


def test_model_id_after_an_emoji_uses_utf16_columns():
    ctx, _ = _ctx("ai model chat {  # 🦙\n    provider: ollama\n    model: ph|\n}\n")
    assert ctx.kind == "model-id" and ctx.replace_range.start == Position(2, 11)


def test_provider_context():
    ctx, _ = _ctx("ai model chat {\n    provider: oll|\n}\n")
    assert ctx.kind == "provider" and ctx.prefix == "oll"


@pytest.mark.parametrize(
    "text, section",
    [
        ("ai model chat {\n    prov|\n}\n", "top"),
        ("ai model chat {\n    provider: ollama\n    config: {\n        tem|\n    }\n}\n", "config"),
        ("ai model chat {\n    deployment_config: {\n        |\n    }\n}\n", "deployment_config"),
    ],
)
def test_key_context(text, section):
    ctx, _ = _ctx(text)
    assert ctx.kind == "key" and ctx.section == section
    assert ctx.decl is not None and ctx.decl.name == "chat"


def test_value_context_for_other_keys():
    ctx, _ = _ctx(HEAD + "    config: {\n        auto_pull_model: t|\n    }\n}\n")
    assert ctx.kind == "value" and ctx.key == "auto_pull_model" and ctx.section == "config" and ctx.prefix == "t"


def test_model_key_outside_a_model_declaration_is_a_plain_value():
    ctx, _ = _ctx("chain c {\n    step s {\n        model: loc|\n    }\n}\n")
    assert ctx.kind == "value" and ctx.decl is None and ctx.key == "model"


def test_none_contexts():
    for text in ["ai model chat {|\n}\n", "ai model chat {\n    # model: ll|\n}\n", HEAD + '    model: "llama3" |\n}\n', "mod|"]:
        ctx, _ = _ctx(text)
        assert ctx.kind == "none", text


def test_accepts_an_analysis_too():
    text = HEAD + "    model: llama3\n}\n"
    ctx = completion_context(analyze(text), Position(2, 14))
    assert ctx.kind == "model-id" and ctx.prefix == "lla"


def test_node_at_model_id_key_and_provider():
    text = HEAD + "    model: llama3:8b\n    config: {\n        temperature: 0.7\n    }\n    deployment_config: { num_gpu: 1 }\n}\n"
    analysis = analyze(text)
    info = node_at(analysis, Position(2, 14))
    assert info.kind == "model-id" and info.decl.model == "llama3:8b"
    assert info.range.start == Position(2, 11)
    info = node_at(analysis, Position(4, 10))
    assert info.kind == "key" and info.section == "config" and info.key == "temperature"
    assert info.spec is not None and info.spec.default == 0.7 and "0 to 2" in info.spec.describe()
    info = node_at(analysis, Position(6, 27))
    assert info.kind == "key" and info.section == "deployment_config" and info.key == "num_gpu"
    info = node_at(analysis, Position(1, 15))
    assert info.kind == "provider"
    info = node_at(analysis, Position(3, 5))
    assert info.kind == "key" and info.section == "top" and info.key == "config"
    assert node_at(analysis, Position(0, 1)).kind == "none"


def test_a_provisional_analysis_gives_the_context_of_the_new_text():
    """While a big document's new text is analysed, completion reads the text itself and takes the
    models (which server a declaration uses) from the last analysis."""
    from namel3ss_lsp.language.analysis import provisional

    old = analyze('ai model chat {\n    provider: ollama\n    model: llama3\n    config: {\n        base_url: "http://127.0.0.1:1"\n    }\n}\n')
    new_text = old.text.replace("    model: llama3\n", "    model: mis\n    \n")
    quick = provisional(new_text, old)
    ctx = completion_context(quick, Position(2, len("    model: mis")))
    assert (ctx.kind, ctx.prefix) == ("model-id", "mis") and ctx.decl is old.models[0]
    assert completion_context(quick, Position(3, 4)).kind == "key"
    assert quick.text == new_text and quick.diagnostics == [] and quick.foreign is None
    assert provisional("%PDF-1.7\n", old).foreign is not None
    lone_cr = provisional("ai model a {\r    model: \r}\r", old)
    assert completion_context(lone_cr, Position(1, len("    model: "))).kind == "model-id"
