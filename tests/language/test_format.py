"""The formatter (language/format.py): layout rules as tables, meaning kept on the whole corpus,
range and on-type edits, odd inputs, and idempotence on generated documents (hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from namel3ss_lsp.language import analyze
from namel3ss_lsp.language.format import FormatOptions, format_document, format_text
from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.language.tree import Atom, Declaration, Entry, ListNode, Map, Value
from tests.conftest import CORPUS, corpus_files

# ---- meaning kept: what a test compares ---------------------------------------------------------


def tokens(text: str) -> list[tuple]:
    """Every key, bracket and value token of the syntax tree, in order, with its exact text."""
    out: list[tuple] = []
    stack = list(reversed(analyze(text, remember=False).module.items))
    while stack:
        node = stack.pop()
        if isinstance(node, Atom):
            out.append((node.kind, node.text))
            continue
        if isinstance(node, Declaration):
            kids = list(node.parts) + ([node.body] if node.body is not None else [])
        elif isinstance(node, Entry):
            out.append(("key", node.key))
            kids = [node.value_node] if node.value_node is not None else []
        elif isinstance(node, Map):
            out.append(("{",))
            kids = list(node.items)
        elif isinstance(node, ListNode):
            out.append(("[",))
            kids = list(node.items)
        elif isinstance(node, Value):
            kids = list(node.parts)
        else:
            kids = []
        stack.extend(reversed(kids))
    return out


def squeezed_lines(text: str) -> list[str]:
    """The non-blank lines with all whitespace removed: tokens, comments and which line each is
    on are kept; only indentation, spacing and blank lines may differ."""
    lines = (re.sub(r"[\s\ufeff]+", "", line) for line in re.split(r"\r\n|\r|\n", text))  # LSP's line breaks
    return [line for line in lines if line]


def diagnostics(text: str) -> set[tuple[str, str]]:
    return {(d.code, re.sub(r"line \d+", "line N", d.message)) for d in analyze(text, remember=False).diagnostics}


def legacy_blocks(text: str) -> list[str]:
    analysis = analyze(text, remember=False)
    return [text[s:e].rstrip() for s, e in analysis.module.legacy]


def assert_meaning_kept(before: str, after: str) -> None:
    assert squeezed_lines(before) == squeezed_lines(after)
    assert tokens(before) == tokens(after)
    assert diagnostics(after) <= diagnostics(before), diagnostics(after) - diagnostics(before)
    assert legacy_blocks(before) == legacy_blocks(after)


def apply(text: str, edits) -> str:
    """The edits applied as an editor does: a lone CR is a line break too (LSP)."""
    index = LineIndex(re.sub(r"\r(?!\n)", "\n", text))  # same offsets
    for edit in sorted(edits, key=lambda e: (e.range.start, e.range.end), reverse=True):
        start, end = index.offset(edit.range.start), index.offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


# ---- the rules, as a table ---------------------------------------------------------------------

CASES = [
    # canonical indentation by nesting; one space after ':' and before '{'
    ('app "x"{\n  a:   1\n  "b":2\n  m:{\n  k: 1\n      }\n}\n',
     'app "x" {\n    a: 1\n    "b": 2\n    m: {\n        k: 1\n    }\n}\n'),
    # words with ':' inside are one token (`llama3:8b`, `a::b`): never split
    ("llm m {\n\tmodel: llama3:8b\n\tref: a::b\n}\n", "llm m {\n    model: llama3:8b\n    ref: a::b\n}\n"),
    # trailing whitespace; end-of-line comments stay on their line, their spacing too
    ("app x {  \n  a: 1      # why   \n}   \n", "app x {\n    a: 1      # why\n}\n"),
    # blank lines: one at most, none at the top of a block or before its '}'
    ("app x {\n\n\n  a: 1\n\n\n\n  b: 2\n\n}\n", "app x {\n    a: 1\n\n    b: 2\n}\n"),
    # one blank line between top-level declarations; none at the start or end of the file
    ("\n\n# top\napp x {\n}\n\n\n\nllm y {\n  model: a\n}\nllm z {\n  model: b\n}\n\n\n",
     "# top\napp x {\n}\n\nllm y {\n    model: a\n}\n\nllm z {\n    model: b\n}\n"),
    # consecutive one-line statements stay together; a block after them is set apart
    ("module a.b\nimport c\nimport d\napp x {\n}\n", "module a.b\nimport c\nimport d\n\napp x {\n}\n"),
    # comments directly above a declaration stay attached to it
    ("app x {\n}\n# about y\nllm y {\n  model: a\n}\n", "app x {\n}\n\n# about y\nllm y {\n    model: a\n}\n"),
    # lists and call arguments: a line inside brackets is one level deeper than the line opening them
    ("app x {\n  a: [\n  1,\n          2\n        ]\n  b: f(1,\n 2)\n  c: [{\n k: 1\n }, {\n k: 2\n }]\n}\n",
     "app x {\n    a: [\n        1,\n        2\n    ]\n    b: f(1,\n        2)\n    c: [{\n        k: 1\n    }, {\n        k: 2\n    }]\n}\n"),
    # route paths keep their braces; the block's '{' gets its space
    ("endpoint GET /api/models/{id}{\n  x: 1\n}\n", "endpoint GET /api/models/{id} {\n    x: 1\n}\n"),
    # quoting style kept, escapes and string contents untouched
    ("app x {\n  a:'single'\n  b: \"tab\\there   \"\n}\n", "app x {\n    a: 'single'\n    b: \"tab\\there   \"\n}\n"),
    # triple-quoted strings: every line as it was (trailing spaces included)
    ('prompt p {\n  template: """\n  keep   \n     this\n  """  \n  x: 1\n}\n',
     'prompt p {\n    template: """\n  keep   \n     this\n  """\n    x: 1\n}\n'),
    # YAML block strings: content lines untouched, the key re-indented (still shallower)
    ("step s {\n        prompt: |\n            Hello\n\n              {{name}}   \n        next: 1\n}\n",
     "step s {\n    prompt: |\n            Hello\n\n              {{name}}\n    next: 1\n}\n"),
    # legacy indentation blocks are left exactly as they are
    ('page "Home" at "/":\n   show text "Hi"   \n      show text "Deep"\napp x {\n a: 1\n}\n',
     'page "Home" at "/":\n   show text "Hi"   \n      show text "Deep"\n\napp x {\n    a: 1\n}\n'),
    # a final line break
    ("app x {\n a: 1\n}", "app x {\n    a: 1\n}\n"),
    ("", ""),
    ("\n \n\t\n", ""),
]


@pytest.mark.parametrize("before,after", CASES)
def test_rules(before, after):
    assert format_text(before) == after
    assert format_text(after) == after
    assert_meaning_kept(before, after)


def test_tab_size_and_tabs():
    text = "app x {\n a: {\n b: 1\n }\n}\n"
    assert format_text(text, FormatOptions(tab_size=2)) == "app x {\n  a: {\n    b: 1\n  }\n}\n"
    assert format_text(text, FormatOptions(insert_spaces=False)) == "app x {\n\ta: {\n\t\tb: 1\n\t}\n}\n"


def test_line_endings_and_byte_order_mark_are_kept():
    assert format_text("app x {\r\n  a: 1\r\n}\r\nllm y {\r\n model: m\r\n}") == "app x {\r\n    a: 1\r\n}\r\n\r\nllm y {\r\n    model: m\r\n}\r\n"
    assert format_text("app x {\r  a: 1\r}\r") == "app x {\r    a: 1\r}\r"  # old Mac line ends
    assert format_text("\ufeff  # hi\napp x {\n a: 1\n}\n") == "\ufeff# hi\napp x {\n    a: 1\n}\n"
    # a CRLF file: line breaks inside a triple-quoted string are part of the string
    text = 'app x {\r\n  t: """a\r\nb"""\r\n}\r\n'
    assert format_text(text) == 'app x {\r\n    t: """a\r\nb"""\r\n}\r\n'


def test_block_string_that_cannot_move_keeps_its_declaration():
    """Content indented 8 under a key that 4-space indentation would put at column 12: re-indenting
    would end the block string early, so that declaration is left as it is, and said so."""
    text = "a {\n  b {\n    c {\n      prompt: |\n        hello\n      next: 1\n    }\n  }\n}\nllm m {\n  model: x\n}\n"
    result = format_document(text)
    assert result.text == text.replace("\n  model: x", "\n    model: x").replace("}\nllm", "}\n\nllm")
    [skipped] = result.skipped
    assert (skipped.first_line, skipped.last_line, skipped.syntax_error) == (0, 8, False)
    assert "block string" in skipped.reason
    assert format_text(text, FormatOptions(tab_size=2)) == text.replace("}\nllm", "}\n\nllm").replace("\n  model: x", "\n  model: x")


def test_block_string_whose_next_line_would_join_it():
    text = "step { prompt: |\n    content\n  other: 1\n}\n"  # `other: 1` is content (deeper than the key)
    assert format_text(text) == text
    assert_meaning_kept(text, format_text(text))


# ---- syntax errors: formatted where it parses, never garbled -----------------------------------


def test_broken_declaration_is_left_as_is_and_the_rest_is_formatted():
    text = "app x {\n  a: 1\n}\nllm bad {\n  model = 3\n   }\nllm good {\n      model: m\n}\nagent open {\n  a: 1\n"
    result = format_document(text)
    # (no blank line is added next to a broken declaration: the pre-pass may count it as its own)
    assert result.text == "app x {\n    a: 1\n}\nllm bad {\n  model = 3\n   }\nllm good {\n    model: m\n}\nagent open {\n  a: 1\n"
    assert [(s.first_line, s.last_line, s.syntax_error) for s in result.skipped] == [(3, 5, True), (9, 10, True)]
    assert "'='" in result.skipped[0].reason and "'{' is not closed" in result.skipped[1].reason
    assert format_text(result.text) == result.text


@pytest.mark.parametrize("path", corpus_files("invalid"), ids=lambda p: p.name)
def test_invalid_corpus_is_never_garbled(path):
    text = path.read_text(encoding="utf-8")
    result = format_document(text)
    assert result.error is None and result.skipped
    assert squeezed_lines(result.text) == squeezed_lines(text)
    for part in result.skipped:
        assert text.splitlines()[part.first_line : part.last_line + 1] == result.text.splitlines()[part.first_line : part.last_line + 1]
    assert format_text(result.text) == result.text


def test_binary_and_illustrator_files_are_not_formatted():
    for text in ("%PDF-1.5\n%\xe2\xe3\n1 0 obj\n", "%!PS-Adobe-3.0\n", "app x {\n\0\n}\n"):
        result = format_document(text)
        assert result.text == text and result.error and result.edits() == []


# ---- the real corpus ---------------------------------------------------------------------------

VALID = [p for p in corpus_files() if "invalid" not in p.relative_to(CORPUS).parts]
OPTIONS = [FormatOptions(), FormatOptions(tab_size=2), FormatOptions(insert_spaces=False)]


@pytest.mark.parametrize("options", OPTIONS, ids=["4-spaces", "2-spaces", "tabs"])
@pytest.mark.parametrize("path", VALID, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_formats_to_a_fixed_point_and_keeps_its_meaning(path, options):
    text = path.read_text(encoding="utf-8")
    result = format_document(text, options)
    assert result.error is None and result.skipped == []
    assert format_text(result.text, options) == result.text
    assert_meaning_kept(text, result.text)
    assert apply(text, result.edits()) == result.text


def test_corpus_is_really_reformatted():
    """Not a formatter that does nothing: the 2-space files change, the 4-space ones barely."""
    changed = [p.name for p in VALID if format_text(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")]
    assert "agent_workflow.ai" in changed and len(changed) > len(VALID) // 2


# ---- edits: minimal, ranges, on typing '}' -----------------------------------------------------

MESSY = "app x {\n  a: 1\n  b: {\n  c: 2\n  }\n}\nllm y {\n  model: m\n}\n"


def test_edits_are_one_per_run_of_changed_lines():
    result = format_document(MESSY)
    edits = result.edits()
    assert apply(MESSY, edits) == result.text
    # lines 1-5 (the blank line after `}` belongs to line 5), then line 7
    assert [(e.range.start.line, e.range.end.line) for e in edits] == [(1, 6), (7, 8)]
    assert format_document(result.text).edits() == []


def test_range_edits_change_only_the_range():
    result = format_document(MESSY)
    edited = apply(MESSY, result.edits(3, 4))
    assert edited.splitlines() == MESSY.splitlines()[:3] + ["        c: 2", "    }"] + MESSY.splitlines()[5:]


def test_block_lines_for_on_type_formatting():
    result = format_document(MESSY)
    close = MESSY.index("  }\n") + 2
    assert result.block_lines(close + 1) == (2, 4)  # the cursor just after the '}'
    assert result.block_lines(close) == (2, 4)
    assert apply(MESSY, result.edits(2, 4)).splitlines()[2:5] == ["    b: {", "        c: 2", "    }"]
    assert result.block_lines(0) is None
    broken = "app x {\n  a: {\n  b: 1\n  }\n"  # the outer block is still open: nothing to re-indent
    assert format_document(broken).block_lines(broken.rindex("}") + 1) is None


# ---- speed: no assertion on durations here (see benchmarks/format_bench.py) ---------------------


def test_deep_nesting_is_formatted_without_recursion():
    depth = 100
    text = "".join(f"b{i} {{\n" for i in range(depth)) + "}\n" * depth
    lines = format_text(text, FormatOptions(tab_size=1)).splitlines()
    assert lines[depth - 1] == " " * (depth - 1) + f"b{depth - 1} {{" and lines[-1] == "}"
    # deeper than 100 levels, indentation would grow the file quadratically: left as it is
    deeper = "".join(f"b{i} {{\n" for i in range(5000)) + "}\n" * 5000 + "app x {\n a: 1\n}\n"
    result = format_document(deeper)
    assert result.text == deeper.replace(" a: 1", "    a: 1").replace("}\napp", "}\n\napp")
    assert [(s.first_line, s.syntax_error) for s in result.skipped] == [(0, False)] and "100 levels" in result.skipped[0].reason


# ---- generated documents -----------------------------------------------------------------------

_INDENTS = st.sampled_from(["", " ", "  ", "    ", "\t", "      ", "   \t"])
_TRAIL = st.sampled_from(["", " ", "  \t", "   # note  ", " # ✨ emoji"])
_VALUES = st.sampled_from([
    "1", "-2.5e3", "true", "llama3:8b", "hf.co/u/r:Q4_K_M", '"text  with  spaces"', "'single'", "env.KEY",
    "[1, 2,\n3]", "{ a: 1 }", "uuid(primary_key=true)", "list[object] = []", '"""triple\n   kept   \n"""',
    "{\n}", "[\n]",
])
_KEYS = st.sampled_from(["a", "model", "temperature", '"quoted key"', "show text"])
_GAP = st.sampled_from(["", " ", "   "])


@st.composite
def _entry(draw, depth: int) -> list[str]:
    indent = draw(_INDENTS)
    key = draw(_KEYS)
    if depth < 3 and draw(st.integers(0, 4)) == 0:
        lines = [f"{indent}{key}:{draw(_GAP)}{{{draw(_TRAIL)}"]
        for _ in range(draw(st.integers(0, 3))):
            lines += draw(_entry(depth + 1))
        return lines + [f"{draw(_INDENTS)}}}{draw(_TRAIL)}"]
    if draw(st.integers(0, 6)) == 0:
        body = draw(st.sampled_from(["line one", "  deeper  ", "", "{{var}} }"]))
        return [f"{indent}prompt: |", f"{indent}        {body}", f"{indent}        end"]
    if draw(st.integers(0, 8)) == 0:
        return [draw(st.sampled_from(["", "   ", "# comment", "  # indented comment  "]))]
    return [f"{indent}{key}:{draw(st.sampled_from([' ', '   ', chr(9)]))}{draw(_VALUES)}{draw(_TRAIL)}"]


@st.composite
def documents(draw) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            parts.append(draw(st.sampled_from(["# top comment", "", "\n\n", "module a.b", "import c", 'page "P" at "/":\n  show text "x"'])))
            continue
        header = draw(st.sampled_from(["ai model m", "llm x", 'app "A"', "agent a", 'step "s"', "endpoint GET /api/{id}"]))
        lines = [f"{draw(_INDENTS)}{header}{draw(_GAP)}{{{draw(_TRAIL)}"]
        for _ in range(draw(st.integers(0, 4))):
            lines += draw(_entry(1))
        if kind != 1:  # kind 1: an unclosed block (a syntax error left as it is)
            lines.append(f"{draw(_INDENTS)}}}{draw(_TRAIL)}")
        parts.append("\n".join(lines))
    text = "\n".join(parts) + draw(st.sampled_from(["", "\n", "\n\n"]))
    return text.replace("\n", "\r\n") if draw(st.booleans()) else text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=documents(), options=st.sampled_from(OPTIONS))
def test_generated_documents_format_to_a_fixed_point(text, options):
    result = format_document(text, options)
    assert format_text(result.text, options) == result.text
    assert apply(text, result.edits()) == result.text
    if not result.error:
        assert_meaning_kept(text, result.text)


# Corpus files with no multi-line token and no legacy block: there, every line inside brackets
# may be re-indented and any line may get trailing whitespace without changing the meaning.
def _plain(path) -> bool:
    text = path.read_text(encoding="utf-8")
    return '"""' not in text and "'''" not in text and ": |" not in text and not analyze(text).module.legacy


