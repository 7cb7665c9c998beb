"""Summarise py-spy raw (collapsed) profiles: self time and inclusive time per function.

    N3BENCH_PROFILE=benchmarks/.work/prof python benchmarks/run.py --only keystroke
    python benchmarks/profile_summary.py benchmarks/.work/prof/ours-1.txt [--top 30] [--filter namel3ss_lsp]
"""

from __future__ import annotations

import argparse
import collections
import re
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--filter", default="", help="only count samples whose stack contains this text")
    ap.add_argument("--thread", default="", help="only samples of threads whose name contains this")
    args = ap.parse_args()
    self_t: collections.Counter = collections.Counter()
    incl: collections.Counter = collections.Counter()
    total = 0
    for path in args.files:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.rstrip("\n")
                if not line:
                    continue
                stack, _, count = line.rpartition(" ")
                try:
                    n = int(count)
                except ValueError:
                    continue
                if args.filter and args.filter not in stack:
                    continue
                frames = stack.split(";")
                if args.thread and args.thread not in frames[0]:
                    continue
                total += n
                frames = [re.sub(r"^process \\d+:", "", f) for f in frames]
                self_t[frames[-1]] += n
                for f in set(frames):
                    incl[f] += n
    print(f"{total} samples")
    print("\n-- self --")
    for f, n in self_t.most_common(args.top):
        print(f"{100 * n / total:5.1f}%  {f}")
    print("\n-- inclusive --")
    for f, n in incl.most_common(args.top):
        print(f"{100 * n / total:5.1f}%  {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
