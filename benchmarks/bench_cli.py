"""The command line's start: ``smartcounter --help`` and ``rates --help`` as whole processes.

Each is run ``--repeat`` times side by side with the bare interpreter start
(``python -c pass``), the floor no command can go under; the script prints the median wall
time of each and its ratio to the floor. A lean command line loads no data
library for ``--help``.

    python benchmarks/bench_cli.py
    python benchmarks/bench_cli.py --repeat 20
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).with_name("smartcounter")


def run(cmd: list[str]) -> float:
    """Wall seconds of one run of ``cmd``."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    from installed import compile_package  # beside this script, on its path

    compile_package()  # as an installed copy has it (installed.py)
    cases = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "smartcounter --help": [str(BIN), "--help"],
        "smartcounter rates --help": [str(BIN), "rates", "--help"],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    # Interleaved, so that a noisy moment of the machine falls on every case alike.
    for _ in range(args.repeat):
        for name, cmd in cases.items():
            times[name].append(run(cmd))
    floor = statistics.median(times["python -c pass (floor)"])
    print(f"{'case':32} {'median s':>9} {'× floor':>8}")
    for name in cases:
        median = statistics.median(times[name])
        print(f"{name:32} {median:9.3f} {median / floor:8.1f}")


if __name__ == "__main__":
    main()
