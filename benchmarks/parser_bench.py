"""Figure 8: throughput of ``namel3ss_lsp.language`` (run as its own process by figures.py).

Inputs: the real corpus concatenated (``tests/corpus/brace/**/*.ai`` and ``doc_snippets/*.ai``),
a synthetic ~10 MB file mixing the declaration kinds found in that corpus, the 5,000-line document
of figure 2, and the whole valid corpus repeated to 4 MB and to 10 MB (analysis + outline +
folding: what opening a big file costs). Prints one JSON line
``{"rows": [[metric, value], ...], "notes": [...], "headline": "...", "figures": {...}}`` last.

The time is split between parsing (text -> syntax tree) and analysis (tree -> declarations and
diagnostics) using the language package's phase entry points; see ``phases()``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# $N3BENCH_SERVER_PATH: measure another copy of the package (e.g. a checkout of the last commit,
# for before/after figures); by default the working tree.
sys.path[:0] = [os.environ.get("N3BENCH_SERVER_PATH") or str(REPO / "server"), str(REPO)]

CORPUS = REPO / "tests" / "corpus"

SYNTH_TEMPLATE = '''# ---- block {i}
ai model local_{i} {{
    provider: ollama
    model: llama3:8b
    config: {{
        temperature: 0.{d}
        num_ctx: 4096
        top_p: 0.9
        base_url: "http://localhost:11434"
    }}
    deployment_config: {{
        num_gpu: 1
        num_thread: 8
    }}
    description: "Local model number {i}"
}}

llm remote_{i} {{
    provider: "openai"
    model: "gpt-4o-mini"
    temperature: 0.4
    max_tokens: 1024
}}

prompt "answer_{i}" {{
  model: "remote_{i}"
  template: """
  User question:
  {{{{question}}}}
  Produce a concise, well-structured answer.
  """
}}

memory history_{i} {{
    type: "short_term"
    capacity: 100
}}

agent "Agent{i}" {{
  llm: "local_{i}"
  memory: "conversation_window"
}}

'''


def corpus_text() -> tuple[str, int]:
    files = sorted((CORPUS / "brace").rglob("*.ai")) + sorted((CORPUS / "doc_snippets").rglob("*.ai"))
    parts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    return "\n".join(parts), len(files)


def real_text(size: int) -> str:
    """`size` characters of real Namel3ss: every valid corpus file (brace, mixed, doc snippets; not
    `invalid/`), over and over, as tests/reliability/test_huge_and_binary.py builds its 10 MB file."""
    files = sorted(CORPUS.rglob("*.ai"))
    sources = [p.read_text(encoding="utf-8", errors="replace") for p in files if "invalid" not in p.relative_to(CORPUS).parts]
    parts, total = [], 0
    while total < size:
        for source in sources:
            parts.append(source + "\n")
            total += len(source) + 1
    return "".join(parts)[:size]


class GcClock:
    """Time spent in the cyclic garbage collector while active (gc.callbacks)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._started
            self.full += info.get("generation") == 2

    def __enter__(self) -> "GcClock":
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)


def cold_outline(label: str, text: str, repeat: int, rows: list, lean: bool = False) -> tuple[float, float]:
    """What opening a file costs the language core: `analyze` from scratch, then the outline and
    the folding ranges (as the editor asks for them right after). Returns (seconds, MB/s), medians.
    The cyclic GC runs as usual (its share is shown), from a collected heap, as in a fresh process."""
    from namel3ss_lsp.language import analyze, folding_ranges, symbols

    mb = len(text.encode("utf-8")) / 1e6
    runs = []
    for _ in range(repeat):
        reset_caches()
        gc.collect()
        with GcClock() as clock:
            t0 = time.perf_counter()
            analysis = analyze(text, lean=True) if lean else analyze(text)
            t1 = time.perf_counter()
            symbols(analysis)
            folding_ranges(analysis)
            t2 = time.perf_counter()
        runs.append((t2 - t0, t1 - t0, t2 - t1, clock.total, clock.full))
        del analysis
    total = statistics.median(r[0] for r in runs)
    if not lean:
        rows.append([f"{label}: size", f"{mb:.2f} MB / {text.count(chr(10)) + 1:,} lines"])
    what = "lean analyze (the server's way above 1 MB) + outline + folding" if lean else "analyze + outline + folding"
    rows.append([
        f"{label}: {what} from scratch",
        f"{total * 1000:.0f} ms = {mb / total:.2f} MB/s (median of {repeat}; analyze {statistics.median(r[1] for r in runs) * 1000:.0f} ms, "
        f"outline + folding {statistics.median(r[2] for r in runs) * 1000:.0f} ms; of the whole, cyclic GC "
        f"{statistics.median(r[3] for r in runs) * 1000:.0f} ms in {max(r[4] for r in runs)} full collection(s))",
    ])
    return total, mb / total


