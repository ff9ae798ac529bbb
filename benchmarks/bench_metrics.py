"""All figures of one weekly bulletin: DuckDB vs a plain pandas baseline vs Spark local.

The figures: the week and the week before per branch (ranking, change), the 8-week trend
for the network and each peer group, the un-migrated Pareto by business, reason, staff,
hour and age band, the triage funnel with decline reasons and depth, and daily tickets.
Each engine runs in its own process (so that peak memory is its own), one after the
other in the same run, on the same store; a bare DuckDB scan of the columns involved over
the same weeks is the practical floor.

    python benchmarks/bench_metrics.py                    # 10,000 branches x 13 weeks (~50M)
    python benchmarks/bench_metrics.py --branches 500     # a quick look

The store is generated once under benchmarks/data/ (git-ignored) and reused.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
WEEK = "2018-W13"
START = date(2018, 1, 1)


def store_path(branches: int, weeks: int) -> Path:
    return HERE / "data" / f"metrics-{branches}x{weeks}"


def ensure_store(branches: int, weeks: int, ticket_scale: float) -> Path:
    """Generate and import the benchmark network once (kept under benchmarks/data/)."""
    from smartcounter.kit.progress import RichProgress
    from smartcounter.store.layout import Store
    from smartcounter.synthetic import NetworkSpec, write_network

    root = store_path(branches, weeks)
    if (root / ".complete").exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    spec = NetworkSpec(
        branches=branches, weeks=weeks, start=START, seed=7, ticket_scale=ticket_scale
    )
    print(f"generating {branches} branches x {weeks} weeks into {root} ...", flush=True)
    store = Store.open_or_create(root, timezone="Asia/Shanghai")
    progress = RichProgress()
    try:
        # Large import chunks: every import checks its ids against the whole store.
        write_network(
            root.with_suffix(".truth"),
            spec,
            write_csv=False,
            store=store,
            progress=progress,
            store_chunk_rows=8_000_000,
        )
    finally:
        progress.close()
    (root / ".complete").write_text("ok")
    return root


# -- the figure set, once per engine ------------------------------------------------------
def run_smartcounter(root: Path, engine: str) -> dict[str, object]:
    """All bulletin figures through the metrics API on ``engine``."""
    from smartcounter.metrics import Period, open_metrics
    from smartcounter.metrics.period import weeks_back
    from smartcounter.settings import load_settings
    from smartcounter.store.layout import Store

    store = Store.open(root)
    settings = load_settings(store=root)
    started = time.perf_counter()
    with open_metrics(store, settings, engine) as m:
        week = Period.week(WEEK)
        out = {
            "ranking": m.ranking(WEEK).height,
            "trend_network": m.rates(["week"], Period.of_weeks(weeks_back(WEEK, 8))).height,
            "trend_peer": m.rates(
                ["branch_type", "week"], Period.of_weeks(weeks_back(WEEK, 8))
            ).height,
            "tickets": m.daily_tickets(["branch"], week).height,
        }
        for dim in ("business", "reason", "staff", "hour", "age_band"):
            out[f"unmigrated_{dim}"] = m.unmigrated(dim, week).height
        out["unmigrated_branch_business"] = m.unmigrated("business", week, ["branch"]).height
        out["funnel"] = m.funnel(week).height
        out["funnel_branch"] = m.funnel(week, ["branch"]).height
        out["declines"] = m.decline_reasons(week).height
        out["depth"] = m.triage_depth(week).height
    return {"seconds": time.perf_counter() - started, "rows": out}


def run_pandas(root: Path) -> dict[str, object]:
    """The same figures as a bank analyst would write them: read Parquet, group, merge."""
    import numpy as np
    import pandas as pd

    from smartcounter.metrics.period import shift_week, weeks_back

    started = time.perf_counter()
    tables = root / "tables"
    previous = shift_week(WEEK, -1)

    def read(table: str, weeks: list[str], columns: list[str]) -> pd.DataFrame:
        frames = []
        for w in weeks:
            for f in sorted((tables / table / f"week={w}").rglob("*.parquet")):
                frame = pd.read_parquet(f, columns=columns)
                frame["week"] = w
                frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    bt = pd.read_parquet(next((tables / "business_types").glob("*.parquet")))
    branches = pd.read_parquet(next((tables / "branches").glob("*.parquet")))
    migratable = set(bt.loc[bt["migratable"], "code"])

    trend = read("transactions", weeks_back(WEEK, 8), ["branch_id", "business_code", "channel"])
    trend["m"] = trend["business_code"].isin(migratable)
    trend["d"] = trend["m"] & (trend["channel"] == "stm")
    trend = trend.merge(branches[["branch_id", "branch_type"]], on="branch_id", how="left")
    network = trend.groupby("week")[["m", "d"]].sum()
    peer = trend.groupby(["branch_type", "week"])[["m", "d"]].sum()
    this = trend[trend["week"] == WEEK].groupby("branch_id")[["m", "d"]].sum()
    last = trend[trend["week"] == previous].groupby("branch_id")[["m", "d"]].sum()
    rank = this.merge(last, left_index=True, right_index=True, how="outer", suffixes=("", "_prev"))
    rank = rank.reset_index()
    rank["rate"] = rank["d"] / rank["m"].replace(0, np.nan)
    rank["rate_prev"] = rank["d_prev"] / rank["m_prev"].replace(0, np.nan)
    rank["change_pp"] = (rank["rate"] - rank["rate_prev"]) * 100
    rank = rank.merge(branches, on="branch_id", how="left")
    rank["peer_rank"] = rank.groupby("branch_type")["rate"].rank(method="min", ascending=False)
    rank["network_rank"] = rank["rate"].rank(method="min", ascending=False)

    week_tx = read(
        "transactions",
        [WEEK],
        ["branch_id", "business_code", "channel", "staff_id", "visit_id", "reason", "hour"],
    )
    unmigrated = week_tx[
        week_tx["business_code"].isin(migratable) & (week_tx["channel"] == "teller")
    ]
    visits = read("visits", [previous, WEEK], ["visit_id", "branch_id", "age_band", "day"])
    pareto = {}
    for dim in ("business_code", "reason", "staff_id", "hour"):
        counts = unmigrated[dim].astype("string").fillna("unknown").value_counts()
        pareto[dim] = (counts / counts.sum()).cumsum()
    aged = unmigrated.merge(visits[["visit_id", "age_band"]], on="visit_id", how="left")
    counts = aged["age_band"].fillna("unknown").value_counts()
    pareto["age_band"] = (counts / counts.sum()).cumsum()
    branch_business = unmigrated.groupby(["branch_id", "business_code"]).size()

    triage = read("triage", [previous, WEEK], ["visit_id", "stage", "outcome", "reason"])
    week_triage = triage[triage["week"] == WEEK]
    funnel = week_triage.groupby("stage")["outcome"].value_counts().unstack(fill_value=0)
    with_branch = week_triage.merge(visits[["visit_id", "branch_id"]], on="visit_id", how="left")
    with_branch["acc"] = with_branch["outcome"] == "accepted"
    funnel_branch = with_branch.groupby(["branch_id", "stage"]).agg(
        touches=("acc", "size"), accepted=("acc", "sum")
    )
    declines = week_triage[week_triage["outcome"] == "declined"].groupby(["stage", "reason"]).size()
    deepest = triage.groupby("visit_id")["stage"].max()
    week_visits = visits[visits["week"] == WEEK]
    depth = week_visits["visit_id"].map(deepest).fillna(0).value_counts()
    per_day = week_visits.groupby(["branch_id", "day"]).size()
    tickets = per_day.groupby("branch_id").agg(["sum", "count"])
    out = {
        "ranking": len(rank),
        "trend_network": len(network),
        "trend_peer": len(peer),
        "tickets": len(tickets),
        "unmigrated_branch_business": len(branch_business),
        "funnel": len(funnel),
        "funnel_branch": len(funnel_branch),
        "declines": len(declines),
        "depth": len(depth),
    }
    out.update(
        {
            f"unmigrated_{k.split('_')[0] if k != 'age_band' else k}": len(v)
            for k, v in pareto.items()
        }
    )
    return {"seconds": time.perf_counter() - started, "rows": out}


def run_scan(root: Path) -> dict[str, object]:
    """The floor: DuckDB merely reading the columns involved over the same weeks.

    ``max`` makes it decode every value (``count`` of a column could be answered from
    its null counts alone), but it neither joins nor groups."""
    import duckdb

    from smartcounter.metrics.period import shift_week, weeks_back

    tables = root / "tables"
    started = time.perf_counter()
    con = duckdb.connect()

    def files(table: str, weeks: list[str]) -> str:
        paths = [
            str(f) for w in weeks for f in sorted((tables / table / f"week={w}").rglob("*.parquet"))
        ]
        return "[" + ", ".join(f"'{p}'" for p in paths) + "]"

    trend = weeks_back(WEEK, 8)
    near = [shift_week(WEEK, -1), WEEK, shift_week(WEEK, 1)]
    con.sql(
        f"SELECT max(branch_id), max(business_code), max(channel) FROM read_parquet({files('transactions', trend)})"
    ).fetchall()
    con.sql(
        f"SELECT max(staff_id), max(visit_id), max(reason), max(hour) FROM read_parquet({files('transactions', [WEEK])})"
    ).fetchall()
    con.sql(
        f"SELECT max(visit_id), max(branch_id), max(age_band), max(day) FROM read_parquet({files('visits', near)})"
    ).fetchall()
    con.sql(
        f"SELECT max(visit_id), max(stage), max(outcome), max(reason) FROM read_parquet({files('triage', near)})"
    ).fetchall()
    return {"seconds": time.perf_counter() - started, "rows": {}}


def child(kind: str, root: Path) -> None:
    if kind == "pandas":
        result = run_pandas(root)
    elif kind == "scan":
        result = run_scan(root)
    else:
        result = run_smartcounter(root, kind)
    result["peak_mb"] = peak_mb()
    print("RESULT " + json.dumps(result))


def peak_mb() -> float:
    """This process's own peak resident set (VmHWM). ``ru_maxrss`` would do on its own,
    but on Linux a child started from a large parent inherits the parent's peak in it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, root: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--root", str(root)],
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    result: dict[str, object] = json.loads(line[len("RESULT ") :])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument(
        "--ticket-scale",
        type=float,
        default=0.64,
        help="generic branches' daily tickets x this (0.64: about 50M transactions at 10,000 x 13)",
    )
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--root")
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.root))
        return
    root = ensure_store(args.branches, args.weeks, args.ticket_scale)
    import duckdb

    def count(files: list[Path]) -> int:
        return int(
            duckdb.sql(f"SELECT count(*) FROM read_parquet({[str(f) for f in files]})").fetchall()[
                0
            ][0]
        )

    rows_in_store = count(sorted((root / "tables" / "transactions").rglob("*.parquet")))
    from smartcounter.metrics.period import weeks_back

    read_files = [
        f
        for w in weeks_back(WEEK, 8)
        for f in (root / "tables" / "transactions" / f"week={w}").rglob("*.parquet")
    ]
    rows = count(read_files)
    kinds = ["scan", "duckdb", "pandas"] + ([] if args.no_spark else ["spark"])
    results = {k: measure(k, root) for k in kinds}
    print(
        f"\nstore: {rows_in_store:,} transactions ({args.branches} branches x {args.weeks} weeks); "
        f"the bulletin's weeks hold {rows:,}"
    )
    print(f"{'engine':<10}{'seconds':>10}{'rows/s':>16}{'peak MB':>10}{'vs duckdb':>11}")
    base = float(results["duckdb"]["seconds"])  # type: ignore[arg-type]
    for kind, r in results.items():
        secs = float(r["seconds"])  # type: ignore[arg-type]
        print(
            f"{kind:<10}{secs:>10.2f}{rows / secs:>16,.0f}{float(r['peak_mb']):>10.0f}{secs / base:>10.2f}x"
        )
    print(f"\npandas / duckdb = {float(results['pandas']['seconds']) / base:.1f}x  (aim: >= 20x)")  # type: ignore[arg-type]
    print(f"duckdb / bare scan = {base / float(results['scan']['seconds']):.1f}x  (aim: <= 1.5x)")  # type: ignore[arg-type]
    if "spark" in results:
        print(f"spark / duckdb = {float(results['spark']['seconds']) / base:.1f}x")  # type: ignore[arg-type]
    same = {k: v["rows"] for k, v in results.items() if k != "scan"}
    print(
        "row counts agree across engines:",
        len({json.dumps(v, sort_keys=True) for v in same.values()}) == 1,
    )


if __name__ == "__main__":
    main()
