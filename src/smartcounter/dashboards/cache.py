"""Views kept between requests in the store folder (``dashboards/cache/``), while the data and
the settings they were made from are unchanged.

The programme's benchmarks and pairs, and a quarter's staff figures, read every branch over
weeks: seconds on a province's network, for figures that change only when data comes in.
So the first page after an import works them out and the others read them back. Kept in
the store folder rather than in memory, every worker of the web app (and every restart)
shares them. A kept view whose stamp differs from the store's is made again.

Each process also keeps the views it last read or made in memory, under the same stamp:
a page reads them without parsing and checking the file again, and views that a file
cannot hold (the week's status board, with its frames) are kept there only. Forty
branch dashboards on a Monday morning then judge the network once per worker, not once
per page (measured: about a quarter of a branch page's time was the status board and
another sixth reading the staff figures' file back).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

from pydantic import TypeAdapter, ValidationError

from smartcounter.kit.recent import Recent
from smartcounter.programme.repository import pairs_stamp
from smartcounter.settings import Settings
from smartcounter.store.layout import Store

FOLDER = "dashboards/cache"
T = TypeVar("T")
# Views kept in this process: (cache folder, name) -> (stamp, view).
MEMORY_VIEWS = 64
_memory: Recent[tuple[str, str], tuple[str, object]] = Recent(MEMORY_VIEWS)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def data_stamp(store: Store) -> str:
    """What the store's data is now: its imports (each commit adds one) and its saved pairs.

    The folder's modification time, not its listing: years of daily closes make a long list.
    """
    return f"{_mtime(store.root / 'imports')}:{pairs_stamp(store)}"


def settings_stamp(settings: Settings) -> str:
    """A digest of the settings a view depends on (targets, rules, weights, catalogue)."""
    body = {
        "bulletin": settings.bulletin.model_dump(mode="json"),
        "programme": settings.programme.model_dump(mode="json"),
        "scorecard": settings.scorecard.model_dump(mode="json"),
        "catalogue": str(settings.catalogue or ""),
        "engine": settings.engine,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()[:16]


class ViewCache:
    """Views of one store and settings, by name."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.folder = store.root / FOLDER
        self.stamp = f"{data_stamp(store)}:{settings_stamp(settings)}"

    def get(self, name: str, adapter: TypeAdapter[T], build: Callable[[], T]) -> T:
        """The view called ``name``: read back if kept for this stamp, else built and kept.

        Callers share the view with other requests: they read it, never change it."""
        kept = self._recall(name)
        if kept is not None:
            return cast(T, kept)
        path = self.folder / f"{name}.json"
        try:
            body = json.loads(path.read_bytes())
            if body.get("stamp") == self.stamp:
                view = adapter.validate_python(body["view"])
                self._remember(name, view)
                return view
        except (OSError, ValueError, ValidationError):
            pass  # missing, half-written by a crash, or of an older shape: make it again
        view = build()
        body = {"stamp": self.stamp, "view": adapter.dump_python(view, mode="json")}
        # A read-only store still shows its dashboards, only slower.
        with contextlib.suppress(OSError):
            _replace(path, json.dumps(body, ensure_ascii=False).encode("utf-8"))
        self._remember(name, view)
        return view

    def in_memory(self, name: str, build: Callable[[], T]) -> T:
        """The view called ``name`` kept in this process only, made once per stamp (two
        requests at once may both make it; either answer is the same)."""
        kept = self._recall(name)
        if kept is not None:
            return cast(T, kept)
        view = build()
        self._remember(name, view)
        return view

    def _recall(self, name: str) -> object | None:
        kept = _memory.get((str(self.folder), name))
        return kept[1] if kept is not None and kept[0] == self.stamp else None

    def _remember(self, name: str, view: object) -> None:
        folder = str(self.folder)
        # Views of this store made before its data or settings changed are never read
        # again: let them go now rather than when 64 newer ones push them out.
        _memory.put(
            (folder, name),
            (self.stamp, view),
            drop=lambda key, kept: key[0] == folder and kept[0] != self.stamp,
        )


def _replace(path: Path, data: bytes) -> None:
    """Replace ``path`` whole; a temporary name of its own, as two requests may write at once.

    Not synced to disk: a view lost in a crash is only made again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
