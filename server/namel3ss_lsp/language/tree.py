"""The syntax tree: plain classes holding offsets, with LSP ranges computed on demand.

Every node keeps `start`/`end` offsets into the original text and a reference to its `Doc`, so
ranges (0-based line, UTF-16 character) cost nothing until somebody asks. Python values of maps
and lists are built bottom-up while the parser reduces, so nothing here recurses, however deep
the nesting.

    Module.items      Entry (`key: value`) | Declaration (`kw name tail { ... }`)
    Declaration.body  Map | None            Map.items  Entry | Declaration
    Entry.value_node  Atom | Value (parts: Atom | Map | ListNode | Group)

A value of one token (`model: llama3`, most of a file) is that token's Atom, which answers like a
one-part Value (`parts`, `single`, `map`); a Value holds the rest: a map, a list, or several parts.
"""

from __future__ import annotations

import textwrap
from typing import Iterator

from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.language.types import Range


class Ref(str):
    """A bare identifier or dotted reference used as a value (`ollama`, `env.KEY`, `llama3:8b`)."""

    __slots__ = ()


class Expr(str):
    """A compound value kept as its source text (`list[object] = []`, `uuid(primary_key=true)`)."""

    __slots__ = ()


class Doc:
    """The original text and its line index, shared by every node of one analysis."""

    __slots__ = ("text", "index")

    def __init__(self, text: str, index: LineIndex | None = None) -> None:
        self.text = text
        self.index = index or LineIndex(text)


class Node:
    # Subclasses set these three themselves rather than calling Node.__init__: a file is ~10^5
    # nodes, and the call was a tenth of building them.
    __slots__ = ("start", "end", "doc")

    def __init__(self, start: int, end: int, doc: Doc) -> None:
        self.start = start
        self.end = end
        self.doc = doc

    @property
    def range(self) -> Range:
        return self.doc.index.range(self.start, self.end)

    @property
    def source(self) -> str:
        return self.doc.text[self.start : self.end]

    def __repr__(self) -> str:  # shallow on purpose: a deep repr would recurse
        return f"<{type(self).__name__} {self.start}:{self.end}>"


class Atom(Node):
    """One token used as a value or header part: word, string, triple, block, number or path."""

    __slots__ = ("kind", "text", "value")

    def __init__(self, kind: str, text: str, value: object, start: int, end: int, doc: Doc) -> None:
        self.start = start
        self.end = end
        self.doc = doc
        self.kind = kind
        self.text = text
        self.value = value

    @property
    def inner_range(self) -> Range:
        """The range of the text without quotes (what an editor should underline for a string)."""
        if self.kind == "string" and self.end - self.start >= 2:
            return self.doc.index.range(self.start + 1, self.end - 1)
        return self.range

    # As the value of an entry or a list element, an Atom stands for a Value of one part: the
    # Value and its list were two of the four objects of every `key: value` (the garbage
    # collector walks each one, and each is ~70 bytes).
    @property
    def parts(self) -> tuple:
        return (self,)

    @property
    def single(self) -> Atom:
        return self

    map = None


class Map(Node):
    """`{ ... }`: a declaration body or a map value; items in source order."""

    __slots__ = ("items", "closed", "partial")

    def __init__(self, items: list, start: int, end: int, doc: Doc, closed: bool = True, partial: bool = False) -> None:
        self.start = start
        self.end = end
        self.doc = doc
        self.items = items
        self.closed = closed
        # Rebuilt after a syntax error: some entries may be missing, so "missing key" checks skip it.
        self.partial = partial

    @property
    def entries(self) -> list[Entry]:
        return [item for item in self.items if isinstance(item, Entry)]

    @property
    def declarations(self) -> list[Declaration]:
        return [item for item in self.items if isinstance(item, Declaration)]

    def get(self, key: str) -> Entry | None:
        """The last entry with this key (the one that wins), or None."""
        found = None
        for item in self.items:
            if isinstance(item, Entry) and item.key == key:
                found = item
        return found

    @property
    def value(self) -> dict:
        return plain_value(self)  # issue 17: iterative, depth-bounded (was a recursive dict comprehension)


class ListNode(Node):
    __slots__ = ("items",)

    def __init__(self, items: list[Value], start: int, end: int, doc: Doc) -> None:
        self.start = start
        self.end = end
        self.doc = doc
        self.items = items

    @property
    def value(self) -> list:
        return plain_value(self)  # issue 17: iterative, depth-bounded (was a recursive list comprehension)


class Group(ListNode):
    """`( ... )`: call arguments or a header's option group."""

    __slots__ = ()


