"""Shared test setup: the stand-in Ollama fixtures and the real corpus (tests/corpus)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The real .ai files of the original Namel3ss project (MANIFEST.txt says where each came from).
CORPUS = REPO / "tests" / "corpus"

pytest_plugins = ["tests.standin.fixtures"]


def corpus_files(part: str = "", pattern: str = "*.ai") -> list[Path]:
    """The corpus files under `part` (all of them by default). Fails, never skips, when none are
    found: a test that silently reads nothing checks nothing."""
    root = CORPUS / part if part else CORPUS
    files = sorted(root.rglob(pattern))
    if not files:
        raise AssertionError(f"no corpus files under {root}: the repository is incomplete")
    return files


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    corpus_files()
    return CORPUS
