"""``smartcounter rates --by branch,week`` as a whole process vs pandas over the same Parquet.

Both sides are whole processes started from the shell, as a bank's script would run them:
the command line (``smartcounter --store S rates --by branch,week --format csv``) and a
pandas script that reads the store's transaction Parquet (hive partitions), flags the
migratable business and the smart-counter channel, groups by branch and week, computes the
rate and its 95 % Wilson interval and writes the same CSV. The bare interpreter
(``python -c pass``) is run alongside as the floor. Runs are interleaved ``--repeat``
times and the medians compared; both outputs are checked to agree.

The command line's time is then split, from runs under ``python -X importtime`` that also
time themselves from inside, into interpreter start (and exit), importing modules, and the
rest: settings, opening the store, the query (on the week's rollups the import keeps, where
they exist) and writing the CSV.

    python benchmarks/bench_rates.py                      # 1,000 branches x 13 weeks (~5M)
    python benchmarks/bench_rates.py --branches 200 --repeat 5

The store is generated once under benchmarks/data/ (git-ignored) and reused (the same one
as bench_metrics.py with the same size).
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).with_name("smartcounter")

# The baseline as a bank analyst would write it with pandas.
PANDAS = r"""
import sys
import numpy as np
import pandas as pd

tables = sys.argv[1] + "/tables"
bt = pd.read_parquet(tables + "/business_types", columns=["code", "migratable"])
migratable = bt.loc[bt["migratable"].fillna(False).astype(bool), "code"]
tx = pd.read_parquet(
    tables + "/transactions", columns=["branch_id", "week", "business_code", "channel"]
)
m = tx["business_code"].isin(migratable)
tx["migratable"] = m.astype("int64")
tx["migrated"] = (m & (tx["channel"] == "stm")).astype("int64")
# ``week`` comes from the partition folders, as a category: grouped as one, named after.
g = tx.groupby(["branch_id", "week"], sort=True, observed=True)[["migratable", "migrated"]]
g = g.sum().reset_index()
g["week"] = g["week"].astype(str)
n = g["migratable"].astype(float).replace(0, np.nan)
p = g["migrated"] / n
z = 1.959964
denom = 1 + z * z / n
center = (p + z * z / (2 * n)) / denom
half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
g["rate"] = p
g["ci_low"] = (center - half).clip(lower=0)
g["ci_high"] = (center + half).clip(upper=1)
g.to_csv(sys.stdout, index=False)
"""


def command_line(root: Path) -> list[str]:
    return [str(BIN), "--store", str(root), "rates", "--by", "branch,week", "--format", "csv"]


def run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds and CPU seconds (user + system, all threads) of one run of ``cmd``, and
    what it printed. CPU time says what the work costs when other processes share the
    machine's cores; wall time is what a person waits."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def counts(text: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(branch, week) → (migratable, migrated) of a rates CSV."""
    rows = csv.DictReader(io.StringIO(text))
    return {(r["branch_id"], r["week"]): (int(r["migratable"]), int(r["migrated"])) for r in rows}


# One run of the command line that times itself: the whole process from outside, its
# own run from inside, and (``-X importtime``) the modules it imports on the way.
TIMED = """
import atexit, sys, time
started = time.perf_counter()
from smartcounter.cli.app import main
sys.argv[0] = "smartcounter"
atexit.register(lambda: print(f"INSIDE {time.perf_counter() - started:.6f}", file=sys.stderr))
main()
"""


def split(root: Path) -> tuple[float, float, float, float]:
    """One timed run: (whole process, interpreter start, imports, store and query and
    output) in seconds, all from the same run."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", TIMED, *command_line(root)[1:]],
        capture_output=True,
        text=True,
        check=True,
    )
    whole = time.perf_counter() - start
    imports = 0
    inside = 0.0
    for line in proc.stderr.splitlines():
        if line.startswith("INSIDE "):
            inside = float(line.split()[1])
        elif line.startswith("import time:"):
            parts = line.split("|")
            if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
                imports += int(parts[1])  # a top-level import's cumulative microseconds
    return whole, whole - inside, imports / 1e6, inside - imports / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--branches", type=int, default=1_000)
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument("--ticket-scale", type=float, default=0.64)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--store", type=Path, help="an existing store instead of generating one")
    args = parser.parse_args()
    from installed import compile_package  # beside this script, on its path

    compile_package()  # as an installed copy has it (installed.py)
    if args.store is not None:
        root = args.store
    else:
        sys.path.insert(0, str(HERE))
        from bench_metrics import ensure_store

        root = ensure_store(args.branches, args.weeks, args.ticket_scale)

    import duckdb

    files = sorted((root / "tables" / "transactions").rglob("*.parquet"))
    listed = [str(f) for f in files]
    rows = duckdb.sql(f"SELECT count(*) FROM read_parquet({listed})").fetchall()[0][0]
    size = sum(f.stat().st_size for f in files)

    cases = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "smartcounter rates": command_line(root),
        "pandas over Parquet": [sys.executable, "-c", PANDAS, str(root)],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    outputs: dict[str, str] = {}
    run(command_line(root))  # one warm-up: the files in the page cache for both sides
    # Interleaved, so that a noisy moment of the machine falls on every case alike.
    for _ in range(args.repeat):
        for name, cmd in cases.items():
            seconds, cpu, out = run(cmd)
            times[name].append(seconds)
            cpus[name].append(cpu)
            outputs[name] = out
    splits = sorted((split(root) for _ in range(5)), key=lambda r: r[0])
    whole, start_up, imports, rest = splits[len(splits) // 2]  # the median run

    ours = counts(outputs["smartcounter rates"])
    theirs = counts(outputs["pandas over Parquet"])
    mine = statistics.median(times["smartcounter rates"])
    base = statistics.median(times["pandas over Parquet"])
    print(
        f"store: {rows:,} transactions in {len(files):,} Parquet files "
        f"(average {size / max(len(files), 1) / 1e3:,.0f} KB); {len(ours):,} branch-weeks"
    )
    base_cpu = statistics.median(cpus["pandas over Parquet"])
    print(
        f"{'case':26} {'median s':>9} {'min s':>7} {'vs pandas':>10} {'CPU s':>7} {'vs pandas':>10}"
    )
    for name in cases:
        median = statistics.median(times[name])
        cpu = statistics.median(cpus[name])
        print(
            f"{name:26} {median:9.3f} {min(times[name]):7.3f} {base / median:9.2f}x "
            f"{cpu:7.3f} {base_cpu / cpu:9.2f}x"
        )
    best = min(times["pandas over Parquet"]) / min(times["smartcounter rates"])
    print(
        f"\npandas / smartcounter rates = {base / mine:.2f}x by medians, {best:.2f}x by the "
        "fastest run of each  (aim: >= 3x)"
    )
    print(
        f"one run of smartcounter rates under -X importtime (the median of 5): {whole:.3f} s = "
        f"interpreter start and exit {start_up:.3f} s + imports {imports:.3f} s "
        f"+ settings, store, query and output {rest:.3f} s"
    )
    print("outputs agree (branch, week, migratable, migrated):", ours == theirs)


if __name__ == "__main__":
    main()
