"""The branch director's own quarterly score per staff member (网点主任按季打分).

Imported from CSV (``staff_id,quarter,score[,note]``, UTF-8 or GB18030; ``quarter`` may
come from the command line instead) and, once the web app has a form, entered there
through ``save_scores``. Kept in ``scorecard/director_scores.json`` in the store folder,
one score per staff member and quarter (a later import replaces it), written whole under
the store's writer lock.
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

from smartcounter.kit.encoding import BinaryFileError, UndecodableFileError, detect_encoding
from smartcounter.metrics.period import PeriodError, parse_quarter
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table

SCORES_PATH = "scorecard/director_scores.json"
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


def load_scores(store: Store) -> dict[tuple[str, str], DirectorScore]:
    """Every saved score by (staff id, quarter)."""
    path = store.root / SCORES_PATH
    if not path.exists():
        return {}
    body = json.loads(path.read_text("utf-8"))
    scores = (DirectorScore.from_json(s) for s in body.get("scores", []))
    return {(s.staff_id, s.quarter): s for s in scores}


def save_scores(
    *, store: Store, scores: Sequence[DirectorScore], wait_seconds: float = 300.0
) -> tuple[int, int]:
    """Save ``scores`` over the stored ones; return (new, replaced)."""
    with store.writing("director scores", wait_seconds=wait_seconds) as tx:
        current = load_scores(store)
        new = replaced = 0
        for s in scores:
            if (s.staff_id, s.quarter) in current:
                replaced += 1
            else:
                new += 1
            current[(s.staff_id, s.quarter)] = s
        ordered = sorted(current.values(), key=lambda s: (s.quarter, s.staff_id))
        body = {"format": FORMAT, "version": 1, "scores": [s.to_json() for s in ordered]}
        tx.stage(SCORES_PATH).write_bytes(
            json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
        )
    return new, replaced


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
    *, store: Store, path: Path, quarter: str | None = None, wait_seconds: float = 300.0
) -> ScoresImport:
    """Check and save the scores of a CSV file; rows that fail are reported, not saved."""
    if quarter is not None:
        try:
            parse_quarter(quarter)
        except PeriodError as exc:
            raise ScoresFileError(str(exc)) from exc
    rows = _read_rows(path)
    known = set(read_table(store, "staff")["staff_id"].to_list())
    good: dict[tuple[str, str], DirectorScore] = {}
    rejected: list[Rejected] = []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for line, row in enumerate(rows, start=2):
        staff_id, raw_score = row.get("staff_id", ""), row.get("score", "")
        row_quarter = row.get("quarter") or quarter or ""
        if not staff_id:
            rejected.append(Rejected(line, "staff_id", staff_id, "required"))
            continue
        if staff_id not in known:
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
            staff_id, row_quarter, score, row.get("note") or None, now
        )
    new, replaced = (
        save_scores(store=store, scores=list(good.values()), wait_seconds=wait_seconds)
        if good
        else (0, 0)
    )
    return ScoresImport(read=len(rows), imported=new, updated=replaced, rejected=tuple(rejected))