class Value(Node):
    """A value: one part (`0.7`, `"x"`, `{...}`), or several (`str = "x"`, `uuid(pk=true)`)."""

    __slots__ = ("parts",)

    def __init__(self, parts: list, start: int, end: int, doc: Doc) -> None:
        self.start = start
        self.end = end
        self.doc = doc
        self.parts = parts

    @property
    def single(self):
        """The only part, or None for compound values."""
        return self.parts[0] if len(self.parts) == 1 else None

    @property
    def value(self) -> object:
        if len(self.parts) == 1:
            part = self.parts[0]
            return part.value if type(part) is Atom else plain_value(part)  # issue 17: no recursion
        return Expr(self.source)

    @property
    def map(self) -> Map | None:
        part = self.single
        return part if isinstance(part, Map) else None


class Entry(Node):
    """`key: value`. `value` is the plain Python value; `value_node` keeps the ranges."""

    __slots__ = ("key", "key_start", "key_end", "value_node")

    def __init__(self, key: str, key_start: int, key_end: int, value_node: Value | Atom | None, start: int, end: int, doc: Doc) -> None:
        self.start = start
        self.end = end
        self.doc = doc
        self.key = key
        self.key_start = key_start
        self.key_end = key_end
        self.value_node = value_node

    @property
    def key_range(self) -> Range:
        return self.doc.index.range(self.key_start, self.key_end)

    @property
    def value(self) -> object:
        return None if self.value_node is None else self.value_node.value

    @property
    def value_range(self) -> Range | None:
        return None if self.value_node is None else self.value_node.range

    @property
    def map(self) -> Map | None:
        return None if self.value_node is None else self.value_node.map


class Declaration(Node):
    """A header (`ai model chat`, `page "Home" at "/"`, `show text "Hi"`) with an optional body."""

    __slots__ = ("parts", "body", "keywords", "name", "name_start", "name_end", "tail")

    def __init__(self, parts: list, body: Map | None, start: int, end: int, doc: Doc) -> None:
        self.start = start
        self.end = end
        self.doc = doc
        self.parts = parts
        self.body = body
        self.keywords, self.name, self.name_start, self.name_end, self.tail = _read_header(parts)

    @property
    def keyword(self) -> str:
        """The keywords joined: "ai model", "llm", "page"."""
        return " ".join(self.keywords)

    @property
    def name_range(self) -> Range | None:
        if self.name is None:
            return None
        return self.doc.index.range(self.name_start, self.name_end)

    @property
    def selection_range(self) -> Range:
        """The name if there is one, else the keywords: what an outline highlights."""
        if self.name is not None:
            return self.name_range
        if self.parts:
            return self.doc.index.range(self.parts[0].start, self.parts[min(len(self.keywords), len(self.parts)) - 1].end)
        return self.range

    @property
    def children(self) -> list:
        return [] if self.body is None else self.body.items

    @property
    def entries(self) -> list[Entry]:
        return [] if self.body is None else self.body.entries

    def get(self, key: str) -> Entry | None:
        return None if self.body is None else self.body.get(key)


class Module(Node):
    """A whole file: top-level items, and the legacy indentation blocks kept opaque."""

    __slots__ = ("items", "legacy")

    def __init__(self, items: list, legacy: list[tuple[int, int]], doc: Doc) -> None:
        super().__init__(0, len(doc.text), doc)
        self.items = items
        self.legacy = legacy

    @property
    def declarations(self) -> list[Declaration]:
        return [item for item in self.items if isinstance(item, Declaration)]


_HTTP_VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def _read_header(parts: list):
    """Split header parts into keywords, name and tail (generic: no keyword list is required)."""
    # Keywords are a tuple of strings and an empty tail is the shared `()`: neither is an object
    # the garbage collector walks (lists always are; a file has one header per ~12 lines).
    if not parts or not isinstance(parts[0], Atom) or parts[0].kind != "word":
        return (), None, 0, 0, list(parts) or ()
    if len(parts) >= 2 and parts[0].text == "ai" and isinstance(parts[1], Atom) and parts[1].text == "model":
        keywords = ("ai", "model")
        rest = parts[2:]
    else:
        keywords = (parts[0].text,)
        rest = parts[1:]
    if not rest or not isinstance(rest[0], Atom) or rest[0].kind not in ("word", "string", "path"):
        return keywords, None, 0, 0, rest or ()
    first = rest[0]
    # `endpoint GET /api/x` and `endpoint POST "/x"`: the verb and the route together name it.
    if first.kind == "word" and first.text in _HTTP_VERBS and len(rest) >= 2 and isinstance(rest[1], Atom) and rest[1].kind in ("path", "string"):
        second = rest[1]
        return keywords, f"{first.text} {second.value}", first.start, second.end, rest[2:] or ()
    name = first.value if first.kind == "string" else first.text
    return keywords, str(name), first.start, first.end, rest[1:] or ()


# ---- values of atoms -------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'", "/": "/", "b": "\b", "f": "\f"}
_WORD_VALUES = {"true": True, "false": False, "True": True, "False": False, "null": None, "none": None, "None": None}


