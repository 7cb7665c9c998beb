"""The commands of the contract end to end against the stand-in: pull (progress, rate limit,
cancellation, joining, refusal of bad names), remove (confirmation both ways), list, status,
refresh, republishing, and argument validation."""

from __future__ import annotations

import asyncio
import time

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from .harness import NEOVIM, fast_settings, model_block, wait_until

PULL = "namel3ss.ollama.pullModel"
REMOVE = "namel3ss.ollama.removeModel"
LIST = "namel3ss.ollama.listModels"
STATUS = "namel3ss.ollama.status"
REFRESH = "namel3ss.ollama.refresh"


async def _error(coro) -> JsonRpcException:
    with pytest.raises(JsonRpcException) as info:
        await coro
    return info.value


def _kinds(reports) -> list[str]:
    return [type(r).__name__ for r in reports]


async def test_pull_with_progress_percent_and_bytes(shared_vscode, standins):
    server = standins(models=["llama3:8b"], pullable=["phi3:mini"], pull_lines_per_second=60)
    client = shared_vscode
    token = "pull-token-1"
    client.progress_reports[token] = []
    started = time.monotonic()
    result = await client.command(PULL, {"model": "phi3:mini", "baseUrl": server.url}, token=token)
    elapsed = time.monotonic() - started
    assert result == {"model": "phi3:mini", "status": "success"}
    reports = client.progress_reports[token]
    kinds = _kinds(reports)
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    assert reports[0].cancellable is True
    middle = [r for r in reports if type(r).__name__ == "WorkDoneProgressReport"]
    assert middle, "no progress reports"
    percents = [r.percentage for r in middle if r.percentage is not None]
    assert percents == sorted(percents) and percents[-1] >= 90
    assert any("GB" in (r.message or "") or "MB" in (r.message or "") for r in middle)  # bytes
    # at most ~10 reports a second (plus the final one)
    assert len(middle) <= elapsed * 10 + 2, (len(middle), elapsed)
    assert "phi3:mini" in (reports[-1].message or "")


async def test_pull_with_server_created_progress(shared_neovim, shared_standin):
    client, standin_url = shared_neovim, shared_standin.url
    before = set(client.progress_reports)
    result = await client.command(PULL, {"model": "qwen2.5:0.5b", "baseUrl": standin_url})
    assert result["status"] == "success"
    created = [t for t in client.progress_reports if t not in before]
    assert len(created) == 1  # window/workDoneProgress/create was used
    assert _kinds(client.progress_reports[created[0]])[-1] == "WorkDoneProgressEnd"


async def test_pull_republishes_and_refreshes_models(shared_neovim, standins):
    server = standins(models=["llama3:8b"], pullable=["phi3:mini"])
    client = shared_neovim
    uri = "file:///republish-pull.ai"
    client.open(uri, model_block("phi3:mini", config={"base_url": server.url}))
    await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    await client.command(PULL, {"model": "phi3:mini", "baseUrl": server.url})
    await client.wait_codes(uri, lambda c: "ollama-model-missing" not in c)
    models = await client.command(LIST, {"baseUrl": server.url})
    assert "phi3:mini" in [m["name"] for m in models]


async def test_pull_cancelled_from_progress(shared_vscode, standins):
    server = standins(models=["llama3:8b"], pullable=["phi3:mini"], pull_lines_per_second=5)
    client = shared_vscode
    token = "pull-cancel"
    client.progress_reports[token] = []
    task = asyncio.ensure_future(client.command(PULL, {"model": "phi3:mini", "baseUrl": server.url}, token=token))
    await wait_until(lambda: len(client.progress_reports[token]) >= 2, 10, what="first progress report")
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    error = await _error(task)
    assert error.code == -32800
    assert "partial" in str(error) and "phi3:mini" in str(error)
    assert _kinds(client.progress_reports[token])[-1] == "WorkDoneProgressEnd"
    assert "partial" in client.progress_reports[token][-1].message
    await asyncio.sleep(0.3)
    models = await client.command(LIST, {"baseUrl": server.url})
    assert "phi3:mini" not in [m["name"] for m in models]


async def test_second_pull_joins_the_running_one(shared_neovim, standins):
    server = standins(models=["llama3:8b"], pullable=["phi3:mini"], pull_lines_per_second=20)
    client = shared_neovim
    first = asyncio.ensure_future(client.command(PULL, {"model": "phi3:mini", "baseUrl": server.url}))
    await wait_until(lambda: server.stats()["/api/pull"] == 1, 10, what="pull started")
    second = await client.command(PULL, {"model": "phi3:mini", "baseUrl": server.url})
    one = await first
    assert one["status"] == "success" and second["status"] == "success"
    assert second.get("joined") is True
    assert server.stats()["/api/pull"] == 1


