"""Building big acyclic results without paying the cyclic garbage collector for them.

A 10 MB file is millions of nodes. Built with the collector running, they set off full passes
that cost more than building them; and anything built after them (an outline of 23,000 symbols)
counts towards the next full pass, which then walks every node of the tree again (0.5 s of the
0.96 s the outline and folding of a 10 MB file took). What we build has no reference cycles:
reference counting frees it, so the collector may skip it.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

# Objects made in one go above which they go straight to the oldest generation.
YOUNG_LIMIT = 20_000


@contextmanager
def building() -> Iterator[None]:
    """Pause the cyclic collector while building, then move what was built straight to the oldest
    generation (freeze + unfreeze): the young collections do not walk it twice more, and it does
    not count towards the next full pass (only objects promoted by a collection do).
    Never when objects are frozen on purpose (the language server freezes its analyses)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_count()[0] > YOUNG_LIMIT and gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
