"""Errors of the lobby service; the root and the generic kinds are in ``smartcounter.errors``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from smartcounter.errors import (
    BranchNotFound,
    Conflict,
    DuplicateValue,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    SmartCounterError,
    StaffNotFound,
    StoreUnavailable,
)

__all__ = [
    "AlreadyReferred",
    "AuthorisationDecided",
    "AuthorisationNotFound",
    "AuthorisationPending",
    "BranchNotFound",
    "BusinessNotOnTicket",
    "CloseNotConfirmed",
    "Conflict",
    "DayClosed",
    "DayInFuture",
    "DayWithoutData",
    "DeclineReasonRequired",
    "DuplicateValue",
    "Forbidden",
    "IdempotencyKeyReused",
    "Invalid",
    "NoShowNotRecallable",
    "NotAuthenticated",
    "NotFound",
    "NothingToTriage",
    "PointBusy",
    "PointInactive",
    "ReasonRequired",
    "ServicePointNotFound",
    "SmartCounterError",
    "StaffNotFound",
    "StageAlreadyDone",
    "StageNotAllowed",
    "StoreUnavailable",
    "TerminalDown",
    "TicketAlreadyServed",
    "TicketDayClosed",
    "TicketNotAtPoint",
    "TicketNotFound",
    "TicketNotWaiting",
    "UnknownBusiness",
    "UnknownReason",
]


class TicketNotFound(NotFound):
    key = "lobby.errors.ticket_not_found"


class ServicePointNotFound(NotFound):
    key = "lobby.errors.point_not_found"


class AuthorisationNotFound(NotFound):
    key = "lobby.errors.authorisation_not_found"


class TicketAlreadyServed(Conflict):
    key = "lobby.errors.ticket_already_served"
    terms: ClassVar[Mapping[str, str]] = {"status": "lobby.status.{}"}


class TicketNotAtPoint(Conflict):
    key = "lobby.errors.ticket_not_at_point"


class TicketNotWaiting(Conflict):
    key = "lobby.errors.ticket_not_waiting"


class PointBusy(Conflict):
    key = "lobby.errors.point_busy"


class PointInactive(Conflict):
    key = "lobby.errors.point_inactive"


class TerminalDown(Conflict):
    key = "lobby.errors.terminal_down"


class AuthorisationPending(Conflict):
    key = "lobby.errors.authorisation_pending"


class AuthorisationDecided(Conflict):
    key = "lobby.errors.authorisation_decided"
    terms: ClassVar[Mapping[str, str]] = {"status": "lobby.authorisation_status.{}"}


class DayClosed(Conflict):
    key = "lobby.errors.day_closed"


class UnknownBusiness(Invalid):
    key = "lobby.errors.unknown_business"


class BusinessNotOnTicket(Invalid):
    """Business of the catalogue that the ticket does not have waiting at the smart counter."""

    key = "lobby.errors.business_not_on_ticket"


class AlreadyReferred(Conflict):
    """A customer is referred to the wealth manager once per visit (one referral counted)."""

    key = "lobby.errors.already_referred"


class UnknownReason(Invalid):
    key = "lobby.errors.unknown_reason"


class ReasonRequired(Invalid):
    key = "lobby.errors.reason_required"


class StageNotAllowed(Invalid):
    key = "lobby.errors.stage_not_allowed"


class NothingToTriage(Invalid):
    key = "lobby.errors.nothing_to_triage"


class TicketDayClosed(Conflict):
    """A ticket for a day already closed: its visits are in the store."""

    key = "lobby.errors.ticket_day_closed"


class StageAlreadyDone(Conflict):
    """One triage outcome per stage per ticket: the customer is counted once."""

    key = "lobby.errors.stage_already_done"


class DeclineReasonRequired(Invalid):
    """A triage decline says why the customer declined."""

    key = "lobby.errors.decline_reason_required"


class NoShowNotRecallable(Conflict):
    """Only a no-show of today, within the recall time, can be called back."""

    key = "lobby.errors.no_show_not_recallable"


class IdempotencyKeyReused(Invalid):
    """An ``Idempotency-Key`` sent again with a different request."""

    key = "lobby.errors.idempotency_key_reused"


class CloseNotConfirmed(Invalid):
    """Closing a day is confirmed explicitly (``confirm: true``)."""

    key = "lobby.errors.close_not_confirmed"


class DayInFuture(Invalid):
    """A day that has not come yet cannot be closed."""

    key = "lobby.errors.day_in_future"


class DayWithoutData(Invalid):
    """A day with no ticket in the lobby has nothing to close."""

    key = "lobby.errors.day_without_data"
