"""Periods of the metrics: ISO weeks (``2018-W10``), date ranges, quarters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from smartcounter.i18n import Lang, translate

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


class PeriodError(ValueError):
    """A week, date or quarter that cannot be read; ``key`` and ``params`` name the message.

    ``str()`` is the English message; the command line and the web pages show
    ``translate(key, lang, **params)`` in the user's language.
    """

    def __init__(self, key: str, **params: object) -> None:
        self.key = f"period.{key}"
        self.params = params
        super().__init__(translate(self.key, Lang.EN, **params))


def parse_week(text: str) -> tuple[int, int]:
    """Read ``2018-W10`` as (2018, 10); raise PeriodError if it is not an ISO week."""
    match = _WEEK.match(text.strip())
    if not match:
        raise PeriodError("not_a_week", text=text)
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise PeriodError("no_such_week", year=year, week=week) from exc
    return year, week


def week_of(day: date) -> str:
    """The ISO week of ``day`` as ``YYYY-Www``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str) -> date:
    """Monday of ``week``."""
    year, number = parse_week(week)
    return date.fromisocalendar(year, number, 1)


def week_end(week: str) -> date:
    """Sunday of ``week``."""
    return week_start(week) + timedelta(days=6)


def shift_week(week: str, weeks: int) -> str:
    """The week ``weeks`` later (negative: earlier)."""
    return week_of(week_start(week) + timedelta(weeks=weeks))


def weeks_back(week: str, count: int) -> list[str]:
    """``count`` weeks ending with ``week``, oldest first."""
    return [shift_week(week, -i) for i in range(count - 1, -1, -1)]


def weeks_between(start: date, end: date) -> list[str]:
    """Every ISO week that holds a day from ``start`` to ``end`` inclusive."""
    if end < start:
        return []
    first = start - timedelta(days=start.weekday())
    out = []
    monday = first
    while monday <= end:
        out.append(week_of(monday))
        monday += timedelta(weeks=1)
    return out


def quarter_of_day(day: date) -> str:
    """The calendar quarter of ``day`` as ``2018-Q1``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def week_thursday(week: str) -> date:
    """The Thursday of ``week``: the month, quarter and year an ISO week belongs to."""
    return week_start(week) + timedelta(days=3)


def quarter_of_week(week: str) -> str:
    """The calendar quarter ``week`` belongs to (its Thursday's)."""
    return quarter_of_day(week_thursday(week))


def parse_quarter(text: str) -> tuple[date, date]:
    """Read ``2018-Q1`` as its first and last day."""
    match = _QUARTER.match(text.strip())
    if not match:
        raise PeriodError("not_a_quarter", text=text)
    year, q = int(match.group(1)), int(match.group(2))
    if not 1 <= year <= 9998:
        raise PeriodError("no_such_quarter", text=text)
    first = date(year, 3 * q - 2, 1)
    last = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return first, last - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """Which rows a figure covers: given weeks, and/or an inclusive range of local dates."""

    weeks: tuple[str, ...] | None = None
    start: date | None = None
    end: date | None = None

    @classmethod
    def week(cls, week: str) -> Period:
        parse_week(week)
        return cls(weeks=(week,))

    @classmethod
    def of_weeks(cls, weeks: list[str] | tuple[str, ...]) -> Period:
        for w in weeks:
            parse_week(w)
        return cls(weeks=tuple(weeks))

    @classmethod
    def dates(cls, start: date, end: date) -> Period:
        return cls(start=start, end=end)

    @classmethod
    def quarter(cls, text: str) -> Period:
        first, last = parse_quarter(text)
        return cls(start=first, end=last)

    @property
    def everything(self) -> bool:
        return self.weeks is None and self.start is None and self.end is None

    def files_weeks(self) -> list[str] | None:
        """The week partitions to read, or None for all."""
        if self.weeks is not None:
            return sorted(set(self.weeks))
        if self.start is not None and self.end is not None:
            return weeks_between(self.start, self.end)
        return None

    def sql_filter(self, alias: str) -> str:
        """A WHERE condition on the stored ``week`` and ``day`` columns of ``alias``."""
        parts = []
        if self.weeks is not None:
            listed = ", ".join(f"'{w}'" for w in sorted(set(self.weeks)))
            parts.append(f"{alias}.week IN ({listed})" if listed else "1 = 0")
        if self.start is not None:
            parts.append(f"{alias}.day >= DATE '{self.start.isoformat()}'")
        if self.end is not None:
            parts.append(f"{alias}.day <= DATE '{self.end.isoformat()}'")
        return " AND ".join(parts) if parts else "1 = 1"
