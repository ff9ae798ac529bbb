"""Queries of the delivery log (all of them: the service never writes SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from smartcounter.publish.models import Channel, Delivery, Edition, Outcome

# A delivery's identity across runs: the same edition of the same week, to the same
# address (in any case), of the same branch's page, by the same channel.
DeliveryKey = tuple[Channel, str, str | None]


def key_of(channel: Channel, recipient: str, branch_id: str | None) -> DeliveryKey:
    """The identity of a delivery (addresses compared without case)."""
    return (channel, recipient.lower(), branch_id)


def outcomes(session: Session, *, week: str, edition: Edition) -> dict[DeliveryKey, Outcome]:
    """Each delivery of the week's edition tried so far: sent if any attempt was, else failed."""
    rows = session.execute(
        sa.select(Delivery.channel, Delivery.recipient, Delivery.branch_id, Delivery.outcome)
        .where(Delivery.week == week, Delivery.edition == edition)
        .order_by(Delivery.delivery_id)
    )
    out: dict[DeliveryKey, Outcome] = {}
    for channel, recipient, branch_id, outcome in rows:
        key = key_of(channel, recipient, branch_id)
        if out.get(key) is not Outcome.SENT:
            out[key] = outcome
    return out


def add(
    session: Session,
    *,
    week: str,
    edition: Edition,
    channel: Channel,
    recipient: str,
    branch_id: str | None,
    attachments: Sequence[str],
    at: datetime,
    outcome: Outcome,
    message_id: str | None = None,
    error: str | None = None,
) -> Delivery:
    """Record one attempt (flushed, not committed)."""
    delivery = Delivery(
        week=week,
        edition=edition,
        channel=channel,
        recipient=recipient,
        branch_id=branch_id,
        attachments="; ".join(attachments) or None,
        at=at,
        outcome=outcome,
        message_id=message_id,
        error=error,
    )
    session.add(delivery)
    session.flush()
    return delivery


def recent(session: Session, *, week: str | None = None, limit: int = 500) -> list[Delivery]:
    """The newest attempts first (of one week when given)."""
    query = sa.select(Delivery).order_by(Delivery.delivery_id.desc()).limit(limit)
    if week is not None:
        query = query.where(Delivery.week == week)
    return list(session.scalars(query))


def weeks_delivered(session: Session, *, limit: int = 12) -> list[tuple[str, Edition, int, int]]:
    """(week, edition, recipients sent, recipients not sent yet) of the latest weeks.

    Counted per delivery (recipient, branch's page, channel), not per attempt: a recipient
    sent twice (``--resend``, another language) counts once, one that failed and was sent
    on a later run counts as sent; "not sent" are those every attempt failed for.
    """
    ever_sent = sa.func.max(sa.case((Delivery.outcome == Outcome.SENT, 1), else_=0))
    per_delivery = (
        sa.select(Delivery.week, Delivery.edition, ever_sent.label("ever_sent"))
        .group_by(
            Delivery.week,
            Delivery.edition,
            Delivery.channel,
            sa.func.lower(Delivery.recipient),
            Delivery.branch_id,
        )
        .subquery()
    )
    sent = sa.func.sum(per_delivery.c.ever_sent)
    failed = sa.func.sum(1 - per_delivery.c.ever_sent)
    rows = session.execute(
        sa.select(per_delivery.c.week, per_delivery.c.edition, sent, failed)
        .group_by(per_delivery.c.week, per_delivery.c.edition)
        .order_by(per_delivery.c.week.desc(), per_delivery.c.edition)
        .limit(limit)
    )
    return [(w, Edition(e), int(s or 0), int(f or 0)) for w, e, s, f in rows]
