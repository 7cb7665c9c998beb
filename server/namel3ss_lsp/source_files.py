"""Reading `.ai` files from disk: the workspace index, `namel3ss-lsp check` and `format`.

A workspace is untrusted, and a cloned repository can hold `app.ai` as a symlink to `/dev/zero`
(reading it never ends and fills memory), to `/dev/stdin` (the language server's stdin is the
protocol's pipe) or to a FIFO (reading blocks for ever). Only regular files are read, and at most
`limit` bytes of them. The file is opened without blocking and checked on the open descriptor, so a
file swapped for something else between a directory listing and the read is refused as well.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_BLOCK = 1 << 20


def read_source(path: Path | str, limit: int | None = None) -> bytes:
    """The bytes of a regular file. Raises OSError, whose `strerror` says why in a few words, for a
    file that cannot be opened, is not a regular file (device, FIFO, socket), or is over `limit`."""
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a device, FIFO or socket is never read)", str(path))
        if limit is not None and info.st_size > limit:
            raise OSError(errno.EFBIG, f"{info.st_size} bytes, more than {limit}", str(path))
        chunks: list[bytes] = []
        total = 0
        while block := os.read(fd, _BLOCK):
            total += len(block)
            if limit is not None and total > limit:  # it grew while being read
                raise OSError(errno.EFBIG, f"more than {limit} bytes", str(path))
            chunks.append(block)
        return b"".join(chunks)
    finally:
        os.close(fd)
