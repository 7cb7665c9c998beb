"""Start/stop the stand-in Ollama (``tests/standin``) as a separate process, and drive its knobs.

``python -m tests.standin --port 0 --models a,b --pullable c`` prints ``STANDIN_URL=...`` when
ready; runtime knobs go through ``POST /_standin/config``, counters come from
``GET /_standin/stats``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Sequence

REPO = Path(__file__).resolve().parent.parent


def child_env() -> dict[str, str]:
    """Environment for child processes: the repo's ``server/`` and root on PYTHONPATH (works
    before and after ``pip install -e .``), no Ollama variables leaking in from the shell."""
    env = dict(os.environ)
    parts = [str(REPO / "server"), str(REPO)]
    if env.get("PYTHONPATH"):
        parts.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(parts)
    for var in ("OLLAMA_HOST", "NAMEL3SS_OLLAMA_BASE_URL"):
        env.pop(var, None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Compiled bytecode, as an installed package has it (pip compiles on install) and as the
    # baseline's pygls and lsprotocol have it in site-packages: with PYTHONDONTWRITEBYTECODE set
    # (some shells and CI images do), every spawn of ours would compile ~100 modules from source,
    # ~150 ms that no user pays. Written under benchmarks/.work, never next to the sources.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(REPO / "benchmarks" / ".work" / "pycache")
    return env


class StandInProcess:
    def __init__(self, models: Sequence[str] = (), pullable: Sequence[str] = (), pull_steps: int = 0):
        self.pull_steps = pull_steps
        self.models = list(models)
        self.pullable = list(pullable)
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None
        self._stderr: list[str] = []

    def start(self, timeout: float = 30.0) -> str:
        env = child_env()
        if self.pull_steps:
            # same stand-in, longer pull stream (see standin_main.py)
            argv = [sys.executable, str(REPO / "benchmarks" / "standin_main.py"), "--port", "0"]
            env["N3BENCH_PULL_STEPS"] = str(self.pull_steps)
        else:
            argv = [sys.executable, "-m", "tests.standin", "--port", "0"]
        # long model lists go through /_standin/config instead of the command line
        short = self.models if len(",".join(self.models)) < 2000 else self.models[:2]
        if short:
            argv += ["--models", ",".join(short)]
        if self.pullable:
            argv += ["--pullable", ",".join(self.pullable)]
        self.proc = subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        "stand-in exited before it was ready:\n" + "\n".join(self._stderr[-20:])
                    )
                continue
            if line.startswith("STANDIN_URL="):
                self.url = line.strip().split("=", 1)[1].rstrip("/")
                break
        if not self.url:
            self.stop()
            raise RuntimeError("stand-in did not print STANDIN_URL in time")
        threading.Thread(target=self._drain, args=(self.proc.stdout,), daemon=True).start()
        if len(short) != len(self.models):
            self.configure(models=self.models)
        return self.url

    def _drain(self, stream) -> None:
        for line in stream:
            self._stderr.append(line.rstrip())
            del self._stderr[:-100]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        assert self.url
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def configure(self, **knobs: Any) -> Any:
        return self._call("POST", "/_standin/config", knobs)

    def reset(self) -> Any:
        return self._call("POST", "/_standin/reset", {})

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/_standin/stats") or {}

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "StandInProcess":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def route_count(stats: dict[str, Any], route: str) -> int:
    """Requests received on ``route``, tolerant of the stats layout (flat map, or nested under
    ``requests``/``routes``/``counts``, with or without the HTTP method in the key)."""
    for key in ("requests", "routes", "counts", "by_route"):
        if isinstance(stats.get(key), dict):
            stats = stats[key]
            break
    total = 0
    for key, value in stats.items():
        k = str(key)
        if k == route or k.endswith(" " + route) or k.split(" ")[-1] == route:
            if isinstance(value, (int, float)):
                total += int(value)
            elif isinstance(value, dict):
                total += int(value.get("count", value.get("total", 0)) or 0)
    return total
