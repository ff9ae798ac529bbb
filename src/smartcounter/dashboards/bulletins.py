"""The week's bulletin for download: built on demand by ``smartcounter.bulletin``, kept per week
and language in the store folder (``bulletins/<week>/<lang>/``).

One build writes all three files, since most of a build is the figures, not the format:
the first download of a week and language pays for the three, the others are instant. A
kept bulletin is rebuilt when the store's data changed since (a new import or close of
day, a saved or ended pair), so a download never shows last Monday's figures for data
imported on Tuesday.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Literal

from smartcounter.bulletin import BulletinError, BulletinFormat, build_bulletin
from smartcounter.bulletin.pdf import FontMissingError
from smartcounter.dashboards.cache import data_stamp
from smartcounter.dashboards.errors import BulletinUnavailable, WeekNotFound
from smartcounter.dashboards.schemas import BulletinLink
from smartcounter.i18n import Lang
from smartcounter.kit import lock
from smartcounter.kit.durable import write_atomic
from smartcounter.settings import Settings
from smartcounter.store.layout import Store, StoreBusyError

FOLDER = "bulletins"
STAMP = "source.txt"
FileFormat = Literal["html", "xlsx", "pdf"]
FORMATS: tuple[FileFormat, ...] = ("html", "xlsx", "pdf")
MEDIA_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
# A second request for the same bulletin waits for the first one's build this long.
BUILD_WAIT_SECONDS = 120.0


def folder_of(store: Store, week: str, lang: Lang) -> Path:
    """Where the bulletin of ``week`` in ``lang`` is kept."""
    return store.root / FOLDER / week / lang.value


def file_name(week: str, lang: Lang, fmt: FileFormat) -> str:
    """The name a downloaded bulletin is saved as."""
    return f"smartcounter-bulletin-{week}-{lang.value}.{fmt}"


def is_ready(store: Store, week: str, lang: Lang, fmt: FileFormat) -> bool:
    """True when the kept bulletin file is there and built from the store's current data."""
    folder = folder_of(store, week, lang)
    stamp = folder / STAMP
    if not (folder / f"bulletin.{fmt}").exists() or not stamp.exists():
        return False
    return stamp.read_text("utf-8").strip() == data_stamp(store)


def links(store: Store, week: str, first: Lang) -> list[BulletinLink]:
    """The week's bulletin files in both languages, ``first`` first."""
    langs = [first, *(lang for lang in Lang if lang is not first)]
    return [
        BulletinLink(
            format=fmt,
            lang="zh" if lang is Lang.ZH else "en",
            url=f"/api/bulletins/{week}/{fmt}?lang={lang.value}",
            ready=is_ready(store, week, lang, fmt),
        )
        for lang in langs
        for fmt in FORMATS
    ]


def bulletin_file(
    *, store: Store, settings: Settings, week: str, lang: Lang, fmt: FileFormat
) -> Path:
    """The bulletin file of ``week`` in ``lang``, built first if it is missing or stale."""
    if is_ready(store, week, lang, fmt):
        return folder_of(store, week, lang) / f"bulletin.{fmt}"
    guard = store.root / "locks" / f"bulletin-{week}-{lang.value}.lock"
    try:
        with lock.exclusive(guard, what=f"bulletin {week}", wait_seconds=BUILD_WAIT_SECONDS):
            # Whoever held the lock may just have built it.
            if not is_ready(store, week, lang, fmt):
                _build(store, settings, week, lang)
    except lock.LockBusyError as exc:
        raise StoreBusyError(exc.holder) from exc
    return folder_of(store, week, lang) / f"bulletin.{fmt}"


def _build(store: Store, settings: Settings, week: str, lang: Lang) -> None:
    stamp = data_stamp(store)
    target = folder_of(store, week, lang)
    scratch = store.root / FOLDER / f".building-{uuid.uuid4().hex}"
    try:
        try:
            paths = build_bulletin(
                store,
                settings,
                week,
                scratch,
                lang,
                formats=(BulletinFormat.HTML, BulletinFormat.XLSX, BulletinFormat.PDF),
            )
        except BulletinError as exc:
            raise WeekNotFound(week=week) from exc
        except FontMissingError as exc:
            raise BulletinUnavailable(detail=str(exc)) from exc
        target.mkdir(parents=True, exist_ok=True)
        for path in paths.written():
            path.replace(target / path.name)
        # The stamp last: a crash before it leaves files that the next request rebuilds.
        write_atomic(target / STAMP, stamp.encode("utf-8"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
