"""The Ollama routes of the stand-in (a mixin of the request handler), per shared/ollama-api.md."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from typing import Any, Iterator

from namel3ss_lsp import model_names

from .catalog import ModelRecord, rfc3339nano, sha256_hex
from .wire import JSON_UTF8, _GO_DURATION, _BadRequest, _go_type, _quote, _Stream


class OllamaRoutes:
    """`_route_<last path segment>(method, raw_body)` for every Ollama route."""

    def _route_root(self, method: str, raw: bytes) -> None:
        self._send(200, b"Ollama is running", "text/plain; charset=utf-8")

    def _route_version(self, method: str, raw: bytes) -> None:
        self._json({"version": self.knobs.version})

    def _route_tags(self, method: str, raw: bytes) -> None:
        with self.standin._lock:
            listing = self.standin.store.listing()
            bulk = self.standin.bulk_listing
        if bulk:  # knob bulk_models: the store's own models, then the pre-encoded ones
            own = json.dumps(listing)[1:-1].encode()
            self._send(200, b'{"models":[' + own + (b"," if own else b"") + bulk + b"]}", JSON_UTF8)
            return
        self._json({"models": listing})

    def _route_show(self, method: str, raw: bytes) -> None:
        body = self._body(raw, "ShowRequest")
        name = self._model(body, "ShowRequest", alias=True)
        if not name:
            raise _BadRequest(400, "model is required")
        if not model_names.is_valid(name):
            raise _BadRequest(400, "invalid model name")
        with self.standin._lock:
            record = self.standin.store.find(name)
        if record is None:
            raise _BadRequest(404, f"model '{model_names.normalize(name)}' not found")
        self._json(record.show())

    def _route_delete(self, method: str, raw: bytes) -> None:
        body = self._body(raw, "DeleteRequest")
        name = self._model(body, "DeleteRequest", alias=True)
        if not name:
            raise _BadRequest(400, "model is required")
        if not model_names.is_valid(name):
            raise _BadRequest(400, f"name {_quote(name)} is invalid")
        with self.standin._lock:
            removed = self.standin.store.remove(name)
            self.standin.loaded.pop(model_names.parse(name).key, None)
        if not removed:
            raise _BadRequest(404, f"model '{name}' not found")
        self._send(200, b"", None)

    def _route_copy(self, method: str, raw: bytes) -> None:
        body = self._body(raw, "CopyRequest")
        source = self._str_field(body, "source", "CopyRequest").strip()
        destination = self._str_field(body, "destination", "CopyRequest").strip()
        for label, value in (("source", source), ("destination", destination)):
            if not value or not model_names.is_valid(value):
                raise _BadRequest(400, f"{label} {_quote(value)} is invalid")
        if model_names.same_model(source, destination):
            self._send(200, b"", None)
            return
        store = self.standin.store
        with self.standin._lock:
            record = store.find(source)
            if record is None:
                raise _BadRequest(404, f"model {_quote(source)} not found")
            store.install(replace(record, name=model_names.normalize(destination)))
        self._send(200, b"", None)

    def _route_ps(self, method: str, raw: bytes) -> None:
        now = time.time()
        with self.standin._lock:
            loaded = self.standin.loaded
            for key in [k for k, v in loaded.items() if v["expires"] < now]:
                del loaded[key]
            entries = sorted(loaded.values(), key=lambda v: v["expires"], reverse=True)
            models = []
            for entry in entries:
                record: ModelRecord = entry["record"]
                size = entry.get("size", record.size)
                models.append({
                    "name": record.name, "model": record.name, "size": size,
                    "digest": record.digest, "details": record.details(),
                    "expires_at": rfc3339nano(entry["expires"]), "size_vram": entry.get("size_vram", size),
                    "context_length": entry["num_ctx"],
                })
        self._json({"models": models})

    def _route_pull(self, method: str, raw: bytes) -> None:
        body = self._body(raw, "PullRequest")
        stream = self._stream_flag(body, "PullRequest")
        name = self._model(body, "PullRequest", alias=True)
        if not name or not model_names.is_valid(name):
            raise _BadRequest(400, "invalid model name")
        standin = self.standin
        with standin._lock:
            installed = standin.store.find(name)
            update = standin.store.update_for(name)  # knob registry_digests: a new version
            record = update or installed or standin.store.find_pullable(name)
        knobs = self.knobs
        lines = list(_pull_lines(record, already=installed is not None and update is None))
        if update is not None:  # the old version's layers are no longer used
            lines[-1:-1] = [{"status": "removing unused layers"}]
        if record is not None and knobs.pull_extra_statuses:
            lines[-1:-1] = [{"status": s} for s in knobs.pull_extra_statuses]
        error, error_at = None, len(lines)
        if record is None:
            error, error_at = "pull model manifest: file does not exist", 1
        elif knobs.pull_error:
            error, error_at = knobs.pull_error, max(1, min(knobs.error_after, len(lines) - 1))
        rate = knobs.pull_lines_per_second
        if not stream:
            if rate and standin.sleep(min(error_at, len(lines)) / rate):
                self.close_connection = True
                return
            if error:
                raise _BadRequest(500, error)
            self._install(record)
            self._json({"status": "success"}, content_type="application/json")
            return
        out = _Stream(self, pace=1.0 / rate if rate else 0.0)
        for index, line in enumerate(lines):
            if error and index == error_at:
                if out.send({"error": error}):
                    out.end()
                return
            if line.get("status") == "success" and record is not None:
                self._install(record)
            if not out.send(line):
                return
        if error:
            if out.send({"error": error}):
                out.end()
            return
        out.end()

    def _install(self, record: ModelRecord | None) -> None:
        if record is None:
            return
        with self.standin._lock:
            installed = self.standin.store.find(record.name)
            if installed is None or installed.digest != record.digest:  # new, or a new version
                self.standin.store.install(record)

    def _route_chat(self, method: str, raw: bytes) -> None:
        self._complete(raw, chat=True)

    def _route_generate(self, method: str, raw: bytes) -> None:
        self._complete(raw, chat=False)

    def _complete(self, raw: bytes, *, chat: bool) -> None:
        type_name = "ChatRequest" if chat else "GenerateRequest"
        body = self._body(raw, type_name)
        stream = self._stream_flag(body, type_name)
        name = self._model(body, type_name, alias=False)
        if not name:
            if chat:
                raise _BadRequest(400, "model is required")
            raise _BadRequest(404, "model '' not found")
        if not model_names.is_valid(name):
            raise _BadRequest(400, "invalid model name")
        standin = self.standin
        with standin._lock:
            record = standin.store.find(name)
        if record is None:
            raise _BadRequest(404, f"model '{name}' not found")
        if "completion" not in record.capabilities:
            raise _BadRequest(400, f"{_quote(name)} does not support {'chat' if chat else 'generate'}")
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise _BadRequest(400, f"json: cannot unmarshal {_go_type(options)} into Go struct field "
                                   f"{type_name}.options of type map[string]interface {{}}")
        _check_options(options)
        _check_keep_alive(body.get("keep_alive"))
        _check_think(body.get("think"), name, record)
        if chat:
            messages = body.get("messages") or []
            if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
                raise _BadRequest(400, "json: cannot unmarshal messages into Go struct field ChatRequest.messages")
            prompt = " ".join(str(m.get("content") or "") for m in messages)
            users = [str(m.get("content") or "") for m in messages if m.get("role") == "user"]
            said = users[-1] if users else prompt
            empty = not messages
        else:
            prompt = str(body.get("prompt") or "")
            said, empty = prompt, not prompt
        created = rfc3339nano(time.time(), None)
        key = "message" if chat else "response"

        def piece(text: str) -> dict[str, Any]:
            out: dict[str, Any] = {"model": name, "created_at": created}
            out[key] = {"role": "assistant", "content": text} if chat else text
            return out

        if empty:
            done = {**piece(""), "done": True, "done_reason": "load"}
            self._mark_loaded(record, options, body.get("keep_alive"))
            if stream:
                out = _Stream(self)
                if out.send(done):
                    out.end()
            else:
                self._json(done)
            return
        was_loaded = self._mark_loaded(record, options, body.get("keep_alive"))
        words = f"Hello! This is {record.name} on the stand-in. You said: {said[:80]}".split()
        reason = "stop"
        limit = options.get("num_predict")
        if isinstance(limit, (int, float)) and 0 <= int(limit) < len(words):
            words, reason = words[: max(1, int(limit))], "length"
        pieces = [w + " " for w in words[:-1]] + words[-1:]
        eval_count = len(pieces)
        prompt_count = len(prompt.split()) + 10
        metrics = {
            "total_duration": 0, "load_duration": 1_334_875 if was_loaded else 512_345_678,
            "prompt_eval_count": prompt_count, "prompt_eval_duration": prompt_count * 2_000_000,
            "eval_count": eval_count, "eval_duration": eval_count * 25_000_000,
        }
        metrics["total_duration"] = (metrics["load_duration"] + metrics["prompt_eval_duration"]
                                     + metrics["eval_duration"] + 1_000_000)
        final = {**piece(""), "done": True, "done_reason": reason, **metrics}
        if not chat:
            final["context"] = [1, 2, 3]
        error = self.knobs.chat_error
        if not stream:
            if error:
                raise _BadRequest(500, error)
            self._json({**final, **piece("".join(pieces))})
            return
        out = _Stream(self, pace=self.knobs.chat_chunk_delay)
        for index, text in enumerate(pieces):
            if error and index == self.knobs.error_after:
                if out.send({"error": error}):
                    out.end()
                return
            if not out.send({**piece(text), "done": False}):
                return
        if out.send(final):
            out.end()

    def _mark_loaded(self, record: ModelRecord, options: dict[str, Any], keep_alive: Any) -> bool:
        seconds = 300.0
        if isinstance(keep_alive, (int, float)) and not isinstance(keep_alive, bool):
            seconds = float(keep_alive) if keep_alive >= 0 else 1e10
        with self.standin._lock:
            was = record.key in self.standin.loaded
            num_ctx = options.get("num_ctx")
            self.standin.loaded[record.key] = {
                "record": record, "expires": time.time() + seconds,
                "num_ctx": int(num_ctx) if isinstance(num_ctx, (int, float)) else 4096,
            }
        return was

    def _route_embed(self, method: str, raw: bytes) -> None:
        body = self._body(raw, "EmbedRequest")
        name = self._model(body, "EmbedRequest", alias=False)
        if not name:
            raise _BadRequest(404, "model '' not found")
        if not model_names.is_valid(name):
            raise _BadRequest(400, "invalid model name")
        with self.standin._lock:
            record = self.standin.store.find(name)
        if record is None:
            raise _BadRequest(404, f"model {_quote(name)} not found, try pulling it first")
        value = body.get("input")
        if value is None or value == "":
            inputs: list[str] = []
        elif isinstance(value, str):
            inputs = [value]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            inputs = value
        else:
            raise _BadRequest(400, "invalid input type")
        dims = body.get("dimensions") or record.embedding_length
        dims = max(1, min(int(dims), record.embedding_length))
        self._mark_loaded(record, {}, body.get("keep_alive"))
        self._json({
            "model": name, "embeddings": [_vector(text, dims) for text in inputs],
            "total_duration": 14_143_917, "load_duration": 1_019_500,
            "prompt_eval_count": sum(len(t.split()) for t in inputs),
        })


def _pull_lines(record: ModelRecord | None, *, already: bool) -> Iterator[dict[str, Any]]:
    yield {"status": "pulling manifest"}
    if record is None:
        return
    for layer in record.layers():
        base = {"status": f"pulling {layer.digest[7:19]}", "digest": layer.digest, "total": layer.size}
        if already:
            yield {**base, "completed": layer.size}
            continue
        yield dict(base)
        steps = 5 if layer.size >= 1_000_000 else 1
        for step in range(1, steps + 1):
            yield {**base, "completed": layer.size * step // steps}
    yield {"status": "verifying sha256 digest"}
    yield {"status": "writing manifest"}
    yield {"status": "success"}


def _check_options(options: dict[str, Any]) -> None:
    floats = ("temperature", "top_p", "min_p", "typical_p", "repeat_penalty", "presence_penalty",
              "frequency_penalty")
    ints = ("num_ctx", "num_batch", "num_gpu", "main_gpu", "num_thread", "num_keep", "seed",
            "num_predict", "top_k", "repeat_last_n")
    for key, value in options.items():
        if value is None:
            continue
        if key in floats and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise _BadRequest(500, f'option "{key}" must be of type float32')
        if key in ints and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise _BadRequest(500, f'option "{key}" must be of type integer')
        if key == "stop" and not (isinstance(value, list) and all(isinstance(s, str) for s in value)):
            raise _BadRequest(500, f'option "{key}" must be of an array of strings')


def _check_think(value: Any, name: str, record: ModelRecord) -> None:
    """`think` (shared/ollama-api.md 1.9): a bool or a level, and only for a thinking model."""
    if value is None or value is False:
        return
    levels = ("high", "medium", "low", "max")
    if not (value is True or isinstance(value, str) and value in levels):
        shown = _quote(value) if isinstance(value, str) else json.dumps(value)
        raise _BadRequest(400, f'invalid think value: {shown} (must be "high", "medium", "low", "max", '
                               "true, or false)")
    if "thinking" not in record.capabilities:
        raise _BadRequest(400, f"{_quote(name)} does not support thinking")


def _check_keep_alive(value: Any) -> None:
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return
    if isinstance(value, str):
        if value == "0" or _GO_DURATION.match(value):
            return
        if re.fullmatch(r"[-+]?\d+(\.\d+)?", value):
            raise _BadRequest(400, f"time: missing unit in duration {_quote(value)}")
        raise _BadRequest(400, f"time: invalid duration {_quote(value)}")
    raise _BadRequest(400, f"Unsupported type: '{type(value).__name__}'")


def _vector(text: str, dims: int) -> list[float]:
    raw: list[float] = []
    counter = 0
    while len(raw) < dims:
        digest = sha256_hex(f"{counter}:{text}")
        raw.extend((int(digest[i:i + 4], 16) / 32767.5) - 1.0 for i in range(0, 64, 4))
        counter += 1
    raw = raw[:dims]
    norm = sum(v * v for v in raw) ** 0.5 or 1.0
    return [round(v / norm, 6) for v in raw]
