"""A stand-in Ollama HTTP server, standard library only, following shared/ollama-api.md.

    with StandIn(models=["llama3:8b"], pullable=["phi3:mini"]) as standin:
        url = standin.url              # http://127.0.0.1:PORT
        standin.configure(latency={"/api/tags": 0.2})
        standin.stats()["/api/tags"]   # requests seen per route

Serves HTTP/1.1 with keep-alive and chunked NDJSON streams from a ThreadingHTTPServer bound to
127.0.0.1 only. Knobs are described in tests/standin/knobs.py.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any, Iterable, Mapping

from .catalog import ModelStore, bulk_listing
from .handler import Stats, _Handler
from .knobs import STORE_KNOBS, Knobs

log = logging.getLogger("tests.standin")

DEFAULT_MODELS = ("llama3:8b", "mistral:latest", "nomic-embed-text:latest")
DEFAULT_PULLABLE = ("phi3:mini", "qwen2.5:0.5b", "codellama:13b")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, standin: "StandIn"):
        self.standin = standin
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(("127.0.0.1", standin._port), _Handler)

    def get_request(self):  # type: ignore[override]
        sock, addr = super().get_request()
        with self.sockets_lock:
            self.open_sockets.add(sock)
        return sock, addr

    def shutdown_request(self, request):  # type: ignore[override]
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):  # noqa: D401 - quiet on dropped clients
        log.debug("stand-in: error while handling a request from %s", client_address, exc_info=True)


class StandIn:
    """The stand-in server. `start()` returns its URL; `stop()` shuts it down (even mid-hang)."""

    def __init__(self, models: Iterable[Any] | None = None, pullable: Iterable[Any] | None = None,
                 *, port: int = 0, model_details: Mapping[str, Mapping[str, Any]] | None = None,
                 **knobs: Any):
        self._initial_models = list(DEFAULT_MODELS if models is None else models)
        self._initial_pullable = list(DEFAULT_PULLABLE if pullable is None else pullable)
        self._initial_details = dict(model_details or {})
        self._initial_knobs = dict(knobs)
        self._port = port
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._hang_release = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url: str | None = None
        self._reset_state()

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> str:
        if self._server is not None:
            return self.url or ""
        self._stopping.clear()
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"standin-{port}", daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._stopping.set()
        self._release_hangs()
        server.shutdown()
        server.server_close()
        with server.sockets_lock:
            sockets = list(server.open_sockets)
            server.open_sockets.clear()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "StandIn":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- control ---------------------------------------------------------------------------
    def _reset_state(self) -> None:
        with self._lock:
            self.knobs = Knobs()
            self.knobs.apply(self._initial_knobs)
            self.store = ModelStore(self._initial_models, self._initial_pullable, self._initial_details)
            self.loaded: dict[str, dict[str, Any]] = {}
            self.bulk_listing = b""  # knob bulk_models: pre-encoded /api/tags entries
            for name in STORE_KNOBS:
                if name in self._initial_knobs:
                    self._apply_store_knob(name, self._initial_knobs[name])
            self._stats = Stats()
            self._by_method: dict[str, int] = {}
            self._aborted = 0
            self._last_bodies: dict[str, Any] = {}

    def configure(self, **knobs: Any) -> None:
        """Change knobs at runtime; raises ValueError on an unknown knob or a bad value."""
        with self._lock:
            trial = self.knobs.copy()
            trial.apply(knobs)
            for name in STORE_KNOBS:
                if name in knobs:
                    self._apply_store_knob(name, knobs[name])
            hang_changed = trial.hang != self.knobs.hang
            self.knobs = trial
        if hang_changed:
            self._release_hangs()

    def _apply_store_knob(self, name: str, value: Any) -> None:
        if name == "models":
            if not isinstance(value, (list, tuple)):
                raise ValueError("knob 'models' must be a list")
            pullable = self.store.pullable
            self.store = ModelStore(value, [], self.store.details)
            self.store.pullable = pullable
        elif name == "pullable":
            if not isinstance(value, (list, tuple)):
                raise ValueError("knob 'pullable' must be a list")
            self.store.pullable = ModelStore([], value, self.store.details).pullable
        elif name == "model_details":
            if not isinstance(value, Mapping):
                raise ValueError("knob 'model_details' must map model names to detail objects")
            self.store.set_details(value)
        elif name == "loaded":
            self._load(value)
        elif name == "bulk_models":
            self.bulk_listing = bulk_listing(int(value or 0))
        elif name == "registry_digests":
            if not isinstance(value, Mapping):
                raise ValueError("knob 'registry_digests' must map model names to digests")
            self.store.publish(value)

    def _load(self, value: Any) -> None:
        """Knob `loaded`: what /api/ps reports, as if each model had just answered a request."""
        if not isinstance(value, (list, tuple)):
            raise ValueError("knob 'loaded' must be a list of names or objects")
        loaded: dict[str, dict[str, Any]] = {}
        now = time.time()
        for spec in value:
            item = dict(spec) if isinstance(spec, Mapping) else {"name": spec}
            record = self.store.find(str(item.get("name", "")))
            if record is None:
                raise ValueError(f"knob 'loaded': {item.get('name')!r} is not an installed model")
            keep = float(item.get("keep_alive", 300))
            loaded[record.key] = {
                "record": record, "expires": now + keep if keep >= 0 else 9_000_000_000.0,
                "num_ctx": int(item.get("context_length", 4096)),
                "size": int(item.get("size", record.size)),
                "size_vram": int(item.get("size_vram", item.get("size", record.size))),
            }
        self.loaded = loaded

    def reset(self) -> None:
        """Back to the constructed state: knobs, models, stats; releases every hang."""
        self._reset_state()
        self._release_hangs()

    def stats(self) -> Stats:
        with self._lock:
            out = Stats(self._stats)
            out["by_method"] = dict(self._by_method)
            out["aborted_streams"] = self._aborted
            out["last_bodies"] = dict(self._last_bodies)
            return out

    def last_body(self, route: str) -> Any:
        """The JSON body (or raw text) of the last request to `route`; None when none."""
        with self._lock:
            return self._last_bodies.get(route)

    def _note_body(self, path: str, raw: bytes) -> None:
        if not raw:
            return
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            self._last_bodies[path] = body

    def _release_hangs(self) -> None:
        with self._lock:
            old, self._hang_release = self._hang_release, threading.Event()
        old.set()

    def _count(self, method: str, path: str) -> None:
        with self._lock:
            self._stats[path] = self._stats.get(path, 0) + 1
            key = f"{method} {path}"
            self._by_method[key] = self._by_method.get(key, 0) + 1

    def _note_aborted(self) -> None:
        with self._lock:
            self._aborted += 1

    def snapshot(self) -> Knobs:
        with self._lock:
            return self.knobs.copy()

    def sleep(self, seconds: float) -> bool:
        """Sleep unless stopping; True when the server is stopping."""
        if seconds <= 0:
            return self._stopping.is_set()
        return self._stopping.wait(seconds)


