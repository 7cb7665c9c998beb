"""Unit tests of the pure pieces of the LSP layer: settings merging, text synchronisation, command
argument validation, the handler guard and progress rate limiting."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams

from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.lsp import documents, guard, progress
from namel3ss_lsp.lsp.commands import base as commands
from namel3ss_lsp.lsp.settings import Settings, SettingsStore, apply


def test_settings_defaults_match_the_contract():
    s = Settings()
    assert s.base_url is None and s.allowed_hosts == ("localhost", "127.0.0.1", "::1")
    assert (s.request_timeout, s.health_check_interval, s.model_cache_ttl) == (5, 30, 60)
    assert s.allow_server_start is False and s.missing_model == "warning"


def test_settings_layers_and_spellings():
    store = SettingsStore()
    store.set_initialization_options({"ollama": {"baseUrl": "http://a:1", "requestTimeout": 2}})
    assert store.current.base_url == "http://a:1" and store.current.request_timeout == 2
    # the client layer (pulled or pushed) wins, dotted keys and a wrapping `namel3ss` work too
    store.set_client({"namel3ss": {"ollama.baseUrl": "http://b:2", "diagnostics": {"missingModel": "ERROR"}}}, source="t")
    assert store.current.base_url == "http://b:2" and store.current.missing_model == "error"
    assert store.current.request_timeout == 2  # not overridden: init value stays
    store.set_client(None, source="t")
    assert store.current.base_url == "http://a:1"


@pytest.mark.parametrize(
    "key,value",
    [
        ("requestTimeout", -1),
        ("requestTimeout", True),
        ("healthCheckInterval", "soon"),
        ("allowedHosts", "localhost"),
        ("allowServerStart", "yes"),
        ("modelCacheTtl", float("nan")),
    ],
)
def test_bad_setting_values_keep_defaults(key, value, caplog):
    with caplog.at_level(logging.WARNING):
        s = apply(Settings(), {"ollama": {key: value}}, source="test")
    assert s == Settings()


@pytest.mark.parametrize(
    "text,line,character,offset",
    [
        ("ab\ncd", 1, 1, 4),
        ("ab\r\ncd", 1, 0, 4),
        ("ab\rcd", 1, 2, 5),  # a lone CR is a line break for LSP
        ("a\u2028b\nc", 1, 0, 4),  # U+2028 is not
        ("🦙x\ny", 0, 2, 1),  # UTF-16: the emoji is two units
        ("ab", 0, 99, 2),  # clamped to the line
        ("ab\ncd", 9, 0, 5),  # past the last line: end of document
    ],
)
def test_offsets(text, line, character, offset):
    assert documents.offset_at(text, line, character) == offset


def test_apply_change_in_order():
    text = "hello\r\nworld"
    change = SimpleNamespace(
        range=types.Range(start=types.Position(line=1, character=0), end=types.Position(line=1, character=5)), text="🦙"
    )
    text = documents.apply_change(text, change)
    assert text == "hello\r\n🦙"
    change = SimpleNamespace(
        range=types.Range(start=types.Position(line=1, character=2), end=types.Position(line=1, character=2)), text="!"
    )
    assert documents.apply_change(text, change) == "hello\r\n🦙!"
    assert documents.apply_change(text, SimpleNamespace(text="all new")) == "all new"


@pytest.mark.parametrize("text", ["ab\ncd", "a\u2028b\nc", "🦙x\ny\n", "ab", "", "x\n\n🦙é\nz"])
def test_the_line_index_finds_the_offsets_offset_at_finds(text):
    """`DocumentStore.change` bisects the analysis's line index when it is of the same text."""
    index = LineIndex(text)
    for line in range(0, text.count("\n") + 3):
        for character in range(0, 6):
            change = SimpleNamespace(range=types.Range(start=types.Position(line=line, character=character),
                                                       end=types.Position(line=line, character=character)), text="!")
            assert documents.apply_change(text, change, index) == documents.apply_change(text, change)


def test_many_changes_in_one_notification_give_the_text_of_applying_them_one_by_one():
    """Multi-cursor typing and Replace All send many changes at once: applied to a list of lines
    and joined once, they give exactly the text of applying each to the whole text in order, on
    every kind of line break (a "\r" and an inserted "\n" joining into one), emoji, positions
    past a line, past the end or before the start, and ranges given end first."""
    import random

    rng = random.Random(2026)
    alphabet = ["a", "b", " ", "\n", "\r\n", "\r", "🦙", "é", "{", "}"]

    def position() -> SimpleNamespace:  # not types.Position: that refuses a negative line
        return SimpleNamespace(line=rng.randint(-1, 8), character=rng.randint(0, 7))

    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        changes = []
        for _ in range(rng.randint(documents.BATCHED_FROM, documents.BATCHED_FROM + 6)):
            if rng.random() < 0.05:
                changes.append(SimpleNamespace(text="".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))))
            else:
                changes.append(SimpleNamespace(range=SimpleNamespace(start=position(), end=position()),
                                               text="".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))))
        expected = text
        for change in changes:
            expected = documents.apply_change(expected, change)
        assert documents.apply_changes(text, changes) == expected, (text, changes)


