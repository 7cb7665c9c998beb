"""The Ollama library snapshot (server/namel3ss_lsp/ollama/library.json): well formed, said to be
a hand-made snapshot with its source and date, and shipped inside the wheel (read from there)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from namel3ss_lsp import model_names
from namel3ss_lsp.ollama import library

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "server" / "namel3ss_lsp" / "ollama" / "library.json"


def test_the_snapshot_says_what_it_is():
    data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    assert "hand-made snapshot" in data["about"] and "not checked against the live site" in data["about"]
    assert data["source"] == "https://ollama.com/library" and data["snapshot"].startswith("2025")
    assert len(data["models"]) == len(library.library_models())  # nothing skipped as malformed


def test_every_model_is_usable():
    models = library.library_models()
    assert 60 <= len(models) <= 120
    assert len({m.name for m in models}) == len(models)
    for model in models:
        assert model.description and model.tags and model.default_tag in model.tags
        assert set(model.capabilities) <= {"tools", "vision", "thinking", "embedding"}
        for tag, size in model.tags.items():
            assert model_names.is_valid(f"{model.name}:{tag}") and size > 10_000_000, (model.name, tag)
    capabilities = {c for m in models for c in m.capabilities}
    assert capabilities == {"tools", "vision", "thinking", "embedding"}


def test_lookups():
    assert library.download_size("llama3:70b") == 40_000_000_000
    assert library.download_size("llama3") == library.download_size("llama3:8b") == 4_700_000_000
    assert library.download_size("LLAMA3.1:70B") == 43_000_000_000
    assert library.download_size("nothere:1b") is None and library.download_size("someone/llama3:8b") is None
    assert library.library_tag("qwen3") == (library.find_model("qwen3"), "8b")
    assert library.parse_size("398MB") == 398_000_000 and library.parse_size("1.2 GB") == 1_200_000_000


def test_the_wheel_ships_the_catalogue(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    if build.returncode != 0:  # pip fetches hatchling: no network, no wheel
        pytest.skip(f"could not build the wheel here: {build.stderr.strip()[-300:]}")
    (wheel,) = tmp_path.glob("namel3ss_lsp-*.whl")
    assert "namel3ss_lsp/ollama/library.json" in zipfile.ZipFile(wheel).namelist()
    code = "from namel3ss_lsp.ollama import library as l; print(l.__file__, len(l.library_models()))"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(wheel)  # imported from inside the wheel: no repository around
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    where, count = result.stdout.split()
    assert where.startswith(str(wheel)) and int(count) == len(library.library_models())
