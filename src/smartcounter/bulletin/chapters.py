"""What every format shares about the bulletin's structure: chapters, anchors, cells."""

from __future__ import annotations

from dataclasses import dataclass

from smartcounter.bulletin.content import BulletinContent
from smartcounter.bulletin.formats import Formats
from smartcounter.bulletin.sections import Cell, CellKind


@dataclass(frozen=True)
class Chapter:
    """An entry of the table of contents: anchor, number and title."""

    anchor: str
    number: int
    title: str


def branch_anchor(branch_id: str) -> str:
    """The HTML id of a branch's page."""
    return "b-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in branch_id)


def cell_text(value: Cell, kind: CellKind, f: Formats) -> str:
    """A section-table cell as text in the bulletin's formats."""
    if value is None:
        return ""
    if kind is CellKind.RATE and isinstance(value, int | float):
        return f.pct(float(value))
    if kind is CellKind.POINTS and isinstance(value, int | float):
        return f.signed(float(value))
    if kind is CellKind.COUNT and isinstance(value, int | float):
        return f.count(int(value))
    if kind is CellKind.DECIMAL and isinstance(value, int | float):
        return f.decimal(float(value))
    return str(value)


def outline(content: BulletinContent, f: Formats) -> list[Chapter]:
    """The chapters in order, numbered: the extra sections after the benchmarks."""
    t = f.t
    keys = [("headline", t("bulletin.title.headline")), ("rankings", t("bulletin.title.rankings"))]
    keys.append(("benchmarks", t("bulletin.title.benchmarks")))
    keys += [(f"x-{s.key}", s.title) for s in content.sections]
    keys += [
        ("unmigrated", t("bulletin.title.unmigrated")),
        ("triage", t("bulletin.title.triage")),
        ("trend", t("bulletin.title.trend", weeks=len(content.trend_weeks))),
        ("branches", t("bulletin.title.branches")),
        ("method", t("bulletin.title.method")),
    ]
    return [Chapter(anchor, i + 1, title) for i, (anchor, title) in enumerate(keys)]
