"""Errors of the lobby service; the root and the generic kinds are in ``smartcounter.errors``."""

from __future__ import annotations

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
    "AuthorisationDecided",
    "AuthorisationNotFound",
    "AuthorisationPending",
    "BranchNotFound",
    "Conflict",
    "DayClosed",
    "DuplicateValue",
    "Forbidden",
    "Invalid",
    "NotAuthenticated",
    "NotFound",
    "NothingToTriage",
    "PointBusy",
    "PointInactive",
    "ReasonRequired",
    "ServicePointNotFound",
    "SmartCounterError",
    "StaffNotFound",
    "StageNotAllowed",
    "StoreUnavailable",
    "TerminalDown",
    "TicketAlreadyServed",
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


class DayClosed(Conflict):
    key = "lobby.errors.day_closed"


class UnknownBusiness(Invalid):
    key = "lobby.errors.unknown_business"


class UnknownReason(Invalid):
    key = "lobby.errors.unknown_reason"


class ReasonRequired(Invalid):
    key = "lobby.errors.reason_required"


class StageNotAllowed(Invalid):
    key = "lobby.errors.stage_not_allowed"


class NothingToTriage(Invalid):
    key = "lobby.errors.nothing_to_triage"