def test_a_thousand_cursors_typing_into_a_big_document():
    """1,000 changes in one notification, end first as VS Code sends them, into 40,000 lines: each
    lands on its own line and the lines stay as they were (applying them one by one to the whole
    text held the loop for 4 s at 1.8 MB; `benchmarks/` figure 2 measures it)."""
    text = "".join(f"line {i}\n" for i in range(40_000))
    changes = [SimpleNamespace(range=types.Range(start=types.Position(line=i * 40, character=4),
                                                 end=types.Position(line=i * 40, character=4)), text="!")
               for i in reversed(range(1000))]
    expected = text
    for change in changes[:40]:
        expected = documents.apply_change(expected, change)
    assert documents.apply_changes(text, changes[:40]) == expected
    result = documents.apply_changes(text, changes)
    assert result.count("!") == 1000 and result.splitlines()[39_960] == "line! 39960"
    pieces = documents._lines(result)
    assert len(pieces) == 40_001 and pieces[-1] == ""


def test_big_publications_are_encoded_in_batches_to_the_same_json():
    from namel3ss_lsp.lsp.server import Namel3ssLanguageServer

    protocol = Namel3ssLanguageServer().protocol
    diagnostics = [
        types.Diagnostic(range=types.Range(start=types.Position(line=i, character=0), end=types.Position(line=i, character=3)),
                         message=f'm{i} é "q" 🦙', severity=types.DiagnosticSeverity.Warning, code="c", source="namel3ss",
                         data={"model": "x", "n": [1, 2]})
        for i in range(1000)
    ]
    for count in (0, 1, 256, 257, 1000):
        params = types.PublishDiagnosticsParams(uri="file:///a.ai", diagnostics=diagnostics[:count], version=3)
        assert protocol.json_in_batches(params) == protocol.json_of(params)


def test_command_arguments():
    assert commands.parse_arguments(commands.REFRESH, ()) == {}
    assert commands.parse_arguments(commands.LIST, (None,)) == {}
    assert commands.parse_arguments(commands.PULL, ({"model": "a", "extra": 1},)) == {"model": "a"}
    for bad in [(), ("a",), ({"model": 1},), ({"model": " "},), ({"model": "a"}, {})]:
        with pytest.raises(JsonRpcInvalidParams):
            commands.parse_arguments(commands.PULL, bad)
    with pytest.raises(JsonRpcInvalidParams):
        commands.parse_arguments(commands.REMOVE, ({"model": "a", "confirmed": 1},))


async def test_guard_turns_failures_into_defaults_or_errors(caplog):
    @guard.guarded("feature", default=list)
    async def feature(ls, params):
        raise ValueError("boom")

    @guard.guarded("command", raise_errors=True)
    def command(ls, params):
        raise KeyError("x")

    params = SimpleNamespace(text_document=SimpleNamespace(uri="file:///a.ai"), position=types.Position(line=1, character=2))
    with caplog.at_level(logging.ERROR):
        assert await feature(None, params) == []
    assert "file:///a.ai 1:2" in caplog.text and "boom" in caplog.text
    with pytest.raises(JsonRpcInternalError):
        command(None, params)


class _FakeProgress:
    def __init__(self):
        self.sent = []
        self.tokens = {}

    def begin(self, token, value):
        self.sent.append(("begin", value))

    def report(self, token, value):
        self.sent.append(("report", value))

    def end(self, token, value):
        self.sent.append(("end", value))


async def test_progress_is_rate_limited_and_keeps_the_last_report():
    fake = _FakeProgress()
    ls = SimpleNamespace(work_done_progress=fake, client_capabilities=None)
    token = progress.current_work_done_token.set("t")
    try:
        wd = await progress.WorkDone(ls, "x", min_interval=0.1).begin()
    finally:
        progress.current_work_done_token.reset(token)
    for i in range(100):
        wd.report(f"{i}", i)
        await asyncio.sleep(0.002)
    wd.end("done")
    reports = [v for kind, v in fake.sent if kind == "report"]
    assert len(reports) <= 5  # ~0.2-0.4 s of reports at <= 10 a second
    assert reports[-1].percentage == 99  # the last one was not lost
    assert fake.sent[-1][0] == "end"


