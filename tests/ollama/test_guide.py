"""The Ollama guide to the letter (issue 16): a mistyped base URL, `await provider._cache.clear()`,
the health snippet while Ollama is down, auto-pull progress in the log, running models (/api/ps),
and the stand-in's registry publishing a new version of a model. Real HTTP against the stand-in."""

from __future__ import annotations

import logging
import re
import warnings

import httpx
import pytest

from namel3ss_lsp.ollama import OllamaProvider, PullProgress
from namel3ss_lsp.ollama.provider import PullLog
from tests.standin import StandIn

TYPO = "http://localhost127.0.0.1"


# ---- 1. a base URL such as http://localhost127.0.0.1 -----------------------------------------

async def test_mistyped_base_url_is_unreachable_with_the_url_and_a_suggestion(tools):
    status = await tools.check_status(TYPO)
    assert status["reachable"] is False
    assert TYPO in status["error"] and "ValueError" not in status["error"]
    assert "ends in a number" in status["error"]
    assert "http://localhost:11434" in status["suggestion"] and "http://127.0.0.1:11434" in status["suggestion"]
    assert isinstance(status["response_time_ms"], float)


async def test_mistyped_base_url_in_a_provider_health_check(tools):
    provider = OllamaProvider("chat", "llama3:8b", {"base_url": TYPO}, tools=tools)
    health = await provider.health_check()
    assert health["status"] == "unhealthy" and health["server_health"]["reachable"] is False
    assert TYPO in health["error"]


# ---- 3. the health snippet while Ollama is down ------------------------------------------------

async def test_health_snippet_works_while_ollama_is_down(tools, unused_port):
    provider = OllamaProvider("chat", "llama3:8b", {"base_url": f"http://127.0.0.1:{unused_port}"}, tools=tools)
    health = await provider.health_check()
    line = f"Response time: {health['server_health']['response_time_ms']:.0f}ms"  # the guide's snippet
    assert re.fullmatch(r"Response time: \d+ms", line)
    assert health["server_health"]["reachable"] is False
    status = await tools.check_status(f"http://127.0.0.1:{unused_port}")
    assert isinstance(status["response_time_ms"], float) and status["response_time_ms"] >= 0


# ---- 2. await provider._cache.clear() ----------------------------------------------------------

async def test_cache_clear_forgets_this_servers_models_and_facts_only(standin, tools):
    with StandIn(models=["phi3:mini"]) as other:
        provider = OllamaProvider("chat", "llama3:8b", {"base_url": standin.url}, tools=tools)
        await provider.list_models()
        await provider.show_model()
        await tools.list_available_models(other.url)
        await tools.model_info("phi3:mini", other.url)
        assert (standin.stats()["/api/tags"], standin.stats()["/api/show"]) == (1, 1)

        assert await provider._cache.clear() is None  # the guide's troubleshooting step

        assert tools.cached_models(standin.url) is None
        assert provider._cache.models() is None
        await provider.list_models()
        await provider.show_model()
        assert (standin.stats()["/api/tags"], standin.stats()["/api/show"]) == (2, 2)  # asked again
        # the other server's list and facts are untouched
        assert tools.cached_models(other.url) is not None
        await tools.list_available_models(other.url)
        await tools.model_info("phi3:mini", other.url)
        assert (other.stats()["/api/tags"], other.stats()["/api/show"]) == (1, 1)


async def test_cache_clear_also_works_without_await(standin, tools):
    provider = OllamaProvider("chat", "llama3:8b", {"base_url": standin.url}, tools=tools)
    await provider.list_models()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited"
        provider._cache.clear()
    assert tools.cached_models(standin.url) is None


async def test_cache_clear_makes_the_provider_check_the_model_again(standin, tools):
    provider = OllamaProvider("chat", "llama3:8b", {"base_url": standin.url}, tools=tools)
    await provider.generate("hi")
    await provider.generate("hi")
    assert standin.stats()["/api/tags"] == 1  # ready: not checked again within the interval
    await provider._cache.clear()
    await provider.generate("hi")
    assert standin.stats()["/api/tags"] == 2


# ---- 5. auto-pull progress in the log ----------------------------------------------------------

async def test_auto_pull_logs_percentages_and_the_end(standin, tools, caplog):
    caplog.set_level(logging.INFO, logger="namel3ss_lsp.ollama.provider")
    provider = OllamaProvider("chat", "phi3:mini", {"base_url": standin.url}, tools=tools)
    await provider.generate("hi")
    lines = [r.getMessage() for r in caplog.records if r.name == "namel3ss_lsp.ollama.provider"]
    assert "pulling it (auto_pull_model)" in lines[0]
    progress = [line for line in lines if line.startswith("Pulling phi3:mini")]
    percents = [int(re.search(r": (\d+)%", line).group(1)) for line in progress]
    assert len(progress) >= 3 and percents == sorted(set(percents))
    assert all(" of " in line and "GB" in line for line in progress)  # bytes done of bytes total
    assert re.match(r"Pulled phi3:mini on .*: 100% \(2\.2 GB, in \d+\.\d s\)", lines[-1]), lines[-1]


