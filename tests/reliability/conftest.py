"""Fixtures of the reliability tests, built on tests/lsp/harness.py.

* `standins(models=..., pullable=..., port=..., **knobs)`: stand-in Ollama processes, stopped at teardown.
* `lsp(profile=None, init=..., env=...)`: the real server process with the recording client;
  shut down at teardown (a server a test killed on purpose is just stopped).
"""

from __future__ import annotations

from typing import AsyncIterator, Iterator

import pytest

from tests.lsp.harness import ClientFactory, StandinFactory


@pytest.fixture
def standins() -> Iterator[StandinFactory]:
    factory = StandinFactory()
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture
async def lsp() -> AsyncIterator[ClientFactory]:
    clients = ClientFactory()
    try:
        yield clients
    finally:
        await clients.stop_all()
