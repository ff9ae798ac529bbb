"""The branch director's own quarterly score per staff member (网点主任按季打分).

Imported from CSV (``staff_id,quarter,score[,note]``, UTF-8 or GB18030; ``quarter`` may
come from the command line instead) or entered on the branch dashboard, through
``save_scores``. Kept in the service's database (table ``director_scores``), one score per
staff member and quarter (a later import replaces it), in the caller's transaction with
the audit entries that record it: nothing here commits. Earlier versions kept the scores
in ``scorecard/director_scores.json`` in the store folder; ``import_legacy_scores`` brings
that file in.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smartcounter.accounts import audit
from smartcounter.accounts.roles import Actor
from smartcounter.kit.encoding import BinaryFileError, UndecodableFileError, detect_encoding
from smartcounter.metrics.period import PeriodError, parse_quarter
from smartcounter.scorecard.models import StaffDirectorScore
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table
from smartcounter.store_database import reading, retire_on_commit

SCORES_PATH = "scorecard/director_scores.json"  # where earlier versions kept the scores
FORMAT = "smartcounter-director-scores"
REQUIRED = ("staff_id", "score")


class ScoresFileError(ValueError):
    """A scores file that cannot be used at all; nothing is imported."""


@dataclass(frozen=True)
class DirectorScore:
    """One staff member's director score for one quarter (0–100)."""

    staff_id: str
    quarter: str
    score: float
    note: str | None = None
    entered_at: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "staff_id": self.staff_id,
            "quarter": self.quarter,
            "score": self.score,
            "note": self.note,
            "entered_at": self.entered_at,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> DirectorScore:
        """Read back from ``to_json``."""
        return cls(
            str(body["staff_id"]),
            str(body["quarter"]),
            float(body["score"]),
            body.get("note"),
            str(body.get("entered_at") or ""),
        )


@dataclass(frozen=True)
class Rejected:
    """A row of the scores file that was not imported, and why."""

    line: int  # the header is line 1
    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class ScoresImport:
    """What an import of director scores did."""

    read: int
    imported: int
    updated: int
    rejected: tuple[Rejected, ...]


def _all_scores(session: Session) -> list[DirectorScore]:
    t = StaffDirectorScore
    return [
        DirectorScore(r.staff_id, r.quarter, r.score, r.note, _iso(r.entered_at))
        for r in session.scalars(sa.select(t).order_by(t.quarter, t.staff_id))
    ]


def load_scores(source: Session | Store) -> dict[tuple[str, str], DirectorScore]:
    """Every saved score by (staff id, quarter), from a session or the store's database."""
    if isinstance(source, Session):
        found = _all_scores(source)
    else:
        with reading(source) as session:
            found = [] if session is None else _all_scores(session)
    return {(s.staff_id, s.quarter): s for s in found}


def _saved_keys(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """The scores saved already under ``keys`` (staff id, quarter)."""
    if not keys:
        return {}
    t = StaffDirectorScore
    rows = session.execute(
        sa.select(t.staff_id, t.quarter, t.score).where(
            t.quarter.in_({q for _s, q in keys}), t.staff_id.in_({s for s, _q in keys})
        )
    )
    return {(r.staff_id, r.quarter): r.score for r in rows if (r.staff_id, r.quarter) in keys}


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, replacing a staff member's score of the same quarter.

    One statement that cannot fail on a key another transaction just inserted, unlike a
    look-up followed by an insert.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(StaffDirectorScore)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[StaffDirectorScore.staff_id, StaffDirectorScore.quarter],
            set_={
                "score": statement.excluded.score,
                "note": statement.excluded.note,
                "entered_at": statement.excluded.entered_at,
            },
        ),
        rows,
    )


def save_scores(
    *, session: Session, store: Store, scores: Sequence[DirectorScore]
) -> tuple[int, int]:
    """Save ``scores`` over the stored ones; return (new, replaced). Nothing is committed.

    ``store``: the store whose old JSON file of scores, if still there, is imported first.
    """
    imported = import_legacy_scores(session, store)
    if imported is not None:
        retire_on_commit(session, imported)
    if not scores:
        return 0, 0
    before = _saved_keys(session, {(s.staff_id, s.quarter) for s in scores})
    _upsert(
        session,
        [
            {
                "staff_id": s.staff_id,
                "quarter": s.quarter,
                "score": s.score,
                "note": s.note,
                "entered_at": _entered_at(s),
            }
            for s in scores
        ],
    )
    replaced = sum(1 for s in scores if (s.staff_id, s.quarter) in before)
    return len(scores) - replaced, replaced


