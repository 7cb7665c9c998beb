"""Fixtures for the end-to-end language server tests.

* `standins`: start stand-in Ollama servers as separate processes (`python -m tests.standin`),
  each stopped at teardown.
* `lsp`: start the real server process (`python -m namel3ss_lsp`) with a recording pytest-lsp
  client and a recorded client profile (VS Code 1.65.2 or Neovim 0.7.0); shut down at teardown.
"""

from __future__ import annotations

from typing import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from tests.standin.process import StandInProcess

from .harness import ClientFactory, RecordingClient, StandinFactory, start_client, stop_client


@pytest.fixture
def standins() -> Iterator[StandinFactory]:
    factory = StandinFactory()
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture
def standin_url(standins) -> str:
    """One stand-in with llama3:8b and mistral:latest installed and phi3:mini pullable."""
    server = standins(models=["llama3:8b", "mistral:latest"], pullable=["phi3:mini", "qwen2.5:0.5b"])
    return server.url


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
async def lsp() -> AsyncIterator[ClientFactory]:
    clients = ClientFactory()
    try:
        yield clients
    finally:
        await clients.stop_all()


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
