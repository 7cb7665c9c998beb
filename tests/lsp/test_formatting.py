"""Formatting (document, range, on typing '}'), selection ranges and document links, end to end."""

from __future__ import annotations

import sys

from lsprotocol import types

from namel3ss_lsp.language.format import FormatOptions, format_text
from namel3ss_lsp.language.positions import LineIndex

from .harness import VSCODE, _client_factory, fast_settings, find_position, server_env, stop_client

MESSY = """# models
ai model chat {
  provider: ollama
  model:   llama3:8b
  config: {
      temperature: 0.7
  base_url: "{url}"
  }
}
llm other {
        model: mistral
}
"""


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def _apply(text: str, edits) -> str:
    index = LineIndex(text)
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = index.offset(edit.range.start), index.offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


def _options(tab_size: int = 4, insert_spaces: bool = True) -> types.FormattingOptions:
    return types.FormattingOptions(tab_size=tab_size, insert_spaces=insert_spaces)


async def test_capabilities_are_advertised(standin_url):
    from pytest_lsp import client_capabilities

    client = _client_factory()
    try:
        await client.start_io(sys.executable, "-m", "namel3ss_lsp", env=server_env())
        result = await client.initialize_session(
            types.InitializeParams(capabilities=client_capabilities(VSCODE), initialization_options=fast_settings(standin_url))
        )
        caps = result.capabilities
        assert caps.document_formatting_provider and caps.document_range_formatting_provider
        assert caps.document_on_type_formatting_provider.first_trigger_character == "}"
        assert caps.selection_range_provider and caps.document_link_provider
    finally:
        await stop_client(client)


async def test_formatting_answers_minimal_edits(shared_vscode, shared_standin):
    client = shared_vscode
    uri = "file:///format-whole.ai"
    text = MESSY.replace("{url}", shared_standin.url)
    client.open(uri, text)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(text_document=_doc(uri), options=_options(2)))
    assert _apply(text, edits) == format_text(text, FormatOptions(tab_size=2))
    assert all(e.range.start.line >= 2 for e in edits) and len(edits) >= 2  # line 0 and 1 were fine
    # tabs, as the client asks
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(text_document=_doc(uri), options=_options(4, False)))
    assert "\n\tprovider: ollama\n\t\ttemperature: 0.7\n" in _apply(text, edits).replace("\tmodel: llama3:8b\n\tconfig: {\n", "")


async def test_range_formatting_changes_only_the_range(shared_neovim, shared_standin):
    client = shared_neovim
    uri = "file:///format-range.ai"
    text = MESSY.replace("{url}", shared_standin.url)
    client.open(uri, text)
    # lines 5-6 (temperature, base_url); the selection ends at the start of line 7
    rng = types.Range(start=types.Position(line=5, character=3), end=types.Position(line=7, character=0))
    edits = await client.text_document_range_formatting_async(
        types.DocumentRangeFormattingParams(text_document=_doc(uri), range=rng, options=_options())
    )
    after = _apply(text, edits).split("\n")
    before = text.split("\n")
    assert after[5:7] == ["        temperature: 0.7", f'        base_url: "{shared_standin.url}"']
    assert after[:5] == before[:5] and after[7:] == before[7:]


async def test_on_type_formatting_reindents_the_closed_block(shared_vscode, shared_standin):
    client = shared_vscode
    uri = "file:///format-on-type.ai"
    text = "app demo {\n  description: \"x\"\n  config: {\n  debug: true\n      }\n}\nllm m {\n  model: x\n}\n"
    client.open(uri, text)
    position = find_position(text, "}\n}", 1)  # just after the '}' that closes config
    edits = await client.text_document_on_type_formatting_async(
        types.DocumentOnTypeFormattingParams(text_document=_doc(uri), position=position, ch="}", options=_options())
    )
    after = _apply(text, edits).split("\n")
    assert after[2:5] == ["    config: {", "        debug: true", "    }"]
    assert after[:2] == text.split("\n")[:2] and after[5:] == text.split("\n")[5:]  # only that block


async def test_broken_and_binary_documents_are_answered(shared_vscode, shared_standin):
    client = shared_vscode
    uri = "file:///format-broken.ai"
    text = "app x {\n  a: 1\n\nllm y {\n  model: m\n}\n"  # the app is never closed
    client.open(uri, text)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(text_document=_doc(uri), options=_options()))
    assert _apply(text, edits) == "app x {\n  a: 1\n\nllm y {\n    model: m\n}\n"
    uri = "file:///format-binary.ai"
    client.open(uri, "%PDF-1.4\n\0\0\x01 obj\n")
    assert not await client.text_document_formatting_async(types.DocumentFormattingParams(text_document=_doc(uri), options=_options()))
    on_type = await client.text_document_on_type_formatting_async(
        types.DocumentOnTypeFormattingParams(text_document=_doc("file:///never-opened.ai"), position=types.Position(line=0, character=0), ch="}", options=_options())
    )
    assert not on_type


async def test_selection_range(shared_neovim, shared_standin):
    client = shared_neovim
    uri = "file:///selection.ai"
    text = MESSY.replace("{url}", shared_standin.url)
    client.open(uri, text)
    result = await client.text_document_selection_range_async(
        types.SelectionRangeParams(text_document=_doc(uri), positions=[find_position(text, "0.7", 1), types.Position(line=0, character=3)])
    )
    index = LineIndex(text)
    chain, node = [], result[0]
    while node is not None:
        chain.append(text[index.offset(node.range.start) : index.offset(node.range.end)])
        node = node.parent
    assert chain[:3] == ["0.7", "temperature: 0.7", text[text.index("{\n      temp") : text.index("}\n}") + 1]]
    assert chain[-1] == text and len(chain) == 7
    assert result[1].parent is None  # a comment: the file


async def test_document_links(shared_vscode, shared_standin):
    client = shared_vscode
    uri = "file:///links.ai"
    text = MESSY.replace("{url}", shared_standin.url).replace("llm other {\n", "llm other {\n  provider: ollama\n") + 'llm far {\n  provider: ollama\n  model: hf.co/u/r:Q4_K_M\n  base_url: "http://10.9.8.7:11434"\n}\n'
    client.open(uri, text)
    links = await client.text_document_document_link_async(types.DocumentLinkParams(text_document=_doc(uri)))
    assert [(link.range.start, link.target) for link in links] == [
        (find_position(text, "llama3:8b"), "https://ollama.com/library/llama3"),
        (find_position(text, shared_standin.url), shared_standin.url),  # the configured server: allowed
        (find_position(text, "mistral"), "https://ollama.com/library/mistral"),
        (find_position(text, "hf.co/u/r"), "https://huggingface.co/u/r"),
    ]  # 10.9.8.7 is outside ollama.allowedHosts: no link
