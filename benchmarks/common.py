"""Shared pieces of the benchmarks: paths, server command lines, document generators, statistics."""

from __future__ import annotations

import asyncio
import math
import os
import shlex
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from lsp_client import LspClient
from standin import REPO, child_env

BENCH = REPO / "benchmarks"
WORK = BENCH / ".work"
CORPUS = REPO / "tests" / "corpus"

# N3BENCH_SERVER_CMD overrides the server under test (e.g. another checkout, or the baseline itself
# to check the harness): a shell-style command line.
OURS_ARGV = shlex.split(os.environ["N3BENCH_SERVER_CMD"]) if os.environ.get("N3BENCH_SERVER_CMD") else [
    sys.executable,
    "-m",
    "namel3ss_lsp",
]
BASELINE_ARGV = [sys.executable, str(BENCH / "baseline_server.py")]


# ---------------------------------------------------------------------------- results
@dataclass
class Target:
    text: str  # e.g. "ratio to baseline <= 1.3"
    measured: str  # e.g. "1.12"
    met: bool | None  # None: reported only / not measurable


@dataclass
class FigureResult:
    key: str
    number: int
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)  # (metric, value)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def row(self, metric: str, value: Any) -> None:
        self.rows.append((metric, value if isinstance(value, str) else fmt(value)))

    def target(self, text: str, measured: Any, met: bool | None) -> None:
        self.targets.append(Target(text, measured if isinstance(measured, str) else fmt(measured), met))


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); p99 of fewer than 100 samples is their maximum."""
    if not values:
        return None
    data = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(data)))
    return data[min(rank, len(data)) - 1]


def p50(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


# ---------------------------------------------------------------------------- documents
BUILTIN_MODELS = ["llama3:8b", "mistral:latest", "qwen2.5:7b", "phi3:mini", "gemma2:9b"]


def bench_model_names(n: int) -> list[str]:
    """``n`` valid, distinct Ollama model names (a few well-known ones first)."""
    names = list(BUILTIN_MODELS[: min(n, len(BUILTIN_MODELS))])
    i = 0
    while len(names) < n:
        names.append(f"bench-model-{i:04d}:{(i % 13) + 1}b")
        i += 1
    return names


def model_block(index: int, model: str) -> str:
    """One 10-line ``ai model`` declaration (9 lines + a blank line)."""
    return (
        f"ai model m{index:06d} {{\n"
        f"    provider: ollama\n"
        f"    model: {model}\n"
        f"    config: {{\n"
        f"        temperature: 0.{index % 10}\n"
        f"        num_ctx: 4096\n"
        f"    }}\n"
        f'    description: "Benchmark model number {index}"\n'
        f"}}\n"
        f"\n"
    )


def document(lines: int, models: Sequence[str] = BUILTIN_MODELS, start: int = 0) -> str:
    """A valid document of exactly ``lines`` lines made of ``ai model`` declarations whose model
    ids cycle through ``models`` (all installed in the stand-in, so the interesting diagnostics
    path — look up each id in the cached model list — runs for every declaration)."""
    blocks = []
    count = 0
    i = start
    while count + 10 <= lines:
        blocks.append(model_block(i, models[i % len(models)]))
        count += 10
        i += 1
    text = "".join(blocks)
    text += "# padding\n" * (lines - count)
    return text


def edit_position(text: str) -> tuple[int, int]:
    """Where the one-character edit goes: inside the description string of the middle declaration."""
    lines = text.split("\n")
    mid = len(lines) // 2
    for j in range(mid, len(lines)):
        if lines[j].lstrip().startswith("description:"):
            return j, len(lines[j]) - 1  # just before the closing quote
    return mid, 0


def one_char_change(version: int, line: int, character: int) -> list[dict[str, Any]]:
    """Odd versions insert 'x', even versions delete it again: the document stays the same size."""
    if version % 2:
        rng = {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}}
        return [{"range": rng, "text": "x"}]
    rng = {"start": {"line": line, "character": character}, "end": {"line": line, "character": character + 1}}
    return [{"range": rng, "text": ""}]


COMPLETION_DOC = (
    "ai model chat {\n"
    "    provider: ollama\n"
    "    model: \n"
    "}\n"
)
COMPLETION_POS = (2, len("    model: "))


def count_items(result: Any) -> int:
    if result is None:
        return 0
    if isinstance(result, list):
        return len(result)
    return len(result.get("items") or [])


def item_labels(result: Any) -> list[str]:
    items = result if isinstance(result, list) else (result or {}).get("items") or []
    return [it.get("label", "") for it in items]


# ---------------------------------------------------------------------------- servers
def settings(base_url: str | None, *, ttl: float = 60, health: float = 30) -> dict[str, Any]:
    ollama: dict[str, Any] = {"modelCacheTtl": ttl, "healthCheckInterval": health}
    if base_url:
        ollama["baseUrl"] = base_url
    return {"ollama": ollama}


_profiles = 0


def ours(base_url: str | None, **kw: Any) -> LspClient:
    """The real server. With $N3BENCH_PROFILE=DIR it runs under ``py-spy record`` (raw collapsed
    stacks, idle frames excluded, native threads included) writing DIR/ours-N.txt; then the process
    id is py-spy's, so memory figures are meaningless in that mode."""
    global _profiles
    s = settings(base_url, **kw)
    argv = list(OURS_ARGV)
    prof = os.environ.get("N3BENCH_PROFILE")
    if prof:
        Path(prof).mkdir(parents=True, exist_ok=True)
        _profiles += 1
        out = Path(prof) / f"ours-{_profiles}.txt"
        argv = ["py-spy", "record", "--format", "raw", "-r", "250", "--nonblocking", "-o", str(out), "--"] + argv
    return LspClient(argv, env=child_env(), cwd=str(REPO), settings=s, name="namel3ss-lsp")


