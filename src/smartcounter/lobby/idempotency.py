"""Idempotency keys: a request sent again with the same key gets the answer it got first.

A kiosk that lost the answer to "issue a ticket" (a fault, a killed server) sends the
request again with the same ``Idempotency-Key``. The answer is stored with the change it
answers, in the same transaction: either both are committed or neither, so a retry never
duplicates the change and always gets the answer of the change that was made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from smartcounter.lobby.errors import IdempotencyKeyReused
from smartcounter.lobby.models import IdempotentAnswer

M = TypeVar("M", bound=BaseModel)

KEY_PATTERN = r"^[A-Za-z0-9_.:\-]{8,128}$"


def request_hash(method: str, path: str, body: BaseModel | None) -> str:
    """What identifies a request: method, path and body (as parsed, key order fixed)."""
    payload = body.model_dump(mode="json") if body is not None else None
    text = json.dumps([method.upper(), path, payload], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