PLAIN = [p for p in VALID if _plain(p)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, 10_000), data=st.data())
def test_whitespace_noise_formats_to_the_same_text(which, data):
    """The layout is canonical: scrambling indentation inside blocks, adding trailing whitespace
    and lengthening blank runs gives back exactly the formatted file."""
    formatted = format_text(PLAIN[which % len(PLAIN)].read_text(encoding="utf-8"))
    lines = formatted.split("\n")
    noisy = []
    for line in lines:
        if line.startswith((" ", "\t")) and data.draw(st.booleans()):
            line = data.draw(st.sampled_from([" ", "\t", "  ", "         ", " \t "])) + line.lstrip()
        if line and data.draw(st.integers(0, 3)) == 0:
            line += data.draw(st.sampled_from([" ", "\t", "   "]))
        noisy.append(line)
        if not line.strip() and data.draw(st.booleans()):  # a run of blank lines is one
            noisy.append(data.draw(st.sampled_from(["", "   "])))
    noisy_text = "\n".join(noisy)
    assert format_text(noisy_text) == format_text(formatted) == formatted


_MANGLES = ["{", "}", "[", "]", "(", ")", '"', "'", '"""', "#", ":", ": |\n", "\n", "\n\n", "\r\n", "\r", "\t", "    ",
            "/api/{id}", "=>", ",", "a:b", '\npage "P" at "/":\n    show text "x"\n', "llm m {\n", "\ufeff", "\f", "🎉", "|"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, 10_000), edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(_MANGLES), st.sampled_from([0, 0, 1, 3, 10])), min_size=1, max_size=4))
def test_mangled_corpus_is_never_garbled(which, edits):
    """Corpus files with brackets, quotes, block markers, line breaks... typed in or cut out:
    whatever still parses is formatted, the rest is left as it is, and a second pass changes
    nothing."""
    text = VALID[which % len(VALID)].read_text(encoding="utf-8")
    for where, snippet, cut in edits:
        at = int(where * len(text))
        text = text[:at] + snippet + text[at + cut :]
    result = format_document(text)
    assert format_text(result.text) == result.text
    assert apply(text, result.edits()) == result.text
    if not result.error:
        assert_meaning_kept(text, result.text)
