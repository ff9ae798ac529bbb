"""Cost as the work grows: one week's bulletin figures against history and network size.

Two series, each measured side by side in one run on generated networks (the same seed):

* history: the same network with 13, 26 and 52 weeks stored; the figures of the last
  week's bulletin on each. It should stay flat (aim: 52 weeks ≤ 1.2× 13 weeks): a week's
  figures read that week's rollups and rows, and the trend only the weeks it shows.
* network size: 1,000, 5,000 and 10,000 branches (a few weeks each); the figures of the
  last week's bulletin. It should grow at most linearly with the branches.

"The figures" are the bulletin's content model (``bulletin.content.build_content``: every
figure of every page, on DuckDB) without the HTML, workbook or PDF. Each is timed three
times, in a fresh engine each time, and the median kept.

    python benchmarks/bench_growth.py                          # both series (long: stores are generated once)
    python benchmarks/bench_growth.py --series history --branches 200
    python benchmarks/bench_growth.py --series size --sizes 500,1000,2000 --size-weeks 3

Stores are kept under benchmarks/data/ (git-ignored) for the next run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
START = date(2018, 1, 1)
GENERATED = datetime(2018, 3, 12, 9, 0)


def ensure_store(branches: int, weeks: int, scale: float) -> Path:
    root = HERE / "data" / f"growth-{branches}x{weeks}x{scale:g}"
    if (root / ".complete").exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    print(f"generating {branches} branches x {weeks} weeks ...", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from smartcounter.cli.app import main; main()",
            "generate",
            str(root.with_suffix(".csv")),
            "--branches",
            str(branches),
            "--weeks",
            str(weeks),
            "--start",
            START.isoformat(),
            "--seed",
            "7",
            "--ticket-scale",
            str(scale),
            "--store",
            str(root),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (root / ".complete").write_text("ok")
    return root


def last_week(weeks: int) -> str:
    from smartcounter.metrics.period import week_of

    return week_of(START + timedelta(weeks=weeks) - timedelta(days=1))


def figures_seconds(root: Path, week: str, repeat: int = 3) -> float:
    """Median wall time of the bulletin's figures for ``week`` (a fresh engine each time)."""
    from smartcounter.bulletin.content import build_content
    from smartcounter.i18n import Lang
    from smartcounter.metrics import open_metrics
    from smartcounter.programme.status import judge
    from smartcounter.settings import load_settings
    from smartcounter.store.layout import Store

    store = Store.open(root)
    settings = load_settings(store=root)
    times = []
    for _ in range(repeat):
        with open_metrics(store, settings) as metrics:
            t0 = time.perf_counter()
            build_content(
                metrics,
                store,
                settings.bulletin,
                board=judge(metrics=metrics, settings=settings, week=week),
                lang=Lang.ZH,
                region=None,
                generated_at=GENERATED,
            )
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def rows_of(root: Path) -> int:
    import duckdb

    got = duckdb.sql(
        f"SELECT COUNT(*) FROM read_parquet('{root}/tables/transactions/*/*/*.parquet')"
    ).fetchall()
    return int(got[0][0])


def history(branches: int, scale: float) -> None:
    print(f"\nhistory: {branches} branches, the last week's bulletin figures")
    print(f"{'weeks':>6}{'transactions':>14}{'figures s':>11}{'vs 13 weeks':>13}")
    base = None
    for weeks in (13, 26, 52):
        root = ensure_store(branches, weeks, scale)
        seconds = figures_seconds(root, last_week(weeks))
        base = base or seconds
        print(f"{weeks:>6}{rows_of(root):>14,}{seconds:>11.2f}{seconds / base:>12.2f}x")
    print(f"history: 52 weeks {seconds / base:.2f}x 13 weeks (aim <= 1.2x)")


def size(sizes: list[int], weeks: int, scale: float) -> None:
    print(f"\nnetwork size: {weeks} weeks, the last week's bulletin figures")
    print(f"{'branches':>9}{'transactions':>14}{'figures s':>11}{'s per 1,000 branches':>22}")
    first: tuple[int, float] | None = None
    for n in sizes:
        root = ensure_store(n, weeks, scale)
        seconds = figures_seconds(root, last_week(weeks))
        first = first or (n, seconds)
        print(f"{n:>9,}{rows_of(root):>14,}{seconds:>11.2f}{seconds / n * 1000:>22.3f}")
    growth = (seconds / first[1]) / (sizes[-1] / first[0])
    print(
        f"network size: {sizes[-1]:,} branches cost {seconds / first[1]:.1f}x {first[0]:,} "
        f"for {sizes[-1] / first[0]:.0f}x the branches (growth vs linear {growth:.2f}; aim <= 1)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", choices=["history", "size", "both"], default="both")
    parser.add_argument("--branches", type=int, default=300, help="history: branches")
    parser.add_argument("--sizes", default="1000,5000,10000", help="size: branch counts")
    parser.add_argument("--size-weeks", type=int, default=3)
    parser.add_argument("--scale", type=float, default=0.3, help="generator's --ticket-scale")
    args = parser.parse_args()
    from installed import compile_package  # beside this script, on its path

    compile_package()  # as an installed copy has it (installed.py)
    if args.series in ("history", "both"):
        history(args.branches, args.scale)
    if args.series in ("size", "both"):
        size([int(s) for s in args.sizes.split(",")], args.size_weeks, args.scale)


if __name__ == "__main__":
    main()
