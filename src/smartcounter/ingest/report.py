"""What an import did, file by file, and the rejected rows with their reasons."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from smartcounter.canonical.tables import Table
from smartcounter.ingest.rules import COLUMN, KIND, VALUE
from smartcounter.ingest.sources import REC, BadRow, LineMap


@dataclass
class FileReport:
    """Counts for one imported file; ``read = imported + updated + skipped + rejected``."""

    file: str
    table: str
    read: int = 0
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    unresolved: int = 0
    encoding: str = "utf-8"
    ignored_columns: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The file's counts as cli.md's JSON summary names them."""
        keys = ("file", "table", "read", "imported", "updated", "skipped", "rejected", "unresolved")
        body = asdict(self)
        return {k: body[k] for k in keys}


REJECT_HEADER = ("file", "line", "column", "value", "reason")


@dataclass
class ImportReport:
    """The whole import: a report per file, the rejects file, notes for the user."""

    files: list[FileReport]
    rejects_path: str | None = None
    notes: list[str] = field(default_factory=list)
    txid: str | None = None

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def as_json(self) -> dict[str, Any]:
        """cli.md's ``--format json`` object."""
        return {"files": [f.as_json() for f in self.files], "rejects": self.rejects_path}


# -- the rejected rows ----------------------------------------------------------------------

SRC = "_src"
REF_SRC = "_ref_src"
REF_REC = "_ref_rec"
FIELDS = "_fields"
EXPECTED = "_expected"
LINE = "line"
REF_LINE = "_ref_line"
_SCHEMA: dict[str, pl.DataType] = {
    SRC: pl.UInt32(),
    REC: pl.Int64(),
    COLUMN: pl.String(),
    VALUE: pl.String(),
    KIND: pl.String(),
    REF_SRC: pl.UInt32(),
    REF_REC: pl.Int64(),
    FIELDS: pl.Int32(),
    EXPECTED: pl.Int32(),
}
_SPILL_ROWS = 256 * 1024
_MAX_VALUE = 200
_ROW_PARAMS = {"value": VALUE, "line": REF_LINE, "file": "_ref_file", "fields": FIELDS}


