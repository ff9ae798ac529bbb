"""Advisory file locks between processes (POSIX ``flock``), released when the process dies."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class LockBusyError(RuntimeError):
    """Another process holds the lock and we were not to wait any longer."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is held by {holder}")
        self.path = path
        self.holder = holder


def _holder(fh: IO[str]) -> str:
    fh.seek(0)
    text = fh.read().strip()
    if not text:
        return "another process"
    try:
        info = json.loads(text)
        return f"pid {info.get('pid')} ({info.get('what', '')}, {info.get('since', '')})"
    except ValueError:
        return text


@contextmanager
def exclusive(
    path: Path,
    *,
    what: str,
    wait_seconds: float,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; wait up to ``wait_seconds`` for it, then refuse."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as fh:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fh)
                if time.monotonic() >= deadline:
                    raise LockBusyError(path, holder) from None
                if on_wait is not None and not told:
                    on_wait(holder)
                    told = True
                time.sleep(0.1)
        try:
            fh.seek(0)
            fh.truncate()
            since = time.strftime("%Y-%m-%d %H:%M:%S")
            fh.write(json.dumps({"pid": os.getpid(), "what": what, "since": since}))
            fh.flush()
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextmanager
def shared(path: Path) -> Iterator[None]:
    """Hold a shared lock on ``path`` (many readers at once, no writer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextmanager
def exclusive_blocking(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path``, waiting as long as it takes (short sections only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
