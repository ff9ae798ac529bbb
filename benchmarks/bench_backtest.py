"""Back-test over many branches: how often the 80 % ranges hold what happened after a change.

Generates a network with a dated practice change at every branch (cash split, backup
teller, one more teller, a greeter; weeks W06-W08 of 13), imports it, finds the changes in
the store (``simulation/changes.py``: how many of the steps in the generator's truth it
finds, and any it finds that the truth does not have) and back-tests each (``simulation/backtest.py``): calibrate on the
weeks before, predict the weeks after with the what-if, compare with ``rates``. Prints one
line per change, then the summary; the last line is read by scripts:

    changes N (S skipped; found F of G in the generator's truth, E not in it), MAE X pp,
    coverage of the 80% ranges Y%

over all the networks (one per seed; a line per network before it).

    python benchmarks/bench_backtest.py [--branches 40] [--replications 12] [--seeds 7 8]

The CI test (``tests/simulation/test_backtest.py``) runs a smaller network; this is the
run over enough branches for the coverage figure to mean something (the issue asks for
70-90 %).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smartcounter.metrics import open_metrics  # noqa: E402
from smartcounter.settings import Settings  # noqa: E402
from smartcounter.simulation.backtest import Backtest, ChangeOutcome, backtest  # noqa: E402
from smartcounter.simulation.changes import find_changes  # noqa: E402
from smartcounter.synthetic import NetworkSpec  # noqa: E402
from smartcounter.synthetic.writer import TRUTH_BY_WEEK_FILE, TRUTH_DIR  # noqa: E402
from tests.simulation.changed_network import truth_steps, write_changed_network  # noqa: E402

WEEKS = ("2018-W06", "2018-W07", "2018-W08")


def run(branches: int, seed: int, replications: int) -> tuple[Backtest, int, int, int]:
    """One network's back-test, the truth's steps found, their number, and steps not in it."""
    settings = Settings()
    spec = NetworkSpec(branches=branches, weeks=13, start=date(2018, 1, 1), seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        store, made = write_changed_network(Path(tmp), spec, WEEKS)
        print(f"seed {seed}: {branches} branches, {len(made)} changes made", file=sys.stderr)
        with open_metrics(store, settings) as metrics:
            found = find_changes(metrics, settings)
        generated = truth_steps(Path(tmp) / "generated" / TRUTH_DIR / TRUTH_BY_WEEK_FILE)
        seen = {(c.branch_id, c.week, key) for c in found for key, _, _ in c.steps}
        result = backtest(store=store, settings=settings, changes=found, replications=replications)
        print(f"seed {seed}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return result, len(generated & seen), len(generated), len(seen - generated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--branches", type=int, default=40)
    parser.add_argument("--replications", type=int, default=12)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8])
    args = parser.parse_args()
    outcomes: list[ChangeOutcome] = []
    hits = truth = extra = skipped = 0
    level = 0.8
    for seed in args.seeds:
        result, h, g, e = run(args.branches, seed, args.replications)
        hits, truth, extra = hits + h, truth + g, extra + e
        skipped += len(result.skipped)
        level = result.level
        for o in result.outcomes:
            print(
                f"{seed:4} {o.change.branch_id:10} {o.change.week} {o.change.label:34} "
                f"predicted {o.predicted * 100:5.1f}% ({o.low * 100:5.1f}-{o.high * 100:5.1f}) "
                f"realised {o.realised * 100:5.1f}%  error {o.error_pp:+5.1f} pp  "
                f"{'inside' if o.inside else 'OUT'}"
            )
        print(
            f"seed {seed}: {len(result.outcomes)} changes, MAE "
            f"{result.mean_absolute_error_pp:.2f} pp, coverage {result.coverage * 100:.0f}%"
        )
        outcomes += result.outcomes
    total = Backtest(tuple(outcomes), (), level)
    print(
        f"changes {len(outcomes)} ({skipped} skipped; found {hits} of {truth} in the "
        f"generator's truth, {extra} not in it), MAE {total.mean_absolute_error_pp:.2f} pp, "
        f"coverage of the {round(level * 100)}% ranges {total.coverage * 100:.0f}%"
    )


if __name__ == "__main__":
    main()