def baseline(items_file: Path | None = None, *, mode: str = "minimal", labels_file: Path | None = None) -> LspClient:
    """A baseline server (`baseline_server.py`): `minimal` (label-only completion items, the floor
    of any pygls server) or `same-items` (pygls sending our own completion payload back)."""
    env = child_env()
    env["N3BENCH_BASELINE"] = mode
    if items_file is not None:
        env["N3BENCH_COMPLETION_ITEMS"] = str(items_file)
    if labels_file is not None:
        env["N3BENCH_COMPLETION_LABELS"] = str(labels_file)
    return LspClient(BASELINE_ARGV, env=env, cwd=str(REPO), name=f"baseline-{mode}")


async def start(client: LspClient, root: Path | None = None) -> LspClient:
    """Spawn and initialize. The workspace is `root`, by default an empty folder: the server
    indexes its workspace in the background, and the figures other than the index figure measure
    documents sent over the protocol, not the repository's own files."""
    if root is None:
        root = WORK / "empty-workspace"
        root.mkdir(parents=True, exist_ok=True)
    await client.spawn()
    await client.initialize(client.settings or None, root=root.as_uri())
    return client


async def stop_all(*clients: LspClient | None) -> None:
    await asyncio.gather(*(c.stop() for c in clients if c is not None), return_exceptions=True)


def rotate(n: int, k: int) -> Iterable[tuple[int, int]]:
    """(iteration, which) for k contenders: each iteration runs all k, starting one further each
    time and reversing every other round, so none always runs right after another."""
    for i in range(n):
        order = [(i + j) % k for j in range(k)]
        if (i // k) % 2:
            order.reverse()
        for which in order:
            yield i, which


def alternate(n: int) -> Iterable[tuple[int, int]]:
    """(iteration, which) with which 0 = ours first on even iterations, baseline first on odd ones,
    so that neither side always runs right after the other."""
    for i in range(n):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for which in order:
            yield i, which
