"""Every fault knob of the stand-in, over real HTTP: an OllamaError with a suggestion, never a hang
past the configured timeout; and recovery once the fault ends."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest

from namel3ss_lsp.ollama import OllamaEditorTools, OllamaError, OllamaProvider

TIMEOUT = 0.3
SLACK = 1.0  # scheduling slack on a busy 2-core machine


@pytest.fixture
async def fast():
    tools = OllamaEditorTools(request_timeout=TIMEOUT, stall_timeout=TIMEOUT, pull_stall_timeout=TIMEOUT,
                              model_cache_ttl=0)
    try:
        yield tools
    finally:
        await tools.aclose()


@contextmanager
def within(seconds: float):
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"took {elapsed:.2f}s, limit {seconds:.2f}s"


async def expect_error(coro, kind: str | tuple[str, ...], limit: float = TIMEOUT + SLACK) -> OllamaError:
    with within(limit):
        with pytest.raises(OllamaError) as info:
            await coro
    err = info.value
    kinds = (kind,) if isinstance(kind, str) else kind
    assert err.kind in kinds, (err.kind, str(err))
    assert err.suggestion, "every error carries a suggestion"
    text = str(err)
    assert text.splitlines()[0] == err.description and f"Server: {err.base_url}" in text
    assert "\n\nSuggestion: " in text
    return err


def chat(tools, url, **config):
    provider = OllamaProvider("t", "llama3:8b", {"base_url": url, "auto_pull_model": False, **config}, tools=tools)
    return provider.generate([{"role": "user", "content": "hi"}])


async def test_connection_refused(fast, unused_port):
    err = await expect_error(fast.list_available_models(f"http://127.0.0.1:{unused_port}"), "unreachable")
    assert "ollama serve" in err.suggestion


async def test_latency_beyond_timeout_then_within(standin, fast):
    standin.configure(latency={"/api/tags": TIMEOUT * 3})
    await expect_error(fast.list_available_models(standin.url), "timeout")
    standin.configure(latency={"/api/tags": TIMEOUT / 4})
    assert len(await fast.list_available_models(standin.url)) == 3


@pytest.mark.parametrize("route", ["/api/tags", "/api/show", "/api/pull", "/api/chat", "/api/delete"])
async def test_hang_on_every_route(standin, fast, route):
    standin.configure(hang=[route])
    calls = {
        "/api/tags": lambda: fast.list_available_models(standin.url),
        "/api/show": lambda: fast.model_info("llama3:8b", standin.url),
        "/api/pull": lambda: fast.pull_model("phi3:mini", standin.url),
        "/api/chat": lambda: chat(fast, standin.url, stall_timeout=TIMEOUT),
        "/api/delete": lambda: fast.delete_model("mistral", standin.url),
    }
    await expect_error(calls[route](), "timeout")
    standin.reset()
    await calls[route]()  # recovers without a restart


@pytest.mark.parametrize("code, kind", [(500, "http"), (503, "http"), (502, "http"), (403, "http"),
                                        (404, "http"), (400, "http")])
async def test_status_on_tags(standin, fast, code, kind):
    standin.configure(status={"/api/tags": code})
    err = await expect_error(fast.list_available_models(standin.url), kind)
    assert err.status_code == code
    if code == 503:
        assert "retry" in err.suggestion
    if code == 404:
        assert "Upgrade" in err.suggestion  # 404 page not found: an old server or not Ollama


async def test_status_on_streams(standin, fast):
    standin.configure(status={"/api/pull": 500, "/api/chat": 503})
    await expect_error(fast.pull_model("phi3:mini", standin.url), "http")
    await expect_error(chat(fast, standin.url), "http")


@pytest.mark.parametrize("route", ["/api/tags", "/api/show", "/api/version"])
async def test_malformed_bodies(standin, fast, route):
    standin.configure(malformed=[route])
    if route == "/api/tags":
        await expect_error(fast.list_available_models(standin.url), "protocol")
    elif route == "/api/show":
        await expect_error(fast.model_info("llama3:8b", standin.url), "protocol")
    else:
        status = await fast.check_status(standin.url)
        assert status["reachable"] and status["version"] is None and status["suggestion"]


@pytest.mark.parametrize("route", ["/api/tags", "/api/show", "/api/version", "/api/ps"])
async def test_bodies_nested_too_deeply(standin, fast, route):
    """Valid JSON nested 100,000 deep: Python's decoder raises RecursionError, which escaped from
    the API instead of being a protocol error with a suggestion."""
    standin.configure(nested=[route])
    if route == "/api/tags":
        err = await expect_error(fast.list_available_models(standin.url), "protocol")
    elif route == "/api/show":
        err = await expect_error(fast.model_info("llama3:8b", standin.url), "protocol")
    elif route == "/api/ps":
        err = await expect_error(fast.list_running_models(standin.url), "protocol")
    else:
        status = await fast.check_status(standin.url)
        assert status["reachable"] and status["version"] is None and "nested too deeply" in status["error"]
        return
    assert "nested too deeply" in err.description and err.suggestion


async def test_stream_lines_nested_too_deeply(standin, fast):
    standin.configure(nested=["/api/pull", "/api/chat"])
    err = await expect_error(fast.pull_model("phi3:mini", standin.url), "protocol")
    assert "not JSON" in err.description
    await expect_error(chat(fast, standin.url), "protocol")


async def test_malformed_streams(standin, fast):
    standin.configure(malformed=["/api/pull", "/api/chat"])
    err = await expect_error(fast.pull_model("phi3:mini", standin.url), "protocol")
    assert "not JSON" in err.description
    await expect_error(chat(fast, standin.url), "protocol")


async def test_non_json_error_bodies(standin, fast):
    standin.configure(non_json_errors=True, status={"/api/tags": 502})
    err = await expect_error(fast.list_available_models(standin.url), "http")
    assert "502" in err.description and "<html>" not in err.description
    standin.configure(status={})
    err = await expect_error(fast.model_info("nope:1b", standin.url), "not_found")  # text/html 404
    assert "ollama pull nope:1b" in err.suggestion
    err = await expect_error(fast.pull_model("nope:1b", standin.url), "not_found")


async def test_blank_lines_are_tolerated(standin, fast):
    standin.configure(blank_lines=True)
    assert (await fast.pull_model("phi3:mini", standin.url))["status"] == "success"
    reply = await chat(fast, standin.url)
    assert reply.metadata["done"] and reply.output_text


async def test_cut_streams(standin, fast):
    standin.configure(cut_stream_after=4)
    err = await expect_error(fast.pull_model("phi3:mini", standin.url), "protocol")
    assert "ollama pull phi3:mini" in err.suggestion
    await expect_error(chat(fast, standin.url), "protocol")
    standin.configure(cut_stream_abrupt=True)
    await expect_error(fast.pull_model("phi3:mini", standin.url), "protocol")
    await expect_error(chat(fast, standin.url), "protocol")


async def test_pull_error_line(standin, fast):
    standin.configure(pull_error="max retries exceeded: EOF", error_after=3)
    err = await expect_error(fast.pull_model("phi3:mini", standin.url), "http")
    assert "max retries exceeded" in err.description and "ollama pull phi3:mini" in err.suggestion
    assert "phi3:mini" not in [m["name"] for m in await fast.list_available_models(standin.url)]


async def test_an_error_line_of_a_megabyte_is_cut(standin, fast):
    from namel3ss_lsp.ollama.client import ERROR_TEXT_MAX

    standin.configure(pull_error="disk full: " + "x" * 1_000_000, error_after=1)
    err = await expect_error(fast.pull_model("phi3:mini", standin.url), "http")
    assert "disk full" in err.description and len(err.description) < ERROR_TEXT_MAX + 200


async def test_chat_error_line(standin, fast):
    standin.configure(chat_error="model runner has unexpectedly stopped")
    err = await expect_error(chat(fast, standin.url), "http")
    assert "unexpectedly stopped" in err.description


async def test_context_exceeded(standin, fast):
    standin.configure(chat_error="the input length exceeds the context length", error_after=0)
    err = await expect_error(chat(fast, standin.url, num_ctx=2048), "context_exceeded")
    assert "num_ctx" in err.suggestion and "2048" in err.description


async def test_pull_stall(standin, fast):
    standin.configure(pull_lines_per_second=1 / (TIMEOUT * 4))
    err = await expect_error(fast.pull_model("phi3:mini", standin.url), "timeout")
    assert "nothing received" in err.description


async def test_chat_stall_before_first_byte_and_mid_stream(standin, fast):
    standin.configure(latency={"/api/chat": TIMEOUT * 4})
    await expect_error(chat(fast, standin.url, stall_timeout=TIMEOUT), "timeout")
    standin.configure(latency={}, chat_chunk_delay=TIMEOUT * 4)
    await expect_error(chat(fast, standin.url, stall_timeout=TIMEOUT), "timeout")


async def test_slow_but_steady_pull_is_not_a_stall(standin, fast):
    standin.configure(pull_lines_per_second=1 / (TIMEOUT / 6))
    assert (await fast.pull_model("qwen2.5:0.5b", standin.url))["status"] == "success"


async def test_server_disappears_and_comes_back(fast):
    from tests.standin import StandIn

    server = StandIn()
    url = server.start()
    port = int(url.rsplit(":", 1)[1])
    try:
        assert len(await fast.list_available_models(url)) == 3
        server.stop()
        await expect_error(fast.list_available_models(url), ("unreachable", "protocol"))
        status = await fast.check_status(url)
        assert status["reachable"] is False and status["suggestion"]
        server = StandIn(port=port)
        server.start()
        assert len(await fast.list_available_models(url)) == 3
        assert (await fast.check_status(url))["reachable"]
    finally:
        server.stop()


async def test_status_reports_faults_without_raising(standin, fast):
    standin.configure(hang=True)
    with within(TIMEOUT + SLACK):
        status = await fast.check_status(standin.url)
    assert status["reachable"] is False and "did not answer" in status["error"] and status["suggestion"]
    standin.reset()
    standin.configure(status={"/api/tags": 500})
    status = await fast.check_status(standin.url)
    assert status["reachable"] is True and status["version"] == "0.12.6" and "500" in status["error"]
