"""The grammar is found inside an installed package (wheel layout), not only in the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_grammar_loads_from_the_package_location(tmp_path):
    # The wheel layout: site-packages/namel3ss_lsp/grammar/namel3ss.lark, no repository around.
    site = tmp_path / "site"
    shutil.copytree(REPO / "server" / "namel3ss_lsp", site / "namel3ss_lsp", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "namel3ss_lsp" / "grammar").mkdir()
    shutil.copy(REPO / "grammar" / "namel3ss.lark", site / "namel3ss_lsp" / "grammar" / "namel3ss.lark")
    code = textwrap.dedent(
        """
        from namel3ss_lsp.language import analyze
        from namel3ss_lsp.language import parser
        assert not parser._REPO_GRAMMAR.exists(), parser._REPO_GRAMMAR
        a = analyze("ai model m {\\n  provider: ollama\\n  model: llama3:8b\\n}\\n")
        assert a.models[0].model == "llama3:8b" and a.diagnostics == []
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
