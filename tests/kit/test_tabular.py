"""The CSV and JSON that every command prints for scripts."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest

from smartcounter.kit.tabular import write_csv, write_json

COLUMNS = ["text", "count", "flag", "missing", "nan", "inf", "rate", "day", "at", "big", "neg0"]
ROW = (
    "B1",
    3,
    True,
    None,
    float("nan"),
    float("-inf"),
    0.7989130434782609,
    date(2018, 3, 5),
    datetime(2018, 3, 5, 9, 30),
    2**70,
    -0.0,
)


def test_csv_writes_each_kind_of_value_as_scripts_read_it() -> None:
    out = io.StringIO()
    write_csv(COLUMNS, [ROW, ("a,b", 0, False, "", 1e-05, 1.0, 0.0, None, None, -1, 1e16)], out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == COLUMNS
    assert rows[1] == [
        "B1",
        "3",
        "True",
        "",
        "",  # not a number: undefined
        "",
        "0.7989130434782609",  # the shortest text that reads back as the same double
        "2018-03-05",
        "2018-03-05T09:30:00",
        "1180591620717411303424",
        "-0.0",
    ]
    assert rows[2] == ["a,b", "0", "False", "", "1e-05", "1.0", "0.0", "", "", "-1", "1e+16"]
    assert float(rows[1][6]) == ROW[6]
    assert out.getvalue().count("\n") == 3 and "\r" not in out.getvalue()


def test_json_gives_null_for_undefined_and_iso_dates() -> None:
    out = io.StringIO()
    write_json(COLUMNS, [ROW], out)
    (body,) = json.loads(out.getvalue())
    assert body["missing"] is None and body["nan"] is None and body["inf"] is None
    assert body["rate"] == ROW[6] and body["count"] == 3 and body["flag"] is True
    assert body["day"] == "2018-03-05" and body["at"] == "2018-03-05T09:30:00"


def _cell_by_cell(columns: list[str], rows: list[tuple[object, ...]]) -> str:
    """The CSV as written one converted cell at a time (the long way of ``write_csv``)."""
    from smartcounter.kit.tabular import _csv_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return out.getvalue()


@pytest.mark.parametrize(
    "last",
    [
        ("B9", 1, 0.25, None, date(2018, 1, 1)),  # all plain: written as they are
        ("B9", 1, float("nan"), None, date(2018, 1, 1)),  # one NaN, in the last row
        ("B9", 1, float("inf"), None, date(2018, 1, 1)),
        ("B9", 1, 1e308, None, date(2018, 1, 1)),  # finite, but the column's sum overflows
        ("B9", 1, 0.5, float("nan"), date(2018, 1, 1)),  # NaN among the Nones
        ("B9", 1, 0.5, None, datetime(2018, 1, 1, 8)),  # a time: ISO with a T
        ("B9", 10**400, 0.5, None, date(2018, 1, 1)),
        ("B9", 1, "0.5", None, date(2018, 1, 1)),  # text among the numbers
    ],
)
def test_csv_of_whole_columns_equals_cell_by_cell(last: tuple[object, ...]) -> None:
    columns = ["branch_id", "n", "rate", "maybe", "day"]
    rows = [("B1", 3, 1e308, None, date(2018, 3, 5)), ("B2", 0, 0.0, 0.5, None), last]
    out = io.StringIO()
    write_csv(columns, rows, out)
    assert out.getvalue() == _cell_by_cell(columns, rows)
    written = list(csv.reader(io.StringIO(out.getvalue())))
    assert "nan" not in written[3] and "inf" not in written[3]


def test_csv_of_ragged_rows_converts_every_cell() -> None:
    out = io.StringIO()
    write_csv(["a", "b"], [(1.5,), (2.5, float("nan"))], out)
    assert out.getvalue() == "a,b\n1.5\n2.5,\n"


def test_csv_of_a_vast_integer_beside_zeros() -> None:
    """A column whose floats are all zeros sums to an integer, however large."""
    rows = [(10**400,), (0.0,), (None,)]
    out = io.StringIO()
    write_csv(["n"], rows, out)
    assert out.getvalue() == _cell_by_cell(["n"], rows)


def test_csv_of_rows_given_one_at_a_time() -> None:
    out = io.StringIO()
    write_csv(["a", "b"], iter([("x", 1.5), ("y", 2.5)]), out)  # type: ignore[arg-type]
    assert out.getvalue() == "a,b\nx,1.5\ny,2.5\n"
