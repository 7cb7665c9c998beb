"""A document cannot make the server contact a host outside `ollama.allowedHosts`, end to end.

Whatever the spelling of its `base_url` / `host` / `port` (IPv4 in decimal, hex, octal or short
form, IPv4-mapped IPv6, userinfo, fragments, queries, backslashes, percent-escapes, other schemes),
every spelling that could reach this machine points at a *trap*: a TCP listener on a loopback
address that is not allowed. If the server wrongly connected (from diagnostics, completion, hover,
code lenses, code actions, background health checks or a command given that URL), the trap would
see it; a positive control (an allowed spelling pointing at another trap) proves that traps do see
connections. Truly external names (evil.example, 10.0.0.1) are first checked with the pure
allowlist function the server uses, so that a bug could never send traffic off this machine; then
the server must flag them with `ollama-host-not-allowed` and the traps must see nothing.
One server process (allowedHosts ["localhost"]) serves every case of this module.
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from namel3ss_lsp.ollama.urls import host_allowed
from tests.lsp.harness import NEOVIM, RecordingClient, start_client, stop_client
from tests.standin.process import StandInProcess

from .helpers import Trap, assert_alive, command_error, doc_id, find_position, wait_until

pytestmark = pytest.mark.asyncio(loop_scope="module")

ALLOWED = ["localhost"]
NOT_ALLOWED_CODES = (-32002, -32602)


class World:
    def __init__(self) -> None:
        self.standin = StandInProcess(models=["llama3:8b"], pullable=["phi3:mini"])
        self.standin.start()
        self.standin_port = int(self.standin.url.rsplit(":", 1)[1])
        self.trap = Trap("127.0.0.1")
        self.trap2 = Trap("127.0.0.2")
        self.control = Trap("127.0.0.1")
        self.client: RecordingClient | None = None
        self.count = 0

    def close(self) -> None:
        for trap in (self.trap, self.trap2, self.control):
            trap.close()
        self.standin.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world():
    w = World()
    settings = {
        "ollama": {
            "baseUrl": f"http://localhost:{w.standin_port}",
            "allowedHosts": ALLOWED,
            "requestTimeout": 1,
            "healthCheckInterval": 0.2,
        }
    }
    try:
        w.client = await start_client(NEOVIM, init=settings)
        yield w
    finally:
        if w.client is not None:
            try:
                await stop_client(w.client)
            except Exception:
                await w.client.stop()
        w.close()


def _decl(config_lines: list[str], section: str = "config") -> str:
    body = "\n".join(f"        {line}" for line in config_lines)
    return f"ai model chat {{\n    provider: ollama\n    model: llama3:8b\n    {section}: {{\n{body}\n    }}\n}}\n"


def _url(url: str) -> list[str]:
    return [f'base_url: "{url.replace(chr(92), chr(92) * 2)}"']


# (id, config lines built from (trap port, trap2 port, stand-in port), config section, the URL a command gets)
LOCAL_SPELLINGS = {
    "plain-127.0.0.1": lambda t, t2, s: _url(f"http://127.0.0.1:{t}"),
    "other-loopback-127.0.0.2": lambda t, t2, s: _url(f"http://127.0.0.2:{t2}"),
    "decimal-2130706433": lambda t, t2, s: _url(f"http://2130706433:{t}"),
    "hex-0x7f.0.0.1": lambda t, t2, s: _url(f"http://0x7f.0.0.1:{t}"),
    "octal-0177.0.0.1": lambda t, t2, s: _url(f"http://0177.0.0.1:{t}"),
    "short-127.1": lambda t, t2, s: _url(f"http://127.1:{t}"),
    "ipv4-mapped-v6": lambda t, t2, s: _url(f"http://[::ffff:127.0.0.1]:{t}"),
    "ipv4-mapped-v6-hex": lambda t, t2, s: _url(f"http://[::ffff:7f00:1]:{t}"),
    "userinfo-localhost@": lambda t, t2, s: _url(f"http://localhost@127.0.0.1:{t}"),
    "userinfo-localhost:port@": lambda t, t2, s: _url(f"http://localhost:{s}@127.0.0.1:{t}"),
    "fragment-#@localhost": lambda t, t2, s: _url(f"http://127.0.0.1:{t}#@localhost"),
    "query-?@localhost": lambda t, t2, s: _url(f"http://127.0.0.1:{t}?@localhost"),
    "backslash-localhost\\@": lambda t, t2, s: _url(f"http://localhost\\@127.0.0.1:{t}"),
    "percent-127%2e0.0.1": lambda t, t2, s: _url(f"http://127%2e0.0.1:{t}"),
    "uppercase-scheme": lambda t, t2, s: _url(f"HTTP://127.0.0.1:{t}"),
    "gopher-scheme": lambda t, t2, s: _url(f"gopher://127.0.0.1:{t}/_GET"),
    "ws-scheme": lambda t, t2, s: _url(f"ws://127.0.0.1:{t}"),
    "file-scheme": lambda t, t2, s: _url("file:///etc/passwd"),
    "no-scheme-127": lambda t, t2, s: _url(f"127.0.0.1:{t}"),
    "config-host-port": lambda t, t2, s: ['host: "127.0.0.1"', f"port: {t}"],
    "config-host-url-port": lambda t, t2, s: ['host: "http://127.0.0.1"', f"port: {t}"],
    "config-host-userinfo": lambda t, t2, s: ['host: "localhost@127.0.0.1"', f"port: {t}"],
    "config-host-decimal": lambda t, t2, s: ['host: "2130706433"', f"port: {t}"],
    "config-port-string": lambda t, t2, s: ['host: "127.0.0.2"', f'port: "{t2}"'],
}
DEPLOYMENT_SPELLINGS = {
    "deployment-host-port": lambda t, t2, s: ['host: "127.0.0.1"', f"port: {t}"],
}
EXTERNAL_URLS = {
    "userinfo-to-evil.example": "http://127.0.0.1@evil.example",
    "ipv4-mapped-10.0.0.1": "http://[::ffff:10.0.0.1]:11434",
    "plain-evil.example": "http://evil.example:11434",
    "localhost-prefix-evil.example": "http://localhost.evil.example:11434",
    "localhost-userinfo-evil": "http://localhost:11434@evil.example:11434",
    "private-10.0.0.1": "http://10.0.0.1:11434",
    "https-evil": "https://evil.example",
}


async def _probe(w: World, uri: str, text: str, command_url: str | None) -> list:
    """Open the document and poke every feature that could talk to its server."""
    client = w.client
    assert client is not None
    client.open(uri, text)
    diags = await client.wait_codes(uri, lambda c: "ollama-host-not-allowed" in c, timeout=10)
    pos = find_position(text, "model: llama3:8b", len("model: ") + 3)
    await client.text_document_completion_async(types.CompletionParams(text_document=doc_id(uri), position=pos))
    await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos))
    await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc_id(uri)))
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=20, character=0))
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(text_document=doc_id(uri), range=whole,
                               context=types.CodeActionContext(diagnostics=list(diags)))
    )
    for action in actions or []:  # a code action that runs a command must not reach the host either
        command = action if isinstance(action, types.Command) else getattr(action, "command", None)
        if command is not None and command.command.startswith("namel3ss.ollama.") and "removeModel" not in command.command:
            try:
                await asyncio.wait_for(client.command(command.command, *(command.arguments or [])), timeout=10)
            except JsonRpcException:
                pass
    if command_url is not None:
        for name, args in (
            ("namel3ss.ollama.listModels", {"baseUrl": command_url}),
            ("namel3ss.ollama.status", {"baseUrl": command_url}),
            ("namel3ss.ollama.pullModel", {"model": "phi3:mini", "baseUrl": command_url}),
            ("namel3ss.ollama.removeModel", {"model": "llama3:8b", "baseUrl": command_url, "confirmed": True}),
            ("namel3ss.ollama.tryModel", {"model": "llama3:8b", "baseUrl": command_url}),
            ("namel3ss.ollama.startServer", {"baseUrl": command_url}),
        ):
            error = await command_error(client, name, args, timeout=10)
            _assert_refused(error, (name, command_url))
    await asyncio.sleep(0.5)  # a few background health checks (every 0.2 s)
    return list(diags)


def _assert_refused(error: JsonRpcException, what: object) -> None:
    """Refused because of the host (not for some unrelated reason such as a crash)."""
    message = str(error.message)
    assert error.code in NOT_ALLOWED_CODES, (what, error.code, message)
    assert any(word in message for word in ("allowedHosts", "baseUrl", "URL", "url")), (what, message)


def _assert_untouched(w: World, what: str) -> None:
    assert w.trap.connections == [], f"{what}: the server contacted the trap 127.0.0.1:{w.trap.port}: {w.trap.connections[:2]}"
    assert w.trap2.connections == [], f"{what}: the server contacted the trap 127.0.0.2:{w.trap2.port}"
    stats = w.standin.stats()
    for route in ("/api/pull", "/api/delete", "/api/chat", "/api/generate"):
        assert stats[route] == 0, (what, route, stats[route])


@pytest.mark.parametrize("case", list(LOCAL_SPELLINGS) + list(DEPLOYMENT_SPELLINGS))
async def test_document_cannot_point_the_server_at_a_trap(world: World, case: str):
    maker = LOCAL_SPELLINGS.get(case) or DEPLOYMENT_SPELLINGS[case]
    lines = maker(world.trap.port, world.trap2.port, world.standin_port)
    section = "deployment_config" if case in DEPLOYMENT_SPELLINGS else "config"
    text = _decl(lines, section)
    world.count += 1
    uri = f"file:///security/{world.count}.ai"
    url_line = next((line for line in lines if line.startswith("base_url")), None)
    command_url = url_line.split('"', 1)[1].rsplit('"', 1)[0].replace("\\\\", "\\") if url_line else None
    diags = await _probe(world, uri, text, command_url)
    blocked = next(d for d in diags if d.code == "ollama-host-not-allowed")
    assert blocked.data["model"] == "llama3:8b", blocked.data
    _assert_untouched(world, case)


@pytest.mark.parametrize("case", list(EXTERNAL_URLS))
async def test_external_hosts_are_refused_without_a_connection(world: World, case: str):
    url = EXTERNAL_URLS[case]
    # Guard first (pure function, no I/O): a bug here must never turn into traffic off this machine.
    always = ("localhost",)
    assert not host_allowed(url, ALLOWED, always_allowed=always), f"host_allowed lets {url} through"
    world.count += 1
    uri = f"file:///security/ext-{world.count}.ai"
    await _probe(world, uri, _decl(_url(url)), url)
    _assert_untouched(world, case)


async def test_positive_control_an_allowed_spelling_reaches_its_host(world: World):
    """The traps do see connections: `LOCALHOST` is `localhost` (allowed), so it is contacted."""
    uri = "file:///security/control.ai"
    text = _decl(_url(f"http://LOCALHOST:{world.control.port}"))
    assert world.client is not None
    world.client.open(uri, text)
    await wait_until(lambda: len(world.control.connections) > 0, 10, what="a connection to the control trap")
    assert b"GET /api/" in b"".join(world.control.connections) or b"/api/" in world.control.connections[0]
    _assert_untouched(world, "control")
    await assert_alive(world.client)


