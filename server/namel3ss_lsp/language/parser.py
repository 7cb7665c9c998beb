"""Load the Lark grammar once, build tree nodes while parsing, and turn failures into errors.

The parser is LALR with the contextual lexer and an inline transformer (`TreeBuilder`): nodes are
built as the parser reduces, so there is no intermediate Lark tree and no recursive visit. Lark's
parser is iterative, so 10,000 nested maps are fine.

Chunks of the commonest shape (blocks of `key: value` lines) skip Lark: `fastpath.py` tokenizes
them with the grammar's own terminals and calls the same builder methods.

Chunks are parsed in place: the builder reads the chunk's base offset and the document from a
thread-local set by `parse_region`, so one shared parser serves every thread.

Lark itself is imported on the first parse, not with this module: a language server answers
`initialize` before it has anything to parse, and importing Lark is a tenth of its start-up.
"""

from __future__ import annotations

import re
import threading
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from namel3ss_lsp.language.fastpath import FastPath
from namel3ss_lsp.language.scan import find_block, split_segments
from namel3ss_lsp.language.tree import (
    Atom,
    Declaration,
    Doc,
    Entry,
    Group,
    ListNode,
    Map,
    Node,
    Value,
    atom_value,
)

GRAMMAR_NAME = "namel3ss.lark"
_REPO_GRAMMAR = Path(__file__).resolve().parents[3] / "grammar" / GRAMMAR_NAME
_TOKEN_KINDS = {"WORD": "word", "STRING": "string", "TRIPLE": "triple", "BLOCK": "block", "NUMBER": "number", "PATH": "path"}
_MAX_SALVAGE_DEPTH = 4

if TYPE_CHECKING:
    from lark import Lark, Token

_ctx = threading.local()
# lark.exceptions' classes, set by `get_parser` (Lark is imported on the first parse).
UnexpectedCharacters: type = type(None)
UnexpectedInput: type = type(None)
UnexpectedToken: type = type(None)