async def test_pull_refuses_invalid_names_before_any_request(shared_neovim, standins):
    server = standins(models=["llama3:8b"])
    client = shared_neovim
    for bad in ["../etc/passwd", "llama3?x=1", "a b", "llama3#frag", "%2e%2e", "bad\nname", ""]:
        error = await _error(client.command(PULL, {"model": bad, "baseUrl": server.url}))
        assert error.code == -32602, (bad, error)
    assert server.stats()["/api/pull"] == 0


async def test_pull_error_is_reported_clearly(shared_neovim, standins):
    server = standins(models=["llama3:8b"], pullable=[])
    client = shared_neovim
    error = await _error(client.command(PULL, {"model": "doesnotexist:1b", "baseUrl": server.url}))
    assert "doesnotexist:1b" in str(error) or "file does not exist" in str(error)
    assert error.code == -32001


async def test_remove_declined_keeps_the_model(shared_neovim, shared_standin):
    client, standin_url = shared_neovim, shared_standin.url
    client.message_requests.clear()
    client.message_answer = "Cancel"
    result = await client.command(REMOVE, {"model": "llama3:8b"})
    assert result["removed"] is False
    assert len(client.message_requests) == 1
    question = client.message_requests[0]
    assert "llama3:8b" in question.message and standin_url in question.message and "GB" in question.message
    assert [a.title for a in question.actions] == ["Remove", "Cancel"]
    models = await client.command(LIST, {})
    assert "llama3:8b" in [m["name"] for m in models]
    # dismissing the dialog (no answer) keeps it too
    client.message_answer = None
    assert (await client.command(REMOVE, {"model": "llama3:8b"}))["removed"] is False


async def test_remove_confirmed_in_dialog_and_republish(shared_vscode, standins):
    server = standins(models=["llama3:8b", "mistral:latest"])
    client = shared_vscode
    uri = "file:///republish-remove.ai"
    client.open(uri, model_block("llama3:8b", config={"base_url": server.url, "num_ctx": 99999}))
    await client.wait_codes(uri, lambda c: "ollama-context-exceeded" in c)  # the list is known
    assert "ollama-model-missing" not in client.codes(uri)
    client.message_answer = "Remove"
    result = await client.command(REMOVE, {"model": "llama3:8b", "baseUrl": server.url})
    client.message_answer = None
    assert result["removed"] is True
    assert server.stats()["/api/delete"] == 1
    await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)


async def test_remove_with_confirmed_true_asks_nothing(shared_neovim, standins):
    server = standins(models=["llama3:8b", "mistral:latest"])
    client = shared_neovim
    client.message_requests.clear()
    result = await client.command(REMOVE, {"model": "mistral:latest", "confirmed": True, "baseUrl": server.url})
    assert result["removed"] is True and client.message_requests == []
    assert server.stats()["/api/delete"] == 1


async def test_status_command_sends_notification(shared_vscode, shared_standin):
    client, standin_url = shared_vscode, shared_standin.url
    count = len(client.statuses)
    result = await client.command(STATUS, {})
    assert result["reachable"] is True and result["models_count"] >= 2
    await wait_until(
        lambda: any(s["baseUrl"] == standin_url for s in client.statuses[count:]), 5, what="status after the command"
    )


async def test_refresh_rereads_models_and_republishes(lsp, standins):
    server = standins(models=["llama3:8b"], pullable=[])
    client = await lsp(NEOVIM, init=fast_settings(server.url, healthCheckInterval=30, modelCacheTtl=300))
    uri = "file:///refresh.ai"
    client.open(uri, model_block("mistral:latest"))
    await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    server.configure(models=["llama3:8b", "mistral:latest"])  # installed behind our back
    await client.command(REFRESH, {})
    await client.wait_codes(uri, lambda c: "ollama-model-missing" not in c)



async def test_status_bar_learns_the_new_model_count_after_pull_and_remove(lsp, standins):
    """With health checks 30 s apart, the status notification must still follow a pull/remove."""
    server = standins(models=["llama3:8b"], pullable=["phi3:mini"])
    client = await lsp(NEOVIM, init=fast_settings(server.url, healthCheckInterval=30, modelCacheTtl=300))
    client.open("file:///status-count.ai", model_block("phi3:mini"))
    await wait_until(lambda: any(s.get("modelsCount") == 1 for s in client.statuses), what="first status")
    await client.command(PULL, {"model": "phi3:mini", "baseUrl": server.url})
    await wait_until(lambda: client.statuses[-1].get("modelsCount") == 2, timeout=5, what="status after pull")
    await client.command(REMOVE, {"model": "phi3:mini", "baseUrl": server.url, "confirmed": True})
    await wait_until(lambda: client.statuses[-1].get("modelsCount") == 1, timeout=5, what="status after remove")


BAD_ARGUMENTS = [
    (PULL, []),
    (PULL, ["phi3:mini"]),
    (PULL, [{"model": 3}]),
    (PULL, [{"model": "phi3:mini"}, {"model": "x"}]),
    (REMOVE, [{"model": "llama3:8b", "confirmed": "yes"}]),
    (LIST, [["not", "an", "object"]]),
    (STATUS, [{"baseUrl": 42}]),
    ("namel3ss.ollama.tryModel", [{"prompt": "no model"}]),
]


