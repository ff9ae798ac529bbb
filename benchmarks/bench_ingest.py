"""Import throughput: ``smartcounter ingest`` against a plain pandas baseline, side by side.

    python benchmarks/bench_ingest.py                      # 1,150 branches × 13 weeks ≈ 10M transactions
    python benchmarks/bench_ingest.py --branches 120 --weeks 4   # a quick look

The dataset comes from ``smartcounter generate`` (the synthetic network) and is kept under
``benchmarks/data/`` (git-ignored) for the next run; ``--numpy-rows N`` writes a plain
transactions-shaped dataset with numpy instead. Each side runs in its own process, one
after the other, on the same files:

* ours: ``smartcounter --store <fresh temporary store> ingest DATA --format json`` — every
  check of data-format.md, duplicates, references, partitioned Parquet, atomic commit;
* baseline: pandas ``read_csv`` of each file (all text) and per-column checks (required,
  types, ranges, choices, codes, branch references, duplicate ids); it writes nothing;
* the bare copy: DuckDB's own CSV reader copying each file to one Parquet file (all
  text, Snappy, every core), with no check, no type, no partition, no rollup. It is not
  an importer: it shows what reading and writing every row alone costs on this machine,
  so its ratio to the baseline is about the most any importer that stores the rows
  could reach here.

Printed: rows, seconds, rows/s, the ratios, CPU seconds and peak memory (resident set) of
each process, and issue 11's aims met or short: at least 1 million rows/s and 5× the
baseline, peak under 2 GB.

    python benchmarks/bench_ingest.py --history 52 --branches 60   # cost as history grows

``--history N`` measures instead what a year of history costs a Monday import: the synthetic
network's N+1 weeks are split into weekly exports (each with branches.csv and staff.csv);
the first N are imported into one store; then the last week is imported, each time in its
own process, into an empty store and into (a hard-linked copy of) the N-week store,
alternately, ``--repeat`` times. Printed: the median seconds of each and their ratio
(aim: at most 1.2×).

    python benchmarks/bench_ingest.py --again --repeat 2   # the same export sent twice

``--again`` measures what an export sent a second time costs (a bank's script run twice):
each run imports the dataset into an empty store, then the same files again into that
store (every row is then compared with its stored copy and skipped), each in its own
process. Printed: the median seconds, CPU seconds and peak memory of both, their ratio,
and the import's aim of a peak under 2 GB for each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


@dataclass
class Run:
    """One measured process."""

    label: str
    rows: int
    seconds: float
    cpu_seconds: float
    peak_mb: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _measure(label: str, command: list[str], env: dict[str, str] | None = None) -> tuple[Run, str]:
    """Run ``command``; return its wall time, CPU time and peak memory, and its output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        # wait4 gives this child's own resource use (RUSAGE_CHILDREN would mix both runs).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8"), err.read().decode("utf-8", "replace")
    if process.returncode not in (0, 3):
        sys.stderr.write(stderr)
        raise SystemExit(f"{label} failed with status {process.returncode}")
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    cpu = usage.ru_utime + usage.ru_stime
    return Run(label, 0, seconds, cpu, peak_mb), stdout


# -- the dataset ------------------------------------------------------------------------------


