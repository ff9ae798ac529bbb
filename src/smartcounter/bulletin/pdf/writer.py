"""A small PDF 1.7 writer: objects, compressed streams, pages, fonts, links and bookmarks.

Written for the bulletin's needs and nothing more. The output is deterministic: no
dates, no random identifiers, objects in a fixed order, so equal content gives equal
bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from smartcounter.bulletin.pdf.fonts import Font, to_unicode_cmap

A4 = (595.276, 841.89)


def pdf_string(text: str) -> str:
    """A text string for the document's metadata and bookmarks (UTF-16 with a mark)."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


@dataclass
class Link:
    """A clickable rectangle on a page that goes to a named place."""

    rect: tuple[float, float, float, float]
    target: str


@dataclass
class PageOut:
    """A finished page: its content stream and its links."""

    content: bytes
    links: list[Link] = field(default_factory=list)


@dataclass
class Bookmark:
    """An entry of the PDF outline: title, target, children."""

    title: str
    target: str
    children: list[Bookmark] = field(default_factory=list)


class PdfWriter:
    """Collects numbered objects and writes them as one PDF file."""

    def __init__(self) -> None:
        self.objects: list[bytes | None] = []

    def reserve(self) -> int:
        """Reserve an object number."""
        self.objects.append(None)
        return len(self.objects)

    def put(self, number: int, body: str | bytes) -> int:
        """Set the body of object ``number``."""
        self.objects[number - 1] = body.encode("latin-1") if isinstance(body, str) else body
        return number

    def add(self, body: str | bytes) -> int:
        """Add an object; return its number."""
        return self.put(self.reserve(), body)

    def stream(self, entries: str, data: bytes, *, compress: bool = True) -> int:
        """Add a stream object (compressed unless asked not to)."""
        if compress:
            data = zlib.compress(data, 6)
            entries += " /Filter /FlateDecode"
        head = f"<< {entries} /Length {len(data)} >>\nstream\n".encode("latin-1")
        return self.add(head + data + b"\nendstream")

    def serialize(self, root: int, info: int) -> bytes:
        """The whole file: header, objects, cross-reference table, trailer."""
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, 1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode("latin-1") + (body or b"null") + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode("latin-1")
        for offset in offsets:
            out += f"{offset:010d} 00000 n \n".encode("latin-1")
        out += (
            f"trailer\n<< /Size {len(self.objects) + 1} /Root {root} 0 R /Info {info} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n"
        ).encode("latin-1")
        return bytes(out)


def _embed_font(writer: PdfWriter, font: Font) -> int:
    """Embed ``font`` (its used glyphs) as a Type 0 font; return the font's object number."""
    name = f"{font.subset_tag()}+{font.postscript_name()}"
    m = font.metrics()
    program = font.subset_program()
    if font.cid_keyed:
        file_ref = writer.stream("/Subtype /CIDFontType0C", program)
        file_key, subtype, extra = "FontFile3", "CIDFontType0", ""
    else:
        file_ref = writer.stream(f"/Length1 {len(program)}", program)
        file_key, subtype, extra = "FontFile2", "CIDFontType2", " /CIDToGIDMap /Identity"
    descriptor = writer.add(
        f"<< /Type /FontDescriptor /FontName /{name} /Flags 4 "
        f"/FontBBox [{m['xmin']:.0f} {m['ymin']:.0f} {m['xmax']:.0f} {m['ymax']:.0f}] "
        f"/ItalicAngle 0 /Ascent {m['ascent']:.0f} /Descent {m['descent']:.0f} "
        f"/CapHeight {m['cap']:.0f} /StemV 80 /{file_key} {file_ref} 0 R >>"
    )
    k = 1000.0 / font.units
    widths = " ".join(f"{code} [{font.widths[code] * k:.0f}]" for code in sorted(font.widths))
    cid_font = writer.add(
        f"<< /Type /Font /Subtype /{subtype} /BaseFont /{name} "
        f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        f"/FontDescriptor {descriptor} 0 R /DW 1000 /W [{widths}]{extra} >>"
    )
    unicode_ref = writer.stream("", to_unicode_cmap(font.used))
    return writer.add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
        f"/DescendantFonts [{cid_font} 0 R] /ToUnicode {unicode_ref} 0 R >>"
    )


