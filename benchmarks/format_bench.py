"""Formatting speed: `format_document` in process, and `textDocument/formatting` over LSP stdio.

Target (issue 18): formatting a 5,000-line document answers in under 100 ms (p50).

Documents, each 5,000 lines:
* `models`: 500 `ai model` declarations already in canonical layout (benchmarks/common.document);
* `corpus`: the real brace-style corpus files concatenated, as written (2- and 4-space indentation,
  trailing whitespace, triple-quoted and block strings): most lines change;
* `corpus, formatted`: the same, already formatted (the common case on save: nothing to do).

In process, with the analysis supplied (what the server does: the document's analysis is cached)
and cold (parsing included), wall clock and CPU time. Over LSP: the real server, one formatting request at a time after
didOpen and the first diagnostics, timed from the request written to the response read.

    python benchmarks/format_bench.py [--runs 21]

Prints one line per figure. Tests never assert durations; this script reports them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "server"), str(REPO), str(HERE)]

from namel3ss_lsp.language import analyze, clear_cache  # noqa: E402
from namel3ss_lsp.language.format import format_document  # noqa: E402

LINES = 5000


def corpus_document(lines: int = LINES) -> str:
    files = sorted((REPO / "tests" / "corpus" / "brace").rglob("*.ai"))
    parts: list[str] = []
    count = 0
    while count < lines:
        for path in files:
            text = path.read_text(encoding="utf-8")
            text = text if text.endswith("\n") else text + "\n"
            parts.append(text)
            count += text.count("\n")
            if count >= lines:
                break
    return "".join(parts[:-1]) + "".join(parts[-1].splitlines(keepends=True)[: lines - (count - parts[-1].count("\n"))])


def documents() -> dict[str, str]:
    from common import document

    corpus = corpus_document()
    return {"models": document(LINES), "corpus": corpus, "corpus, formatted": format_document(corpus).text}


def timed(fn, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each run (CPU time: on a shared machine the wall clock
    also counts the time other processes held the cores)."""
    wall, cpu = [], []
    for _ in range(runs):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def line(label: str, values: list[float], cpu: list[float] | None = None) -> None:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    extra = f"   cpu p50 {statistics.median(cpu):6.1f} ms" if cpu else ""
    print(f"{label:58s} p50 {statistics.median(values):7.1f} ms   p95 {p95:7.1f} ms{extra}   (n={len(values)})")


def in_process(docs: dict[str, str], runs: int) -> None:
    for name, text in docs.items():
        analysis = analyze(text)
        result = format_document(text, analysis=analysis)
        print(f"# {name}: {text.count(chr(10)):,} lines, {len(text):,} chars, {len(result.edits())} edits, {sum(a != b for a, b in zip(text.split(chr(10)), result.text.split(chr(10))))} lines differ")
        line(f"format_document, analysis supplied  [{name}]", *timed(lambda: format_document(text, analysis=analysis).edits(), runs))

        def cold() -> None:
            clear_cache()
            format_document(text)

        line(f"format_document, cold (parse included)  [{name}]", *timed(cold, max(5, runs // 3)))


async def over_lsp(docs: dict[str, str], runs: int) -> None:
    from common import ours, start, stop_all

    client = await start(ours(None))
    try:
        for number, (name, text) in enumerate(docs.items()):
            uri = f"file:///bench/format-{number}.ai"
            await client.did_open(uri, text)
            await client.wait_diagnostics(uri)
            params = {"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": True}}
            await client.request("textDocument/formatting", params)  # warm-up
            times = []
            for _ in range(runs):
                response = await client.request("textDocument/formatting", params)
                times.append(response.elapsed * 1000)
            line(f"textDocument/formatting over stdio  [{name}]", times)
            rng = {"start": {"line": 2000, "character": 0}, "end": {"line": 2100, "character": 0}}
            times = []
            for _ in range(runs):
                response = await client.request("textDocument/rangeFormatting", {**params, "range": rng})
                times.append(response.elapsed * 1000)
            line(f"textDocument/rangeFormatting, 100 lines  [{name}]", times)
    finally:
        await stop_all(client)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--no-lsp", action="store_true", help="in-process figures only")
    args = parser.parse_args()
    docs = documents()
    in_process(docs, args.runs)
    if not args.no_lsp:
        asyncio.run(over_lsp(docs, args.runs))


if __name__ == "__main__":
    main()