def synthetic_dataset(branches: int, weeks: int, start: str, seed: int) -> Path:
    """The synthetic network's canonical CSVs, generated once and kept under benchmarks/data."""
    folder = DATA / f"network-{branches}b-{weeks}w-{start}-s{seed}"
    stamp = folder / ".complete"
    if stamp.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    print(f"generating {branches} branches × {weeks} weeks into {folder} …", flush=True)
    command = [
        sys.executable, "-c", "from smartcounter.cli.app import main; main()",
        "generate", str(folder), "--branches", str(branches), "--weeks", str(weeks),
        "--start", start, "--seed", str(seed),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    shutil.rmtree(folder / "_truth", ignore_errors=True)  # not an import file
    stamp.touch()
    return folder


def numpy_dataset(rows: int, seed: int) -> Path:
    """A transactions-shaped export written with numpy and polars (no synthetic network)."""
    import numpy as np
    import polars as pl

    from smartcounter.canonical.catalogue import load_catalogue

    folder = DATA / f"numpy-{rows}-s{seed}"
    stamp = folder / ".complete"
    if stamp.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    branches = 1000
    pl.DataFrame(
        {
            "branch_id": [f"B{i:04d}" for i in range(branches)],
            "name": [f"支行{i}" for i in range(branches)],
            "region": "镇江",
            "branch_type": "urban",
        }
    ).write_csv(folder / "branches.csv")
    pl.DataFrame(
        {
            "staff_id": [f"S{i:04d}-{j}" for i in range(branches) for j in range(5)],
            "branch_id": [f"B{i:04d}" for i in range(branches) for _ in range(5)],
            "role": "teller",
        }
    ).write_csv(folder / "staff.csv")
    codes = list(load_catalogue())
    reasons = ["", "", "", "customer_declined", "elderly_unable", "device_fault"]
    chunk = 1_000_000
    with (folder / "transactions.csv").open("wb") as out:
        for first in range(0, rows, chunk):
            n = min(chunk, rows - first)
            branch = rng.integers(0, branches, n)
            seconds = np.sort(rng.integers(0, 13 * 7 * 86400, n))
            frame = pl.DataFrame(
                {
                    "txn_id": [f"T{i:010d}" for i in range(first, first + n)],
                    "branch_id": [f"B{b:04d}" for b in branch],
                    "ts": (np.datetime64("2018-01-01T00:00:00") + seconds.astype("timedelta64[s]"))
                    .astype(str)
                    .astype(object),
                    "business_code": [codes[c] for c in rng.integers(0, len(codes), n)],
                    "channel": np.where(rng.random(n) < 0.6, "stm", "teller").astype(object),
                    "staff_id": [
                        f"S{b:04d}-{s}" for b, s in zip(branch, rng.integers(0, 5, n), strict=True)
                    ],
                    "visit_id": [f"V{i:010d}" for i in range(first, first + n)],
                    "customer_id": [f"C{c}" for c in rng.integers(0, 2_000_000, n)],
                    "reason": [reasons[r] for r in rng.integers(0, len(reasons), n)],
                    "duration_s": rng.gamma(2.0, 90.0, n).round(1),
                }
            ).with_columns(pl.col("ts").str.replace("T", " "))
            frame.write_csv(out, include_header=first == 0)
    stamp.touch()
    return folder


# -- the two sides ---------------------------------------------------------------------------------


def run_ours(folder: Path) -> Run:
    """``smartcounter ingest`` into a fresh store, in its own process."""
    with tempfile.TemporaryDirectory(prefix="bench-store-") as scratch:
        store = Path(scratch) / "store"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
        command = [
            sys.executable, "-c", "from smartcounter.cli.app import main; main()",
            "--store", str(store), "ingest", str(folder), "--format", "json",
        ]  # fmt: skip
        run, out = _measure("smartcounter ingest", command, env)
        report = json.loads(out)
        run.rows = sum(f["read"] for f in report["files"])
        rejected = sum(f["rejected"] for f in report["files"])
        if rejected:
            print(f"  (ours rejected {rejected} rows: see the rejects file)")
    return run


def run_startup() -> float:
    """Seconds the command line needs to start and stop (loading every command)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from smartcounter.cli.app import main; main()", "--help"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def run_baseline(folder: Path) -> Run:
    """The pandas baseline, in its own process."""
    run, out = _measure(
        "pandas read_csv + checks", [sys.executable, __file__, "--baseline", str(folder)]
    )
    run.rows = int(json.loads(out)["rows"])
    return run


def run_bare_copy(folder: Path) -> Run:
    """The bare copy (no checks), in its own process."""
    run, out = _measure(
        "bare copy: DuckDB, no checks", [sys.executable, __file__, "--bare-copy", str(folder)]
    )
    run.rows = int(json.loads(out)["rows"])
    return run


def bare_copy(folder: Path) -> int:
    """Copy every canonical CSV file to a Parquet file with DuckDB, checking nothing;
    return the rows copied. The files go to a temporary folder, removed at the end."""
    import duckdb

    from smartcounter.canonical.tables import TABLES

    rows = 0
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    with tempfile.TemporaryDirectory(prefix="bench-bare-copy-") as scratch:
        for table in TABLES:
            for n, path in enumerate(sorted(folder.glob(f"{table.name}*.csv"))):
                target = Path(scratch) / f"{table.name}-{n}.parquet"
                source = str(path).replace("'", "''")
                copied = con.execute(
                    f"COPY (SELECT * FROM read_csv('{source}', header = true, all_varchar = true))"
                    f" TO '{target}' (FORMAT parquet, COMPRESSION snappy)"
                ).fetchone()
                rows += int(copied[0]) if copied else 0
    con.close()
    return rows


def baseline(folder: Path) -> int:
    """Read every canonical file with pandas and check each column; return the rows read."""
    import pandas as pd

    from smartcounter.canonical.catalogue import (
        FALSE_WORDS,
        REASON_CODES,
        TRUE_WORDS,
        load_catalogue,
    )
    from smartcounter.canonical.tables import TABLES, Kind

    booleans = sorted(TRUE_WORDS | FALSE_WORDS)
    codes = set(load_catalogue())
    branches: set[str] = set()
    rows = 0
    for table in TABLES:
        for path in sorted(folder.glob(f"{table.name}*.csv")):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            rows += len(frame)
            bad = pd.Series(False, index=frame.index)
            for column in table.columns:
                if column.name not in frame:
                    continue
                text = frame[column.name].str.strip()
                present = text != ""
                if column.required:
                    bad |= ~present
                if column.kind in (Kind.INTEGER, Kind.NUMBER):
                    number = pd.to_numeric(text.where(present), errors="coerce")
                    bad |= present & number.isna()
                    if column.minimum is not None:
                        bad |= number < column.minimum
                    if column.maximum is not None:
                        bad |= number > column.maximum
                elif column.kind is Kind.TIMESTAMP:
                    moment = pd.to_datetime(text.where(present), format="ISO8601", errors="coerce")
                    bad |= present & moment.isna()
                elif column.kind is Kind.BOOLEAN:
                    bad |= present & ~text.str.lower().isin(booleans)
                elif column.kind is Kind.CHOICE:
                    bad |= present & ~text.str.lower().isin(column.choices)
                elif column.kind is Kind.BUSINESS_CODE:
                    bad |= present & ~text.isin(codes)
                elif column.kind is Kind.REASON_CODE:
                    bad |= present & ~text.str.lower().isin(REASON_CODES)
                if column.references == "branches":
                    bad |= present & ~text.isin(branches)
            ids = list(table.id_columns)
            bad |= frame.duplicated(subset=ids, keep="first")
            if table.name == "branches":
                branches |= set(frame.loc[~bad, "branch_id"].str.strip())
            if table.name == "business_types":
                codes |= set(frame.loc[~bad, "code"].str.strip())
            del frame, bad
    return rows


# -- a week's import against the history it lands in -------------------------------------------


def weekly_exports(folder: Path) -> list[Path]:
    """Split a canonical folder into one folder per ISO week (reference files in each)."""
    import polars as pl

    from smartcounter.canonical.tables import TABLES

    out = folder.parent / f"{folder.name}-weekly"
    stamp = out / ".complete"
    if not stamp.exists():
        shutil.rmtree(out, ignore_errors=True)
        for table in TABLES:
            path = folder / f"{table.name}.csv"
            if not path.exists():
                continue
            frame = pl.read_csv(path, infer_schema=False)
            if table.time_column is None:
                weeks = {}
            else:
                day = pl.col(table.time_column).str.slice(0, 10).str.to_date("%Y-%m-%d")
                label = pl.format(
                    "{}-W{}", day.dt.iso_year(), day.dt.week().cast(pl.String).str.zfill(2)
                )
                weeks = frame.with_columns(label.alias("_w")).partition_by("_w", as_dict=True)
            if not weeks:  # a reference table: in every week's export
                continue
            for (week,), rows in weeks.items():
                (out / str(week)).mkdir(parents=True, exist_ok=True)
                rows.drop("_w").write_csv(out / str(week) / path.name)
        for week_dir in sorted(p for p in out.iterdir() if p.is_dir()):
            for name in ("branches.csv", "staff.csv"):
                if (folder / name).exists():
                    shutil.copyfile(folder / name, week_dir / name)
        stamp.touch()
    return sorted(p for p in out.iterdir() if p.is_dir())


def _ingest_command(store: Path, *folders: Path) -> list[str]:
    return [
        sys.executable, "-c", "from smartcounter.cli.app import main; main()",
        "--store", str(store), "ingest", *map(str, folders), "--format", "json",
    ]  # fmt: skip


def run_history(folder: Path, weeks: int, repeat: int) -> None:
    """Time the last week's import into an empty store and into one holding ``weeks`` weeks."""

    # Split in a process of its own: a child started from a large parent reports the
    # parent's memory as its own peak.
    subprocess.run([sys.executable, __file__, "--split", str(folder)], check=True)
    exports = weekly_exports(folder)
    if len(exports) < weeks + 1:
        raise SystemExit(f"{folder} holds {len(exports)} weeks; --history {weeks} needs more")
    history, week = exports[-weeks - 1 : -1], exports[-1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
    with tempfile.TemporaryDirectory(prefix="bench-history-") as scratch:
        base = Path(scratch) / "history"
        print(f"building a store of {weeks} weeks ({history[0].name} to {history[-1].name}) …")
        built, _ = _measure("history", _ingest_command(base, *history), env)
        print(f"  built in {built.seconds:.1f} s")
        runs: dict[str, list[Run]] = {"empty store": [], f"{weeks}-week store": []}
        for i in range(repeat):
            for label in runs:
                store = Path(scratch) / f"run{i}-{len(runs[label])}-{label.split()[0]}"
                if label != "empty store":
                    # Hard links: an import never changes a file in place, it adds and
                    # renames, so each run starts from the same history at no cost.
                    shutil.copytree(base, store, copy_function=os.link)
                run, out = _measure(label, _ingest_command(store, week), env)
                run.rows = sum(f["read"] for f in json.loads(out)["files"])
                runs[label].append(run)
                shutil.rmtree(store)
    print(f"\nimport of {week.name} ({runs['empty store'][0].rows:,} rows), {repeat} runs each:")
    empty, full = _print_medians(runs).values()
    print(f"ratio ({weeks}-week store / empty store): {full / empty:.2f}× (aim: at most 1.2×)")


def _print_medians(runs: dict[str, list[Run]], *, peak_aim: bool = False) -> dict[str, float]:
    """A line per side: median seconds, each run's, median CPU, highest peak (and, with
    ``peak_aim``, whether it keeps under the import's aim); the medians, by side."""
    import statistics

    print(f"{'':20} {'median s':>9} {'runs':>28} {'CPU s':>7} {'peak MB':>8}")
    medians = {}
    for label, done in runs.items():
        medians[label] = statistics.median(r.seconds for r in done)
        cpu = statistics.median(r.cpu_seconds for r in done)
        peak = max(r.peak_mb for r in done)
        listed = " ".join(f"{r.seconds:.2f}" for r in done)
        line = f"{label:20} {medians[label]:>9.2f} {listed:>28} {cpu:>7.1f} {peak:>8,.0f}"
        if peak_aim:
            met = "met" if peak < AIM_PEAK_MB else "short"
            line += f"  (peak aim < {AIM_PEAK_MB:,} MB: {met})"
        print(line)
    return medians


def run_again(folder: Path, repeat: int) -> None:
    """Time the import of ``folder`` into an empty store, then again into that store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
    runs: dict[str, list[Run]] = {"first import": [], "sent again": []}
    with tempfile.TemporaryDirectory(prefix="bench-again-") as scratch:
        for i in range(repeat):
            store = Path(scratch) / f"run{i}"
            for label, done in runs.items():
                run, out = _measure(label, _ingest_command(store, folder), env)
                run.rows = sum(f["read"] for f in json.loads(out)["files"])
                done.append(run)
            shutil.rmtree(store)
    print(f"\nimport of {folder.name} ({runs['first import'][0].rows:,} rows), {repeat} runs each:")
    first, again = _print_medians(runs, peak_aim=True).values()
    print(f"ratio (sent again / first import): {again / first:.2f}×")


def main() -> None:
    """Parse the options, make or find the dataset, run both sides, print the comparison."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--branches", type=int, default=1150)
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument("--start", default="2018-01-01")
    parser.add_argument("--seed", type=int, default=20180305)
    parser.add_argument("--numpy-rows", type=int, help="use a numpy-written transactions dataset")
    parser.add_argument("--data", type=Path, help="an existing canonical folder to import")
    parser.add_argument(
        "--only", choices=["ours", "baseline", "bare-copy"], help="run one side only"
    )
    parser.add_argument("--baseline", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--bare-copy", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--history", type=int, metavar="N", help="a week into an empty vs an N-week store"
    )
    parser.add_argument(
        "--again", action="store_true", help="the same export imported twice into one store"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each side (--history, --again)"
    )
    parser.add_argument("--split", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from installed import compile_package  # beside this script, on its path

    compile_package()  # as an installed copy has it (installed.py)

    if args.split is not None:
        weekly_exports(args.split)
        return

    if args.history is not None:
        weeks = max(args.weeks, args.history + 1)
        data = args.data or synthetic_dataset(args.branches, weeks, args.start, args.seed)
        run_history(data, args.history, args.repeat)
        return

    if args.again:
        data = args.data or synthetic_dataset(args.branches, args.weeks, args.start, args.seed)
        run_again(data, args.repeat)
        return

    if args.baseline is not None:
        print(json.dumps({"rows": baseline(args.baseline)}))
        return
    if args.bare_copy is not None:
        print(json.dumps({"rows": bare_copy(args.bare_copy)}))
        return

    if args.data is not None:
        folder = args.data
    elif args.numpy_rows:
        folder = numpy_dataset(args.numpy_rows, args.seed)
    else:
        folder = synthetic_dataset(args.branches, args.weeks, args.start, args.seed)
    sizes = {p.name: p.stat().st_size for p in sorted(folder.glob("*.csv"))}
    print(f"dataset: {folder} ({sum(sizes.values()) / 1e9:.2f} GB of CSV: {', '.join(sizes)})")
    print(f"cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.2f}")

    sides = {"ours": run_ours, "baseline": run_baseline, "bare-copy": run_bare_copy}
    runs = {name: side(folder) for name, side in sides.items() if args.only in (None, name)}
    startup = run_startup()

    print()
    print(f"{'':30} {'rows':>12} {'seconds':>9} {'rows/s':>12} {'CPU s':>8} {'peak MB':>9}")
    for run in runs.values():
        print(
            f"{run.label:30} {run.rows:>12,} {run.seconds:>9.2f} {run.rows_per_second:>12,.0f} "
            f"{run.cpu_seconds:>8.1f} {run.peak_mb:>9,.0f}"
        )
    ours, base, bare = runs.get("ours"), runs.get("baseline"), runs.get("bare-copy")
    if ours and base and base.rows_per_second:
        print(f"ratio (ours / baseline): {ours.rows_per_second / base.rows_per_second:.2f}×")
    if bare and base and base.rows_per_second:
        print(
            f"ratio (bare copy / baseline): {bare.rows_per_second / base.rows_per_second:.2f}× "
            "(about the most an importer that stores every row reaches here)"
        )
    if ours and bare and bare.seconds:
        print(f"ours takes {ours.seconds / bare.seconds:.2f}× the bare copy's time")
    print(f"command start-up alone (loading every command; included above): {startup:.2f} s")
    if ours and ours.seconds > startup:
        net = ours.rows / (ours.seconds - startup)
        print(f"ours without the start-up: {net:,.0f} rows/s", end="")
        if base and base.rows_per_second:
            print(f" ({net / base.rows_per_second:.2f}× the baseline)")
        else:
            print()
    if ours:
        print_aims(ours, base)


# Issue 11's aims for the import, measured side by side with the baseline in one run.
AIM_ROWS_PER_SECOND = 1_000_000
AIM_RATIO = 5.0
AIM_PEAK_MB = 2048


def print_aims(ours: Run, baseline_run: Run | None) -> None:
    """One line per aim: the aim, what this run measured, met or short."""

    def verdict(ok: bool) -> str:
        return "met" if ok else "short"

    rate = ours.rows_per_second
    print(f"aim rows/s: ≥ {AIM_ROWS_PER_SECOND:,}; measured {rate:,.0f}: ", end="")
    print(verdict(rate >= AIM_ROWS_PER_SECOND))
    if baseline_run is not None and baseline_run.rows_per_second:
        ratio = rate / baseline_run.rows_per_second
        print(f"aim ratio: ≥ {AIM_RATIO:.0f}× the baseline; measured {ratio:.2f}×: ", end="")
        print(verdict(ratio >= AIM_RATIO))
    print(f"aim peak: < {AIM_PEAK_MB:,} MB; measured {ours.peak_mb:,.0f} MB: ", end="")
    print(verdict(ours.peak_mb < AIM_PEAK_MB))
    print(
        f"load average now: {os.getloadavg()[0]:.2f} (other work on the machine slows both sides)"
    )


if __name__ == "__main__":
    main()
