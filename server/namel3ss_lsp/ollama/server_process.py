"""Start `ollama serve` for a base URL: no shell, detached, OLLAMA_HOST set, wait until it answers."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import time
from typing import Any, Mapping

from . import errors
from .errors import OllamaError
from .urls import url_target

log = logging.getLogger(__name__)

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
_STARTED: list[subprocess.Popen] = []  # servers we started; kept so they are reaped, never killed


def _reap() -> None:
    _STARTED[:] = [p for p in _STARTED if p.poll() is None]


async def _answers(base_url: str, timeout: float) -> bool:
    """Whether an Ollama server answers at base_url (not just anything listening on the port)."""
    import httpx  # noqa: PLC0415 - on first use: importing it is a sixth of the server's start-up

    try:
        async with httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False) as client:
            response = await client.get(base_url + "/api/version")
            if response.status_code == 200:
                data = response.json()
                return isinstance(data, dict) and isinstance(data.get("version"), str)
            root = await client.get(base_url + "/")
            return root.status_code == 200 and "Ollama is running" in root.text
    except (httpx.HTTPError, OSError, ValueError, RecursionError):  # garbage is "not Ollama"
        return False


async def start_ollama_server(base_url: str, *, executable: str = "ollama", wait_timeout: float = 30.0,
                              environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run `<executable> serve` for a local base URL and wait until `GET /` answers.

    Returns {"base_url", "started": bool, "already_running": bool, "pid", "executable"}. Raises
    OllamaError: kind "executable_not_found" ("Ollama executable not found" with install
    instructions), "start_failed" (exited early, did not answer in time, or a non-local URL)."""
    target = url_target(base_url)  # the host the HTTP client connects to, as the allow-list sees it
    canonical, port = target if target is not None else (None, 0)
    if canonical not in _LOCAL_HOSTS:
        raise OllamaError(
            "Ollama can only be started for a server on this machine", base_url=base_url, kind="start_failed",
            suggestion="Start it on the machine that serves it (ollama serve), or use a base URL on "
                       "localhost / 127.0.0.1.")
    if await _answers(base_url, 1.0):
        return {"base_url": base_url, "started": False, "already_running": True, "pid": None, "executable": None}
    env = dict(os.environ if environ is None else environ)
    path = shutil.which(executable, path=env.get("PATH"))
    if path is None:
        raise OllamaError("Ollama executable not found", base_url=base_url, kind="executable_not_found",
                          suggestion=errors.INSTALL_SUGGESTION)
    bind_host = "[::1]" if canonical == "::1" else canonical
    env["OLLAMA_HOST"] = f"{bind_host}:{port}"
    try:
        # subprocess.Popen rather than an asyncio subprocess: an asyncio transport kills its child
        # when it is closed or garbage-collected, and this server must outlive us (new session).
        process = subprocess.Popen(
            [path, "serve"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True, shell=False,
        )
    except OSError as exc:
        raise OllamaError(f"Could not run {path} serve: {exc}", base_url=base_url, kind="start_failed",
                          original_error=exc,
                          suggestion=f"Run it in a terminal to see why: OLLAMA_HOST={env['OLLAMA_HOST']} "
                                     "ollama serve") from exc
    _STARTED.append(process)
    _reap()
    log.info("started %s serve (pid %s) for %s", path, process.pid, base_url)
    deadline = time.monotonic() + wait_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise OllamaError(
                f"ollama serve exited with code {process.returncode} before answering", base_url=base_url,
                kind="start_failed",
                suggestion=f"Run it in a terminal to see why (is port {port} in use?): "
                           f"OLLAMA_HOST={env['OLLAMA_HOST']} ollama serve")
        if await _answers(base_url, 1.0):
            return {"base_url": base_url, "started": True, "already_running": False, "pid": process.pid,
                    "executable": path}
        await asyncio.sleep(0.2)
    try:
        process.terminate()
        process.wait(timeout=2)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    raise OllamaError(
        f"Ollama server did not start within {wait_timeout:g} seconds.", base_url=base_url, kind="start_failed",
        suggestion=f"Check the Ollama logs for startup errors; try starting it manually: "
                   f"OLLAMA_HOST={env['OLLAMA_HOST']} ollama serve")
