"""Figure 12: completion with 200,000 models installed (issue 17, "hostile input and load").

The stand-in lists 200,000 extra models (knob `bulk_models`: `bulk-000000:7b` ..., a 24 MB
/api/tags answer) before the server starts, so the server's first fetch is the big one:

- while the list is fetched, decoded and indexed (worker threads), completion at `model: `: the
  very first, sent right after `initialize` and `didOpen` (start-up work still under way: ~300 ms
  with 2 models as well), then the first once the document's diagnostics are published (start-up
  done, the list still on its way: it may wait NETWORK_BUDGET for the fetch, then answers the
  library alone, `isIncomplete`), then one every 50 ms until the installed models appear: their
  latencies and how long the list took;
- once the list is there: completion in one document at four places, `model: ` followed by
  nothing, one letter (`b`: all 200,000 match), a longer prefix (`bulk-01234`: 10 match) and a
  part of names (`1234`: no name starts with it, a few hundred contain it), p50 / p99, items,
  bytes, `isIncomplete`,
  side by side with the minimal pygls server answering the same 1,000 labels (alternating);
- hover on a model id in the same document (llama3:8b, installed: facts from /api/show);
- the server's VmRSS with the list indexed, and the /api/tags requests it made.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from common import WORK, FigureResult, alternate, baseline, count_items, item_labels, ms, ours, p50, percentile, start, stop_all
from lsp_client import LspClient, read_proc_status
from standin import StandInProcess, route_count

URI = "file:///bench/many-models.ai"
PREFIXES = ("", "b", "bulk-01234", "1234")  # nothing, one letter, a longer prefix, inside names
P99_TARGET_MS = 100.0
BUDGET_MS = 50.0  # the contract: a completion never waits more than this on the network
MB = 1024 * 1024


def many_models_document() -> tuple[str, dict[str, tuple[int, int]], tuple[int, int]]:
    """One declaration per typed prefix, then one naming an installed model: the text, where each
    prefix ends (completion positions) and where to hover."""
    blocks, where = [], {}
    for i, typed in enumerate(PREFIXES):
        blocks.append(f"ai model m{i} {{\n    provider: ollama\n    model: {typed}\n}}\n")
        where[typed] = (4 * i + 2, len("    model: ") + len(typed))
    blocks.append("ai model known {\n    provider: ollama\n    model: llama3:8b\n}\n")
    hover = (4 * len(PREFIXES) + 2, len("    model: ll"))
    return "".join(blocks), where, hover


def is_warm(result: Any) -> bool:
    return any(label.startswith("bulk-") for label in item_labels(result))


def incomplete(result: Any) -> bool:
    return bool(isinstance(result, dict) and result.get("isIncomplete"))


async def while_fetching(client: LspClient, at: tuple[int, int], timeout: float) -> tuple[list, float]:
    """Completions every 50 ms until the installed models appear: every response (the last one
    warm), and seconds from the first request to the warm answer."""
    began = time.perf_counter()
    seen = []
    while True:
        resp = await client.completion(URI, *at)
        seen.append(resp)
        if is_warm(resp.result):
            return seen, time.perf_counter() - began
        if time.perf_counter() - began > timeout:
            raise RuntimeError(f"the {len(seen)} completions in {timeout:.0f} s never listed the installed models")
        await asyncio.sleep(0.05)


async def fig12_models(cfg) -> FigureResult:
    count = cfg.n(200_000, 20_000)
    rounds = cfg.n(100, 5)
    res = FigureResult("models", 12, f"Completion with {count:,} models installed")
    text, where, hover_at = many_models_document()
    with StandInProcess(models=["llama3:8b", "mistral:latest"]) as standin:
        standin.configure(bulk_models=count)  # before the server starts: its first fetch is the big one
        a = b = None
        try:
            a = ours(standin.url)
            a.settings["ollama"]["requestTimeout"] = 30  # a 24 MB answer on a slow box
            await start(a)
            await a.did_open(URI, text)
            very_first = await a.completion(URI, *where[""])  # start-up work still under way
            await a.wait_diagnostics(URI, 1, timeout=120)
            seen, ready = await while_fetching(a, where[""], timeout=cfg.n(300, 120))
            rss_ready = read_proc_status(a.pid).get("VmRSS", 0)
            warm = seen[-1]
            labels_file = WORK / "many_models_labels.json"
            labels_file.parent.mkdir(parents=True, exist_ok=True)
            labels_file.write_text(json.dumps(item_labels(warm.result)), encoding="utf-8")
            b = await start(baseline(mode="minimal", labels_file=labels_file))
            await b.did_open(URI, text)
            tags_before = route_count(standin.stats(), "/api/tags")
            for client in (a, b):  # one uncounted round each
                for typed in PREFIXES:
                    await client.completion(URI, *where[typed])
            lat: dict[str, list[list[float]]] = {typed: [[], []] for typed in PREFIXES}
            last: dict[str, Any] = {}
            for _, which in alternate(rounds):
                client = (a, b)[which]
                for typed in PREFIXES:
                    resp = await client.completion(URI, *where[typed])
                    lat[typed][which].append(resp.elapsed)
                    if which == 0:
                        last[typed] = resp
            hover_doc = {"textDocument": {"uri": URI}, "position": {"line": hover_at[0], "character": hover_at[1]}}
            first_hover = await a.request("textDocument/hover", hover_doc)
            hovers = []
            for _ in range(rounds):
                resp = await a.request("textDocument/hover", hover_doc)
                hovers.append(resp)
            tags_during = route_count(standin.stats(), "/api/tags") - tags_before
            rss_end = read_proc_status(a.pid).get("VmRSS", 0)
        finally:
            await stop_all(a, b)

    first = seen[0]  # start-up done, the list on its way (unless it is already there)
    fetching = not is_warm(first.result)
    res.row("very first completion, right after initialize and didOpen: ms / items / isIncomplete",
            f"{ms(very_first.elapsed):.1f} / {count_items(very_first.result)} / {'yes' if incomplete(very_first.result) else 'no'}")
    res.row("first completion once start-up is done, the list being fetched: ms / items / isIncomplete",
            f"{ms(first.elapsed):.1f} / {count_items(first.result)} / {'yes' if incomplete(first.result) else 'no'}"
            + ("" if fetching else " (the list was already there)"))
    waits = [r.elapsed for r in seen]
    res.row("completions until the list was there (the last one the first to list it): n / p50 / p99 / max (ms)",
            f"{len(seen)} / {ms(p50(waits)):.1f} / {ms(percentile(waits, 99)):.1f} / {ms(max(waits)):.1f}; "
            f"isIncomplete before it: {'all' if all(incomplete(r.result) for r in seen[:-1]) else 'not all'}")
    res.row("the installed models listed, seconds after that first completion", f"{ready:.1f}")
    worst99 = 0.0
    for typed in PREFIXES:
        ours_s, base_s = lat[typed]
        o99 = ms(percentile(ours_s, 99))
        worst99 = max(worst99, o99)
        resp = last[typed]
        shown = f"'{typed}'" if typed else "nothing"
        res.row(f"typed {shown}: ours p50 / p99 (ms); minimal p50 / p99 (ms)",
                f"{ms(p50(ours_s)):.1f} / {o99:.1f}; {ms(p50(base_s)):.1f} / {ms(percentile(base_s, 99)):.1f} (n={len(ours_s)})")
        res.row(f"typed {shown}: items / bytes / isIncomplete",
                f"{count_items(resp.result)} / {resp.raw_bytes:,} / {'yes' if incomplete(resp.result) else 'no'}")
    hover_s = [r.elapsed for r in hovers]
    has_facts = bool(hovers and "8.0B" in json.dumps(hovers[-1].result or {}))
    res.row("hover on an installed model id in the same document: first (ms); then p50 / p99 (ms)",
            f"{ms(first_hover.elapsed):.1f}; {ms(p50(hover_s)):.1f} / {ms(percentile(hover_s, 99)):.1f} "
            f"(n={len(hover_s)}, facts from /api/show: {'yes' if has_facts else 'no'})")
    res.row("VmRSS: when the list was there / at the end (MB)", f"{rss_ready / MB:.1f} / {rss_end / MB:.1f}")
    res.row("/api/tags requests while measuring (a refresh would re-read the whole list)", tags_during)
    res.target(f"{count:,} models: completion p99 <= {P99_TARGET_MS:.0f} ms (worst of the four places)",
               f"{worst99:.1f} ms", worst99 <= P99_TARGET_MS)
    first_ok = ms(first.elapsed) <= BUDGET_MS and incomplete(first.result)
    res.target(f"first completion while the list is fetched: <= {BUDGET_MS:.0f} ms, isIncomplete",
               f"{ms(first.elapsed):.1f} ms, {'incomplete' if incomplete(first.result) else 'complete'}",
               first_ok if fetching else None)
    res.target(f"every completion until the list is there <= {P99_TARGET_MS:.0f} ms",
               f"{ms(max(waits)):.1f} ms (max)", ms(max(waits)) <= P99_TARGET_MS)
    res.notes.append(
        f"The stand-in lists llama3:8b, mistral:latest and {count:,} generated models (`bulk_models`); the "
        "server's answer holds at most 1,000 installed models matching what is typed (then the library), "
        "`isIncomplete` so that typing more asks again. The minimal server answers the same 1,000 labels "
        "wherever it is asked (label only): the floor any pygls server pays for a 1,000-item answer.")
    if cfg.quick:
        res.notes.append(f"--quick: {count:,} models, {rounds} rounds; figures not meaningful.")
    return res
