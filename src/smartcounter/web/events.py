"""Server-sent events: each worker polls the database, so any number of workers agree."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from smartcounter.lobby import repository as repo
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.database import Database


def _marker(database: Database, branch_id: str, since: datetime) -> tuple[int, int]:
    with database.unit_of_work(write=False) as session:
        return repo.event_marker(session, branch_id, since)


async def event_stream(
    *,
    request: Request,
    database: Database,
    ctx: LobbyContext,
    branch_id: str,
    seconds: int,
    poll_s: float,
    heartbeat_s: float,
) -> AsyncIterator[str]:
    """Yield ``change`` events while the client listens, a comment now and then to keep alive."""
    since = ctx.day_start_utc(ctx.today())
    yield "retry: 2000\n\n"
    last = await run_in_threadpool(_marker, database, branch_id, since)
    yield f"event: change\ndata: {json.dumps({'count': last[0], 'id': last[1]})}\n\n"
    started = last_beat = time.monotonic()
    while time.monotonic() - started < seconds:
        if await request.is_disconnected():
            return
        await asyncio.sleep(poll_s)
        marker = await run_in_threadpool(_marker, database, branch_id, since)
        if marker != last:
            last = marker
            yield f"event: change\ndata: {json.dumps({'count': marker[0], 'id': marker[1]})}\n\n"
            last_beat = time.monotonic()
        elif time.monotonic() - last_beat >= heartbeat_s:
            last_beat = time.monotonic()
            yield ": keep-alive\n\n"
