"""Copies of one chunk's syntax tree, moved to another offset and document.

The chunk cache keeps each parsed chunk as a template (offsets relative to the chunk's start, no
document), because nodes hold absolute offsets and their `Doc`: a tree built for one version of a
file cannot be handed out for the next one. Copying a chunk's nodes costs a small fraction of
parsing it again. Copies are made field by field with `object.__new__`, skipping `__init__`, which
would recompute what the template already holds (the header split of a declaration).

Recursion follows the nesting of brackets; templates deeper than `MAX_DEPTH` are refused, so a
copy never comes near the interpreter's recursion limit (such chunks are simply parsed again).

`move` is the copy's cheaper sibling for a tree nobody else will read: it moves the nodes where
they are (no allocation, and nothing left to free afterwards).
"""

from __future__ import annotations

from namel3ss_lsp.language.tree import Atom, Declaration, Doc, Entry, ListNode, Map, Value

MAX_DEPTH = 40
_new = object.__new__


class TooDeep(Exception):
    """A tree nested more deeply than MAX_DEPTH: not worth caching."""


class Copier:
    """Copies nodes shifted by `delta` offsets into `doc` (None for a template).

    `memo` maps the id of every copied Map and Declaration to its copy, so the per-chunk lists of
    maps and declarations can point at the very objects the tree holds.
    """

    __slots__ = ("delta", "doc", "memo")

    def __init__(self, delta: int, doc: Doc | None) -> None:
        self.delta = delta
        self.doc = doc
        self.memo: dict[int, object] = {}

    def items(self, nodes: list, depth: int = 0) -> list:
        if depth > MAX_DEPTH:
            raise TooDeep
        out = []
        append = out.append
        d = self.delta
        doc = self.doc
        for n in nodes:
            cls = type(n)
            if cls is Entry:
                append(self.entry(n, depth))
            elif cls is Atom:  # inlined: header parts and values are mostly atoms
                x = _new(Atom)
                x.start = n.start + d
                x.end = n.end + d
                x.doc = doc
                x.kind = n.kind
                x.text = n.text
                x.value = n.value
                append(x)
            elif cls is Declaration:
                append(self.declaration(n, depth))
            elif cls is Map:
                append(self.map(n, depth))
            elif cls is Value:
                append(self.value(n, depth))
            else:  # ListNode, Group
                append(self.listnode(n, depth))
        return out

    def same(self, nodes: list) -> list:
        """The copies of nodes already copied as part of a tree (copying any that were not)."""
        memo = self.memo
        out = []
        for node in nodes:
            copy = memo.get(id(node))
            out.append(copy if copy is not None else self.items([node])[0])
        return out

    def atom(self, n: Atom) -> Atom:
        x = _new(Atom)
        x.start = n.start + self.delta
        x.end = n.end + self.delta
        x.doc = self.doc
        x.kind = n.kind
        x.text = n.text
        x.value = n.value
        return x

    def value(self, n: Value, depth: int) -> Value:
        x = _new(Value)
        x.start = n.start + self.delta
        x.end = n.end + self.delta
        x.doc = self.doc
        x.parts = self.items(n.parts, depth + 1)
        return x

    def entry(self, n: Entry, depth: int) -> Entry:
        d = self.delta
        x = _new(Entry)
        x.start = n.start + d
        x.end = n.end + d
        x.doc = self.doc
        x.key = n.key
        x.key_start = n.key_start + d
        x.key_end = n.key_end + d
        v = n.value_node
        if v is None:
            x.value_node = None
            return x
        if type(v) is Atom:  # `key: value` on one line: the common case
            z = x.value_node = _new(Atom)
            z.start = v.start + d
            z.end = v.end + d
            z.doc = self.doc
            z.kind = v.kind
            z.text = v.text
            z.value = v.value
        else:
            x.value_node = self.value(v, depth)
        return x

    def map(self, n: Map, depth: int) -> Map:
        # A node reached twice (a map or declaration that error recovery left outside the tree, in
        # the chunk's lists and inside another such node: `{{msg.role}}` in a template) is one
        # node in the copy too, as in a fresh parse.
        found = self.memo.get(id(n))
        if found is not None:
            return found
        x = _new(Map)
        x.start = n.start + self.delta
        x.end = n.end + self.delta
        x.doc = self.doc
        x.items = self.items(n.items, depth + 1)
        x.closed = n.closed
        x.partial = n.partial
        self.memo[id(n)] = x
        return x

    def listnode(self, n: ListNode, depth: int) -> ListNode:
        x = _new(type(n))  # ListNode or Group
        x.start = n.start + self.delta
        x.end = n.end + self.delta
        x.doc = self.doc
        x.items = self.items(n.items, depth + 1)
        return x

    def declaration(self, n: Declaration, depth: int) -> Declaration:
        found = self.memo.get(id(n))  # already copied (see `map`)
        if found is not None:
            return found
        d = self.delta
        x = _new(Declaration)
        x.start = n.start + d
        x.end = n.end + d
        x.doc = self.doc
        parts = x.parts = self.items(n.parts, depth + 1)
        x.body = None if n.body is None else self.map(n.body, depth)
        x.keywords = n.keywords  # a tuple of strings: shared
        x.name = n.name
        x.name_start = n.name_start + d if n.name is not None else n.name_start
        x.name_end = n.name_end + d if n.name is not None else n.name_end
        # The tail is always the last parts of the header (the same objects): keep it so.
        x.tail = parts[len(parts) - len(n.tail) :] if n.tail else ()
        self.memo[id(n)] = x
        return x



def move(roots: list[list], delta: int, doc: Doc) -> None:
    """Move every node reachable from the lists `roots` by `delta` offsets onto `doc`, in place.

    Each node is moved once: a node already on `doc` was reached before (a node reached twice, see
    `Copier.map`), so `doc` must differ from the nodes' own. Iterative: any depth is fine."""
    stack = [node for nodes in roots for node in nodes]
    pop, extend = stack.pop, stack.extend
    while stack:
        n = pop()
        if n.doc is doc:
            continue
        n.start += delta
        n.end += delta
        n.doc = doc
        cls = type(n)
        if cls is Atom:
            continue
        if cls is Entry:
            n.key_start += delta
            n.key_end += delta
            if n.value_node is not None:
                stack.append(n.value_node)
        elif cls is Value:
            extend(n.parts)
        elif cls is Declaration:
            if n.name is not None:
                n.name_start += delta
                n.name_end += delta
            extend(n.parts)  # the tail is the last of these very parts
            if n.body is not None:
                stack.append(n.body)
        else:  # Map, ListNode, Group
            extend(n.items)
