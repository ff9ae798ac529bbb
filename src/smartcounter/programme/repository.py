"""The saved pairs (结对子), in the service's database (table ``programme_pairs``).

A pair lives from its start week until the centre ends it (its end week is the last week
it covers). Saving and ending a pair add its rows and an audit entry to the caller's
session: nothing here commits, so the pair and the entry that records it are committed
together or not at all. Earlier versions kept the pairs in ``programme/pairs.json`` in the
store folder; ``import_legacy_pairs`` brings that file in, with the same ids.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from smartcounter.accounts import audit
from smartcounter.accounts.roles import Actor
from smartcounter.lobby.database import is_sqlite, table_of
from smartcounter.programme.models import ProgrammePair
from smartcounter.programme.pairing import Why
from smartcounter.store.layout import Store
from smartcounter.store_database import reading, retire_on_commit

PAIRS_PATH = "programme/pairs.json"  # where earlier versions kept the pairs
FORMAT = "smartcounter-pairs"
VERSION = 1


class ProgrammeError(Exception):
    """A programme request that cannot be carried out; the message says why.

    ``key`` and ``params``: the same in the user's language (``programme.cli.…``), where
    the command line should not print the English message.
    """

    def __init__(self, message: str, key: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


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


def _iso(at: datetime) -> str:
    """A naive UTC time as the pairs have always shown it (``2018-03-06T02:00:00+00:00``)."""
    return at.replace(tzinfo=UTC).isoformat(timespec="seconds")


def _saved(row: ProgrammePair) -> SavedPair:
    return SavedPair(
        pair_id=row.pair_id,
        branch_id=row.branch_id,
        partner_branch_id=row.partner_branch_id,
        start_week=row.start_week,
        end_week=row.end_week,
        similarity=row.similarity,
        baseline_rate=row.baseline_rate,
        baseline_partner_rate=row.baseline_partner_rate,
        why=tuple(Why.from_json(w) for w in row.why),
        created_at=_iso(row.created_at),
        note=row.note,
    )


def _row(pair: SavedPair, created_at: datetime) -> ProgrammePair:
    return ProgrammePair(
        pair_id=pair.pair_id,
        branch_id=pair.branch_id,
        partner_branch_id=pair.partner_branch_id,
        start_week=pair.start_week,
        end_week=pair.end_week,
        similarity=pair.similarity,
        baseline_rate=pair.baseline_rate,
        baseline_partner_rate=pair.baseline_partner_rate,
        why=[w.to_json() for w in pair.why],
        created_at=created_at,
        note=pair.note,
    )


def _all(session: Session) -> list[SavedPair]:
    rows = session.scalars(sa.select(ProgrammePair).order_by(ProgrammePair.pair_id))
    return [_saved(r) for r in rows]


def load_pairs(source: Session | Store) -> list[SavedPair]:
    """Every saved pair, ended ones included, by id (from a session, or the store's database)."""
    if isinstance(source, Session):
        return _all(source)
    with reading(source) as session:
        return [] if session is None else _all(session)


def active_pairs(source: Session | Store, week: str) -> list[SavedPair]:
    """The pairs that cover ``week``."""
    return [p for p in load_pairs(source) if p.active_in(week)]


def pairs_stamp(store: Store) -> str:
    """What the saved pairs are now, in a few characters: it changes with every save and end.

    Pairs are only added and ended (once), never deleted: how many there are, how many
    ended and the highest id tell every state apart.
    """
    with reading(store) as session:
        if session is None:
            return "0"
        total, ended, last = session.execute(
            sa.select(
                sa.func.count(),
                sa.func.count(ProgrammePair.end_week),
                sa.func.max(ProgrammePair.pair_id),
            )
        ).one()
    return f"{total}.{ended}.{last or 0}"


def _lock(session: Session) -> None:
    """Let one change of the pairs at a time read them and write (its transaction long).

    On SQLite the write transaction holds the database's only write lock already. On
    PostgreSQL two transactions could both find a branch unpaired and both pair it (the
    open-pair index would then refuse the second with an integrity error, not in words).
    """
    if not is_sqlite(session.connection()):
        name = table_of(ProgrammePair).name
        session.execute(sa.text(f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE"))


def _bring_in_legacy(session: Session, store: Store) -> None:
    # Before any change: a change into the empty table would stop the old file's import.
    imported = import_legacy_pairs(session, store)
    if imported is not None:
        retire_on_commit(session, imported)


def add_pairs(
    *,
    session: Session,
    store: Store,
    pairs_in: Sequence[PairCreate],
    actor: Actor,
    now: datetime,
) -> list[SavedPair]:
    """Save new pairs with an audit entry each; refuse all if a branch is paired then.

    ``now`` is naive UTC, as the database keeps time. Nothing is committed.
    """
    _bring_in_legacy(session, store)
    _lock(session)
    current = _all(session)
    next_id = max((p.pair_id for p in current), default=0) + 1
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
                created_at=_iso(now),
            )
        )
        next_id += 1
    session.add_all(_row(p, now) for p in added)
    session.flush()
    for p in added:
        audit.record(
            session,
            actor=actor,
            action="programme.pair_saved",
            at=now,
            branch_id=p.branch_id,
            target=str(p.pair_id),
            detail={
                "partner_branch_id": p.partner_branch_id,
                "start_week": p.start_week,
                "similarity": p.similarity,
            },
        )
    return added


def end_pair(
    *,
    session: Session,
    store: Store,
    week: str,
    actor: Actor,
    now: datetime,
    pair_id: int | None = None,
    branch_id: str | None = None,
    note: str | None = None,
) -> SavedPair:
    """End the active pair ``pair_id`` (or the lagging branch ``branch_id``'s) with ``week``."""
    _bring_in_legacy(session, store)
    _lock(session)
    query = sa.select(ProgrammePair).where(ProgrammePair.end_week.is_(None))
    if pair_id is not None:
        query = query.where(ProgrammePair.pair_id == pair_id)
    else:
        query = query.where(ProgrammePair.branch_id == branch_id)
    target = session.scalars(query.order_by(ProgrammePair.pair_id)).first()
    if target is None:
        raise PairNotFoundError(str(pair_id if pair_id is not None else branch_id))
    if week < target.start_week:
        raise ProgrammeError(
            f"pair {target.pair_id} starts in {target.start_week}, after {week}",
            "programme.cli.end_before_start",
            pair=target.pair_id,
            start=target.start_week,
            week=week,
        )
    target.end_week = week
    target.note = note
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="programme.pair_ended",
        at=now,
        branch_id=target.branch_id,
        target=str(target.pair_id),
        detail={
            "partner_branch_id": target.partner_branch_id,
            "end_week": week,
            "note": note,
        },
    )
    return _saved(target)


def import_legacy_pairs(session: Session, store: Store) -> Path | None:
    """Import ``programme/pairs.json`` if the store has it and no pair is saved yet.

    Same ids and fields; returns the file, for the caller to retire once this commits,
    or None when there was nothing to import.
    """
    path = store.root / PAIRS_PATH
    if not path.exists():
        return None
    _lock(session)
    if session.scalar(sa.select(ProgrammePair.pair_id).limit(1)) is not None:
        return None  # never on top of pairs saved since
    body = json.loads(path.read_text("utf-8"))
    if body.get("format") != FORMAT:
        raise ProgrammeError(f"{path}: not a pairs file")
    # A time the old file may lack: when it was last written, at the latest.
    written = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    for item in body.get("pairs", []):
        pair = SavedPair.from_json(item)
        session.add(_row(pair, _naive_utc(pair.created_at) or written))
    session.flush()
    return path


def _naive_utc(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
