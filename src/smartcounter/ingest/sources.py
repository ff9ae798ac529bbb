"""Find the canonical files among the paths given, and read each as batches of text.

Every value is read as text here; ``rules`` types and checks it. Each row keeps its
record number (the header is record 1) so that a rejected row can be named by its line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from smartcounter.canonical.tables import TABLES, Table
from smartcounter.kit.encoding import Detected, UndecodableFileError, detect_encoding, transcode_to_utf8

REC = "_rec"
BLOCK_SIZE = 8 << 20


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
        if stem == table.name or stem.startswith((f"{table.name}-", f"{table.name}_", f"{table.name}.")):
            return table
    return None


def discover(paths: Sequence[Path]) -> Discovery:
    """List the canonical files in ``paths`` (folders or files), in import order."""
    found: list[SourceFile] = []
    ignored: list[Path] = []
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
                    found.append(SourceFile(child, table))
                    in_dir += 1
            if in_dir == 0:
                raise UnusableFileError(path, "unusable.empty_folder")
        else:
            table = table_for(path)
            if table is None:
                raise UnusableFileError(path, "unusable.unknown_table")
            found.append(SourceFile(path, table))
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


def _normalise_name(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower()


def open_file(source: SourceFile, scratch: Path) -> OpenedFile:
    """Detect the encoding, read and check the header; raise UnusableFileError if unusable."""
    path = source.path
    if path.stat().st_size == 0:
        raise UnusableFileError(path, "unusable.empty_file")
    with path.open("rb") as fh:
        head = fh.read(65536)
    if b"\x00" in head:
        raise UnusableFileError(path, "unusable.binary")
    try:
        detected = detect_encoding(path)
    except UndecodableFileError as exc:
        raise UnusableFileError(path, "unusable.undecodable", offset=exc.offset) from exc
    utf8_path = path
    if detected.encoding != "utf-8":
        scratch.mkdir(parents=True, exist_ok=True)
        utf8_path = transcode_to_utf8(path, detected.encoding, scratch / f"{id(source)}-{path.name}")
    with utf8_path.open("r", encoding="utf-8-sig", newline="") as fh:
        try:
            first = next(csv.reader(io.StringIO(fh.readline())), [])
        except csv.Error as exc:
            raise UnusableFileError(path, "unusable.not_csv", detail=str(exc)) from exc
    header = [_normalise_name(h) for h in first]
    if not any(header):
        raise UnusableFileError(path, "unusable.no_header")
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise UnusableFileError(path, "unusable.duplicate_columns", columns=", ".join(duplicates))
    table = source.table
    missing = [c for c in table.required_columns if c not in header]
    if missing:
        raise UnusableFileError(path, "unusable.missing_columns", columns=", ".join(missing))
    known = set(table.column_names)
    ignored = [h for h in header if h not in known]
    return OpenedFile(source, detected, utf8_path, header, ignored)


@dataclass(frozen=True)
class BadRow:
    """A row that is not a CSV row of this header (too many or too few fields)."""

    rec: int
    fields: int
    text: str


def read_batches(opened: OpenedFile, block_size: int = BLOCK_SIZE) -> Iterator[tuple[pl.DataFrame, list[BadRow]]]:
    """Yield the file's rows as text frames (canonical columns + record number) and bad rows."""
    table = opened.source.table
    present = opened.present
    bad: list[BadRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(BadRow(int(row.number) if row.number is not None else -1, int(row.actual_columns), row.text))
        return "skip"

    # Threads off: the parser then reports each bad row's record number, in order; it is
    # no slower on this workload (the validation after it is the parallel part).
    reader = pacsv.open_csv(
        opened.utf8_path,
        read_options=pacsv.ReadOptions(
            use_threads=False,
            block_size=block_size,
            skip_rows=1,
            column_names=[h or f"_unnamed{i}" for i, h in enumerate(opened.header)],
            encoding="utf8",
        ),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in present},
            include_columns=present,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )
    next_rec = 2
    missing = [c for c in table.column_names if c not in present]
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        # The handler has been called for the bad rows of this block; good rows take the
        # record numbers around them.
        skipped = sorted(b.rec for b in bad)
        n = batch.num_rows
        recs = _assign_records(next_rec, n, skipped)
        last = max(int(recs[-1]) if n else next_rec - 1, skipped[-1] if skipped else 0)
        next_rec = last + 1
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        frame = frame.with_columns(
            *[pl.lit(None, dtype=pl.String).alias(c) for c in missing],
            pl.Series(REC, recs, dtype=pl.Int64),
        ).select([*table.column_names, REC])
        yield frame, list(bad)
        bad.clear()
    if bad:
        empty = pl.DataFrame(schema={**dict.fromkeys(table.column_names, pl.String), REC: pl.Int64})
        yield empty, list(bad)


def _assign_records(start: int, n: int, skipped: list[int]) -> np.ndarray:
    """Record numbers of ``n`` good rows from ``start`` on, passing over the bad ones."""
    if not skipped:
        return np.arange(start, start + n, dtype=np.int64)
    candidates = np.arange(start, start + n + len(skipped), dtype=np.int64)
    keep = ~np.isin(candidates, np.asarray(skipped, dtype=np.int64))
    return candidates[keep][:n]


def physical_lines(opened: OpenedFile, recs: Sequence[int]) -> dict[int, int]:
    """Map record numbers to the line each starts on (differs only past blank or multi-line rows)."""
    wanted = set(recs)
    if not wanted:
        return {}
    with opened.utf8_path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        rec = 0
        start_line = 1
        out: dict[int, int] = {}
        for row in reader:
            if row:
                rec += 1
                if rec in wanted:
                    out[rec] = start_line
                    if len(out) == len(wanted):
                        break
            start_line = reader.line_num + 1
    return out
