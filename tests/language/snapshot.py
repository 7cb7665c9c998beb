"""Everything observable in an `Analysis`, as plain data, to compare two analyses exactly.

Used to check that an analysis served from the chunk cache equals a cold one: every node of the
tree (type, offsets, ranges, fields), the declaration and map lists, the models, the diagnostics,
and the identities that tie them together (a model's `decl` is the tree's node, a declaration's
`tail` is made of its header parts, every node points at the analysis's own document).
"""

from __future__ import annotations

from namel3ss_lsp.language import Analysis
from namel3ss_lsp.language.tree import Atom, Declaration, Entry, ListNode, Map, Value


def _rng(r):
    return None if r is None else (r.start.line, r.start.character, r.end.line, r.end.character)


def _plain(value):
    """A value with its exact type (Ref vs str, int vs float vs bool)."""
    if isinstance(value, dict):
        return ("dict", tuple((k, _plain(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_plain(v) for v in value))
    return (type(value).__name__, value)


class _Tree:
    def __init__(self, analysis: Analysis) -> None:
        self.doc = analysis.module.doc
        self.ids: dict[int, int] = {}
        self.rows: list = []

    def walk(self, roots: list) -> list:
        """Visit nodes depth first without recursion; returns the visit numbers of `roots`."""
        out = []
        stack = list(reversed(roots))
        while stack:
            node = stack.pop()
            if id(node) in self.ids:
                continue
            number = self.ids[id(node)] = len(self.rows)
            # A node lent by the previous analysis (unchanged chunks) keeps that text: everything up
            # to its end must be this text, so its positions and source are this text's.
            assert node.doc is self.doc or node.doc.text[: node.end] == self.doc.text[: node.end], \
                "a node belongs to another document"
            row = [type(node).__name__, node.start, node.end, _rng(node.range), node.source]
            children: list = []
            if isinstance(node, Atom):
                row += [node.kind, node.text, _plain(node.value), _rng(node.inner_range)]
            elif isinstance(node, Value):
                row += [_plain(node.value)]
                children = node.parts
            elif isinstance(node, Entry):
                row += [node.key, node.key_start, node.key_end, _rng(node.key_range), _rng(node.value_range), _plain(node.value)]
                children = [] if node.value_node is None else [node.value_node]
            elif isinstance(node, Map):
                row += [node.closed, node.partial]
                children = node.items
            elif isinstance(node, ListNode):
                children = node.items
            elif isinstance(node, Declaration):
                row += [node.keywords, node.name, _rng(node.name_range), _rng(node.selection_range), len(node.tail)]
                assert all(a is b for a, b in zip(node.tail, node.parts[len(node.parts) - len(node.tail) :]))
                children = node.parts + ([node.body] if node.body is not None else [])
            self.rows.append(row)
            row.append([None] * len(children))  # filled below with the children's numbers
            stack.extend(reversed(children))
            for i, child in enumerate(children):
                self._later(row[-1], i, child)
            out.append(number)
        return out

    def _later(self, slots: list, i: int, child) -> None:
        self.pending.append((slots, i, child))

    def finish(self) -> None:
        for slots, i, child in self.pending:
            slots[i] = self.ids[id(child)]


def snapshot(analysis: Analysis) -> dict:
    tree = _Tree(analysis)
    tree.pending = []
    items = tree.walk(analysis.module.items)
    declarations = [tree.walk([d])[0] if id(d) not in tree.ids else tree.ids[id(d)] for d in analysis.declarations]
    maps = [tree.walk([m])[0] if id(m) not in tree.ids else tree.ids[id(m)] for m in analysis.maps]
    tree.finish()
    models = []
    for md in analysis.models:
        assert any(md.decl is d for d in analysis.declarations)
        models.append((
            md.kind, md.name, _rng(md.name_range), _rng(md.range), tree.ids[id(md.decl)], md.provider,
            _rng(md.provider_range), md.model, _rng(md.model_range), md.description, md.extends,
            {k: tree.ids[id(e)] for k, e in md.entries.items()},
            {k: tree.ids[id(e)] for k, e in md.config.items()},
            {k: tree.ids[id(e)] for k, e in md.deployment_config.items()},
            _plain(md.options()), _plain(md.deployment_options()), md.is_local, md.is_ollama,
        ))
    diagnostics = [(d.to_lsp(), d.severity, repr(d.data)) for d in analysis.diagnostics]
    return {
        "tree": tree.rows, "items": items, "legacy": analysis.module.legacy, "declarations": declarations,
        "maps": maps, "models": models, "diagnostics": diagnostics, "lines": list(analysis.line_index.line_starts),
    }
