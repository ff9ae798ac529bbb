"""The weekly bulletin of a large network: the metrics part, then each format on its own.

The metrics part is the content model built from the metrics API (every figure of the
bulletin, on DuckDB); then the HTML, the workbook and the PDF are written from it. Each
is timed in wall-clock and in CPU seconds of this process (CPU is steadier on a shared
machine; DuckDB's threads count in it). The store is generated once under
``benchmarks/data/`` (git-ignored) with ``smartcounter generate`` and reused.

    python benchmarks/bench_bulletin.py                  # 1,000 branches, 9 weeks
    python benchmarks/bench_bulletin.py --branches 120   # the demo's size
    python benchmarks/bench_bulletin.py --lang en --repeat 3

Results go to standard output and to ``benchmarks/results/bulletin-*.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
START = date(2018, 1, 1)
GENERATED = datetime(2018, 3, 12, 9, 0)


def store_path(branches: int, weeks: int) -> Path:
    return HERE / "data" / f"bulletin-{branches}x{weeks}"


def ensure_store(branches: int, weeks: int) -> Path:
    """Generate and import the network once (the same seed gives the same network)."""
    root = store_path(branches, weeks)
    if (root / "smartcounter-store.json").exists() and (root / ".complete").exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-c", "from smartcounter.cli.app import main; main()",
        "generate", str(root.with_suffix(".csv")),
        "--branches", str(branches), "--weeks", str(weeks), "--start", START.isoformat(),
        "--seed", "7", "--store", str(root),
    ]  # fmt: skip
    print(f"generating {branches} branches x {weeks} weeks into {root} ...", flush=True)
    subprocess.run(cmd, check=True)
    (root / ".complete").write_text("ok")
    return root


def last_full_week(weeks: int) -> str:
    """The last ISO week of the generated span (it starts on a Monday)."""
    from smartcounter.metrics.period import week_of

    return week_of(START + timedelta(weeks=weeks) - timedelta(days=1))


def timed(fn: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def run(root: Path, week: str, lang: str, out: Path) -> dict[str, Any]:
    """Build the bulletin of ``week`` part by part and time each part."""
    from smartcounter.bulletin.content import build_content
    from smartcounter.bulletin.html import render_html
    from smartcounter.bulletin.pdf import write_pdf
    from smartcounter.bulletin.xlsx import write_xlsx
    from smartcounter.i18n import Lang
    from smartcounter.metrics import open_metrics
    from smartcounter.programme.status import judge
    from smartcounter.settings import load_settings
    from smartcounter.store.layout import Store

    store = Store.open(root)
    settings = load_settings(store=root)
    out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"week": week, "lang": lang}
    with open_metrics(store, settings) as metrics:
        content, result["metrics"] = timed(
            lambda: build_content(
                metrics,
                store,
                settings.bulletin,
                board=judge(metrics=metrics, settings=settings, week=week),
                lang=Lang(lang),
                region=None,
                generated_at=GENERATED,
            )
        )
    result["branches"] = len(content.branches)
    html = out / "bulletin.html"
    _, result["html"] = timed(
        lambda: html.write_text(render_html(content, settings.bulletin), "utf-8")
    )
    _, result["xlsx"] = timed(lambda: write_xlsx(content, settings.bulletin, out / "bulletin.xlsx"))
    pdf, result["pdf"] = timed(lambda: write_pdf(content, settings.bulletin, out / "bulletin.pdf"))
    result["pdf_pages"] = pdf.pages
    result["sizes_mb"] = {
        name: round((out / f"bulletin.{name}").stat().st_size / 2**20, 2)
        for name in ("html", "xlsx", "pdf")
    }
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--branches", type=int, default=1000)
    parser.add_argument(
        "--weeks", type=int, default=9, help="weeks generated (the trend needs 8 and one before)"
    )
    parser.add_argument(
        "--week", default=None, help="the bulletin's week (default: the last generated)"
    )
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs in this process (the first pays for loading)"
    )
    args = parser.parse_args()
    from installed import compile_package  # beside this script, on its path

    compile_package()  # as an installed copy has it (installed.py)

    root = ensure_store(args.branches, args.weeks)
    week = args.week or last_full_week(args.weeks)
    runs = []
    for i in range(args.repeat):
        result = run(
            root, week, args.lang, HERE / "results" / f"bulletin-{args.branches}-{args.lang}"
        )
        runs.append(result)
        parts = ", ".join(
            f"{part} {result[part]['wall_s']:.2f}s (cpu {result[part]['cpu_s']:.2f}s)"
            for part in ("metrics", "html", "xlsx", "pdf")
        )
        print(
            f"run {i + 1}: {result['branches']} branches, {week}: {parts}; {result['pdf_pages']} PDF pages",
            flush=True,
        )
    report = HERE / "results" / f"bulletin-{args.branches}x{args.weeks}-{args.lang}.json"
    report.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(json.dumps(runs[-1], ensure_ascii=False))


if __name__ == "__main__":
    main()