def import_legacy_scores(session: Session, store: Store) -> Path | None:
    """Import ``scorecard/director_scores.json`` if the store has it and no score is saved yet.

    Returns the file, for the caller to retire once this commits, or None.
    """
    path = store.root / SCORES_PATH
    if not path.exists():
        return None
    if session.scalar(sa.select(StaffDirectorScore.staff_id).limit(1)) is not None:
        return None  # never on top of scores entered since
    body = json.loads(path.read_text("utf-8"))
    if body.get("format") != FORMAT:
        raise ScoresFileError(f"{path}: not a director scores file")
    # A time the old file may lack: when it was last written, at the latest.
    written = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    scores = [DirectorScore.from_json(s) for s in body.get("scores", [])]
    if scores:
        _upsert(
            session,
            [
                {
                    "staff_id": s.staff_id,
                    "quarter": s.quarter,
                    "score": s.score,
                    "note": s.note,
                    "entered_at": _naive_utc(s.entered_at) or written,
                }
                for s in scores
            ],
        )
    return path


def _entered_at(score: DirectorScore) -> datetime:
    at = _naive_utc(score.entered_at)
    if at is None:
        raise ValueError(f"{score.staff_id}: entered_at {score.entered_at!r} is not an ISO time")
    return at


def _iso(at: datetime) -> str:
    return at.replace(tzinfo=UTC).isoformat(timespec="seconds")


def _naive_utc(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def _read_rows(path: Path) -> list[dict[str, str]]:
    try:
        detected = detect_encoding(path)
    except (BinaryFileError, UndecodableFileError) as exc:
        raise ScoresFileError(str(exc)) from exc
    except OSError as exc:
        raise ScoresFileError(f"{path}: {exc}") from exc
    text = path.read_bytes().decode(detected.encoding)
    if detected.bom:
        text = text.lstrip("\ufeff")
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ScoresFileError(f"{path}: missing column {', '.join(missing)}")
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def import_scores(
    *,
    session: Session,
    store: Store,
    path: Path,
    actor: Actor,
    now: datetime,
    quarter: str | None = None,
) -> ScoresImport:
    """Check and save the scores of a CSV file, each with an audit entry; nothing is committed.

    Rows that fail are reported, not saved. ``now`` is naive UTC, as the database keeps time.
    """
    if quarter is not None:
        try:
            parse_quarter(quarter)
        except PeriodError as exc:
            raise ScoresFileError(str(exc)) from exc
    rows = _read_rows(path)
    staff = read_table(store, "staff")
    branch_of = dict(zip(staff["staff_id"].to_list(), staff["branch_id"].to_list(), strict=True))
    good: dict[tuple[str, str], DirectorScore] = {}
    rejected: list[Rejected] = []
    entered_at = _iso(now)
    for line, row in enumerate(rows, start=2):
        staff_id, raw_score = row.get("staff_id", ""), row.get("score", "")
        row_quarter = row.get("quarter") or quarter or ""
        if not staff_id:
            rejected.append(Rejected(line, "staff_id", staff_id, "required"))
            continue
        if staff_id not in branch_of:
            rejected.append(Rejected(line, "staff_id", staff_id, "unknown_staff"))
            continue
        try:
            parse_quarter(row_quarter)
        except PeriodError:
            rejected.append(Rejected(line, "quarter", row_quarter, "quarter"))
            continue
        try:
            score = float(raw_score)
        except ValueError:
            rejected.append(Rejected(line, "score", raw_score, "number"))
            continue
        if not math.isfinite(score) or not 0 <= score <= 100:
            rejected.append(Rejected(line, "score", raw_score, "range"))
            continue
        if (staff_id, row_quarter) in good:
            rejected.append(Rejected(line, "staff_id", staff_id, "duplicate"))
            continue
        good[(staff_id, row_quarter)] = DirectorScore(
            staff_id, row_quarter, score, row.get("note") or None, entered_at
        )
    previous = _saved_keys(session, set(good))
    new, replaced = save_scores(session=session, store=store, scores=list(good.values()))
    for key, s in good.items():
        audit.record(
            session,
            actor=actor,
            action="scorecard.director_score",
            at=now,
            branch_id=branch_of[s.staff_id],
            target=s.staff_id,
            detail={
                "quarter": s.quarter,
                "score": s.score,
                "previous": previous.get(key),
                "note": s.note,
                "file": path.name,
            },
        )
    return ScoresImport(read=len(rows), imported=new, updated=replaced, rejected=tuple(rejected))