class RejectLog:
    """Rejected rows as they are found, by source and record; rendered at the end.

    Lines and reasons are worked out once, for all rows, when the CSV is written: a
    record's line is known only after its whole file has been read.
    """

    def __init__(self, spill_dir: Path) -> None:
        self._frames: list[pl.DataFrame] = []
        self._in_memory = 0
        self._spilled: list[Path] = []
        self._spill_dir = spill_dir
        self._sources: set[int] = set()
        self.count = 0

    def _add(self, src: int, frame: pl.DataFrame) -> None:
        if frame.is_empty():
            return
        frame = frame.with_columns(pl.lit(src, dtype=pl.UInt32).alias(SRC))
        frame = frame.select(
            [
                (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
                for c, t in _SCHEMA.items()
            ]
        )
        self._frames.append(frame)
        self._sources.add(src)
        self._in_memory += frame.height
        self.count += frame.height
        if self._in_memory >= _SPILL_ROWS:
            # Many rejects (a whole file with a wrong value) stay out of memory.
            self._spill_dir.mkdir(parents=True, exist_ok=True)
            path = self._spill_dir / f"{len(self._spilled):05d}.arrow"
            pl.concat(self._frames).write_ipc(path, compression="lz4")
            self._spilled.append(path)
            self._frames.clear()
            self._in_memory = 0

    def add_values(self, src: int, rejects: pl.DataFrame) -> None:
        """Rows failing a column check: ``_rec``, column, value, kind (a message key)."""
        self._add(src, rejects)

    def add_structural(self, src: int, bad: Sequence[BadRow], expected: int) -> None:
        """Rows that are no CSV row of the header (field count, an unclosed quote)."""
        kinds = [
            b.kind
            or ("reject.unclosed_quote" if b.text.count('"') % 2 == 1 else "reject.field_count")
            for b in bad
        ]
        self._add(
            src,
            pl.DataFrame(
                {
                    REC: [b.rec for b in bad],
                    COLUMN: [""] * len(bad),
                    VALUE: [b.text[:_MAX_VALUE] for b in bad],
                    KIND: kinds,
                    FIELDS: [b.fields for b in bad],
                    EXPECTED: [expected] * len(bad),
                },
                schema_overrides={REC: pl.Int64, FIELDS: pl.Int32, EXPECTED: pl.Int32},
            ),
        )

    def add_conflicts(self, src: int, rows: pl.DataFrame, column: str) -> None:
        """Rows repeating an earlier row's id with other content: ``_rec, _id, _file, _rec_first``."""
        if rows.is_empty():
            return
        names = rows.columns
        self._add(
            src,
            rows.select(
                pl.col(names[0]).alias(REC),
                pl.lit(column).alias(COLUMN),
                pl.col(names[1]).alias(VALUE),
                pl.lit("reject.conflict_import").alias(KIND),
                pl.col(names[2]).alias(REF_SRC),
                pl.col(names[3]).alias(REF_REC),
            ),
        )

    def add_store_conflicts(self, src: int, rows: pl.DataFrame, column: str) -> None:
        """Rows whose id is stored with other content: ``_rec, _id``."""
        if rows.is_empty():
            return
        names = rows.columns
        self._add(
            src,
            rows.select(
                pl.col(names[0]).alias(REC),
                pl.lit(column).alias(COLUMN),
                pl.col(names[1]).alias(VALUE),
                pl.lit("reject.conflict_store").alias(KIND),
            ),
        )

    def sources(self) -> list[int]:
        """The sources with at least one rejected row."""
        return sorted(self._sources)

    def frame(self) -> pl.DataFrame:
        """Every rejected row logged so far."""
        parts = [pl.read_ipc(p) for p in self._spilled] + self._frames
        return pl.concat(parts) if parts else pl.DataFrame(schema=_SCHEMA)

    def write_csv(
        self,
        target: Path,
        labels: Sequence[str],
        tables: Sequence[Table],
        maps: dict[int, LineMap],
        translate: Callable[..., str],
    ) -> None:
        """Write ``file,line,column,value,reason`` rows, by file and line, to ``target``."""
        rows = self.frame()
        lines = rows.get_column(REC).to_numpy().copy()
        ref_lines = rows.get_column(REF_REC).fill_null(0).to_numpy().copy()
        srcs = rows.get_column(SRC).to_numpy()
        ref_srcs = rows.get_column(REF_SRC).fill_null(0).to_numpy()
        for src, mapping in maps.items():
            mine = srcs == src
            lines[mine] = mapping.lines(lines[mine])
            refs = ref_srcs == src
            ref_lines[refs] = mapping.lines(ref_lines[refs])
        rows = rows.with_columns(
            pl.Series(LINE, lines, dtype=pl.Int64),
            pl.Series(REF_LINE, ref_lines, dtype=pl.Int64).cast(pl.String),
            pl.col(REF_SRC)
            .replace_strict(list(range(len(labels))), list(labels), default=None)
            .alias("_ref_file"),
            pl.col(SRC)
            .replace_strict(list(range(len(labels))), list(labels), default=None)
            .alias("file"),
            pl.col(FIELDS).cast(pl.String),
        )
        reason = _reasons(rows, tables, translate)
        out = rows.with_columns(reason.alias("reason")).sort(SRC, LINE, maintain_order=True)
        assert out.height == self.count, (out.height, self.count)
        out.select("file", LINE, COLUMN, VALUE, "reason").write_csv(target)


def _reasons(rows: pl.DataFrame, tables: Sequence[Table], translate: Callable[..., str]) -> pl.Expr:
    """One reason per row, a person can act on, from its message key and values."""
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    pairs = rows.select(SRC, KIND, COLUMN, EXPECTED).unique().sort(pl.all()).iter_rows()
    for src, kind, column, expected in pairs:
        params: dict[str, object] = {"column": column, "expected": expected}
        table = tables[src]
        if column and column in table.column_names:
            spec = table.column(column)
            params["choices"] = " | ".join(spec.choices)
            limit = spec.minimum if kind == "reject.minimum" else spec.maximum
            params["limit"] = _number(limit)
        for name in _ROW_PARAMS:
            params[name] = f"\x00{name}\x00"
        text = translate(kind, **params)
        pieces: list[pl.Expr] = []
        for i, piece in enumerate(re.split(r"\x00(\w+)\x00", text)):
            if i % 2 == 0:
                if piece:
                    pieces.append(pl.lit(piece))
            else:
                pieces.append(pl.col(_ROW_PARAMS[piece]).fill_null(""))
        rendered = pl.concat_str(pieces) if pieces else pl.lit("")
        condition = (pl.col(SRC) == src) & (pl.col(KIND) == kind) & (pl.col(COLUMN) == column)
        condition = condition & (
            pl.col(EXPECTED).is_null() if expected is None else pl.col(EXPECTED) == expected
        )
        expr = pl.when(condition).then(rendered).otherwise(expr)
    return expr


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
