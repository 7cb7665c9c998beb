"""Deep nesting (issue 17, item 6): brackets nested 500 or 10,000 deep, `{`, `[` and `(` mixed,
inside one declaration among normal ones.

It used to raise RecursionError while the checks read the value, and the whole file's diagnostics,
outline and folding became one "internal error". Now the value is read without recursion, the
place gets one `too-deep` warning (what is inside is not checked), and every other declaration
keeps its diagnostics, outline and folding; through the real server too, for every feature.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from lsprotocol import types

from namel3ss_lsp.language import analyze, completion_context, folding_ranges, node_at, symbols
from namel3ss_lsp.language.tree import MAX_NESTING
from namel3ss_lsp.language.types import Position
from tests.lsp.harness import NEOVIM

from .helpers import doc_id, free_port

_OPEN = {"{": "{ k: ", "[": "[", "(": "("}
_CLOSE = {"{": " }", "[": "]", "(": ")"}
MIXES = ["{", "[", "(", "{[(", "([{", "[("]
DEPTHS = [500, 10_000]


def nested(depth: int, mix: str, *, multiline: bool = False) -> str:
    kinds = [mix[i % len(mix)] for i in range(depth)]
    sep = "\n" if multiline else ""
    return sep.join(_OPEN[k] for k in kinds) + "1" + sep.join(_CLOSE[k] for k in reversed(kinds))


BEFORE = "ai model first {\n    provider: ollama\n    model: llama3:8b\n    config: {\n        temperature: 7\n    }\n}\n"
AFTER = "agent helper {\n    description: \"after the deep one\"\n    bogus\n}\n"
PLACES = {
    # where the deep value sits: (declaration text, line of the value inside it)
    "model config": lambda v: f"ai model deep {{\n    provider: ollama\n    model: llama3:8b\n    config: {{\n        stop: {v}\n    }}\n}}\n",
    "model id": lambda v: f"ai model deep {{\n    provider: ollama\n    model: {v}\n}}\n",
    "app entry": lambda v: f"app deep {{\n    settings: {v}\n}}\n",
    "page statement": lambda v: f"page deep {{\n    section body {{\n        show {v}\n    }}\n}}\n",
}


def document(place: str, depth: int, mix: str) -> str:
    return BEFORE + PLACES[place](nested(depth, mix)) + AFTER


def _check_the_others(analysis, text: str) -> None:
    messages = [d.message for d in analysis.diagnostics]
    assert not [m for m in messages if "internal error" in m or "Recursion" in m], messages
    deep = [d for d in analysis.diagnostics if d.code == "too-deep"]
    assert len(deep) == 1, messages
    value_line = next(i for i, line in enumerate(text.split("\n")) if "1" in line and line.count("(") + line.count("[") + line.count("{") > 50)
    assert deep[0].range.start.line == value_line
    assert str(MAX_NESTING) in deep[0].message
    # the declarations around it keep their own diagnostics...
    assert any(d.code == "out-of-range" and "temperature" in d.message for d in analysis.diagnostics), messages
    assert any("bogus" in d.message for d in analysis.diagnostics), messages
    # ... and their outline and folding
    names = [s.name for s in symbols(analysis)]
    assert names == ["first", "deep", "helper"], names
    folds = {(start, end) for start, end, _ in folding_ranges(analysis)}
    assert (0, 5) in folds and (3, 4) in folds  # `first` and its config
    helper_line = text.split("\n").index("agent helper {")
    assert (helper_line, helper_line + 2) in folds


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("mix", MIXES)
@pytest.mark.parametrize("place", list(PLACES))
def test_deep_value_is_reported_and_the_rest_analysed(place: str, mix: str, depth: int):
    text = document(place, depth, mix)
    analysis = analyze(text, remember=False)
    _check_the_others(analysis, text)
    # again, as an edit: the chunks come from the cache this time (the deep one is parsed again)
    analyze(text)
    again = analyze(text + "\n")
    _check_the_others(again, text + "\n")
    # the plain values stop at the limit, as text; they are safe to serialise
    for md in again.models:
        json.dumps(md.options(), default=str)
    completion_context(again, Position(2, 11))
    node_at(again, Position(2, 11))


@pytest.mark.parametrize("mix", ["[", "(", "[("])
def test_deep_brackets_over_many_lines(mix: str):
    text = BEFORE + PLACES["app entry"](nested(2000, mix, multiline=True)) + AFTER
    analysis = analyze(text, remember=False)
    assert not [d for d in analysis.diagnostics if "internal error" in d.message]
    assert [d.code for d in analysis.diagnostics].count("too-deep") == 1
    assert [s.name for s in symbols(analysis)] == ["first", "deep", "helper"]


def test_shallow_values_are_unchanged():
    text = "app a {\n    k: {a: 1, b: [1, 2, {c: \"d\"}], e: (1, 2), f: [[[[]]]]}\n    n: null\n}\n"
    entry = analyze(text).module.items[0].body.items[0]
    assert entry.value == {"a": 1, "b": [1, 2, {"c": "d"}], "e": [1, 2], "f": [[[[]]]]}
    deep = analyze(f"app a {{\n    k: {nested(MAX_NESTING + 5, '[')}\n}}\n").module.items[0].body.items[0].value
    depth = 0
    while isinstance(deep, list):
        deep, depth = deep[0], depth + 1
    assert depth == MAX_NESTING and deep.startswith("[")  # below the limit: the source text


async def test_deep_nesting_through_the_server(lsp):
    dead = f"http://127.0.0.1:{free_port()}"
    client = await lsp(NEOVIM, init={"ollama": {"baseUrl": dead, "requestTimeout": 1, "healthCheckInterval": 30}})
    uri = "file:///deep/nested.ai"
    text = document("model config", 10_000, "{[(")
    client.open(uri, text)
    diags = await client.wait_codes(uri, lambda codes: "too-deep" in codes, timeout=60)
    codes = [str(d.code) for d in diags]
    assert "out-of-range" in codes and any("bogus" in d.message for d in diags), codes
    assert not [d for d in diags if "internal error" in d.message]
    ident = doc_id(uri)
    symbols_result = await asyncio.wait_for(client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=ident)), 60)
    assert [s.name for s in symbols_result] == ["first", "deep", "helper"]
    folds = await asyncio.wait_for(client.text_document_folding_range_async(types.FoldingRangeParams(text_document=ident)), 60)
    assert any(f.start_line == 0 and f.end_line == 5 for f in folds)
    value_line = 11
    # every other feature answers on this document (the server survives all of them)
    positions = [types.Position(line=2, character=12), types.Position(line=value_line, character=200)]
    for position in positions:
        await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(text_document=ident, position=position)), 60)
        await asyncio.wait_for(client.text_document_completion_async(types.CompletionParams(text_document=ident, position=position)), 60)
        await asyncio.wait_for(client.text_document_definition_async(types.DefinitionParams(text_document=ident, position=position)), 60)
    await asyncio.wait_for(client.text_document_selection_range_async(
        types.SelectionRangeParams(text_document=ident, positions=positions)), 60)
    await asyncio.wait_for(client.text_document_code_lens_async(types.CodeLensParams(text_document=ident)), 60)
    await asyncio.wait_for(client.text_document_document_link_async(types.DocumentLinkParams(text_document=ident)), 60)
    await asyncio.wait_for(client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=ident)), 60)
    await asyncio.wait_for(client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=ident, options=types.FormattingOptions(tab_size=4, insert_spaces=True))), 60)
    logs = "\n".join(m.message for m in client.log_messages)
    assert "RecursionError" not in logs and "Traceback" not in logs, logs[-2000:]
