"""``smartcounter demo``: a synthetic network, imported, its weekly rates and bulletin."""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from smartcounter.accounts.demo import seed_demo
from smartcounter.bulletin import build_bulletin
from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.cli.context import AppState, fail, state_of
from smartcounter.cli.figures import show
from smartcounter.i18n import Lang
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.kit.progress import NullProgress, Progress, RichProgress
from smartcounter.kit.tabular import OutputFormat
from smartcounter.metrics import Period, open_metrics
from smartcounter.store.layout import Store
from smartcounter.store.paths import default_store_path
from smartcounter.store.weeks import latest_week
from smartcounter.synthetic import SOURCE_BRANCHES, NetworkSpec, build_network, write_network
from smartcounter.synthetic.changes import adoption_changes

MARKER = "smartcounter-demo.json"
SOURCE_WEEK = "2018-W10"
# The week the demo's laggards are paired and start to take over their partners' practice.
PAIRING_WEEK = "2018-W03"
# The source's published rates (domain.md), to print beside what the demo measures.
SOURCE_RATES = {"DY-XSK": 0.9385, "NT-KFQ": 0.9034, "CZ-LJL": 0.8123, "LYG-DHCZ": 0.9381}
# The branch whose lobby the demo opens: 镇江丹阳新市口支行.
LOBBY_BRANCH = "DY-XSK"


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the command line."""
    app.command("demo")(demo)


def default_demo_dir() -> Path:
    """The per-user folder the demo writes to."""
    return default_store_path().parent / "demo"


def _demo_made(folder: Path) -> bool:
    """True when an earlier demo made ``folder`` and, for a store, nothing has been imported
    into it since (its marker lists the demo's own imports)."""
    marker = folder / MARKER
    try:
        made = json.loads(marker.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    imports = made.get("imports") if isinstance(made, dict) else None
    if imports is None:
        return True  # the demo folder, or a store whose demo did not finish
    return sorted(p.name for p in (folder / "imports").glob("*.json")) == sorted(imports)


def _check_free(folder: Path, state: AppState, refusal: str) -> None:
    """Stop with ``refusal`` unless ``folder`` is missing, empty or an earlier demo's."""
    if folder.exists() and not folder.is_dir():
        fail(state.t("demo.not_a_folder", path=str(folder)))
    if folder.exists() and any(folder.iterdir()) and not _demo_made(folder):
        fail(state.t(refusal, path=str(folder)))


def _prepare(folder: Path) -> None:
    """Start from an empty folder (checked by ``_check_free``), marked as the demo's."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    _mark(folder, imports=None)


def _mark(folder: Path, imports: list[str] | None) -> None:
    made = {"made_by": "smartcounter demo", "imports": imports}
    (folder / MARKER).write_text(json.dumps(made), "utf-8")


def _within(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or lies in it."""
    inner, outer = path.resolve(), folder.resolve()
    return inner == outer or outer in inner.parents


def demo(
    ctx: typer.Context,
    folder: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Folder for the demo's export and bulletins, and its store unless --store "
            "names one (replaced).",
        ),
    ] = None,
    branches: Annotated[
        int, typer.Option("--branches", min=4, help="Branches in the network.")
    ] = 120,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed of the network.")
    ] = NetworkSpec().seed,
) -> None:
    """生成演示网点网络、导入、显示每周迁移率并生成通报。Make a demo network, import it, show its rates and bulletin."""
    state = state_of(ctx)
    t = state.t
    root = folder or default_demo_dir()
    # The store named by --store (or SMARTCOUNTER_STORE), else the demo folder's own. One
    # named elsewhere than in the demo folder is checked and prepared on its own, and marked
    # with the demo's imports at the end: a later demo replaces it only if nothing else has
    # been imported into it since. Both folders are checked before either is touched.
    given = state.store_given
    apart = given is not None and not _within(given, root)
    _check_free(root, state, "demo.not_a_demo_folder")
    if given is not None and apart:
        _check_free(given, state, "demo.not_a_demo_store")
    _prepare(root)
    if given is not None and apart:
        _prepare(given)
    export, store_dir = root / "export", given or root / "store"
    # The programme's story: the laggards paired in an early week take over their partners'
    # practices from then on, so the weekly trend shows their gaps closing.
    base = NetworkSpec(branches=branches, seed=seed)
    network = build_network(base)
    changes = adoption_changes(network.practices, network.branch_ids.to_list(), PAIRING_WEEK)
    spec = replace(base, changes=changes)
    bar = RichProgress() if sys.stderr.isatty() else None
    progress: Progress = bar or NullProgress()
    started = time.perf_counter()
    try:
        print(
            t(
                "demo.generating",
                branches=branches,
                start=spec.start.isoformat(),
                end=spec.end.isoformat(),
            )
        )
        print(
            t(
                "demo.story",
                week=PAIRING_WEEK,
                laggards=len({c.branch_id for c in changes}),
            )
        )
        summary = write_network(export, spec, progress=progress, lang=state.lang.value)
        print(t("demo.importing", path=str(export)))
        report = ingest_paths(
            store_dir,
            [export],
            timezone=state.settings.timezone,
            catalogue=load_catalogue(state.settings.catalogue),
            options=IngestOptions(lang=state.lang),
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    imported = sum(f.imported for f in report.files)
    print(
        t(
            "demo.imported",
            rows=imported,
            transactions=summary.transactions,
            rejected=report.rejected,
            seconds=f"{time.perf_counter() - started:.1f}",
        )
    )
    store = Store.open(store_dir)
    settings = state.settings.model_copy(update={"store": store_dir})
    with open_metrics(store, settings) as metrics:
        weekly = metrics.rates(["week"])
        show(weekly, OutputFormat.TABLE, t, t("demo.weekly_title"))
        sources = metrics.rates(["branch"], Period.week(SOURCE_WEEK))
    names = {s.branch_id: s.name for s in SOURCE_BRANCHES}
    print(t("demo.sources_title", week=SOURCE_WEEK))
    for row in sources.filter(sources["branch_id"].is_in(list(SOURCE_RATES))).iter_rows(named=True):
        print(
            t(
                "demo.source_line",
                name=names[row["branch_id"]],
                branch=row["branch_id"],
                rate=f"{row['rate'] * 100:.2f}%",
                source=f"{SOURCE_RATES[row['branch_id']] * 100:.2f}%",
                low=f"{row['ci_low'] * 100:.1f}%",
                high=f"{row['ci_high'] * 100:.1f}%",
            )
        )
    week = latest_week(store)
    if week is not None:
        print(t("demo.bulletin_title", week=week))
        with open_metrics(store, settings) as metrics:
            for lang in (Lang.ZH, Lang.EN):
                paths = build_bulletin(
                    store, settings, week, root / "bulletin" / lang.value, lang, metrics=metrics
                )
                for path in paths.written():
                    print(f"  {path}")
    logins = seed_demo(store, LOBBY_BRANCH, settings=settings)
    if given is not None and apart:
        _mark(given, imports=sorted(p.name for p in (given / "imports").glob("*.json")))
    print(t("demo.lobby_title", branch=names[LOBBY_BRANCH], store=str(store_dir)))
    for role, user, password in logins:
        print(t("demo.lobby_login", role=t(f"lobby.role.{role}"), user=user, password=password))
    print()
    print(t("demo.next", store=str(store_dir), week=SOURCE_WEEK))
