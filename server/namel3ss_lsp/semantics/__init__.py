"""The semantic model: what each file declares and refers to, and the workspace index over them.

Pure Python, no I/O, no asyncio, no LSP types. `summarize(uri, analysis)` reads one analysed file
into a `FileSummary`; `WorkspaceIndex` holds the summaries of every file of the workspace and
answers name questions across them. The IDE layer (`namel3ss_lsp.ide`) queries it.
"""

from namel3ss_lsp.semantics.index import WorkspaceIndex
from namel3ss_lsp.semantics.references import RULES, ReferenceRule, is_identifier, reference_rule
from namel3ss_lsp.semantics.summary import Declared, FileSummary, Referenced, SummaryMemo, summarize

__all__ = [
    "Declared", "FileSummary", "RULES", "ReferenceRule", "Referenced", "WorkspaceIndex", "is_identifier",
    "reference_rule", "summarize", "SummaryMemo",
]
