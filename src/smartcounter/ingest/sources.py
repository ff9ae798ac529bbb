"""Find the canonical files among the paths given, and read each as batches of text.

Every value is read as text here; ``rules`` types and checks it. Each row keeps its
record number (the header is record 1, blank lines are not records) so that a rejected
row can be named by its line; ``LineMap`` turns record numbers into physical lines.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from smartcounter.canonical.tables import TABLES, Table
from smartcounter.kit.background import prefetch
from smartcounter.kit.encoding import (
    BinaryFileError,
    Detected,
    UndecodableFileError,
    detect_encoding,
    transcode_to_utf8,
)

REC = "_rec"
# Larger blocks cost less per row to check, but the parser holds several blocks ahead.
BLOCK_SIZE = 8 << 20
REC_DTYPE = pl.Int64


class UnusableFileError(Exception):
    """A file that cannot be imported at all; carries a message key and its parameters."""

    def __init__(self, path: Path, key: str, **params: object) -> None:
        super().__init__(f"{path}: {key} {params}")
        self.path = path
        self.key = key
        self.params = params


@dataclass(frozen=True)
class SourceFile:
    """A file to import and the canonical table it holds."""

    path: Path
    table: Table


@dataclass(frozen=True)
class Discovery:
    """What the paths hold: the files to import and those left alone."""

    files: list[SourceFile]
    ignored: list[Path]


def table_for(path: Path) -> Table | None:
    """The table a file name stands for: ``transactions.csv``, ``transactions-2018W10.csv`` …"""
    stem = path.stem.lower()
    for table in sorted(TABLES, key=lambda t: -len(t.name)):
        if stem == table.name or stem.startswith(
            (f"{table.name}-", f"{table.name}_", f"{table.name}.")
        ):
            return table
    return None


def discover(paths: Sequence[Path]) -> Discovery:
    """List the canonical files in ``paths`` (folders or files), in import order."""
    found: list[SourceFile] = []
    ignored: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path, table: Table) -> None:
        # The same file named twice (a folder and a file in it) is read once.
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.append(SourceFile(path, table))

    for path in paths:
        if not path.exists():
            raise UnusableFileError(path, "unusable.missing_path")
        if path.is_dir():
            in_dir = 0
            for child in sorted(path.iterdir()):
                if not child.is_file() or child.name.startswith("."):
                    continue
                table = table_for(child) if child.suffix.lower() == ".csv" else None
                if table is None:
                    ignored.append(child)
                else:
                    add(child, table)
                    in_dir += 1
            if in_dir == 0:
                raise UnusableFileError(path, "unusable.empty_folder")
        else:
            table = table_for(path)
            if table is None:
                raise UnusableFileError(path, "unusable.unknown_table")
            add(path, table)
    order = {t.name: i for i, t in enumerate(TABLES)}
    found.sort(key=lambda s: order[s.table.name])
    return Discovery(found, ignored)


@dataclass
class OpenedFile:
    """A checked file: its encoding, header and where its UTF-8 text is on disk."""

    source: SourceFile
    detected: Detected
    utf8_path: Path
    header: list[str]
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def present(self) -> list[str]:
        return [c for c in self.source.table.column_names if c in self.header]

    @property
    def reader_names(self) -> list[str]:
        """Unique names for every field of the header (unknown ones get placeholders)."""
        known = set(self.source.table.column_names)
        return [h if h in known else f"_extra{i}" for i, h in enumerate(self.header)]


def _normalise_name(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower()


def open_file(source: SourceFile, scratch: Path) -> OpenedFile:
    """Detect the encoding, read and check the header; raise UnusableFileError if unusable."""
    path = source.path
    if path.stat().st_size == 0:
        raise UnusableFileError(path, "unusable.empty_file")
    try:
        detected = detect_encoding(path)
    except BinaryFileError as exc:
        key = "unusable.utf16" if exc.utf16 else "unusable.binary"
        raise UnusableFileError(path, key) from exc
    except UndecodableFileError as exc:
        raise UnusableFileError(path, "unusable.undecodable", offset=exc.offset) from exc
    utf8_path = path
    if detected.encoding != "utf-8":
        scratch.mkdir(parents=True, exist_ok=True)
        target = scratch / f"{len(list(scratch.iterdir())):04d}-{path.name}"
        utf8_path = transcode_to_utf8(path, detected.encoding, target)
    with utf8_path.open("r", encoding="utf-8-sig", newline="") as fh:
        try:
            first = next(csv.reader(fh), [])
        except csv.Error as exc:
            raise UnusableFileError(path, "unusable.not_csv", detail=str(exc)) from exc
    header = [_normalise_name(h) for h in first]
    if not any(header):
        raise UnusableFileError(path, "unusable.no_header")
    table = source.table
    known = set(table.column_names)
    duplicates = sorted({h for h in header if h in known and header.count(h) > 1})
    if duplicates:
        raise UnusableFileError(path, "unusable.duplicate_columns", columns=", ".join(duplicates))
    missing = [c for c in table.required_columns if c not in header]
    if missing:
        raise UnusableFileError(path, "unusable.missing_columns", columns=", ".join(missing))
    # Columns without a name (a trailing comma in the header) carry nothing to ignore.
    ignored = list(dict.fromkeys(h for h in header if h and h not in known))
    return OpenedFile(source, detected, utf8_path, header, ignored)


@dataclass(frozen=True)
class BadRow:
    """A row that is not a CSV row of this header (too many or too few fields), or one whose
    value swallowed the rows after it (``kind``: the reason's message key, if not the count)."""

    rec: int
    fields: int
    text: str
    kind: str | None = None


# A quoted value may hold line breaks (RFC 4180) and is then stored whole; but one that
# holds a whole row's worth of fields on a line of its own is a quote never closed (or
# closed rows later) that swallowed the lines after it: the row is rejected for that.
SWALLOWED = "reject.unclosed_quote"


@dataclass
class RawBatch:
    """Rows as text: every canonical column (null where absent or empty) and ``_rec``."""

    frame: pl.DataFrame
    bad: list[BadRow]

    @property
    def records(self) -> int:
        """Records this batch accounts for, good and bad."""
        return self.frame.height + len(self.bad)


@dataclass
class ReadTally:
    """What reading a whole file saw: records (header included) and the bad ones."""

    records: int = 1
    bad: int = 0
    has_lone_quote: bool = False


def read_batches(
    opened: OpenedFile,
    tally: ReadTally | None = None,
    *,
    prepare: Callable[[pa.RecordBatch], pa.RecordBatch] | None = None,
    block_size: int = BLOCK_SIZE,
) -> Iterator[RawBatch]:
    """Yield the file's rows as text frames, parsed ahead in a background thread.

    ``prepare`` runs on each Arrow batch in that thread (to type columns early).
    """
    rows = _read_batches(opened, tally or ReadTally(), prepare, block_size)
    return prefetch(rows, depth=2)


def _read_batches(
    opened: OpenedFile,
    tally: ReadTally,
    prepare: Callable[[pa.RecordBatch], pa.RecordBatch] | None,
    block_size: int,
) -> Iterator[RawBatch]:
    table = opened.source.table
    present = opened.present
    pending: list[BadRow] = []
    if _header_only(opened.utf8_path):
        return  # no line after the header (not even its line break): no rows

    def on_invalid(row: pacsv.InvalidRow) -> str:
        number = int(row.number) if row.number is not None else -1
        pending.append(BadRow(number, int(row.actual_columns), row.text[:1000]))
        return "skip"

    # Threads off inside the parser: it then numbers each bad row. The parser still
    # runs beside the checks, in the prefetch thread.
    reader = pacsv.open_csv(
        opened.utf8_path,
        read_options=pacsv.ReadOptions(
            use_threads=False,
            block_size=block_size,
            skip_rows=1,
            column_names=opened.reader_names,
            encoding="utf8",
        ),
        # Without a quote in the file no value spans lines, and the parser is faster told so.
        parse_options=pacsv.ParseOptions(
            invalid_row_handler=on_invalid, newlines_in_values=opened.detected.quotes
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in present},
            include_columns=present,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
            # Every byte was checked when the encoding was detected.
            check_utf8=False,
        ),
    )
    missing = [c for c in table.column_names if c not in present]
    next_rec = 2
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        n = batch.num_rows
        if n == 0:
            continue
        pending.sort(key=lambda b: b.rec)
        recs = _assign_records(next_rec, n, [b.rec for b in pending])
        last = int(recs[-1])
        # Bad rows before this batch's last good row belong to it; later ones may be
        # in the block the parser has read ahead, and wait for the next batch.
        mine = [b for b in pending if b.rec < last]
        pending[:] = [b for b in pending if b.rec >= last]
        next_rec = last + 1
        if prepare is not None:
            batch = prepare(batch)
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        tally.records += n + len(mine)
        if opened.detected.quotes:  # without a quote, no value holds a line break
            expected = len(opened.header)
            frame, swallowing = _without_swallowing_rows(frame, recs, expected)
            if swallowing:
                recs = _kept_recs(recs, swallowing)
                mine += swallowing
        frame = frame.with_columns(
            *[pl.lit(None, dtype=pl.String).alias(c) for c in missing],
            pl.Series(REC, recs, dtype=REC_DTYPE),
        ).select([*table.column_names, REC])
        tally.bad += len(mine)
        yield RawBatch(frame, mine)
    if pending:
        tally.records += len(pending)
        tally.bad += len(pending)
        yield RawBatch(_empty_text(table), list(pending))


