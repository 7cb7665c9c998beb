"""The figures of issues 7 and 14 (9 and 10 live in index_figure.py and busy_figure.py). Each is
``async def figN(cfg) -> FigureResult``.

Every figure spawns the real server (``python -m namel3ss_lsp``) over stdio, and the stand-in Ollama
in a separate process; figures marked "vs baseline" also spawn ``baseline_server.py`` (the minimal
server; figure 1 also the same-items one) and alternate measurement by measurement within the same
run so that machine noise cancels.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    COMPLETION_DOC,
    COMPLETION_POS,
    REPO,
    WORK,
    FigureResult,
    alternate,
    baseline,
    bench_model_names,
    count_items,
    document,
    edit_position,
    item_labels,
    ms,
    one_char_change,
    ours,
    p50,
    percentile,
    ratio,
    rotate,
    start,
    stop_all,
)
from lsp_client import LspClient, read_proc_status
from standin import StandInProcess, route_count
from index_figure import fig9_index
from busy_figure import fig10_busy
from models_figure import fig12_models


@dataclass
class Config:
    quick: bool = False

    def n(self, full: int, quick: int) -> int:
        return quick if self.quick else full


# ---------------------------------------------------------------------------- helpers
async def warm_completion(client: LspClient, uri: str, want: int, timeout: float = 20.0) -> Any:
    """Ask for completions until the list holds ``want`` installed models (cache warm)."""
    deadline = time.monotonic() + timeout
    result = None
    while time.monotonic() < deadline:
        resp = await client.completion(uri, *COMPLETION_POS)
        result = resp.result
        labels = item_labels(result)
        if sum(1 for l in labels if l.startswith("bench-model-")) >= want - 5:
            return result
        await asyncio.sleep(0.2)
    raise RuntimeError(
        f"completion never listed the {want} installed models (last: {count_items(result)} items)"
    )


async def wait_status(client: LspClient, timeout: float = 10.0) -> bool:
    """Wait for the first ``namel3ss/ollamaStatus`` notification (the start-up health check)."""
    try:
        await asyncio.wait_for(client.wait_for(lambda m: m.method == "namel3ss/ollamaStatus"), timeout)
        return True
    except asyncio.TimeoutError:
        return False


def server_debounce(size: int) -> tuple[float | None, str]:
    """The diagnostics debounce the server under test applies to a document of ``size`` characters,
    read from its code (``namel3ss_lsp.lsp.documents.debounce_delay``, imported by the same command
    line as the server, so a patched build reports its own), else from a DEBOUNCE constant."""
    import subprocess

    from common import OURS_ARGV
    from standin import child_env

    if OURS_ARGV[-2:] == ["-m", "namel3ss_lsp"]:
        code = (
            "import inspect, json; from namel3ss_lsp.lsp import documents as d; "
            f"print(json.dumps([d.debounce_delay({size}), inspect.getsourcefile(d.debounce_delay), "
            "inspect.getsourcelines(d.debounce_delay)[1]]))"
        )
        try:
            out = subprocess.run(OURS_ARGV[:-2] + ["-c", code], capture_output=True, text=True,
                                 env=child_env(), cwd=str(REPO), timeout=60)
            value, path, line = json.loads(out.stdout.strip().splitlines()[-1])
            try:
                path = str(Path(path).resolve().relative_to(REPO))
            except ValueError:
                pass
            return float(value), f"{path}:{line} debounce_delay({size:,} chars)"
        except Exception:
            pass
    root = REPO / "server" / "namel3ss_lsp"
    pat = re.compile(r"^\s*([A-Z_]*DEBOUNCE[A-Z_]*)\s*(?::[^=]+)?=\s*([0-9.]+)\s*(?:#.*)?$", re.M)
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        m = pat.search(text)
        if m:
            value = float(m.group(2))
            name = m.group(1)
            if "MS" in name.upper().split("_"):
                value /= 1000.0
            line = text[: m.start()].count("\n") + 1
            return value, f"{path.relative_to(REPO)}:{line} ({name} = {m.group(2)})"
    return None, "no debounce found in server/namel3ss_lsp"


def lat_rows(res: FigureResult, label: str, ours_s: list[float], base_s: list[float] | None = None,
             base_name: str = "baseline", ours_row: bool = True) -> dict:
    o50, o99 = ms(p50(ours_s)), ms(percentile(ours_s, 99))
    if ours_row:
        res.row(f"{label}: ours p50 / p99 (ms)", f"{_f(o50)} / {_f(o99)}  (n={len(ours_s)})")
    out = {"o50": o50, "o99": o99}
    if base_s is not None:
        b50, b99 = ms(p50(base_s)), ms(percentile(base_s, 99))
        res.row(f"{label}: {base_name} p50 / p99 (ms)", f"{_f(b50)} / {_f(b99)}  (n={len(base_s)})")
        r50, r99 = ratio(o50, b50), ratio(o99, b99)
        res.row(f"{label}: ratio ours/{base_name} p50 / p99", f"{_f(r50)} / {_f(r99)}")
        out.update(b50=b50, b99=b99, r50=r50, r99=r99)
    return out


def _f(v: float | None) -> str:
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


# ---------------------------------------------------------------------------- figure 1
COMPLETION_P99_MS = 16.0


async def fig1_completion(cfg: Config) -> FigureResult:
    res = FigureResult("completion", 1, "Completion round trip at `model: `, 1,000 installed models, warm cache")
    n = cfg.n(200, 10)
    models = bench_model_names(1000)
    uri = "file:///bench/completion.ai"
    with StandInProcess(models=models) as standin:
        a = b = c = None
        try:
            a = await start(ours(standin.url))
            await a.did_open(uri, COMPLETION_DOC)
            result = await warm_completion(a, uri, 1000)
            WORK.mkdir(parents=True, exist_ok=True)
            items_file = WORK / "completion_items.json"
            items_file.write_text(json.dumps(result), encoding="utf-8")
            labels_file = WORK / "completion_labels.json"
            labels_file.write_text(json.dumps(item_labels(result)), encoding="utf-8")
            b = await start(baseline(mode="minimal", labels_file=labels_file))
            c = await start(baseline(items_file, mode="same-items"))
            clients = (a, b, c)
            for client in (b, c):
                await client.did_open(uri, COMPLETION_DOC)
            for _ in range(5):  # warm all three
                for client in clients:
                    await client.completion(uri, *COMPLETION_POS)
            lat: list[list[float]] = [[], [], []]
            sizes = [0, 0, 0]
            counts = [0, 0, 0]
            for _, which in rotate(n, 3):
                client = clients[which]
                resp = await client.completion(uri, *COMPLETION_POS)
                lat[which].append(resp.elapsed)
                sizes[which] = resp.raw_bytes
                counts[which] = count_items(resp.result)
            # the same completion right after a keystroke in a 5,000-line document (analysis stale)
            big_lines = cfg.n(5000, 1000)
            big_uri = "file:///bench/completion-big.ai"
            big = COMPLETION_DOC + "\n" + document(big_lines)
            eline, echar = edit_position(big)
            for client in (a, b):
                since = len(client.notifications)
                await client.did_open(big_uri, big, version=1)
                await client.wait_diagnostics(big_uri, 1, since=since, timeout=60)
            await asyncio.sleep(cfg.n(1.0, 0.2))
            typed: list[list[float]] = [[], []]
            version = [1, 1]
            for _, which in alternate(cfg.n(30, 3)):
                client = (a, b)[which]
                version[which] += 1
                v = version[which]
                since = len(client.notifications)
                await client.did_change(big_uri, v, one_char_change(v, eline, echar))
                resp = await client.completion(big_uri, *COMPLETION_POS)
                typed[which].append(resp.elapsed)
                await client.wait_diagnostics(big_uri, v, since=since, timeout=60)
            tags = route_count(standin.stats(), "/api/tags")
        finally:
            await stop_all(a, b, c)
    r = lat_rows(res, "completion", lat[0], lat[1], "minimal")
    same = lat_rows(res, "completion", lat[0], lat[2], "same-items", ours_row=False)
    lat_rows(res, f"completion right after a keystroke, {big_lines:,}-line document", typed[0], typed[1], "minimal")
    per_item = [sizes[i] / counts[i] if counts[i] else None for i in range(3)]
    res.row(
        "response size: ours / minimal / same-items",
        " / ".join(f"{sizes[i]:,} B ({counts[i]} items, {_f(per_item[i])} B per item)" for i in range(3)),
    )
    raw = json.dumps(result).encode()
    dec = []
    for _ in range(5):
        t0 = time.perf_counter()
        json.loads(raw)
        dec.append(time.perf_counter() - t0)
    res.row(
        "client side: JSON decode of our response (not counted in any round trip)",
        f"{_f(ms(p50(dec)))} ms",
    )
    res.row("/api/tags requests during the figure", tags)
    r50, o99, b99 = r.get("r50"), r.get("o99"), r.get("b99")
    res.target("p50 <= 1.3 x the minimal server", r50, r50 is not None and r50 <= 1.3)
    ok99 = o99 is not None and b99 is not None and o99 <= 2 * b99 and o99 <= COMPLETION_P99_MS
    res.target(f"p99 <= 2 x the minimal server and <= {COMPLETION_P99_MS:.0f} ms",
               f"{_f(o99)} ms ({_f(r.get('r99'))} x)", ok99)
    res.target("bytes per completion item <= 150", f"{_f(per_item[0])} B", per_item[0] is not None and per_item[0] <= 150)
    res.target("p50 ratio to the same-items baseline (reported)", same.get("r50"), None)
    res.notes.append(
        "Three servers run side by side, measurement by measurement in rotating order: ours, the "
        "minimal baseline (a bare pygls server answering with the same 1,000 model names as "
        "label-only items: the floor any pygls server pays) and the same-items baseline (a bare pygls "
        "server sending back the very list ours returned, captured in the same run: it measures "
        "pygls' serialisation of our payload, so its ratio is near 1 whatever our payload weighs). "
        "Targets are against the minimal baseline."
    )
    return res


# ---------------------------------------------------------------------------- figure 2
async def _keystrokes(
    a: LspClient, b: LspClient, lines: int, n: int, timeout: float, settle: float
) -> tuple[list[float], list[float], int, list[float]]:
    text = document(lines)
    uri = f"file:///bench/doc{lines}.ai"
    line, char = edit_position(text)
    open_s = []
    for client in (a, b):
        since = len(client.notifications)
        t0 = await client.did_open(uri, text, version=1)
        msg = await client.wait_diagnostics(uri, 1, since=since, timeout=timeout)
        open_s.append(msg.arrived - t0)
    # let start-up work settle (background /api/show fetches republish diagnostics once they land)
    await asyncio.sleep(settle)
    pubs = [m for m in a.notifications if m.method == "textDocument/publishDiagnostics" and (m.params or {}).get("uri") == uri]
    ndiag = len((pubs[-1].params or {}).get("diagnostics") or []) if pubs else 0
    version = [1, 1]
    lat: list[list[float]] = [[], []]
    for _, which in alternate(n):
        client = (a, b)[which]
        version[which] += 1
        v = version[which]
        since = len(client.notifications)
        t0 = await client.did_change(uri, v, one_char_change(v, line, char))
        msg = await client.wait_diagnostics(uri, v, since=since, timeout=timeout)
        lat[which].append(msg.arrived - t0)
    # close so later documents do not keep the server busy
    for client in (a, b):
        await client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    return lat[0], lat[1], ndiag, open_s


KEYSTROKE_P50_MS = 50.0


async def fig2_keystroke(cfg: Config) -> FigureResult:
    res = FigureResult("keystroke", 2, "Keystroke to publishDiagnostics (one-char didChange)")
    small, large = (5000, 50000) if not cfg.quick else (2000, 10000)
    with StandInProcess(models=bench_model_names(50)) as standin:
        a = b = None
        try:
            a = await start(ours(standin.url))
            b = await start(baseline())
            await wait_status(a, 5)
            try:  # warm the model list so diagnostics can check every model id
                await a.request("workspace/executeCommand", {"command": "namel3ss.ollama.listModels", "arguments": [{}]})
            except Exception:
                pass
            l5k, b5k, nd5, open5 = await _keystrokes(a, b, small, cfg.n(40, 3), 60, cfg.n(1.5, 0.3))
            r5 = lat_rows(res, f"{small:,} lines", l5k, b5k, "minimal")
            l50k, b50k, nd50, open50 = await _keystrokes(a, b, large, cfg.n(5, 1), 120, cfg.n(3, 0.3))
            r50 = lat_rows(res, f"{large:,} lines", l50k, b50k, "minimal")
        finally:
            await stop_all(a, b)
    d5, where5 = server_debounce(len(document(small)))
    d50, where50 = server_debounce(len(document(large)))
    res.row(f"server debounce, {small:,} lines", f"{_f(ms(d5))} ms — {where5}" if d5 is not None else where5)
    res.row(f"server debounce, {large:,} lines", f"{_f(ms(d50))} ms — {where50}" if d50 is not None else where50)
    if d5 is not None and r5["o50"] is not None:
        res.row(f"{small:,} lines: ours p50 minus debounce (ms)", r5["o50"] - ms(d5))
    if d50 is not None and r50["o50"] is not None:
        res.row(f"{large:,} lines: ours p50 minus debounce (ms)", r50["o50"] - ms(d50))
    res.row(f"diagnostics in the documents (ours, {small:,} / {large:,} lines)", f"{nd5} / {nd50}")
    res.row(f"didOpen -> first diagnostics, ours / baseline (ms), {small:,} lines", f"{_f(ms(open5[0]))} / {_f(ms(open5[1]))}")
    res.row(f"didOpen -> first diagnostics, ours / baseline (ms), {large:,} lines", f"{_f(ms(open50[0]))} / {_f(ms(open50[1]))}")
    res.target(f"{small:,} lines: p50 <= {KEYSTROKE_P50_MS:.0f} ms", r5["o50"], r5["o50"] is not None and r5["o50"] <= KEYSTROKE_P50_MS)
    res.target(f"{small:,} lines: ratio to the minimal server (reported)", r5.get("r50"), None)
    res.target(f"{large:,} lines: p50 (reported)", r50["o50"], None)
    res.notes.append(
        "Documents are made of 10-line `ai model` declarations whose model ids are all installed in the "
        "stand-in; the edit toggles one character inside the description string of the middle "
        "declaration (insert, then delete), so every keystroke yields a valid document of the same size. "
        "Measured: didChange written -> the publishDiagnostics carrying that version arrives."
    )
    return res


# ---------------------------------------------------------------------------- figure 3
def _first_description(text: str) -> tuple[int, int]:
    for i, line in enumerate(text.split("\n")):
        if line.lstrip().startswith("description:"):
            return i, len(line) - 1
    return 0, 0


async def fig3_economy(cfg: Config) -> FigureResult:
    res = FigureResult("economy", 3, "Ollama economy: /api/tags requests for 200 completions + 200 edits, 20 documents")
    n_ops = cfg.n(200, 20)
    n_docs = 20
    res.title = f"Ollama economy: /api/tags requests for {n_ops} completions + {n_ops} edits, {n_docs} documents"
    with StandInProcess(models=bench_model_names(50)) as standin:
        a = None
        try:
            standin.reset()
            t_start = time.monotonic()
            a = await start(ours(standin.url, ttl=60, health=30))
            status_seen = await wait_status(a, 10)
            await asyncio.sleep(0.3)
            s0 = standin.stats()
            uris = [f"file:///bench/econ{i:02d}.ai" for i in range(n_docs)]
            docs = [COMPLETION_DOC + "\n" + document(50, start=i * 100) for i in range(n_docs)]
            for uri, text in zip(uris, docs):
                await a.did_open(uri, text, version=1)
            versions = [1] * n_docs
            edit_lines = [_first_description(t) for t in docs]
            t0 = time.monotonic()
            comp_lat = []
            for i in range(n_ops):
                d = i % n_docs
                resp = await a.completion(uris[d], *COMPLETION_POS)
                comp_lat.append(resp.elapsed)
                versions[d] += 1
                line, char = edit_lines[d]
                await a.did_change(uris[d], versions[d], one_char_change(versions[d], line, char))
            for d in range(n_docs):
                await a.wait_diagnostics(uris[d], versions[d], timeout=30)
            elapsed = time.monotonic() - t0
            await asyncio.sleep(0.3)
            s1 = standin.stats()
            total_elapsed = time.monotonic() - t_start
            statuses = sum(1 for m in a.notifications if m.method == "namel3ss/ollamaStatus")
            publishes = sum(1 for m in a.notifications if m.method == "textDocument/publishDiagnostics")
        finally:
            await stop_all(a)
    tags0, tags1 = route_count(s0, "/api/tags"), route_count(s1, "/api/tags")
    workload = tags1 - tags0
    res.row("workload", f"{n_ops} completions + {n_ops} edits across {n_docs} open documents in {elapsed:.1f} s (TTL 60 s)")
    res.row("/api/tags before the workload (start-up: first fetch / health check)", tags0)
    res.row("/api/tags during the workload", workload)
    res.row("/api/tags in total, spawn to end", tags1)
    for route in ("/api/version", "/api/show", "/api/ps"):
        res.row(f"{route} in total", route_count(s1, route))
    health = route_count(s1, "/api/version")
    res.row("health checks (each reads /api/version once, and /api/tags through the shared single-flight)", health)
    res.row("/api/tags not attributable to a health check (total - health checks)", max(0, tags1 - health))
    res.row("namel3ss/ollamaStatus notifications", statuses)
    res.row(
        "publishDiagnostics received / documents opened + edits sent",
        f"{publishes} / {n_docs + n_ops} (extra ones: republished when /api/show facts or the model list land)",
    )
    res.row("stand-in stats (raw, end)", json.dumps(s1, sort_keys=True)[:300])
    res.row("completion p50 / p99 during the workload (ms)", f"{_f(ms(p50(comp_lat)))} / {_f(ms(percentile(comp_lat, 99)))}")
    res.row("a naive client (one list per completion and per edit)", f"{2 * n_ops} requests")
    res.target("/api/tags requests <= 1 within one TTL (health checks apart)", f"{tags1} in total, {workload} during the workload", tags1 <= 1 or (workload == 0 and tags0 <= 2))
    res.notes.append(
        "The stand-in counts requests per route; the count before the workload is the start-up "
        "(first model-list fetch and/or first health check), the count after it is what the 200+200 "
        "operations cost. A health check (`OllamaEditorTools.check_status`) reads /api/version and "
        "/api/tags together, the latter through the same single-flight fetch that fills the model "
        "cache, so the start-up health check and the first model list are one /api/tags request. "
        f"Whole run {total_elapsed:.1f} s, inside one 60 s TTL and before a second 30 s health check."
        + ("" if status_seen else " (no namel3ss/ollamaStatus notification seen within 10 s of start)")
    )
    return res


# ---------------------------------------------------------------------------- figure 4
async def fig4_slow(cfg: Config) -> FigureResult:
    res = FigureResult("slow-ollama", 4, "Slow Ollama: /api/tags answers after 3 s")
    duration = 1.5 if cfg.quick else 8.0
    spacing = 0.04
    uri = "file:///bench/slow.ai"
    models = bench_model_names(200)
    with StandInProcess(models=models) as standin:
        a = None
        try:
            standin.configure(latency={"/api/tags": 3})
            a = await start(ours(standin.url, ttl=2, health=30))
            await a.did_open(uri, COMPLETION_DOC)
            lat: list[float] = []
            when: list[float] = []
            installed_at = None
            counts = []
            t0 = time.monotonic()
            while time.monotonic() - t0 < duration:
                at = time.monotonic() - t0
                resp = await a.completion(uri, *COMPLETION_POS, timeout=30)
                lat.append(resp.elapsed)
                when.append(at)
                labels = item_labels(resp.result)
                inst = sum(1 for l in labels if l.startswith("bench-model-"))
                counts.append(inst)
                if inst and installed_at is None:
                    installed_at = time.monotonic() - t0
                await asyncio.sleep(spacing)
            tags = route_count(standin.stats(), "/api/tags")
        finally:
            await stop_all(a)
    o = lat_rows(res, "completion while /api/tags takes 3 s", lat)
    res.row("first completion (cold cache) (ms)", ms(lat[0]) if lat else None)
    slowest = sorted(zip(lat, when), reverse=True)[:4]
    res.row("slowest completions (ms @ s since start)", ", ".join(f"{ms(l):.0f} @ {w:.2f}" for l, w in slowest))
    res.row(
        "installed models first listed after (s)",
        f"{installed_at:.2f}" if installed_at is not None else f"not within {duration:.1f} s (fallback list only)",
    )
    res.row("completions answered with installed models / total", f"{sum(1 for c in counts if c)} / {len(counts)}")
    res.row("/api/tags requests made (cache TTL 2 s)", tags)
    res.target("completion p99 <= 50 ms", o["o99"], o["o99"] is not None and o["o99"] <= 50)
    res.notes.append(
        f"Completions every {int(spacing * 1000)} ms for {duration:.0f} s from a cold start, with "
        "modelCacheTtl = 2 s so the run covers cold cache, first fetch in flight, warm cache and "
        "stale cache being refreshed in the background."
    )
    return res


# ---------------------------------------------------------------------------- figure 5
async def fig5_startup(cfg: Config) -> FigureResult:
    res = FigureResult("startup", 5, "Start-up: process spawn to initialize result")
    n = cfg.n(12, 1)
    lat: list[list[float]] = [[], []]
    with StandInProcess(models=bench_model_names(10)) as standin:
        # one uncounted start of each first: bytecode written (see standin.child_env), files cached
        for i, which in [(-1, 0), (-1, 1)] + list(alternate(n)):
            client = ours(standin.url) if which == 0 else baseline()
            try:
                await client.spawn()
                resp = await client.initialize(client.settings or None, root=REPO.as_uri())
                if i >= 0:
                    lat[which].append(resp.arrived - client.spawned_at)
            finally:
                await stop_all(client)
    r = lat_rows(res, "spawn -> initialize result", lat[0], lat[1], "minimal")
    res.target("ratio to the minimal server (p50) <= 1.3", r.get("r50"), r.get("r50") is not None and r["r50"] <= 1.3)
    res.notes.append(
        "Both are started the same way (same interpreter, `python -m namel3ss_lsp` vs "
        "`python benchmarks/baseline_server.py`); timed from just before the spawn to the arrival of "
        "the initialize response. Includes interpreter start-up and imports. Both run from compiled "
        "bytecode, as an installed package does (one uncounted start of each first writes it; "
        "`PYTHONDONTWRITEBYTECODE` is dropped for the children)."
    )
    return res


# ---------------------------------------------------------------------------- figure 6
async def fig6_memory(cfg: Config) -> FigureResult:
    res = FigureResult("memory", 6, "Peak RSS with 200 open documents of 500 lines")
    n_docs = cfg.n(200, 10)
    res.title = f"Peak RSS with {n_docs} open documents of 500 lines"
    with StandInProcess(models=bench_model_names(50)) as standin:
        out = {}
        for label, client in (("ours", ours(standin.url)), ("baseline", baseline())):
            try:
                await start(client)
                before = read_proc_status(client.pid)
                for i in range(n_docs):
                    uri = f"file:///bench/mem{i:03d}.ai"
                    await client.did_open(uri, document(500, models=bench_model_names(50), start=i * 50))
                for i in range(n_docs):
                    await client.wait_diagnostics(f"file:///bench/mem{i:03d}.ai", 1, timeout=120)
                await asyncio.sleep(0.5)
                after = read_proc_status(client.pid)
                out[label] = (before, after)
            finally:
                await stop_all(client)
    mb = 1024 * 1024
    for label, (before, after) in out.items():
        res.row(
            f"{label}: VmHWM after initialize / with {n_docs} documents (MB)",
            f"{before.get('VmHWM', 0) / mb:.1f} / {after.get('VmHWM', 0) / mb:.1f} (VmRSS {after.get('VmRSS', 0) / mb:.1f})",
        )
    peak = out.get("ours", ({}, {}))[1].get("VmHWM")
    res.target(
        f"peak RSS with {n_docs} x 500-line documents <= 150 MB",
        f"{peak / mb:.1f} MB" if peak else None,
        (peak is not None and peak <= 150 * mb) if peak else None,
    )
    res.notes.append("VmHWM (peak resident set) from /proc/PID/status of the server process itself.")
    return res


# ---------------------------------------------------------------------------- figure 7
async def fig7_pull(cfg: Config) -> FigureResult:
    res = FigureResult("pull", 7, "Pull progress with the stand-in streaming 10,000 lines/s")
    model = "bench-pull:1b"
    token = "bench-pull-token"
    steps = cfg.n(30000, 5000)  # progress lines of the model layer: 3 s (quick: 0.5 s) at 10,000/s
    with StandInProcess(models=bench_model_names(5), pullable=[model], pull_steps=steps) as standin:
        a = None
        try:
            standin.configure(pull_lines_per_second=10000)
            a = await start(ours(standin.url))
            since = len(a.notifications)
            t0 = time.perf_counter()
            resp = await a.request(
                "workspace/executeCommand",
                {"command": "namel3ss.ollama.pullModel", "arguments": [{"model": model}], "workDoneToken": token},
                timeout=300,
            )
            t1 = resp.arrived
            stats = standin.stats()
            progress = [m for m in a.notifications[since:] if m.method == "$/progress"]
        finally:
            await stop_all(a)
    reports = [m for m in progress if ((m.params or {}).get("value") or {}).get("kind") == "report"]
    kinds = {}
    for m in progress:
        k = ((m.params or {}).get("value") or {}).get("kind")
        kinds[k] = kinds.get(k, 0) + 1
    duration = t1 - t0
    times = [m.arrived for m in reports]
    # max number of reports in any half-open 1-second sliding window [t, t + 1 s)
    worst, j = 0, 0
    for i in range(len(times)):
        while times[i] - times[j] >= 1.0:
            j += 1
        worst = max(worst, i - j + 1)
    gaps = [b - a for a, b in zip(times, times[1:])]
    close = sum(1 for g in gaps if g < 0.05)
    ok = isinstance(resp.result, dict) and resp.result.get("status") == "success"
    res.row("progress lines streamed by the stand-in / rate", f"{steps + 13:,} lines / {(steps + 13) / duration:,.0f} lines/s over the pull")
    res.row("pull duration (s)", duration)
    res.row("command result", json.dumps(resp.result)[:120])
    res.row("$/progress begin / report / end", f"{kinds.get('begin', 0)} / {kinds.get('report', 0)} / {kinds.get('end', 0)}")
    res.row("reports per second: max in any 1 s window / average", f"{worst} / {len(reports) / duration:.1f}" if duration > 0 else worst)
    if gaps:
        res.row("gap between reports: min / median (ms); gaps < 50 ms", f"{min(gaps) * 1000:.1f} / {p50(gaps) * 1000:.0f}; {close} of {len(gaps)}")
    percents = [((m.params or {}).get("value") or {}).get("percentage") for m in reports]
    percents = [p for p in percents if p is not None]
    res.row("percentage monotonic", all(x <= y for x, y in zip(percents, percents[1:])) if percents else "n/a")
    res.row("/api/pull requests / stand-in stats", f"{route_count(stats, '/api/pull')} / {json.dumps(stats, sort_keys=True)[:200]}")
    res.target("<= 10 $/progress reports in any second", worst, worst <= 10)
    res.target("the pull completes", "success" if ok else json.dumps(resp.result)[:80], ok)
    res.notes.append(
        "The stand-in's own pull emits ~18 lines per model, which at 10,000 lines/s is over in 2 ms; "
        "this figure runs the same stand-in through `benchmarks/standin_main.py`, which only makes the "
        f"model layer advance in {steps:,} steps and keeps the requested rate on average."
    )
    if duration < 1.0:
        res.notes.append(
            f"The pull took only {duration:.2f} s, so the one-second window bound is weakly exercised."
        )
    return res


# ---------------------------------------------------------------------------- figure 8 (in a subprocess)
PARSER_MBS = 2.0  # real text, analysis + outline + folding
TEN_MB_S = 5.0  # a 10 MB file, analysis + outline + folding
async def fig8_parser(cfg: Config) -> FigureResult:
    res = FigureResult("parser", 8, "Parser throughput of namel3ss_lsp.language")
    import sys

    from standin import child_env

    argv = [sys.executable, str(Path(__file__).with_name("parser_bench.py"))]
    if cfg.quick:
        argv.append("--quick")
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=child_env(), cwd=str(REPO)
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"parser_bench failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    data = json.loads(out.decode().strip().splitlines()[-1])
    for row in data["rows"]:
        res.row(row[0], row[1])
    res.notes.extend(data.get("notes", []))
    res.target("throughput (reported)", data.get("headline"), None)
    f = data.get("figures") or {}
    if f:
        real = f"real text ({f['real_size'] / 1e6:g} MB)"
        res.target(f"{real}: analyze + outline + folding >= {PARSER_MBS} MB/s", f"{f['real_mbs']:.2f} MB/s", f["real_mbs"] >= PARSER_MBS)
        ten_bound = TEN_MB_S * f["ten_size"] / 10_000_000
        res.target(f"{f['ten_size'] / 1e6:g} MB file: analyze + outline + folding <= {ten_bound:g} s", f"{f['ten_s']:.2f} s", f["ten_s"] <= ten_bound)
    return res


# ---------------------------------------------------------------------------- figure 11 (in a subprocess)
API_HIT_MS = 0.5
API_FETCH_RATIO = 1.5


async def fig11_api(cfg: Config) -> FigureResult:
    res = FigureResult("api", 11, "Python API: OllamaEditorTools.list_available_models, 1,000 models")
    import sys

    from standin import child_env

    with StandInProcess(models=bench_model_names(1000)) as standin:
        argv = [sys.executable, str(Path(__file__).with_name("api_bench.py")), standin.url]
        if cfg.quick:
            argv.append("--quick")
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=child_env(), cwd=str(REPO)
        )
        out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"api_bench failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    data = json.loads(out.decode().strip().splitlines()[-1])
    for row in data["rows"]:
        res.row(row[0], row[1])
    res.notes.extend(data.get("notes", []))
    f = data["figures"]
    res.target(f"cache hit p50 <= {API_HIT_MS} ms", f"{f['hit_p50_ms']:.3f} ms", f["hit_p50_ms"] <= API_HIT_MS)
    res.target(f"fetched (force=True) p50 <= {API_FETCH_RATIO} x httpx + json.loads",
               f"{f['ratio']:.2f} x ({f['fetched_p50_ms']:.1f} vs {f['floor_p50_ms']:.1f} ms)",
               f["ratio"] <= API_FETCH_RATIO)
    return res


FIGURES = {
    "completion": fig1_completion,
    "keystroke": fig2_keystroke,
    "economy": fig3_economy,
    "slow-ollama": fig4_slow,
    "startup": fig5_startup,
    "memory": fig6_memory,
    "pull": fig7_pull,
    "parser": fig8_parser,
    "index": fig9_index,
    "busy": fig10_busy,
    "api": fig11_api,
    "models": fig12_models,
}
