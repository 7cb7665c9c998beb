"""Fixtures of the reliability tests (same shape as tests/lsp's, which are not visible here).

* `standins(models=..., pullable=..., port=..., **knobs)`: stand-in Ollama processes, stopped at teardown.
* `lsp(profile=None, init=..., env=...)`: the real server process with the recording client of
  tests/lsp/harness.py; shut down at teardown (a server a test killed on purpose is just stopped).
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator

import pytest

from tests.lsp.harness import VSCODE, RecordingClient, start_client, stop_client
from tests.standin.process import StandInProcess


class Standins:
    def __init__(self) -> None:
        self.started: list[StandInProcess] = []

    def __call__(self, models: list[str] | None = None, pullable: list[str] | None = None, **knobs: Any) -> StandInProcess:
        server = StandInProcess(models=models, pullable=pullable, **knobs)
        server.start()
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.started:
            try:
                server.stop()
            except Exception:
                pass


@pytest.fixture
def standins() -> Iterator[Standins]:
    factory = Standins()
    try:
        yield factory
    finally:
        factory.stop_all()


class Clients:
    def __init__(self) -> None:
        self.started: list[RecordingClient] = []

    async def __call__(self, profile: str | None = None, **kwargs: Any) -> RecordingClient:
        client = await start_client(profile or VSCODE, **kwargs)
        self.started.append(client)
        return client

    async def stop_all(self) -> None:
        for client in self.started:
            try:
                await stop_client(client)
            except Exception:
                try:
                    await client.stop()
                except Exception:
                    pass


@pytest.fixture
async def lsp() -> AsyncIterator[Clients]:
    clients = Clients()
    try:
        yield clients
    finally:
        await clients.stop_all()
