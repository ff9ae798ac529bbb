"""Errors of the dashboards: the web layer's one handler turns them into answers."""

from __future__ import annotations

from smartcounter.lobby.errors import Invalid, NotFound, SmartCounterError


class NoData(NotFound):
    """The store holds no transactions yet (or there is no store at all)."""

    key = "dashboards.errors.no_data"


class WeekNotFound(NotFound):
    """The store holds no transactions in the week asked for."""

    key = "dashboards.errors.week_not_found"


class BranchNotInStore(NotFound):
    """The branch is not among the store's branches."""

    key = "dashboards.errors.branch_not_in_store"


class BadQuarter(Invalid):
    """A quarter that is not ``YYYY-Qn``."""

    key = "dashboards.errors.bad_quarter"


class UnknownStaff(Invalid):
    """A score for someone who is not on the branch's staff."""

    key = "dashboards.errors.unknown_staff"


class NotScorable(Invalid):
    """A score the caller may not give: their own, or a director's."""

    key = "dashboards.errors.not_scorable"


class RepeatedStaff(Invalid):
    """Two scores for one staff member in one request."""

    key = "dashboards.errors.repeated_staff"


class BulletinUnavailable(SmartCounterError):  # noqa: N818 (house style: TicketAlreadyServed)
    """The bulletin of the week could not be built (e.g. no font for the PDF)."""

    status_code = 503
    key = "dashboards.errors.bulletin_unavailable"
