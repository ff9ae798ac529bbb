"""Fonts of the PDF: found by name through fontconfig, measured, subset and embedded.

The bulletin's Chinese text needs a CJK font that ships with the install: Debian's
``fonts-noto-cjk`` (Noto Sans CJK SC, an OpenType/CFF collection). Any font fontconfig
finds works: CID-keyed CFF fonts (Noto Sans CJK, Source Han Sans) are embedded as
CIDFontType0, TrueType fonts as CIDFontType2. Only the glyphs used are embedded, and
each text is written with a ToUnicode map so that it can be searched and extracted.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

# fontTools ships no type information.
from fontTools import subset
from fontTools.ttLib import TTFont

REGULAR = "Noto Sans CJK SC"
BOLD = "Noto Sans CJK SC:bold"


class FontMissingError(RuntimeError):
    """The CJK font is not installed (Debian: ``apt-get install fonts-noto-cjk``)."""


@dataclass(frozen=True)
class FontFile:
    """Where a font is: file and index within a collection."""

    path: Path
    index: int


def find_font(pattern: str) -> FontFile:
    """The file fontconfig chooses for ``pattern``; refuse a font without CJK glyphs."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise FontMissingError("fc-match (fontconfig) is not installed")
    out = subprocess.run(
        [fc_match, "-f", "%{file}\n%{index}\n", pattern],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = out.stdout.splitlines()
    if out.returncode != 0 or len(lines) < 2 or not lines[0]:
        raise FontMissingError(f"no font for {pattern!r}")
    return FontFile(Path(lines[0]), int(lines[1] or 0))


@lru_cache(maxsize=8)
def _open(path: Path, index: int) -> TTFont:
    # Lazy: the collections are large; measuring needs only cmap and hmtx.
    return TTFont(str(path), fontNumber=index, lazy=True)


@dataclass
class Font:
    """A font being used in one PDF: widths, codes of the characters used, glyph set."""

    file: FontFile
    resource: str  # its name in page resources, e.g. F1
    tt: TTFont = field(init=False, repr=False)
    cid_keyed: bool = field(init=False)
    units: float = field(init=False)
    _cmap: dict[int, str] = field(init=False, repr=False)
    _hmtx: Any = field(init=False, repr=False)
    _chars: dict[str, tuple[int, float]] = field(default_factory=dict, repr=False)
    _ems: dict[str, float] = field(default_factory=dict, repr=False)  # widths of texts, in ems
    used: dict[int, str] = field(default_factory=dict)  # code -> the text it stands for
    widths: dict[int, int] = field(default_factory=dict)  # code -> advance in font units
    glyphs: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    # The last subset made, by glyph set: documents sharing this font embed it once made.
    _program: tuple[frozenset[str], bytes] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.tt = _open(self.file.path, self.file.index)
        self.cid_keyed = "CFF " in self.tt and bool(
            getattr(self.tt["CFF "].cff.topDictIndex[0], "ROS", None)
        )
        self.units = float(self.tt["head"].unitsPerEm)
        self._cmap = self.tt.getBestCmap()
        self._hmtx = self.tt["hmtx"]
        if ord("中") not in self._cmap:
            raise FontMissingError(
                f"{self.file.path} has no Chinese glyphs; install fonts-noto-cjk"
            )

    def _char(self, ch: str) -> tuple[int, float]:
        known = self._chars.get(ch)
        if known is not None:
            return known
        name = self._cmap.get(ord(ch))
        if name is None:
            if not ch.isspace():
                self.missing.add(ch)
            name = self._cmap.get(32, ".notdef")
        advance = self._hmtx[name][0]
        if self.cid_keyed:
            code = int(name[3:]) if name.startswith("cid") else 0
        else:
            code = self.tt.getGlyphID(name)
        self._chars[ch] = (code, advance / self.units)
        self.widths[code] = advance
        self.glyphs.add(name)
        self.used.setdefault(code, ch)
        return self._chars[ch]

    def width(self, text: str, size: float) -> float:
        """The advance width of ``text`` at ``size`` points."""
        em = self._ems.get(text)
        if em is None:
            em = self._ems[text] = sum(self._char(ch)[1] for ch in text)
        return em * size

    def encode(self, text: str) -> str:
        """``text`` as a hex string of two-byte codes (Identity-H)."""
        return "".join(f"{self._char(ch)[0]:04X}" for ch in text)

    # -- embedding ----------------------------------------------------------------------
    def postscript_name(self) -> str:
        """The font's PostScript name (for the PDF's font dictionaries)."""
        name = self.tt["name"].getDebugName(6) or self.file.path.stem
        return "".join(ch for ch in name if ch.isalnum() or ch in "-_")

    def subset_tag(self) -> str:
        """Six capitals from the glyph set: the same glyphs give the same tag (reproducible)."""
        digest = hashlib.sha256(",".join(sorted(self.glyphs)).encode()).digest()
        return "".join(chr(ord("A") + b % 26) for b in digest[:6])

    def subset_program(self) -> bytes:
        """The font program holding only the glyphs used: CFF for CFF fonts, else TrueType."""
        wanted = frozenset(self.glyphs | {".notdef"})
        if self._program is None or self._program[0] != wanted:
            self._program = (wanted, self._subset(wanted))
        return self._program[1]

    def _subset(self, glyphs: frozenset[str]) -> bytes:
        if self.cid_keyed:
            return _subset_cff(self.file, set(glyphs))
        options = subset.Options()
        options.layout_features = []
        options.name_IDs = []
        options.notdef_outline = True
        options.hinting = False
        options.retain_gids = True
        font = TTFont(str(self.file.path), fontNumber=self.file.index)
        subsetter = subset.Subsetter(options)
        subsetter.populate(glyphs=sorted(glyphs))
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
        return buffer.getvalue()

    def metrics(self) -> dict[str, float]:
        """Bounding box, ascent, descent and cap height in thousandths of an em."""
        head, os2 = self.tt["head"], self.tt["OS/2"]
        k = 1000.0 / self.units
        return {
            "xmin": head.xMin * k,
            "ymin": head.yMin * k,
            "xmax": head.xMax * k,
            "ymax": head.yMax * k,
            "ascent": os2.sTypoAscender * k,
            "descent": os2.sTypoDescender * k,
            "cap": getattr(os2, "sCapHeight", 700) * k,
        }


def _subset_cff(file: FontFile, glyphs: set[str]) -> bytes:
    """Only ``glyphs`` of a CID-keyed CFF font, and only the subroutines they use.

    fontTools' general subsetter also reads and rewrites the layout tables (GSUB, GPOS,
    cmap) of the 65,000-glyph font, which the PDF never uses; its CFF steps alone take a
    fifth of the time.
    """
    font = TTFont(str(file.path), fontNumber=file.index, lazy=True)
    table = font["CFF "]
    plan = SimpleNamespace(
        glyphs=set(glyphs),
        glyphs_emptied=set(),
        orig_glyph_order=font.getGlyphOrder(),
        options=SimpleNamespace(retain_gids=False),
    )
    table.subset_glyphs(plan)  # added to the CFF table class by fontTools.subset
    cff = table.cff
    top = cff[cff.keys()[0]]
    if hasattr(top, "FDSelect"):
        # Keep only the font dictionaries the remaining glyphs use, renumbered.
        selector = top.FDSelect
        kept = sorted(set(selector.gidArray))
        position = {old: new for new, old in enumerate(kept)}
        selector.gidArray = [position[i] for i in selector.gidArray]
        top.FDArray.items = [top.FDArray[i] for i in kept]
        del top.FDArray.file, top.FDArray.offsets
    # Hints stay (they help small text on screens); unused subroutines go.
    cff.remove_unused_subroutines()
    buffer = io.BytesIO()
    cff.compile(buffer, font)
    return buffer.getvalue()


def to_unicode_cmap(used: dict[int, str]) -> bytes:
    """A ToUnicode CMap from two-byte codes to the characters they stand for."""
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    items = sorted(used.items())
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        for code, text in chunk:
            lines.append(f"<{code:04X}> <{text.encode('utf-16-be').hex().upper()}>")
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")
