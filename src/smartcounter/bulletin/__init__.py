"""The weekly bulletin (每周通报): one week of the metrics API as HTML, Excel and PDF."""

from __future__ import annotations

from smartcounter.bulletin.errors import BulletinError, NoDataError, UnknownRegionError
from smartcounter.bulletin.sections import (
    CellKind,
    Column,
    Figure,
    Section,
    SectionContext,
    SectionProvider,
    SectionTable,
)
from smartcounter.bulletin.service import (
    BulletinFormat,
    BulletinPaths,
    build_bulletin,
    latest_week,
)

__all__ = [
    "BulletinError",
    "BulletinFormat",
    "BulletinPaths",
    "CellKind",
    "Column",
    "Figure",
    "NoDataError",
    "Section",
    "SectionContext",
    "SectionProvider",
    "SectionTable",
    "UnknownRegionError",
    "build_bulletin",
    "latest_week",
]