def _header_only(path: Path) -> bool:
    """Whether ``path`` is one line without a line break: a header and no rows (the
    parser, told to skip the header, would call that too short)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    return b"\n" not in head and b"\r" not in head and len(head) < 1 << 20


def _without_swallowing_rows(
    frame: pl.DataFrame, recs: np.ndarray, fields: int
) -> tuple[pl.DataFrame, list[BadRow]]:
    """``frame`` without its rows whose value swallowed later rows (``SWALLOWED``), and
    those rows: a value with a line after a line break holding ``fields`` - 1 commas."""
    text = [c for c, kind in frame.schema.items() if kind == pl.String]
    if not text:
        return frame, []
    multi_line = frame.select(
        pl.any_horizontal(pl.col(c).str.contains("[\r\n]") for c in text).fill_null(False)
    ).to_series()
    if not multi_line.any():
        return frame, []
    at = np.flatnonzero(multi_line.to_numpy())
    swallowed = np.zeros(frame.height, dtype=bool)
    bad = []
    for i, values in zip(at, frame.filter(multi_line).iter_rows(), strict=True):
        lines = [
            line for v in values if isinstance(v, str) for line in re.split(r"\r\n|\r|\n", v)[1:]
        ]
        if any(line.count(",") >= fields - 1 for line in lines):
            swallowed[i] = True
            row = ",".join("" if v is None else str(v) for v in values)
            bad.append(BadRow(int(recs[i]), frame.width, row[:1000], SWALLOWED))
    if not bad:
        return frame, []
    return frame.filter(~pl.Series(swallowed)), bad


def _kept_recs(recs: np.ndarray, taken: list[BadRow]) -> np.ndarray:
    """``recs`` without the records of ``taken``."""
    return recs[~np.isin(recs, [b.rec for b in taken])]


def _empty_text(table: Table) -> pl.DataFrame:
    return pl.DataFrame(schema={**dict.fromkeys(table.column_names, pl.String), REC: REC_DTYPE})


def _assign_records(start: int, n: int, skipped: list[int]) -> np.ndarray:
    """Record numbers of ``n`` good rows from ``start`` on, passing over the bad ones."""
    if not skipped:
        return np.arange(start, start + n, dtype=np.int64)
    candidates = np.arange(start, start + n + len(skipped), dtype=np.int64)
    keep = ~np.isin(candidates, np.asarray(skipped, dtype=np.int64))
    return candidates[keep][:n]


# -- record numbers to physical lines ---------------------------------------------------


class LineMap:
    """Physical line (1-based) where each record of a file starts."""

    def __init__(self, starts: np.ndarray | None) -> None:
        # None: every line is one record, so record number and line are the same.
        self._starts = starts

    def lines(self, recs: np.ndarray) -> np.ndarray:
        """The line of each record number in ``recs`` (the record number if unknown)."""
        recs = np.asarray(recs, dtype=np.int64)
        if self._starts is None or recs.size == 0:
            return recs
        idx = recs - 1
        inside = (idx >= 0) & (idx < self._starts.size)
        out = recs.copy()
        out[inside] = self._starts[idx[inside]]
        return out


def line_map(opened: OpenedFile, tally: ReadTally) -> LineMap:
    """How records of ``opened`` map to lines, given what reading the whole file saw."""
    if physical_lines(opened.utf8_path) == tally.records:
        return LineMap(None)
    starts, strays = _record_starts_by_quotes(opened.utf8_path)
    if strays or starts.size != tally.records:
        # A stray quote inside an unquoted value defeats counting quotes, even where the
        # count of records comes out right (a quote never closed further on evens it
        # out); read the file with a real CSV parser instead (slower, rare).
        starts = _record_starts_by_parsing(opened.utf8_path)
    return LineMap(starts)


_SCAN_CHUNK = 1 << 26


def physical_lines(path: Path) -> int:
    """Lines in the file, the last one counted even without a line break."""
    newlines = 0
    last = 0x0A
    with path.open("rb") as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            data = np.frombuffer(chunk, dtype=np.uint8)
            newlines += int(np.count_nonzero(data == 0x0A))
            last = int(data[-1])
    return newlines + (0 if last == 0x0A else 1)


def estimated_rows(path: Path) -> int:
    """Rows a file holds, judged from the length of its first lines (for progress bars)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    lines = head.count(b"\n")
    if lines <= 1 or size <= len(head):
        return max(lines, 1)
    return max(int(size / (len(head) / lines)) - 1, 1)


