"""`python -m namel3ss_lsp check ...` as a person or a CI job runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "server"), str(REPO), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "namel3ss_lsp", "check", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_examples_are_clean():
    result = run("--offline", "examples")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_text_output_and_exit_1(tmp_path):
    result = run("--offline", str(FIXTURES / "typo_and_range.ai"))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f"{FIXTURES / 'typo_and_range.ai'}:5:9: warning unknown-key: unknown key 'temprature' in Ollama config; did you mean 'temperature'?",
        f"{FIXTURES / 'typo_and_range.ai'}:6:22: error out-of-range: 'temperature' is 3.5; it must be 0 to 2",
    ]


def test_warnings_only_exit_0(tmp_path):
    path = tmp_path / "warn.ai"
    path.write_text("ai model m {\n  provider: ollama\n  model: llama3\n  config: { temprature: 1 }\n}\n", encoding="utf-8")
    result = run("--offline", str(path))
    assert result.returncode == 0 and "warning unknown-key" in result.stdout


def test_json_output(tmp_path):
    result = run("--offline", "--format", "json", str(FIXTURES))
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert [Path(item["path"]).name for item in data] == ["two_broken_one_good.ai", "typo_and_range.ai"]
    diag = data[1]["diagnostics"][1]
    assert diag == {
        "range": {"start": {"line": 5, "character": 21}, "end": {"line": 5, "character": 24}},
        "severity": 1,
        "code": "out-of-range",
        "source": "namel3ss",
        "message": "'temperature' is 3.5; it must be 0 to 2",
    }


def test_folders_are_searched_recursively(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.ai").write_text("app x {\n  y = 1\n}\n", encoding="utf-8")
    (tmp_path / "a" / "notes.txt").write_text("not checked", encoding="utf-8")
    result = run("--offline", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{tmp_path / 'a' / 'b' / 'deep.ai'}:2:5: error syntax-error:")


def test_usage_errors_exit_2(tmp_path):
    assert run("--offline", str(tmp_path / "missing.ai")).returncode == 2
    assert run().returncode == 2  # no path at all (argparse)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("--offline", str(empty)).returncode == 2


def test_binary_files_give_one_clear_diagnostic(tmp_path):
    cases = {
        "illustrator.ai": b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        "postscript.ai": b"%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator(R) 24.0\n",
        "nul.ai": b"ai model x {\x00\x01}",
        "latin1.ai": "app x { description: \"caf\xe9\" }".encode("latin-1"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    result = run("--offline", "--format", "json", str(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    data = {Path(item["path"]).name: item["diagnostics"] for item in json.loads(result.stdout)}
    assert set(data) == set(cases)
    for name, diags in data.items():
        assert len(diags) == 1, (name, diags)
    assert "Illustrator" in data["illustrator.ai"][0]["message"]
    assert "UTF-8" in data["latin1.ai"][0]["message"]
    assert "NUL" in data["nul.ai"][0]["message"]


def test_links_to_devices_and_fifos_are_never_read(tmp_path):
    """A cloned folder can hold `.ai` links to /dev/zero (a read that never ends and fills memory)
    or a FIFO (a read that blocks for ever): `check` of the folder skips them; named, each gets one
    diagnostic saying it is not a regular file."""
    (tmp_path / "good.ai").write_text("ai model m {\n  provider: ollama\n  model: llama3\n}\n", encoding="utf-8")
    os.symlink("/dev/zero", tmp_path / "zero.ai")
    os.mkfifo(tmp_path / "fifo.ai")
    folder = run("--offline", str(tmp_path))
    assert folder.returncode == 0 and folder.stdout == "", folder.stdout + folder.stderr
    named = run("--offline", "--format", "json", str(tmp_path / "zero.ai"), str(tmp_path / "fifo.ai"))
    assert named.returncode == 1 and "Traceback" not in named.stderr, named.stderr
    data = {Path(item["path"]).name: item["diagnostics"] for item in json.loads(named.stdout)}
    assert set(data) == {"zero.ai", "fifo.ai"}
    for name, diags in data.items():
        assert len(diags) == 1 and "not a regular file" in diags[0]["message"], (name, diags)


def test_corpus_checks_clean(corpus_dir):
    corpus = corpus_dir
    result = run("--offline", str(corpus / "brace"), str(corpus / "doc_snippets"), str(corpus / "mixed"))
    assert result.returncode == 0, result.stdout
    invalid = run("--offline", str(corpus / "invalid"))
    assert invalid.returncode == 1 and invalid.stdout.count("syntax-error") >= 5
