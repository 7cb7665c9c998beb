"""The parser's shortcut (`language/fastpath.py`) builds exactly what Lark builds, chunk by chunk.

Each chunk of the corpus, and of many mangled copies of it (brackets, quotes, separators, block
strings, comments inserted anywhere), is parsed twice with `parse_region`: with the shortcut and
with Lark alone. The items, the errors and the lists of maps and declarations collected must be
the same, node for node (type, offsets, every field), whichever path produced them.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from namel3ss_lsp.language import parser
from namel3ss_lsp.language.parser import Collected, parse_region
from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.language.scan import scan
from namel3ss_lsp.language.tree import Atom, Declaration, Doc, Entry, ListNode, Map, Value
from tests.language.test_incremental import _texts


def _dump(node, seen: dict) -> object:
    """A node as nested tuples of its type, offsets and fields (shared nodes by first number)."""
    if id(node) in seen:
        return ("seen", seen[id(node)])
    seen[id(node)] = len(seen)
    row: list = [type(node).__name__, node.start, node.end]
    if isinstance(node, Atom):
        row += [node.kind, node.text, type(node.value).__name__, node.value]
    elif isinstance(node, Value):
        row += [tuple(_dump(p, seen) for p in node.parts)]
    elif isinstance(node, Entry):
        row += [node.key, node.key_start, node.key_end, None if node.value_node is None else _dump(node.value_node, seen)]
    elif isinstance(node, Map):
        row += [node.closed, node.partial, tuple(_dump(i, seen) for i in node.items)]
    elif isinstance(node, ListNode):
        row += [tuple(_dump(i, seen) for i in node.items)]
    elif isinstance(node, Declaration):
        row += [tuple(node.keywords), node.name, node.name_start, node.name_end,
                tuple(_dump(p, seen) for p in node.parts), None if node.body is None else _dump(node.body, seen),
                tuple(seen.get(id(p)) for p in node.tail)]
    return tuple(row)


def _parse(masked: str, start: int, end: int, doc: Doc) -> tuple:
    sink = Collected()
    items, errors = parse_region(masked, start, end, doc, sink)
    seen: dict = {}
    tree = tuple(_dump(i, seen) for i in items)
    return tree, tuple(errors), tuple(seen.get(id(m), _dump(m, seen)) for m in sink.maps), tuple(seen.get(id(d), _dump(d, seen)) for d in sink.decls)


class _NoShortcut:
    def parse(self, text):
        return None


def _compare(text: str, monkeypatch) -> tuple[int, int]:
    """Compare both paths on every chunk of `text`; returns (chunks, chunks the shortcut took)."""
    result = scan(text)
    doc = Doc(text, LineIndex(text))
    real = parser._fast_path()
    chunks = 0
    taken = []

    class Counting:
        def parse(self, region):
            items = real.parse(region)
            taken.append(items is not None)
            return items

    for chunk in result.chunks:
        if chunk.kind == "legacy":
            continue
        chunks += 1
        region = result.masked[chunk.start : chunk.end]
        with monkeypatch.context() as patch:
            patch.setattr(parser, "_fast_path", Counting)
            fast = _parse(result.masked, chunk.start, chunk.end, doc)
        with monkeypatch.context() as patch:
            patch.setattr(parser, "_fast_path", _NoShortcut)
            slow = _parse(result.masked, chunk.start, chunk.end, doc)
        assert fast == slow, region
    return chunks, sum(taken)


def test_the_corpus_parses_the_same_and_mostly_fast(monkeypatch):
    chunks = taken = 0
    for text in _texts():
        c, t = _compare(text, monkeypatch)
        chunks, taken = chunks + c, taken + t
    assert taken >= 0.85 * chunks, (taken, chunks)


SNIPPETS = [
    "[", "]", "{", "}", "(", ")", ",", ":", ": ", '"', "'", '"""', "'''", "#", "# c\n", "\n", "\n\n", " ", "\t",
    "=", "=>", "|", ">", ": |\n  a\n", "-", "+", ".", "/", "/api/{x}", "0", "1.5", "8b", "x", "key: ", "a b",
    "[1, 2]", "[\n", "{a: 1}", "\0", "é", "🦙", "\\", "$", "@", "::", "1e5", "-3", ".5", "key: [", "key: {",
    '"k": ', "x,", "]\n", "}\n", "f(x=1)", "a = b", "(a, b)", "=> y", "list[str] = []", 'step "s" {', ")\n",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10_000), st.lists(st.tuples(st.floats(0, 1), st.sampled_from(SNIPPETS), st.sampled_from([0, 0, 1, 2, 5])), min_size=1, max_size=6))
def test_mangled_chunks_parse_the_same(monkeypatch, which, changes):
    texts = _texts()
    text = texts[which % len(texts)]
    # a window of the file keeps each example fast; edits land anywhere in it
    at = (which * 7919) % max(1, len(text) - 3000)
    text = text[at : at + 3000]
    for where, snippet, cut in changes:
        i = int(where * len(text))
        text = text[:i] + snippet + text[i + cut :]
    _compare(text, monkeypatch)


