"""Fixtures of the bulletin tests: one seeded network in a real store, bulletins built once.

Building a store and a bulletin takes seconds, so both are session-scoped; every test
only reads them. Tests that change something (a region, a provider) build their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smartcounter.bulletin import BulletinPaths, build_bulletin
from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.i18n import Lang
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.metrics import Metrics
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.settings import Settings, load_settings
from smartcounter.store.layout import Store
from tests.bulletin.network import monday_weeks_before, write_network

WEEK = "2018-W10"
WEEKS = 9  # the trend's eight weeks and the week before them
GENERATED = datetime(2018, 3, 12, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "bulletin"
SOURCE_BRANCHES = {
    "DY-XSK": "镇江丹阳新市口支行",
    "NT-KFQ": "南通经济技术开发区支行营业部",
    "CZ-LJL": "常州龙锦路支行",
    "LYG-DHCZ": "连云港东海城中支行",
}


@dataclass(frozen=True)
class Built:
    """A bulletin built from the session's store."""

    paths: BulletinPaths
    lang: Lang

    @property
    def html(self) -> Path:
        assert self.paths.html is not None
        return self.paths.html

    @property
    def xlsx(self) -> Path:
        assert self.paths.xlsx is not None
        return self.paths.xlsx

    @property
    def pdf(self) -> Path:
        assert self.paths.pdf is not None
        return self.paths.pdf

    @property
    def volume_html(self) -> Path:
        """The volume of branch pages (网点分册), HTML."""
        return next(p for p in self.paths.volume if p.suffix == ".html")

    @property
    def volume_pdf(self) -> Path:
        """The volume of branch pages (网点分册), PDF."""
        return next(p for p in self.paths.volume if p.suffix == ".pdf")


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Twelve branches (the four of the source among them), nine weeks up to 2018-W10."""
    base = tmp_path_factory.mktemp("bulletin-network")
    src = base / "csv"
    write_network(
        src,
        first_monday=monday_weeks_before(date(2018, 3, 5), WEEKS),
        weeks=WEEKS,
        seed=7,
        scale=0.5,
    )
    root = base / "store"
    report = ingest_paths(
        root, [src], timezone="Asia/Shanghai", catalogue=load_catalogue(), options=IngestOptions()
    )
    assert report.rejected == 0, report
    return Store.open(root)


@pytest.fixture(scope="session")
def settings(store: Store) -> Settings:
    return load_settings(store=store.root)


@pytest.fixture(scope="session")
def metrics(store: Store) -> Iterator[Metrics]:
    """The metrics API the bulletin must agree with."""
    m = Metrics(DuckDBEngine(store))
    yield m
    m.close()


BuildBulletin = Callable[..., BulletinPaths]


@pytest.fixture(scope="session")
def build(
    store: Store, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> BuildBulletin:
    """Build a bulletin of the session's store into a new folder (keywords go through)."""

    def make(lang: Lang = Lang.ZH, region: str | None = None, **kwargs: object) -> BulletinPaths:
        out = tmp_path_factory.mktemp(f"bulletin-{lang.value}")
        kwargs.setdefault("generated_at", GENERATED)
        return build_bulletin(store, settings, WEEK, out, lang, region, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def zh(build: BuildBulletin) -> Built:
    """The Chinese bulletin of 2018-W10 (no extra sections)."""
    return Built(build(Lang.ZH, sections=()), Lang.ZH)


@pytest.fixture(scope="session")
def en(build: BuildBulletin) -> Built:
    """The English bulletin of 2018-W10 (no extra sections)."""
    return Built(build(Lang.EN, sections=()), Lang.EN)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The git-ignored folder for screenshots and page images."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def store_names(store: Store) -> set[str]:
    """Names that come from the data itself (branches, regions, staff): never translated."""
    from smartcounter.store.reading import read_table

    branches = read_table(store, "branches")
    staff = read_table(store, "staff")
    names = set(branches["name"].to_list()) | set(branches["region"].drop_nulls().to_list())
    return names | set(staff["name"].drop_nulls().to_list())