def synthetic_text(target_bytes: int) -> str:
    parts = []
    size = 0
    i = 0
    while size < target_bytes:
        block = SYNTH_TEMPLATE.format(i=i, d=i % 10)
        parts.append(block)
        size += len(block)
        i += 1
    return "".join(parts)


def phased_analyze(text: str) -> dict[str, float]:
    """Time the phases of one real ``namel3ss_lsp.language.analyze(text)`` call.

    The package has one public entry point, ``analyze(text)``. Its body (``language/analysis.py``)
    calls, by name from its module, ``LineIndex`` (offset <-> position table), ``scan`` (split the
    text into top-level chunks, mask comments) and ``parse_region`` once per chunk (Lark LALR with
    the contextual lexer; the tree builder runs inline as a Lark transformer, so building the
    syntax tree counts as parsing, and so does error recovery). Those three are wrapped with timers
    for the duration of the call; everything else — model extraction, schema checks, diagnostics
    de-duplication and sorting — is "analysis" = total - index - scan - parse.
    """
    from namel3ss_lsp.language import analysis as A

    acc = {"index": 0.0, "scan": 0.0, "parse": 0.0, "cache": 0.0}
    bucket = {"LineIndex": "index", "scan": "scan", "rescan": "scan", "parse_region": "parse", "_template": "cache"}
    originals = {name: getattr(A, name) for name in bucket if callable(getattr(A, name, None))}
    if "parse_region" not in originals:
        raise RuntimeError("language/analysis.py no longer calls parse_region by name")

    def timed(name):
        fn = originals[name]
        key = bucket[name]

        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                acc[key] += time.perf_counter() - t

        return wrapper

    for name in originals:
        setattr(A, name, timed(name))
    reset_caches()
    try:
        t0 = time.perf_counter()
        result = A.analyze(text)
        total = time.perf_counter() - t0
    finally:
        for name, fn in originals.items():
            setattr(A, name, fn)
    acc["analysis"] = max(0.0, total - acc["index"] - acc["scan"] - acc["parse"] - acc["cache"])
    acc["total"] = total
    acc["result"] = result
    return acc


def phases_available() -> bool:
    try:
        phased_analyze("ai model x {\n provider: ollama\n model: llama3\n}\n")
        return True
    except Exception as exc:  # the internals moved: report the total only
        print(f"phase split unavailable: {exc!r}", file=sys.stderr)
        return False


def reset_caches() -> None:
    """Forget what the language core remembers between calls (chunk cache, recent scans), so that
    every timed run parses from scratch. No-op for the parts that do not exist."""
    try:
        from namel3ss_lsp.language import chunk_cache

        chunk_cache.CACHE.clear()
    except (ImportError, AttributeError):
        pass
    try:
        from namel3ss_lsp.language import rescan

        rescan.clear()
    except (ImportError, AttributeError):
        pass


