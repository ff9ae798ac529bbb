"""All-or-nothing changes to the store: stage files, then commit through a redo journal.

A transaction writes new Parquet files under ``staging/<txid>/``. Commit writes
``journal/<txid>.json`` (fsynced, renamed into place: the commit point) listing the files
to move into ``tables/`` and the files to delete, then applies it. Applying is idempotent,
so a process killed at any point leaves either no journal (nothing happened: the staging
folder is thrown away on the next open) or a journal that the next open finishes.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from smartcounter.kit.durable import fsync_dir, fsync_file, write_atomic

JOURNAL_DIR = "journal"
STAGING_DIR = "staging"
# Tests set this to ``<step>:<seconds>`` to hold a commit at one step long enough to
# kill the process there; see ``_pause_for_tests``.
PAUSE_ENV = "SMARTCOUNTER_TEST_PAUSE_AT"
# Flushes in flight at once: a commit of a few hundred partition files waits on the disk
# a few hundred times, which overlap well.
_FLUSH_THREADS = 8


_last_ns = 0


def new_txid() -> str:
    """A transaction id that sorts by time, to the nanosecond (two imports a second apart
    or less still list in the order they began)."""
    global _last_ns
    now = _last_ns = max(time.time_ns(), _last_ns + 1)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 1_000_000_000))
    return f"{stamp}{now % 1_000_000_000:09d}-{secrets.token_hex(4)}"


@dataclass
class Transaction:
    """Files staged for one change to the store, committed together or not at all."""

    root: Path
    txid: str = field(default_factory=new_txid)
    _adds: dict[str, str] = field(default_factory=dict)
    _removes: list[str] = field(default_factory=list)
    _files: int = 0
    committed: bool = False

    @property
    def staging(self) -> Path:
        return self.root / STAGING_DIR / self.txid

    def staged_path(self, final_relpath: str) -> Path:
        """Where the file that will appear at ``final_relpath`` is written until commit."""
        return self.root / self._adds[final_relpath]

    def stage(self, final_relpath: str) -> Path:
        """Return where to write a new file that will appear at ``final_relpath`` on commit."""
        if final_relpath in self._adds:
            raise ValueError(f"{final_relpath} is staged already")
        # One flat folder: the journal says where each file goes, and a flat folder is
        # cheaper to create and to remove than a copy of the partition tree.
        self.staging.mkdir(parents=True, exist_ok=True)
        staged = self.staging / f"{len(self._adds):06d}-{Path(final_relpath).name}"
        self._adds[final_relpath] = staged.relative_to(self.root).as_posix()
        return staged

    def unstage(self, final_relpath: str) -> None:
        """Take back a file staged earlier in this transaction."""
        staged = self._adds.pop(final_relpath)
        (self.root / staged).unlink(missing_ok=True)

    def remove(self, final_relpath: str) -> None:
        """Delete the committed file ``final_relpath`` on commit."""
        self._removes.append(final_relpath)

    def next_file_number(self) -> int:
        """A number for the next data file of this transaction (0, 1, 2, …)."""
        self._files += 1
        return self._files - 1

    @property
    def removed(self) -> list[str]:
        """The committed files this transaction deletes on commit."""
        return list(self._removes)

    @property
    def staged(self) -> list[str]:
        """The final paths of the files staged so far."""
        return list(self._adds)

    @property
    def empty(self) -> bool:
        return not self._adds and not self._removes

    def commit(self) -> None:
        """Make every staged change visible at once (or, if killed, on the next open)."""
        if self.empty:
            self.discard()
            self.committed = True
            return
        _flush_all(fsync_file, [self.root / staged for staged in self._adds.values()])
        if self._adds:
            fsync_dir(self.staging)
        _pause_for_tests("before-journal")
        adds = [(staged, final) for final, staged in self._adds.items()]
        plan = {"txid": self.txid, "add": adds, "remove": self._removes}
        # The commit point: once this file is in place, the change happens, if need be
        # on the next open after a crash.
        write_atomic(self.root / JOURNAL_DIR / f"{self.txid}.json", json.dumps(plan).encode())
        _pause_for_tests("after-journal")
        apply_journal(self.root, self.root / JOURNAL_DIR / f"{self.txid}.json")
        self.committed = True

    def discard(self) -> None:
        """Throw away everything staged."""
        shutil.rmtree(self.staging, ignore_errors=True)


def apply_journal(root: Path, journal: Path) -> None:
    """Carry out a committed journal; safe to repeat after a crash."""
    plan = json.loads(journal.read_text("utf-8"))
    touched: set[Path] = set()
    adds = plan["add"]
    for i, (staged, final) in enumerate(adds):
        if i == len(adds) // 2:
            _pause_for_tests("mid-apply")
        src, dst = root / staged, root / final
        if src.exists():
            _make_dirs(dst.parent, root, touched)
            src.replace(dst)
            touched.add(dst.parent)
    emptied: set[Path] = set()
    for final in plan["remove"]:
        path = root / final
        if path.exists():
            path.unlink()
            touched.add(path.parent)
            emptied.add(path.parent)
    _flush_all(fsync_dir, [folder for folder in touched if folder.exists()])
    journal.unlink()
    fsync_dir(journal.parent)
    shutil.rmtree(root / STAGING_DIR / plan["txid"], ignore_errors=True)
    _prune_empty_dirs(emptied, root / "tables")


def _flush_all(flush: Callable[[Path], None], paths: list[Path]) -> None:
    """Flush many files or folders at once: each waits on the disk, not on the others."""
    if len(paths) < 2:
        for path in paths:
            flush(path)
        return
    with ThreadPoolExecutor(max_workers=_FLUSH_THREADS) as pool:
        for _ in pool.map(flush, paths):
            pass


def _make_dirs(folder: Path, root: Path, touched: set[Path]) -> None:
    """Create ``folder`` and note each parent whose entries changed, to flush them."""
    missing: list[Path] = []
    while not folder.exists() and folder != root:
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        touched.add(new.parent)


def _pause_for_tests(step: str) -> None:
    """Hold the commit at ``step`` when a test asks for it (never set outside tests).

    ``SMARTCOUNTER_TEST_PAUSE_AT=<step>:<seconds>`` sleeps there; ``…_MARKER`` names a
    file written on arrival, ``…_RELEASE`` a file whose appearance ends the wait early.
    """
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted:
        return
    name, _, seconds = wanted.partition(":")
    if name != step:
        return
    marker = os.environ.get(PAUSE_ENV + "_MARKER")
    if marker:
        Path(marker).write_text(step, "utf-8")
    release = os.environ.get(PAUSE_ENV + "_RELEASE")
    deadline = time.monotonic() + float(seconds or "60")
    while time.monotonic() < deadline:
        if release and Path(release).exists():
            return
        time.sleep(0.05)


def _prune_empty_dirs(folders: set[Path], top: Path) -> None:
    """Remove partition folders that the change left empty (and parents emptied so)."""
    for folder in sorted(folders, key=lambda p: -len(p.parts)):
        path = folder
        while path != top and top in path.parents and path.exists() and not any(path.iterdir()):
            path.rmdir()
            path = path.parent


def pending_journals(root: Path) -> list[Path]:
    """Committed journals not yet carried out (only after a crash, or during a commit)."""
    journal_dir = root / JOURNAL_DIR
    if not journal_dir.exists():
        return []
    return sorted(journal_dir.glob("*.json"))


def finish_journals(root: Path) -> int:
    """Carry out every committed journal (hold the commit lock); return how many."""
    journals = pending_journals(root)
    for journal in journals:
        apply_journal(root, journal)
    return len(journals)


def recover(root: Path) -> int:
    """Finish committed journals and drop uncommitted staging; return journals finished."""
    finished = finish_journals(root)
    staging = root / STAGING_DIR
    if staging.exists():
        for leftover in staging.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)
    journal_dir = root / JOURNAL_DIR
    if journal_dir.exists():
        # Half-written journals (killed before their rename) never committed anything.
        for partial in journal_dir.glob(".*.tmp-*"):
            partial.unlink(missing_ok=True)
    return finished
