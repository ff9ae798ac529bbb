"""The app-wide error root: a refused request with an HTTP status and a message key.

Every area raises a subclass; the web layer turns each into a response in one handler
and the command line prints the same translated message. The generic kinds (not found,
forbidden, conflict, invalid) live here so that no area imports another for them.
Their messages are in ``lobby.toml``, where the first of them were written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from smartcounter.i18n import Term


class SmartCounterError(Exception):
    """A request the service refuses, with the status it maps to and a translatable message."""

    status_code: ClassVar[int] = 400
    key: ClassVar[str] = "lobby.errors.bad_request"
    # Parameters that are codes shown by name (a status, a field): the parameter and the
    # key of the names, ``{}`` standing for the code. The message says the name in the
    # reader's language; ``params`` keeps the code.
    terms: ClassVar[Mapping[str, str]] = {}

    def __init__(self, **params: Any) -> None:
        self.params = {
            k: Term(v, self.terms[k].format(v))
            if k in self.terms and isinstance(v, str) and not isinstance(v, Term)
            else v
            for k, v in params.items()
        }
        super().__init__(f"{self.key} {params}" if params else self.key)


class NotFound(SmartCounterError):  # noqa: N818 (house style: TicketAlreadyServed)
    """The thing named does not exist (or is not visible to the caller)."""

    status_code = 404
    key = "lobby.errors.not_found"


class BranchNotFound(NotFound):
    key = "lobby.errors.branch_not_found"


class StaffNotFound(NotFound):
    key = "lobby.errors.staff_not_found"


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


class DuplicateValue(Conflict):
    key = "lobby.errors.duplicate"
    terms: ClassVar[Mapping[str, str]] = {"field": "lobby.page.field_{}"}


class Invalid(SmartCounterError):  # noqa: N818 (house style: TicketAlreadyServed)
    """Well-formed input that the domain rejects (unknown code, missing reason)."""

    status_code = 422
    key = "lobby.errors.invalid"


class StoreUnavailable(SmartCounterError):  # noqa: N818 (house style: TicketAlreadyServed)
    status_code = 503
    key = "lobby.errors.store_unavailable"


class SparkUnavailable(SmartCounterError):  # noqa: N818 (house style: TicketAlreadyServed)
    """Spark could not be started, or its cluster reached (``master``, ``detail``)."""

    status_code = 503
    key = "figures.spark_unavailable"