def write_document(
    pages: Sequence[PageOut],
    fonts: Sequence[Font],
    targets: dict[str, tuple[int, float]],
    bookmarks: Sequence[Bookmark],
    *,
    title: str,
    lang: str,
    size: tuple[float, float] = A4,
) -> bytes:
    """The PDF of ``pages``; ``targets`` maps names to (page index, y) for links and bookmarks."""
    writer = PdfWriter()
    catalog = writer.reserve()
    page_tree = writer.reserve()
    page_refs = [writer.reserve() for _ in pages]
    font_refs = {f.resource: _embed_font(writer, f) for f in fonts}
    font_dict = " ".join(f"/{key} {ref} 0 R" for key, ref in font_refs.items())

    def dest(target: str) -> str:
        index, y = targets[target]
        return f"[{page_refs[index]} 0 R /XYZ null {y:.1f} null]"

    for page, ref in zip(pages, page_refs, strict=True):
        content = writer.stream("", page.content)
        annots = [
            writer.add(
                f"<< /Type /Annot /Subtype /Link /Rect [{' '.join(f'{v:.1f}' for v in link.rect)}] "
                f"/Border [0 0 0] /Dest {dest(link.target)} >>"
            )
            for link in page.links
            if link.target in targets
        ]
        annot_entry = f" /Annots [{' '.join(f'{a} 0 R' for a in annots)}]" if annots else ""
        writer.put(
            ref,
            f"<< /Type /Page /Parent {page_tree} 0 R /MediaBox [0 0 {size[0]:.3f} {size[1]:.3f}] "
            f"/Resources << /Font << {font_dict} >> >> /Contents {content} 0 R{annot_entry} >>",
        )
    kids = " ".join(f"{r} 0 R" for r in page_refs)
    writer.put(page_tree, f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    outline = _outline(writer, bookmarks, dest)
    outline_entry = f" /Outlines {outline} 0 R /PageMode /UseOutlines" if outline else ""
    writer.put(
        catalog,
        f"<< /Type /Catalog /Pages {page_tree} 0 R /Lang ({lang}){outline_entry} "
        f"/ViewerPreferences << /DisplayDocTitle true >> >>",
    )
    info = writer.add(
        f"<< /Title {pdf_string(title)} /Producer (smartcounter) /Creator (smartcounter) >>"
    )
    return writer.serialize(catalog, info)


def _outline(writer: PdfWriter, bookmarks: Sequence[Bookmark], dest: object) -> int | None:
    if not bookmarks:
        return None
    assert callable(dest)
    root = writer.reserve()

    def level(items: Sequence[Bookmark], parent: int) -> tuple[int, int, int]:
        refs = [writer.reserve() for _ in items]
        total = 0
        for i, (item, ref) in enumerate(zip(items, refs, strict=True)):
            parts = [
                f"/Title {pdf_string(item.title)}",
                f"/Parent {parent} 0 R",
                f"/Dest {dest(item.target)}",
            ]
            if i > 0:
                parts.append(f"/Prev {refs[i - 1]} 0 R")
            if i < len(refs) - 1:
                parts.append(f"/Next {refs[i + 1]} 0 R")
            if item.children:
                first, last, count = level(item.children, ref)
                # Negative count: the children start closed (a bulletin has hundreds of branches).
                parts += [f"/First {first} 0 R", f"/Last {last} 0 R", f"/Count -{count}"]
            writer.put(ref, "<< " + " ".join(parts) + " >>")
            total += 1
        return refs[0], refs[-1], total

    first, last, count = level(bookmarks, root)
    writer.put(root, f"<< /Type /Outlines /First {first} 0 R /Last {last} 0 R /Count {count} >>")
    return root