def test_pull_log_steps_of_ten_percent():
    log = logging.getLogger("test.pull_log")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep()
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        pull = PullLog("m:1b", "http://x", interval=float("inf"), logger=log)
        total = 1000
        for done in range(0, total + 1, 7):  # 143 progress lines
            pull(PullProgress("pulling abc", done, total, 100.0 * done / total))
        pull(PullProgress("success", total, total, 100.0))
        pull.finished()
    finally:
        log.removeHandler(handler)
    percents = [float(re.search(r": (\d+)%", line).group(1)) for line in records[:-1]]
    assert 9 <= len(percents) <= 10  # one per 10 %, not one per line
    assert all(b - a >= 9 for a, b in zip(percents, percents[1:]))
    assert records[-1].startswith("Pulled m:1b on http://x: 100%")


async def test_auto_pull_failure_is_logged(standin, tools, caplog):
    caplog.set_level(logging.INFO, logger="namel3ss_lsp.ollama.provider")
    standin.configure(pull_error="max retries exceeded: EOF", error_after=4)
    provider = OllamaProvider("chat", "phi3:mini", {"base_url": standin.url}, tools=tools)
    with pytest.raises(Exception):
        await provider.generate("hi")
    failed = [r for r in caplog.records if r.levelno == logging.WARNING and "Pull of phi3:mini" in r.getMessage()]
    assert failed and "max retries exceeded" in failed[0].getMessage()


# ---- running models (/api/ps) ------------------------------------------------------------------

async def test_list_running_models_from_api_ps(standin, tools):
    assert await tools.list_running_models(standin.url) == []
    standin.configure(loaded=[{"name": "llama3:8b", "size_vram": 2_000_000_000, "context_length": 8192,
                               "size": 5_000_000_000}])
    (entry,) = await tools.list_running_models(standin.url)
    assert set(entry) == {"name", "size", "size_vram", "gpu_percent", "context_length", "expires_at",
                          "digest", "details"}
    assert entry["name"] == "llama3:8b" and entry["size"] == 5_000_000_000
    assert entry["size_vram"] == 2_000_000_000 and entry["gpu_percent"] == 40
    assert entry["context_length"] == 8192 and entry["details"]["family"] == "llama"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", entry["expires_at"]) and len(entry["digest"]) == 64


async def test_running_models_follow_chat_requests(standin, tools):
    provider = OllamaProvider("chat", "mistral", {"base_url": standin.url, "num_ctx": 2048}, tools=tools)
    await provider.generate("hi")
    running = await tools.list_running_models(standin.url)
    assert [(m["name"], m["context_length"], m["gpu_percent"]) for m in running] == [("mistral:latest", 2048, 100)]


async def test_list_running_models_unreachable_raises_ollama_error(tools, unused_port):
    from namel3ss_lsp.ollama import OllamaError

    with pytest.raises(OllamaError) as info:
        await tools.list_running_models(f"http://127.0.0.1:{unused_port}")
    assert info.value.kind == "unreachable"


def test_stand_in_loaded_knob_refuses_a_model_that_is_not_installed(standin):
    with pytest.raises(ValueError):
        standin.configure(loaded=["phi3:mini"])
    response = httpx.post(standin.url + "/_standin/config", json={"loaded": ["nothere:1b"]})
    assert response.status_code == 400


# ---- the registry publishes a new version (knob registry_digests) -----------------------------

async def test_update_pull_reports_a_changed_digest(standin, tools):
    before = {m["name"]: m["digest"] for m in await tools.list_available_models(standin.url)}["llama3:8b"]
    statuses: list[str] = []
    await tools.pull_model("llama3:8b", standin.url, on_progress=lambda p: statuses.append(p.status))
    assert "removing unused layers" not in statuses  # nothing new: every layer already there
    assert {m["name"]: m["digest"] for m in await tools.list_available_models(standin.url)}["llama3:8b"] == before

    new = "ab" * 32
    standin.configure(registry_digests={"llama3:8b": new})
    progress: list[PullProgress] = []
    await tools.pull_model("llama3:8b", standin.url, on_progress=progress.append)
    assert "removing unused layers" in [p.status for p in progress]
    assert any(0 < (p.percent or 0) < 100 for p in progress)  # the new version is downloaded
    after = {m["name"]: m["digest"] for m in await tools.list_available_models(standin.url, force=True)}
    assert after["llama3:8b"] == new != before
    # pulling again: up to date, nothing downloaded
    statuses.clear()
    await tools.pull_model("llama3:8b", standin.url, on_progress=lambda p: statuses.append(p.status))
    assert "removing unused layers" not in statuses


def test_registry_digests_knob_validates(standin):
    with pytest.raises(ValueError):
        standin.configure(registry_digests={"llama3:8b": "not-a-digest"})
    standin.configure(registry_digests={"llama3:8b": True})  # a fresh digest
    assert httpx.post(standin.url + "/_standin/config", json={"registry_digests": {"llama3:8b": None}}).status_code == 200
