"""The workspace index end to end: definition, references, highlights, rename, workspace symbols,
unknown references, cross-file duplicates, reference completion and hover, semantic tokens, and
files changed on disk — on a multi-file workspace where one file (tools.ai) is never opened."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from .harness import NEOVIM, VSCODE, fast_settings, find_position, wait_until

FIXTURE = Path(__file__).resolve().parent / "workspace_fixture"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    return root


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def _open(client, path: Path) -> tuple[str, str]:
    uri, text = path.as_uri(), path.read_text()
    client.open(uri, text)
    await client.wait_diagnostics(uri)
    return uri, text


async def _indexed(client, count: int) -> None:
    """Wait for the end of the "Indexing N files" progress."""
    def ended() -> bool:
        for reports in client.progress_reports.values():
            values = [getattr(r, "value", r) for r in reports]
            if any(getattr(v, "kind", None) == "end" for v in values) and any(
                f"Indexing {count} files" in (getattr(v, "message", "") or "") for v in values
            ):
                return True
        return False

    await wait_until(ended, 20, what="indexing progress")


async def _client(lsp, workspace: Path, profile: str = VSCODE, url: str | None = None):
    client = await lsp(profile, init=fast_settings(url), root=workspace)
    return client


async def test_definition_references_and_highlights_across_files(lsp, workspace):
    client = await _client(lsp, workspace)
    await _indexed(client, 3)
    uri, text = await _open(client, workspace / "agents.ai")
    tools_uri = (workspace / "tools.ai").as_uri()

    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=_doc(uri), position=find_position(text, "fast_llm", 2))
    )
    assert [loc.uri for loc in found] == [(workspace / "models.ai").as_uri()]
    assert found[0].range.start.line == 1

    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=_doc(uri), position=find_position(text, "search_web", 1))
    )
    assert [(loc.uri, loc.range.start.line) for loc in found] == [(tools_uri, 1)]  # a file never opened

    # References from the declaration in the unopened file, with and without the declaration.
    tools_text = (workspace / "tools.ai").read_text()
    pos = find_position(tools_text, "search_web", 1)
    refs = await client.text_document_references_async(
        types.ReferenceParams(text_document=_doc(tools_uri), position=pos, context=types.ReferenceContext(include_declaration=True))
    )
    assert sorted((r.uri, r.range.start.line, r.range.start.character) for r in refs) == [(uri, 2, 13), (tools_uri, 1, 6)]
    refs = await client.text_document_references_async(
        types.ReferenceParams(text_document=_doc(tools_uri), position=pos, context=types.ReferenceContext(include_declaration=False))
    )
    assert [(r.uri, r.range.start.line) for r in refs] == [(uri, 2)]

    highlights = await client.text_document_document_highlight_async(
        types.DocumentHighlightParams(text_document=_doc(uri), position=find_position(text, "conversation_history", 1))
    )
    assert [(h.range.start.line, h.kind) for h in highlights] == [(3, types.DocumentHighlightKind.Read)]


async def test_unknown_reference_with_suggestion_and_quick_fix(lsp, workspace):
    client = await _client(lsp, workspace, NEOVIM)
    await _indexed(client, 3)
    uri, text = await _open(client, workspace / "agents.ai")
    latest = await client.wait_diagnostics(uri, lambda p: any(d.code == "unknown-reference" for d in p.diagnostics))
    unknown = [d for d in latest.diagnostics if d.code == "unknown-reference"]
    assert len(unknown) == 1, [d.message for d in latest.diagnostics]
    diag = unknown[0]
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert "unknown tool 'serch_web'" in diag.message and "did you mean 'search_web'?" in diag.message
    assert diag.range.start == find_position(text, "serch_web")
    # `memory: "conversation_window"` is a memory policy, `llm: "gpt4"` a declared llm: no warning.
    assert not [d for d in latest.diagnostics if d.severity == types.DiagnosticSeverity.Error]
    # The cursor at the start of the line, the diagnostic named in the context (as Neovim sends it).
    line_start = types.Position(line=diag.range.start.line, character=0)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=_doc(uri), range=types.Range(start=line_start, end=line_start),
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    fix = [a for a in actions if a["title"] == "Replace with 'search_web'"]
    assert len(fix) == 1 and fix[0]["kind"] == "quickfix"
    edit = fix[0]["edit"]["changes"][uri][0]
    assert edit["newText"] == "search_web" and edit["range"]["start"]["character"] == diag.range.start.character


async def test_rename_across_files_keeps_each_style(lsp, workspace):
    client = await _client(lsp, workspace)
    await _indexed(client, 3)
    uri, text = await _open(client, workspace / "agents.ai")
    models_uri = (workspace / "models.ai").as_uri()

    pos = find_position(text, "fast_llm", 1)
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=_doc(uri), position=pos))
    assert prepared.placeholder == "fast_llm"
    edit = await client.text_document_rename_async(types.RenameParams(text_document=_doc(uri), position=pos, new_name="quick_llm"))
    changes = {c.text_document.uri: c for c in edit.document_changes}
    assert set(changes) == {uri, models_uri}
    assert changes[uri].text_document.version == 1  # the open document carries its version
    assert changes[models_uri].text_document.version is None  # a closed file
    assert [e.new_text for e in changes[models_uri].edits] == ["quick_llm"]
    assert changes[models_uri].edits[0].range.start == types.Position(line=1, character=4)

    # A quoted name stays quoted: only the text inside the quotes changes, in both files.
    pos = find_position(text, "gpt4", 1)
    edit = await client.text_document_rename_async(types.RenameParams(text_document=_doc(uri), position=pos, new_name="gpt5"))
    for change in edit.document_changes:
        for e in change.edits:
            assert e.new_text == "gpt5"
            assert e.range.end.character - e.range.start.character == len("gpt4")
    models_edit = next(c for c in edit.document_changes if c.text_document.uri == models_uri).edits[0]
    assert models_edit.range.start == types.Position(line=7, character=5)  # after the quote of `llm "gpt4"`

    # Refusals: an invalid identifier, a name taken by the same kind, a key.
    with pytest.raises(JsonRpcException, match="not a valid name"):
        await client.text_document_rename_async(types.RenameParams(text_document=_doc(uri), position=find_position(text, "fast_llm", 1), new_name="two words"))
    (workspace / "more.ai").write_text('llm taken {\n    provider: "openai"\n}\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=(workspace / "more.ai").as_uri(), type=types.FileChangeType.Created)])
    )
    async def refused() -> bool:
        try:
            await client.text_document_rename_async(types.RenameParams(text_document=_doc(uri), position=find_position(text, "fast_llm", 1), new_name="taken"))
        except JsonRpcException as exc:
            return "already exists" in str(exc)
        return False
    for _ in range(50):
        if await refused():
            break
    else:
        raise AssertionError("rename to a taken name was not refused")
    with pytest.raises(JsonRpcException, match="Only a declared name"):
        await client.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=_doc(uri), position=find_position(text, "llm:", 1)))


async def test_workspace_symbols_are_fuzzy_and_cover_every_file(lsp, workspace):
    client = await _client(lsp, workspace)
    await _indexed(client, 3)
    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="srchweb"))
    assert [(s.name, s.location.uri) for s in symbols] == [("search_web", (workspace / "tools.ai").as_uri())]
    every = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    assert {s.name for s in every} >= {"fast_llm", "gpt4", "search_web", "conversation_history", "researcher_role", "researcher", "helper"}


async def test_reference_completion_of_a_huge_workspace_is_bounded_and_narrows(lsp, workspace):
    """3,000 tools in the workspace: an answer holds at most 1,000 of them, those matching what is
    typed first, and says it is incomplete, so typing more asks again (38,700 items took 1.1 s)."""
    (workspace / "many_tools.ai").write_text("".join(f'tool t{i:04d} {{\n    description: "x"\n}}\n' for i in range(3000)))
    client = await _client(lsp, workspace)
    await _indexed(client, 4)
    uri = (workspace / "new.ai").as_uri()
    client.open(uri, "agent a {\n    tools: [\n}\nagent b {\n    tools: [t29\n}\nagent c {\n    tools: [search\n}\n")
    await client.wait_diagnostics(uri)

    async def complete(line: int, character: int) -> types.CompletionList:
        return await client.text_document_completion_async(
            types.CompletionParams(text_document=_doc(uri), position=types.Position(line=line, character=character)))

    everything = await complete(1, 12)
    assert everything.is_incomplete and len(everything.items) == 1000
    narrowed = await complete(4, 15)
    assert narrowed.is_incomplete and [i.label for i in narrowed.items] == [f"t{i}" for i in range(2900, 3000)]
    assert narrowed.items[0].text_edit.new_text == "t2900"
    one = await complete(7, 18)
    assert [i.label for i in one.items] == ["search_web"] and one.items[0].detail == "tool · tools.ai"


async def test_reference_completion_and_hover(lsp, workspace, standins):
    standin = standins(models=["llama3:8b"])
    client = await _client(lsp, workspace, url=standin.url)
    await _indexed(client, 3)
    uri = (workspace / "new.ai").as_uri()
    text = 'agent "writer" {\n    llm: \n    tools: [search_web, \n}\n'
    client.open(uri, text)
    await client.wait_diagnostics(uri)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=_doc(uri), position=types.Position(line=1, character=9))
    )
    items = result.items if hasattr(result, "items") else result
    labels = {i.label: i.detail for i in items}
    assert labels == {"fast_llm": "llm · models.ai", "gpt4": "llm · models.ai"}
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=_doc(uri), position=types.Position(line=2, character=24))
    )
    items = result.items if hasattr(result, "items") else result
    assert [i.label for i in items] == ["search_web"]

    agents_uri, agents = await _open(client, workspace / "agents.ai")
    await wait_until(lambda: client.statuses, 10, what="status")
    async def hovered() -> str:
        hover = await client.text_document_hover_async(
            types.HoverParams(text_document=_doc(agents_uri), position=find_position(agents, "fast_llm", 3))
        )
        return hover.contents.value if hover else ""
    await wait_until(lambda: True, 0.1)
    value = await hovered()
    for _ in range(40):
        if "quantization" in value:
            break
        await wait_until(lambda: True, 0.1)
        value = await hovered()
    assert "**llm** `fast_llm` · models.ai, line 2" in value
    assert "model: llama3:8b" in value  # the declaration's first lines
    assert "**llama3:8b** on" in value and "quantization: Q4_0" in value  # the model it ends in, live


async def test_changes_on_disk_and_in_open_files_refresh_dependents(lsp, workspace):
    client = await _client(lsp, workspace)
    await _indexed(client, 3)
    await wait_until(lambda: client.registrations, 10, what="the file watcher registration")
    watcher = client.registrations[0]
    assert watcher.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    assert watcher.register_options["watchers"][0]["globPattern"] == "**/*.ai"
    uri, _ = await _open(client, workspace / "agents.ai")
    await client.wait_codes(uri, lambda codes: codes.count("unknown-reference") == 1)

    # A file created on disk declares the missing tool: agents.ai is refreshed without an edit.
    extra = workspace / "extra.ai"
    extra.write_text("tool serch_web {\n    description: \"typo'd twin\"\n}\n")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=extra.as_uri(), type=types.FileChangeType.Created)])
    )
    await client.wait_codes(uri, lambda codes: "unknown-reference" not in codes)

    # Renaming the declaration in an open file makes the reference unknown again.
    models_uri, models = await _open(client, workspace / "models.ai")
    start = find_position(models, "fast_llm")
    client.change(models_uri, 2, [types.TextDocumentContentChangePartial(
        range=types.Range(start=start, end=types.Position(line=start.line, character=start.character + len("fast_llm"))), text="slow_llm")])
    latest = await client.wait_diagnostics(uri, lambda p: any("'fast_llm'" in d.message for d in p.diagnostics))
    assert any("did you mean 'slow_llm'?" in d.message for d in latest.diagnostics)

    # Deleting the file on disk brings the unknown tool back.
    extra.unlink()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=extra.as_uri(), type=types.FileChangeType.Deleted)])
    )
    await client.wait_diagnostics(uri, lambda p: any("'serch_web'" in d.message for d in p.diagnostics))


async def test_a_branch_switch_of_many_files_reaches_referring_and_declaring_files(lsp, workspace):
    """Sixty files created in one notification (handled 25 between two turns of the loop): the open
    file referring to a name one of them declares, and the open file declaring a name another
    one declares again, are both diagnosed again."""
    client = await _client(lsp, workspace)
    await _indexed(client, 3)
    agents_uri, _ = await _open(client, workspace / "agents.ai")
    await client.wait_codes(agents_uri, lambda codes: codes.count("unknown-reference") == 1)
    tools_uri, _ = await _open(client, workspace / "tools.ai")
    await client.wait_codes(tools_uri, lambda codes: "duplicate-declaration" not in codes)
    created = []
    for i in range(60):
        path = workspace / f"branch_{i:02d}.ai"
        body = {17: 'tool serch_web {\n    description: "x"\n}\n', 42: 'tool search_web {\n    description: "again"\n}\n'}
        path.write_text(body.get(i, f'tool filler_{i} {{\n    description: "x"\n}}\n'))
        created.append(types.FileEvent(uri=path.as_uri(), type=types.FileChangeType.Created))
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=created))
    await client.wait_codes(agents_uri, lambda codes: "unknown-reference" not in codes)
    await client.wait_codes(tools_uri, lambda codes: "duplicate-declaration" in codes)


async def test_duplicates_across_modules_and_valid_declarations(lsp, workspace):
    (workspace / "more_tools.ai").write_text('tool search_web {\n    description: "again"\n}\n')
    (workspace / "app.ai").write_text('app "Demo"\n\nllm fast_llm {\n    provider: "openai"\n}\n')
    client = await _client(lsp, workspace)
    await _indexed(client, 5)
    uri, _ = await _open(client, workspace / "more_tools.ai")
    latest = await client.wait_diagnostics(uri, lambda p: any(d.code == "duplicate-declaration" for d in p.diagnostics))
    dup = next(d for d in latest.diagnostics if d.code == "duplicate-declaration")
    assert dup.severity == types.DiagnosticSeverity.Error and "tools.ai" in dup.message
    assert [r.location.uri for r in dup.related_information] == [(workspace / "tools.ai").as_uri()]
    # An app is a program of its own: its own `fast_llm` conflicts with no module; an openai llm
    # without `model` is valid.
    app_uri, _ = await _open(client, workspace / "app.ai")
    await wait_until(lambda: client.latest(app_uri) is not None, 10)
    assert client.codes(app_uri) == []


async def test_semantic_tokens(lsp, workspace):
    client = await _client(lsp, workspace)
    await _indexed(client, 3)
    uri, text = await _open(client, workspace / "agents.ai")
    result = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=_doc(uri)))
    data = result.data
    assert len(data) % 5 == 0 and data
    tokens, line, start = [], 0, 0
    for i in range(0, len(data), 5):
        line += data[i]
        start = data[i + 1] if data[i] else start + data[i + 1]
        tokens.append((line, start, data[i + 2], data[i + 3], data[i + 4]))
    legend = ["namespace", "class", "function", "variable", "property", "string", "number", "type", "keyword"]
    by_place = {(t[0], t[1]): (legend[t[3]], t[4]) for t in tokens}
    assert by_place[(0, 0)] == ("keyword", 0)  # agent
    assert by_place[(0, 6)] == ("variable", 1)  # "researcher", declared
    assert by_place[(1, 4)] == ("property", 0)  # llm:
    assert by_place[(1, 9)] == ("class", 0)  # fast_llm: a model reference
    assert by_place[(2, 12)] == ("function", 0)  # "search_web": a tool reference
    ranged = await client.text_document_semantic_tokens_range_async(
        types.SemanticTokensRangeParams(text_document=_doc(uri), range=types.Range(start=types.Position(line=8, character=0), end=types.Position(line=9, character=0)))
    )
    assert ranged.data and ranged.data[0] == 8  # starts on line 8


async def test_a_huge_open_file_keeps_its_place_in_the_index(lsp, workspace):
    """Above LEAN_FROM characters a document is analysed without keeping a tree; opening it must not
    empty its summary (definitions into it vanished while it was open), and an edit to it reaches
    the files that refer to it, as with any open file."""
    from namel3ss_lsp.language.analysis import LEAN_FROM

    models = workspace / "models.ai"
    padding = "".join(f'tool padding_{i} {{\n    description: "filler so that the file is huge"\n}}\n' for i in range(LEAN_FROM // 60))
    models.write_text(models.read_text() + padding + 'agent padded_agent {\n    tools: [search_web]\n}\n')
    assert LEAN_FROM < len(models.read_text()) < 5_000_000
    client = await _client(lsp, workspace)
    await _indexed(client, 3)
    uri, text = await _open(client, workspace / "agents.ai")
    models_uri, models_text = await _open(client, models)

    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=_doc(uri), position=find_position(text, "fast_llm", 2))
    )
    assert [(loc.uri, loc.range.start.line) for loc in found] == [(models_uri, 1)]
    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="padding_1234"))
    assert (symbols[0].name, symbols[0].location.uri) == ("padding_1234", models_uri)
    # navigation from inside it works from its summary: to tools.ai, never opened
    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=_doc(models_uri), position=find_position(models_text, "search_web")))
    assert [(loc.uri, loc.range.start.line) for loc in found] == [((workspace / "tools.ai").as_uri(), 1)]
    # no tree kept, so no semantic tokens (README), and no summary parsed for them on the event loop
    tokens = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=_doc(models_uri)))
    assert list(tokens.data) == []

    start = find_position(models_text, "fast_llm")
    client.change(models_uri, 2, [types.TextDocumentContentChangePartial(
        range=types.Range(start=start, end=types.Position(line=start.line, character=start.character + len("fast_llm"))), text="slow_llm")])
    latest = await client.wait_diagnostics(uri, lambda p: any("'fast_llm'" in d.message for d in p.diagnostics))
    assert any("did you mean 'slow_llm'?" in d.message for d in latest.diagnostics)
