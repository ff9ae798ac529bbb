"""Errors of the lobby service: one base class carrying an HTTP status and a message key.

The web layer turns every ``SmartCounterError`` into a response in one handler; the
command line prints the same translated message. Messages live in ``lobby.toml``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SmartCounterError(Exception):
    """A request the service refuses, with the status it maps to and a translatable message."""

    status_code: ClassVar[int] = 400
    key: ClassVar[str] = "lobby.errors.bad_request"

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(f"{self.key} {params}" if params else self.key)


class NotFound(SmartCounterError):  # noqa: N818 (house style: TicketAlreadyServed)
    """The thing named does not exist (or is not visible to the caller)."""

    status_code = 404
    key = "lobby.errors.not_found"


class BranchNotFound(NotFound):
    key = "lobby.errors.branch_not_found"


class TicketNotFound(NotFound):
    key = "lobby.errors.ticket_not_found"


class ServicePointNotFound(NotFound):
    key = "lobby.errors.point_not_found"


class StaffNotFound(NotFound):
    key = "lobby.errors.staff_not_found"


class AuthorisationNotFound(NotFound):
    key = "lobby.errors.authorisation_not_found"


class Forbidden(SmartCounterError):  # noqa: N818 (house style: TicketAlreadyServed)
    """The caller is known but may not do this here."""

    status_code = 403
    key = "lobby.errors.forbidden"


class NotAuthenticated(SmartCounterError):  # noqa: N818 (house style: TicketAlreadyServed)
    status_code = 401
    key = "lobby.errors.not_authenticated"


class Conflict(SmartCounterError):  # noqa: N818 (house style: TicketAlreadyServed)
    """The request does not fit the current state of the thing it names."""

    status_code = 409
    key = "lobby.errors.conflict"


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


class DuplicateValue(Conflict):
    key = "lobby.errors.duplicate"


class DayClosed(Conflict):
    key = "lobby.errors.day_closed"


class Invalid(SmartCounterError):  # noqa: N818 (house style: TicketAlreadyServed)
    """Well-formed input that the domain rejects (unknown code, missing reason)."""

    status_code = 422
    key = "lobby.errors.invalid"


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


class StoreUnavailable(SmartCounterError):  # noqa: N818 (house style: TicketAlreadyServed)
    status_code = 503
    key = "lobby.errors.store_unavailable"
