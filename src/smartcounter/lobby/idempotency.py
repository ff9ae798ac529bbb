"""Idempotency keys: a request sent again with the same key gets the answer it got first.

A kiosk that lost the answer to "issue a ticket" (a fault, a killed server) sends the
request again with the same ``Idempotency-Key``. The answer is stored with the change it
answers, in the same transaction: either both are committed or neither, so a retry never
duplicates the change and always gets the answer of the change that was made.

What identifies a request is kept as a keyed hash (HMAC-SHA256 under the lobby's customer
key), never a plain one: a request body may hold a card number, and a plain hash of it
beside the masked number stored with the ticket would give the hidden digits away to
anyone who tries them all. Answers are kept for ``KEPT`` (a retry comes within minutes):
older ones are deleted when a new one is stored, so nothing accumulates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from smartcounter.lobby.errors import IdempotencyKeyReused
from smartcounter.lobby.models import IdempotentAnswer

M = TypeVar("M", bound=BaseModel)

KEY_PATTERN = r"^[A-Za-z0-9_.:\-]{8,128}$"
KEPT = timedelta(hours=24)  # how long an answer can be replayed
# Keeps these hashes apart from the customer hashes made under the same key.
_PURPOSE = "smartcounter.idempotency"


def request_hash(secret: str, method: str, path: str, body: BaseModel | None) -> str:
    """What identifies a request: method, path and body (as parsed, key order fixed),
    hashed under ``secret`` (the lobby's customer key): the body may hold a card number."""
    payload = body.model_dump(mode="json") if body is not None else None
    text = json.dumps([_PURPOSE, method.upper(), path, payload], sort_keys=True, ensure_ascii=False)
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def forget_old(session: Session, now: datetime) -> None:
    """Delete the answers older than ``KEPT``.

    Rows another transaction is deleting already are skipped, not waited for (PostgreSQL;
    SQLite writes one at a time anyway): concurrent requests never queue behind each other
    here, and the next request deletes what is left.
    """
    table = IdempotentAnswer.__table__
    assert isinstance(table, sa.Table)
    old = (
        sa.select(table.c.key)
        .where(table.c.created_at < now - KEPT)
        .with_for_update(skip_locked=True)
    )
    session.execute(sa.delete(table).where(table.c.key.in_(old)))


def stored(session: Session, key: str, fingerprint: str) -> IdempotentAnswer | None:
    """The answer already given under ``key``; refuses a key reused for another request."""
    found = session.get(IdempotentAnswer, key)
    if found is not None and found.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    return found


def remember(
    session: Session, *, key: str, fingerprint: str, status_code: int, body: str, at: datetime
) -> None:
    """Keep the answer under ``key``, in the caller's transaction (with the change)."""
    session.add(
        IdempotentAnswer(
            key=key, request_hash=fingerprint, status_code=status_code, body=body, created_at=at
        )
    )
    session.flush()


def once(
    session: Session,
    *,
    key: str | None,
    fingerprint: str,
    status_code: int,
    at: datetime,
    run: Callable[[], M],
) -> M | tuple[int, Any]:
    """``run()`` the first time a key is seen; the stored (status, body) after that."""
    if key is None:
        return run()
    # Before the change: its locks (a queue's ticket counter) are then held no longer.
    forget_old(session, at)
    found = stored(session, key, fingerprint)
    if found is not None:
        return found.status_code, json.loads(found.body)
    answer = run()
    remember(
        session,
        key=key,
        fingerprint=fingerprint,
        status_code=status_code,
        body=answer.model_dump_json(),
        at=at,
    )
    return answer
