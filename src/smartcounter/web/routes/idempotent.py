"""The ``Idempotency-Key`` header of the routes that change something.

Clients (kiosk, tablet, window) send a key of their own making with every change and the
same key when they retry it; the answer stored with the change is sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from smartcounter.lobby import idempotency
from smartcounter.lobby.context import LobbyContext

M = TypeVar("M", bound=BaseModel)


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=idempotency.KEY_PATTERN,
            description="A key of the client's making; a retry with the same key and body "
            "gets the first answer instead of making the change again.",
        ),
    ] = None,
) -> str | None:
    """The request's ``Idempotency-Key``, if it sent one."""
    return key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def answer_once(
    session: Session,
    ctx: LobbyContext,
    request: Request,
    key: str | None,
    body: BaseModel | None,
    run: Callable[[], M],
    status_code: int = 200,
) -> M | JSONResponse:
    """``run()`` once per key; the stored answer when the key was seen before."""
    fingerprint = idempotency.request_hash(
        ctx.settings.customer_key, request.method, request.url.path, body
    )
    result = idempotency.once(
        session, key=key, fingerprint=fingerprint, status_code=status_code, at=ctx.now(), run=run
    )
    if isinstance(result, tuple):
        status, content = result
        return JSONResponse(content, status_code=status, headers={"Idempotent-Replayed": "true"})
    return result
