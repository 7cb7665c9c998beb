"""Incremental text synchronisation: random edit sequences (emoji, CRLF, lone CR) leave the server's
view of the text equal to the client's, and the server keeps answering; edits to unknown
documents and out-of-range positions are no-ops, not crashes."""

from __future__ import annotations

import random
import re

from lsprotocol import types

from .harness import _plain, model_block

DEBUG_TEXT = "namel3ss/debug/documentText"
_BREAK = re.compile(r"\r\n|\r|\n")
PIECES = ["a", "model", ": ", "llama3:8b", "{", "}", "\n", "\r\n", "🦙", "é", "𝄞x", "  ", "# c\n", '"q"', "\t"]


def to_position(text: str, offset: int) -> types.Position:
    """An LSP position for a code-point offset (independent of the server's implementation)."""
    line, start = 0, 0
    for match in _BREAK.finditer(text):
        if match.end() > offset:
            break
        line, start = line + 1, match.end()
    return types.Position(line=line, character=len(text[start:offset].encode("utf-16-le")) // 2)


def valid_offsets(text: str) -> list[int]:
    """Offsets a client can express: not between \\r and \\n."""
    return [i for i in range(len(text) + 1) if not (0 < i < len(text) and text[i - 1] == "\r" and text[i] == "\n")]


async def server_text(client, uri: str) -> dict | None:
    return _plain(await client.protocol.send_request_async(DEBUG_TEXT, {"uri": uri}))


async def _fuzz(client, seed: int, steps: int) -> None:
    rng = random.Random(seed)
    uri = f"file:///fuzz-{seed}.ai"
    text = model_block("llama3:8b") + "# 🦙 comment\r\nai model x {\r\n    model: a\r\n}\r\n"
    client.open(uri, text)
    version = 1
    for _ in range(steps):
        changes = []
        for _ in range(rng.randint(1, 3)):  # several changes in one notification apply in order
            offsets = valid_offsets(text)
            a, b = sorted((rng.choice(offsets), rng.choice(offsets)))
            insert = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 3)))
            changes.append(
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=to_position(text, a), end=to_position(text, b)), text=insert
                )
            )
            text = text[:a] + insert + text[b:]
        version += 1
        client.change(uri, version, changes)
    seen = await server_text(client, uri)
    assert seen["version"] == version
    assert seen["text"] == text
    # and the server still answers requests on the result
    await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


async def test_random_incremental_edits_vscode(shared_vscode):
    client = shared_vscode
    for seed in range(4):
        await _fuzz(client, seed, 60)


async def test_random_incremental_edits_neovim(shared_neovim):
    client = shared_neovim
    for seed in range(4, 8):
        await _fuzz(client, seed, 60)


async def test_full_document_change_and_utf16_positions(shared_vscode):
    client = shared_vscode
    uri = "file:///full.ai"
    client.open(uri, "x")
    client.change(uri, 2, [types.TextDocumentContentChangeWholeDocument(text="🦙🦙 model\r\nnext")])
    # replace "model" (after two emoji = 4 UTF-16 units + space) with "llm"
    client.change(
        uri,
        3,
        [types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=0, character=5), end=types.Position(line=0, character=10)), text="llm"
        )],
    )
    assert (await server_text(client, uri))["text"] == "🦙🦙 llm\r\nnext"


async def test_bad_edits_are_harmless(shared_neovim):
    client = shared_neovim
    # didChange before didOpen: ignored
    client.change("file:///not-open.ai", 2, [types.TextDocumentContentChangeWholeDocument(text="x")])
    uri = "file:///clamp.ai"
    client.open(uri, "ab\ncd")
    # positions past the end of a line / the document are clamped
    client.change(
        uri,
        2,
        [types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=0, character=99), end=types.Position(line=7, character=3)), text="!"
        )],
    )
    assert (await server_text(client, uri))["text"] == "ab!"
    assert await server_text(client, "file:///not-open.ai") is None
    diags = await client.wait_diagnostics(uri, lambda p: p.version == 2)
    assert diags.version == 2


async def test_huge_document_does_not_block_other_requests(shared_vscode, shared_standin):
    import time

    client = shared_vscode
    big_uri, small_uri = "file:///huge.ai", "file:///small-next-to-huge.ai"
    client.open(small_uri, "ai model chat {\n    provider: ollama\n    model: \n}\n")
    await client.wait_diagnostics(small_uri)
    big = "".join(model_block("llama3:8b" if i % 2 else "nothere:1b", f"m{i}", config={"num_ctx": 4096}) for i in range(4000))
    client.open(big_uri, big)
    started = time.monotonic()
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=small_uri), position=types.Position(line=2, character=11))
    )
    assert time.monotonic() - started < 1.5  # generous: the big analysis runs in a worker thread
    assert any(i.label == "llama3:8b" for i in result.items)
    diags = await client.wait_codes(big_uri, lambda c: c.count("ollama-model-missing") == 2000, timeout=60)
    assert len(diags) == 2000
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=big_uri)))
