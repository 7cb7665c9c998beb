"""Shared test setup: the stand-in Ollama fixtures and the path to shared/ (corpus, docs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NAMEL3SS_SHARED", REPO.parent / "shared"))

pytest_plugins = ["tests.standin.fixtures"]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared/ not found at {SHARED} (set NAMEL3SS_SHARED)")
    return SHARED
