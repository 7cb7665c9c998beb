"""Indexing a hostile workspace: undecodable bytes, binary and Illustrator files, a file over the
size limit, a symlink loop, a dangling link, `.ai` links to /dev/zero and to the server's own stdin,
a FIFO, and a folder of 100,000 other files. Each bad file is skipped and logged; indexing ends
and the server answers (reading /dev/zero never ended and filled memory; a FIFO blocked for ever;
stdin is the protocol's pipe)."""

from __future__ import annotations

import os
from pathlib import Path

from lsprotocol import types

from .harness import VSCODE, fast_settings, wait_until
from .test_workspace import _indexed


def _hostile(root: Path) -> None:
    (root / "good.ai").write_text('tool "good_tool" {\n    description: "fine"\n}\n')
    (root / "latin1.ai").write_bytes('tool caf\xe9 {\n}\n'.encode("latin-1"))
    (root / "binary.ai").write_bytes(b"tool x {\x00\x01\x02}\n")
    (root / "illustrator.ai").write_bytes(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 1000)
    (root / "huge.ai").write_text('tool t {\n    description: "' + "x" * 10_000_000 + '"\n}\n')
    (root / "loop").mkdir()
    os.symlink(root, root / "loop" / "back", target_is_directory=True)  # a cycle if followed
    os.symlink(root / "nowhere.ai", root / "dangling.ai")  # unreadable
    os.symlink("/dev/zero", root / "zero.ai")  # endless
    os.symlink("/proc/self/fd/0", root / "stdin.ai")  # the server's own stdin: the client's messages
    os.mkfifo(root / "fifo.ai")  # no writer: a plain read blocks for ever
    many = root / "many"
    many.mkdir()
    for i in range(100_000):
        (many / f"f{i}.txt").touch()


async def test_hostile_workspace_is_indexed_and_logged(lsp, tmp_path):
    root = tmp_path / "hostile"
    root.mkdir()
    _hostile(root)
    client = await lsp(VSCODE, init=fast_settings(), root=root)
    await _indexed(client, 9)  # the nine .ai names; only good.ai gets into the index
    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    assert [s.name for s in symbols] == ["good_tool"]
    await wait_until(lambda: len([m for m in client.log_messages if "index: skipped" in m.message]) >= 8, 10, what="skip logs")
    logs = "\n".join(m.message for m in client.log_messages)
    for reason in ("not UTF-8", "binary content", "Adobe Illustrator", "more than", "No such file"):
        assert reason in logs, (reason, logs[-2000:])
    for name in ("zero.ai", "stdin.ai", "fifo.ai"):
        assert any(name in m.message and "not a regular file" in m.message for m in client.log_messages), (name, logs[-2000:])
    # The server still answers requests.
    uri = (root / "open.ai").as_uri()
    client.open(uri, 'agent a {\n    tools: [good_tool]\n}\n')
    latest = await client.wait_diagnostics(uri)
    assert list(latest.diagnostics) == []
