"""The audit log: every change records who made it (services call ``record``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from smartcounter.accounts.models import AuditEntry
from smartcounter.accounts.roles import Actor
from smartcounter.database import table_of

_AUDIT = table_of(AuditEntry)
_INSERT = sa.insert(_AUDIT)


def entry_row(
    *,
    actor: Actor,
    action: str,
    at: datetime,
    branch_id: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row of one audit entry, for whoever writes it (``record``, or issuing a ticket)."""
    return {
        "ts": at,
        "actor": actor.label,
        "user_id": actor.user_id,
        "branch_id": branch_id,
        "action": action,
        "target": target,
        "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    }


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    at: datetime,
    branch_id: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one entry to the audit log (committed with the change it describes).

    One INSERT at once rather than an object for the next flush: cheaper, and the entry
    needs nothing from the flush.
    """
    session.execute(
        _INSERT,
        entry_row(
            actor=actor, action=action, at=at, branch_id=branch_id, target=target, detail=detail
        ),
    )


def entries(
    session: Session, *, branch_id: str | None, limit: int = 200, before_id: int | None = None
) -> Sequence[AuditEntry]:
    """The newest audit entries of a branch (all branches when ``branch_id`` is None)."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if branch_id is not None:
        query = query.where(AuditEntry.branch_id == branch_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return session.scalars(query).all()
