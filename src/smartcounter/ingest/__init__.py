"""Import canonical CSV files (and in-memory frames) into the store: ``service.py``.

An import allocates and frees large column buffers all the time (a batch parsed, checked,
split by partition, encoded). Polars sets its allocator (jemalloc) to hand freed pages
back to the system after half a second, and the next batches then pay for fresh zeroed
pages: a sixth to a third of an import's CPU went to the kernel. Loaded before Polars —
as ``smartcounter ingest`` loads it — this package asks for two seconds instead: pages
are reused while batches stream, and given back soon after. Measured: with five seconds
an import of 3M rows took 4.3–4.8 s of CPU instead of 5.4 (in the kernel 1.0 s instead of
1.75), but 19.5M rows peaked at 1.92 GB; with two seconds 1.60–1.95 GB (the higher on a
quiet machine, where the import runs fastest), against 1.54–1.67 GB before. Polars
appends a setting of the user's own after its defaults, so the user's wins
(``_RJEM_MALLOC_CONF=dirty_decay_ms:500`` restores Polars' own); a process that loaded
Polars already is left as it is.
"""

from __future__ import annotations

import os
import sys

if "polars" not in sys.modules:
    os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:2000")
