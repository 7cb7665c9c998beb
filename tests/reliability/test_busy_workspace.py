"""A busy workspace (issue 17, item 5): analysis never holds the event loop for long.

Against the real server process, with ten 5,000-line documents that all get a keystroke at once
(what a branch switch does), the order of what comes back is checked, never how long it took:

- a request in another document is answered while analyses of the ten are still pending (it used
  to wait until all ten were analysed and published: they ran back to back on the event loop);
- a request about one of the ten, sent once their analyses are under way, is answered before the
  analyses queued ahead of it (the document a request is about goes first);
- a burst of versions of one document is published in increasing order only, ending with the last
  version's diagnostics (an analysis of an outdated text is dropped, never published late).

In-process: closing a document frees the chunk-cache entries that only it used, and the scans the
core remembers, and keeps those of the documents still open.
"""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from namel3ss_lsp.language.analysis import chunk_keys
from namel3ss_lsp.language.chunk_cache import CACHE
from namel3ss_lsp.lsp.documents import DocumentStore
from tests.lsp.harness import NEOVIM

from .helpers import doc_id, free_port, server_text, timed_completion, wait_until

DOCS = 10
LINES = 5000
SMALL = "ai model chat {\n    provider: ollama\n    model: llama3:8b\n}\n"


def big_document(i: int, lines: int = LINES) -> str:
    """`lines` lines of distinct `ai model` declarations (10 lines each)."""
    blocks = []
    for n in range(lines // 10):
        k = i * 100_000 + n
        blocks.append(
            f"ai model m{k} {{\n    provider: ollama\n    model: llama3:8b\n    config: {{\n"
            f"        temperature: 0.{n % 10}\n        num_ctx: 4096\n    }}\n"
            f'    description: "model number {k}"\n}}\n\n'
        )
    return "".join(blocks)


def keystroke(line: int = 7, character: int = 18, text: str = "x") -> list:
    """One character typed inside the first declaration's description."""
    at = types.Position(line=line, character=character)
    return [types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text=text)]


def published(client, uri: str, version: int) -> bool:
    latest = client.latest(uri)
    return latest is not None and latest.version == version


async def busy_server(lsp):
    dead = f"http://127.0.0.1:{free_port()}"
    client = await lsp(NEOVIM, init={"ollama": {"baseUrl": dead, "requestTimeout": 1, "healthCheckInterval": 30}})
    small = "file:///busy/small.ai"
    client.open(small, SMALL)
    uris = [f"file:///busy/doc{i}.ai" for i in range(DOCS)]
    for i, uri in enumerate(uris):
        client.open(uri, big_document(i))
    for uri in [small, *uris]:
        await client.wait_diagnostics(uri, lambda p: p.version == 1, timeout=120)
    return client, small, uris


async def test_a_request_is_answered_while_other_documents_are_analysed(lsp):
    client, small, uris = await busy_server(lsp)
    for uri in uris:  # a branch switch: every document changes
        client.change(uri, 2, keystroke())
    # Once the first of them is published, the others' analyses are under way or queued.
    await wait_until(lambda: any(published(client, u, 2) for u in uris), 120, what="a first publication")
    hover = await asyncio.wait_for(client.text_document_hover_async(
        types.HoverParams(text_document=doc_id(small), position=types.Position(line=2, character=14))), 60)
    items, _ = await timed_completion(client, small, types.Position(line=2, character=13))
    pending = [u for u in uris if not published(client, u, 2)]
    assert pending, "hover and completion in another document waited until all ten documents were analysed"
    assert hover is not None and items is not None
    for uri in uris:
        await client.wait_diagnostics(uri, lambda p: p.version == 2, timeout=120)


async def test_the_document_a_request_is_about_goes_first(lsp):
    client, _, uris = await busy_server(lsp)
    for version in (2, 3):  # the second burst finds the chunk cache warm, as when typing
        for uri in uris:
            client.change(uri, version, keystroke(text="x" if version == 2 else "y"))
        await wait_until(lambda: any(published(client, u, version) for u in uris), 120, what="a first publication")
        last = next(u for u in reversed(uris) if not published(client, u, version))
        symbols = await asyncio.wait_for(client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=doc_id(last))), 60)
        ahead = [u for u in uris[: uris.index(last)] if not published(client, u, version)]
        assert ahead, f"documentSymbol of {last} was answered only after every document queued before it"
        assert len(symbols) == LINES // 10
        text = await server_text(client, last)
        assert text is not None and text["version"] == version
        for uri in uris:
            await client.wait_diagnostics(uri, lambda p, v=version: p.version == v, timeout=120)


