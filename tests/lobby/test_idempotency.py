"""Retried requests: the answers kept for them give no card number away and do not pile up."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session
from testkit import Lobby

# Every model module, for their tables on Base.metadata.
import smartcounter.accounts.models
import smartcounter.lobby.models
import smartcounter.programme.models
import smartcounter.scorecard.models  # noqa: F401
from smartcounter.lobby import idempotency
from smartcounter.lobby.context import ManualClock
from smartcounter.lobby.database import Base
from smartcounter.lobby.models import IdempotentAnswer
from smartcounter.lobby.schemas import TicketCreate

CARD = "6222027312345674"
PATH = "/api/branches/B1/tickets"
BODY = {"business": ["transfer"], "customer_id": CARD, "age_band": "30-44"}
SECRET = "a-customer-key-of-the-bank"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain_hashes() -> set[str]:
    """Plain SHA-256 digests of the request and of the card: what must be nowhere."""
    parsed = TicketCreate.model_validate(BODY).model_dump(mode="json")
    texts = [
        CARD,
        json.dumps(BODY),
        json.dumps(BODY, separators=(",", ":")),
        json.dumps(BODY, sort_keys=True, ensure_ascii=False),
        json.dumps(parsed, sort_keys=True, ensure_ascii=False),
        # What earlier versions hashed: method, path and parsed body.
        json.dumps(["POST", PATH, parsed], sort_keys=True, ensure_ascii=False),
    ]
    return {_sha256(t) for t in texts} | {_sha256(t).upper() for t in texts}


def _every_value(session: Session) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text value in every table of the database."""
    found = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(sa.select(table)).mappings():
            for column, value in row.items():
                if isinstance(value, str):
                    found.append((table.name, str(column), value))
    return found


class TestNoCardNumberInTheKeptAnswers:
    def test_a_retried_ticket_with_a_card_leaves_no_plain_hash_anywhere(self, lobby: Lobby) -> None:
        tablet = lobby.client("greeter-b1")
        headers = {"Idempotency-Key": "tablet-key-0001"}
        first = tablet.post(PATH, json=BODY, headers=headers)
        again = tablet.post(PATH, json=BODY, headers=headers)
        assert first.status_code == again.status_code == 201, first.text
        assert again.json() == first.json()
        assert again.headers.get("Idempotent-Replayed") == "true"
        forbidden = _plain_hashes()
        with lobby.database.unit_of_work(write=False) as session:
            kept = session.get(IdempotentAnswer, "tablet-key-0001")
            values = _every_value(session)
        assert kept is not None
        assert CARD not in kept.body and CARD[4:-4] not in kept.body
        leaks = [(t, c) for t, c, v in values if v in forbidden or CARD in v]
        assert leaks == []


class _Answer(BaseModel):
    n: int


def _once(session: Session, key: str, clock: ManualClock, n: int) -> object:
    return idempotency.once(
        session,
        key=key,
        fingerprint=idempotency.request_hash(SECRET, "POST", PATH, _Answer(n=n)),
        status_code=201,
        at=clock.now(),
        run=lambda: _Answer(n=n),
    )


class TestOldAnswersGo:
    def test_an_answer_is_replayed_within_a_day_and_deleted_after(
        self, session: Session, clock: ManualClock
    ) -> None:
        assert _once(session, "key-00000001", clock, 1) == _Answer(n=1)
        clock.advance(int(timedelta(hours=23).total_seconds()))
        assert _once(session, "key-00000001", clock, 1) == (201, {"n": 1})
        clock.advance(int(timedelta(hours=2).total_seconds()))
        assert _once(session, "key-00000002", clock, 2) == _Answer(n=2)
        kept = session.scalars(sa.select(IdempotentAnswer.key)).all()
        assert kept == ["key-00000002"]

    def test_the_fingerprint_is_keyed(self) -> None:
        body = TicketCreate.model_validate(BODY)
        mine = idempotency.request_hash(SECRET, "POST", PATH, body)
        assert mine == idempotency.request_hash(SECRET, "post", PATH, body)
        assert mine != idempotency.request_hash(SECRET + "-other", "POST", PATH, body)
        assert mine not in _plain_hashes()