def timeit(fn, *args, repeat: int):
    times = []
    result = None
    for _ in range(repeat):
        reset_caches()
        gc.collect()
        t0 = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def measure(label: str, text: str, repeat: int, rows: list, split: bool, incremental: bool = True) -> float:
    from namel3ss_lsp.language import analyze

    mb = len(text.encode("utf-8")) / 1e6
    if split:
        # one set of timed runs: the phase timers cost ~1 µs per chunk, negligible
        runs = []
        for _ in range(repeat):
            reset_caches()
            gc.collect()
            runs.append(phased_analyze(text))
        total = statistics.median(r["total"] for r in runs)
        analysis = runs[-1]["result"]
    else:
        total, analysis = timeit(analyze, text, repeat=repeat)
    ndiag = len(getattr(analysis, "diagnostics", []) or [])
    nmodels = len(getattr(analysis, "models", []) or [])
    rows.append([f"{label}: size / lines", f"{mb:.2f} MB / {text.count(chr(10)) + 1:,} lines"])
    rows.append([f"{label}: analyze() from scratch", f"{total * 1000:.0f} ms = {mb / total:.2f} MB/s (median of {repeat})"])
    if split:
        best = min(runs, key=lambda r: r["total"])  # one consistent run (the fastest), not medians of parts
        tot = best["total"]
        parse = best["scan"] + best["parse"]
        rows.append([
            f"{label}: split of one analyze(): parsing (scan + Lark) / analysis / chunk-cache copy / line index",
            f"{parse * 1000:.0f} ms ({mb / parse:.2f} MB/s, {100 * parse / tot:.0f}%; scan {best['scan'] * 1000:.0f} ms) / "
            f"{best['analysis'] * 1000:.0f} ms ({100 * best['analysis'] / tot:.0f}%) / "
            f"{best['cache'] * 1000:.0f} ms ({100 * best['cache'] / tot:.0f}%) / "
            f"{best['index'] * 1000:.0f} ms ({100 * best['index'] / tot:.0f}%)",
        ])
        for r in runs:
            r.pop("result", None)
    rows.append([f"{label}: diagnostics / model declarations", f"{ndiag} / {nmodels}"])
    if incremental:
        # what a keystroke costs: analyse the text once, then the same text with one character
        # inserted in the middle (and deleted again), caches warm as in the server
        mid = text.find("\n", len(text) // 2) + 1 or len(text) // 2
        edited = text[:mid] + "#\n" + text[mid:]
        reset_caches()
        analyze(text)
        times = []
        for i in range(max(3, repeat)):
            t0 = time.perf_counter()
            analyze(edited if i % 2 == 0 else text)
            times.append(time.perf_counter() - t0)
        rows.append([f"{label}: re-analysis after a one-line edit (caches warm)", f"{statistics.median(times) * 1000:.1f} ms (median of {len(times)})"])
    return mb / total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--size", type=int, default=None, help="synthetic size in bytes")
    args = ap.parse_args()
    rows: list = []
    notes: list = []
    text, nfiles = corpus_text()
    if nfiles == 0:
        notes.append(f"No corpus found under {CORPUS}: corpus rows skipped.")
    t0 = time.perf_counter()
    from namel3ss_lsp.language import analyze

    analyze("ai model x {\n provider: ollama\n model: llama3\n}\n")
    rows.append(["import + first analyze (grammar load)", f"{(time.perf_counter() - t0) * 1000:.0f} ms"])
    split = phases_available()
    corpus_mbs = measure(f"corpus ({nfiles} files concatenated)", text, 2 if args.quick else 5, rows, split) if nfiles else 0.0
    size = args.size or (200_000 if args.quick else 10_000_000)
    synth = synthetic_text(size)
    synth_mbs = measure(f"synthetic {size / 1e6:g} MB", synth, 1, rows, split, incremental=False)
    sys.path.insert(0, str(HERE))
    from common import document

    measure("5,000-line document of figure 2", document(5000), 2 if args.quick else 5, rows, split)
    real_size = 400_000 if args.quick else 4_000_000
    _, real_mbs = cold_outline(f"real corpus repeated to {real_size / 1e6:g} MB", real_text(real_size), 1 if args.quick else 3, rows)
    ten_size = 1_000_000 if args.quick else 10_000_000
    ten = real_text(ten_size)
    ten_s, _ = cold_outline(f"real corpus repeated to {ten_size / 1e6:g} MB", ten, 1, rows)
    try:
        cold_outline(f"real corpus repeated to {ten_size / 1e6:g} MB", ten, 1, rows, lean=True)
    except TypeError:  # a build without lean analysis (before/after runs of older code)
        pass
    if split:
        notes.append(
            "`namel3ss_lsp.language` has a single public entry point, `analyze(text)`, and no separate "
            "parse / analyse functions; the split times one real `analyze()` call with timers wrapped "
            "around the functions it calls by name (`language/analysis.py`): parsing = `rescan`/`scan` "
            "(top-level chunking) + `parse_region` per chunk (the fast path, else Lark LALR; the tree "
            "builder runs inline, so building the tree and error recovery count as parsing); chunk-cache "
            "copy = `_template` (storing each parsed chunk position-independently for reuse); line "
            "index = `LineIndex(text)`; analysis = the rest (model extraction, schema checks, duplicate "
            "checks, diagnostics de-duplication and sort). Every timed run starts with the chunk cache "
            "and the recent-scan memory cleared, so it parses from scratch; the 're-analysis' rows "
            "keep them warm, as the server does between keystrokes."
        )
    else:
        notes.append("The phase split is unavailable (internal functions changed); total analyze() only.")
    notes.append(
        "The synthetic file repeats a 47-line block mixing the declaration kinds of the corpus "
        "(`ai model` with config and deployment_config, `llm`, `prompt` with a triple-quoted template, "
        "`memory`, `agent`), each with unique names."
    )
    notes.append(
        "The 'real corpus repeated' rows are what opening a big file costs: every valid corpus file "
        "over and over (the 10 MB file of tests/reliability/test_huge_and_binary.py), analysed from "
        "scratch, then outlined and folded, with the cyclic garbage collector on as in the server."
    )
    print(json.dumps({"rows": rows, "notes": notes, "headline": f"corpus {corpus_mbs:.2f} MB/s, synthetic {synth_mbs:.2f} MB/s",
                      "figures": {"real_mbs": real_mbs, "real_size": real_size, "ten_s": ten_s, "ten_size": ten_size}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
