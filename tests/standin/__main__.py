"""`python -m tests.standin --port 0 --models a,b --pullable c` — serve until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .server import DEFAULT_MODELS, DEFAULT_PULLABLE, StandIn


def _names(text: str | None, default: tuple[str, ...]) -> list[str]:
    if text is None:
        return list(default)
    return [n.strip() for n in text.split(",") if n.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.standin", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--models", default=None, help="installed models, comma-separated")
    parser.add_argument("--pullable", default=None, help="models a pull can fetch, comma-separated")
    parser.add_argument("--config", default=None, help="initial knobs as a JSON object")
    args = parser.parse_args(argv)
    knobs = json.loads(args.config) if args.config else {}
    standin = StandIn(_names(args.models, DEFAULT_MODELS), _names(args.pullable, DEFAULT_PULLABLE),
                      port=args.port, **knobs)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    url = standin.start()
    sys.stdout.write(f"STANDIN_URL={url}\n")
    sys.stdout.flush()
    try:
        while not done.wait(0.5):
            pass
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
