"""Monday morning: the dashboards right after an import, shared figures against none.

A real ``smartcounter serve --workers 2`` on the demo store (120 branches, 13 weeks),
started fresh for each run just after the store changed (no figures kept yet). Two runs
side by side, the same requests:

* ``shared``: the default — the server works the latest week's figures out as it starts,
  every worker and page reads them from the store folder;
* ``baseline``: ``SMARTCOUNTER_SHARE_FIGURES=false`` — each page works its own figures out.

Measured in each run, from the moment the server answers:

1. the centre's network dashboard, the first page after login;
2. 40 branch dashboards (40 directors, one page each) requested at once.

Printed: each figure for both runs and the ratio baseline / shared. The aim (issue 11):
the first load under 1 s, all 40 answered within 2 s.

    python benchmarks/bench_dashboards.py [--branches 40]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_lobby import server  # noqa: E402 - the same running server as the lobby benchmark

DATA = HERE / "data" / "dashboards"
BIN = Path(sys.executable).parent / "smartcounter"


def demo_store() -> Path:
    """The demo's store (made once, kept under benchmarks/data/)."""
    store = DATA / "store"
    if not (store / "smartcounter-store.json").exists():
        shutil.rmtree(DATA, ignore_errors=True)
        subprocess.run([str(BIN), "demo", "--dir", str(DATA)], check=True, capture_output=True)
    return store


def analyst_login(store: Path) -> tuple[str, str]:
    from smartcounter.accounts.demo import seed_demo
    from smartcounter.store.layout import Store
    from smartcounter.store.reading import read_table

    opened = Store.open(store)
    first = read_table(opened, "branches")["branch_id"].sort()[0]
    for role, username, password in seed_demo(opened, first):
        if role == "centre_analyst":
            return username, password
    raise RuntimeError("no analyst login")


def branches_of(store: Path, n: int) -> list[str]:
    from smartcounter.store.layout import Store
    from smartcounter.store.reading import read_table

    ids = read_table(Store.open(store), "branches")["branch_id"].sort().to_list()
    return ids[:n]


def forget_figures(store: Path) -> None:
    """As right after an import: nothing worked out yet."""
    shutil.rmtree(store / "results", ignore_errors=True)
    shutil.rmtree(store / "dashboards" / "cache", ignore_errors=True)


@dataclass
class Run:
    name: str
    first_load_s: float
    times: list[float]
    wall_s: float

    @property
    def p50(self) -> float:
        ordered = sorted(self.times)
        return ordered[len(ordered) // 2]


async def _login(client: httpx.AsyncClient, login: tuple[str, str]) -> None:
    answer = await client.post("/api/auth/login", json={"username": login[0], "password": login[1]})
    answer.raise_for_status()


async def _measure(
    url: str, login: tuple[str, str], branches: list[str]
) -> tuple[float, list[float], float]:
    limits = httpx.Limits(max_connections=len(branches) + 2)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
        await _login(client, login)
        start = time.perf_counter()
        page = await client.get("/dashboards/network")
        page.raise_for_status()
        first = time.perf_counter() - start
    # The 40 directors: their own connections, all at once.
    clients = [httpx.AsyncClient(base_url=url, timeout=600) for _ in branches]
    try:
        await asyncio.gather(*(_login(c, login) for c in clients))

        async def one(client: httpx.AsyncClient, branch: str) -> float:
            t0 = time.perf_counter()
            answer = await client.get(f"/branches/{branch}/dashboard")
            answer.raise_for_status()
            return time.perf_counter() - t0

        t0 = time.perf_counter()
        times = await asyncio.gather(*(one(c, b) for c, b in zip(clients, branches, strict=True)))
        wall = time.perf_counter() - t0
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return first, list(times), wall


def run(name: str, store: Path, shared: bool, login: tuple[str, str], branches: list[str]) -> Run:
    forget_figures(store)
    share = {"SMARTCOUNTER_SHARE_FIGURES": "true" if shared else "false"}
    with server(store, None, 2, share) as (url, _):
        first, times, wall = asyncio.run(_measure(url, login, branches))
    return Run(name, first, times, wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--branches", type=int, default=40)
    args = parser.parse_args()
    store = demo_store()
    login = analyst_login(store)
    branches = branches_of(store, args.branches)
    shared = run("shared", store, True, login, branches)
    baseline = run("baseline", store, False, login, branches)
    print(f"demo store, serve --workers 2, {len(branches)} branch dashboards at once")
    print(f"{'run':<10}{'first load s':>14}{'p50 s':>10}{'slowest s':>11}{'all done s':>12}")
    for r in (shared, baseline):
        print(
            f"{r.name:<10}{r.first_load_s:>14.2f}{r.p50:>10.2f}{max(r.times):>11.2f}{r.wall_s:>12.2f}"
        )
    print(
        f"first load {shared.first_load_s:.2f} s (aim < 1 s), "
        f"{len(branches)} at once all done in {shared.wall_s:.2f} s (aim < 2 s); "
        f"baseline/shared: first load {baseline.first_load_s / shared.first_load_s:.1f}x, "
        f"{len(branches)} at once {baseline.wall_s / shared.wall_s:.1f}x"
    )


if __name__ == "__main__":
    main()