def _record_starts_by_quotes(path: Path) -> tuple[np.ndarray, int]:
    """Lines where records start: a line break ends a record unless quotes are open; and
    the number of stray quotes (inside an unquoted value, as in ``12"3``).

    Quotes are open after an odd number of quote characters; that holds for every
    well-formed CSV file (quotes only around values, doubled inside them). A quote with
    neither a separator, a line break nor another quote on either side is a stray one,
    which the parser takes as a character: the count of quotes is then no guide. Blank
    lines are no records, as in the parser.
    """
    data = (
        np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else np.zeros(0, np.uint8)
    )
    size = data.size
    starts: list[np.ndarray] = []
    quotes_before = 0
    strays = 0
    lines_before = 0
    pos = 0
    first_is_blank = (
        size == 0 or data[0] == 0x0A or (size > 1 and data[0] == 0x0D and data[1] == 0x0A)
    )
    if not first_is_blank:
        starts.append(np.array([1], dtype=np.int64))
    while pos < size:
        chunk = np.asarray(data[pos : pos + _SCAN_CHUNK])
        newlines = np.flatnonzero(chunk == 0x0A)
        quotes = np.flatnonzero(chunk == 0x22)
        strays += _strays(data, pos + quotes)
        open_quotes = (quotes_before + np.searchsorted(quotes, newlines)) % 2 == 1
        ends = newlines[~open_quotes]
        line_after = lines_before + np.flatnonzero(~open_quotes) + 2
        # The line after a record's end: blank if another break follows at once.
        after = pos + ends + 1
        nxt = np.where(after < size, data[np.minimum(after, size - 1)], 0x0A)
        nxt2 = np.where(after + 1 < size, data[np.minimum(after + 1, size - 1)], 0)
        blank = (after >= size) | (nxt == 0x0A) | ((nxt == 0x0D) & (nxt2 == 0x0A))
        starts.append(line_after[~blank].astype(np.int64))
        quotes_before += quotes.size
        lines_before += newlines.size
        pos += _SCAN_CHUNK
    found = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
    return found, strays


# Bytes beside which a quote belongs to the CSV: separator, line breaks, another quote.
_BESIDE_QUOTE = np.array([0x2C, 0x0A, 0x0D, 0x22], dtype=np.uint8)


def _strays(data: np.ndarray, at: np.ndarray) -> int:
    """How many of the quotes at offsets ``at`` of ``data`` stand inside a word."""
    if not at.size:
        return 0
    before = np.where(at > 0, data[np.maximum(at - 1, 0)], 0x0A)
    after = np.where(at + 1 < data.size, data[np.minimum(at + 1, data.size - 1)], 0x0A)
    inside = ~np.isin(before, _BESIDE_QUOTE) & ~np.isin(after, _BESIDE_QUOTE)
    return int(inside.sum())


def _record_starts_by_parsing(path: Path) -> np.ndarray:
    starts: list[int] = []
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        start_line = 1
        for row in reader:
            if row:
                starts.append(start_line)
            start_line = reader.line_num + 1
    return np.asarray(starts, dtype=np.int64)