async def test_streamed_text_is_concatenated_in_order():
    fake = _FakeProgress()
    ls = SimpleNamespace(work_done_progress=fake, client_capabilities=None)
    token = progress.current_work_done_token.set("t")
    try:
        wd = await progress.WorkDone(ls, "x", min_interval=0.05).begin()
    finally:
        progress.current_work_done_token.reset(token)
    words = [f"w{i} " for i in range(40)]
    for word in words:
        wd.append(word)
        await asyncio.sleep(0.003)
    wd.end()
    assert "".join(v.message for kind, v in fake.sent if kind == "report") == "".join(words)


def test_garbage_alive_at_a_settle_is_freed_once_it_dies(monkeypatch):
    """A request in flight when an analysis settles (a cycle: exception, traceback, frames) used to be
    frozen with the trees and never freed once it died; the periodic sweep frees it."""
    import gc
    import weakref

    from namel3ss_lsp.lsp import analysis_queue

    monkeypatch.setattr(analysis_queue, "SWEEP_LIMIT", 10**9)  # this test process holds many objects

    class InFlight:
        pass

    request = InFlight()
    request.itself = request  # a cycle: only the collector can free it
    gone = weakref.ref(request)
    gc.collect()  # it has lived long: the oldest generation
    frozen = gc.get_freeze_count()
    analysis_queue.sweep_garbage(1)  # an analysis settles while the request is alive
    assert gc.get_freeze_count() == frozen  # few young objects: nothing was frozen
    del request
    analysis_queue.sweep_garbage()  # the status monitor's periodic sweep
    assert gone() is None


def test_a_sweep_leaves_the_objects_other_threads_are_building_alone():
    """A sweep counts the collector's objects while worker threads analyse. Counted through a list
    that another thread could see, a tuple that thread was filling (`tuple(generator)`) got a
    second reference and failed to resize with SystemError: the thread's analysis failed (a valid
    document published one "internal error"). 5,000 sweeps against a building thread, with thread
    switches as often as the interpreter allows: about 7 such errors were expected before."""
    import gc
    import sys
    import threading

    from namel3ss_lsp.lsp import analysis_queue

    errors: list[BaseException] = []
    stop = threading.Event()

    def build() -> None:
        while not stop.is_set():
            try:
                tuple(x for x in (1, 2, 3))
            except SystemError as exc:
                errors.append(exc)

    interval = sys.getswitchinterval()
    gc.freeze()  # out of the sweep's view: each sweep then counts and collects a few objects
    worker = threading.Thread(target=build)
    sys.setswitchinterval(1e-5)
    worker.start()
    try:
        for _ in range(5000):
            analysis_queue.sweep_garbage()
    finally:
        stop.set()
        worker.join()
        sys.setswitchinterval(interval)
        gc.unfreeze()
    assert errors == []


def test_a_sweep_freezes_what_it_would_take_long_to_walk(monkeypatch):
    import gc

    from namel3ss_lsp.lsp import analysis_queue

    monkeypatch.setattr(analysis_queue, "SWEEP_LIMIT", 1_000)
    kept = [[i] for i in range(5_000)]  # a new tree, as many objects as the limit five times over
    frozen = gc.get_freeze_count()
    try:
        analysis_queue.sweep_garbage(1)
        assert gc.get_freeze_count() >= frozen + len(kept)
    finally:
        gc.unfreeze()  # back in view for the rest of the test session


class _Sink:
    """Where a server made in-process writes its messages."""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        pass


async def test_a_handled_notification_leaves_nothing_behind():
    """pygls 2.1 kept the future of every notification (didOpen, didChange...) for ever."""
    from namel3ss_lsp.lsp.server import create_server

    ls = create_server()
    ls.protocol.set_writer(_Sink())
    uri = "file:///leak/notifications.ai"
    text = "ai model chat {\n    provider: ollama\n    model: llama3\n}\n"
    ls.protocol.handle_json({"jsonrpc": "2.0", "method": "textDocument/didOpen",
                             "params": {"textDocument": {"uri": uri, "languageId": "namel3ss", "version": 1, "text": text}}})
    for version in range(2, 52):
        ls.protocol.handle_json({"jsonrpc": "2.0", "method": "textDocument/didChange",
                                 "params": {"textDocument": {"uri": uri, "version": version},
                                            "contentChanges": [{"text": text + "#" * version}]}})
    ls.protocol.handle_json({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}})
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert ls.documents.get(uri) is None  # handled, in order
    assert ls.protocol._request_futures == {}


