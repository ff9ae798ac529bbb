"""The saved pairs: ``programme/pairs.json`` in the store folder.

A pair lives from its start week until the centre ends it (its end week is the last week
it covers). Every change reads, changes and rewrites the file under the store's writer
lock, staged in a store transaction, so that it is replaced whole or not at all and two
changes never interleave.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from smartcounter.programme.pairing import Why
from smartcounter.store.journal import Transaction
from smartcounter.store.layout import Store

PAIRS_PATH = "programme/pairs.json"
FORMAT = "smartcounter-pairs"
VERSION = 1


class ProgrammeError(Exception):
    """A programme request that cannot be carried out; the message says why."""


class PairExistsError(ProgrammeError):
    """The lagging branch already has an active pair in that week."""


class PairNotFoundError(ProgrammeError):
    """No active pair matches."""


@dataclass(frozen=True)
class PairCreate:
    """A new pair to save."""

    branch_id: str
    partner_branch_id: str
    start_week: str
    similarity: float
    baseline_rate: float | None
    baseline_partner_rate: float | None
    why: tuple[Why, ...]


@dataclass(frozen=True)
class SavedPair:
    """A pair as saved: who helps whom, since when, until when, and why."""

    pair_id: int
    branch_id: str
    partner_branch_id: str
    start_week: str
    end_week: str | None
    similarity: float
    baseline_rate: float | None
    baseline_partner_rate: float | None
    why: tuple[Why, ...]
    created_at: str
    note: str | None = None

    def active_in(self, week: str) -> bool:
        """True when the pair covers ``week`` (ISO week strings sort by time)."""
        return self.start_week <= week and (self.end_week is None or week <= self.end_week)

    @property
    def baseline_gap(self) -> float | None:
        """Partner's rate minus the lagging branch's when the pair was made."""
        if self.baseline_rate is None or self.baseline_partner_rate is None:
            return None
        return self.baseline_partner_rate - self.baseline_rate

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "pair_id": self.pair_id,
            "branch_id": self.branch_id,
            "partner_branch_id": self.partner_branch_id,
            "start_week": self.start_week,
            "end_week": self.end_week,
            "similarity": self.similarity,
            "baseline_rate": self.baseline_rate,
            "baseline_partner_rate": self.baseline_partner_rate,
            "why": [w.to_json() for w in self.why],
            "created_at": self.created_at,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> SavedPair:
        """Read back from ``to_json``."""
        return cls(
            pair_id=int(body["pair_id"]),
            branch_id=str(body["branch_id"]),
            partner_branch_id=str(body["partner_branch_id"]),
            start_week=str(body["start_week"]),
            end_week=body.get("end_week"),
            similarity=float(body.get("similarity") or 0.0),
            baseline_rate=body.get("baseline_rate"),
            baseline_partner_rate=body.get("baseline_partner_rate"),
            why=tuple(Why.from_json(w) for w in body.get("why") or ()),
            created_at=str(body.get("created_at") or ""),
            note=body.get("note"),
        )


def load_pairs(store: Store) -> list[SavedPair]:
    """Every saved pair, ended ones included, by id."""
    path = store.root / PAIRS_PATH
    if not path.exists():
        return []
    body = json.loads(path.read_text("utf-8"))
    if body.get("format") != FORMAT:
        raise ProgrammeError(f"{path}: not a pairs file")
    return sorted((SavedPair.from_json(p) for p in body.get("pairs", [])), key=lambda p: p.pair_id)


def active_pairs(store: Store, week: str) -> list[SavedPair]:
    """The pairs that cover ``week``."""
    return [p for p in load_pairs(store) if p.active_in(week)]


def _stage(tx: Transaction, pairs: Sequence[SavedPair]) -> None:
    body = {"format": FORMAT, "version": VERSION, "pairs": [p.to_json() for p in pairs]}
    tx.stage(PAIRS_PATH).write_bytes(json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"))


def add_pairs(
    *, store: Store, pairs_in: Sequence[PairCreate], wait_seconds: float = 300.0
) -> list[SavedPair]:
    """Save new pairs; refuse all if a lagging branch already has an active pair then."""
    with store.writing("programme pairs", wait_seconds=wait_seconds) as tx:
        current = load_pairs(store)
        next_id = max((p.pair_id for p in current), default=0) + 1
        now = datetime.now(UTC).isoformat(timespec="seconds")
        added: list[SavedPair] = []
        for item in pairs_in:
            clash = [
                p
                for p in [*current, *added]
                if p.branch_id == item.branch_id
                and (p.active_in(item.start_week) or p.start_week > item.start_week)
            ]
            if clash:
                raise PairExistsError(
                    f"{item.branch_id}: pair {clash[0].pair_id} since {clash[0].start_week}"
                )
            added.append(
                SavedPair(
                    pair_id=next_id,
                    branch_id=item.branch_id,
                    partner_branch_id=item.partner_branch_id,
                    start_week=item.start_week,
                    end_week=None,
                    similarity=item.similarity,
                    baseline_rate=item.baseline_rate,
                    baseline_partner_rate=item.baseline_partner_rate,
                    why=item.why,
                    created_at=now,
                )
            )
            next_id += 1
        if added:
            _stage(tx, [*current, *added])
    return added


def end_pair(
    *,
    store: Store,
    week: str,
    pair_id: int | None = None,
    branch_id: str | None = None,
    note: str | None = None,
    wait_seconds: float = 300.0,
) -> SavedPair:
    """End the active pair ``pair_id`` (or the lagging branch ``branch_id``'s) with ``week``."""
    with store.writing("programme pairs", wait_seconds=wait_seconds) as tx:
        current = load_pairs(store)
        match = [
            p
            for p in current
            if p.end_week is None
            and (p.pair_id == pair_id if pair_id is not None else p.branch_id == branch_id)
        ]
        if not match:
            raise PairNotFoundError(str(pair_id if pair_id is not None else branch_id))
        target = match[0]
        if week < target.start_week:
            raise ProgrammeError(
                f"pair {target.pair_id} starts in {target.start_week}, after {week}"
            )
        ended = replace(target, end_week=week, note=note)
        pairs = [ended if p.pair_id == target.pair_id else p for p in current]
        _stage(tx, pairs)
    return ended
