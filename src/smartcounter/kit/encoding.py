"""Tell UTF-8 (with or without BOM) from GB18030 and hand back UTF-8 bytes on disk."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 22
UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class UndecodableFileError(ValueError):
    """The file is neither UTF-8 nor GB18030 (or not text at all)."""

    def __init__(self, path: Path, offset: int) -> None:
        super().__init__(f"{path}: byte {offset} is neither UTF-8 nor GB18030")
        self.path = path
        self.offset = offset


class BinaryFileError(ValueError):
    """The file holds NUL bytes: a workbook, an archive, UTF-16 text, not a CSV."""

    def __init__(self, path: Path, offset: int, utf16: bool) -> None:
        super().__init__(f"{path}: NUL byte at {offset}")
        self.path = path
        self.offset = offset
        self.utf16 = utf16


@dataclass(frozen=True)
class Detected:
    """What the file is: its encoding, whether it starts with a UTF-8 BOM, and whether
    it holds any double quote (without one, no value can hold a line break)."""

    encoding: str
    bom: bool
    quotes: bool = True


@dataclass
class _Scan:
    error_at: int | None = None
    nul_at: int | None = None
    quotes: bool = False


def _decodes(path: Path, encoding: str, skip: int) -> _Scan:
    """Decode the whole file; say where the first error (or NUL byte) is."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    scan = _Scan()
    offset = skip
    with path.open("rb") as fh:
        fh.seek(skip)
        while chunk := fh.read(_CHUNK):
            nul = chunk.find(b"\x00")
            if nul >= 0:
                scan.nul_at = offset + nul
                return scan
            if not scan.quotes:
                scan.quotes = b'"' in chunk
            # Pure ASCII is valid in both encodings and ends no multi-byte sequence
            # early; decoding it would only cost time (most export files are ASCII).
            if not (chunk.isascii() and decoder.getstate()[0] == b""):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    scan.error_at = offset + exc.start
                    return scan
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            scan.error_at = offset
    return scan


def _looks_utf16(sample: bytes) -> bool:
    """UTF-16 text of mostly ASCII: NUL in every other byte and almost nowhere else."""
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 8:
        return False
    for zeros, other in ((odd, even), (even, odd)):
        if zeros.count(0) >= 0.9 * len(zeros) and other.count(0) <= 0.1 * len(other):
            return True
    return False


def detect_encoding(path: Path) -> Detected:
    """Detect UTF-8 (BOM or not) or GB18030 by decoding the whole file; raise if neither."""
    with path.open("rb") as fh:
        head = fh.read(len(UTF8_BOM))
    if head[:2] in UTF16_BOMS:
        raise BinaryFileError(path, 0, utf16=True)
    bom = head == UTF8_BOM
    utf8 = _decodes(path, "utf-8", len(UTF8_BOM) if bom else 0)
    if utf8.nul_at is not None:
        # UTF-16 without a BOM: every other byte of ASCII text is NUL.
        with path.open("rb") as fh:
            sample = fh.read(4096)
        raise BinaryFileError(path, utf8.nul_at, utf16=_looks_utf16(sample))
    if utf8.error_at is None:
        return Detected("utf-8", bom, utf8.quotes)
    if bom:
        raise UndecodableFileError(path, utf8.error_at)
    gb = _decodes(path, "gb18030", 0)
    if gb.error_at is None and gb.nul_at is None:
        return Detected("gb18030", False, gb.quotes)
    raise UndecodableFileError(path, max(utf8.error_at, gb.error_at or 0))


def transcode_to_utf8(path: Path, encoding: str, out: Path) -> Path:
    """Write ``path`` decoded from ``encoding`` as UTF-8 to ``out`` and return ``out``."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with path.open("rb") as src, out.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return out
