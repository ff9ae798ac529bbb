"""Property tests of the parsers: whatever a valid value looks like, it reads back as itself.

Seeded (derandomised), so a run is the same every time.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcounter.canonical.catalogue import FALSE_WORDS, TRUE_WORDS, load_catalogue
from smartcounter.canonical.tables import BRANCHES as BRANCHES_TABLE
from smartcounter.canonical.tables import BUSINESS_TYPES, TRANSACTIONS
from smartcounter.i18n import Lang
from smartcounter.ingest.rules import Known, check_batch, parse_timestamps
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.ingest.sources import REC
from tests.ingest.ingest_kit import BRANCHES, GOOD_TXN, TXN_HEADER

SHANGHAI = "Asia/Shanghai"
FAST = settings(max_examples=200, deadline=None, derandomize=True)
FEWER = settings(max_examples=40, deadline=None, derandomize=True)
SLOW = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KNOWN = Known(frozenset({"B001"}), frozenset(load_catalogue()), SHANGHAI, 8)


def _text_frame(
    table_columns: tuple[str, ...], column: str, values: list[str | None]
) -> pl.DataFrame:
    """A raw batch: ``values`` in ``column``, every other column empty."""
    data: dict[str, list[str | None]] = {c: [None] * len(values) for c in table_columns}
    data[column] = values
    frame = pl.DataFrame(data, schema=dict.fromkeys(table_columns, pl.String))
    return frame.with_columns(pl.int_range(2, len(values) + 2, dtype=pl.Int64).alias(REC))


def _typed(table_columns: tuple[str, ...], column: str, text: str) -> object:
    """The typed value of one text in ``column`` of the transactions table, or a reject."""
    row = {**GOOD_TXN, column: text}
    frame = pl.DataFrame(
        {c: [row[c] or None] for c in table_columns}, schema=dict.fromkeys(table_columns, pl.String)
    ).with_columns(pl.lit(2, dtype=pl.Int64).alias(REC))
    checked = check_batch(TRANSACTIONS, frame, KNOWN)
    if checked.rejects.height:
        return ("rejected", checked.rejects.get_column("kind")[0])
    return checked.good.get_column(column)[0]


moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60)


class TestTimestampParser:
    @FAST
    @given(
        moment=moments,
        separator=st.sampled_from([" ", "T"]),
        digits=st.integers(min_value=0, max_value=6),
        offset=st.one_of(st.none(), offsets),
        zulu=st.booleans(),
        colon=st.booleans(),
    )
    def test_every_valid_spelling_reads_as_its_local_time(
        self,
        moment: datetime,
        separator: str,
        digits: int,
        offset: int | None,
        zulu: bool,
        colon: bool,
    ) -> None:
        moment = moment.replace(
            microsecond=moment.microsecond // 10 ** (6 - digits) * 10 ** (6 - digits)
        )
        text = moment.strftime(f"%Y-%m-%d{separator}%H:%M:%S")
        if digits:
            text += "." + f"{moment.microsecond:06d}"[:digits]
        expected = moment
        if offset is not None:
            if offset == 0 and zulu:
                text += "Z"
            else:
                sign = "-" if offset < 0 else "+"
                hours, minutes = divmod(abs(offset), 60)
                text += f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}"
            utc = moment - timedelta(minutes=offset)
            expected = (
                utc.replace(tzinfo=ZoneInfo("UTC"))
                .astimezone(ZoneInfo(SHANGHAI))
                .replace(tzinfo=None)
            )
        parsed = parse_timestamps(pl.Series([text]), SHANGHAI).to_list()
        assert parsed == [expected], text

    @FAST
    @given(
        year=st.integers(min_value=1971, max_value=2099),
        month=st.integers(min_value=1, max_value=12),
        day=st.integers(min_value=29, max_value=35),
    )
    def test_days_past_the_end_of_the_month_are_no_time(
        self, year: int, month: int, day: int
    ) -> None:
        last = (datetime(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        text = f"{year:04d}-{month:02d}-{day:02d} 10:00:00"
        parsed = parse_timestamps(pl.Series([text]), SHANGHAI).to_list()
        if day <= last:
            assert parsed == [datetime(year, month, day, 10)]
        else:
            assert parsed == [None]

    @FAST
    @given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz:/-. ", min_size=1, max_size=25))
    def test_words_are_no_time(self, text: str) -> None:
        assert parse_timestamps(pl.Series([text]), SHANGHAI).to_list() == [None]

    @FEWER
    @given(st.lists(st.one_of(moments, st.none()), min_size=1, max_size=40))
    def test_a_batch_reads_like_its_values_one_by_one(self, values: list[datetime | None]) -> None:
        texts = [v.strftime("%Y-%m-%d %H:%M:%S") if v else None for v in values]
        texts[len(texts) // 2] = "2018-03-05T01:00:00Z" if texts[len(texts) // 2] else None
        whole = parse_timestamps(pl.Series(texts, dtype=pl.String), SHANGHAI).to_list()
        singly = [parse_timestamps(pl.Series([t], dtype=pl.String), SHANGHAI)[0] for t in texts]
        assert whole == singly


class TestNumberParsers:
    @FAST
    @given(
        value=st.integers(min_value=-(2**62), max_value=2**62),
        spelling=st.sampled_from(["{}", " {} ", "{}.0", "{}.000"]),
    )
    def test_whole_numbers(self, value: int, spelling: str) -> None:
        frame = _text_frame(BRANCHES_TABLE.column_names, "staff_count", [spelling.format(value)])
        frame = frame.with_columns(
            pl.lit("B1").alias("branch_id"),
            pl.lit("一").alias("name"),
            pl.lit("urban").alias("branch_type"),
        )
        checked = check_batch(BRANCHES_TABLE, frame, KNOWN)
        if value >= 1:
            assert checked.good.get_column("staff_count").to_list() == [value]
        else:
            assert checked.rejects.get_column("kind").to_list() == ["reject.minimum"]

    @FAST
    @given(st.decimals(min_value=-(10**9), max_value=10**9, places=2).filter(lambda d: d % 1 != 0))
    def test_fractions_are_no_whole_numbers(self, value: object) -> None:
        frame = _text_frame(BRANCHES_TABLE.column_names, "staff_count", [str(value)])
        frame = frame.with_columns(
            pl.lit("B1").alias("branch_id"),
            pl.lit("一").alias("name"),
            pl.lit("urban").alias("branch_type"),
        )
        checked = check_batch(BRANCHES_TABLE, frame, KNOWN)
        assert checked.rejects.get_column("kind").to_list() == ["reject.integer"]

    @FEWER
    @given(st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False))
    def test_numbers_read_back_exactly(self, value: float) -> None:
        for text in (repr(value), f"{value:e}", f"{value:.17g}"):
            assert _typed(TRANSACTIONS.column_names, "duration_s", text) == float(text)

    @FAST
    @given(st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False))
    def test_negative_durations_are_rejected(self, value: float) -> None:
        assert _typed(TRANSACTIONS.column_names, "duration_s", repr(value)) == (
            "rejected",
            "reject.minimum",
        )

    @FAST
    @given(st.text(alphabet="abcxyz!,;_ ", min_size=1, max_size=10).filter(lambda t: t.strip()))
    def test_words_are_no_numbers(self, text: str) -> None:
        assert _typed(TRANSACTIONS.column_names, "duration_s", text) == (
            "rejected",
            "reject.number",
        )


class TestBooleanParser:
    @FAST
    @given(
        word=st.sampled_from(sorted(TRUE_WORDS | FALSE_WORDS)),
        upper=st.lists(st.booleans(), min_size=5, max_size=5),
    )
    def test_any_case(self, word: str, upper: list[bool]) -> None:
        spelled = "".join(c.upper() if u else c for c, u in zip(word, upper, strict=False))
        spelled += word[len(upper) :]
        frame = _text_frame(BUSINESS_TYPES.column_names, "migratable", [spelled]).with_columns(
            pl.lit("c").alias("code"), pl.lit("名").alias("name_zh")
        )
        checked = check_batch(BUSINESS_TYPES, frame, KNOWN)
        assert checked.good.get_column("migratable").to_list() == [word in TRUE_WORDS]

    @FAST
    @given(
        st.text(min_size=1, max_size=6).filter(
            lambda t: t.strip().lower() not in TRUE_WORDS | FALSE_WORDS and t.strip()
        )
    )
    def test_other_words_are_rejected(self, word: str) -> None:
        frame = _text_frame(BUSINESS_TYPES.column_names, "migratable", [word]).with_columns(
            pl.lit("c").alias("code"), pl.lit("名").alias("name_zh")
        )
        checked = check_batch(BUSINESS_TYPES, frame, KNOWN)
        assert checked.rejects.get_column("kind").to_list() == ["reject.boolean"]


# Text as banks' exports hold it: any letters, digits, punctuation and spaces, with the
# characters CSV must quote (commas, quotes, line breaks).
cell_text = st.lists(
    st.one_of(
        st.characters(categories=["L", "N", "P", "S", "Zs"]),
        st.sampled_from([",", '"', "\n", "\r\n", "\t", " ", "中", "，"]),
    ),
    max_size=12,
).map("".join)


class TestCsvRoundTrip:
    @SLOW
    @given(
        values=st.lists(cell_text, min_size=1, max_size=12),
        bad_at=st.integers(min_value=0, max_value=11),
        encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
        quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
        terminator=st.sampled_from(["\n", "\r\n"]),
    )
    def test_values_and_lines_survive_quoting_and_encoding(
        self,
        tmp_path_factory: pytest.TempPathFactory,
        values: list[str],
        bad_at: int,
        encoding: str,
        quoting: Literal[0, 1],
        terminator: str,
    ) -> None:
        bad_at %= len(values)
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, quoting=quoting, lineterminator=terminator)
        header = TXN_HEADER.strip().split(",")
        writer.writerow(header)
        starts: list[int] = []
        for i, value in enumerate(values):
            starts.append(buffer.tell())
            row = {**GOOD_TXN, "txn_id": f"T{i}", "customer_id": value}
            if i == bad_at:
                row["channel"] = "bus"
            writer.writerow([row[c] for c in header])
        text = buffer.getvalue()
        bad_line = text[: starts[bad_at]].count("\n") + 1

        folder = tmp_path_factory.mktemp("export")
        (folder / "branches.csv").write_text(BRANCHES, encoding="utf-8")
        (folder / "transactions.csv").write_bytes(text.encode(encoding))
        store = tmp_path_factory.mktemp("store")
        report = ingest_paths(
            store / "s",
            [folder],
            timezone=SHANGHAI,
            catalogue=load_catalogue(),
            options=IngestOptions(lang=Lang.EN),
        )
        counts = next(f for f in report.files if f.table == "transactions")
        assert (counts.read, counts.rejected) == (len(values), 1)
        files = sorted((store / "s" / "tables" / "transactions").rglob("*.parquet"))
        got = {}
        if files:
            rows = pl.concat([pl.read_parquet(f, hive_partitioning=False) for f in files])
            got = dict(zip(rows["txn_id"].to_list(), rows["customer_id"].to_list(), strict=True))
        expected = {f"T{i}": (v.strip() or None) for i, v in enumerate(values) if i != bad_at}
        assert got == expected
        assert report.rejects_path is not None
        with Path(report.rejects_path).open(encoding="utf-8", newline="") as fh:
            (reject,) = list(csv.DictReader(fh))
        assert int(reject["line"]) == bad_line
