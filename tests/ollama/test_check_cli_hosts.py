"""`namel3ss-lsp check` on a folder where one file names a host the HTTP client cannot use
(issue 17, item 3): that file gets a diagnostic on its base_url, and the other files are still
checked against the (stand-in) Ollama server. Run as a person runs it: a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_check(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NAMEL3SS_OLLAMA_BASE_URL", "OLLAMA_HOST")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "server"), str(REPO), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "namel3ss_lsp", "check", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=120)


def model(url: str, name: str = "llama3:8b", extra: str = "") -> str:
    return (f"ai model chat {{\n    provider: ollama\n    model: {name}\n    config: {{\n"
            f"        base_url: \"{url}\"\n{extra}    }}\n}}\n")


def test_check_continues_past_hosts_ending_in_a_number(tmp_path, standin):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "a_typo.ai").write_text(model("http://localhost127.0.0.1"), encoding="utf-8")
    (folder / "b_number.ai").write_text(model("http://host.123"), encoding="utf-8")
    (folder / "c_circled.ai").write_text(model("http://\u2460\u2461\u2466.\u24ea.\u24ea.\u2460"), encoding="utf-8")
    (folder / "d_missing.ai").write_text(model(standin.url, "nothere:1b", "        auto_pull_model: false\n"),
                                         encoding="utf-8")
    (folder / "e_fine.ai").write_text(model(standin.url), encoding="utf-8")

    result = run_check("--format", "json", str(folder))
    assert "Traceback" not in result.stderr, result.stderr
    data = {Path(item["path"]).name: item["diagnostics"] for item in json.loads(result.stdout)}
    assert sorted(data) == ["a_typo.ai", "b_number.ai", "c_circled.ai", "d_missing.ai", "e_fine.ai"]
    for name in ("a_typo.ai", "b_number.ai", "c_circled.ai"):
        (diag,) = data[name]
        assert diag["code"] == "ollama-host-not-allowed" and diag["data"]["reason"] == "invalid-url", diag
        assert diag["range"]["start"]["line"] == 4  # on the base_url value
    (missing,) = data["d_missing.ai"]
    assert missing["code"] == "ollama-model-missing" and missing["severity"] == 1  # error: fails fast
    assert data["e_fine.ai"] == []
    assert result.returncode == 1  # because of the error, not a crash
    assert standin.stats()["/api/tags"] >= 1  # the later files did reach the server


def test_check_text_output_names_the_bad_url(tmp_path):
    path = tmp_path / "typo.ai"
    path.write_text(model("http://a.1"), encoding="utf-8")
    result = run_check(str(path))
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stderr
    (line,) = result.stdout.strip().splitlines()
    assert line.startswith(f"{path}:5:") and "warning ollama-host-not-allowed" in line and "'http://a.1'" in line
