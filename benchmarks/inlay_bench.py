"""Inlay hints speed: `textDocument/inlayHint` for a visible range of 100 lines, over LSP stdio.

Target (issue 18): under 5 ms p50. The document is 5,000 lines of `ai model` declarations (every
tenth line a model id) plus agents that refer to them (each an `llm:` reference resolving to an
Ollama model), with 1,000 models installed on a stand-in Ollama so every hint has its facts. The
range moves through the document so no two requests ask for the same lines.

    python benchmarks/inlay_bench.py [--runs 200]

Prints one line per figure. Tests never assert durations; this script reports them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "server"), str(HERE.parent), str(HERE)]

from common import bench_model_names, document, ours, start, stop_all  # noqa: E402
from standin import StandInProcess  # noqa: E402

LINES = 5000
WINDOW = 100


def agents(count: int) -> str:
    return "".join(f"agent bench_agent_{i} {{\n    llm: chat_{i}\n}}\n\n" for i in range(count))


async def main(runs: int) -> None:
    models = bench_model_names(1000)
    with StandInProcess(models=models) as standin:
        client = ours(standin.url)
        try:
            await start(client)
            text = document(LINES - 1000, models=models) + agents(250)
            uri = "file:///bench/inlay.ai"
            await client.did_open(uri, text)
            await client.wait_diagnostics(uri, 1, timeout=120)
            total = text.count("\n")
            # warm: the model list and the index are in place once hints appear
            for _ in range(100):
                r = await client.request("textDocument/inlayHint", {"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": WINDOW, "character": 0}}})
                if r.result:
                    break
                await asyncio.sleep(0.1)
            latencies, counts = [], []
            for i in range(runs):
                first = (i * 37) % max(1, total - WINDOW)
                rng = {"start": {"line": first, "character": 0}, "end": {"line": first + WINDOW, "character": 0}}
                r = await client.request("textDocument/inlayHint", {"textDocument": {"uri": uri}, "range": rng})
                latencies.append(r.elapsed)
                counts.append(len(r.result or []))
        finally:
            await stop_all(client)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(f"inlay hints, {WINDOW}-line range of a {total}-line document, {statistics.median(counts):.0f} hints: p50 {p50:.2f} ms, p99 {p99:.2f} ms (target: p50 < 5 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    asyncio.run(main(parser.parse_args().runs))
