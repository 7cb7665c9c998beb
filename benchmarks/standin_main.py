"""Run the stand-in Ollama (``python -m tests.standin``) with a longer pull stream.

The stand-in's pull emits about 18 progress lines per model (5 steps for the big layer), which at
10,000 lines a second is over in 2 ms: too short to test a "reports per second" bound. Figure 7 runs
the very same stand-in through this wrapper, which only replaces the generator of pull lines so
that the model layer advances in ``$N3BENCH_PULL_STEPS`` steps (e.g. 30,000 steps = 3 s at
10,000 lines/s). Everything else — HTTP handling, pacing (``pull_lines_per_second``), stats — is the
stand-in's own code, except that pacing holds the requested rate on average (see below). Usage: ``N3BENCH_PULL_STEPS=30000 python benchmarks/standin_main.py --port 0 ...``
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "server"), str(REPO)]

import importlib  # noqa: E402

from tests.standin import __main__ as standin_main  # noqa: E402


def _module_with(attr: str):
    """The stand-in module that defines ``attr`` (its internals have moved between files)."""
    for name in ("routes", "handler", "wire", "server"):
        try:
            mod = importlib.import_module(f"tests.standin.{name}")
        except ImportError:
            continue
        if hasattr(mod, attr):
            return mod
    raise ImportError(f"no tests.standin module defines {attr}")


handler = _module_with("_pull_lines")  # the module whose pull route calls _pull_lines by name
_stream_mod = _module_with("_Stream")

STEPS = int(os.environ.get("N3BENCH_PULL_STEPS", "0") or 0)
_original = handler._pull_lines


def _long_pull_lines(record, *, already: bool):
    if record is None or already or STEPS <= 0:
        yield from _original(record, already=already)
        return
    yield {"status": "pulling manifest"}
    for i, layer in enumerate(record.layers()):
        base = {"status": f"pulling {layer.digest[7:19]}", "digest": layer.digest, "total": layer.size}
        yield dict(base)
        steps = STEPS if i == 0 else 1
        for step in range(1, steps + 1):
            yield {**base, "completed": layer.size * step // steps}
    yield {"status": "verifying sha256 digest"}
    yield {"status": "writing manifest"}
    yield {"status": "success"}


handler._pull_lines = _long_pull_lines

# Pacing: the stand-in sleeps 1/rate between lines, and sleep overhead caps it near 4,600 lines/s
# on this machine when asked for 10,000. Here the same rate is kept on average instead: each line
# waits until start + n/rate (lines are written back to back when behind), so the stream really
# runs at `pull_lines_per_second`.
_original_send = _stream_mod._Stream.send


def _paced_send(self, obj):
    import time

    pace = self.pace
    if pace and self.count:
        start = getattr(self, "_bench_t0", None)
        if start is None:
            start = self._bench_t0 = time.monotonic() - self.count * pace
        wait = start + self.count * pace - time.monotonic()
        if wait > 0.001 and self.h.standin.sleep(wait):
            self._drop()
            return False
    self.pace = 0.0
    try:
        return _original_send(self, obj)
    finally:
        self.pace = pace


_stream_mod._Stream.send = _paced_send

if __name__ == "__main__":
    sys.exit(standin_main.main())
