"""The pure language core: text in, syntax tree, model view and diagnostics out.

No I/O, no asyncio, no pygls: the language server, the `check` command and the tests all call
`analyze(text)` and read the `Analysis` it returns.
"""

from namel3ss_lsp.language import chunk_cache as _chunk_cache
from namel3ss_lsp.language import rescan as _rescan
from namel3ss_lsp.language import tree as _tree
from namel3ss_lsp.language.analysis import Analysis, analyze
from namel3ss_lsp.language.context import CompletionContext, NodeInfo, completion_context, node_at
from namel3ss_lsp.language.models import ModelDecl
from namel3ss_lsp.language.outline import Symbol, folding_ranges, symbols
from namel3ss_lsp.language.parser import grammar_text
from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.language.schema import LOCAL_PROVIDERS, PROVIDERS, KeySpec, lookup_key
from namel3ss_lsp.language.tree import Atom, Declaration, Entry, Expr, Map, Module, Ref, Value
from namel3ss_lsp.language.types import Diagnostic, Position, Range, Severity


def clear_cache() -> None:
    """Forget every cached chunk and remembered scan: the next `analyze` starts cold (for tests
    and benchmarks; results never depend on the cache)."""
    _chunk_cache.CACHE.clear()
    _rescan.clear()
    _tree.forget_words()


__all__ = [
    "Analysis", "analyze", "CompletionContext", "NodeInfo", "completion_context", "node_at",
    "ModelDecl", "Symbol", "folding_ranges", "symbols", "grammar_text", "LineIndex",
    "LOCAL_PROVIDERS", "PROVIDERS", "KeySpec", "lookup_key", "Atom", "Declaration", "Entry",
    "Expr", "Map", "Module", "Ref", "Value", "Diagnostic", "Position", "Range", "Severity", "clear_cache",
]
