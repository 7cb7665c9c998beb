"""Figure 9: the workspace index on the real corpus replicated to ~4,500 files.

- cold index: from `initialized` to the end of the "Indexing N files" progress, in MB/s of source;
- references and rename over stdio, p50: at a tool declared in a shared module and used by 300
  files, and at `llm: gpt4` in one app (each copy of the corpus declares its own gpt4);
- an edit that renames a declaration: time until a dependent open document's diagnostics are
  republished (it gains, then loses, an unknown-reference);
- the server's resident memory once the index is built.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

from common import CORPUS, WORK, FigureResult, ms, ours, p50, percentile, start, stop_all
from lsp_client import read_proc_status

DECL = "tool bench_tool {\n    description: \"renamed back and forth\"\n}\n"
USE = "agent bench_agent {\n    tools: [bench_tool]\n}\n"
USERS = 300  # files that use the shared tool


def build_workspace(copies: int) -> tuple[Path, int, int]:
    """The valid corpus copied `copies` times (each copy in its own folder), plus the two files the
    rename measurement edits. Returns (root, files, bytes)."""
    root = WORK / f"index-workspace-{copies}"
    if root.exists():
        shutil.rmtree(root)
    sources = [p for p in sorted(CORPUS.rglob("*.ai")) if "invalid" not in p.relative_to(CORPUS).parts]
    files = size = 0
    for i in range(copies):
        for src in sources:
            dest = root / f"copy{i:03d}" / src.relative_to(CORPUS)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            files += 1
            size += src.stat().st_size
    (root / "bench").mkdir(parents=True)
    (root / "bench" / "decl.ai").write_text(DECL)
    (root / "bench" / "use.ai").write_text(USE)
    users = root / "bench" / "users"
    users.mkdir()
    for i in range(USERS):
        (users / f"user{i:03d}.ai").write_text(USE.replace("bench_agent", f"agent_{i}"))
    return root, files + 2 + USERS, size + len(DECL) + len(USE) * (USERS + 1)


def _is_index_end(msg) -> bool:
    params = msg.params or {}
    value = params.get("value") or {}
    return msg.method == "$/progress" and value.get("kind") == "end" and "Indexed" in (value.get("message") or "")


async def fig9_index(cfg) -> FigureResult:
    copies = cfg.n(110, 2)
    res = FigureResult("index", 9, "Workspace index on the corpus replicated")
    root, n_files, n_bytes = build_workspace(copies)
    res.title = f"Workspace index: the corpus replicated to {n_files} files ({n_bytes / 1e6:.1f} MB)"
    client = ours(None)
    try:
        await start(client, root)
        began = time.perf_counter()  # `initialized` was sent at the end of start()
        await asyncio.wait_for(client.wait_for(_is_index_end), 600)
        cold = time.perf_counter() - began
        rss = read_proc_status(client.pid).get("VmRSS", 0)

        async def measure(uri: str, position: dict, n: int) -> tuple[list, list, int]:
            doc = {"uri": uri}
            refs_s, rename_s, found = [], [], 0
            for _ in range(n):
                r = await client.request("textDocument/references", {"textDocument": doc, "position": position, "context": {"includeDeclaration": True}})
                refs_s.append(r.elapsed)
                found = len(r.result or [])
                r = await client.request("textDocument/rename", {"textDocument": doc, "position": position, "newName": "renamed_name"})
                rename_s.append(r.elapsed)
            return refs_s, rename_s, found

        # a tool of a shared module, used in 301 files
        use_uri = (root / "bench" / "use.ai").as_uri()
        await client.did_open(use_uri, USE)
        await client.wait_diagnostics(use_uri, 1, timeout=60)
        refs_s, rename_s, found = await measure(use_uri, {"line": 1, "character": 13}, cfg.n(40, 3))

        # `llm: gpt4` of one copy of the research lab: resolves in its own app
        lab = root / "copy000" / "brace" / "examples" / "governed-multi-agent-research-lab.ai"
        text = lab.read_text()
        await client.did_open(lab.as_uri(), text)
        await client.wait_diagnostics(lab.as_uri(), 1, timeout=60)
        line_no = next(i for i, line in enumerate(text.split("\n")) if line.strip() == "llm: gpt4")
        position = {"line": line_no, "character": text.split("\n")[line_no].index("gpt4") + 1}
        app_refs_s, app_rename_s, app_found = await measure(lab.as_uri(), position, cfg.n(40, 3))

        # an edit that renames a declaration -> the dependent's diagnostics
        decl_uri = (root / "bench" / "decl.ai").as_uri()
        await client.did_open(decl_uri, DECL)
        await client.wait_diagnostics(decl_uri, 1, timeout=60)
        republish_s = []
        version = 1
        name_at = {"start": {"line": 0, "character": 5}}
        for i in range(cfg.n(30, 3)):
            old, new = ("bench_tool", "bench_tool2") if i % 2 == 0 else ("bench_tool2", "bench_tool")
            version += 1
            since = len(client.notifications)
            change = {"range": {"start": name_at["start"], "end": {"line": 0, "character": 5 + len(old)}}, "text": new}
            sent = await client.did_change(decl_uri, version, [change])
            msg = await client.wait_diagnostics(use_uri, since=since, timeout=30)
            republish_s.append(msg.arrived - sent)
    finally:
        await stop_all(client)
    mbps = n_bytes / 1e6 / cold if cold else None
    mb = 1024 * 1024
    res.row("files / MB of source", f"{n_files} / {n_bytes / 1e6:.1f}")
    res.row("cold index (s)", f"{cold:.2f}")
    res.row("cold index (MB/s)", f"{mbps:.2f}" if mbps else "n/a")
    res.row(f"references p50 / p99 (ms), shared tool, {found} locations", f"{ms(p50(refs_s)):.1f} / {ms(percentile(refs_s, 99)):.1f}")
    res.row("rename p50 / p99 (ms), shared tool", f"{ms(p50(rename_s)):.1f} / {ms(percentile(rename_s, 99)):.1f}")
    res.row(f"references p50 / p99 (ms), gpt4 in one app, {app_found} locations", f"{ms(p50(app_refs_s)):.1f} / {ms(percentile(app_refs_s, 99)):.1f}")
    res.row("rename p50 / p99 (ms), gpt4 in one app", f"{ms(p50(app_rename_s)):.1f} / {ms(percentile(app_rename_s, 99)):.1f}")
    res.row("edit renaming a declaration -> dependent's diagnostics p50 / p99 (ms)", f"{ms(p50(republish_s)):.1f} / {ms(percentile(republish_s, 99)):.1f}")
    res.row("server RSS with the index built (MB)", f"{rss / mb:.1f}")
    res.target("cold index >= 2 MB/s", f"{mbps:.2f} MB/s" if mbps else None, mbps is not None and mbps >= 2)
    res.target("references p50 <= 20 ms", f"{ms(p50(refs_s)):.1f} ms", ms(p50(refs_s)) <= 20)
    res.target("rename p50 <= 20 ms", f"{ms(p50(rename_s)):.1f} ms", ms(p50(rename_s)) <= 20)
    res.target("declaration renamed -> dependents republished p50 <= 100 ms", f"{ms(p50(republish_s)):.1f} ms", ms(p50(republish_s)) <= 100)
    res.target("index RSS <= 300 MB", f"{rss / mb:.1f} MB", rss <= 300 * mb)
    if cfg.quick:
        res.notes.append("--quick: 2 copies of the corpus; figures not meaningful.")
    return res
