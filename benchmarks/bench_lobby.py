"""Lobby service: tickets issued per second and latency with 50 concurrent clients.

Runs a real ``smartcounter serve`` on 127.0.0.1 for each of SQLite and PostgreSQL, with one
worker and with four, and drives it two ways:

* ``max``: 50 clients each sending the next ticket as soon as the last is answered
  (the most tickets per second the server gives);
* ``paced``: tickets sent on a fixed schedule (``--rates``, 50/s and 200/s by default) by
  up to 50 clients at once; latency counts from the scheduled time, so a server that falls
  behind shows it.

Every ticket goes to the same branch and queue, the hardest case for the counter. Prints
one table. PostgreSQL is the local server (``--postgres URL``; a schema is made and dropped).

    python benchmarks/bench_lobby.py [--tickets 2000] [--rates 50,200] [--clients 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import sqlalchemy as sa

from smartcounter.accounts.roles import DeviceKind, system_actor
from smartcounter.accounts.schemas import DeviceCreate
from smartcounter.accounts.service import create_device
from smartcounter.lobby.context import build_context
from smartcounter.lobby.database import open_database
from smartcounter.lobby.setup import add_branch
from smartcounter.settings import Settings

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Result:
    backend: str
    workers: int
    mode: str
    tickets: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def per_second(self) -> float:
        return self.tickets / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema; yields the URL that puts the lobby's tables in it."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    try:
        yield f"{url}?options={quote('-csearch_path=' + name)}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()


def seed(settings: Settings) -> str:
    database = open_database(settings)
    ctx = build_context(settings)
    actor = system_actor("bench")
    try:
        with database.unit_of_work() as session:
            add_branch(
                session=session,
                ctx=ctx,
                actor=actor,
                branch_id="BENCH",
                name="基准网点",
                branch_type="office",
            )
            _device, token = create_device(
                session=session,
                actor=actor,
                branch_id="BENCH",
                device_in=DeviceCreate(kind=DeviceKind.KIOSK, name="bench kiosk"),
                now=ctx.now(),
            )
    finally:
        database.dispose()
    return token


@contextmanager
def server(store: Path, database_url: str | None, workers: int) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
    if database_url:
        env["SMARTCOUNTER_DATABASE_URL"] = database_url
    command = [
        str(Path(sys.executable).parent / "smartcounter"),
        "--store",
        str(store),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


async def drive(
    url: str, token: str, tickets: int, clients: int, rate: float | None
) -> tuple[float, list[float], int]:
    """Issue ``tickets`` tickets with ``clients`` at once; paced at ``rate`` per second if given."""
    latencies: list[float] = []
    errors = 0
    next_index = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    payload = {"business": ["card_open"]}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as http:
        start = time.perf_counter()

        async def client() -> None:
            nonlocal next_index, errors
            while next_index < tickets:
                index = next_index
                next_index += 1
                planned = start + index / rate if rate else time.perf_counter()
                delay = planned - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                try:
                    answer = await http.post("/api/branches/BENCH/tickets", json=payload)
                except httpx.TransportError:
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - planned) * 1000)
                if answer.status_code != 201:
                    errors += 1

        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return elapsed, latencies, errors


def run(backend: str, workers: int, args: argparse.Namespace) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-lobby-") as folder:
        store = Path(folder) / "store"
        schema = postgres_schema(args.postgres) if backend == "postgresql" else None
        database_url = schema.__enter__() if schema else None
        try:
            token = seed(Settings(store=store, database_url=database_url))
            with server(store, database_url, workers) as url:
                asyncio.run(drive(url, token, 100, args.clients, None))  # warm up
                loads: list[float | None] = [None, *(float(r) for r in args.rates.split(","))]
                for rate in loads:
                    # A paced run lasts about as long whatever its rate: tickets = rate × seconds.
                    count = args.tickets if rate is None else max(100, int(rate * args.seconds))
                    seconds, latencies, errors = asyncio.run(
                        drive(url, token, count, args.clients, rate)
                    )
                    mode = "max" if rate is None else f"{rate:g}/s"
                    results.append(
                        Result(backend, workers, mode, count, seconds, latencies, errors)
                    )
        finally:
            if schema:
                schema.__exit__(None, None, None)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rates", default="50,200", help="paced loads, tickets per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of a paced run")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,4")
    args = parser.parse_args()
    results: list[Result] = []
    for backend in args.backends.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            print(f"… {backend}, {workers} worker(s)", file=sys.stderr, flush=True)
            results.extend(run(backend, workers, args))
    header = f"{'backend':<11} {'workers':>7} {'load':>7} {'tickets':>7} {'tickets/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'errors':>6}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.backend:<11} {r.workers:>7} {r.mode:>7} {r.tickets:>7} {r.per_second:>9.1f} "
            f"{r.percentile(0.50):>8.1f} {r.percentile(0.99):>8.1f} {statistics.fmean(r.latencies_ms):>8.1f} {r.errors:>6}"
        )


if __name__ == "__main__":
    main()
