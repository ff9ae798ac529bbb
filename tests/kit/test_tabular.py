"""The CSV and JSON that every command prints for scripts."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

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
