"""The lobby's use cases in one namespace, for callers that name them ``service.<use case>``.

Each lives in the module named for what it does:

- ``tickets``: issuing a ticket (取号);
- ``triage``: triage rounds (分流) and referrals to the wealth manager;
- ``serving``: calling, recalling, no-shows (and calling them back), starting,
  transferring and completing;
- ``day``: which days are open, and the customers a close expires;
- ``customers``: card numbers hashed and masked;
- ``idempotency``: answers kept for retried requests;
- ``authorisations``: the specialist's authorisations and terminal statuses;
- ``views``: what the pages show (tickets with waits and prompts, the board, the tablet);
- ``lookups``: the small steps they share.

Plain functions with keyword-only arguments, called by the web routes, the command line
and the tests alike. They flush but never commit: the caller's unit of work commits once.
"""

from __future__ import annotations

from smartcounter.lobby.authorisations import (
    REJECTED_AUTHORISATION_REASON,
    decide_authorisation,
    request_authorisation,
    set_terminal_status,
)
from smartcounter.lobby.serving import (
    call_next,
    complete,
    mark_no_show,
    recall,
    recallable_until,
    reinstate_no_show,
    start_service,
    transfer,
)
from smartcounter.lobby.tickets import issue_ticket
from smartcounter.lobby.triage import (
    DEFAULT_DECLINE_REASON,
    STAGE_PERMISSIONS,
    record_triage,
    refer,
)
from smartcounter.lobby.views import (
    CALLING_SHOWN,
    AuthorisationView,
    BoardView,
    LobbyView,
    QueueView,
    TicketView,
    authorisation_views,
    board,
    get_ticket,
    list_authorisations,
    list_tickets,
    lobby,
    ticket_view,
)

__all__ = [
    "CALLING_SHOWN",
    "DEFAULT_DECLINE_REASON",
    "REJECTED_AUTHORISATION_REASON",
    "STAGE_PERMISSIONS",
    "AuthorisationView",
    "BoardView",
    "LobbyView",
    "QueueView",
    "TicketView",
    "authorisation_views",
    "board",
    "call_next",
    "complete",
    "decide_authorisation",
    "get_ticket",
    "issue_ticket",
    "list_authorisations",
    "list_tickets",
    "lobby",
    "mark_no_show",
    "recall",
    "recallable_until",
    "record_triage",
    "refer",
    "reinstate_no_show",
    "request_authorisation",
    "set_terminal_status",
    "start_service",
    "ticket_view",
    "transfer",
]
