"""symbols() and folding_ranges()."""

from __future__ import annotations

from namel3ss_lsp.language import analyze, folding_ranges, symbols

TEXT = """# models
# (two comment lines)
ai model chat {
    provider: ollama
    model: llama3:8b
    config: {
        temperature: 0.7
    }
}

app "Demo" {
    page "Home" {
        show text "Hi"
    }
    agent helper {
        llm: chat
    }
}

page "Legacy" at "/":
  show text "old style"
"""


def test_symbols():
    syms = symbols(analyze(TEXT))
    assert [(s.name, s.kind) for s in syms] == [("chat", "ai model"), ("Demo", "app"), ('page "Legacy" at "/"', "legacy")]
    chat, app, legacy = syms
    assert chat.detail == "ai model · llama3:8b" and chat.lsp_kind == 5
    assert chat.selection_range.start.line == 2 and chat.range.end.line == 8
    assert [(c.name, c.kind) for c in app.children] == [("Home", "page"), ("helper", "agent")]
    assert legacy.range.start.line == 19


def test_folding_ranges():
    folds = folding_ranges(analyze(TEXT))
    assert (0, 1, "comment") in folds
    assert (2, 7, "region") in folds  # ai model chat { ... }
    assert (5, 6, "region") in folds  # config: { ... }
    assert (19, 20, "region") in folds  # the legacy block


def test_deep_nesting_outline_is_iterative():
    depth = 3000
    text = "".join(f"{'  ' * i}block b{i} {{\n" for i in range(depth)) + "}\n" * depth
    syms = symbols(analyze(text))
    node, seen = syms[0], 1
    while node.children:
        node, seen = node.children[0], seen + 1
    assert seen == depth
