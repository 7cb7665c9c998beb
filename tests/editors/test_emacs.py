"""Emacs 28 + eglot (Debian) with editors/emacs/namel3ss-mode.el against the real server and the
stand-in Ollama. Emacs runs on a pseudo-terminal (`emacs -nw`), not `--batch`: in batch mode
Emacs renders no mode line, and the mode-line status is part of what is tested."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import random
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from .conftest import EDITORS, FORMATTED, HERE, MESSY, SAMPLE, Sandbox, find_emacs, server_command

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


def run_emacs_on_tty(emacs: str, box: Sandbox, env: dict[str, str], args: list[str], out: Path,
                     answers: dict[str, tuple[float, bytes]] | None = None) -> tuple[int | None, str]:
    """Run Emacs on a new pseudo-terminal until it exits (or SESSION_TIMEOUT: then it is killed).
    `answers` maps a line the driver writes to N3_OUT (e.g. "N3PROMPT remove") to (delay, keys):
    the keys are typed on the terminal that many seconds after the line appears, as a user would."""
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
    pending = dict(answers or {})
    due: list[tuple[float, bytes]] = []
    deadline = time.monotonic() + SESSION_TIMEOUT
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:
                    break
            if pending:
                lines = out.read_text(encoding="utf-8").splitlines()
                for line in [line for line in pending if line in lines]:
                    delay, keys = pending.pop(line)
                    due.append((time.monotonic() + delay, keys))
            for item in [item for item in due if item[0] <= time.monotonic()]:
                due.remove(item)
                os.write(master, item[1])
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


@functools.lru_cache(maxsize=None)
def lsp_mode_missing(emacs: str) -> str:
    """"" when Emacs has lsp-mode (Debian elpa-lsp-mode), else why not."""
    probe = subprocess.run(
        [emacs, "--batch", "--eval", "(progn (require 'package) (package-initialize) (require 'lsp-mode))"],
        capture_output=True, text=True, timeout=60,
    )
    return "" if probe.returncode == 0 else "Emacs has no lsp-mode (apt-get install elpa-lsp-mode)"


def require_client(emacs: str, client: str) -> None:
    if client == "lsp-mode" and lsp_mode_missing(emacs):
        pytest.skip(lsp_mode_missing(emacs))


SLOW_PULL_SECONDS = 12.0  # longer than eglot's and lsp-mode's 10 s request time-out
LATE_ANSWER_SECONDS = 11.0
# What a user types to answer "Remove": eglot offers it as the minibuffer's initial input.
REMOVE_KEYS = {"eglot": b"\r", "lsp-mode": b"Remove\r"}


@pytest.mark.parametrize("client", ["eglot", "lsp-mode"])
def test_emacs_long_commands(sandbox: Sandbox, client: str) -> None:
    """Pulls that take 12 s (from M-x and from the quick fix) and a remove confirmation answered
    11 s after it appears all complete: no request time-out on the way."""
    from tests.standin.process import StandInProcess

    emacs = require_emacs()
    require_client(emacs, client)
    sandbox.write("app.ai", SAMPLE + "\nai model other_model {\n    provider: ollama\n    model: qwen2.5:0.5b\n}\n")
    # A pull is 18 stream lines: 17 pauses.
    with StandInProcess(models=["llama3:8b", "mistral:latest"], pullable=["phi3:mini", "qwen2.5:0.5b"],
                        pull_lines_per_second=17 / SLOW_PULL_SECONDS) as standin:
        env = {
            **sandbox.env,
            "N3_CLIENT": client,
            "N3_EDITORS": str(EDITORS),
            "N3_FILE": str(sandbox.project / "app.ai"),
            "N3_URL": standin.url,
            "N3_SERVER_CMD": json.dumps(server_command()),
            "N3_TIMEOUT": "30",
        }
        out = sandbox.root / "emacs-results.txt"
        code, screen = run_emacs_on_tty(emacs, sandbox, env, ["-l", str(HERE / "emacs_long_commands.el")], out,
                                        answers={"N3PROMPT remove": (LATE_ANSWER_SECONDS, REMOVE_KEYS[client])})
        installed = {m["name"] for m in standin._call("GET", "/api/tags")["models"]}
    found, done = results(out)
    assert done, f"Emacs did not finish (exit {code}); results so far: {found}\nscreen tail: {screen!r}"
    assert "driver-error" not in found, found["driver-error"]
    assert "N3PROMPT remove" in out.read_text(encoding="utf-8"), "the remove confirmation never appeared"
    expected = [
        "mode", "attach", "diagnostics", "progress-in-mode-line", "pull-from-command", "pull-from-quick-fix",
        "remove-after-late-answer", "progress-percentages", "success-messages", "no-time-out",
        "mode-line-after", "progress-cleared",
    ]
    failed = {name: found.get(name) for name in expected if not (found.get(name) or {}).get("ok")}
    assert not failed, f"failed checks: {json.dumps(failed, indent=1, ensure_ascii=False)}"
    assert {"phi3:mini", "qwen2.5:0.5b"} <= installed and "mistral:latest" not in installed, installed


def run_batch(emacs: str, sandbox: Sandbox, script: Path, env: dict[str, str], timeout: float = 120) -> dict[str, dict]:
    proc = subprocess.run([emacs, "--batch", "-l", str(script)], env={**sandbox.env, **env}, cwd=sandbox.project,
                          capture_output=True, text=True, timeout=timeout)
    found: dict[str, dict] = {}
    done = False
    for line in proc.stdout.splitlines():
        if line.startswith("N3RESULT "):
            item = json.loads(line[len("N3RESULT "):])
            found[item["name"]] = item
        elif line == "N3DONE":
            done = True
    assert done, f"Emacs did not finish (exit {proc.returncode}): {found}\n{proc.stderr[-3000:]}"
    assert "driver-error" not in found, found["driver-error"]
    return found


DIR_LOCALS = """\
((nil . ((namel3ss-settings . (:ollama (:allowedHosts ["127.0.0.2"] :allowServerStart t)))
         (namel3ss-lsp-command . ("sh" "-c" "touch project-ran-this"))
         (eglot-workspace-configuration
          . (:namel3ss (:ollama (:allowedHosts ["127.0.0.2"] :allowServerStart t)))))))
