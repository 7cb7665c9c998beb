"""Fixtures for the end-to-end language server tests.

* `standins`: start stand-in Ollama servers as separate processes (`python -m tests.standin`),
  each stopped at teardown.
* `lsp`: start the real server process (`python -m namel3ss_lsp`) with a recording pytest-lsp
  client and a recorded client profile (VS Code 1.65.2 or Neovim 0.7.0); shut down at teardown.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator

import pytest
import pytest_asyncio

from tests.standin.process import StandInProcess

from .harness import RecordingClient, start_client, stop_client


class _Standins:
    def __init__(self) -> None:
        self.started: list[StandInProcess] = []

    def __call__(self, models: list[str] | None = None, pullable: list[str] | None = None, **knobs: Any) -> StandInProcess:
        server = StandInProcess(models=models, pullable=pullable, **knobs)
        server.start()
        self.started.append(server)
        return server


@pytest.fixture
def standins() -> Iterator[_Standins]:
    factory = _Standins()
    try:
        yield factory
    finally:
        for server in factory.started:
            server.stop()


@pytest.fixture
def standin_url(standins) -> str:
    """One stand-in with llama3:8b and mistral:latest installed and phi3:mini pullable."""
    server = standins(models=["llama3:8b", "mistral:latest"], pullable=["phi3:mini", "qwen2.5:0.5b"])
    return server.url


class _Clients:
    def __init__(self) -> None:
        self.started: list[RecordingClient] = []

    async def __call__(self, profile: str | None = None, **kwargs: Any) -> RecordingClient:
        from .harness import VSCODE

        client = await start_client(profile or VSCODE, **kwargs)
        self.started.append(client)
        return client


def pytest_collection_modifyitems(items):
    """All tests here share one event loop (session scope) so that module-scoped language servers
    can be shared by the tests that only read (see `shared_*` fixtures): keeps the suite fast."""
    marker = pytest.mark.asyncio(loop_scope="session")
    # pytest-lsp checks results against the recorded client capabilities (snippets, markup kinds,
    # progress support...): a violation fails the test.
    strict = pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")
    for item in items:
        if "tests/lsp/" not in str(getattr(item, "path", "")).replace("\\", "/"):
            continue
        item.add_marker(strict)
        if pytest_asyncio.is_async_test(item):
            item.add_marker(marker, append=False)


@pytest_asyncio.fixture(loop_scope="session")
async def lsp() -> AsyncIterator[_Clients]:
    clients = _Clients()
    try:
        yield clients
    finally:
        for client in clients.started:
            try:
                await stop_client(client)
            except Exception:  # a test that killed its server on purpose
                pass


# ---- shared servers: one stand-in and one server per client profile for the whole run ----------
# Tests that use them open documents with URIs of their own and close big ones when done.

@pytest.fixture(scope="session")
def shared_standin() -> Iterator[StandInProcess]:
    server = StandInProcess(models=["llama3:8b", "mistral:latest"], pullable=["phi3:mini", "qwen2.5:0.5b"])
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _shared_client(profile: str, url: str) -> RecordingClient:
    from .harness import fast_settings, wait_until

    client = await start_client(profile, init=fast_settings(url))
    await wait_until(lambda: client.statuses, 20, what="first status")
    return client


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def shared_vscode(shared_standin) -> AsyncIterator[RecordingClient]:
    from .harness import VSCODE

    client = await _shared_client(VSCODE, shared_standin.url)
    try:
        yield client
    finally:
        await stop_client(client)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def shared_neovim(shared_standin) -> AsyncIterator[RecordingClient]:
    from .harness import NEOVIM

    client = await _shared_client(NEOVIM, shared_standin.url)
    try:
        yield client
    finally:
        await stop_client(client)
