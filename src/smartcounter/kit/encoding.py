"""Tell UTF-8 (with or without BOM) from GB18030 and hand back UTF-8 bytes on disk."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 22
UTF8_BOM = codecs.BOM_UTF8


class UndecodableFileError(ValueError):
    """The file is neither UTF-8 nor GB18030 (or not text at all)."""

    def __init__(self, path: Path, offset: int) -> None:
        super().__init__(f"{path}: byte {offset} is neither UTF-8 nor GB18030")
        self.path = path
        self.offset = offset


@dataclass(frozen=True)
class Detected:
    """What the file is: its encoding, a UTF-8 BOM, and how many line breaks it holds."""

    encoding: str
    bom: bool
    newlines: int = 0
    ends_with_newline: bool = True

    @property
    def lines(self) -> int:
        """Physical lines, the last one counted even without a line break."""
        return self.newlines + (0 if self.ends_with_newline else 1)


@dataclass
class _Scan:
    error_at: int | None = None
    newlines: int = 0
    last_byte: bytes = b"\n"


def _decodes(path: Path, encoding: str, skip: int) -> _Scan:
    """Decode the whole file; say where the first error is, and count line breaks."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    scan = _Scan()
    offset = skip
    with path.open("rb") as fh:
        fh.seek(skip)
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                scan.error_at = offset + exc.start
                return scan
            scan.newlines += chunk.count(b"\n")
            scan.last_byte = chunk[-1:]
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            scan.error_at = offset
    return scan


def detect_encoding(path: Path) -> Detected:
    """Detect UTF-8 (BOM or not) or GB18030 by decoding the whole file; raise if neither."""
    with path.open("rb") as fh:
        head = fh.read(len(UTF8_BOM))
    if head == UTF8_BOM:
        scan = _decodes(path, "utf-8", len(UTF8_BOM))
        if scan.error_at is None:
            return Detected("utf-8", True, scan.newlines, scan.last_byte == b"\n")
        raise UndecodableFileError(path, scan.error_at)
    utf8 = _decodes(path, "utf-8", 0)
    if utf8.error_at is None:
        return Detected("utf-8", False, utf8.newlines, utf8.last_byte == b"\n")
    gb = _decodes(path, "gb18030", 0)
    if gb.error_at is None:
        return Detected("gb18030", False, gb.newlines, gb.last_byte == b"\n")
    raise UndecodableFileError(path, max(utf8.error_at, gb.error_at))


def transcode_to_utf8(path: Path, encoding: str, out: Path) -> Path:
    """Write ``path`` decoded from ``encoding`` as UTF-8 to ``out`` and return ``out``."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with path.open("rb") as src, out.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return out
