"""Coverage-guided fuzzing of the language core with atheris (long runs; not part of pytest).

What it checks, for every input the fuzzer makes up (bytes decoded as UTF-8 with replacement, and
also as text with the three LSP line-break styles):

* `analyze(text)` never raises, and no diagnostic is the core's "internal error" (the form a
  caught exception, e.g. a RecursionError, takes);
* every range (diagnostics, declarations, maps, model ids, providers, config entries, outline
  symbols, folding ranges) lies inside the document by the LSP's rules (lines end at \\n, \\r\\n
  or \\r; columns in UTF-16 units), and a symbol's selection range lies in its range;
* `completion_context` and `node_at` at a position derived from the input never raise.

Run (Python 3.11; atheris ships wheels for it):

    pip install atheris
    cd /path/to/namel3ss-lsp
    python tests/fuzz/fuzz_analyze.py -max_total_time=3600 -rss_limit_mb=4096 \\
        -dict=tests/fuzz/namel3ss.dict corpus_dir/ tests/corpus/brace tests/corpus/mixed

Pass `-artifact_prefix=/tmp/n3fuzz/` to keep crash files out of the checkout. libFuzzer options go after the script name (`-runs=N`, `-max_len=65536`, `-jobs=2`, ...). A crash
writes `crash-<sha1>` in the current directory; replay it with
`python tests/fuzz/fuzz_analyze.py crash-<sha1>`. Seed directories may hold any files: the
corpus of tests/corpus is a good start. Without atheris installed, `python tests/fuzz/fuzz_analyze.py
FILE...` runs the same checks once on each file (a quick replay, no fuzzing).
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "server"))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

try:
    import atheris
except ImportError:  # replay mode
    atheris = None

if atheris is not None:
    with atheris.instrument_imports():
        from namel3ss_lsp.language import analyze, completion_context, folding_ranges, node_at, symbols
        from namel3ss_lsp.language.types import Position
else:
    from namel3ss_lsp.language import analyze, completion_context, folding_ranges, node_at, symbols
    from namel3ss_lsp.language.types import Position

import re

_BREAK = re.compile(r"\r\n|\r|\n")


def _widths(text: str) -> list[int]:
    return [len(line.encode("utf-16-le", "surrogatepass")) // 2 for line in _BREAK.split(text)]


def _check_range(widths: list[int], rng, what: str, text: str) -> None:
    if rng is None:
        return
    for pos in (rng.start, rng.end):
        if not (0 <= pos.line < len(widths) and 0 <= pos.character <= widths[pos.line]):
            raise AssertionError(f"{what}: {rng} outside the document ({len(widths)} lines): {text[:200]!r}")
    if (rng.start.line, rng.start.character) > (rng.end.line, rng.end.character):
        raise AssertionError(f"{what}: start after end {rng}")


def check(text: str, probe: int = 0) -> None:
    analysis = analyze(text)
    widths = _widths(text)
    for d in analysis.diagnostics:
        if "internal error" in d.message:
            raise AssertionError(f"internal error diagnostic: {d.message}")
        _check_range(widths, d.range, f"diagnostic {d.code}", text)
    for decl in getattr(analysis, "declarations", []) or []:
        _check_range(widths, decl.range, "declaration", text)
        _check_range(widths, decl.name_range, "declaration name", text)
    for m in analysis.models:
        for attr in ("range", "name_range", "model_range", "provider_range"):
            _check_range(widths, getattr(m, attr, None), f"model {attr}", text)
        for entry in list((m.config or {}).values()) + list((m.deployment_config or {}).values()):
            _check_range(widths, entry.key_range, "config key", text)
            _check_range(widths, entry.value_range, "config value", text)
    stack = list(symbols(analysis) or [])
    while stack:
        sym = stack.pop()
        _check_range(widths, sym.range, "symbol", text)
        _check_range(widths, sym.selection_range, "symbol selection", text)
        stack.extend(sym.children or [])
    for fold in folding_ranges(analysis) or []:
        if not 0 <= fold[0] <= fold[1] < len(widths):
            raise AssertionError(f"folding range {fold} outside {len(widths)} lines")
    line = probe % max(1, len(widths))
    pos = Position(line, (probe // 7) % (widths[line] + 1))
    completion_context(analysis, pos)
    completion_context(text, pos)
    node_at(analysis, pos)


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    probe = int.from_bytes(data[:4].ljust(4, b"\0"), "little")
    check(text, probe)
    if "\n" in text:
        check(text.replace("\r\n", "\n").replace("\n", "\r\n"), probe)


def main() -> None:
    if atheris is None:
        paths = [p for p in sys.argv[1:] if not p.startswith("-")]
        if not paths:
            sys.exit("atheris is not installed (pip install atheris); give files to replay them once")
        for path in paths:
            with open(path, "rb") as handle:
                test_one_input(handle.read())
            print(f"ok {path}")
        return
    sys.setrecursionlimit(1000)  # the default: a deep recursion must not pass because the limit is high
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