# A PAIR token (`key: value  # comment` + line end): the grammar's PAIR with groups, the key (1),
# then the value as a string (2), a number (3) or a word (4). The group that matched says the
# value's kind: `lastindex`, as the value's group closes last.
_PAIR_KEY_VALUE = (
    r"""([\w$][\w$\-]*)[ \t]*:[ \t]+(?:("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
    r"""|([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)|([\w$][\w$\-]*(?:(?:\.|::?|/|@)[\w$\-]+)*))"""
)
# The whole token, as the fast path reads it: comment, line ends and the next line's indentation
# (tests/language/test_fastpath.py checks it matches what the grammar's PAIR matches).
PAIR_TOKEN = re.compile(_PAIR_KEY_VALUE + r"[ \t]*(?:#[^\n]*)?(?:\r?\n[\t \f\r]*)+")
_PAIR_KINDS = (None, None, "string", "number", "word")
_HEAD_PART = re.compile(r"""[\w$][\w$\-]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|:|\{""")


def grammar_text() -> str:
    """The grammar: inside the installed package first (wheel), then the repository checkout."""
    try:
        resource = resources.files("namel3ss_lsp").joinpath("grammar").joinpath(GRAMMAR_NAME)  # 3.10: one part per call
        if resource.is_file():
            return resource.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, NotADirectoryError, OSError, TypeError):
        pass
    return _REPO_GRAMMAR.read_text(encoding="utf-8")


class TreeBuilder:
    """Inline transformer: each method receives the children of one reduced rule (Lark calls the
    methods named after the rules; no base class is needed)."""

    pair_token = PAIR_TOKEN  # what `pair_entry` reads, for the fast path

    def _atom(self, tok: Token) -> Atom:
        base = _ctx.base
        doc = _ctx.doc
        start = base + tok.start_pos
        end = base + tok.end_pos
        kind = _TOKEN_KINDS[tok.type]
        text = tok.value  # a plain str, from Lark's tokens and the fast path's alike
        original = doc.text[start:end] if kind == "block" else text
        return Atom(kind, original if kind == "block" else text, atom_value(kind, text, original), start, end, doc)

    @staticmethod
    def chunk_base() -> int:
        """The document offset of the chunk being parsed (what `parse_region` set)."""
        return _ctx.base

    def _pair(self, tok: Token) -> Entry:
        return self.pair_entry(PAIR_TOKEN.match(tok.value), _ctx.base + tok.start_pos)

    def pair_entry(self, m: re.Match, base: int) -> Entry:
        """The Entry of a PAIR token matched by `PAIR_TOKEN` (in Lark's token text, or in the fast
        path's chunk), the matched text's offset 0 being at offset `base` of the document."""
        doc = _ctx.doc
        group = m.lastindex
        kind = _PAIR_KINDS[group]
        text = m.group(group)
        vstart, vend = base + m.start(group), base + m.end(group)
        atom = Atom(kind, text, atom_value(kind, text, text), vstart, vend, doc)
        at = base + m.start()
        return Entry(m.group(1), at, base + m.end(1), atom, at, vend, doc)  # a one-token value is its Atom

    def _part(self, item):
        return item if isinstance(item, Node) else self._atom(item)  # a token (Lark's or the fast path's)

    # -- sequences: each step appends to one Python list --------------------------------------

    def seq_item(self, children):
        if not children:
            return None  # a separator
        item = children[0]
        return item if isinstance(item, Node) else self._pair(item)  # a node, or a PAIR token

    def seq(self, children):
        if len(children) == 1:
            item = children[0]
            return [] if item is None else [item]
        items, item = children
        if item is not None:
            items.append(item)
        return items

    def body(self, children):
        if not children:
            return []
        if len(children) == 2:
            children[0].append(children[1])
            return children[0]
        only = children[0]
        return only if isinstance(only, list) else [only]

    vseq_item = seq_item
    vseq = seq
    values = body

    def parts(self, children):
        if len(children) == 1:
            return [self._part(children[0])]
        children[0].append(self._part(children[1]))
        return children[0]

    def value(self, children):
        if len(children) == 1:
            parts = children[0]
            if len(parts) == 1 and type(parts[0]) is Atom:
                return parts[0]  # a one-token value is its Atom (see tree.Atom.parts)
            return Value(parts, parts[0].start, parts[-1].end, _ctx.doc)
        node, op, parts = children
        base = _ctx.base
        if type(node) is Atom:
            node = Value([node], node.start, node.end, _ctx.doc)
        node.parts.append(Atom("word", op.value, op.value, base + op.start_pos, base + op.end_pos, _ctx.doc))
        node.parts.extend(parts)
        node.end = parts[-1].end
        return node

    def _open_entry(self, head: Token, items: list, close: Token):
        """`words "strings" [:] {` ... `}` read as one OPEN_HEAD token: rebuild the parts."""
        base = _ctx.base + head.start_pos
        doc = _ctx.doc
        parts: list = []
        colon = False
        brace = 0
        for m in _HEAD_PART.finditer(head.value):
            text = m.group()
            if text == ":":
                colon = True
            elif text == "{":
                brace = base + m.start()
                break
            else:
                kind = "word" if text[0] not in "\"'" else "string"
                parts.append(Atom(kind, text, atom_value(kind, text, text), base + m.start(), base + m.end(), doc))
        close_at = _ctx.base + close.start_pos
        body = Map(items, brace, close_at + 1, doc)
        _ctx.maps.append(body)
        for item in items:
            if isinstance(item, Declaration):
                _check_statement(item)
        if colon:
            key = " ".join(str(p.value) for p in parts)
            value = Value([body], body.start, body.end, doc)
            return Entry(key, parts[0].start, parts[-1].end, value, parts[0].start, body.end, doc)
        return self._declaration(parts, body, parts[0].start, body.end, doc)

    def open_entry(self, children):
        return self._open_entry(*children)

    def entry(self, children):
        parts = children[0]
        doc = _ctx.doc
        if len(children) == 1:
            body = parts[-1] if isinstance(parts[-1], Map) and len(parts) > 1 else None
            head = parts[:-1] if body is not None else parts
            return self._declaration(head, body, parts[0].start, parts[-1].end, doc)
        value = children[2]
        bad = [p for p in parts if not (isinstance(p, Atom) and p.kind in ("word", "string"))]
        if bad:
            _ctx.errors.append((bad[0].start, bad[0].end, "a key must be a name or a quoted string"))
        key = " ".join(str(p.value) if isinstance(p, Atom) and p.kind == "string" else p.source for p in parts)
        return Entry(key, parts[0].start, parts[-1].end, value, parts[0].start, value.end, doc)

    def _declaration(self, head, body, start, end, doc) -> Declaration:
        decl = Declaration(head, body, start, end, doc)
        _ctx.decls.append(decl)
        return decl

    def _container(self, cls, children):
        open_tok, items, close_tok = children
        base = _ctx.base
        return cls(items, base + open_tok.start_pos, base + close_tok.end_pos, _ctx.doc)

    def map(self, children):
        node = self._container(Map, children)
        _ctx.maps.append(node)
        for item in node.items:
            if isinstance(item, Declaration):
                _check_statement(item)
        return node

    def list(self, children):
        return self._container(ListNode, children)

    def group(self, children):
        return self._container(Group, children)

    def start(self, children):
        return children[0]


def _check_statement(decl: Declaration) -> None:
    """Inside a block, a line of bare words with no ':' and no block is a mistake (`invalid syntax here`)."""
    parts = decl.parts
    if decl.body is None and parts and all(isinstance(p, Atom) and p.kind == "word" for p in parts):
        text = " ".join(p.text for p in parts)
        if len(parts) == 1:
            msg = f"expected ':' after '{text}'"
        else:
            msg = f"expected 'key: value' or a block, found '{text}'"
        _ctx.errors.append((parts[0].start, parts[-1].end, msg))
    elif not decl.keywords and decl.body is None and len(parts) == 1 and isinstance(parts[0], Map):
        _ctx.errors.append((parts[0].start, parts[0].start + 1, "unexpected '{': a block needs a name before it"))


_parser: Lark | None = None
_parser_lock = threading.Lock()


def get_parser() -> Lark:
    """The shared LALR parser, built on first use (from Lark's cache when possible)."""
    global _parser, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
    if _parser is None:
        with _parser_lock:
            if _parser is None:
                from lark import Lark
                from lark import exceptions

                UnexpectedCharacters = exceptions.UnexpectedCharacters
                UnexpectedInput = exceptions.UnexpectedInput
                UnexpectedToken = exceptions.UnexpectedToken
                text = grammar_text()
                options = dict(parser="lalr", lexer="contextual", transformer=TreeBuilder(), maybe_placeholders=False)
                try:
                    _parser = Lark(text, cache=True, **options)
                except Exception:  # an unwritable temp dir must not stop the server: build without cache
                    _parser = Lark(text, **options)
    return _parser


_fast: FastPath | None = None


def _fast_path() -> FastPath:
    global _fast
    if _fast is None:
        parser = get_parser()
        _fast = FastPath(parser.terminals, parser.options.transformer)
    return _fast


# ---- parsing regions with recovery ------------------------------------------------------------

_FRIENDLY = {
    "COLON": "':'", "OP": "'='", "LBRACE": "'{'", "RBRACE": "'}'", "LBRACKET": "'['",
    "RBRACKET": "']'", "LPAREN": "'('", "RPAREN": "')'", "_COMMA": "','", "_NL": "a new line",
    "WORD": "a name", "STRING": "a string", "TRIPLE": "a string", "BLOCK": "'|'", "NUMBER": "a number",
    "PATH": "a path", "PAIR": "'key: value'", "$END": "the end of the file",
}


def _describe(tok: Token) -> str:
    if tok.type == "_NL":
        return "end of line"
    if tok.type == "$END":
        return "end of file"
    if tok.type in ("STRING", "TRIPLE", "BLOCK"):
        return "a string"
    text = str(tok).split("\n", 1)[0].strip()  # PAIR / OPEN_HEAD tokens run to the line end
    return f"'{text[:40]}'"


def _error_from(exc: UnexpectedInput, text: str, start: int, end: int) -> tuple[int, int, str, bool]:
    """(start, end, message, at_eof) for a Lark failure in text[start:end]."""
    if isinstance(exc, UnexpectedCharacters):
        pos = start + exc.pos_in_stream
        ch = text[pos] if pos < len(text) else ""
        if ch in "\"'":
            nl = text.find("\n", pos, end)
            return pos, (end if nl == -1 else nl), "unterminated string: missing closing quote", False
        if ch == "\0":
            return pos, pos + 1, "unexpected NUL character", False
        return pos, pos + 1, f"unexpected character '{ch}'", False
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        tok = exc.token
        pos = start + tok.start_pos
        tok_end = start + (tok.end_pos if tok.end_pos is not None else tok.start_pos + len(tok))
        if tok.type == "_NL":
            tok_end = pos  # point at the end of the line, not the whole run of blank lines
        expected = set(exc.expected)
        if tok.type == "OP" and str(tok) == "=" and "COLON" in expected:
            return pos, tok_end, "expected ':' between key and value, found '='", False
        if tok.type == "COLON" and "_NL" in expected:
            return pos, tok_end, "unexpected ':': put each 'key: value' on its own line or separate them with ','", False
        if tok.type == "_NL" and "RBRACE" not in expected and "_NL" not in expected:
            return pos, tok_end, "expected a value before the end of the line", False
        names = sorted({_FRIENDLY.get(e, e) for e in expected if not e.startswith("__") and e != "$END"})
        hint = f"; expected {', '.join(names[:5])}" if names and len(names) <= 5 else ""
        return pos, max(tok_end, pos), f"unexpected {_describe(tok)}{hint}", False
    return end, end, "unexpected end of file", True


class Collected:
    """Every Map and Declaration built while parsing one document, so checks need no tree walk."""

    __slots__ = ("maps", "decls")

    def __init__(self) -> None:
        self.maps: list[Map] = []
        self.decls: list[Declaration] = []


def parse_region(text: str, start: int, end: int, doc: Doc, sink: Collected, depth: int = 0) -> tuple[list, list]:
    """Parse text[start:end] (masked) into top-level items; never raises.

    Returns (items, errors) with errors as (start, end, message, at_eof). On failure the region is
    salvaged: the header of its first block and each entry of the block are parsed on their own,
    so the entries that are fine still reach the analysis and each broken one reports its line.
    """
    parser = get_parser()  # first: it imports Lark, whose errors the `except` below names
    saved = tuple(getattr(_ctx, name, None) for name in ("base", "doc", "errors", "maps", "decls"))
    _ctx.base, _ctx.doc, _ctx.errors, _ctx.maps, _ctx.decls = start, doc, [], [], []
    try:
        items = _fast_path().parse(text[start:end]) if depth == 0 else None
        if items is None:  # not the common shape: Lark, with nothing half-collected
            _ctx.errors, _ctx.maps, _ctx.decls = [], [], []
            items = parser.parse(text[start:end])
        errors = [(s, e, msg, False) for s, e, msg in _ctx.errors]
        sink.maps.extend(_ctx.maps)  # only a successful parse: a failed one leaves half-built nodes
        sink.decls.extend(_ctx.decls)
        return items, errors
    except UnexpectedInput as exc:
        first = _error_from(exc, text, start, end)
    except RecursionError:
        return [], [(start, start, "file nested too deeply to analyse", False)]
    finally:
        _ctx.base, _ctx.doc, _ctx.errors, _ctx.maps, _ctx.decls = saved
    if depth >= _MAX_SALVAGE_DEPTH:
        return [], [first]
    salvaged = _salvage(text, start, end, doc, sink, depth)
    if salvaged is None:
        return [], [first]
    items, errors = salvaged
    if not any(not at_eof for *_, at_eof in errors) and not first[3]:
        errors.append(first)  # the salvage missed the real mistake (e.g. in the header): keep it
    return items, errors


def _salvage(text: str, start: int, end: int, doc: Doc, sink: Collected, depth: int):
    block = find_block(text, start, end)
    if block is None:
        return None
    open_at, close_at = block
    after = close_at + 1 if close_at is not None else end
    if text[after:end].strip(" \t\r\n,"):
        return None  # more than one item in the region: nothing sensible to rebuild
    header_end = open_at
    head_text = text[start:header_end].rstrip()
    is_pair = head_text.endswith(":")
    head_stop = start + len(head_text) - (1 if is_pair else 0)
    head_items, head_errors = parse_region(text, start, head_stop, doc, Collected(), _MAX_SALVAGE_DEPTH)
    if head_errors or len(head_items) != 1 or not isinstance(head_items[0], Declaration):
        return None
    head = head_items[0]
    items: list = []
    errors: list = []
    body_end = close_at if close_at is not None else end
    for seg_start, seg_end in split_segments(text, open_at + 1, body_end):
        seg_items, seg_errors = parse_region(text, seg_start, seg_end, doc, sink, depth + 1)
        items.extend(seg_items)
        errors.extend(seg_errors)
    for item in items:
        if isinstance(item, Declaration):
            saved = getattr(_ctx, "errors", None)
            _ctx.errors = []
            _check_statement(item)
            errors.extend((s, e, msg, False) for s, e, msg in _ctx.errors)
            _ctx.errors = saved
    body = Map(items, open_at, after, doc, closed=close_at is not None, partial=True)
    sink.maps.append(body)
    if is_pair:
        parts = head.parts
        key = " ".join(str(p.value) if isinstance(p, Atom) and p.kind == "string" else p.source for p in parts)
        value = Value([body], body.start, body.end, doc)
        return [Entry(key, parts[0].start, parts[-1].end, value, parts[0].start, body.end, doc)], errors
    decl = Declaration(head.parts, body, head.start, body.end, doc)
    sink.decls.append(decl)
    return [decl], errors
