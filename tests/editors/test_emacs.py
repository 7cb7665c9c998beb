"""Emacs 28 + eglot (Debian) with editors/emacs/namel3ss-mode.el against the real server and the
stand-in Ollama. Emacs runs on a pseudo-terminal (`emacs -nw`), not `--batch`: in batch mode
Emacs renders no mode line, and the mode-line status is part of what is tested."""

from __future__ import annotations

import fcntl
import json
import os
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from .conftest import EDITORS, HERE, Sandbox, find_emacs, server_command

pytestmark = pytest.mark.editor

SESSION_TIMEOUT = 120.0


def require_emacs() -> str:
    emacs, reason = find_emacs()
    if emacs is None:
        pytest.skip(reason)
    return emacs


def _controlling_tty() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_emacs_on_tty(emacs: str, box: Sandbox, env: dict[str, str], args: list[str], out: Path) -> tuple[int | None, str]:
    """Run Emacs on a new pseudo-terminal until it exits (or SESSION_TIMEOUT: then it is killed)."""
    out.write_text("", encoding="utf-8")
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    proc = subprocess.Popen(
        [emacs, "-nw", *args],
        stdin=slave, stdout=slave, stderr=slave, cwd=box.project,
        env={**env, "TERM": "xterm-256color", "N3_OUT": str(out)},
        preexec_fn=_controlling_tty,
    )
    os.close(slave)
    screen = bytearray()
    deadline = time.monotonic() + SESSION_TIMEOUT
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:
                    break
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    finally:
        os.close(master)
    return proc.returncode, screen[-4000:].decode("utf-8", "replace")


def results(out: Path) -> tuple[dict[str, dict], bool]:
    found: dict[str, dict] = {}
    done = False
    for line in out.read_text(encoding="utf-8").splitlines():
        if line.startswith("N3RESULT "):
            item = json.loads(line[len("N3RESULT "):])
            found[item["name"]] = item
        elif line == "N3DONE":
            done = True
    return found, done


def test_emacs_eglot(sandbox: Sandbox, ollama_standin) -> None:
    emacs = require_emacs()
    env = {
        **sandbox.env,
        "N3_EDITORS": str(EDITORS),
        "N3_FILE": str(sandbox.project / "app.ai"),
        "N3_URL": ollama_standin.url,
        "N3_SERVER_CMD": json.dumps(server_command()),
        "N3_TIMEOUT": "20",
    }
    out = sandbox.root / "emacs-results.txt"
    code, screen = run_emacs_on_tty(emacs, sandbox, env, ["-l", str(HERE / "emacs_driver.el")], out)
    found, done = results(out)
    assert done, f"Emacs did not finish (exit {code}); results so far: {found}\nscreen tail: {screen!r}"
    assert "driver-error" not in found, found["driver-error"]
    expected = [
        "mode", "font-lock", "comment-start", "eglot-contact", "attach", "diagnostic", "completion",
        "mode-line", "pull-clears-diagnostic", "mode-line-after-pull",
    ]
    failed = {name: found.get(name) for name in expected if not (found.get(name) or {}).get("ok")}
    assert not failed, f"failed checks: {json.dumps(failed, indent=1, ensure_ascii=False)}"


BATCH_CHECK = r"""
(require 'package)
(package-initialize)
(add-to-list 'load-path (expand-file-name "emacs" (getenv "N3_EDITORS")))
(require 'namel3ss-mode)
(defun n3-face (regexp &optional group)
  (save-excursion (goto-char (point-min)) (re-search-forward regexp)
                  (get-text-property (match-beginning (or group 0)) 'face)))
(let ((out nil))
  (find-file (getenv "N3_FILE"))
  (push (cons 'mode major-mode) out)
  (font-lock-ensure)
  (push (cons 'keyword (n3-face "^ai model")) out)
  (push (cons 'decl_name (n3-face "chat_model")) out)
  (push (cons 'key (n3-face "^    \\(provider\\)" 1)) out)
  (push (cons 'provider (n3-face "ollama")) out)
  (push (cons 'model_id (n3-face "llama3:8b")) out)
  (push (cons 'number (n3-face "4096")) out)
  (push (cons 'comment (n3-face "editor test")) out)
  (push (cons 'triple (n3-face "unbalanced {")) out)
  (push (cons 'after_triple (n3-face "^}")) out)
  ;; Indentation: re-indent a flattened copy of the buffer.
  (let ((original (buffer-string)))
    (goto-char (point-min))
    (while (re-search-forward "^[ \t]+" nil t) (replace-match ""))
    (indent-region (point-min) (point-max))
    (push (cons 'indent_ok (equal (buffer-string) original)) out)
    (push (cons 'indented (buffer-string)) out))
  ;; Comments.
  (goto-char (point-min)) (forward-line 2)
  (comment-region (line-beginning-position) (line-end-position))
  (push (cons 'commented (buffer-substring-no-properties (line-beginning-position) (line-end-position))) out)
  (set-buffer-modified-p nil)
  ;; Illustrator files are not taken over.
  (find-file (expand-file-name "illustrator.ai" (file-name-directory (getenv "N3_FILE"))))
  (push (cons 'illustrator major-mode) out)
  ;; Mode-line text.
  (push (cons 'status_none (namel3ss-status-text)) out)
  (push (cons 'status_ok (namel3ss-status-text '(:reachable t :modelsCount 12))) out)
  (push (cons 'status_one (namel3ss-status-text '(:reachable t :modelsCount 1))) out)
  (push (cons 'status_down (namel3ss-status-text '(:reachable :json-false :modelsCount :null))) out)
  (princ (format "N3JSON%s\n" (json-encode out))))
"""


def test_emacs_mode_without_server(sandbox: Sandbox) -> None:
    emacs = require_emacs()
    # Only the part of SAMPLE whose layout the mode can reproduce (the triple-quoted line is kept).
    sandbox.write("illustrator.ai", "%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator(R) 8.0\n")
    script = sandbox.root / "check.el"
    script.write_text(BATCH_CHECK, encoding="utf-8")
    env = {**sandbox.env, "N3_EDITORS": str(EDITORS), "N3_FILE": str(sandbox.project / "app.ai")}
    proc = subprocess.run([emacs, "--batch", "-l", str(script)], env=env, cwd=sandbox.project,
                          capture_output=True, text=True, timeout=60)
    payload = [line for line in proc.stdout.splitlines() if line.startswith("N3JSON")]
    assert payload, f"no output (exit {proc.returncode}): {proc.stderr}"
    out = json.loads(payload[-1][len("N3JSON"):])
    assert out["mode"] == "namel3ss-mode"
    assert out["keyword"] == "font-lock-keyword-face"
    assert out["decl_name"] == "font-lock-function-name-face"
    assert out["key"] == "font-lock-variable-name-face"
    assert out["provider"] == "font-lock-builtin-face"
    assert out["model_id"] == "font-lock-type-face"
    assert out["number"] == "font-lock-constant-face"
    assert out["comment"] == "font-lock-comment-face"
    assert out["triple"] == "font-lock-string-face"
    assert out["after_triple"] is None  # the triple-quoted string ended where it should
    assert out["indent_ok"], out["indented"]
    assert out["commented"] == "    # provider: ollama"
    assert out["illustrator"] != "namel3ss-mode"
    assert out["status_none"] == ""
    assert out["status_ok"] == "Ollama ✓ 12 models"
    assert out["status_one"] == "Ollama ✓ 1 model"
    assert out["status_down"] == "Ollama unreachable"