async def test_outdated_versions_are_never_published_late(lsp):
    dead = f"http://127.0.0.1:{free_port()}"
    client = await lsp(NEOVIM, init={"ollama": {"baseUrl": dead, "requestTimeout": 1, "healthCheckInterval": 30}})
    uri = "file:///busy/typed.ai"
    client.open(uri, big_document(0))
    await client.wait_diagnostics(uri, lambda p: p.version == 1, timeout=120)
    last = 41
    for version in range(2, last + 1):  # typing without pause: each version replaces the one analysed
        client.change(uri, version, keystroke(text="q"))
        if version % 10 == 0:
            await asyncio.sleep(0.05)  # some arrive while an analysis of the previous one is under way
    # The last version breaks the first declaration: its diagnostics say so.
    client.change(uri, last + 1, [types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=1, character=0), end=types.Position(line=1, character=0)),
        text="    bogus\n")])
    await client.wait_diagnostics(uri, lambda p: p.version == last + 1, timeout=120)
    await asyncio.sleep(0.5)  # anything late would arrive now
    versions = [p.version for p in client.published[uri]]
    assert versions == sorted(set(versions)), f"published out of order or twice: {versions}"
    assert versions[-1] == last + 1
    final = client.latest(uri)
    assert any("bogus" in d.message for d in final.diagnostics), final.diagnostics
    assert len(versions) < last, f"every version was analysed and published: {versions}"


# --- closed documents give their caches back (in-process) ------------------------------------------

class _Change:
    def __init__(self, text: str) -> None:
        self.text = text
        self.range = None


@pytest.fixture
def store():
    CACHE.clear()
    yield DocumentStore()
    CACHE.clear()


async def test_closing_a_document_frees_its_chunk_cache_entries(store):
    a = store.open("file:///a.ai", big_document(1, 500), 1)
    b = store.open("file:///b.ai", big_document(2, 500), 1)
    for doc, name in ((a, "a"), (b, "b")):
        await store.analysis(doc)
        # edited: from now on the chunks parsed for it are kept in the chunk cache (the others are
        # lent by its previous analysis)
        store.change(doc.uri, 2, [_Change(doc.text + f"\nai model added_{name} {{\n  provider: ollama\n}}\n")])
        await store.analysis(doc)
    keys_a = [k for k, found in zip(chunk_keys(a.analysis), CACHE.get_many(chunk_keys(a.analysis))) if found]
    keys_b = [k for k, found in zip(chunk_keys(b.analysis), CACHE.get_many(chunk_keys(b.analysis))) if found]
    assert keys_a and keys_b
    store.close(a.uri)
    store.release()
    assert all(found is None for found in CACHE.get_many(keys_a)), "the closed document's chunks are still cached"
    assert all(found is not None for found in CACHE.get_many(keys_b)), "an open document's chunks were dropped"
    store.close(b.uri)
    store.release()
    assert len(CACHE) == 0


async def test_a_dropped_analysis_hands_its_waiters_the_newer_one(store):
    doc = store.open("file:///c.ai", big_document(3, 2000), 1)
    waiting = asyncio.ensure_future(store.analysis(doc))
    await asyncio.sleep(0)  # the analysis of version 1 has started
    store.change(doc.uri, 2, [_Change(doc.text + "app x {\n    bogus\n}\n")])
    analysis = await waiting
    assert analysis is doc.analysis and doc.analysis_version == 2
    assert any("bogus" in d.message for d in analysis.diagnostics)
    assert store.queue.dropped >= 1


def test_at_most_a_thousand_language_diagnostics_are_published_errors_first():
    from namel3ss_lsp.language import analyze
    from namel3ss_lsp.lsp.diagnostics import MAX_LANGUAGE_DIAGNOSTICS, language_diagnostics

    # 1,199 duplicate declarations (errors) and 1,200 unknown keys (warnings)
    text = "".join(f"ai model m {{\n    provider: ollama\n    model: llama3:8b\n    colour: {i}\n}}\n" for i in range(1200))
    found = analyze(text, remember=False).diagnostics
    assert len(found) == 2399
    published = language_diagnostics(analyze(text, remember=False))
    assert len(published) == MAX_LANGUAGE_DIAGNOSTICS + 1
    assert all(d.severity == types.DiagnosticSeverity.Error for d in published[:-1])
    assert [d.range.start.line for d in published[:-1]] == sorted(d.range.start.line for d in published[:-1])
    last = published[-1]
    assert last.code == "too-many-diagnostics" and "1,399 more" in last.message
