"""The whole API against the stand-in running as a separate process (`python -m tests.standin`)."""

from __future__ import annotations

import asyncio
import time

import pytest

from namel3ss_lsp.ollama import OllamaError, OllamaProvider


async def test_api_against_separate_process(standin_process, tools):
    url = standin_process.url
    status = await tools.check_status(url)
    assert status["reachable"] and status["models_count"] == 3

    tools.invalidate(url)
    await asyncio.gather(*[tools.list_available_models(url) for _ in range(50)])
    assert standin_process.stats()["/api/tags"] == 2  # one for the status, one for the 50

    progress = []
    assert (await tools.pull_model("phi3:mini", url, on_progress=progress.append))["status"] == "success"
    percents = [p.percent for p in progress if p.percent is not None]
    assert percents == sorted(percents) and percents[-1] == 100.0

    reply = await OllamaProvider("m", "phi3:mini", {"base_url": url}, tools=tools).generate("hi")
    assert reply.metadata["done"] and reply.metadata["tokens"]["total"] > 0
    assert await tools.delete_model("phi3:mini", url) is True


async def test_faults_against_separate_process(standin_process, tools):
    url = standin_process.url
    standin_process.configure(hang=["/api/tags"])
    started = time.monotonic()
    with pytest.raises(OllamaError) as info:
        await tools.list_available_models(url)
    # a generous bound: it proves the hang was cut by the time-out, not by the test's own limit
    assert info.value.kind == "timeout" and time.monotonic() - started < tools.request_timeout + 10
    standin_process.configure(hang=[], pull_error="digest mismatch, file must be downloaded again")
    with pytest.raises(OllamaError) as info:
        await tools.pull_model("phi3:mini", url)
    assert "digest mismatch" in info.value.description and info.value.suggestion
    standin_process.reset()
    assert len(await tools.list_available_models(url)) == 3
