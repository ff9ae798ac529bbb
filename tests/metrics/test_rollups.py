"""The weekly rollups answer exactly what the rows answer, and the import keeps them so.

Every figure here is computed twice on the same generated network: once from the
rollup files the import wrote, once from a copy of the store without them (the engine
then runs the rollup's SQL over the rows). The two must be equal, figure by figure.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.canonical.tables import TRANSACTIONS, TRIAGE, VISITS
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.metrics.rollups import ROLLUPS, SETS, TX_ROLLUP, rebuild_rollups, rollup_files
from smartcounter.metrics.triage_rollup import TRI_ROLLUP
from smartcounter.store.layout import Store
from tests.conftest import RunCli

WEEK = "2018-W02"

Figure = Callable[[Metrics], pl.DataFrame]

FIGURES: dict[str, Figure] = {
    "rates by branch and week": lambda m: m.rates(["branch", "week"]),
    "rates by day": lambda m: m.rates(["day"]),
    "rates by region, a week": lambda m: m.rates(["region"], Period.week(WEEK)),
    "rates by month and type": lambda m: m.rates(["month", "branch_type"]),
    "rates by branch and hour": lambda m: m.rates(["branch", "hour"], Period.week(WEEK)),
    "rates by business": lambda m: m.rates(["business"], Period.week(WEEK)),
    "rates by staff": lambda m: m.rates(["staff"], Period.week(WEEK)),
    "rates by channel": lambda m: m.rates(["channel"]),
    "rates by age band and region": lambda m: m.rates(["region", "age_band"]),
    "rates by tier": lambda m: m.rates(["customer_tier"], Period.week(WEEK)),
    "rates over dates": lambda m: m.rates(
        ["branch"], Period(start=date(2018, 1, 3), end=date(2018, 1, 12))
    ),
    "rates by business over dates (rows)": lambda m: m.rates(
        ["business"], Period(start=date(2018, 1, 3), end=date(2018, 1, 12))
    ),
    "rates by business and hour (rows)": lambda m: m.rates(["business", "hour"]),
    "un-migrated by business": lambda m: m.unmigrated("business", Period.week(WEEK)),
    "un-migrated by reason per branch": lambda m: m.unmigrated(
        "reason", Period.week(WEEK), ["branch"]
    ),
    "un-migrated by staff": lambda m: m.unmigrated("staff"),
    "un-migrated by role per region": lambda m: m.unmigrated("role", Period.week(WEEK), ["region"]),
    "un-migrated by hour": lambda m: m.unmigrated("hour", Period.week(WEEK)),
    "un-migrated by age band per type": lambda m: m.unmigrated(
        "age_band", Period.week(WEEK), ["branch_type"]
    ),
    "un-migrated by tier": lambda m: m.unmigrated("customer_tier"),
    "ranking": lambda m: m.ranking(WEEK),
    "week over week": lambda m: m.week_over_week(WEEK),
    "attainment": lambda m: m.attainment(0.9, Period.week(WEEK), ["region"]),
    "trend": lambda m: m.trend(WEEK, 2, ["branch_type"]),
    # The triage rollup: the funnel, its decline reasons and the triage depth.
    "funnel": lambda m: m.funnel(Period.week(WEEK)),
    "funnel by branch": lambda m: m.funnel(Period.week(WEEK), ["branch"]),
    "funnel by type and week": lambda m: m.funnel(Period(), ["branch_type", "week"]),
    "funnel by staff (rows)": lambda m: m.funnel(Period.week(WEEK), ["staff"]),
    "funnel by hour (rows)": lambda m: m.funnel(Period.week(WEEK), ["hour"]),
    "funnel by age band per region (rows)": lambda m: m.funnel(Period(), ["region", "age_band"]),
    "funnel over dates (rows)": lambda m: m.funnel(
        Period(start=date(2018, 1, 3), end=date(2018, 1, 12)), ["branch"]
    ),
    "funnel by staff over dates (rows)": lambda m: m.funnel(
        Period(start=date(2018, 1, 3), end=date(2018, 1, 12)), ["staff"]
    ),
    "declines": lambda m: m.decline_reasons(Period.week(WEEK)),
    "declines by branch": lambda m: m.decline_reasons(Period.week(WEEK), ["branch"]),
    "declines by day and staff (rows)": lambda m: m.decline_reasons(Period(), ["day", "staff"]),
    "depth": lambda m: m.triage_depth(Period.week(WEEK)),
    "depth by branch": lambda m: m.triage_depth(Period.week(WEEK), ["branch"]),
    "depth by month and region": lambda m: m.triage_depth(Period(), ["month", "region"]),
    "depth by age band and tier (rows)": lambda m: m.triage_depth(
        Period.week(WEEK), ["age_band", "customer_tier"]
    ),
    "depth by hour (rows)": lambda m: m.triage_depth(Period(), ["hour"]),
    "depth over dates (rows)": lambda m: m.triage_depth(
        Period(start=date(2018, 1, 3), end=date(2018, 1, 12)), ["branch"]
    ),
    "depth by day and age band (rows)": lambda m: m.triage_depth(Period(), ["day", "age_band"]),
}


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated network's export: 10 branches, 3 weeks."""
    from typer.testing import CliRunner

    from smartcounter.cli.app import app

    out = tmp_path_factory.mktemp("rollups") / "export"
    result = CliRunner().invoke(
        app, ["generate", str(out), "--branches", "10", "--weeks", "3", "--seed", "11"]
    )
    assert result.exit_code == 0, result.output
    return out