@pytest.mark.parametrize("text", [
    "key: [a, 'b', 3, -4.5, x.y, /p, [1, [2]], {k: v}]\n",
    'app "A" {\n  tools: [\n    "t1",\n    "t2",  # c\n\n  ]\n  x: 1, y: 2\n}\n',
    'endpoint POST /api/chat {\n  body: {\n    "m": "{{x}}",\n  }\n}\n',
    'prompt p {\n  template: """\n  {a}\n  """\n}\n',
    "k: |\n  text\n",
    "use shared.tools",
    "dataset d from table t",
    "a { b: [ ] }",
    "a {\n b: c d\n}",  # two parts: Lark
    "a {\n b: c = d\n}",  # '=': Lark
    "a {\n b: (c)\n}",  # a group: Lark
    "a {\n b: [c\n}",  # unclosed: Lark
    "a {\n b: 1 }",
    "a { b: 1, c: [2,], }",
    "x: " + "[" * 100 + "]" * 100,  # deeper than the shortcut goes
    'dataset d {\n  id: uuid(primary_key=true)\n  tags: list[str] = []\n  p: str = "a", q: fn(x) => x\n}',
    'agent a {\n  steps: [\n    step "one" {\n      run: x\n    },\n    step "two" { }\n  ]\n}',
    'app "A" (theme=dark, n=1) {\n}',
    "a {\n b: c = \n}",  # nothing after '=': Lark
    "a {\n b: c: d\n}",  # ':' after a value: Lark
])
def test_shapes(monkeypatch, text):
    _compare(text, monkeypatch)


# ---- generated files: mostly valid, every shape the shortcut reads, sometimes mangled -----------

_ATOMS = ["a", "b-c", "x.y", "env.K", "llama3:8b", "8b", "1", "-2.5", "1e3", ".5", "0", '"s"', "'t'", '""',
          '"a\\"b"', '"""tri\n {x} """', "/p/{x}", "$v", "true", "None", "é", "hf.co/o/r:Q4"]


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def ws(self) -> str:
        return self.rng.choice([" ", "", "  ", "\t"])

    def value(self, d: int) -> str:
        rng, r = self.rng, self.rng.random()
        if d < 4 and r < 0.15:
            items = rng.choice([",", ", ", ",\n  "]).join(self.value(d + 1) for _ in range(rng.randint(0, 4)))
            return "[" + self.ws() + items + rng.choice(["", ",", "\n"]) + self.ws() + "]"
        if d < 4 and r < 0.25:
            return "{" + rng.choice(["", "\n", " # c\n"]) + self.body(d + 1, inline=True) + "}"
        if d < 4 and r < 0.3:
            args = ", ".join(rng.choice(_ATOMS) + rng.choice(["", "=" + rng.choice(_ATOMS)]) for _ in range(rng.randint(0, 3)))
            return rng.choice(_ATOMS) + "(" + args + ")"
        if r < 0.35:
            return rng.choice(_ATOMS) + self.ws() + rng.choice(["=", "=>"]) + self.ws() + rng.choice(_ATOMS)
        if r < 0.4:
            return rng.choice(_ATOMS) + " " + rng.choice(_ATOMS)
        if r < 0.43:
            return "|\n      text\n"
        return rng.choice(_ATOMS)

    def entry(self, d: int, inline: bool = False) -> str:
        rng, r = self.rng, self.rng.random()
        indent = "" if inline else "  " * (d + 1)
        if d < 4 and r < 0.2:
            head = rng.choice(["step", "page", "ai model", "tool"]) + " " + rng.choice(["x", '"y"', "z w"])
            return indent + head + self.ws() + "{" + rng.choice(["", "  # c"]) + "\n" + self.body(d + 1) + indent + "}"
        if r < 0.3:
            return indent + rng.choice(["use x.y", "dataset d from table t", "endpoint GET /api/{id}", 'show text "Hi"'])
        key = rng.choice(["k", "model", "num_ctx", '"quoted key"', "a-b", "x1", "show text", "_k"])
        return indent + key + self.ws() + ":" + rng.choice([" ", "  ", "\t", ""]) + self.value(d) + rng.choice(["", "", "  # c"])

    def body(self, d: int, inline: bool = False) -> str:
        seps = [", ", "\n", ","] if inline else ["\n", "\n\n", ",\n", ", ", "\n  # comment\n"]
        return "".join(self.entry(d, inline) + self.rng.choice(seps) for _ in range(self.rng.randint(0, 5)))

    def file(self) -> str:
        rng = self.rng
        text = rng.choice(["ai model m", 'app "A"', "agent a", "x"]) + " {\n" + self.body(0) + "}\n"
        text += rng.choice(["", "llm l {\n" + self.body(0) + "}\n", "use a.b\n"])
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            i = rng.randrange(len(text) + 1)
            text = text[:i] + rng.choice(SNIPPETS) + text[i + rng.choice([0, 0, 1, 2]) :]
        return text


def test_generated_files_parse_the_same(monkeypatch):
    generator = _Generator(14)
    chunks = taken = 0
    for _ in range(400):
        c, t = _compare(generator.file(), monkeypatch)
        chunks, taken = chunks + c, taken + t
    assert taken >= chunks // 3, (taken, chunks)  # the shortcut was exercised, not only Lark


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS + ["key: value", "k:\t'v'", "n: -1.5e3", "w: a.b::c/d@e", "x: 1abc",
                                            "y: 1.5.6", " # note", "\r\n", "\n  ", "\f", "  "]), max_size=12))
def test_the_builders_pair_token_is_the_grammars_pair(snippets):
    """The fast path finds PAIR tokens with the builder's regex (which has groups for key and
    value): at every offset of any text it must match exactly what the grammar's PAIR matches."""
    grammar_pair = next(t for t in parser.get_parser().terminals if t.name == "PAIR")
    expected = re.compile(grammar_pair.pattern.to_regexp())
    text = "".join(snippets)
    for i in range(len(text) + 1):
        want, got = expected.match(text, i), parser.PAIR_TOKEN.match(text, i)
        assert (want and want.end()) == (got and got.end()), (text, i)
