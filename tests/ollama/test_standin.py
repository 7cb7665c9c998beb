"""The stand-in itself: status codes, bodies and headers as in shared/ollama-api.md, its knobs,
its control routes, clean shutdown during a hang, and the separate-process mode."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from tests.standin import StandIn, StandInProcess


@pytest.fixture
def http(standin):
    with httpx.Client(base_url=standin.url, timeout=5) as client:
        yield client


def test_root_and_head(http):
    response = http.get("/")
    assert response.status_code == 200 and response.text == "Ollama is running"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    head = http.head("/")
    assert head.status_code == 200 and head.content == b""
    assert http.head("/api/tags").status_code == 200
    assert http.get("/api/version").json() == {"version": "0.12.6"}


def test_unknown_route_and_wrong_method(http):
    response = http.get("/api/nope")
    assert response.status_code == 404 and response.text == "404 page not found"
    assert response.headers["content-type"] == "text/plain"
    wrong = http.get("/api/show")
    assert wrong.status_code == 405 and wrong.text == "405 method not allowed"
    assert http.post("/api/tags").status_code == 405
    assert http.head("/api/show").status_code == 405


def test_tags_shape(http):
    models = http.get("/api/tags").json()["models"]
    for entry in models:
        assert entry["name"] == entry["model"] and ":" in entry["name"]
        assert isinstance(entry["size"], int) and len(entry["digest"]) == 64
        assert set(entry["details"]) >= {"parent_model", "format", "family", "families", "parameter_size",
                                         "quantization_level"}
        assert entry["modified_at"].endswith("-07:00")
    stamps = [m["modified_at"] for m in models]
    assert stamps == sorted(stamps, reverse=True)


def test_request_body_errors(http):
    assert http.post("/api/show").json() == {"error": "missing request body"}
    bad = http.post("/api/show", content=b"x{")
    assert bad.status_code == 400 and bad.json()["error"].startswith("invalid character 'x'")
    assert http.post("/api/show", json={}).json() == {"error": "model is required"}
    assert http.post("/api/show", json={"name": "llama3:8b"}).status_code == 200  # legacy field
    assert http.post("/api/show", json={"model": "LLAMA3:8B"}).status_code == 200  # case-insensitive
    typed = http.post("/api/pull", json={"model": "phi3:mini", "stream": "yes"})
    assert typed.status_code == 400 and "PullRequest.stream of type bool" in typed.json()["error"]


def test_delete_and_copy_codes(http):
    invalid = http.request("DELETE", "/api/delete", json={"model": "bad name"})
    assert invalid.status_code == 400 and invalid.json() == {"error": 'name "bad name" is invalid'}
    ok = http.request("DELETE", "/api/delete", json={"model": "mistral"})
    assert ok.status_code == 200 and ok.content == b""
    missing = http.request("DELETE", "/api/delete", json={"model": "mistral"})
    assert missing.status_code == 404 and missing.json() == {"error": "model 'mistral' not found"}
    copy_missing = http.post("/api/copy", json={"source": "nope", "destination": "x"})
    assert copy_missing.status_code == 404 and copy_missing.json() == {"error": 'model "nope" not found'}
    assert http.post("/api/copy", json={"source": "llama3:8b", "destination": ""}).status_code == 400


def test_pull_stream_shape(http):
    with http.stream("POST", "/api/pull", json={"model": "phi3:mini"}) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        assert response.headers["transfer-encoding"] == "chunked"
        raw = response.read().decode()
    assert raw.endswith("\n") and "\n\n" not in raw
    lines = [json.loads(line) for line in raw.splitlines()]
    assert lines[0] == {"status": "pulling manifest"}
    assert [line["status"] for line in lines[-3:]] == ["verifying sha256 digest", "writing manifest", "success"]
    layer_lines = [line for line in lines if "digest" in line]
    assert all(line["status"] == "pulling " + line["digest"][7:19] for line in layer_lines)
    per_layer: dict[str, list[int]] = {}
    for line in layer_lines:
        per_layer.setdefault(line["digest"], []).append(line.get("completed", 0))
    assert len(per_layer) == 5
    for completed in per_layer.values():
        assert completed == sorted(completed)
    assert "completed" not in layer_lines[0]  # first line of a layer announces only the total
    again = http.post("/api/pull", json={"model": "phi3:mini"}).text.splitlines()
    assert len(again) == 1 + 5 + 3  # already on disk: one line per layer


def test_pull_errors(http):
    assert http.post("/api/pull", json={"model": "../etc"}).json() == {"error": "invalid model name"}
    streamed = http.post("/api/pull", json={"model": "nope"})
    assert streamed.status_code == 200
    assert [json.loads(x) for x in streamed.text.splitlines()] == [
        {"status": "pulling manifest"}, {"error": "pull model manifest: file does not exist"}]
    plain = http.post("/api/pull", json={"model": "nope", "stream": False})
    assert plain.status_code == 500 and plain.headers["content-type"].startswith("application/json")
    assert http.post("/api/pull", json={"model": "phi3:mini", "stream": False}).json() == {"status": "success"}


def test_generate_and_chat_errors(http):
    assert http.post("/api/generate", json={"model": ""}).status_code == 404
    assert http.post("/api/chat", json={"model": ""}).json() == {"error": "model is required"}
    assert http.post("/api/chat", json={"model": "nope", "messages": []}).status_code == 404
    bad_option = http.post("/api/chat", json={"model": "llama3:8b", "options": {"temperature": "hot"},
                                              "messages": [{"role": "user", "content": "x"}]})
    assert bad_option.status_code == 500 and "float32" in bad_option.json()["error"]
    bad_keep = http.post("/api/chat", json={"model": "llama3:8b", "keep_alive": "300",
                                            "messages": [{"role": "user", "content": "x"}]})
    assert bad_keep.json() == {"error": 'time: missing unit in duration "300"'}
    load = http.post("/api/chat", json={"model": "llama3:8b", "messages": [], "stream": False}).json()
    assert load["done_reason"] == "load" and load["message"] == {"role": "assistant", "content": ""}
    missing_embed = http.post("/api/embed", json={"model": "nope", "input": "x"})
    assert missing_embed.json() == {"error": 'model "nope" not found, try pulling it first'}


def test_num_predict_limits_the_reply(http):
    reply = http.post("/api/chat", json={"model": "llama3:8b", "stream": False, "options": {"num_predict": 3},
                                         "messages": [{"role": "user", "content": "hi"}]}).json()
    assert reply["eval_count"] == 3 and reply["done_reason"] == "length"


def test_knobs_over_http_and_stats(standin, http):
    assert http.post("/_standin/config", json={"status": {"tags": 503}}).status_code == 200
    busy = http.get("/api/tags")
    assert busy.status_code == 503 and "server busy" in busy.json()["error"]
    assert http.post("/_standin/config", json={"bogus": 1}).status_code == 400
    http.post("/_standin/config", json={"non_json_errors": True})
    assert http.get("/api/tags").headers["content-type"].startswith("text/html")
    http.post("/_standin/config", json={"status": {"/api/tags": 404}})
    assert http.get("/api/tags").text == "404 page not found"
    stats = http.get("/_standin/stats").json()
    assert stats["/api/tags"] == 3 and stats["by_method"]["GET /api/tags"] == 3
    http.post("/_standin/reset")
    assert http.get("/api/tags").status_code == 200
    assert standin.stats()["/api/tags"] == 1 and standin.stats()["/api/show"] == 0


def test_models_and_details_knobs(standin, http):
    standin.configure(models=["gemma:2b", {"name": "custom/model:v1", "context_length": 1024}],
                      pullable=["tiny:1b"], model_details={"gemma:2b": {"capabilities": ["completion", "vision"]}})
    names = [m["name"] for m in http.get("/api/tags").json()["models"]]
    assert sorted(names) == ["custom/model:v1", "gemma:2b"]
    shown = http.post("/api/show", json={"model": "custom/model:v1"}).json()
    arch = shown["model_info"]["general.architecture"]
    assert shown["model_info"][f"{arch}.context_length"] == 1024
    assert http.post("/api/show", json={"model": "gemma:2b"}).json()["capabilities"] == ["completion", "vision"]
    assert http.post("/api/pull", json={"model": "tiny:1b", "stream": False}).status_code == 200


def test_malformed_blank_and_cut(standin, http):
    standin.configure(malformed=["/api/tags"])
    with pytest.raises(json.JSONDecodeError):
        json.loads(http.get("/api/tags").text)
    standin.configure(malformed=[], blank_lines=True)
    assert "\n\n" in http.post("/api/pull", json={"model": "phi3:mini"}).text
    standin.configure(blank_lines=False, cut_stream_after=3)
    assert len(http.post("/api/pull", json={"model": "qwen2.5:0.5b"}).text.splitlines()) == 3
    standin.configure(cut_stream_abrupt=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/api/pull", json={"model": "qwen2.5:0.5b"})


def test_latency(standin, http):
    # A lower bound proves the knob; the other route is only checked not to carry that delay,
    # with a wide margin so a slow machine does not fail it.
    standin.configure(latency={"/api/version": 2.0})
    started = time.monotonic()
    http.get("/api/version")
    assert time.monotonic() - started >= 2.0
    started = time.monotonic()
    http.get("/api/tags")
    assert time.monotonic() - started < 2.0


def test_hang_until_reset(standin):
    standin.configure(hang=["/api/tags"])
    with httpx.Client(base_url=standin.url) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/api/tags", timeout=0.3)
        assert client.get("/api/version", timeout=2).status_code == 200
    standin.reset()
    with httpx.Client(base_url=standin.url) as client:
        assert client.get("/api/tags", timeout=2).status_code == 200


def test_stop_during_hang_is_clean():
    server = StandIn(hang=True)
    url = server.start()
    errors: list[BaseException] = []

    def call() -> None:
        try:
            httpx.get(url + "/api/tags", timeout=10)
        except BaseException as exc:  # noqa: BLE001 - recorded
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.2)
    server.stop()
    thread.join(10)
    assert not thread.is_alive()  # stop() released the hanging request
    assert errors and isinstance(errors[0], httpx.HTTPError)
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/", timeout=1)


def test_separate_process(standin_process):
    assert standin_process.url.startswith("http://127.0.0.1:")
    assert httpx.get(standin_process.url + "/").text == "Ollama is running"
    standin_process.configure(status={"/api/tags": 500})
    assert httpx.get(standin_process.url + "/api/tags").status_code == 500
    assert standin_process.stats()["/api/tags"] == 1
    with pytest.raises(ValueError):
        standin_process.configure(nonsense=True)
    standin_process.reset()
    assert httpx.get(standin_process.url + "/api/tags").status_code == 200


def test_process_command_line_arguments():
    with StandInProcess(models=["llama3:8b"], pullable=["phi3:mini"]) as server:
        names = [m["name"] for m in httpx.get(server.url + "/api/tags").json()["models"]]
        assert names == ["llama3:8b"]
        assert httpx.post(server.url + "/api/pull", json={"model": "phi3:mini", "stream": False}).status_code == 200
    assert server.proc is None
