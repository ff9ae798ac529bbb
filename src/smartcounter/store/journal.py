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
from dataclasses import dataclass, field
from pathlib import Path

from smartcounter.kit.durable import fsync_dir, fsync_file, write_atomic

JOURNAL_DIR = "journal"
STAGING_DIR = "staging"


def new_txid() -> str:
    """A transaction id that sorts by time."""
    return time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)


@dataclass
class Transaction:
    """Files staged for one change to the store, committed together or not at all."""

    root: Path
    txid: str = field(default_factory=new_txid)
    _adds: list[tuple[str, str]] = field(default_factory=list)
    _removes: list[str] = field(default_factory=list)
    committed: bool = False

    @property
    def staging(self) -> Path:
        return self.root / STAGING_DIR / self.txid

    def stage(self, final_relpath: str) -> Path:
        """Return where to write a new file that will appear at ``final_relpath`` on commit."""
        staged = self.staging / final_relpath
        staged.parent.mkdir(parents=True, exist_ok=True)
        self._adds.append((staged.relative_to(self.root).as_posix(), final_relpath))
        return staged

    def remove(self, final_relpath: str) -> None:
        """Delete the committed file ``final_relpath`` on commit."""
        self._removes.append(final_relpath)

    @property
    def empty(self) -> bool:
        return not self._adds and not self._removes

    def commit(self) -> None:
        """Make every staged change visible at once (or, if killed, on the next open)."""
        if self.empty:
            self.discard()
            self.committed = True
            return
        for staged, _ in self._adds:
            fsync_file(self.root / staged)
        plan = {"txid": self.txid, "add": self._adds, "remove": self._removes}
        write_atomic(self.root / JOURNAL_DIR / f"{self.txid}.json", json.dumps(plan).encode())
        apply_journal(self.root, self.root / JOURNAL_DIR / f"{self.txid}.json")
        self.committed = True

    def discard(self) -> None:
        """Throw away everything staged."""
        shutil.rmtree(self.staging, ignore_errors=True)


def apply_journal(root: Path, journal: Path) -> None:
    """Carry out a committed journal; safe to repeat after a crash."""
    plan = json.loads(journal.read_text("utf-8"))
    touched: set[Path] = set()
    for staged, final in plan["add"]:
        src, dst = root / staged, root / final
        if src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            touched.add(dst.parent)
    for final in plan["remove"]:
        path = root / final
        if path.exists():
            path.unlink()
            touched.add(path.parent)
    for folder in touched:
        fsync_dir(folder)
    journal.unlink()
    fsync_dir(journal.parent)
    shutil.rmtree(root / STAGING_DIR / plan["txid"], ignore_errors=True)
    _prune_empty_dirs(root / "tables")


def _prune_empty_dirs(top: Path) -> None:
    if not top.exists():
        return
    for dirpath, _dirnames, filenames in os.walk(top, topdown=False):
        path = Path(dirpath)
        if path != top and not filenames and not any(path.iterdir()):
            path.rmdir()


def recover(root: Path) -> int:
    """Finish committed journals and drop uncommitted staging; return journals finished."""
    finished = 0
    journal_dir = root / JOURNAL_DIR
    if journal_dir.exists():
        for journal in sorted(journal_dir.glob("*.json")):
            apply_journal(root, journal)
            finished += 1
    staging = root / STAGING_DIR
    if staging.exists():
        for leftover in staging.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)
    return finished
