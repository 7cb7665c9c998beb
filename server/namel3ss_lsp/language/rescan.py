"""Re-scanning a file after an edit: only the chunks around the change are scanned again.

The pre-pass (`scan.scan`) walks every bracket, quote and newline of the file: on a 5,000-line
file it costs more than parsing the one chunk a keystroke touched. `analyze(text)` gets no edit,
so the last few scans are remembered and the new text is compared with them (common prefix and
suffix, found with a few C-level comparisons). The scan is then restarted at the start of the last
chunk whose first line lies before the change, and stopped at the first old chunk start past the
change; the chunks in between come from the new scan, the others from the old one (shifted).

That is exact because the scan's state at a chunk start is always the same (no bracket open) and
from there it reads only forward; the scan that reached a chunk start had read at most up to the
end of that chunk's first line. `tests/language/test_incremental.py` checks it against full scans.
"""

from __future__ import annotations

import threading
from bisect import bisect_left

from namel3ss_lsp.language.scan import Chunk, ScanResult, scan, scan_from

_RECENT_TEXTS = 6  # previous versions remembered (several documents may be edited in turn)
_RECENT_CHARS = 8_000_000  # and no more text than this in all (each holds its masked copy too)
_recent: list[tuple[str, ScanResult]] = []  # most recent last
_lock = threading.Lock()


def clear() -> None:
    with _lock:
        _recent.clear()


def common_prefix(a: str, b: str) -> int:
    """Length of the common prefix: galloping then bisecting, each step one C comparison."""
    n = min(len(a), len(b))
    lo, step = 0, 256
    while lo < n:
        hi = min(n, lo + step)
        if a.startswith(b[lo:hi], lo):
            lo, step = hi, step * 2
            continue
        while hi - lo > 1:  # a[:lo] == b[:lo] and a[:hi] != b[:hi]
            mid = (lo + hi) // 2
            if a.startswith(b[lo:mid], lo):
                lo = mid
            else:
                hi = mid
        return lo
    return lo


def common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the common suffix, at most `limit`."""
    la, lb = len(a), len(b)
    lo, step = 0, 256
    while lo < limit:
        hi = min(limit, lo + step)
        if a.endswith(b[lb - hi : lb - lo], 0, la - lo):
            lo, step = hi, step * 2
            continue
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if a.endswith(b[lb - mid : lb - lo], 0, la - lo):
                lo = mid
            else:
                hi = mid
        return lo
    return lo


def _shift(chunk: Chunk, delta: int) -> Chunk:
    unclosed = None if chunk.unclosed is None else chunk.unclosed + delta
    return Chunk(chunk.start + delta, chunk.end + delta, chunk.kind, unclosed)


def _splice(text: str, old_text: str, old: ScanResult, prefix: int, suffix: int) -> ScanResult:
    starts = [c.start for c in old.chunks]
    # Restart at the last old chunk whose first line (and its newline) is untouched.
    j = bisect_left(starts, prefix) - 1
    while j >= 0:
        nl = old_text.find("\n", starts[j])
        if nl != -1 and nl < prefix:
            break
        j -= 1
    restart = starts[j] if j >= 0 else 0
    j = max(j, 0)
    delta = len(text) - len(old_text)
    # Old chunk starts whose text onwards is unchanged, in the new text's offsets.
    first = bisect_left(starts, len(old_text) - suffix)
    stops = {starts[k] + delta: k for k in range(first, len(starts))}
    mid, stopped = scan_from(text, restart, stops, len(text) - suffix)
    chunks = old.chunks[:j] + mid.chunks
    errors = [e for e in old.errors if e[0] < restart] + mid.errors
    blocks = [b for b in old.blocks if b[0] < restart] + mid.blocks
    if stopped is None:
        masked = text if old.masked is old_text and not blocks else old.masked[:restart] + mid.masked
    else:
        k = stops[stopped]
        old_at = starts[k]
        chunks += [_shift(c, delta) for c in old.chunks[k:]] if delta else old.chunks[k:]
        errors += [(s + delta, e + delta, msg) for s, e, msg in old.errors if s >= old_at]
        blocks += [(s + delta, e + delta) for s, e in old.blocks if s >= old_at]
        if old.masked is old_text and not blocks:
            masked = text  # nothing masked anywhere: the masked text is the text itself
        else:
            masked = old.masked[:restart] + mid.masked + old.masked[old_at:]
    return ScanResult(masked, chunks, errors, blocks)


def rescan(text: str) -> ScanResult:
    """`scan(text)`, reusing the scan of a recent similar text when there is one."""
    with _lock:
        recent = list(_recent)
    best = None  # (changed, old_text, old_result, prefix, suffix)
    for old_text, old in reversed(recent):
        if old_text == text:
            best = (0, old_text, old, len(text), 0)
            break
        prefix = common_prefix(text, old_text)
        suffix = common_suffix(text, old_text, min(len(text), len(old_text)) - prefix)
        changed = len(text) - prefix - suffix
        if best is None or changed < best[0]:
            best = (changed, old_text, old, prefix, suffix)
        if changed < 65536:
            break  # close enough: no need to compare with older versions
    if best is None or best[0] > len(text) // 2:
        result = scan(text)
    elif best[0] == 0 and len(best[1]) == len(text):
        result = best[2]  # the same text again (results are never modified)
    else:
        result = _splice(text, best[1], best[2], best[3], best[4])
    _remember(text, result)
    return result


def _remember(text: str, result: ScanResult) -> None:
    with _lock:
        for i, (old_text, _) in enumerate(_recent):
            if old_text is text:
                del _recent[i]
                break
        _recent.append((text, result))
        total = sum(len(t) for t, _ in _recent)
        while len(_recent) > _RECENT_TEXTS or (len(_recent) > 1 and total > _RECENT_CHARS):
            total -= len(_recent.pop(0)[0])
