"""Figure 10: the Python API's model list, 1,000 installed models on the stand-in Ollama.

Run as its own process by figures.py (``python benchmarks/api_bench.py URL``); prints one JSON
line ``{"rows": [...], "notes": [...], "figures": {...}}`` as its last line.

Measured in one event loop, alternating the contenders call by call so machine noise lands on all:

* ``OllamaEditorTools.list_available_models()`` answered from its cache (a hit);
* the same with ``force=True`` (a real ``GET /api/tags`` through the pooled client): the list comes
  back unchanged, as it mostly does, so the stored one is kept (an equality test);
* the same after ``forget()`` (nothing stored to compare with: the whole list is made read-only);
* the floor: one ``httpx.AsyncClient.get`` on a pooled connection + ``json.loads`` of the body,
  nothing else (no validation, no normalisation, no cache);
* the official ``ollama`` Python client's ``AsyncClient.list()`` (pydantic models), when installed.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# $N3BENCH_SERVER_PATH: measure another copy of the package (e.g. a checkout of the last commit,
# for before/after figures); by default the working tree.
sys.path[:0] = [os.environ.get("N3BENCH_SERVER_PATH") or str(REPO / "server"), str(REPO)]


def _ms(values: list[float]) -> tuple[float, float]:
    data = sorted(values)
    p99 = data[max(0, min(len(data), -(-99 * len(data) // 100)) - 1)]
    return statistics.median(data) * 1000, p99 * 1000


async def measure(url: str, hits: int, fetches: int) -> dict:
    import httpx

    from namel3ss_lsp.ollama import OllamaEditorTools

    tools = OllamaEditorTools(base_url=url, model_cache_ttl=600)
    first = await tools.list_available_models()
    count = len(first)
    json.dumps(first)  # a command returns the list as it is: it must serialise
    floor_client = httpx.AsyncClient(base_url=url)
    try:
        import ollama  # the official client

        official = ollama.AsyncClient(host=url)
    except Exception:  # noqa: BLE001 - optional
        official = None

    async def floor() -> int:
        response = await floor_client.get("/api/tags")
        return len(json.loads(response.content)["models"])

    async def hit() -> int:
        return len(await tools.list_available_models())

    async def fetched() -> int:
        return len(await tools.list_available_models(force=True))

    async def fetched_new() -> int:
        tools.forget()
        return len(await tools.list_available_models(force=True))

    async def official_list() -> int:
        return len((await official.list()).models)

    contenders = {"hit": hit, "fetched": fetched, "fetched_new": fetched_new, "floor": floor}
    if official is not None:
        contenders["official"] = official_list
    for fn in contenders.values():  # warm: connections, first-call costs
        for _ in range(3):
            await fn()
    times: dict[str, list[float]] = {k: [] for k in contenders}
    sizes: dict[str, int] = {}
    order = list(contenders)
    rounds = max(hits, fetches)
    for i in range(rounds):
        for name in (order if i % 2 == 0 else order[::-1]):
            if name == "hit":
                # a hit is ~µs: time a batch and divide, so the clock's resolution does not count
                batch = 20
                t0 = time.perf_counter()
                for _ in range(batch):
                    sizes[name] = await hit()
                times[name].append((time.perf_counter() - t0) / batch)
                continue
            if i >= fetches:
                continue
            t0 = time.perf_counter()
            sizes[name] = await contenders[name]()
            times[name].append(time.perf_counter() - t0)
    await floor_client.aclose()
    await tools.aclose()
    if official is not None:
        try:
            await official._client.aclose()
        except Exception:  # noqa: BLE001
            pass
    return {"count": count, "sizes": sizes, "times": {k: _ms(v) for k, v in times.items() if v},
            "n": {k: len(v) for k, v in times.items()}}


def main() -> int:
    url = sys.argv[1]
    quick = "--quick" in sys.argv
    gc.collect()
    data = asyncio.run(measure(url, hits=10 if quick else 200, fetches=5 if quick else 60))
    t = data["times"]
    n = data["n"]
    rows = [
        ["models listed (each contender)", ", ".join(f"{k} {v}" for k, v in data["sizes"].items())],
        ["list_available_models(), cache hit: p50 / p99 (ms)", f"{t['hit'][0]:.3f} / {t['hit'][1]:.3f}  (n={n['hit']} batches of 20)"],
        ["list_available_models(force=True), fetched: p50 / p99 (ms)", f"{t['fetched'][0]:.2f} / {t['fetched'][1]:.2f}  (n={n['fetched']})"],
        ["the same after forget() (no stored list to keep): p50 / p99 (ms)", f"{t['fetched_new'][0]:.2f} / {t['fetched_new'][1]:.2f}  (n={n['fetched_new']})"],
        ["floor: httpx GET + json.loads: p50 / p99 (ms)", f"{t['floor'][0]:.2f} / {t['floor'][1]:.2f}  (n={n['floor']})"],
    ]
    if "official" in t:
        rows.append(["official `ollama` client AsyncClient.list(): p50 / p99 (ms)", f"{t['official'][0]:.2f} / {t['official'][1]:.2f}  (n={n['official']})"])
    ratio = t["fetched"][0] / t["floor"][0]
    rows.append(["fetched / floor (p50); after forget() / floor", f"{ratio:.2f}; {t['fetched_new'][0] / t['floor'][0]:.2f}"])
    notes = [
        "In one process and one event loop against the stand-in Ollama serving 1,000 models; the "
        "contenders alternate call by call (a hit is timed as a batch of 20 calls). The floor is what "
        "any client must do: an HTTP GET on a pooled connection and `json.loads` of the body."
    ]
    print(json.dumps({"rows": rows, "notes": notes, "figures": {
        "hit_p50_ms": t["hit"][0], "fetched_p50_ms": t["fetched"][0], "floor_p50_ms": t["floor"][0],
        "fetched_new_p50_ms": t["fetched_new"][0],
        "official_p50_ms": t.get("official", (None,))[0], "ratio": ratio, "count": data["count"],
    }}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
