"""The bulletin as an A4 PDF, laid out and written by our own small engine."""

from __future__ import annotations

from smartcounter.bulletin.pdf.document import (
    PdfOutput,
    write_branch_pdfs,
    write_pdf,
    write_volume_pdf,
)
from smartcounter.bulletin.pdf.fonts import FontMissingError

__all__ = [
    "FontMissingError",
    "PdfOutput",
    "write_branch_pdfs",
    "write_pdf",
    "write_volume_pdf",
]
