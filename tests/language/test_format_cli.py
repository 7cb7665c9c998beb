"""`namel3ss-lsp format`: in place, --check, --diff, exit codes, files it must not touch."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from namel3ss_lsp.cli import main

REPO = Path(__file__).resolve().parents[2]
MESSY = "app x {\n  a:   1\n}\n"
TIDY = "app x {\n    a: 1\n}\n"
BROKEN = "app x {\n  a: 1\n\nllm y {\n  model: m\n}\n"  # the app is never closed


def files(tmp_path: Path, **named: str | bytes) -> dict[str, Path]:
    out = {}
    for name, content in named.items():
        path = tmp_path / f"{name}.ai"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        out[name] = path
    return out


def test_format_rewrites_files_in_place(tmp_path, capsys):
    paths = files(tmp_path, messy=MESSY, tidy=TIDY)
    (tmp_path / "sub").mkdir()
    nested = files(tmp_path / "sub", deep="llm m {\nmodel: x\n}")["deep"]
    assert main(["format", str(tmp_path)]) == 0
    assert paths["messy"].read_text() == TIDY and paths["tidy"].read_text() == TIDY
    assert nested.read_text() == "llm m {\n    model: x\n}\n"
    assert "2 files reformatted, 1 file left unchanged" in capsys.readouterr().err
    assert main(["format", "--check", str(tmp_path)]) == 0


def test_check_lists_files_and_changes_nothing(tmp_path, capsys):
    paths = files(tmp_path, messy=MESSY, tidy=TIDY)
    assert main(["format", "--check", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"Would reformat: {paths['messy']}\n"
    assert "1 file would be reformatted, 1 file already formatted" in captured.err
    assert paths["messy"].read_text() == MESSY
    assert main(["format", "--check", str(paths["tidy"])]) == 0


def test_diff_prints_a_unified_diff_and_changes_nothing(tmp_path, capsys):
    paths = files(tmp_path, messy=MESSY)
    assert main(["format", "--diff", str(paths["messy"])]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"--- {paths['messy']}\n+++ {paths['messy']}\n@@")
    assert "-  a:   1\n+    a: 1\n" in out
    assert paths["messy"].read_text() == MESSY
    assert main(["format", "--diff", str(tmp_path / "missing.ai")]) == 2


def test_line_endings_and_byte_order_mark_survive(tmp_path):
    paths = files(tmp_path, crlf=b"\xef\xbb\xbfapp x {\r\n  a: 1\r\n}")
    assert main(["format", str(paths["crlf"])]) == 0
    assert paths["crlf"].read_bytes() == b"\xef\xbb\xbfapp x {\r\n    a: 1\r\n}\r\n"


def test_syntax_errors_are_reported_and_give_exit_2(tmp_path, capsys):
    paths = files(tmp_path, broken=BROKEN, messy=MESSY)
    assert main(["format", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{paths['broken']}:1:1: not formatted (lines 1-2): '{{' is not closed" in err
    # the well-formed declaration of the broken file is formatted, the broken one left as it is
    assert paths["broken"].read_text() == "app x {\n  a: 1\n\nllm y {\n    model: m\n}\n"
    assert paths["messy"].read_text() == TIDY
    assert main(["format", "--check", str(paths["broken"])]) == 2


def test_binary_files_are_skipped_never_written(tmp_path, capsys):
    illustrator = b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Creator (Adobe Illustrator)>>\n"
    paths = files(tmp_path, logo=illustrator, nul=b"app x {\0}\n", latin=b"app x {\n  a: \"caf\xe9\"\n}\n", messy=MESSY)
    assert main(["format", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert f"{paths['logo']}: skipped: this looks like an Adobe Illustrator" in err
    assert f"{paths['nul']}: skipped: binary content" in err and f"{paths['latin']}: skipped: not valid UTF-8" in err
    assert "1 file reformatted, 0 files left unchanged, 3 files skipped" in err
    assert paths["logo"].read_bytes() == illustrator and paths["nul"].read_bytes() == b"app x {\0}\n"


def test_usage_errors(tmp_path, capsys):
    assert main(["format", str(tmp_path / "nope")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["format"]) == 2  # argparse: PATH is required
    assert main(["format", str(tmp_path)]) == 0  # an empty folder: nothing to do (as ruff)
    assert "no .ai files found" in capsys.readouterr().err


def test_indent_options(tmp_path):
    paths = files(tmp_path, a=MESSY, b=MESSY)
    assert main(["format", "--indent", "2", str(paths["a"])]) == 0
    assert main(["format", "--tabs", str(paths["b"])]) == 0
    assert paths["a"].read_text() == "app x {\n  a: 1\n}\n" and paths["b"].read_text() == "app x {\n\ta: 1\n}\n"


def test_stdin_to_stdout(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MESSY.encode())))
    assert main(["format", "-"]) == 0
    assert capsys.readouterr().out == TIDY


def test_the_installed_command(tmp_path):
    """As CI runs it: the real process, its exit status and streams."""
    paths = files(tmp_path, messy=MESSY)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "server"), env.get("PYTHONPATH", "")])
    run = lambda *args: subprocess.run([sys.executable, "-m", "namel3ss_lsp", "format", *args], capture_output=True, text=True, env=env, timeout=60)  # noqa: E731
    checked = run("--check", str(tmp_path))
    assert (checked.returncode, checked.stdout) == (1, f"Would reformat: {paths['messy']}\n")
    assert run(str(tmp_path)).returncode == 0 and paths["messy"].read_text() == TIDY
    assert run("--check", str(tmp_path)).returncode == 0


def test_folders_of_other_peoples_files_are_not_searched(tmp_path, capsys):
    ours = files(tmp_path, messy=MESSY)["messy"]
    theirs = []
    for folder in (".venv/lib", "node_modules/pkg", "venv", ".git", "build"):
        (tmp_path / folder).mkdir(parents=True)
        theirs.append(files(tmp_path / folder, vendored=MESSY)["vendored"])
    assert main(["format", str(tmp_path)]) == 0
    assert ours.read_text() == TIDY and all(path.read_text() == MESSY for path in theirs)
    assert main(["format", "--check", str(theirs[1])]) == 1  # named explicitly: formatted
