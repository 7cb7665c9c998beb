"""Server-level fuzzing of text synchronisation: random sequences of incremental `didChange`
(random ranges, inserted text with emoji, CRLF, tabs, quotes and braces; several changes per
notification too) against the real server. The client keeps its own copy of the text, applying
the LSP rules itself (lines end at \\n, \\r\\n or \\r; columns are UTF-16 units). After every few
edits the server's own view (`namel3ss/debug/documentText`) must equal the client's, the server
must answer requests, and the diagnostics of the final version must arrive with every range
inside the document.

Seeds are fixed (printed) so a failure reproduces; `N3_FUZZ_SEEDS=1,2,3 N3_FUZZ_EDITS=2000`
makes a longer run.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from lsprotocol import types

from tests.lsp.harness import NEOVIM, start_client, stop_client

from .helpers import doc_id, free_port, server_text, timed_completion

pytestmark = pytest.mark.asyncio(loop_scope="module")

SEEDS = [int(s) for s in os.environ.get("N3_FUZZ_SEEDS", "11,22,33").split(",") if s.strip()]
EDITS = int(os.environ.get("N3_FUZZ_EDITS", "300"))
CHECK_EVERY = 10
_BREAK = re.compile(r"\r\n|\r|\n")

PIECES = [
    "ai model chat {\n", "    provider: ollama\n", "    model: llama3:8b\n", "}\n", "{", "}", "[", "]", ":", ",", '"', "'",
    '"""', "#", " # 🦙 comment", "😀", "👩‍💻", "é", "中文", "\t", "\r\n", "\n", "  ", "config: {\r\n", "temperature: 0.7",
    "num_ctx: 4096", 'base_url: "http://localhost:11434"', "llm x {", "page p at \"/\" {", "|", "\\", "", "x" * 50,
    "\u00a0", "\u2028", "\x0c", "\ufeff", "model: \"my model\"",
]
START = ("# fuzz 🦙\r\nai model chat {\r\n    provider: ollama\n    model: llama3:8b   # 😀\n    config: {\n"
         "        temperature: 0.7\n    }\n}\n")


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def split_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each LSP line, without its line break."""
    out, start = [], 0
    for m in _BREAK.finditer(text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


def to_offset(text: str, line: int, character: int) -> int:
    lines = split_lines(text)
    start, end = lines[line]
    units = 0
    for i, ch in enumerate(text[start:end]):
        if units >= character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return end


def random_position(rng: random.Random, text: str) -> types.Position:
    lines = split_lines(text)
    line = rng.randrange(len(lines))
    start, end = lines[line]
    chars = text[start:end]
    # a character boundary (never inside a surrogate pair), sometimes the line end
    index = rng.choice([0, len(chars), rng.randint(0, len(chars))])
    return types.Position(line=line, character=utf16_len(chars[:index]))


def random_change(rng: random.Random, text: str) -> tuple[types.TextDocumentContentChangePartial, str]:
    a, b = random_position(rng, text), random_position(rng, text)
    if (a.line, a.character) > (b.line, b.character):
        a, b = b, a
    if rng.random() < 0.5:
        b = a  # pure insertion
    new = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4)))
    start, end = to_offset(text, a.line, a.character), to_offset(text, b.line, b.character)
    result = text[:start] + new + text[end:]
    return types.TextDocumentContentChangePartial(range=types.Range(start=a, end=b), text=new), result


@dataclass
class Outcome:
    mismatches: list[str] = field(default_factory=list)
    range_violations: list[str] = field(default_factory=list)
    not_answered: list[str] = field(default_factory=list)
    edits: int = 0


def check_ranges(text: str, diagnostics: list, what: str, out: list[str]) -> None:
    widths = [utf16_len(text[s:e]) for s, e in split_lines(text)]
    for d in diagnostics:
        for pos in (d.range.start, d.range.end):
            if not (0 <= pos.line < len(widths) and 0 <= pos.character <= widths[pos.line]):
                out.append(f"{what}: {d.code} range {d.range} outside the document ({len(widths)} lines)\n{text!r}")
                return


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def outcome() -> Outcome:
    dead = f"http://127.0.0.1:{free_port()}"
    client = await start_client(NEOVIM, init={"ollama": {"baseUrl": dead, "requestTimeout": 1, "healthCheckInterval": 5}})
    result = Outcome()
    started = time.perf_counter()
    try:
        for seed in SEEDS:
            rng = random.Random(seed)
            uri = f"file:///fuzz/{seed}.ai"
            text, version = START, 1
            client.open(uri, text, version)
            for step in range(EDITS):
                batch = []
                # sometimes several changes in one notification, now and then many (multi-cursor
                # typing, Replace All: applied as lines from documents.BATCHED_FROM on)
                for _ in range(rng.choice([1, 1, 1, 2, 5]) if rng.random() > 0.03 else 40):
                    change, text = random_change(rng, text)
                    batch.append(change)
                version += 1
                client.change(uri, version, batch)
                result.edits += len(batch)
                if step % CHECK_EVERY == CHECK_EVERY - 1 or step == EDITS - 1:
                    view = await server_text(client, uri)
                    if view is None or view.get("text") != text or view.get("version") != version:
                        result.mismatches.append(f"seed {seed} step {step}: server {view!r}\nclient {text!r}")
                        text = view["text"] if view else text  # carry on from the server's view
                    pos = random_position(rng, text)
                    try:
                        await timed_completion(client, uri, pos)
                    except Exception as exc:  # noqa: BLE001
                        result.not_answered.append(f"seed {seed} step {step}: completion at {pos}: {exc!r}")
            final = version
            published = await client.wait_diagnostics(uri, lambda p: p.version == final, timeout=20)
            check_ranges(text, published.diagnostics, f"seed {seed}", result.range_violations)
            symbols = await asyncio.wait_for(
                client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc_id(uri))), 20
            )
            assert symbols is not None
        print(f"[edit fuzz] seeds {SEEDS}: {result.edits} changes in {time.perf_counter() - started:.1f}s")
        yield result
    finally:
        try:
            await stop_client(client)
        except Exception:
            await client.stop()


async def test_server_text_equals_client_text(outcome: Outcome):
    assert outcome.edits > 0
    assert not outcome.mismatches, outcome.mismatches[0][:3000]


async def test_server_answers_throughout(outcome: Outcome):
    assert not outcome.not_answered, outcome.not_answered[:3]


async def test_final_diagnostics_lie_inside_the_document(outcome: Outcome):
    assert not outcome.range_violations, outcome.range_violations[0][:3000]