async def test_wrong_argument_shapes_are_invalid_params(shared_neovim):
    client = shared_neovim
    for command, arguments in BAD_ARGUMENTS:
        error = await _error(client.command(command, *arguments))
        assert error.code == -32602, (command, arguments, error)
        assert command in str(error)
    # the server is still alive
    assert (await client.command(STATUS, {}))["reachable"] is True


async def test_unknown_command_is_an_error(shared_neovim):
    client = shared_neovim
    error = await _error(client.command("namel3ss.ollama.nope", {}))
    assert error.code == -32602
    assert (await client.command(LIST, {}))


async def test_command_base_url_outside_allowlist_is_refused(lsp, standins):
    server = standins(models=["llama3:8b"])
    client = await lsp(NEOVIM, init=fast_settings(None, allowedHosts=["localhost"]))
    for command, args in [(LIST, {"baseUrl": server.url}), (PULL, {"model": "phi3:mini", "baseUrl": server.url})]:
        error = await _error(client.command(command, args))
        assert error.code == -32002
    assert sum(v for k, v in server.stats().items() if k.startswith("/api")) == 0


async def test_pull_cancelled_with_cancel_request(shared_vscode, standins):
    server = standins(models=["llama3:8b"], pullable=["phi3:mini"], pull_lines_per_second=5)
    client = shared_vscode
    msg_id = "pull-to-cancel"
    future = client.protocol.send_request(
        types.WORKSPACE_EXECUTE_COMMAND,
        types.ExecuteCommandParams(command=PULL, arguments=[{"model": "phi3:mini", "baseUrl": server.url}]),
        msg_id=msg_id,
    )
    await wait_until(lambda: server.stats()["/api/pull"] == 1, 10, what="pull started")
    await asyncio.sleep(0.3)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(asyncio.wrap_future(future), timeout=10)
    assert info.value.code == -32800
    await wait_until(lambda: server.stats().get("aborted_streams", 0) >= 1, 10, what="download stopped")
    models = await client.command(LIST, {"baseUrl": server.url})
    assert "phi3:mini" not in [m["name"] for m in models]


UPDATE = "namel3ss.ollama.updateModel"


async def test_update_model_unchanged_then_changed(shared_vscode, standins):
    server = standins(models=["llama3:8b", "mistral:latest"], pullable=[], pull_lines_per_second=200)
    client = shared_vscode
    listed = {m["name"]: m["digest"] for m in await client.command(LIST, {"baseUrl": server.url})}
    before = listed["llama3:8b"][:12]
    token = "update-1"
    client.progress_reports[token] = []
    result = await client.command(UPDATE, {"model": "llama3:8b", "baseUrl": server.url}, token=token)
    assert result == {"model": "llama3:8b", "changed": False, "oldDigest": before, "newDigest": before,
                      "status": "success"}
    reports = client.progress_reports[token]
    assert reports[0].title == "Updating llama3:8b" and reports[0].cancellable is True
    assert "already up to date" in reports[-1].message
    # the registry publishes a new version: pulled again, changed, with both short digests
    server.configure(registry_digests={"llama3:8b": True})
    token = "update-2"
    client.progress_reports[token] = []
    client.messages.clear()
    result = await client.command(UPDATE, {"model": "llama3:8b", "baseUrl": server.url}, token=token)
    after = {m["name"]: m["digest"] for m in await client.command(LIST, {"baseUrl": server.url})}["llama3:8b"]
    assert result == {"model": "llama3:8b", "changed": True, "oldDigest": before, "newDigest": after[:12],
                      "status": "success"}
    assert len(result["newDigest"]) == 12 and result["newDigest"] != before
    reports = client.progress_reports[token]
    percents = [r.percentage for r in reports if type(r).__name__ == "WorkDoneProgressReport" and r.percentage]
    assert percents and percents == sorted(percents)
    assert f"updated: {before} -> {after[:12]}" in reports[-1].message
    await wait_until(lambda: any("updated" in m.message for m in client.messages), 5, what="showMessage")
    # once more: nothing new
    result = await client.command(UPDATE, {"model": "llama3:8b", "baseUrl": server.url})
    assert result["changed"] is False and result["oldDigest"] == result["newDigest"] == after[:12]


async def test_update_of_a_model_that_is_not_installed_is_an_error(shared_neovim, standins):
    server = standins(models=["llama3:8b"], pullable=["phi3:mini"])
    error = await _error(shared_neovim.command(UPDATE, {"model": "phi3:mini", "baseUrl": server.url}))
    assert error.code == -32001 and "nothing to update" in str(error)
    assert server.stats()["/api/pull"] == 0
    error = await _error(shared_neovim.command(UPDATE, {"model": "bad name"}))
    assert error.code == -32602
