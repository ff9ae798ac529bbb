"""Views kept between requests: in the store folder for every worker, and in memory for
this process, both under the stamp of the data and settings they were made from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from smartcounter.dashboards import cache as view_cache
from smartcounter.dashboards.cache import ViewCache
from smartcounter.kit.recent import Recent
from smartcounter.settings import Settings
from smartcounter.store.layout import Store

NUMBERS = TypeAdapter(list[int])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
    (opened.root / "imports").mkdir(exist_ok=True)
    return opened


def new_data(store: Store) -> None:
    """As an import's commit does: the imports folder changes."""
    folder = store.root / "imports"
    stat = folder.stat()
    os.utime(folder, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


class Builds:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> list[int]:
        self.count += 1
        return [self.count]


def test_a_view_is_made_once_then_read_from_memory_without_its_file(store: Store) -> None:
    settings = Settings(store=store.root)
    build = Builds()
    first = ViewCache(store, settings).get("numbers", NUMBERS, build)
    assert first == [1] and build.count == 1
    file = store.root / view_cache.FOLDER / "numbers.json"
    assert file.exists()
    file.unlink()  # the next page does not read it: this process keeps the view
    again = ViewCache(store, settings).get("numbers", NUMBERS, build)
    assert again is first and build.count == 1


def test_another_process_reads_the_kept_file(store: Store) -> None:
    settings = Settings(store=store.root)
    build = Builds()
    ViewCache(store, settings).get("numbers", NUMBERS, build)
    view_cache._memory.clear()  # as a worker that never made the view
    assert ViewCache(store, settings).get("numbers", NUMBERS, build) == [1]
    assert build.count == 1


def test_new_data_or_other_settings_make_the_views_again(store: Store) -> None:
    settings = Settings(store=store.root)
    build, board = Builds(), Builds()
    ViewCache(store, settings).get("numbers", NUMBERS, build)
    ViewCache(store, settings).in_memory("board", board)
    new_data(store)
    assert ViewCache(store, settings).get("numbers", NUMBERS, build) == [2]
    # The views of the data before are let go: only the one just made is kept.
    assert [k[1] for k in view_cache._memory if k[0] == str(store.root / view_cache.FOLDER)] == [
        "numbers"
    ]
    assert ViewCache(store, settings).in_memory("board", board) == [2]
    other = settings.model_copy(
        update={"bulletin": settings.bulletin.model_copy(update={"target_rate": 0.5})}
    )
    assert ViewCache(store, other).in_memory("board", board) == [3]
    assert ViewCache(store, other).in_memory("board", board) == [3]
    assert board.count == 3


def test_memory_keeps_only_the_latest_views(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(view_cache, "_memory", Recent(3))
    cache = ViewCache(store, Settings(store=store.root))
    builds = {name: Builds() for name in "abcd"}
    for name in "abcd":
        cache.in_memory(name, builds[name])
    assert len(view_cache._memory) <= 3
    cache.in_memory("a", builds["a"])  # dropped first: made again
    cache.in_memory("d", builds["d"])  # still kept
    assert builds["a"].count == 2 and builds["d"].count == 1
