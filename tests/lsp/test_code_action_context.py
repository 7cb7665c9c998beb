"""Code actions for the diagnostics a client names in `context.diagnostics`, and for any range that
touches one: Neovim's `vim.lsp.buf.code_action()` with the cursor at the start of the line sends
that line's diagnostics in the context and a range that does not reach the model name."""

from __future__ import annotations

from lsprotocol import types

from .harness import model_block

PULL = "namel3ss.ollama.pullModel"


async def _actions(client, uri: str, rng: types.Range, diagnostics=()) -> list[dict]:
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
            context=types.CodeActionContext(diagnostics=list(diagnostics)),
        )
    )


async def test_pull_fix_for_the_cursor_line_and_for_named_diagnostics(shared_neovim):
    client = shared_neovim
    uri = "file:///context-actions.ai"
    client.open(uri, model_block("llama3:70b"))
    diags = await client.wait_codes(uri, lambda codes: "ollama-model-missing" in codes)
    missing = next(d for d in diags if d.code == "ollama-model-missing")
    line = missing.range.start.line
    start = types.Position(line=line, character=0)
    cursor = types.Range(start=start, end=start)

    # the diagnostic named in the context, the range elsewhere on the line
    titles = [a["title"] for a in await _actions(client, uri, cursor, [missing])]
    assert "Pull model 'llama3:70b'" in titles
    # a bare cursor on the line, no context (VS Code's lightbulb on the line)
    titles = [a["title"] for a in await _actions(client, uri, cursor)]
    assert "Pull model 'llama3:70b'" in titles
    # the whole line as a selection
    whole = types.Range(start=start, end=types.Position(line=line + 1, character=0))
    titles = [a["title"] for a in await _actions(client, uri, whole)]
    assert "Pull model 'llama3:70b'" in titles
    # another line, nothing named: no pull fix
    other = types.Position(line=0, character=0)
    titles = [a["title"] for a in await _actions(client, uri, types.Range(start=other, end=other))]
    assert "Pull model 'llama3:70b'" not in titles


class _CountedDiagnostic:
    """A diagnostic whose range counts how often it is read."""

    reads = 0

    def __init__(self, line: int) -> None:
        self.code = "unknown-reference"
        self._range = types.Range(start=types.Position(line=line, character=4), end=types.Position(line=line, character=9))

    @property
    def range(self) -> types.Range:
        _CountedDiagnostic.reads += 1
        return self._range


def test_named_diagnostics_are_looked_up_not_compared_one_by_one():
    """A whole-file request naming 3,000 diagnostics, about each of 3,000: a few reads of each
    range, not 3,000 x 3,000 comparisons (a request naming 7,000 took 2.6 s)."""
    from namel3ss_lsp.lsp.code_actions import selector

    n = 3000
    named = [_CountedDiagnostic(line) for line in range(0, 2 * n, 2)]
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    params = types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri="file:///x.ai"), range=whole,
                                    context=types.CodeActionContext(diagnostics=named))
    _CountedDiagnostic.reads = 0
    selects = selector(params)
    chosen = [selects(d) for d in [_CountedDiagnostic(line) for line in range(2 * n)]]
    assert chosen == [line % 2 == 0 or line == 0 for line in range(2 * n)]
    assert _CountedDiagnostic.reads <= 10 * n