"""

REMOTE_DECLARATION = """\
ai model remote_model {
    provider: ollama
    model: llama3:8b
    config: {
        base_url: "http://127.0.0.2:9"
    }
}
"""


def test_emacs_dir_locals_cannot_widen_the_guards(sandbox: Sandbox, ollama_standin) -> None:
    """A project's .dir-locals.el setting the allowed hosts, allowServerStart or the server command
    (directly, or through eglot's "safe" `eglot-workspace-configuration`) is not applied: the
    server refuses the project's host."""
    emacs = require_emacs()
    sandbox.write(".dir-locals.el", DIR_LOCALS)
    sandbox.write("remote.ai", REMOTE_DECLARATION)
    found = run_batch(emacs, sandbox, HERE / "emacs_dir_locals.el", {
        "N3_EDITORS": str(EDITORS), "N3_FILE": str(sandbox.project / "remote.ai"), "N3_URL": ollama_standin.url,
        "N3_SERVER_CMD": json.dumps(server_command()), "N3_TIMEOUT": "20",
    })
    expected = [
        "risky-namel3ss-settings", "risky-namel3ss-lsp-command", "default-not-applied", "safe-not-applied",
        "project-sets-eglot-configuration", "contact-is-users", "attach", "host-not-allowed", "not-contacted",
    ]
    failed = {name: found.get(name) for name in expected if not (found.get(name) or {}).get("ok")}
    assert not failed, f"failed checks: {json.dumps(failed, indent=1, ensure_ascii=False)}"
    assert not (sandbox.project / "project-ran-this").exists()


ILLUSTRATOR_CHECK = r"""
(require 'package)
(package-initialize)
(add-to-list 'load-path (expand-file-name "emacs" (getenv "N3_EDITORS")))
(require 'namel3ss-mode)
(defun n3-open (name)
  "The major mode NAME opens in, or the error."
  (condition-case err
      (with-current-buffer (find-file-noselect (expand-file-name name))
        (prog1 major-mode (kill-buffer)))
    (error err)))
(let ((out nil))
  (dolist (name '("pdf.ai" "ps.ai" "bom.ai" "app.ai"))
    (push (cons name (n3-open name)) out))
  ;; A user who sends .ai files to doc-view (no image support here: it falls back to normal-mode).
  (let ((auto-mode-alist (cons '("\\.ai\\'" . doc-view-mode-maybe) auto-mode-alist)))
    (push (cons "doc-view-pdf" (n3-open "pdf.ai")) out))
  ;; A configuration from before: .ai mapped to `namel3ss-mode-maybe'.
  (let ((auto-mode-alist (cons '("\\.ai\\'" . namel3ss-mode-maybe) auto-mode-alist)))
    (push (cons "maybe-ps" (n3-open "ps.ai")) out)
    (push (cons "maybe-app" (n3-open "app.ai")) out))
  (push (cons "messages" (with-current-buffer (messages-buffer) (buffer-string))) out)
  (princ (format "N3JSON%s\n" (json-encode out))))
"""


def test_emacs_illustrator_files(sandbox: Sandbox) -> None:
    """Multi-megabyte Illustrator files (PDF, PostScript, with a BOM) keep their own mode, without
    the doc-view/normal-mode loop that used to end in max-lisp-eval-depth."""
    emacs = require_emacs()
    rng = random.Random(7)
    pdf = [b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n"]
    for i in range(600):
        pdf += [b"%d 0 obj\n<</Length 2000>>stream\n" % i, rng.randbytes(2000), b"\nendstream\nendobj\n"]
    pdf.append(b"%AI9_PrivateDataBegin " + b'{ab{cd"ef\'' * 100_000 + b"\n%%EOF\n")
    (sandbox.project / "pdf.ai").write_bytes(b"".join(pdf))
    (sandbox.project / "ps.ai").write_bytes(
        b"%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator(R) 24.0\n%%BeginData: " + b'(x{["\'' * 400_000 + b"\n")
    (sandbox.project / "bom.ai").write_bytes(b"\xef\xbb\xbf  \n%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator\n")
    script = sandbox.root / "illustrator.el"
    script.write_text(ILLUSTRATOR_CHECK, encoding="utf-8")
    proc = subprocess.run([emacs, "--batch", "-l", str(script)], env={**sandbox.env, "N3_EDITORS": str(EDITORS)},
                          cwd=sandbox.project, capture_output=True, text=True, timeout=120)
    payload = [line for line in proc.stdout.splitlines() if line.startswith("N3JSON")]
    assert payload, f"no output (exit {proc.returncode}): {proc.stderr[-3000:]}"
    out = json.loads(payload[-1][len("N3JSON"):])
    assert out["app.ai"] == "namel3ss-mode"
    assert out["maybe-app"] == "namel3ss-mode"
    assert out["ps.ai"] == "ps-mode" and out["maybe-ps"] == "ps-mode"
    for name in ("pdf.ai", "bom.ai", "doc-view-pdf"):
        assert isinstance(out[name], str) and out[name] != "namel3ss-mode", (name, out[name])
    for text in (out["messages"], proc.stderr):
        assert "max-lisp-eval-depth" not in text and "File mode specification error" not in text, text[-2000:]


STATUS_CHECK = r"""
(require 'package)
(package-initialize)
(add-to-list 'load-path (expand-file-name "emacs" (getenv "N3_EDITORS")))
(require 'namel3ss-mode)
(defun n3-uri (name) (concat "file://" (url-hexify-string (expand-file-name name) url-path-allowed-chars)))
(defun n3-text (name) (with-current-buffer (find-file-noselect (expand-file-name name)) (namel3ss-status-text)))
(defun n3-line (name)
  "What `namel3ss-mode-line' shows in NAME's buffer (batch Emacs renders no mode line)."
  (with-current-buffer (find-file-noselect (expand-file-name name))
    (replace-regexp-in-string "%%" "%" (substring-no-properties
                                        (apply #'concat (eval (cadr namel3ss-mode-line) t))))))
(let ((out nil))
  (push (cons 'none (n3-text "a one.ai")) out)
  ;; eglot gives plists; lsp-mode gives hash tables.
  (namel3ss--on-status (list :baseUrl "http://h1" :reachable t :modelsCount 1 :default :json-false
                             :uris (vector (n3-uri "a one.ai"))))
  (namel3ss--on-status (namel3ss--plist
                        (let ((h (make-hash-table :test #'equal)))
                          (puthash "baseUrl" "http://h2" h) (puthash "reachable" t h)
                          (puthash "modelsCount" 2 h) (puthash "default" t h) (puthash "uris" [] h) h)))
  (namel3ss--on-status (list :baseUrl "http://h3" :reachable :json-false :modelsCount :null
                             :uris (vector (n3-uri "c.ai"))))
  (push (cons 'a (n3-text "a one.ai")) out)
  (push (cons 'b (n3-text "b.ai")) out)
  (push (cons 'c (n3-text "c.ai")) out)
  ;; The same server again: replaced, not added.
  (namel3ss--on-status (list :baseUrl "http://h1" :reachable t :modelsCount 5 :uris (vector (n3-uri "a one.ai"))))
  (push (cons 'a2 (n3-text "a one.ai")) out)
  (push (cons 'count (length namel3ss--statuses)) out)
  ;; No uris, no default (an older server): the newest.
  (setq namel3ss--statuses nil)
  (namel3ss--on-status (list :baseUrl "http://h1" :reachable t :modelsCount 1))
  (namel3ss--on-status (list :baseUrl "http://h2" :reachable t :modelsCount 7))
  (push (cons 'newest (n3-text "b.ai")) out)
  ;; Progress replaces the status while work runs; % shows as itself in the mode line.
  (namel3ss--on-progress "t1" '(:kind "begin" :title "Pulling phi3:mini" :percentage 0))
  (namel3ss--on-progress "t1" '(:kind "report" :message "pulling: 1 GB / 2 GB" :percentage 50))
  (push (cons 'progress (n3-line "b.ai")) out)
  (namel3ss--on-progress "t2" '(:kind "begin" :title "Pulling qwen2.5:0.5b"))
  (push (cons 'progress2 (n3-line "b.ai")) out)
  (namel3ss--on-progress "t1" '(:kind "report" :message "verifying"))
  (push (cons 'progress_kept (n3-line "b.ai")) out)
  (namel3ss--on-progress "t2" '(:kind "end"))
  (namel3ss--on-progress "t1" '(:kind "end" :message "done"))
  (push (cons 'after (n3-line "b.ai")) out)
  (princ (format "N3JSON%s\n" (json-encode out))))
"""


def test_emacs_status_of_the_buffer_and_progress(sandbox: Sandbox) -> None:
    """The mode line shows the status whose `uris` name the buffer's file, else the default
    server's, else the newest; while work runs it shows its progress instead."""
    emacs = require_emacs()
    for name in ("a one.ai", "b.ai", "c.ai"):
        sandbox.write(name, "ai model m {\n    provider: ollama\n}\n")
    script = sandbox.root / "status.el"
    script.write_text(STATUS_CHECK, encoding="utf-8")
    proc = subprocess.run([emacs, "--batch", "-l", str(script)], env={**sandbox.env, "N3_EDITORS": str(EDITORS)},
                          cwd=sandbox.project, capture_output=True, text=True, timeout=60)
    payload = [line for line in proc.stdout.splitlines() if line.startswith("N3JSON")]
    assert payload, f"no output (exit {proc.returncode}): {proc.stderr[-3000:]}"
    out = json.loads(payload[-1][len("N3JSON"):])
    assert out["none"] == ""
    assert out["a"] == "Ollama ✓ 1 model"        # its own server (uris)
    assert out["b"] == "Ollama ✓ 2 models"       # the default server
    assert out["c"] == "Ollama unreachable"      # its own server, though not the default
    assert out["a2"] == "Ollama ✓ 5 models" and out["count"] == 3
    assert out["newest"] == "Ollama ✓ 7 models"
    assert out["progress"] == " Ollama: Pulling phi3:mini 50%"
    assert out["progress2"] == " Ollama: Pulling qwen2.5:0.5b (+1)"
    assert out["progress_kept"] == " Ollama: Pulling qwen2.5:0.5b (+1)"
    assert out["after"] == " Ollama ✓ 7 models"


def test_emacs_cancel_pull(sandbox: Sandbox) -> None:
    """`namel3ss-cancel` stops a running pull: the server says so, the model is not installed and
    the mode line forgets the pull."""
    from tests.standin.process import StandInProcess

    emacs = require_emacs()
    with StandInProcess(models=["llama3:8b"], pullable=["phi3:mini"], pull_lines_per_second=1) as standin:
        found = run_batch(emacs, sandbox, HERE / "emacs_cancel.el", {
            "N3_EDITORS": str(EDITORS), "N3_FILE": str(sandbox.project / "app.ai"), "N3_URL": standin.url,
            "N3_SERVER_CMD": json.dumps(server_command()), "N3_TIMEOUT": "20",
        })
        installed = {m["name"] for m in standin._call("GET", "/api/tags")["models"]}
    failed = {name: found.get(name) for name in ("progress", "cancelled", "cleared") if not (found.get(name) or {}).get("ok")}
    assert not failed, f"failed checks: {json.dumps(failed, indent=1, ensure_ascii=False)}"
    assert "phi3:mini" not in installed


@pytest.mark.parametrize("client", ["eglot", "lsp-mode"])
def test_emacs_format_and_definition(sandbox: Sandbox, ollama_standin, client: str) -> None:
    """`eglot-format-buffer' / `lsp-format-buffer', format on save with the before-save hook of
    editors/README.md, and `xref-find-definitions' into a file that was never opened."""
    emacs = require_emacs()
    require_client(emacs, client)
    sandbox.write_workspace()
    sandbox.write("format.ai", "# formatted on save\n")
    messy, formatted = sandbox.root / "messy.txt", sandbox.root / "formatted.txt"
    messy.write_text(MESSY, encoding="utf-8")
    formatted.write_text(FORMATTED, encoding="utf-8")
    found = run_batch(emacs, sandbox, HERE / "emacs_workspace.el", {
        "N3_CLIENT": client, "N3_EDITORS": str(EDITORS), "N3_URL": ollama_standin.url,
        "N3_SERVER_CMD": json.dumps(server_command()), "N3_TIMEOUT": "20",
        "N3_MESSY": str(messy), "N3_FORMATTED": str(formatted),
    })
    expected = ["attach", "format-buffer", "format-on-save", "models-not-open", "definition"]
    failed = {name: found.get(name) for name in expected if not (found.get(name) or {}).get("ok")}
    assert not failed, f"failed checks: {json.dumps(failed, indent=1, ensure_ascii=False)}"
    assert (sandbox.project / "format.ai").read_text(encoding="utf-8") == FORMATTED