def _ingest(root: Path, *folders: Path) -> None:
    for folder in folders:
        report = ingest_paths(
            root,
            [folder],
            timezone="Asia/Shanghai",
            catalogue=load_catalogue(),
            options=IngestOptions(),
        )
        assert report.rejected == 0


@pytest.fixture(scope="module")
def stores(network: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The imported network, and a copy of it without rollup files."""
    top = tmp_path_factory.mktemp("stores")
    rolled = top / "rolled"
    _ingest(rolled, network)
    bare = top / "bare"
    shutil.copytree(rolled, bare)
    for rollup in ROLLUPS:
        shutil.rmtree(bare / "tables" / rollup.table.name)
    return rolled, bare


@pytest.fixture
def pair(stores: tuple[Path, Path]) -> Iterator[tuple[Metrics, Metrics]]:
    rolled, bare = (Metrics(DuckDBEngine(Store.open(p))) for p in stores)
    yield rolled, bare
    rolled.close()
    bare.close()


def _same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert a.height > 0
    assert_frame_equal(a, b, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)


def test_the_import_rolls_up_every_week(stores: tuple[Path, Path]) -> None:
    store = Store.open(stores[0])
    weeks = store.weeks(TRANSACTIONS)
    assert len(weeks) >= 3
    assert store.weeks(TX_ROLLUP) == weeks
    assert store.weeks(TRI_ROLLUP) == sorted(set(store.weeks(VISITS)) | set(store.weeks(TRIAGE)))
    for rollup in ROLLUPS:
        assert rollup_files(store, None, rollup.table)
        assert rollup_files(Store.open(stores[1]), None, rollup.table) is None


@pytest.mark.parametrize("name", list(FIGURES))
def test_rollup_answers_equal_row_answers(name: str, pair: tuple[Metrics, Metrics]) -> None:
    rolled, bare = pair
    _same(FIGURES[name](rolled), FIGURES[name](bare))


def test_rollups_are_much_smaller_than_the_rows(stores: tuple[Path, Path]) -> None:
    """What makes them worth keeping: the totals hold a row per branch and day."""
    import duckdb

    root = stores[0]
    counts = duckdb.sql(
        f"SELECT dim, SUM(transactions) AS n, COUNT(*) AS rows FROM read_parquet("
        f"'{root}/tables/tx_rollup/*/*.parquet') GROUP BY dim"
    ).pl()
    rows = duckdb.sql(
        f"SELECT COUNT(*) FROM read_parquet('{root}/tables/transactions/*/*/*.parquet')"
    ).fetchall()[0][0]
    # Every set counts every transaction once.
    assert set(counts["n"].to_list()) == {rows}
    totals = counts.filter(pl.col("dim") == "")["rows"][0]
    assert totals * 20 < rows
    triage = duckdb.sql(
        f"SELECT dim, SUM(n) AS n, COUNT(*) AS rows FROM read_parquet("
        f"'{root}/tables/tri_rollup/*/*.parquet') GROUP BY dim"
    ).pl()
    touches, visits = (
        duckdb.sql(
            f"SELECT COUNT(*) FROM read_parquet('{root}/tables/{t}/**/*.parquet')"
        ).fetchall()[0][0]
        for t in ("triage", "visits")
    )
    funnel = triage.filter(pl.col("dim").str.starts_with("funnel"))
    depth = triage.filter(pl.col("dim").str.starts_with("depth"))
    # Every funnel set counts every touch once, every depth set every visit once.
    assert set(funnel["n"].to_list()) == {touches}
    assert set(depth["n"].to_list()) == {visits}
    assert funnel.filter(pl.col("dim") == "funnel")["rows"][0] * 10 < touches


def test_a_later_import_rolls_up_the_weeks_it_touches(
    network: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    """Visits arriving after their week's business change that week's age bands too."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for name in ("branches.csv", "staff.csv", "transactions.csv", "triage.csv"):
        shutil.copy(network / name, first / name)
    shutil.copy(network / "visits.csv", second / "visits.csv")
    root = tmp_path / "store"
    _ingest(root, first)
    with Metrics(DuckDBEngine(Store.open(root))) as m:
        before = m.rates(["age_band"])
    assert before["age_band"].null_count() == before.height  # no visits yet
    _ingest(root, second)
    whole = tmp_path / "whole"
    _ingest(whole, network)
    with (
        Metrics(DuckDBEngine(Store.open(root))) as late,
        Metrics(DuckDBEngine(Store.open(whole))) as once,
    ):
        _same(late.rates(["age_band", "week"]), once.rates(["age_band", "week"]))
        _same(late.unmigrated("customer_tier"), once.unmigrated("customer_tier"))
        # The triage came before its visits: the funnel's branches and depths follow them.
        _same(late.funnel(Period(), ["branch", "week"]), once.funnel(Period(), ["branch", "week"]))
        _same(late.triage_depth(Period(), ["age_band"]), once.triage_depth(Period(), ["age_band"]))


def test_rebuilding_gives_the_same_rollups(stores: tuple[Path, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(stores[1], copy)
    store = Store.open(copy)
    assert rebuild_rollups(store) == sorted(
        {*store.weeks(TRANSACTIONS), *store.weeks(VISITS), *store.weeks(TRIAGE)}
    )
    with (
        Metrics(DuckDBEngine(Store.open(copy))) as rebuilt,
        Metrics(DuckDBEngine(Store.open(stores[0]))) as imported,
    ):
        for name in ("rates by branch and hour", "un-migrated by role per region", "ranking"):
            _same(FIGURES[name](rebuilt), FIGURES[name](imported))
        for name in ("funnel by branch", "depth by month and region"):
            _same(FIGURES[name](rebuilt), FIGURES[name](imported))


@pytest.mark.slow
def test_spark_without_rollups_on_disk_gives_the_same(stores: tuple[Path, Path]) -> None:
    """Spark runs the rollup's own SQL over the rows where a store has no rollup yet."""
    from smartcounter.metrics.spark_engine import SparkEngine
    from smartcounter.settings import SparkSettings

    rolled, bare = stores
    settings = SparkSettings(master="local[2]", shuffle_partitions=2)
    with (
        Metrics(SparkEngine(Store.open(bare), settings)) as spark,
        Metrics(DuckDBEngine(Store.open(rolled))) as duck,
    ):
        names = ("rates by branch and hour", "un-migrated by role per region", "ranking")
        for name in (*names, "funnel by branch", "declines by branch", "depth by branch"):
            got, expected = FIGURES[name](spark), FIGURES[name](duck)
            # Spark's integer widths and float sums differ in the last bits only.
            _same(got.cast(dict(expected.schema)), expected)


def test_store_compact_rolls_up_weeks_of_an_older_store(
    stores: tuple[Path, Path], tmp_path: Path, run_cli: RunCli
) -> None:
    import json

    copy = tmp_path / "older"
    shutil.copytree(stores[1], copy)  # no rollups, as an older version left it
    result = run_cli("--store", copy, "store", "compact", "--format", "json")
    assert result.exit_code == 0, result.stderr
    store = Store.open(copy)
    every = sorted({*store.weeks(TRANSACTIONS), *store.weeks(VISITS), *store.weeks(TRIAGE)})
    assert json.loads(result.stdout)["rolled_up_weeks"] == every
    assert store.weeks(TX_ROLLUP) == store.weeks(TRANSACTIONS)
    again = run_cli("--store", copy, "store", "compact", "--format", "json")
    assert json.loads(again.stdout)["rolled_up_weeks"] == []
    with (
        Metrics(DuckDBEngine(store)) as rolled,
        Metrics(DuckDBEngine(Store.open(stores[0]))) as imported,
    ):
        _same(FIGURES["ranking"](rolled), FIGURES["ranking"](imported))


def test_a_rollup_of_another_format_is_not_read(stores: tuple[Path, Path], tmp_path: Path) -> None:
    """A week whose rollup file is of an older format counts as having none: the engine
    computes it from the rows (the same answer), and ``store compact`` writes it anew."""
    copy = tmp_path / "mixed"
    shutil.copytree(stores[0], copy)
    week_dir = copy / "tables" / TRI_ROLLUP.name / f"week={WEEK}"
    (old,) = week_dir.glob("*.parquet")
    stale = old.with_name(old.name.replace("-r", "-v0-r", 1))
    old.rename(stale)
    store = Store.open(copy)
    assert rollup_files(store, [WEEK], TRI_ROLLUP) is None
    assert rollup_files(store, [WEEK], TX_ROLLUP)
    with (
        Metrics(DuckDBEngine(Store.open(copy))) as mixed,
        Metrics(DuckDBEngine(Store.open(stores[0]))) as current,
    ):
        _same(FIGURES["funnel by branch"](mixed), FIGURES["funnel by branch"](current))
    assert rebuild_rollups(store, missing_only=True) == [WEEK]
    assert not stale.exists()
    assert rollup_files(Store.open(copy), [WEEK], TRI_ROLLUP)


def test_a_week_imported_in_two_parts_rolls_up_both(
    network: Path, tmp_path: Path, stores: tuple[Path, Path]
) -> None:
    """The second import of a week's triage rolls it up from the committed first half and
    its own staged second half alike."""
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(network, first)
    second.mkdir()
    lines = (network / "triage.csv").read_text("utf-8").splitlines(keepends=True)
    half = len(lines) // 2
    (first / "triage.csv").write_text("".join(lines[:half]), "utf-8")
    (second / "triage.csv").write_text(lines[0] + "".join(lines[half:]), "utf-8")
    root = tmp_path / "store"
    _ingest(root, first, second)
    with (
        Metrics(DuckDBEngine(Store.open(root))) as parts,
        Metrics(DuckDBEngine(Store.open(stores[0]))) as once,
    ):
        for name in ("funnel by branch", "declines by branch", "depth by branch"):
            _same(FIGURES[name](parts), FIGURES[name](once))


def _rollup_rows(root: Path, name: str) -> pl.DataFrame:
    """Every row of a rollup, with its week, in one order."""
    frame = pl.read_parquet(root / "tables" / name, hive_partitioning=True)
    return frame.sort(frame.columns, nulls_last=True)


def test_the_import_stages_what_a_rebuild_computes_row_for_row(
    stores: tuple[Path, Path], tmp_path: Path
) -> None:
    """Weeks staged side by side at import (``ROLLUP_WORKERS``) hold exactly the rows that
    ``rebuild_rollups`` computes for them over the committed rows."""
    copy = tmp_path / "rebuilt"
    shutil.copytree(stores[1], copy)
    rebuild_rollups(Store.open(copy))
    for name in (TX_ROLLUP.name, TRI_ROLLUP.name):
        imported = _rollup_rows(stores[0], name)
        assert imported.height
        assert_frame_equal(imported, _rollup_rows(copy, name))
    assert set(_rollup_rows(stores[0], TX_ROLLUP.name)["dim"].unique().to_list()) == set(SETS)


@pytest.mark.parametrize("overlap", [0, 50], ids=["halves", "halves with repeated rows"])
def test_a_week_of_transactions_imported_in_two_parts(
    network: Path, tmp_path: Path, stores: tuple[Path, Path], overlap: int
) -> None:
    """A week the import does not bring all of (rows stored already, rows repeated) is
    rolled up from its final files: the same rollup as one import of everything."""
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(network, first)
    second.mkdir()
    lines = (network / "transactions.csv").read_text("utf-8").splitlines(keepends=True)
    half = len(lines) // 2
    (first / "transactions.csv").write_text("".join(lines[: half + overlap]), "utf-8")
    (second / "transactions.csv").write_text(lines[0] + "".join(lines[half:]), "utf-8")
    root = tmp_path / "store"
    _ingest(root, first, second)
    assert_frame_equal(_rollup_rows(root, TX_ROLLUP.name), _rollup_rows(stores[0], TX_ROLLUP.name))


def test_weeks_rolled_up_together_equal_each_week_alone(
    stores: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Weeks that share one query (``WEEKS_PER_QUERY``: the visits of the weeks beside
    them read once) get the rows each week's own query gives them."""
    from smartcounter.metrics import rollups

    rebuilt = {}
    for together in (1, 2, 8):
        copy = tmp_path / f"by-{together}"
        shutil.copytree(stores[1], copy)
        monkeypatch.setattr(rollups, "WEEKS_PER_QUERY", together)
        assert len(rebuild_rollups(Store.open(copy))) >= 3
        rebuilt[together] = copy
    for name in (TX_ROLLUP.name, TRI_ROLLUP.name):
        alone = _rollup_rows(rebuilt[1], name)
        assert alone.height and alone["week"].n_unique() >= 3
        for together in (2, 8):
            assert_frame_equal(_rollup_rows(rebuilt[together], name), alone)


def test_a_query_makes_views_only_of_what_it_reads(stores: tuple[Path, Path]) -> None:
    """``rates`` reads the transaction rollup alone where it is on disk; where it must be
    computed, the rows it is computed from as well (metrics/engine.py ``views_for``)."""
    from smartcounter.metrics import definitions as d
    from smartcounter.metrics.engine import names_in, views_for

    sql = d.rates_sql(Period(), ["branch", "week"])
    rolled, bare = (Store.open(p) for p in stores)
    assert [scan.table.name for scan, _, _ in views_for(rolled, sql, None)] == [TX_ROLLUP.name]
    computed = views_for(bare, sql, None)
    names = [scan.table.name for scan, _, _ in computed]
    assert names[-1] == TX_ROLLUP.name and TRANSACTIONS.name in names
    assert set(names[:-1]) == names_in(computed[-1][2] or "") - {TX_ROLLUP.name}


def test_one_engine_answers_every_figure_in_turn_as_fresh_ones_do(
    stores: tuple[Path, Path],
) -> None:
    """Views are made as queries need them and kept between queries: one engine asked for
    every figure in turn, on the store with rollups and on the one without, answers each as
    an engine opened for that figure alone."""
    for root in stores:
        with Metrics(DuckDBEngine(Store.open(root))) as shared:
            for figure in FIGURES.values():
                with Metrics(DuckDBEngine(Store.open(root))) as fresh:
                    expected = figure(fresh)
                assert_frame_equal(figure(shared), expected)
