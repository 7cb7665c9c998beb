"""pytest fixtures for the stand-in Ollama server (registered by tests/conftest.py).

* `standin`: in-process server, fresh per test.
* `standin_process`: `python -m tests.standin` in a child process, killed at teardown.

Both expose `.url`, `.configure(**knobs)`, `.reset()` and `.stats()` (a dict of request counts per
route that reads 0 for routes never requested, plus "by_method" and "aborted_streams").
"""

from __future__ import annotations

from typing import Iterator

import pytest

from .process import StandInProcess
from .server import StandIn


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = StandIn()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def standin_process() -> Iterator[StandInProcess]:
    server = StandInProcess()
    server.start()
    try:
        yield server
    finally:
        server.stop()
