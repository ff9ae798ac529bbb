"""The weekly bulletin (每周通报): one week of the metrics API as HTML, Excel and PDF."""

from __future__ import annotations

from smartcounter.bulletin.errors import (
    BulletinError,
    NoDataError,
    UnknownBranchError,
    UnknownRegionError,
)
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
    ALL_BRANCHES,
    BulletinFormat,
    BulletinPaths,
    build_bulletin,
)

__all__ = [
    "ALL_BRANCHES",
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
    "UnknownBranchError",
    "UnknownRegionError",
    "build_bulletin",
]
