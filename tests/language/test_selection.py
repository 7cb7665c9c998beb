"""selection_ranges(): fixtures with a `$0` cursor, and the texts each step selects, innermost first."""

from __future__ import annotations

import pytest

from namel3ss_lsp.language import analyze
from namel3ss_lsp.language.selection import selection_ranges, spans
from namel3ss_lsp.language.types import Position

MODEL = """ai model chat {
    provider: ollama
    model: llama3:8b
    config: {
        temperature: 0.7
        stop: ["###", "User:"]
    }
}
"""


def check(fixture: str, *expected: str) -> None:
    """`expected`: the selected texts from the innermost up to (not including) the whole file."""
    offset = fixture.index("$0")
    text = fixture.replace("$0", "", 1)
    chain = spans(analyze(text), offset)
    assert chain[0] == (0, len(text))
    assert [text[s:e] for s, e in reversed(chain[1:])] == list(expected)


CASES = [
    # value -> key: value -> the braces -> the entry holding them -> ... -> the declaration
    ("llama$03:8b", ["llama3:8b", "model: llama3:8b", "{BODY}", "{DECL}"]),
    ("temperature: 0$0.7", ["0.7", "temperature: 0.7", "{CONFIG}", "config: {CONFIG}", "{BODY}", "{DECL}"]),
    # a key is its own step
    ("temper$0ature", ["temperature", "temperature: 0.7", "{CONFIG}", "config: {CONFIG}", "{BODY}", "{DECL}"]),
    # strings: the text, then with quotes; lists add their brackets
    ('"Us$0er:"', ["User:", '"User:"', '["###", "User:"]', 'stop: ["###", "User:"]', "{CONFIG}", "config: {CONFIG}", "{BODY}", "{DECL}"]),
    # the header: name, header, declaration
    ("ai model ch$0at", ["chat", "ai model chat", "{DECL}"]),
    # between entries: the block
    ("ollama\n$0    model", ["{BODY}", "{DECL}"]),
]


@pytest.mark.parametrize("needle,expected", CASES, ids=[c[0] for c in CASES])
def test_model_declaration(needle, expected):
    target = needle.replace("$0", "")
    fixture = MODEL.replace(target, needle, 1)
    config = MODEL[MODEL.index("{\n        temperature") : MODEL.index("}\n}") + 1]
    body = MODEL[MODEL.index("{") : MODEL.rindex("}") + 1]
    decl = MODEL.rstrip("\n")
    texts = [e.replace("{CONFIG}", config).replace("{BODY}", body).replace("{DECL}", decl) for e in expected]
    check(fixture, *texts)


def test_nested_declarations_and_calls():
    fixture = 'app "A" {\n    page "Home" {\n        show text "Hi" style {\n            size: px(1$02)\n        }\n    }\n}\n'
    text = fixture.replace("$0", "")
    style = text[text.index("{\n            size") : text.index("}\n    }") + 1]
    page = text[text.index('page "Home"') : text.index("    }\n}") + 5]
    check(
        fixture,
        "12", "(12)", "px(12)", "size: px(12)", style, 'show text "Hi" style ' + style,
        page[page.index("{") :], page, text[text.index("{") : text.rindex("}") + 1], text.rstrip("\n"),
    )


def test_legacy_block_and_outside_everything():
    fixture = 'page "Old" at "/":\n  show text "$0x"\n\n# c\n'
    check(fixture, 'page "Old" at "/":\n  show text "x"\n')
    check("# c$0omment\napp x {\n}\n")  # a comment at the top level: the file only


def test_one_chain_per_position_with_lsp_ranges():
    analysis = analyze(MODEL)
    first, second = selection_ranges(analysis, [Position(2, 14), Position(99, 0)])
    assert (first.range.start, first.range.end) == (Position(2, 11), Position(2, 20))
    assert (first.parent.range.start, first.parent.range.end) == (Position(2, 4), Position(2, 20))
    node, steps = first, 0
    while node.parent is not None:
        assert node.parent.range.start <= node.range.start and node.range.end <= node.parent.range.end
        node, steps = node.parent, steps + 1
    assert steps == 4 and node.range.start == Position(0, 0)
    assert second.parent is None  # past the end: the file


def test_emoji_before_a_value_counts_utf16():
    text = 'app x {\n    note: "🎉 hi" # 🎉\n    n: 5\n}\n'
    [chain] = selection_ranges(analyze(text), [Position(2, 8)])
    assert (chain.range.start, chain.range.end) == (Position(2, 7), Position(2, 8))
    [chain] = selection_ranges(analyze(text), [Position(1, 14)])
    assert (chain.range.start, chain.range.end) == (Position(1, 11), Position(1, 16))  # inside the quotes: the emoji counts two


def test_deep_nesting_is_iterative():
    depth = 3000
    text = "".join(f"b{i} {{\n" for i in range(depth)) + "x: 1\n" + "}\n" * depth
    chain = spans(analyze(text), text.index("x: 1") + 3)
    assert len(chain) > 2 * depth