def unescape(body: str) -> str:
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch == "\\" and i + 1 < n:
            nxt = body[i + 1]
            if nxt == "u" and i + 6 <= n:
                try:
                    out.append(chr(int(body[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                except ValueError:
                    pass
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# One Ref per distinct word: files repeat the same few (`ollama`, `env.OPENAI_API_KEY`, model ids),
# and a Ref, a str subclass, is an object the garbage collector walks. Bounded; strings are immutable.
_REFS: dict[str, Ref] = {}
_REFS_MAX = 8_192  # ~1 MB at most, kept across documents


def forget_words() -> None:
    """Empty the table of shared Refs (the trees keep theirs). Its entries are made while trees are
    built, so they sit among the nodes in the allocator's arenas: kept after those trees are freed,
    they pin the arenas (10 x 5,000-line documents closed: 94 MB of 103 MB stayed; 46 without)."""
    _REFS.clear()


def atom_value(kind: str, text: str, original: str) -> object:
    """The Python value of a token. `original` is the unmasked source (differs for block strings)."""
    if kind == "word":
        value = _WORD_VALUES.get(text, _REFS)
        if value is not _REFS:
            return value
        ref = _REFS.get(text)
        if ref is None:
            if len(_REFS) >= _REFS_MAX:
                _REFS.clear()
            ref = _REFS[text] = Ref(text)
        return ref
    if kind == "number":
        try:
            if any(c in text for c in ".eE"):
                return float(text)
            return int(text)
        except ValueError:
            return Ref(text)
    if kind == "string":
        return unescape(text[1:-1])
    if kind == "triple":
        return text[3:-3]
    if kind == "block":
        nl = original.find("\n")
        return "" if nl == -1 else textwrap.dedent(original[nl + 1 :])
    return Ref(text)  # path


# ---- plain values, without recursion (issue 17, item 6) -----------------------------------------
# Brackets nested thousands deep used to raise RecursionError in the `value` properties (one
# Python frame per level) and took the whole file's analysis down. Values are now built with an
# explicit stack, and a container more than MAX_NESTING brackets below the value asked for is kept
# as its source text (an `Expr`), so nothing that consumes plain values (checks, json, repr) can
# recurse too deeply either. The analysis reports such places with a `too-deep` diagnostic.
MAX_NESTING = 100


def plain_value(node: Node) -> object:
    """The Python value of a Value, Map, ListNode or Atom (what their `value` properties return)."""
    out: list = []  # finished values, in order
    todo: list = [(node, 0, None)]  # (node, depth, keys once its children are queued | None)
    while todo:
        current, depth, keys = todo.pop()
        if keys is not None:  # its children are done: collect them
            count = len(keys) if isinstance(keys, list) else keys
            values = out[len(out) - count :]
            del out[len(out) - count :]
            out.append(dict(zip(keys, values)) if isinstance(keys, list) else values)
            continue
        cls = type(current)
        if cls is Atom:
            out.append(current.value)
        elif cls is Value:
            if len(current.parts) == 1:
                todo.append((current.parts[0], depth, None))
            else:
                out.append(Expr(current.source))
        elif cls is Map or isinstance(current, ListNode):
            if depth >= MAX_NESTING:
                out.append(Expr(current.source))
                continue
            if cls is Map:
                entries = [e for e in current.items if isinstance(e, Entry)]
                todo.append((current, depth, [e.key for e in entries]))
                children = [e.value_node for e in entries]
            else:
                todo.append((current, depth, len(current.items)))
                children = current.items
            for child in reversed(children):
                if child is None:  # an entry without a value
                    todo.append((_NONE, depth, None))
                else:
                    todo.append((child, depth + 1, None))
        else:
            out.append(getattr(current, "value", None))
    return out[0] if out else None


class _NoValue:
    value = None


_NONE = _NoValue()


def walk(items: list) -> Iterator:
    """Every Entry and Declaration under `items`, depth first, without recursion.

    Maps inside entry values and inside lists are visited too (a list of step maps, a config map).
    """
    stack = list(reversed(items))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Declaration):
            if node.body is not None:
                stack.extend(reversed(node.body.items))
            stack.extend(reversed(_maps_in_parts(node.parts)))
        elif isinstance(node, Entry) and node.value_node is not None:
            stack.extend(reversed(_maps_in_parts(node.value_node.parts)))
        elif isinstance(node, Map):
            stack.extend(reversed(node.items))


def _maps_in_parts(parts: list) -> list:
    """Maps directly in parts, and maps found in lists/groups (iteratively, any depth)."""
    found: list = []
    todo = list(parts)
    while todo:
        part = todo.pop()
        if isinstance(part, Map):
            found.append(part)
        elif isinstance(part, ListNode):
            for value in part.items:
                todo.extend(value.parts)
    found.sort(key=lambda m: m.start)
    return found
