"""Adobe Illustrator and binary `.ai` files (issue 17, item 7).

`.ai` is also Illustrator's extension, and its files are PDF (`%PDF-`) or PostScript
(`%!PS-Adobe`) inside, possibly after a byte order mark or blank lines. One detector
(`namel3ss_lsp.language.foreign.foreign_reason`) recognises them, and binary content (NUL bytes),
for `analyze` (so every feature of the server), `namel3ss-lsp check` and the workspace index. Such
a file gets exactly one `not-namel3ss` diagnostic and no parsing at all: no outline, no folding, no
completion, and little memory (a 6 MB one used to give 2,059 syntax errors and take 481 MB).
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from lsprotocol import types

from namel3ss_lsp import check
from namel3ss_lsp.language import analysis as analysis_module
from namel3ss_lsp.language import analyze, completion_context, folding_ranges, symbols
from namel3ss_lsp.language.foreign import BINARY, ILLUSTRATOR, foreign_reason
from namel3ss_lsp.language.types import Position
from namel3ss_lsp.lsp import workspace_index
from tests.lsp.harness import NEOVIM

from .helpers import doc_id, free_port, timed_completion


def illustrator_pdf(size: int = 20_000, seed: int = 3) -> bytes:
    """A PDF-based Illustrator file: header, XMP metadata naming Illustrator, binary streams with
    brackets and quotes (what made thousands of syntax errors)."""
    rng = random.Random(seed)
    head = (b"%PDF-1.6\r%\xe2\xe3\xcf\xd3\r\n1 0 obj\r<</Metadata 2 0 R/Pages 3 0 R/Type/Catalog>>\rendobj\r"
            b"2 0 obj\r<</Length 900/Subtype/XML/Type/Metadata>>stream\r\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
            b"<xmp:CreatorTool>Adobe Illustrator 27.0 (Windows)</xmp:CreatorTool>\r\nendstream\rendobj\r")
    body = bytearray()
    while len(body) < size:
        body += b"3 0 obj\r<</Length 4000/Filter/FlateDecode>>stream\r\n"
        body += bytes(rng.choice(b"{}[]()\"':#abc \n\x01\xff") for _ in range(4000))
        body += b"\r\nendstream\rendobj\r"
    return head + bytes(body) + b"%%EOF\r"


def illustrator_ps() -> bytes:
    return (b"%!PS-Adobe-3.0\r%%Creator: Adobe Illustrator(R) 8.0\r%%BoundingBox: 0 0 612 792\r"
            b"%%BeginProlog\r/Adobe_level2_AI5 14 dict dup begin\r{ [ ( } ] ) \" '\r%%EOF\r")


CASES = {
    "pdf": illustrator_pdf(),
    "postscript": illustrator_ps(),
    "pdf after a BOM and blank lines": b"\xef\xbb\xbf  \r\n\n\t%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\n",
    "postscript after a BOM": b"\xef\xbb\xbf%!PS-Adobe-3.0 EPSF-3.0\n%%Creator: Adobe Illustrator(R) 24.0\n",
    "NUL bytes": b"ai model m {\n    provider: ollama\x00\x00\n}\n",
}
EXPECTED = {name: (BINARY if name == "NUL bytes" else ILLUSTRATOR) for name in CASES}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_one_detector_for_bytes_and_editor_text(name: str, encoding: str):
    data = CASES[name]
    assert foreign_reason(data) == EXPECTED[name]
    text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding, errors="replace")
    assert foreign_reason(text) == EXPECTED[name]
    # the CLI and the workspace index use this very function
    assert workspace_index.refusal is foreign_reason


@pytest.mark.parametrize("text", [
    "", "\ufeff", "ai model m {\n    provider: ollama\n}\n", "# a comment about %PDF-1.4\napp a {}\n",
    "app a {\n    description: \"%!PS-Adobe\"\n}\n", "  \n\napp x {}\n",
])
def test_namel3ss_text_is_not_foreign(text: str):
    assert foreign_reason(text) is None
    assert foreign_reason(text.encode("utf-8")) is None


@pytest.mark.parametrize("name", list(CASES))
def test_analyze_stops_before_parsing(name: str, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("an Illustrator or binary file was scanned or parsed")

    monkeypatch.setattr(analysis_module, "rescan", never)
    monkeypatch.setattr(analysis_module, "scan", never)
    monkeypatch.setattr(analysis_module, "_parse_chunk", never)
    text = CASES[name].decode("latin-1")
    for lean in (False, True):
        result = analyze(text, lean=lean)
        assert [(d.code, d.message) for d in result.diagnostics] == [("not-namel3ss", EXPECTED[name])]
        assert result.foreign == EXPECTED[name]
        assert result.module.items == [] and result.models == [] and result.maps == []
        assert symbols(result) == [] and folding_ranges(result) == []
        assert completion_context(result, Position(1, 3)).kind == "none"


def test_check_cli_reports_the_same_single_diagnostic(tmp_path: Path):
    for name, data in CASES.items():
        path = tmp_path / (name.replace(" ", "_") + ".ai")
        path.write_bytes(data)
        diagnostics = check.check_file(path)
        assert [(d.code, d.message) for d in diagnostics] == [("not-namel3ss", EXPECTED[name])], name


async def test_illustrator_documents_through_the_server(lsp):
    dead = f"http://127.0.0.1:{free_port()}"
    client = await lsp(NEOVIM, init={"ollama": {"baseUrl": dead, "requestTimeout": 1, "healthCheckInterval": 30}})
    rss_before = _rss(client)
    big = illustrator_pdf(6_000_000, seed=9)  # the size of the example: 6 MB
    documents = dict(CASES, **{"6 MB pdf": big})
    for name, data in documents.items():
        for encoding in ("utf-8", "latin-1"):
            uri = f"file:///illustrator/{name.replace(' ', '-')}-{encoding}.ai"
            text = data.decode(encoding, errors="replace")
            client.open(uri, text)
            published = await client.wait_diagnostics(uri, timeout=60)
            assert [str(d.code) for d in published.diagnostics] == ["not-namel3ss"], (name, published.diagnostics[:3])
            ident = doc_id(uri)
            outline = await asyncio.wait_for(client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=ident)), 60)
            folds = await asyncio.wait_for(client.text_document_folding_range_async(types.FoldingRangeParams(text_document=ident)), 60)
            items, _ = await timed_completion(client, uri, types.Position(line=1, character=3))
            assert not outline and not folds and not items, (name, outline, folds, items[:3])
            if name == "6 MB pdf":
                rss_open = _rss(client)
            client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=ident))
    # the text itself, decoded (up to 4 bytes a character), and the message it came in: no analysis
    if rss_before and rss_open:
        grown = (rss_open - rss_before) / 2**20
        print(f"server RSS grew by {grown:.1f} MB with a 6 MB Illustrator document open")
        assert grown < 120, f"the server grew by {grown:.0f} MB for a 6 MB Illustrator file"


def _rss(client) -> int:
    server = getattr(client, "_server", None)
    try:
        with open(f"/proc/{server.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, AttributeError):
        pass
    return 0
