"""Back-test over many branches: how often the 80 % ranges hold what happened after a change.

Generates a network with a dated practice change at every branch (cash split, backup
teller, one more teller, a greeter; weeks W06-W08 of 13), imports it, finds the changes in
the store (``simulation/changes.py``: how many of the steps in the generator's truth it
finds, and any it finds that the truth does not have) and back-tests each (``simulation/backtest.py``): calibrate on the
weeks before, predict the weeks after with the what-if, compare with ``rates``. Prints one
line per change, then the summary; the last line is read by scripts:

    changes N (found F of G in the generator's truth, E not in it), MAE X pp,
    coverage of the 80% ranges Y%

    python benchmarks/bench_backtest.py [--branches 40] [--replications 12] [--seed 7]

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
from smartcounter.simulation.backtest import backtest  # noqa: E402
from smartcounter.simulation.changes import find_changes  # noqa: E402
from smartcounter.synthetic import NetworkSpec  # noqa: E402
from smartcounter.synthetic.writer import TRUTH_BY_WEEK_FILE, TRUTH_DIR  # noqa: E402
from tests.simulation.changed_network import truth_steps, write_changed_network  # noqa: E402

WEEKS = ("2018-W06", "2018-W07", "2018-W08")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--branches", type=int, default=40)
    parser.add_argument("--replications", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    settings = Settings()
    spec = NetworkSpec(branches=args.branches, weeks=13, start=date(2018, 1, 1), seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        store, made = write_changed_network(Path(tmp), spec, WEEKS)
        print(f"generated {args.branches} branches, {len(made)} changes", file=sys.stderr)
        with open_metrics(store, settings) as metrics:
            found = find_changes(metrics, settings)
        generated = truth_steps(Path(tmp) / "generated" / TRUTH_DIR / TRUTH_BY_WEEK_FILE)
        seen = {(c.branch_id, c.week, key) for c in found for key, _, _ in c.steps}
        hits = len(generated & seen)
        extra = len(seen - generated)
        result = backtest(
            store=store, settings=settings, changes=found, replications=args.replications
        )
        for o in result.outcomes:
            print(
                f"{o.change.branch_id:10} {o.change.week} {o.change.label:22} "
                f"predicted {o.predicted * 100:5.1f}% ({o.low * 100:5.1f}-{o.high * 100:5.1f}) "
                f"realised {o.realised * 100:5.1f}%  error {o.error_pp:+5.1f} pp  "
                f"{'inside' if o.inside else 'OUT'}"
            )
        for s in result.skipped:
            print(
                f"{s.change.branch_id:10} {s.change.week} {s.change.label:22} skipped: {s.reason}"
            )
        print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        print(
            f"changes {len(result.outcomes)} (found {hits} of {len(generated)} in the "
            f"generator's truth, {extra} not in it), MAE {result.mean_absolute_error_pp:.2f} pp, "
            f"coverage of the {round(result.level * 100)}% ranges {result.coverage * 100:.0f}%"
        )


if __name__ == "__main__":
    main()
