"""The scorecards as an Excel workbook: one sheet of scorecards, one of each role's weights."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from smartcounter.i18n import Translator
from smartcounter.kit.durable import write_atomic
from smartcounter.scorecard.roles import ROLES
from smartcounter.settings import ScorecardWeights

PERCENT_FORMAT = "0.0%"
SCORE_FORMAT = "0.0"


def write_workbook(
    path: Path,
    *,
    columns: Sequence[str],
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    percent: frozenset[str],
    scores: frozenset[str],
    weights: ScorecardWeights,
    quarter: str,
    t: Translator,
) -> None:
    """Write the scorecard ``rows`` and the ``weights`` to ``path`` (replaced whole)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("scorecard.xlsx.sheet", quarter=quarter)[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([None if v is None else v for v in row])
    for index, name in enumerate(columns, start=1):
        letter = get_column_letter(index)
        fmt = PERCENT_FORMAT if name in percent else SCORE_FORMAT if name in scores else None
        if fmt is not None:
            for cell in sheet[letter][1:]:
                cell.number_format = fmt
        sheet.column_dimensions[letter].width = max(10, min(28, len(str(headers[index - 1])) + 4))
    sheet.freeze_panes = "E2"
    rules = book.create_sheet(t("scorecard.xlsx.weights_sheet")[:31])
    rules.append(
        [
            t("scorecard.xlsx.role"),
            t("scorecard.xlsx.part"),
            t("scorecard.xlsx.weight"),
            t("scorecard.xlsx.rule"),
        ]
    )
    for cell in rules[1]:
        cell.font = Font(bold=True)
    for role in ROLES:
        for part, weight in weights.of(role).items():
            rules.append(
                [
                    t(f"lobby.role.{role}"),
                    t(f"scorecard.part.{part}"),
                    weight,
                    t(f"scorecard.rule.{part}"),
                ]
            )
    rules.append([])
    rules.append([t("scorecard.rule.missing_parts")])
    rules.append([t("scorecard.rule.own_parts")])
    rules.column_dimensions["A"].width = 16
    rules.column_dimensions["B"].width = 22
    rules.column_dimensions["C"].width = 10
    rules.column_dimensions["D"].width = 100
    buffer = BytesIO()
    book.save(buffer)
    write_atomic(path, buffer.getvalue())
