"""How the bulletin writes numbers, changes and dates in each language."""

from __future__ import annotations

import datetime as dt

from smartcounter.i18n import Lang, Translator
from smartcounter.metrics.period import quarter_of_day

DASH = "—"
EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class Formats:
    """Number, percentage, change and date formats of one language."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.t = Translator(lang)

    def pct(self, value: float | None, digits: int = 1) -> str:
        """A fraction as a percentage (0.9385 → 93.9%); a dash when undefined."""
        if value is None:
            return DASH
        return f"{value * 100:.{digits}f}%"

    def points(self, value: float | None, digits: int = 1) -> str:
        """A signed change in percentage points, with its unit (+1.2 pp, +1.2个百分点)."""
        if value is None:
            return DASH
        return self.t("bulletin.fmt.points", value=self.signed(value, digits))

    def signed(self, value: float | None, digits: int = 1) -> str:
        """A signed number without unit (+1.2, -0.4, 0.0)."""
        if value is None:
            return DASH
        text = f"{value:+.{digits}f}"
        # A change that rounds to zero is written without a sign: "-0.0" reads as a fall.
        return text[1:] if float(text) == 0 else text

    def count(self, value: int | None) -> str:
        """A whole number with thousands separators."""
        return DASH if value is None else f"{value:,}"

    def decimal(self, value: float | None, digits: int = 1) -> str:
        """A number with ``digits`` decimals and thousands separators."""
        return DASH if value is None else f"{value:,.{digits}f}"

    def rank_change(self, places: int | None) -> str:
        """Places gained (▲2) or lost (▼1) in a ranking since last week; — without a rank."""
        if places is None:
            return "—"
        if places == 0:
            return "0"
        return f"▲{places}" if places > 0 else f"▼{-places}"

    def interval(self, low: float | None, high: float | None) -> str:
        """A 95 % interval of two fractions (91.2–95.7%)."""
        if low is None or high is None:
            return DASH
        return f"{low * 100:.1f}–{high * 100:.1f}%"

    def date(self, day: dt.date) -> str:
        """A date in words (2018年3月5日, 5 March 2018)."""
        if self.lang is Lang.EN:
            return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"
        return f"{day.year}年{day.month}月{day.day}日"

    def month(self, day: dt.date) -> str:
        """The month of ``day`` (2018年3月, March 2018)."""
        if self.lang is Lang.EN:
            return f"{EN_MONTHS[day.month - 1]} {day.year}"
        return f"{day.year}年{day.month}月"

    def quarter(self, day: dt.date) -> str:
        """The quarter of ``day`` (2018年一季度, Q1 2018)."""
        q = int(quarter_of_day(day)[-1])
        if self.lang is Lang.EN:
            return f"Q{q} {day.year}"
        return f"{day.year}年{'一二三四'[q - 1]}季度"

    def date_range(self, first: dt.date, last: dt.date) -> str:
        """A range of dates within one year (3月5日—11日, 5–11 March 2018)."""
        if self.lang is Lang.EN:
            if first.month == last.month:
                return f"{first.day}–{last.day} {EN_MONTHS[last.month - 1]} {last.year}"
            return (
                f"{first.day} {EN_MONTHS[first.month - 1]} – "
                f"{last.day} {EN_MONTHS[last.month - 1]} {last.year}"
            )
        tail = f"{last.day}日" if first.month == last.month else f"{last.month}月{last.day}日"
        return f"{first.year}年{first.month}月{first.day}日—{tail}"

    def week(self, week: str) -> str:
        """An ISO week in words (2018年第10周, week 10 of 2018)."""
        year, number = week.split("-W")
        return self.t("bulletin.fmt.week", year=year, week=int(number))

    def week_short(self, week: str) -> str:
        """An ISO week for a chart axis (第10周, W10)."""
        return self.t("bulletin.fmt.week_short", week=int(week.split("-W")[1]))

    def moment(self, when: dt.datetime) -> str:
        """A date and time of day (2018年3月12日 09:30, 12 March 2018, 09:30)."""
        return self.t(
            "bulletin.fmt.moment", date=self.date(when.date()), time=when.strftime("%H:%M")
        )


def in_sentence(label: str, lang: Lang) -> str:
    """A label as it reads inside an English sentence ("Transfer" -> "transfer"; "SMS" stays)."""
    if lang is Lang.EN and len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def capital(text: str) -> str:
    """``text`` with a capital first letter (for headings and column titles)."""
    return text[:1].upper() + text[1:]
