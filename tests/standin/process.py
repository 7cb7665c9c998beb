"""The stand-in run as a separate process (`python -m tests.standin`), controlled over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterable

from .handler import Stats

REPO = Path(__file__).resolve().parent.parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO / "server"), str(REPO)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class StandInProcess:
    """`python -m tests.standin` in a child process; `.url`, `.configure()`, `.reset()`, `.stats()`."""

    def __init__(self, models: Iterable[str] | None = None, pullable: Iterable[str] | None = None,
                 *, port: int = 0, startup_timeout: float = 20.0, **knobs: Any):
        self.models = None if models is None else list(models)
        self.pullable = None if pullable is None else list(pullable)
        self.port = port
        self.knobs = knobs
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.url: str | None = None

    def start(self) -> str:
        cmd = [sys.executable, "-m", "tests.standin", "--port", str(self.port)]
        if self.models is not None:
            cmd += ["--models", ",".join(self.models)]
        if self.pullable is not None:
            cmd += ["--pullable", ",".join(self.pullable)]
        if self.knobs:
            cmd += ["--config", json.dumps(self.knobs)]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=_env(), stdout=subprocess.PIPE, text=True)
        self.url = read_standin_url(self.proc, self.startup_timeout)
        return self.url

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc.stdout:
            proc.stdout.close()

    def __enter__(self) -> "StandInProcess":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return json.loads(response.read() or b"null")

    def configure(self, **knobs: Any) -> None:
        try:
            self._call("POST", "/_standin/config", knobs)
        except urllib.error.HTTPError as exc:
            raise ValueError(exc.read().decode(errors="replace")) from None

    def reset(self) -> None:
        self._call("POST", "/_standin/reset", {})

    def stats(self) -> Stats:
        return Stats(self._call("GET", "/_standin/stats"))

    def last_body(self, route: str) -> Any:
        return self.stats().get("last_bodies", {}).get(route)


def read_standin_url(proc: subprocess.Popen, timeout: float) -> str:
    """Read the child's stdout until `STANDIN_URL=...`; raise if it exits or takes too long."""
    import selectors

    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"stand-in exited early with code {proc.wait()}")
            if line.startswith("STANDIN_URL="):
                return line.strip().split("=", 1)[1]
    finally:
        selector.close()
    proc.kill()
    raise RuntimeError("stand-in did not report its URL in time")