async def test_a_finished_command_leaves_nothing_behind():
    """A command is a generator request handing on to our coroutine: pygls 2.1 kept that inner
    future, under a made-up id, for ever."""
    import json

    from namel3ss_lsp.lsp.server import create_server

    ls = create_server()
    sink = _Sink()
    ls.protocol.set_writer(sink)
    ls.protocol.handle_json({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                             "params": {"processId": None, "rootUri": None, "capabilities": {}}})
    for _ in range(20):
        await asyncio.sleep(0.01)
    for n in range(2, 12):  # rejected by the allow-list before any I/O: answered at once
        ls.protocol.handle_json({"jsonrpc": "2.0", "id": n, "method": "workspace/executeCommand",
                                 "params": {"command": "namel3ss.ollama.status", "arguments": [{"baseUrl": "http://example.com:1"}]}})
    for _ in range(50):
        await asyncio.sleep(0.01)
        if sum(b'"id":11' in chunk.replace(b" ", b"") for chunk in sink.written):
            break
    answered = {json.loads(chunk.split(b"\r\n\r\n", 1)[1]).get("id") for chunk in sink.written}
    assert set(range(2, 12)) <= answered
    for _ in range(5):
        await asyncio.sleep(0.01)
    assert ls.protocol._request_futures == {}


def test_a_late_answer_to_a_request_given_up_on_is_ignored():
    """A client answering after the server stopped waiting (timed out, cancelled): pygls raised
    InvalidStateError with a traceback."""
    from concurrent.futures import Future

    from namel3ss_lsp.lsp.server import create_server

    ls = create_server()
    given_up: Future = Future()
    given_up.cancel()
    ls.protocol._request_futures["late"] = given_up
    ls.protocol._handle_response("late", {"namel3ss": {}})
    assert "late" not in ls.protocol._request_futures
    waiting: Future = Future()
    ls.protocol._request_futures["on-time"] = waiting
    ls.protocol._handle_response("on-time", 42)
    assert waiting.result() == 42


def test_facts_a_server_reports_are_shown_clipped():
    """A hover shows what the server says, each fact at most FACT_MAX characters (a 30 MB license
    line made a 30 MB hover)."""
    from namel3ss_lsp.lsp.model_facts import FACT_MAX, installed_facts

    facts = dict(installed_facts({"size": 4_700_000_000, "details": {"family": "f" * 10_000}},
                                 {"license": "L" * 100_000, "capabilities": ["c" * 50] * 100, "quantization_level": "Q4_0"}))
    assert len(facts["license"]) == FACT_MAX and facts["license"].endswith("…")
    assert len(facts["family"]) == FACT_MAX and len(facts["capabilities"]) == FACT_MAX
    assert facts["quantization"] == "Q4_0" and facts["size"] == "4.7 GB"


def test_big_navigation_answers_are_the_same_json_made_in_a_thread():
    """From BIG_RESULT locations or edits on, references, highlights and renames are made as JSON in
    a worker thread: the same JSON the lsprotocol objects give."""
    import json

    from namel3ss_lsp.language.types import Position, Range
    from namel3ss_lsp.lsp import convert
    from namel3ss_lsp.lsp import navigation as nav
    from namel3ss_lsp.lsp.server import Namel3ssLanguageServer

    protocol = Namel3ssLanguageServer().protocol
    n = nav.BIG_RESULT + 5
    found = [SimpleNamespace(uri=f"file:///f{i % 3}.ai", range=Range(Position(i, 4), Position(i, 9 + i % 2)), is_declaration=i == 0)
             for i in range(n)]

    def ls_for(with_versions: bool) -> SimpleNamespace:  # what the handlers read of the server
        versions = {"file:///f1.ai": SimpleNamespace(version=7)}
        return SimpleNamespace(protocol=protocol, client_supports=lambda path: with_versions,
                               documents=SimpleNamespace(get=versions.get))

    def as_sent(value) -> object:
        return json.loads(protocol.json_of(value))

    located = asyncio.run(nav._answer(ls_for(False), found, lambda l: nav._location(l.uri, l.range),
                                      lambda l: {"uri": l.uri, "range": convert.plain_range(l.range)}))
    assert json.loads(located.text) == located.value == as_sent([nav._location(l.uri, l.range) for l in found])

    def highlight(h):
        return types.DocumentHighlight(range=convert.range_(h.range), kind=nav._highlight_kind(h))

    lit = asyncio.run(nav._answer(ls_for(False), found, highlight,
                                  lambda h: {"range": convert.plain_range(h.range), "kind": int(nav._highlight_kind(h))}))
    assert json.loads(lit.text) == as_sent([highlight(h) for h in found])
    edits: dict = {}
    for item in found:
        edits.setdefault(item.uri, []).append((item.range, "renamed"))
    for with_versions in (False, True):
        plain = nav._plain_workspace_edit(edits, {"file:///f1.ai": 7}, with_versions)
        assert plain == as_sent(nav._workspace_edit(ls_for(with_versions), edits))
