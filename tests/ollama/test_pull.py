"""Pulls: aggregated monotonic progress over layers, cancellation that closes the stream, pull_timeout."""

from __future__ import annotations

import asyncio
import time

import pytest

from namel3ss_lsp.ollama import OllamaError, PullProgress


async def test_multi_layer_progress_is_aggregated_and_monotonic(standin, tools):
    seen: list[PullProgress] = []
    result = await tools.pull_model("phi3:mini", standin.url, on_progress=seen.append)
    assert result == {"model": "phi3:mini", "status": "success"}
    assert seen[0].status == "pulling manifest" and seen[0].percent is None
    assert seen[-1].status == "success" and seen[-1].percent == 100.0
    layers = {p.digest for p in seen if p.digest}
    assert len(layers) == 5
    percents = [p.percent for p in seen if p.percent is not None]
    assert percents == sorted(percents)
    completed = [p.completed for p in seen]
    totals = [p.total for p in seen]
    assert completed == sorted(completed) and totals == sorted(totals)
    assert all(p.completed <= p.total for p in seen if p.total)
    assert seen[-1].total == 2176178913  # the sum of every layer of phi3:mini, as /api/tags reports its size
    assert {"verifying sha256 digest", "writing manifest"} <= {p.status for p in seen}
    middle = [p.percent for p in seen if p.percent is not None and 0 < p.percent < 100]
    assert len(middle) >= 3  # real intermediate progress, not just 0 and 100
    assert "phi3:mini" in [m["name"] for m in await tools.list_available_models(standin.url)]


async def test_async_progress_callback_and_bad_callback(standin, tools):
    seen = []

    async def on_progress(progress: PullProgress) -> None:
        await asyncio.sleep(0)
        seen.append(progress.status)

    await tools.pull_model("qwen2.5:0.5b", standin.url, on_progress=on_progress)
    assert seen[-1] == "success"

    def broken(progress: PullProgress) -> None:
        raise RuntimeError("display failed")

    assert (await tools.pull_model("codellama:13b", standin.url, on_progress=broken))["status"] == "success"


async def test_pull_of_installed_model_reports_layers_complete(standin, tools):
    seen: list[PullProgress] = []
    await tools.pull_model("llama3:8b", standin.url, on_progress=seen.append)
    layer_lines = [p for p in seen if p.digest]
    assert len(layer_lines) == 5 and all(p.completed == p.total for p in layer_lines)


async def test_cancel_closes_the_stream(standin, tools):
    standin.configure(pull_lines_per_second=40)
    seen: list[PullProgress] = []
    task = asyncio.create_task(tools.pull_model("phi3:mini", standin.url, on_progress=seen.append))
    while len(seen) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    deadline = time.monotonic() + 3
    while standin.stats()["aborted_streams"] < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert standin.stats()["aborted_streams"] == 1  # the server saw the connection go away
    assert seen[-1].status != "success"
    names = [m["name"] for m in await tools.list_available_models(standin.url, force=True)]
    assert "phi3:mini" not in names


async def test_pull_timeout(standin, tools):
    standin.configure(pull_lines_per_second=20)  # 18 lines: about 0.9 s
    with pytest.raises(OllamaError) as info:  # the kind proves the time-out fired, not the clock
        await tools.pull_model("phi3:mini", standin.url, pull_timeout=0.3)
    err = info.value
    assert err.kind == "timeout" and "Timeout while pulling model 'phi3:mini'" in err.description
    assert "pull_timeout" in err.suggestion and "ollama pull phi3:mini" in err.suggestion


async def test_pull_unknown_model(standin, tools):
    with pytest.raises(OllamaError) as info:
        await tools.pull_model("doesnotexist:7b", standin.url)
    assert info.value.kind == "not_found" and "ollama.com/library/doesnotexist" in info.value.suggestion


async def test_provider_pull_with_timeout(standin, tools):
    from namel3ss_lsp.ollama import OllamaProvider

    provider = OllamaProvider("p", "phi3:mini", {"base_url": standin.url}, tools=tools)
    assert (await provider.pull_model(pull_timeout=10))["status"] == "success"
    assert (await provider.pull_model("qwen2.5:0.5b"))["model"] == "qwen2.5:0.5b"
    assert await provider.delete_model() is True


async def test_unknown_statuses_are_informational(standin, tools):
    standin.configure(pull_extra_statuses=["removing any unused layers", "couldn't remove unused layers: busy"])
    seen: list[PullProgress] = []
    assert (await tools.pull_model("phi3:mini", standin.url, on_progress=seen.append))["status"] == "success"
    assert "removing any unused layers" in [p.status for p in seen]
    percents = [p.percent for p in seen if p.percent is not None]
    assert percents == sorted(percents)


def test_aggregator_is_monotonic_for_any_sequence():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from namel3ss_lsp.ollama.wire import PullAggregator

    line = st.fixed_dictionaries(
        {"status": st.sampled_from(["pulling a", "pulling b", "verifying sha256 digest", "odd"])},
        optional={"digest": st.sampled_from(["sha256:a", "sha256:b", "sha256:c"]),
                  "total": st.integers(-5, 10**12) | st.none() | st.text(max_size=2),
                  "completed": st.integers(-5, 10**12) | st.none()},
    )

    @settings(max_examples=200, deadline=None)
    @given(st.lists(line, max_size=30))
    def check(lines):
        aggregator = PullAggregator()
        last = None
        for obj in lines:
            progress = aggregator.feed(obj)
            if progress.percent is not None:
                assert 0.0 <= progress.percent <= 100.0
                if last is not None:
                    assert progress.percent >= last
                last = progress.percent

    check()
