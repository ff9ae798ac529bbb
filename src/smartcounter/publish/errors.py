"""Why nothing can be published; each carries a message key of ``publish.toml``."""

from __future__ import annotations

from smartcounter.errors import SmartCounterError


class PublishError(SmartCounterError):
    """Nothing was sent: the settings, the week or the recipients do not allow it."""

    status_code = 409
    key = "publish.error.generic"


class PublishNotConfigured(PublishError):  # noqa: N818 (house style: TicketAlreadyServed)
    """A ``[publish]`` setting is missing or unusable (``problem`` says which)."""

    key = "publish.error.settings"


class NoWeekData(PublishError):  # noqa: N818 (house style: TicketAlreadyServed)
    """The store holds no transactions of the week asked for."""

    key = "publish.error.no_data"


class NoCompleteWeek(PublishError):  # noqa: N818 (house style: TicketAlreadyServed)
    """``--week last``: the store holds no week that has ended."""

    key = "publish.error.no_complete_week"


class DraftOutdated(PublishError):  # noqa: N818 (house style: TicketAlreadyServed)
    """``--approve`` of a week whose data changed after its draft went to the reviewers."""

    status_code = 409
    key = "publish.error.draft_outdated"


class NoRecipients(PublishError):  # noqa: N818 (house style: TicketAlreadyServed)
    """No address to send the approved issue to."""

    key = "publish.error.no_recipients"


class NoReviewers(NoRecipients):
    """No reviewer to send the draft to (the message names the setting, not a code)."""

    key = "publish.error.no_reviewers"


class SmtpUnreachable(PublishError):  # noqa: N818 (house style: TicketAlreadyServed)
    """The mail server could not be reached or refused the login: nothing was sent."""

    key = "publish.error.smtp"


class PublishBusy(PublishError):  # noqa: N818 (house style: TicketAlreadyServed)
    """Another run is publishing from this store (``holder`` says which)."""

    key = "publish.error.busy"
