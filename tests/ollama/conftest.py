"""Fixtures for the Ollama API tests: an OllamaEditorTools with short timeouts, closed at teardown."""

from __future__ import annotations

import pytest

from namel3ss_lsp.ollama import OllamaEditorTools


@pytest.fixture
async def tools():
    instance = OllamaEditorTools(request_timeout=1.0, model_cache_ttl=60.0, stall_timeout=1.0,
                                 pull_stall_timeout=1.0)
    try:
        yield instance
    finally:
        await instance.aclose()


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
